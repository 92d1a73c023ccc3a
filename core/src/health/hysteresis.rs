//! Bands with hysteresis: a value enters a higher band as soon as it reaches the band's
//! threshold, and leaves it only once it is a margin below, so a reading that wobbles around a
//! threshold does not flap.

/// Ascending thresholds; band `n` means `n` thresholds are reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Hysteresis {
    thresholds: Vec<f32>,
    margin: f32,
    band: usize,
}

impl Hysteresis {
    /// Bands over `thresholds` (ascending) with this margin, starting in band 0.
    pub fn new(thresholds: Vec<f32>, margin: f32) -> Self {
        Self {
            thresholds,
            margin: margin.max(0.0),
            band: 0,
        }
    }

    /// The current band.
    pub fn band(&self) -> usize {
        self.band
    }

    /// Forgets the value (nothing is known): back to band 0. Returns it if that changed.
    pub fn reset(&mut self) -> Option<usize> {
        (self.band != 0).then(|| {
            self.band = 0;
            0
        })
    }

    /// Feeds a reading; returns the new band if it changed. Non-finite readings are ignored.
    pub fn update(&mut self, value: f32) -> Option<usize> {
        if !value.is_finite() {
            return None;
        }
        let reached = self.thresholds.iter().filter(|t| value >= **t).count();
        let mut band = self.band;
        if reached > band {
            band = reached;
        } else {
            while band > reached && value < self.thresholds[band - 1] - self.margin {
                band -= 1;
            }
        }
        (band != self.band).then(|| {
            self.band = band;
            band
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rises_at_once_and_falls_only_past_the_margin() {
        let mut h = Hysteresis::new(vec![70.0, 80.0, 88.0], 3.0);
        assert_eq!(h.update(69.9), None);
        assert_eq!(h.update(70.0), Some(1));
        assert_eq!(h.update(68.0), None, "inside the margin");
        assert_eq!(h.update(70.5), None);
        assert_eq!(h.update(66.9), Some(0));
        assert_eq!(h.update(90.0), Some(3), "jumps straight to critical");
        assert_eq!(h.update(86.0), None);
        assert_eq!(h.update(84.0), Some(2));
        assert_eq!(h.update(60.0), Some(0));
        assert_eq!(h.update(f32::NAN), None);
    }
}
