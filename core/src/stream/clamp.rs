//! Resolves the config the requester asked for against what the glasses declared: missing fields
//! take defaults, everything is clamped to the camera's limits (DESIGN §5 rule 2).

use super::command::{RequestedAudio, RequestedVideo};
use crate::wire::proto::{AudioConfig, CameraLimits, VideoConfig};

/// A cloud number as a whole u32: absent, negative or not finite → `None`.
fn whole(value: Option<f64>) -> Option<u32> {
    match value {
        Some(v) if v.is_finite() && v > 0.0 => Some(v.round().min(f64::from(u32::MAX)) as u32),
        _ => None,
    }
}

/// `value` (or `default`) clamped to `lo..=hi`, where a zero `hi` means "not declared" and
/// falls back to the default limits.
fn fit(value: Option<u32>, default: u32, lo: u32, hi: u32, fallback: (u32, u32)) -> u32 {
    let (lo, hi) = if hi == 0 { fallback } else { (lo, hi.max(lo)) };
    value.unwrap_or(default).clamp(lo, hi)
}

/// The video config the camera will run.
pub(crate) fn resolve_video(
    asked: &RequestedVideo,
    limits: &CameraLimits,
    defaults: &CameraLimits,
    default: &VideoConfig,
) -> VideoConfig {
    let d = defaults;
    let l = limits;
    VideoConfig {
        width: fit(
            whole(asked.width),
            default.width,
            l.min_width,
            l.max_width,
            (d.min_width, d.max_width),
        ),
        height: fit(
            whole(asked.height),
            default.height,
            l.min_height,
            l.max_height,
            (d.min_height, d.max_height),
        ),
        bitrate_bps: fit(
            whole(asked.bitrate),
            default.bitrate_bps,
            l.min_video_bitrate_bps,
            l.max_video_bitrate_bps,
            (d.min_video_bitrate_bps, d.max_video_bitrate_bps),
        ),
        fps: fit(
            whole(asked.fps),
            default.fps,
            l.min_fps,
            l.max_fps,
            (d.min_fps, d.max_fps),
        ),
    }
}

/// The audio config the camera will run.
pub(crate) fn resolve_audio(
    asked: &RequestedAudio,
    limits: &CameraLimits,
    defaults: &CameraLimits,
    default: &AudioConfig,
) -> AudioConfig {
    let d = defaults;
    let l = limits;
    AudioConfig {
        bitrate_bps: fit(
            whole(asked.bitrate),
            default.bitrate_bps,
            l.min_audio_bitrate_bps,
            l.max_audio_bitrate_bps,
            (d.min_audio_bitrate_bps, d.max_audio_bitrate_bps),
        ),
        sample_rate_hz: fit(
            whole(asked.sample_rate),
            default.sample_rate_hz,
            l.min_audio_sample_rate_hz,
            l.max_audio_sample_rate_hz,
            (d.min_audio_sample_rate_hz, d.max_audio_sample_rate_hz),
        ),
        echo_cancellation: asked.echo_cancellation.unwrap_or(default.echo_cancellation),
        noise_suppression: asked.noise_suppression.unwrap_or(default.noise_suppression),
    }
}

/// The duration limit in whole seconds, if one was asked for.
pub(crate) fn duration_limit(asked: Option<f64>) -> Option<u32> {
    whole(asked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::StreamConfig;

    #[test]
    fn clamps_to_declared_limits_and_fills_defaults() {
        let c = StreamConfig::default();
        let glasses = CameraLimits {
            max_width: 1280,
            max_height: 720,
            max_fps: 24,
            ..c.default_limits
        };
        let v = resolve_video(
            &RequestedVideo {
                width: Some(3840.0),
                height: Some(2160.0),
                bitrate: Some(50.0),
                fps: None,
            },
            &glasses,
            &c.default_limits,
            &c.default_video,
        );
        assert_eq!(
            (v.width, v.height, v.bitrate_bps, v.fps),
            (1280, 720, 100_000, 15)
        );
        let a = resolve_audio(
            &RequestedAudio {
                sample_rate: Some(96_000.0),
                ..Default::default()
            },
            &CameraLimits::default(),
            &c.default_limits,
            &c.default_audio,
        );
        assert_eq!((a.bitrate_bps, a.sample_rate_hz), (64_000, 48_000));
        assert_eq!(duration_limit(Some(-3.0)), None);
        assert_eq!(duration_limit(Some(f64::NAN)), None);
        assert_eq!(duration_limit(Some(600.4)), Some(600));
    }
}
