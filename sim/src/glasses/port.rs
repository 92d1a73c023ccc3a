//! What the glasses simulator runs over: anything that yields connect / packet / disconnect
//! events and sends packets back (the simulated link's glasses end, or a TCP server).

use std::future::Future;

use crate::link::{GlassesPort, PortEvent};

/// The glasses side of a transport.
pub trait Port: Send + 'static {
    /// The next event; `None` when the transport is gone for good. Must be cancel-safe.
    fn next(&mut self) -> impl Future<Output = Option<PortEvent>> + Send;
    /// Sends one packet to the phone (dropped silently when no phone is connected).
    fn send(&mut self, packet: Vec<u8>) -> impl Future<Output = ()> + Send;
}

impl Port for GlassesPort {
    fn next(&mut self) -> impl Future<Output = Option<PortEvent>> + Send {
        GlassesPort::next(self)
    }

    fn send(&mut self, packet: Vec<u8>) -> impl Future<Output = ()> + Send {
        GlassesPort::send(self, packet)
    }
}
