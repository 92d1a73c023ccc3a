//! Health thresholds. Every field documents its default; [`HealthConfig::validate`] checks
//! them once, when the monitor is built.

use thiserror::Error;

/// Battery and temperature thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// At or below this battery level (percent) the user is warned. Default 10.
    pub battery_warn_percent: u32,
    /// At or below this battery level (percent) a stream is stopped and starts are refused.
    /// Default 5.
    pub battery_stop_percent: u32,
    /// The battery must rise this many points above a threshold before its band is left.
    /// Default 3.
    pub battery_hysteresis_percent: u32,
    /// At or above this temperature (°C) the user is warned. Default 70.
    pub temperature_warn_c: f32,
    /// At or above this temperature (°C) the glasses are asked for a lower bitrate. Default 80.
    pub temperature_throttle_c: f32,
    /// At or above this temperature (°C) a stream is stopped and starts are refused.
    /// Default 88.
    pub temperature_critical_c: f32,
    /// The temperature must fall this far below a threshold before its band is left.
    /// Default 3 °C.
    pub temperature_hysteresis_c: f32,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            battery_warn_percent: 10,
            battery_stop_percent: 5,
            battery_hysteresis_percent: 3,
            temperature_warn_c: 70.0,
            temperature_throttle_c: 80.0,
            temperature_critical_c: 88.0,
            temperature_hysteresis_c: 3.0,
        }
    }
}

/// A threshold that cannot work as configured.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HealthConfigError {
    /// The battery stop level must be below the warn level, both at most 100.
    #[error("battery thresholds must satisfy stop < warn <= 100")]
    Battery,
    /// Temperatures must satisfy warn < throttle < critical, all finite.
    #[error("temperature thresholds must satisfy warn < throttle < critical")]
    Temperature,
    /// Hysteresis must be finite and not negative.
    #[error("hysteresis must be finite and not negative")]
    Hysteresis,
}

impl HealthConfig {
    /// Checks the thresholds.
    pub fn validate(&self) -> Result<(), HealthConfigError> {
        if self.battery_stop_percent >= self.battery_warn_percent || self.battery_warn_percent > 100
        {
            return Err(HealthConfigError::Battery);
        }
        let t = [
            self.temperature_warn_c,
            self.temperature_throttle_c,
            self.temperature_critical_c,
        ];
        if !(t.iter().all(|v| v.is_finite()) && t[0] < t[1] && t[1] < t[2]) {
            return Err(HealthConfigError::Temperature);
        }
        if !self.temperature_hysteresis_c.is_finite() || self.temperature_hysteresis_c < 0.0 {
            return Err(HealthConfigError::Hysteresis);
        }
        Ok(())
    }
}
