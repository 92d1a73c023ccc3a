//! Glasses health: the [`HealthMonitor`] machine turns battery and temperature readings into
//! bands (normal / low / critical, with today's firmware's battery gate; normal / warn /
//! throttle / critical) with hysteresis, so the stream supervisor can warn, throttle or stop
//! without flapping.

mod battery;
mod config;
mod hysteresis;
mod monitor;

pub use battery::{BatteryBand, BatteryVerdict};
pub use config::{HealthConfig, HealthConfigError};
pub use hysteresis::Hysteresis;
pub use monitor::{HealthAlert, HealthInput, HealthMonitor, HeatBand};
