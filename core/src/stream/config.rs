//! Stream supervision settings. Every field documents its default; [`StreamConfig::validate`]
//! checks them once, when the supervisor is built.

use std::time::Duration;

use thiserror::Error;

use crate::wire::proto::{AudioConfig, CameraLimits, VideoConfig};

/// Stream supervision settings.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamConfig {
    /// A start that has not reached `streaming` after this long fails with `timeout` and the
    /// glasses are told to stop. Default 30 s.
    pub start_timeout: Duration,
    /// A stop the glasses have not confirmed after this long is reported as stopped anyway.
    /// Default 10 s.
    pub stop_timeout: Duration,
    /// How long streams keep running while the cloud is unreachable before they are stopped
    /// (no orphan streams). Default 60 s, as the MentraOS cloud's own reconnect grace.
    pub cloud_grace: Duration,
    /// While the cloud is unreachable the bridge keeps the glasses' watchdog fed itself at the
    /// cadence it observed from the cloud; this is the cadence assumed before it has seen two
    /// keep-alives. Default 15 s (the 2026 cloud's interval).
    pub bridge_keep_alive_interval: Duration,
    /// The glasses stop a stream on their own when nothing keeps it alive for this long; the
    /// bridge sends it in every start and counts on it when it cannot reach the glasses (a
    /// stop it could not deliver is certainly done this long after they went out of reach).
    /// Default 60 s (today's firmware).
    pub glasses_watchdog: Duration,
    /// The requester's keep-alives count as lapsed this long after the next one was due; the
    /// bridge then feeds the glasses itself, so their watchdog never wins against the cloud's
    /// grace. Default 5 s.
    pub feed_slack: Duration,
    /// A relayed keep-alive not acknowledged within this long counts as missed (or within two
    /// thirds of the observed keep-alive interval, when that is shorter). It stays in the
    /// window, so a late ack still counts. Default 10 s (the 2026 cloud's own ack timeout).
    pub keep_alive_ack_timeout: Duration,
    /// Keep-alive ids tracked at once (the ordered window). Default 3.
    pub keep_alive_window: usize,
    /// Consecutive misses after which the streak is reported (once). Default 3.
    pub keep_alive_misses_reported: u32,
    /// Times a managed stream is started again after the glasses lost it during a link drop.
    /// Default 3.
    pub managed_restarts: u32,
    /// Bitrate multiplier while the glasses are hot (0 < factor < 1). Default 0.5.
    pub throttle_factor: f32,
    /// Camera limits used where the glasses declare none (a zero maximum). Default 320–1920 ×
    /// 240–1080, 100 kbps–10 Mbps, 1–30 fps, audio 32–320 kbps at 22.05–48 kHz.
    pub default_limits: CameraLimits,
    /// Video used for fields the cloud leaves out. Default 1280 × 720, 2 Mbps, 15 fps.
    pub default_video: VideoConfig,
    /// Audio used for fields the cloud leaves out. Default 64 kbps at 44.1 kHz.
    pub default_audio: AudioConfig,
    /// Ask the glasses for 1 Hz stats when a start does not say (`telemetry` absent, as from
    /// the 2025 cloud). Default false: telemetry is opt-in, as in today's firmware.
    pub telemetry_default: bool,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            start_timeout: Duration::from_secs(30),
            stop_timeout: Duration::from_secs(10),
            cloud_grace: Duration::from_secs(60),
            bridge_keep_alive_interval: Duration::from_secs(15),
            glasses_watchdog: Duration::from_secs(60),
            feed_slack: Duration::from_secs(5),
            keep_alive_ack_timeout: Duration::from_secs(10),
            keep_alive_window: 3,
            keep_alive_misses_reported: 3,
            managed_restarts: 3,
            throttle_factor: 0.5,
            default_limits: crate::wire::limits::DEFAULT_CAMERA_LIMITS,
            default_video: VideoConfig {
                width: 1280,
                height: 720,
                bitrate_bps: 2_000_000,
                fps: 15,
            },
            default_audio: AudioConfig {
                bitrate_bps: 64_000,
                sample_rate_hz: 44_100,
                echo_cancellation: false,
                noise_suppression: false,
            },
            telemetry_default: false,
        }
    }
}

/// A stream setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StreamConfigError {
    /// A period is zero.
    #[error("{0} must be longer than zero")]
    ZeroDuration(&'static str),
    /// The keep-alive window must hold 1 to 16 ids, and the reported streak must fit in it.
    #[error("keep_alive_window must be 1..=16 and keep_alive_misses_reported at least 1")]
    KeepAliveWindow,
    /// The throttle factor must be strictly between 0 and 1.
    #[error("throttle_factor must be between 0 and 1")]
    ThrottleFactor,
    /// The bridge's own keep-alives would come after the glasses' watchdog fired.
    #[error("bridge_keep_alive_interval + feed_slack must be shorter than glasses_watchdog")]
    Feeding,
}

impl StreamConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), StreamConfigError> {
        for (name, d) in [
            ("start_timeout", self.start_timeout),
            ("stop_timeout", self.stop_timeout),
            ("cloud_grace", self.cloud_grace),
            (
                "bridge_keep_alive_interval",
                self.bridge_keep_alive_interval,
            ),
            ("keep_alive_ack_timeout", self.keep_alive_ack_timeout),
            ("glasses_watchdog", self.glasses_watchdog),
        ] {
            if d.is_zero() {
                return Err(StreamConfigError::ZeroDuration(name));
            }
        }
        if !(1..=16).contains(&self.keep_alive_window) || self.keep_alive_misses_reported == 0 {
            return Err(StreamConfigError::KeepAliveWindow);
        }
        if !(self.throttle_factor > 0.0 && self.throttle_factor < 1.0) {
            return Err(StreamConfigError::ThrottleFactor);
        }
        // The bridge must feed the glasses before their watchdog fires.
        if self.bridge_keep_alive_interval + self.feed_slack >= self.glasses_watchdog {
            return Err(StreamConfigError::Feeding);
        }
        Ok(())
    }
}
