//! Glasses over BLE through btleplug (BlueZ on Linux, CoreBluetooth on Apple, the Android and
//! Windows stacks). Scans (post-filtered: our service, Mentra Live's, or a Mentra Live name),
//! finds the dialect from the GATT service the glasses expose (ours, or Mentra Live's
//! `00004860-…`, written with response),
//! stops scanning before connecting, connects and discovers with timeouts, checks the
//! characteristics, reads the MTU, subscribes, writes through a single FIFO writer, drains
//! adapter events and notifications in their own tasks, and reconnects with backoff and jitter
//! (never sooner than 1 s after a drop). Every GATT call has a timeout; a timeout or a
//! not-connected error tears the link down to backoff. btleplug types never leave this file.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use btleplug::api::{
    Central, CentralEvent, CharPropFlags, Characteristic, Manager as _, Peripheral as _,
    ScanFilter, WriteType,
};
use btleplug::platform::{Adapter, Manager, Peripheral, PeripheralId};
use futures_util::StreamExt;
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tracing::{debug, info, warn};
use uuid::Uuid;

use super::dialect::Dialect;
use super::link::LinkEvent;
use super::live::gatt as live_gatt;
use super::task_link::{Control, TaskEnds, TaskLink, task_link_impl};
use crate::cloud::{Backoff, BackoffConfig};
use crate::wire::gatt;

/// Settings of a BLE link. Every field documents its default.
#[derive(Debug, Clone)]
pub struct BleLinkConfig {
    /// Connect only to this device (its btleplug id, address or name); `None`: the first
    /// Mentra glasses found. The id of the glasses connected to is remembered for reconnects.
    pub device: Option<String>,
    /// How long one scan lasts. Default 10 s.
    pub scan_timeout: Duration,
    /// Connection timeout. Default 15 s.
    pub connect_timeout: Duration,
    /// Service discovery timeout. Default 30 s (BlueZ's own).
    pub discover_timeout: Duration,
    /// Timeout of every other GATT call (write, subscribe, disconnect). Default 5 s.
    pub gatt_timeout: Duration,
    /// Reconnect delays. Default 1 s doubling to 30 s, half jittered.
    pub backoff: BackoffConfig,
    /// Seed for the jitter. Default 0.
    pub seed: u64,
}

impl Default for BleLinkConfig {
    fn default() -> Self {
        Self {
            device: None,
            scan_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(15),
            discover_timeout: Duration::from_secs(30),
            gatt_timeout: Duration::from_secs(5),
            backoff: BackoffConfig {
                initial: Duration::from_secs(1),
                ..BackoffConfig::default()
            },
            seed: 0,
        }
    }
}

/// Why BLE could not be used. Messages are sentences for the user.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BleError {
    /// No Bluetooth stack or adapter on this machine.
    #[error("no Bluetooth available: {0}")]
    NoBluetooth(String),
    /// Nothing answered in time.
    #[error("{0} timed out")]
    Timeout(&'static str),
    /// The device is not Mentra glasses (a characteristic is missing or lacks a property).
    #[error("not Mentra glasses: {0}")]
    NotGlasses(String),
    /// The Bluetooth stack refused an operation.
    #[error("Bluetooth error: {0}")]
    Stack(String),
}

impl From<btleplug::Error> for BleError {
    fn from(e: btleplug::Error) -> Self {
        match e {
            btleplug::Error::NoAdapterAvailable => {
                BleError::NoBluetooth("no Bluetooth adapter found".into())
            }
            btleplug::Error::PermissionDenied => {
                BleError::NoBluetooth("permission denied: allow Bluetooth for this program".into())
            }
            btleplug::Error::TimedOut(_) => BleError::Timeout("Bluetooth operation"),
            other => BleError::Stack(other.to_string()),
        }
    }
}

/// Glasses seen during a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundGlasses {
    /// btleplug's id (pass it as `BleLinkConfig::device` to connect to these).
    pub id: String,
    /// Advertised name, if any.
    pub name: Option<String>,
    /// Signal strength, dBm.
    pub rssi: Option<i16>,
}

fn service_uuid() -> Uuid {
    Uuid::parse_str(gatt::SERVICE_UUID).unwrap_or_default()
}

fn cmd_uuid() -> Uuid {
    Uuid::parse_str(gatt::CMD_CHARACTERISTIC_UUID).unwrap_or_default()
}

fn evt_uuid() -> Uuid {
    Uuid::parse_str(gatt::EVT_CHARACTERISTIC_UUID).unwrap_or_default()
}

fn live_uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap_or_default()
}

/// The first Bluetooth adapter, or a sentence saying why there is none.
async fn adapter() -> Result<Adapter, BleError> {
    let manager = Manager::new().await.map_err(|e| {
        BleError::NoBluetooth(match e {
            btleplug::Error::Other(inner) if inner.to_string().contains("D-Bus") || inner.to_string().contains("dbus") || inner.to_string().contains("socket") => {
                "cannot reach the Bluetooth service (is bluetoothd running and the system bus available?)".into()
            }
            other => other.to_string(),
        })
    })?;
    let adapters = manager.adapters().await.map_err(BleError::from)?;
    adapters
        .into_iter()
        .next()
        .ok_or_else(|| BleError::NoBluetooth("no Bluetooth adapter found".into()))
}

/// Scans for Mentra glasses for `duration` and lists what was found.
pub async fn scan_for_glasses(duration: Duration) -> Result<Vec<FoundGlasses>, BleError> {
    let adapter = adapter().await?;
    scan(&adapter, duration, None, false)
        .await
        .map(|found| found.into_iter().map(|(_, g)| g).collect())
}

/// Scans (service filter as a hint; results post-filtered) for `duration`, or until a match
/// shows up when `first` is set. Returns the matching peripherals.
async fn scan(
    adapter: &Adapter,
    duration: Duration,
    wanted: Option<&str>,
    first: bool,
) -> Result<Vec<(Peripheral, FoundGlasses)>, BleError> {
    // No service filter: Mentra Live glasses are found by their name, as the phone apps do.
    adapter
        .start_scan(ScanFilter::default())
        .await
        .map_err(BleError::from)?;
    let deadline = Instant::now() + duration;
    let mut found = Vec::new();
    while Instant::now() < deadline {
        sleep(Duration::from_millis(250)).await;
        found = matching(adapter, wanted).await;
        if first && !found.is_empty() {
            break;
        }
    }
    let _ = timeout(Duration::from_secs(5), adapter.stop_scan()).await;
    Ok(found)
}

async fn matching(adapter: &Adapter, wanted: Option<&str>) -> Vec<(Peripheral, FoundGlasses)> {
    let mut out = Vec::new();
    let Ok(peripherals) = adapter.peripherals().await else {
        return out;
    };
    for p in peripherals {
        let Ok(Some(props)) = p.properties().await else {
            continue;
        };
        let name = props.local_name.clone();
        let ours = props.services.contains(&service_uuid())
            || props.services.contains(&live_uuid(live_gatt::SERVICE))
            || name.as_deref().is_some_and(|n| {
                n.to_ascii_uppercase().starts_with(gatt::NAME_PREFIX)
                    || live_gatt::is_mentra_live_name(n)
            });
        if !ours {
            continue;
        }
        let id = p.id().to_string();
        if let Some(w) = wanted {
            let address = props.address.to_string();
            if w != id && !w.eq_ignore_ascii_case(&address) && name.as_deref() != Some(w) {
                continue;
            }
        }
        out.push((
            p,
            FoundGlasses {
                id,
                name,
                rssi: props.rssi,
            },
        ));
    }
    out
}

/// A [`GlassesLink`](super::GlassesLink) over BLE.
pub struct BleLink {
    inner: TaskLink,
}

impl std::fmt::Debug for BleLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BleLink")
            .field("to", &self.inner.describe)
            .finish()
    }
}

impl BleLink {
    /// A link that finds and connects to glasses on first use, and keeps reconnecting.
    pub fn new(config: BleLinkConfig) -> Self {
        let describe = format!("ble:{}", config.device.as_deref().unwrap_or("any"));
        Self {
            inner: TaskLink::new(describe, Box::new(move |ends| Box::pin(run(config, ends)))),
        }
    }
}

task_link_impl!(BleLink);

/// Why a connection ended, and whether the link should give up.
enum Ended {
    /// It never came up; try again after the backoff.
    Failed(String),
    /// It was up and dropped; the backoff starts over.
    Dropped(String),
    /// The bridge is gone.
    Gone,
}

async fn run(mut config: BleLinkConfig, ends: TaskEnds) {
    let TaskEnds {
        up,
        dialect,
        mut control,
        events,
    } = ends;
    let mut backoff = Backoff::new(config.backoff.clone(), config.seed);
    let mut reported_down = false;
    loop {
        let reason = match adapter().await {
            Err(e) => e.to_string(),
            Ok(adapter) => {
                match connect_once(&mut config, &adapter, &up, &dialect, &mut control, &events)
                    .await
                {
                    Ended::Gone => return,
                    Ended::Failed(reason) => reason,
                    Ended::Dropped(reason) => {
                        backoff.reset();
                        reported_down = false;
                        reason
                    }
                }
            }
        };
        up.store(false, Ordering::SeqCst);
        if !reported_down {
            reported_down = true;
            if events
                .send(LinkEvent::Down {
                    reason: reason.clone(),
                })
                .await
                .is_err()
            {
                return;
            }
        }
        // At least 1 s after a drop: fast reconnects fail on Android (GATT_INVALID_PDU).
        let delay = backoff.next_delay().max(Duration::from_secs(1));
        debug!(%reason, retry_in = ?delay, "BLE glasses link down");
        let deadline = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = sleep_until(deadline) => break,
                c = control.recv() => if c.is_none() { return },
            }
        }
    }
}

/// Finds, connects, serves and tears down one connection.
async fn connect_once(
    config: &mut BleLinkConfig,
    adapter: &Adapter,
    up: &AtomicBool,
    dialect: &std::sync::atomic::AtomicU8,
    control: &mut mpsc::Receiver<Control>,
    events: &mpsc::Sender<LinkEvent>,
) -> Ended {
    let gatt = config.gatt_timeout;
    let found = match scan(adapter, config.scan_timeout, config.device.as_deref(), true).await {
        Ok(found) => found,
        Err(e) => return Ended::Failed(e.to_string()),
    };
    let Some((peripheral, glasses)) = found.into_iter().next() else {
        return Ended::Failed("no Mentra glasses found nearby".into());
    };
    info!(id = %glasses.id, name = ?glasses.name, "connecting to glasses");
    let result = async {
        timeout(config.connect_timeout, peripheral.connect())
            .await
            .map_err(|_| BleError::Timeout("connecting"))??;
        timeout(config.discover_timeout, peripheral.discover_services())
            .await
            .map_err(|_| BleError::Timeout("service discovery"))??;
        let (cmd, evt, speaks) = characteristics(&peripheral)?;
        let mtu = peripheral.mtu();
        timeout(gatt, peripheral.subscribe(&evt))
            .await
            .map_err(|_| BleError::Timeout("subscribing"))??;
        let notifications = timeout(gatt, peripheral.notifications())
            .await
            .map_err(|_| BleError::Timeout("opening notifications"))??;
        Ok::<_, BleError>((cmd, evt, speaks, mtu, notifications))
    }
    .await;
    let (cmd, evt, speaks, mtu, mut notifications) = match result {
        Ok(ok) => ok,
        Err(e) => {
            let _ = timeout(gatt, peripheral.disconnect()).await;
            return Ended::Failed(e.to_string());
        }
    };
    // Remember these glasses for reconnects.
    config.device = Some(glasses.id.clone());
    // Mentra Live frames are written with response (long writes up to 509 bytes).
    let write_type = if speaks == Dialect::MentraProto
        && cmd
            .properties
            .contains(CharPropFlags::WRITE_WITHOUT_RESPONSE)
    {
        WriteType::WithoutResponse
    } else {
        WriteType::WithResponse
    };
    // Adapter events are drained in their own task, so a burst never loses the disconnect.
    let (gone_tx, mut gone) = mpsc::channel::<()>(1);
    let id: PeripheralId = peripheral.id();
    let watcher = match adapter.events().await {
        Ok(mut stream) => Some(tokio::spawn(async move {
            while let Some(event) = stream.next().await {
                if let CentralEvent::DeviceDisconnected(d) = event {
                    if d == id {
                        let _ = gone_tx.send(()).await;
                        return;
                    }
                }
            }
        })),
        Err(e) => {
            warn!("cannot watch adapter events: {e}");
            None
        }
    };
    let (packets_tx, mut packets) = mpsc::channel::<Vec<u8>>(1024);
    let evt = evt.uuid;
    let pump = tokio::spawn(async move {
        while let Some(n) = notifications.next().await {
            if n.uuid == evt && packets_tx.send(n.value).await.is_err() {
                return;
            }
        }
    });

    dialect.store(speaks.to_u8(), Ordering::SeqCst);
    up.store(true, Ordering::SeqCst);
    info!(mtu, %speaks, "glasses connected over BLE");
    if events.send(LinkEvent::Up { mtu }).await.is_err() {
        return Ended::Gone;
    }
    let ended = loop {
        tokio::select! {
            c = control.recv() => match c {
                Some(Control::Packet(p)) => {
                    match timeout(gatt, peripheral.write(&cmd, &p, write_type)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => break Ended::Dropped(format!("write failed: {}", BleError::from(e))),
                        Err(_) => break Ended::Dropped("write timed out".into()),
                    }
                }
                Some(Control::Recycle) => break Ended::Dropped("the glasses went silent; reconnecting".into()),
                None => break Ended::Gone,
            },
            p = packets.recv() => match p {
                Some(p) => if events.send(LinkEvent::Packet(p)).await.is_err() { break Ended::Gone },
                None => break Ended::Dropped("notifications stopped".into()),
            },
            _ = gone.recv() => break Ended::Dropped("the glasses disconnected".into()),
        }
    };
    up.store(false, Ordering::SeqCst);
    pump.abort();
    if let Some(w) = watcher {
        w.abort();
    }
    let _ = timeout(gatt, peripheral.disconnect()).await;
    ended
}

/// The write and notify characteristics, checked for the properties we need, and the dialect
/// their service speaks: ours, else Mentra Live's.
fn characteristics(p: &Peripheral) -> Result<(Characteristic, Characteristic, Dialect), BleError> {
    let chars = p.characteristics();
    let find = |u: Uuid| chars.iter().find(|c| c.uuid == u);
    if find(cmd_uuid()).is_none() {
        if let (Some(tx), Some(rx)) = (
            find(live_uuid(live_gatt::TX)),
            find(live_uuid(live_gatt::RX)),
        ) {
            if !tx.properties.contains(CharPropFlags::WRITE) {
                return Err(BleError::NotGlasses(
                    "Mentra Live's 71FF characteristic is not writable with response".into(),
                ));
            }
            if !rx.properties.contains(CharPropFlags::NOTIFY) {
                return Err(BleError::NotGlasses(
                    "Mentra Live's 70FF characteristic does not notify".into(),
                ));
            }
            return Ok((tx.clone(), rx.clone(), Dialect::MentraLive));
        }
    }
    let cmd = chars
        .iter()
        .find(|c| c.uuid == cmd_uuid())
        .ok_or_else(|| BleError::NotGlasses("no command characteristic".into()))?;
    if !cmd
        .properties
        .intersects(CharPropFlags::WRITE | CharPropFlags::WRITE_WITHOUT_RESPONSE)
    {
        return Err(BleError::NotGlasses(
            "the command characteristic is not writable".into(),
        ));
    }
    let evt = chars
        .iter()
        .find(|c| c.uuid == evt_uuid())
        .ok_or_else(|| BleError::NotGlasses("no event characteristic".into()))?;
    if !evt.properties.contains(CharPropFlags::NOTIFY) {
        return Err(BleError::NotGlasses(
            "the event characteristic does not notify".into(),
        ));
    }
    Ok((cmd.clone(), evt.clone(), Dialect::MentraProto))
}
