//! Session settings, checked once when the session is built.

use std::time::Duration;

use crate::glasses::SessionConfigError;

/// Session settings. Every field documents its default.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Largest message (body bytes) we accept and announce. Default 4096.
    pub max_message_size: usize,
    /// How long to wait for an answer before sending again with the same id. Default 1 s
    /// (a command round trip is 1–3 BLE connection intervals, 20–150 ms on phones).
    pub ack_timeout: Duration,
    /// Sends per command, first one included. Default 4 (one send and three retries).
    pub max_attempts: u8,
    /// Silence after which a `Ping` is sent. Default 15 s: longer than the glasses' own report
    /// period (10 s), so glasses that talk are never pinged; a ping at 10 s raced every report and
    /// doubled an idle bridge's wakeups (`mentra-cost`).
    pub ping_interval: Duration,
    /// Silence after which the glasses are declared gone (`LivenessLost`). Default 30 s.
    pub liveness_timeout: Duration,
    /// Time a half-received message may take to complete. Default 2 s.
    pub partial_timeout: Duration,
    /// Commands that may await an answer at once. Default 32.
    pub max_pending: usize,
    /// Our version, sent in `Hello`.
    pub bridge_version: String,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            max_message_size: crate::wire::DEFAULT_MAX_MESSAGE,
            ack_timeout: Duration::from_secs(1),
            max_attempts: 4,
            ping_interval: Duration::from_secs(15),
            liveness_timeout: Duration::from_secs(30),
            partial_timeout: Duration::from_secs(2),
            max_pending: 32,
            bridge_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl SessionConfig {
    pub(crate) fn validate(&self) -> Result<(), SessionConfigError> {
        if !(64..=crate::wire::ABSOLUTE_MAX_MESSAGE).contains(&self.max_message_size) {
            return Err(SessionConfigError::MaxMessageSize(self.max_message_size));
        }
        if self.max_attempts == 0 {
            return Err(SessionConfigError::MaxAttempts);
        }
        if self.ack_timeout.is_zero()
            || self.ping_interval.is_zero()
            || self.partial_timeout.is_zero()
        {
            return Err(SessionConfigError::Timers("durations must be non-zero"));
        }
        if self.liveness_timeout <= self.ping_interval {
            return Err(SessionConfigError::Timers(
                "liveness_timeout must be longer than ping_interval",
            ));
        }
        Ok(())
    }
}
