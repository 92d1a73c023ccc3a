//! The transport seam: anything that can carry packets to and from the glasses. Links own
//! their own connection management (scan, connect, reconnect) and report it as events.

use std::future::Future;
use std::pin::Pin;

use super::dialect::Dialect;
use super::error::LinkError;

/// A boxed, sendable future (what [`GlassesLink`] methods return, so the trait stays
/// object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that happened on the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    /// The link is (re)connected and ready for packets of at most `min(mtu − 3, 512)` bytes.
    Up {
        /// ATT MTU, read after service discovery (23 if the platform reports none).
        mtu: u16,
    },
    /// One packet (BLE notification, or one length-prefixed frame on TCP).
    Packet(Vec<u8>),
    /// The link dropped. The link keeps trying to reconnect by itself.
    Down {
        /// Why, for logs and the UI.
        reason: String,
    },
    /// The ATT MTU changed on the live connection; packets may be up to `min(mtu − 3, 512)`
    /// bytes from now on. The session goes on.
    MtuChanged {
        /// The new ATT MTU.
        mtu: u16,
    },
}

/// A transport to the glasses: BLE (btleplug), TCP, the host app's BLE stack, or a simulator.
///
/// Contract:
/// - [`GlassesLink::next_event`] is cancel-safe (dropping the future loses nothing), because the
///   bridge polls it inside `select!`;
/// - it yields `Up` before any `Packet`, and `Down` when the connection drops; it returns
///   `None` only when the link is closed for good;
/// - [`GlassesLink::send`] sends packets in call order (a single FIFO writer).
pub trait GlassesLink: Send + 'static {
    /// A short description for logs, e.g. `sim`, `tcp://127.0.0.1:7000`.
    fn describe(&self) -> String;

    /// Sends one packet (≤ `min(mtu − 3, 512)` bytes).
    fn send(&mut self, packet: Vec<u8>) -> BoxFuture<'_, Result<(), LinkError>>;

    /// Waits for the next event. Cancel-safe.
    fn next_event(&mut self) -> BoxFuture<'_, Option<LinkEvent>>;

    /// Asks the link to drop the connection and reconnect (the session saw the glasses go
    /// silent). An error says the link could not (the app's BLE stack failed or threw); the
    /// bridge reports it and keeps going. The default does nothing.
    fn recycle(&mut self) -> BoxFuture<'_, Result<(), LinkError>> {
        Box::pin(async { Ok(()) })
    }

    /// The dialect the current connection speaks, when the link knows it (BLE from the GATT
    /// service it found; TCP and host links from their setting). Read at every `Up`. The
    /// default, `None`, leaves it to the bridge's setting (our protobuf schema by default).
    fn dialect(&self) -> Option<Dialect> {
        None
    }

    /// `Some(false)` when the link is known to carry bytes in clear (plain TCP), whatever the
    /// glasses declare; the bridge then refuses to send Wi-Fi credentials over it unless
    /// allowed. The default, `None`, leaves it to the glasses' declaration.
    fn link_encrypted(&self) -> Option<bool> {
        None
    }
}
