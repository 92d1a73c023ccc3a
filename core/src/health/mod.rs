//! Glasses health: the [`HealthMonitor`] machine turns battery and temperature readings into
//! bands (normal / low / critical; normal / warn / throttle / critical) with hysteresis, so the
//! stream supervisor can warn, throttle or stop without flapping.

mod config;
mod hysteresis;
mod monitor;

pub use config::{HealthConfig, HealthConfigError};
pub use hysteresis::Hysteresis;
pub use monitor::{BatteryBand, HealthAlert, HealthInput, HealthMonitor, HeatBand};
