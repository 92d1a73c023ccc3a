//! The health monitor machine (sans-IO): readings in, band changes out. It decides nothing
//! about streams; the stream supervisor acts on the bands.

use std::collections::VecDeque;
use std::time::Instant;

use super::config::{HealthConfig, HealthConfigError};
use super::hysteresis::Hysteresis;

/// Battery band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatteryBand {
    /// Above the warn level.
    Normal,
    /// At or below the warn level: warn.
    Low,
    /// At or below the stop level: stop streams, refuse starts.
    Critical,
}

/// Temperature band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HeatBand {
    /// Below the warn level.
    Normal,
    /// At or above the warn level: warn.
    Warn,
    /// At or above the throttle level: lower the bitrate.
    Throttle,
    /// At or above the critical level: stop streams, refuse starts.
    Critical,
}

/// A reading from the glasses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HealthInput {
    /// Battery level, percent.
    Battery {
        /// 0–100.
        percent: u32,
    },
    /// Temperature, °C (a battery report or stream stats).
    Temperature {
        /// °C.
        celsius: f32,
    },
}

/// A band change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum HealthAlert {
    /// The battery entered this band.
    Battery(BatteryBand),
    /// The temperature entered this band.
    Heat(HeatBand),
}

/// Watches battery and temperature (sans-IO).
///
/// Feed readings with [`HealthMonitor::handle_input`], then drain
/// [`HealthMonitor::poll_output`]. It has no timers.
#[derive(Debug)]
pub struct HealthMonitor {
    config: HealthConfig,
    battery: Hysteresis,
    heat: Hysteresis,
    out: VecDeque<HealthAlert>,
}

impl HealthMonitor {
    /// A monitor with these thresholds.
    pub fn new(config: HealthConfig, _now: Instant) -> Result<Self, HealthConfigError> {
        config.validate()?;
        // Battery severity grows as the level falls: watch the negated level.
        let battery = Hysteresis::new(
            vec![
                -(config.battery_warn_percent as f32),
                -(config.battery_stop_percent as f32),
            ],
            config.battery_hysteresis_percent as f32,
        );
        let heat = Hysteresis::new(
            vec![
                config.temperature_warn_c,
                config.temperature_throttle_c,
                config.temperature_critical_c,
            ],
            config.temperature_hysteresis_c,
        );
        Ok(Self {
            config,
            battery,
            heat,
            out: VecDeque::new(),
        })
    }

    /// The thresholds in force.
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }

    /// The current battery band.
    pub fn battery(&self) -> BatteryBand {
        battery_band(self.battery.band())
    }

    /// The current temperature band.
    pub fn heat(&self) -> HeatBand {
        heat_band(self.heat.band())
    }

    /// Feeds one reading.
    pub fn handle_input(&mut self, _now: Instant, input: HealthInput) {
        match input {
            HealthInput::Battery { percent } => {
                if let Some(b) = self.battery.update(-(percent.min(100) as f32)) {
                    self.out.push_back(HealthAlert::Battery(battery_band(b)));
                }
            }
            HealthInput::Temperature { celsius } => {
                if let Some(b) = self.heat.update(celsius) {
                    self.out.push_back(HealthAlert::Heat(heat_band(b)));
                }
            }
        }
    }

    /// The next band change, if any.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<HealthAlert> {
        self.out.pop_front()
    }
}

fn battery_band(n: usize) -> BatteryBand {
    match n {
        0 => BatteryBand::Normal,
        1 => BatteryBand::Low,
        _ => BatteryBand::Critical,
    }
}

fn heat_band(n: usize) -> HeatBand {
    match n {
        0 => HeatBand::Normal,
        1 => HeatBand::Warn,
        2 => HeatBand::Throttle,
        _ => HeatBand::Critical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alerts(m: &mut HealthMonitor) -> Vec<HealthAlert> {
        std::iter::from_fn(|| m.poll_output()).collect()
    }

    #[test]
    fn battery_warns_at_10_stops_at_5_and_does_not_flap() {
        let now = Instant::now();
        let mut m = HealthMonitor::new(HealthConfig::default(), now).unwrap();
        for (percent, expect) in [
            (50, vec![]),
            (10, vec![HealthAlert::Battery(BatteryBand::Low)]),
            (11, vec![]),
            (10, vec![]),
            (5, vec![HealthAlert::Battery(BatteryBand::Critical)]),
            (6, vec![]),
            (7, vec![]),
            (9, vec![HealthAlert::Battery(BatteryBand::Low)]),
            (14, vec![HealthAlert::Battery(BatteryBand::Normal)]),
        ] {
            m.handle_input(now, HealthInput::Battery { percent });
            assert_eq!(alerts(&mut m), expect, "at {percent}%");
        }
    }

    #[test]
    fn bad_thresholds_are_refused_once() {
        let now = Instant::now();
        let bad = HealthConfig {
            temperature_throttle_c: 60.0,
            ..Default::default()
        };
        assert_eq!(
            HealthMonitor::new(bad, now).err(),
            Some(HealthConfigError::Temperature)
        );
        let bad = HealthConfig {
            battery_stop_percent: 20,
            ..Default::default()
        };
        assert_eq!(
            HealthMonitor::new(bad, now).err(),
            Some(HealthConfigError::Battery)
        );
    }
}
