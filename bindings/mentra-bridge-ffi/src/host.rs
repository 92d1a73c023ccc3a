//! The app's own BLE stack as the glasses link: the app implements [`HostTransport`] (write a
//! packet) and reports what its stack sees through the [`HostLinkHandle`].

use std::sync::Arc;

use mentra_bridge::glasses::{self, HostTransport as CoreTransport};

use crate::error::MentraError;

/// Implemented by the app: writes packets to the glasses' `cmd` characteristic.
#[uniffi::export(with_foreign)]
pub trait HostTransport: Send + Sync {
    /// Write one packet (≤ MTU − 3 bytes), in order. Queue it and return quickly.
    fn write(&self, packet: Vec<u8>) -> Result<(), MentraError>;
    /// The glasses went silent: drop the connection and reconnect.
    fn reconnect(&self);
}

/// Adapts the app's transport to the core's.
pub(crate) struct Adapter(pub(crate) Arc<dyn HostTransport>);

impl CoreTransport for Adapter {
    fn write(&self, packet: Vec<u8>) -> Result<(), String> {
        self.0.write(packet).map_err(|e| e.to_string())
    }

    fn reconnect(&self) -> Result<(), String> {
        self.0.reconnect();
        Ok(())
    }
}

/// How the app reports its BLE stack's events to the bridge. Callable from any thread.
#[derive(Debug, uniffi::Object)]
pub struct HostLinkHandle {
    pub(crate) inner: glasses::HostLinkHandle,
}

#[uniffi::export]
impl HostLinkHandle {
    /// Connected, services discovered, notifications on; `mtu` is the ATT MTU.
    pub fn connected(&self, mtu: u16) -> Result<(), MentraError> {
        self.inner.connected(mtu).map_err(link_error)
    }

    /// As `connected`, saying what the glasses speak: the app knows from the GATT service it
    /// discovered (Mentra Live's `00004860-…`, or ours).
    pub fn connected_as(
        &self,
        mtu: u16,
        dialect: crate::records::GlassesDialect,
    ) -> Result<(), MentraError> {
        self.inner
            .connected_as(mtu, dialect.into())
            .map_err(link_error)
    }

    /// A notification arrived on the `evt` characteristic.
    pub fn received(&self, packet: Vec<u8>) -> Result<(), MentraError> {
        self.inner.received(packet).map_err(link_error)
    }

    /// The connection dropped.
    pub fn disconnected(&self, reason: String) -> Result<(), MentraError> {
        self.inner.disconnected(reason).map_err(link_error)
    }
}

fn link_error(e: glasses::LinkError) -> MentraError {
    match e {
        glasses::LinkError::Closed => MentraError::Stopped {
            reason: "the bridge has stopped".into(),
        },
        other => MentraError::Internal {
            reason: other.to_string(),
        },
    }
}
