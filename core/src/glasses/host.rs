//! The app moves the bytes: a link for hosts that already own a BLE stack (Nordic's library on
//! Android, CoreBluetooth on iOS). The host implements [`HostTransport`] to write packets, and
//! reports connection changes and received packets through a [`HostLinkHandle`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use tokio::sync::mpsc;

use super::dialect::Dialect;
use super::error::LinkError;
use super::link::{BoxFuture, GlassesLink, LinkEvent};

/// What the host's BLE stack does for the bridge. Called on a bridge thread; must not block
/// for long (queue the write and return).
pub trait HostTransport: Send + Sync + 'static {
    /// Writes one packet (≤ `min(MTU − 3, 512)` bytes) to the glasses' `cmd` characteristic,
    /// in call order. An error is logged; report a lost connection with
    /// [`HostLinkHandle::disconnected`].
    fn write(&self, packet: Vec<u8>) -> Result<(), String>;

    /// The glasses went silent: drop the connection and reconnect. The default does nothing.
    fn reconnect(&self) {}
}

/// Events buffered from the host before the bridge reads them.
const HOST_QUEUE: usize = 1024;

/// Creates a host link and the handle the host reports through.
pub fn host_link(transport: Arc<dyn HostTransport>) -> (HostLink, HostLinkHandle) {
    let (tx, events) = mpsc::channel(HOST_QUEUE);
    let up = Arc::new(AtomicBool::new(false));
    let dialect = Arc::new(AtomicU8::new(0));
    (
        HostLink {
            transport,
            events,
            up: Arc::clone(&up),
            dialect: Arc::clone(&dialect),
        },
        HostLinkHandle { tx, up, dialect },
    )
}

/// A [`GlassesLink`] whose bytes the host app moves.
pub struct HostLink {
    transport: Arc<dyn HostTransport>,
    events: mpsc::Receiver<LinkEvent>,
    up: Arc<AtomicBool>,
    dialect: Arc<AtomicU8>,
}

impl std::fmt::Debug for HostLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostLink")
    }
}

impl GlassesLink for HostLink {
    fn describe(&self) -> String {
        "host".to_owned()
    }

    fn send(&mut self, packet: Vec<u8>) -> BoxFuture<'_, Result<(), LinkError>> {
        let result = if self.up.load(Ordering::SeqCst) {
            // App code: whatever it does (even throw), the bridge goes on.
            let transport = &self.transport;
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| transport.write(packet)))
            {
                Ok(r) => r.map_err(LinkError::Io),
                Err(panic) => Err(LinkError::Io(format!(
                    "the app's transport threw: {}",
                    panic_text(panic.as_ref())
                ))),
            }
        } else {
            Err(LinkError::NotConnected)
        };
        Box::pin(async move { result })
    }

    fn next_event(&mut self) -> BoxFuture<'_, Option<LinkEvent>> {
        Box::pin(self.events.recv())
    }

    fn recycle(&mut self) -> BoxFuture<'_, ()> {
        let transport = &self.transport;
        if let Err(panic) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| transport.reconnect()))
        {
            tracing::warn!(
                "the app's transport threw from reconnect: {}",
                panic_text(panic.as_ref())
            );
        }
        Box::pin(async {})
    }

    fn dialect(&self) -> Option<Dialect> {
        Dialect::from_u8(self.dialect.load(Ordering::SeqCst))
    }
}

/// The message of a caught panic (redacted: app code may format anything).
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "no message".to_owned());
    crate::redact::redact_text(&text)
}

/// How the host tells the bridge what its BLE stack saw. Cheap to clone; callable from any
/// thread.
#[derive(Debug, Clone)]
pub struct HostLinkHandle {
    tx: mpsc::Sender<LinkEvent>,
    up: Arc<AtomicBool>,
    dialect: Arc<AtomicU8>,
}

impl HostLinkHandle {
    /// The glasses are connected, services discovered, notifications on; `mtu` is the ATT MTU.
    /// The dialect is the last one given to [`HostLinkHandle::connected_as`], or the bridge's
    /// setting.
    pub fn connected(&self, mtu: u16) -> Result<(), LinkError> {
        self.up.store(true, Ordering::SeqCst);
        self.push(LinkEvent::Up { mtu })
    }

    /// As [`HostLinkHandle::connected`], saying which dialect the glasses speak: the app
    /// knows from the GATT service it discovered (ours, or Mentra Live's
    /// [`gatt::SERVICE`](crate::glasses::live::gatt::SERVICE)). For Mentra Live, write
    /// each packet with response to `71FF` and report notifications of `70FF`.
    pub fn connected_as(&self, mtu: u16, dialect: Dialect) -> Result<(), LinkError> {
        self.dialect.store(dialect.to_u8(), Ordering::SeqCst);
        self.connected(mtu)
    }

    /// A notification arrived on the `evt` characteristic.
    pub fn received(&self, packet: Vec<u8>) -> Result<(), LinkError> {
        self.push(LinkEvent::Packet(packet))
    }

    /// The connection dropped.
    pub fn disconnected(&self, reason: impl Into<String>) -> Result<(), LinkError> {
        self.up.store(false, Ordering::SeqCst);
        self.push(LinkEvent::Down {
            reason: reason.into(),
        })
    }

    fn push(&self, event: LinkEvent) -> Result<(), LinkError> {
        self.tx.try_send(event).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                LinkError::Io("the bridge is not keeping up; event dropped".into())
            }
            mpsc::error::TrySendError::Closed(_) => LinkError::Closed,
        })
    }
}
