//! Limits shared with firmware: the string bounds of `proto/mentra/glasses/v1/glasses.options`, enforced before a message
//! leaves the phone: firmware decodes into fixed buffers and would reject an overlong field.

use super::proto::{CameraLimits, PhoneToGlasses, phone_to_glasses::Body as P};

/// Camera limits of the Mentra Live class: 320–1920 × 240–1080, 100 kbps–10 Mbps, 1–30 fps,
/// audio 32–320 kbps at 22.05–48 kHz. The bridge's defaults where glasses declare none, and
/// what the glasses simulator declares.
pub const DEFAULT_CAMERA_LIMITS: CameraLimits = CameraLimits {
    min_width: 320,
    max_width: 1920,
    min_height: 240,
    max_height: 1080,
    min_video_bitrate_bps: 100_000,
    max_video_bitrate_bps: 10_000_000,
    min_fps: 1,
    max_fps: 30,
    min_audio_bitrate_bps: 32_000,
    max_audio_bitrate_bps: 320_000,
    min_audio_sample_rate_hz: 22_050,
    max_audio_sample_rate_hz: 48_000,
};

/// Longest stream or ack id, bytes.
pub const MAX_ID: usize = 64;
/// Longest ingest URL, bytes.
pub const MAX_URL: usize = 512;
/// Longest WHIP bearer token, bytes.
pub const MAX_AUTH_TOKEN: usize = 1024;
/// Longest diagnostics trace id, bytes.
pub const MAX_TRACE_ID: usize = 128;
/// Longest STUN server URL, bytes.
pub const MAX_STUN_SERVER: usize = 256;
/// Longest Wi-Fi network name, bytes (802.11 limit).
pub const MAX_SSID: usize = 32;
/// Longest Wi-Fi password, bytes (WPA2 passphrase limit).
pub const MAX_PASSWORD: usize = 63;
/// Longest version string, bytes.
pub const MAX_VERSION: usize = 32;

/// The first field of `envelope` that exceeds its bound: `(field, length, limit)`.
pub fn first_overlong(envelope: &PhoneToGlasses) -> Option<(&'static str, usize, usize)> {
    let checks: &[(&'static str, usize, usize)] = match &envelope.body {
        Some(P::Hello(h)) => &[("bridge_version", h.bridge_version.len(), MAX_VERSION)],
        Some(P::StartStream(s)) => &[
            ("stream_id", s.stream_id.len(), MAX_ID),
            ("url", s.url.len(), MAX_URL),
            ("auth_token", s.auth_token.len(), MAX_AUTH_TOKEN),
            ("trace_id", s.trace_id.len(), MAX_TRACE_ID),
            (
                "stun_server",
                s.ice.as_ref().map_or(0, |i| i.stun_server.len()),
                MAX_STUN_SERVER,
            ),
        ],
        Some(P::StopStream(s)) => &[("stream_id", s.stream_id.len(), MAX_ID)],
        Some(P::KeepStreamAlive(k)) => &[
            ("stream_id", k.stream_id.len(), MAX_ID),
            ("ack_id", k.ack_id.len(), MAX_ID),
        ],
        Some(P::SetStreamBitrate(b)) => &[("stream_id", b.stream_id.len(), MAX_ID)],
        Some(P::SetWifiCredentials(c)) => &[
            ("ssid", c.ssid.len(), MAX_SSID),
            ("password", c.password.len(), MAX_PASSWORD),
        ],
        _ => &[],
    };
    checks.iter().copied().find(|&(_, len, max)| len > max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::proto::{KeepStreamAlive, StartStream};

    #[test]
    fn overlong_fields_are_named() {
        let ok = PhoneToGlasses {
            body: Some(P::KeepStreamAlive(KeepStreamAlive {
                stream_id: "s".repeat(64),
                ack_id: "a1".into(),
            })),
            ..Default::default()
        };
        assert_eq!(first_overlong(&ok), None);
        let long = PhoneToGlasses {
            body: Some(P::StartStream(StartStream {
                stream_id: "s1".into(),
                url: format!("rtmp://h/{}", "k".repeat(600)),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(first_overlong(&long), Some(("url", 609, 512)));
    }
}
