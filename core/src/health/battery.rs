//! The battery gate of today's Mentra Live firmware, on the phone: a stream needs the floor
//! (15 %), or the charging floor (4 %) while the glasses are actively charging; below it a
//! stream is stopped and starts are refused; at or below the warn level (10 %) the user is
//! warned. Leaving a band needs the hysteresis margin, so a wobbling reading does not flap.

use super::config::HealthConfig;

/// Battery band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatteryBand {
    /// Above the warn level.
    Normal,
    /// At or below the warn level (but at or above the floor): warn.
    Low,
    /// Below the floor: stop streams, refuse starts.
    Critical,
}

/// A battery reading as the gate judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatteryVerdict {
    /// The band.
    pub band: BatteryBand,
    /// The reading, percent.
    pub percent: u32,
    /// The floor that applied to it (the charging floor while actively charging).
    pub floor: u32,
    /// The level at which a start is allowed again (the floor plus the margin once below
    /// it).
    pub resume_at: u32,
}

/// The gate's state: the band of the last reading.
#[derive(Debug, Clone)]
pub(crate) struct BatteryGate {
    band: BatteryBand,
}

impl BatteryGate {
    pub(crate) fn new() -> Self {
        Self {
            band: BatteryBand::Normal,
        }
    }

    pub(crate) fn band(&self) -> BatteryBand {
        self.band
    }

    /// Judges a reading; the verdict's band is the new band.
    pub(crate) fn update(
        &mut self,
        config: &HealthConfig,
        percent: u32,
        actively_charging: bool,
    ) -> BatteryVerdict {
        let percent = percent.min(100);
        let floor = if actively_charging {
            config.battery_charging_floor_percent
        } else {
            config.battery_floor_percent
        };
        let margin = config.battery_hysteresis_percent;
        let was = self.band;
        let band = if percent < floor || (was == BatteryBand::Critical && percent < floor + margin)
        {
            BatteryBand::Critical
        } else if percent <= config.battery_warn_percent
            || (was != BatteryBand::Normal && percent <= config.battery_warn_percent + margin)
        {
            BatteryBand::Low
        } else {
            BatteryBand::Normal
        };
        self.band = band;
        BatteryVerdict {
            band,
            percent,
            floor,
            resume_at: if band == BatteryBand::Critical {
                floor + margin
            } else {
                floor
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_is_15_or_4_while_charging_and_3_is_always_refused() {
        let c = HealthConfig::default();
        for (percent, charging, band) in [
            (15, false, BatteryBand::Normal),
            (14, false, BatteryBand::Critical),
            (4, false, BatteryBand::Critical),
            (3, false, BatteryBand::Critical),
            (15, true, BatteryBand::Normal),
            (14, true, BatteryBand::Normal),
            (10, true, BatteryBand::Low),
            (4, true, BatteryBand::Low),
            (3, true, BatteryBand::Critical),
            (0, true, BatteryBand::Critical),
        ] {
            let mut g = BatteryGate::new();
            assert_eq!(
                g.update(&c, percent, charging).band,
                band,
                "{percent}% charging={charging}"
            );
        }
    }

    #[test]
    fn leaving_a_band_needs_the_margin() {
        let c = HealthConfig::default();
        let mut g = BatteryGate::new();
        assert_eq!(g.update(&c, 14, false).band, BatteryBand::Critical);
        let v = g.update(&c, 16, false);
        assert_eq!((v.band, v.resume_at), (BatteryBand::Critical, 17));
        assert_eq!(g.update(&c, 17, false).band, BatteryBand::Normal);
        // Plugged in at 10 %: the charging floor applies at once.
        assert_eq!(g.update(&c, 10, false).band, BatteryBand::Critical);
        assert_eq!(g.update(&c, 10, true).band, BatteryBand::Low);
        assert_eq!(
            g.update(&c, 11, true).band,
            BatteryBand::Low,
            "inside the margin"
        );
        assert_eq!(g.update(&c, 13, true).band, BatteryBand::Normal);
    }
}
