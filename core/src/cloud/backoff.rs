//! Reconnect delays: exponential growth with jitter from a seeded generator, so a simulation
//! replays exactly and a fleet of phones does not reconnect in lockstep.

use std::time::Duration;

use crate::rng::SeededRng;

/// Backoff settings. Every field documents its default.
#[derive(Debug, Clone, PartialEq)]
pub struct BackoffConfig {
    /// First delay. Default 500 ms.
    pub initial: Duration,
    /// Largest delay. Default 30 s.
    pub max: Duration,
    /// Growth per attempt. Default 2.0.
    pub multiplier: f64,
    /// Fraction of each delay that is random (0 = none, 1 = full jitter). Default 0.5.
    pub jitter: f64,
    /// A connection must stay up this long before the delays start over from `initial`; a
    /// cloud that accepts and at once closes is redialled slower and slower, not every
    /// `initial`. Default 30 s.
    pub reset_after: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            multiplier: 2.0,
            jitter: 0.5,
            reset_after: Duration::from_secs(30),
        }
    }
}

/// Successive reconnect delays.
#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    attempt: u32,
    rng: SeededRng,
}

impl Backoff {
    /// A backoff whose jitter comes from `seed`.
    pub fn new(config: BackoffConfig, seed: u64) -> Self {
        Self {
            config,
            attempt: 0,
            rng: SeededRng::new(seed),
        }
    }

    /// The delay before the next attempt; each call grows it until `max`.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.config.initial.as_secs_f64()
            * self
                .config
                .multiplier
                .max(1.0)
                .powi(self.attempt.min(64) as i32);
        let capped = base.min(self.config.max.as_secs_f64());
        self.attempt = self.attempt.saturating_add(1);
        let jitter = self.config.jitter.clamp(0.0, 1.0);
        Duration::from_secs_f64(capped * (1.0 - jitter * self.rng.unit()))
    }

    /// Starts again from `initial` (after a successful connection).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_with_jitter_below_the_nominal_delay() {
        let mut b = Backoff::new(BackoffConfig::default(), 42);
        let delays: Vec<Duration> = (0..10).map(|_| b.next_delay()).collect();
        for (i, d) in delays.iter().enumerate() {
            let nominal = (0.5 * 2f64.powi(i as i32)).min(30.0);
            assert!(d.as_secs_f64() <= nominal + 1e-9, "{i}: {d:?}");
            assert!(d.as_secs_f64() >= nominal * 0.5 - 1e-9, "{i}: {d:?}");
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(500));
    }

    #[test]
    fn same_seed_same_delays() {
        let mut a = Backoff::new(BackoffConfig::default(), 1);
        let mut b = Backoff::new(BackoffConfig::default(), 1);
        assert!((0..5).all(|_| a.next_delay() == b.next_delay()));
    }
}
