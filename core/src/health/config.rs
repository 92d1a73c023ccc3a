//! Health thresholds. Every field documents its default; [`HealthConfig::validate`] checks
//! them once, when the monitor is built.

use thiserror::Error;

/// Battery and temperature thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// At or below this battery level (percent) the user is warned. Default 10 (reached only
    /// while charging: below the floor a stream is stopped first).
    pub battery_warn_percent: u32,
    /// Below this battery level (percent) a stream is stopped and starts are refused, unless
    /// the glasses are actively charging. Default 15, as today's Mentra Live firmware.
    pub battery_floor_percent: u32,
    /// The floor while the glasses report active charging. Default 4 (so 0–3 % is always
    /// refused), as today's Mentra Live firmware.
    pub battery_charging_floor_percent: u32,
    /// The battery must rise this many points above a threshold before its band is left, so
    /// a reading wobbling around the floor does not stop and allow streams in turn.
    /// Default 2.
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
    /// With no temperature reading for this long, the heat band is forgotten (back to
    /// normal): glasses that report heat only while streaming (Mentra Live: in the stats)
    /// would otherwise keep an overheat block forever. The next stream's first stats
    /// re-apply it within a second. Default 120 s; our firmware reports every 10 s.
    pub temperature_stale_after: std::time::Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            battery_warn_percent: 10,
            battery_floor_percent: 15,
            battery_charging_floor_percent: 4,
            battery_hysteresis_percent: 2,
            temperature_warn_c: 70.0,
            temperature_throttle_c: 80.0,
            temperature_critical_c: 88.0,
            temperature_hysteresis_c: 3.0,
            temperature_stale_after: std::time::Duration::from_secs(120),
        }
    }
}

/// A threshold that cannot work as configured.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HealthConfigError {
    /// The charging floor must not be above the floor, and every level at most 100.
    #[error("battery thresholds must satisfy charging floor <= floor <= 100 and warn <= 100")]
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
        if self.battery_charging_floor_percent > self.battery_floor_percent
            || self.battery_floor_percent > 100
            || self.battery_warn_percent > 100
            || self.battery_hysteresis_percent > 20
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
