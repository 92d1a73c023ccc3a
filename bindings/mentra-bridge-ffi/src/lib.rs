//! The UniFFI surface of Mentra Bridge: small wrappers over `mentra-bridge` (the core knows
//! nothing of FFI). One file per concept: the bridge object, listeners and their handles, the
//! host BLE link, logging, errors, and the records that mirror the core's types.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

uniffi::setup_scaffolding!("mentra_bridge");

mod bridge;
mod error;
mod host;
mod listener;
mod logging;
mod records;
#[cfg(feature = "simulators")]
mod testing;
mod version;

pub use bridge::MentraBridge;
pub use error::MentraError;
pub use host::{
    DisconnectReason, GattProfile, HostError, HostLinkHandle, HostTransport, gatt_profiles,
};
pub use listener::{BridgeListener, TaskHandle};
pub use logging::{LogLevel, LogSink, init_logging};
pub use records::*;
pub use version::{VersionInfo, version};
