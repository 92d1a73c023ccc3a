//! The app moves the bytes: a link for hosts that already own a BLE stack (Nordic's library on
//! Android, CoreBluetooth on iOS). The host implements [`HostTransport`] to write packets, and
//! reports connection changes, MTU changes, received packets and (optionally) write completions
//! through a [`HostLinkHandle`]; a write window paces the app's writes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::dialect::Dialect;
use super::error::LinkError;
use super::link::{BoxFuture, GlassesLink, LinkEvent};

/// What the host's BLE stack does for the bridge. Called on a bridge thread; must not block
/// for long (queue the write and return).
pub trait HostTransport: Send + Sync + 'static {
    /// Writes one packet (≤ `min(MTU − 3, 512)` bytes) to the glasses' `cmd` characteristic,
    /// in call order. An error is reported to the user, and the session retries what needs
    /// it; report a lost connection with [`HostLinkHandle::disconnected`]. With a write
    /// window ([`HostLinkConfig::write_window`]), report each write's end with
    /// [`HostLinkHandle::write_completed`].
    fn write(&self, packet: Vec<u8>) -> Result<(), String>;

    /// The glasses went silent: drop the connection and reconnect. An error is reported to
    /// the user; the bridge waits for the app's next `connected`. The default does nothing.
    fn reconnect(&self) -> Result<(), String> {
        Ok(())
    }
}

/// How a host link paces the app's writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostLinkConfig {
    /// Writes handed to the app and not yet reported done through
    /// [`HostLinkHandle::write_completed`], at most; later packets wait in the bridge (at
    /// most [`HOST_PENDING`]). 0: the app does not report completions, every packet goes to
    /// it at once. Default 0.
    pub write_window: usize,
    /// A write not reported done within this long counts as done (failed), so an app that
    /// loses a completion never stalls the bridge. Default 2 s.
    pub write_timeout: Duration,
}

impl Default for HostLinkConfig {
    fn default() -> Self {
        Self {
            write_window: 0,
            write_timeout: Duration::from_secs(2),
        }
    }
}

/// Events buffered from the host before the bridge reads them.
const HOST_QUEUE: usize = 1024;
/// Packets waiting for room in the write window, at most.
pub const HOST_PENDING: usize = 256;

/// What the host reports, as the link reads it.
#[derive(Debug)]
enum HostEvent {
    Link(LinkEvent),
    /// A write finished (`Err`: the stack said it failed).
    Written(Result<(), String>),
}

/// Creates a host link and the handle the host reports through (no write window).
pub fn host_link(transport: Arc<dyn HostTransport>) -> (HostLink, HostLinkHandle) {
    host_link_with(transport, HostLinkConfig::default())
}

/// As [`host_link`], pacing writes as `config` says.
pub fn host_link_with(
    transport: Arc<dyn HostTransport>,
    config: HostLinkConfig,
) -> (HostLink, HostLinkHandle) {
    let (tx, events) = mpsc::channel(HOST_QUEUE);
    let up = Arc::new(AtomicBool::new(false));
    let dialect = Arc::new(AtomicU8::new(0));
    (
        HostLink {
            transport,
            config,
            events,
            up: Arc::clone(&up),
            dialect: Arc::clone(&dialect),
            in_flight: VecDeque::new(),
            waiting: VecDeque::new(),
            write_errors: VecDeque::new(),
            timed_out: 0,
        },
        HostLinkHandle { tx, up, dialect },
    )
}

/// A [`GlassesLink`] whose bytes the host app moves.
pub struct HostLink {
    transport: Arc<dyn HostTransport>,
    config: HostLinkConfig,
    events: mpsc::Receiver<HostEvent>,
    up: Arc<AtomicBool>,
    dialect: Arc<AtomicU8>,
    /// When each write still in the app's hands was handed over, oldest first.
    in_flight: VecDeque<Instant>,
    /// Packets waiting for room in the window.
    waiting: VecDeque<Vec<u8>>,
    /// Failures of paced writes, reported at the next send.
    write_errors: VecDeque<String>,
    /// Writes counted done by the timeout whose completion may still come: that many late
    /// completions free nothing.
    timed_out: usize,
}

impl std::fmt::Debug for HostLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostLink")
    }
}

impl HostLink {
    /// Hands one packet to the app, catching whatever its code does.
    fn write_now(&mut self, packet: Vec<u8>) -> Result<(), LinkError> {
        let transport = &self.transport;
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            transport.write(packet)
        })) {
            Ok(r) => r.map_err(LinkError::Io),
            Err(panic) => Err(LinkError::Io(format!(
                "the app's transport threw: {}",
                panic_text(panic.as_ref())
            ))),
        };
        if result.is_ok() && self.config.write_window > 0 {
            self.in_flight.push_back(Instant::now());
        }
        result
    }

    /// Writes what waits while the window has room; a failure is kept for the next send.
    fn flush(&mut self) {
        while self.in_flight.len() < self.config.write_window {
            let Some(packet) = self.waiting.pop_front() else {
                return;
            };
            if let Err(e) = self.write_now(packet) {
                self.write_errors.push_back(e.to_string());
                self.write_errors.truncate(8);
            }
        }
    }

    /// Forgets the window's state (the connection changed).
    fn reset_window(&mut self) {
        self.in_flight.clear();
        self.waiting.clear();
        self.timed_out = 0;
    }
}

impl GlassesLink for HostLink {
    fn describe(&self) -> String {
        "host".to_owned()
    }

    fn send(&mut self, packet: Vec<u8>) -> BoxFuture<'_, Result<(), LinkError>> {
        let result = if !self.up.load(Ordering::SeqCst) {
            Err(LinkError::NotConnected)
        } else if let Some(e) = self.write_errors.pop_front() {
            // A paced write failed since the last send: say so now, and carry on.
            self.waiting.push_back(packet);
            self.flush();
            Err(LinkError::Io(e))
        } else if self.config.write_window == 0 {
            self.write_now(packet)
        } else if self.waiting.len() >= HOST_PENDING {
            Err(LinkError::Io(format!(
                "the app has not finished a write for a while ({HOST_PENDING} packets wait)"
            )))
        } else {
            self.waiting.push_back(packet);
            self.flush();
            Ok(())
        };
        Box::pin(async move { result })
    }

    fn next_event(&mut self) -> BoxFuture<'_, Option<LinkEvent>> {
        Box::pin(async move {
            loop {
                // The oldest write the app holds counts as done once it is overdue.
                let overdue = self
                    .in_flight
                    .front()
                    .map(|t| *t + self.config.write_timeout);
                let event = tokio::select! {
                    event = self.events.recv() => event,
                    () = async {
                        match overdue {
                            Some(at) => tokio::time::sleep_until(at).await,
                            None => std::future::pending().await,
                        }
                    } => {
                        self.in_flight.pop_front();
                        self.timed_out += 1;
                        tracing::warn!("the app did not report a write done in time; going on");
                        self.flush();
                        continue;
                    }
                };
                match event? {
                    // Without a window there is nothing to pace; a completion for a write the
                    // timeout already let go, or with nothing in flight (an old connection's,
                    // another characteristic's), frees nothing.
                    HostEvent::Written(_) if self.config.write_window == 0 => {}
                    HostEvent::Written(_) if self.timed_out > 0 => self.timed_out -= 1,
                    HostEvent::Written(_) if self.in_flight.is_empty() => {}
                    HostEvent::Written(result) => {
                        self.in_flight.pop_front();
                        if let Err(e) = result {
                            self.write_errors
                                .push_back(format!("the app's write failed: {e}"));
                            self.write_errors.truncate(8);
                        }
                        self.flush();
                    }
                    HostEvent::Link(event) => {
                        if matches!(event, LinkEvent::Up { .. } | LinkEvent::Down { .. }) {
                            self.reset_window();
                            self.write_errors.clear();
                        }
                        return Some(event);
                    }
                }
            }
        })
    }

    fn recycle(&mut self) -> BoxFuture<'_, Result<(), LinkError>> {
        let transport = &self.transport;
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            transport.reconnect()
        })) {
            Ok(r) => r.map_err(|e| LinkError::Io(format!("the app's reconnect failed: {e}"))),
            Err(panic) => Err(LinkError::Io(format!(
                "the app's transport threw from reconnect: {}",
                panic_text(panic.as_ref())
            ))),
        };
        Box::pin(async move { result })
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
    tx: mpsc::Sender<HostEvent>,
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

    /// The ATT MTU changed on the live connection; the session goes on with the new size.
    pub fn mtu_changed(&self, mtu: u16) -> Result<(), LinkError> {
        self.push(LinkEvent::MtuChanged { mtu })
    }

    /// A write handed over by [`HostTransport::write`] finished (the GATT write callback, or
    /// the stack's "ready to send" signal); `Err` when the stack says it failed. Needed only
    /// with a write window ([`HostLinkConfig::write_window`]).
    pub fn write_completed(&self, result: Result<(), String>) -> Result<(), LinkError> {
        self.push_host(HostEvent::Written(result))
    }

    /// The connection dropped.
    pub fn disconnected(&self, reason: impl Into<String>) -> Result<(), LinkError> {
        self.up.store(false, Ordering::SeqCst);
        self.push(LinkEvent::Down {
            reason: reason.into(),
        })
    }

    fn push(&self, event: LinkEvent) -> Result<(), LinkError> {
        self.push_host(HostEvent::Link(event))
    }

    fn push_host(&self, event: HostEvent) -> Result<(), LinkError> {
        self.tx.try_send(event).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                LinkError::Io("the bridge is not keeping up; event dropped".into())
            }
            mpsc::error::TrySendError::Closed(_) => LinkError::Closed,
        })
    }
}
