//! The health monitor machine (sans-IO): readings in, band changes out. It decides nothing
//! about streams; the stream supervisor acts on the bands.

use std::collections::VecDeque;
use std::time::Instant;

use super::battery::{BatteryBand, BatteryGate, BatteryVerdict};
use super::config::{HealthConfig, HealthConfigError};
use super::hysteresis::Hysteresis;

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
        /// Current is flowing into the battery (the lower charging floor applies).
        actively_charging: bool,
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
    Battery(BatteryVerdict),
    /// The temperature entered this band.
    Heat(HeatBand),
}

/// Watches battery and temperature (sans-IO).
///
/// Feed readings with [`HealthMonitor::handle_input`], then drain
/// [`HealthMonitor::poll_output`]. Its one timer forgets a heat band no reading has
/// confirmed for `temperature_stale_after` ([`HealthMonitor::poll_timeout`]).
#[derive(Debug)]
pub struct HealthMonitor {
    config: HealthConfig,
    battery: BatteryGate,
    heat: Hysteresis,
    last_temperature: Option<Instant>,
    out: VecDeque<HealthAlert>,
}

impl HealthMonitor {
    /// A monitor with these thresholds.
    pub fn new(config: HealthConfig, _now: Instant) -> Result<Self, HealthConfigError> {
        config.validate()?;
        let battery = BatteryGate::new();
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
            last_temperature: None,
            out: VecDeque::new(),
        })
    }

    /// The thresholds in force.
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }

    /// The current battery band.
    pub fn battery(&self) -> BatteryBand {
        self.battery.band()
    }

    /// The current temperature band.
    pub fn heat(&self) -> HeatBand {
        heat_band(self.heat.band())
    }

    /// Feeds one reading.
    pub fn handle_input(&mut self, now: Instant, input: HealthInput) {
        match input {
            HealthInput::Battery {
                percent,
                actively_charging,
            } => {
                let was = self.battery.band();
                let verdict = self
                    .battery
                    .update(&self.config, percent, actively_charging);
                if verdict.band != was {
                    self.out.push_back(HealthAlert::Battery(verdict));
                }
            }
            HealthInput::Temperature { celsius } => {
                if celsius.is_finite() {
                    self.last_temperature = Some(now);
                }
                if let Some(b) = self.heat.update(celsius) {
                    self.out.push_back(HealthAlert::Heat(heat_band(b)));
                }
            }
        }
    }

    /// When a heat band above normal goes stale, if one does.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let last = self.last_temperature.filter(|_| self.heat.band() != 0)?;
        Some(last + self.config.temperature_stale_after)
    }

    /// Forgets a heat band no reading confirmed for `temperature_stale_after`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|at| now >= at) {
            if let Some(b) = self.heat.reset() {
                tracing::info!(
                    "no temperature reading for {:?}: the heat band is forgotten",
                    self.config.temperature_stale_after
                );
                self.out.push_back(HealthAlert::Heat(heat_band(b)));
            }
        }
    }

    /// The next band change, if any.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<HealthAlert> {
        self.out.pop_front()
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
    use std::time::Duration;

    fn alerts(m: &mut HealthMonitor) -> Vec<HealthAlert> {
        std::iter::from_fn(|| m.poll_output()).collect()
    }

    #[test]
    fn a_heat_band_no_reading_confirms_is_forgotten() {
        let t0 = Instant::now();
        let mut m = HealthMonitor::new(HealthConfig::default(), t0).unwrap();
        assert_eq!(m.poll_timeout(), None);
        m.handle_input(t0, HealthInput::Temperature { celsius: 90.0 });
        assert_eq!(alerts(&mut m), [HealthAlert::Heat(HeatBand::Critical)]);
        let stale = t0 + Duration::from_secs(120);
        assert_eq!(m.poll_timeout(), Some(stale));
        m.handle_timeout(stale - Duration::from_secs(1));
        assert!(alerts(&mut m).is_empty());
        m.handle_timeout(stale);
        assert_eq!(alerts(&mut m), [HealthAlert::Heat(HeatBand::Normal)]);
        assert_eq!(m.poll_timeout(), None, "nothing to forget at normal");
    }

    #[test]
    fn battery_band_changes_are_reported_once_each() {
        let now = Instant::now();
        let mut m = HealthMonitor::new(HealthConfig::default(), now).unwrap();
        let bands = |m: &mut HealthMonitor| -> Vec<BatteryBand> {
            alerts(m)
                .into_iter()
                .filter_map(|a| match a {
                    HealthAlert::Battery(v) => Some(v.band),
                    HealthAlert::Heat(_) => None,
                })
                .collect()
        };
        for (percent, charging, expect) in [
            (50, false, vec![]),
            (15, false, vec![]),
            (14, false, vec![BatteryBand::Critical]),
            (16, false, vec![]),
            (14, false, vec![]),
            (14, true, vec![BatteryBand::Normal]),
            (9, true, vec![BatteryBand::Low]),
            (3, true, vec![BatteryBand::Critical]),
        ] {
            m.handle_input(
                now,
                HealthInput::Battery {
                    percent,
                    actively_charging: charging,
                },
            );
            assert_eq!(bands(&mut m), expect, "at {percent}% charging={charging}");
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
            battery_charging_floor_percent: 20,
            ..Default::default()
        };
        assert_eq!(
            HealthMonitor::new(bad, now).err(),
            Some(HealthConfigError::Battery)
        );
    }
}
