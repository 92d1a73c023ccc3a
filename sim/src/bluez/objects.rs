//! The `org.bluez` object tree btleplug needs (shared/reference/ble.md, Appendix A): adapter,
//! device, and a GATT service — ours with its `cmd` and `evt` characteristics, or Mentra Live's
//! (`00004860-…`: write-with-response `71FF`, notify `70FF`). Writes go to the glasses
//! simulator; its packets come back as notifications. Writes are refused while disconnected,
//! as BlueZ does.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mentra_bridge::glasses::live::gatt as live_gatt;
use mentra_bridge::wire::gatt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use zbus::fdo::ObjectManager;
use zbus::object_server::SignalEmitter;
use zbus::{Connection, interface};
use zbus::{ObjectPath, OwnedObjectPath, OwnedVariant as OwnedValue};

use crate::glasses::{
    GlassesHandle, GlassesSimConfig, LiveSimConfig, Port, spawn_glasses, spawn_live_glasses,
};
use crate::link::PortEvent;

const ADAPTER: &str = "/org/bluez/hci0";
const DEVICE: &str = "/org/bluez/hci0/dev_C0_FF_EE_00_00_01";
const SERVICE: &str = "/org/bluez/hci0/dev_C0_FF_EE_00_00_01/service0010";
const CMD: &str = "/org/bluez/hci0/dev_C0_FF_EE_00_00_01/service0010/char0011";
const EVT: &str = "/org/bluez/hci0/dev_C0_FF_EE_00_00_01/service0010/char0013";

/// BlueZ's error names.
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "org.bluez.Error")]
enum BluezError {
    /// Generic failure (also what an ATT error from the device looks like).
    Failed(String),
    /// The device is not connected.
    NotConnected(String),
}

/// Settings of the fake.
#[derive(Debug, Clone)]
pub struct FakeBluezConfig {
    /// ATT MTU reported on the characteristics. Default 247.
    pub mtu: u16,
    /// Advertised name. Default `MENTRA_LIVE_SIM`.
    pub name: String,
    /// Delay between `Connect` and `ServicesResolved`. Default 50 ms.
    pub resolve_delay: Duration,
    /// The glasses behind the GATT service.
    pub glasses: GlassesSimConfig,
    /// Play Mentra Live glasses (their GATT profile and JSON wire) instead of ours. Default
    /// `None`.
    pub live: Option<LiveSimConfig>,
}

impl Default for FakeBluezConfig {
    fn default() -> Self {
        Self {
            mtu: 247,
            name: "MENTRA_LIVE_SIM".into(),
            resolve_delay: Duration::from_millis(50),
            glasses: GlassesSimConfig::default(),
            live: None,
        }
    }
}

struct Shared {
    connected: AtomicBool,
    write_error: AtomicBool,
    to_glasses: mpsc::Sender<PortEvent>,
    mtu: u16,
    /// Mentra Live's profile.
    live: bool,
}

/// A running fake BlueZ. Dropping it releases the bus name and stops the glasses.
pub struct FakeBluez {
    connection: Connection,
    shared: Arc<Shared>,
    glasses: GlassesHandle,
    notifier: JoinHandle<()>,
}

impl std::fmt::Debug for FakeBluez {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FakeBluez")
    }
}

impl Drop for FakeBluez {
    fn drop(&mut self) {
        self.notifier.abort();
    }
}

/// The glasses simulator's side: packets from `cmd` writes in, notifications out.
struct BluezPort {
    events: mpsc::Receiver<PortEvent>,
    notify: mpsc::Sender<Vec<u8>>,
}

impl Port for BluezPort {
    async fn next(&mut self) -> Option<PortEvent> {
        self.events.recv().await
    }

    async fn send(&mut self, packet: Vec<u8>) {
        let _ = self.notify.send(packet).await;
    }
}

impl FakeBluez {
    /// Connects to the bus at `address`, exports the tree and takes the name `org.bluez`.
    pub async fn start(address: &str, config: FakeBluezConfig) -> zbus::Result<Self> {
        let (to_glasses, events) = mpsc::channel(1024);
        let (notify, mut notifications) = mpsc::channel::<Vec<u8>>(1024);
        let shared = Arc::new(Shared {
            connected: AtomicBool::new(false),
            write_error: AtomicBool::new(false),
            to_glasses,
            mtu: config.mtu,
            live: config.live.is_some(),
        });
        let connection = zbus::connection::Builder::address(address)
            .serve_at("/", ObjectManager)
            .serve_at(
                ADAPTER,
                Adapter {
                    powered: true,
                    discovering: false,
                },
            )
            .serve_at(
                DEVICE,
                Device {
                    name: config.name.clone(),
                    connected: false,
                    resolved: false,
                    resolve_delay: config.resolve_delay,
                    shared: Arc::clone(&shared),
                },
            )
            .name("org.bluez")
            .build()
            .await?;
        let port = BluezPort { events, notify };
        let glasses = match config.live {
            Some(live) => spawn_live_glasses(config.glasses, live, port),
            None => spawn_glasses(config.glasses, port),
        };
        // Notifications: the glasses' packets become PropertiesChanged(Value) on `evt`.
        let conn = connection.clone();
        let notifier = tokio::spawn(async move {
            while let Some(packet) = notifications.recv().await {
                let Ok(iface) = conn
                    .object_server()
                    .interface::<_, Characteristic>(EVT)
                    .await
                else {
                    continue;
                };
                let mut c = iface.get_mut().await;
                if !c.notifying {
                    continue;
                }
                c.value = packet;
                let _ = c.value_changed(iface.signal_emitter()).await;
            }
        });
        Ok(Self {
            connection,
            shared,
            glasses,
            notifier,
        })
    }

    /// The glasses simulator behind the fake.
    pub fn glasses(&self) -> &GlassesHandle {
        &self.glasses
    }

    /// The peer drops the connection (walked away, powered off).
    pub async fn force_disconnect(&self) {
        if let Ok(iface) = self
            .connection
            .object_server()
            .interface::<_, Device>(DEVICE)
            .await
        {
            let mut d = iface.get_mut().await;
            d.disconnect_now(iface.signal_emitter()).await;
        }
    }

    /// The glasses vanish: the connection drops and the device leaves the adapter's list, as
    /// when they are switched off.
    pub async fn vanish(&self) {
        self.force_disconnect().await;
        let server = self.connection.object_server();
        for path in [EVT, CMD] {
            let _ = server.remove::<Characteristic, _>(path).await;
        }
        let _ = server.remove::<Service, _>(SERVICE).await;
        let _ = server.remove::<Device, _>(DEVICE).await;
    }

    /// While on, every write to `cmd` fails with an ATT error (`org.bluez.Error.Failed`).
    pub fn set_write_error(&self, on: bool) {
        self.shared.write_error.store(on, Ordering::SeqCst);
    }
}

struct Adapter {
    powered: bool,
    discovering: bool,
}

#[interface(name = "org.bluez.Adapter1")]
impl Adapter {
    #[zbus(property, name = "Address")]
    fn address(&self) -> String {
        "00:AA:01:00:00:23".into()
    }
    #[zbus(property, name = "AddressType")]
    fn address_type(&self) -> String {
        "public".into()
    }
    #[zbus(property, name = "Name")]
    fn name(&self) -> String {
        "fake-hci0".into()
    }
    #[zbus(property, name = "Alias")]
    fn alias(&self) -> String {
        "fake-hci0".into()
    }
    #[zbus(property, name = "Powered")]
    fn powered(&self) -> bool {
        self.powered
    }
    #[zbus(property, name = "Powered")]
    fn set_powered(&mut self, on: bool) {
        self.powered = on;
    }
    #[zbus(property, name = "Discovering")]
    fn discovering(&self) -> bool {
        self.discovering
    }
    #[zbus(property, name = "Modalias")]
    fn modalias(&self) -> String {
        "usb:v1D6Bp0246d0542".into()
    }
    fn set_discovery_filter(&self, _filter: HashMap<String, OwnedValue>) {}
    async fn start_discovery(&mut self, #[zbus(signal_emitter)] e: SignalEmitter<'_>) {
        self.discovering = true;
        let _ = self.discovering_changed(&e).await;
    }
    async fn stop_discovery(&mut self, #[zbus(signal_emitter)] e: SignalEmitter<'_>) {
        self.discovering = false;
        let _ = self.discovering_changed(&e).await;
    }
    fn remove_device(&self, _device: OwnedObjectPath) {}
}

struct Device {
    name: String,
    connected: bool,
    resolved: bool,
    resolve_delay: Duration,
    shared: Arc<Shared>,
}

impl Device {
    async fn disconnect_now(&mut self, e: &SignalEmitter<'_>) {
        if !self.connected {
            return;
        }
        self.connected = false;
        self.resolved = false;
        self.shared.connected.store(false, Ordering::SeqCst);
        let _ = self.connected_changed(e).await;
        let _ = self.services_resolved_changed(e).await;
        let _ = self.shared.to_glasses.send(PortEvent::Disconnected).await;
    }
}

#[interface(name = "org.bluez.Device1")]
impl Device {
    #[zbus(property, name = "Address")]
    fn address(&self) -> String {
        "C0:FF:EE:00:00:01".into()
    }
    #[zbus(property, name = "AddressType")]
    fn address_type(&self) -> String {
        "random".into()
    }
    #[zbus(property, name = "Name")]
    fn name(&self) -> String {
        self.name.clone()
    }
    #[zbus(property, name = "Alias")]
    fn alias(&self) -> String {
        self.name.clone()
    }
    #[zbus(property, name = "Paired")]
    fn paired(&self) -> bool {
        true
    }
    #[zbus(property, name = "Trusted")]
    fn trusted(&self) -> bool {
        true
    }
    #[zbus(property, name = "Blocked")]
    fn blocked(&self) -> bool {
        false
    }
    #[zbus(property, name = "LegacyPairing")]
    fn legacy_pairing(&self) -> bool {
        false
    }
    #[zbus(property, name = "RSSI")]
    fn rssi(&self) -> i16 {
        -48
    }
    #[zbus(property, name = "UUIDs")]
    fn uuids(&self) -> Vec<String> {
        // Mentra Live glasses are found by their name.
        if self.shared.live {
            Vec::new()
        } else {
            vec![gatt::SERVICE_UUID.into()]
        }
    }
    #[zbus(property, name = "Adapter")]
    fn adapter(&self) -> OwnedObjectPath {
        ObjectPath::from_static_str_unchecked(ADAPTER).into()
    }
    #[zbus(property, name = "Connected")]
    fn connected(&self) -> bool {
        self.connected
    }
    #[zbus(property, name = "ServicesResolved")]
    fn services_resolved(&self) -> bool {
        self.resolved
    }

    async fn connect(
        &mut self,
        #[zbus(object_server)] server: &zbus::ObjectServer,
        #[zbus(signal_emitter)] e: SignalEmitter<'_>,
    ) -> Result<(), BluezError> {
        if self.connected {
            return Ok(());
        }
        // GATT objects exist only while connected (a fresh discovery each time).
        let mtu = self.shared.mtu;
        let live = self.shared.live;
        let (service, cmd, cmd_flags, evt): (&'static str, &'static str, &[&str], &'static str) =
            if live {
                (live_gatt::SERVICE, live_gatt::TX, &["write"], live_gatt::RX)
            } else {
                (
                    gatt::SERVICE_UUID,
                    gatt::CMD_CHARACTERISTIC_UUID,
                    &["write", "write-without-response"],
                    gatt::EVT_CHARACTERISTIC_UUID,
                )
            };
        let exported = async {
            server.at(SERVICE, Service { uuid: service }).await?;
            server
                .at(
                    CMD,
                    Characteristic::new(cmd, cmd_flags, mtu, Arc::clone(&self.shared), true),
                )
                .await?;
            server
                .at(
                    EVT,
                    Characteristic::new(evt, &["notify"], mtu, Arc::clone(&self.shared), false),
                )
                .await?;
            Ok::<_, zbus::Error>(())
        }
        .await;
        exported.map_err(|e| BluezError::Failed(e.to_string()))?;
        self.connected = true;
        self.shared.connected.store(true, Ordering::SeqCst);
        let _ = self.connected_changed(&e).await;
        tokio::time::sleep(self.resolve_delay).await;
        self.resolved = true;
        let _ = self.services_resolved_changed(&e).await;
        let _ = self
            .shared
            .to_glasses
            .send(PortEvent::Connected { mtu })
            .await;
        Ok(())
    }

    async fn disconnect(&mut self, #[zbus(signal_emitter)] e: SignalEmitter<'_>) {
        self.disconnect_now(&e).await;
    }
}

struct Service {
    uuid: &'static str,
}

#[interface(name = "org.bluez.GattService1")]
impl Service {
    #[zbus(property, name = "UUID")]
    fn uuid(&self) -> String {
        self.uuid.into()
    }
    #[zbus(property, name = "Primary")]
    fn primary(&self) -> bool {
        true
    }
    #[zbus(property, name = "Device")]
    fn device(&self) -> OwnedObjectPath {
        ObjectPath::from_static_str_unchecked(DEVICE).into()
    }
}

struct Characteristic {
    uuid: &'static str,
    flags: Vec<String>,
    mtu: u16,
    value: Vec<u8>,
    notifying: bool,
    is_cmd: bool,
    shared: Arc<Shared>,
}

impl Characteristic {
    fn new(
        uuid: &'static str,
        flags: &[&str],
        mtu: u16,
        shared: Arc<Shared>,
        is_cmd: bool,
    ) -> Self {
        Self {
            uuid,
            flags: flags.iter().map(|f| (*f).to_owned()).collect(),
            mtu,
            value: Vec::new(),
            notifying: false,
            is_cmd,
            shared,
        }
    }
}

#[interface(name = "org.bluez.GattCharacteristic1")]
impl Characteristic {
    #[zbus(property, name = "UUID")]
    fn uuid(&self) -> String {
        self.uuid.into()
    }
    #[zbus(property, name = "Service")]
    fn service(&self) -> OwnedObjectPath {
        ObjectPath::from_static_str_unchecked(SERVICE).into()
    }
    #[zbus(property, name = "Flags")]
    fn flags(&self) -> Vec<String> {
        self.flags.clone()
    }
    #[zbus(property, name = "MTU")]
    fn mtu(&self) -> u16 {
        self.mtu
    }
    #[zbus(property, name = "Notifying")]
    fn notifying(&self) -> bool {
        self.notifying
    }
    #[zbus(property, name = "Value")]
    fn value(&self) -> Vec<u8> {
        self.value.clone()
    }

    fn read_value(&self, _options: HashMap<String, OwnedValue>) -> Result<Vec<u8>, BluezError> {
        Ok(self.value.clone())
    }

    async fn write_value(
        &self,
        value: Vec<u8>,
        _options: HashMap<String, OwnedValue>,
    ) -> Result<(), BluezError> {
        if !self.shared.connected.load(Ordering::SeqCst) {
            return Err(BluezError::NotConnected("Not connected".into()));
        }
        if !self.is_cmd {
            return Err(BluezError::Failed("Write not permitted".into()));
        }
        if self.shared.write_error.load(Ordering::SeqCst) {
            return Err(BluezError::Failed(
                "Operation failed with ATT error: 0x0e".into(),
            ));
        }
        let _ = self.shared.to_glasses.send(PortEvent::Packet(value)).await;
        Ok(())
    }

    async fn start_notify(
        &mut self,
        #[zbus(signal_emitter)] e: SignalEmitter<'_>,
    ) -> Result<(), BluezError> {
        if !self.shared.connected.load(Ordering::SeqCst) {
            return Err(BluezError::NotConnected("Not connected".into()));
        }
        self.notifying = true;
        let _ = self.notifying_changed(&e).await;
        Ok(())
    }

    async fn stop_notify(&mut self, #[zbus(signal_emitter)] e: SignalEmitter<'_>) {
        self.notifying = false;
        let _ = self.notifying_changed(&e).await;
    }
}
