//! The bridge: wires the cloud client, the machines and a glasses link together on a small
//! tokio runtime, and publishes [`BridgeEvent`]s plus a [`BridgeState`] snapshot.

mod config;
mod error;
mod event;
mod handle;
mod publisher;
mod runloop;
mod state;
mod wifi;

pub use config::BridgeConfig;
pub use error::BridgeError;
pub use event::{
    BatteryReading, BridgeEvent, CloudConnectionState, GlassesConnectionState, LinkQuality,
    StopCause, TemperatureReading, ThermalLevel, Warning, WifiInfo,
};
pub use handle::{Bridge, BridgeHandle, spawn};
#[cfg(test)]
pub(crate) use handle::{SCAN_TIMEOUT, WIFI_TIMEOUT};
pub use publisher::Subscription;
pub use state::{BridgeState, Internals};
pub use wifi::{WifiCredentials, WifiNetwork, WifiSecurity};
