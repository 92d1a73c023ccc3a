//! Commands shaped as the real MentraOS cloud shapes them (`reference/mentraos-2026.md` §2.1,
//! `mentraos-protocol.md` §1.2): stream ids `s`/`m` + 10 base36 characters, ack ids `a` + 5,
//! `{}` for configs the app left out, `MANAGED_STREAM` as the managed app id, and in 2026
//! `flash: true` and `sound` on every start.

use mentra_bridge::Redacted;
use mentra_bridge::cloud::{
    AudioConfig, CloudCommand, CloudGeneration, KeepAliveMessage, MANAGED_APP_ID,
    StartStreamMessage, StopStreamMessage, StreamLimits, VideoConfig,
};
use mentra_bridge::rng::SeededRng;

const BASE36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn base36(rng: &mut SeededRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(BASE36[rng.below(36) as usize]))
        .collect()
}

/// A stream id as the cloud mints it: `m` (managed) or `s` (unmanaged) + 10 base36 chars.
pub fn cloud_stream_id(rng: &mut SeededRng, managed: bool) -> String {
    format!("{}{}", if managed { 'm' } else { 's' }, base36(rng, 10))
}

/// An ack id as the cloud mints it: `a` + 5 base36 chars.
pub fn cloud_ack_id(rng: &mut SeededRng) -> String {
    format!("a{}", base36(rng, 5))
}

/// What a simulated app asks the cloud for.
#[derive(Debug, Clone, Default)]
pub struct StartSpec {
    /// Stream id (see [`cloud_stream_id`]).
    pub stream_id: String,
    /// Ingest URL: `rtmp(s)://`, `srt://` or `https://` (WHIP).
    pub url: String,
    /// Managed (`MANAGED_STREAM`) or the app's own.
    pub managed: bool,
    /// The app's package name (unmanaged streams).
    pub app_id: String,
    /// Video asked for (`{}` when `None`).
    pub video: Option<VideoConfig>,
    /// Audio asked for (`{}` when `None`).
    pub audio: Option<AudioConfig>,
    /// Duration limit, seconds.
    pub duration_limit: Option<f64>,
    /// Opt in to 1 Hz stats (2026 only).
    pub telemetry: Option<bool>,
    /// WHIP bearer token (2026 only; the phone SDK's field).
    pub auth_token: Option<String>,
}

/// The start the cloud of `generation` sends for `spec`.
pub fn start_command(spec: &StartSpec, generation: CloudGeneration) -> CloudCommand {
    let new = generation == CloudGeneration::V2026;
    CloudCommand::Start(Box::new(StartStreamMessage {
        session_id: Some("sim-session-1".into()),
        stream_url: Some(Redacted::new(spec.url.clone())),
        app_id: Some(if spec.managed {
            MANAGED_APP_ID.to_owned()
        } else {
            spec.app_id.clone()
        }),
        stream_id: spec.stream_id.clone(),
        video: spec.video.clone().unwrap_or_default(),
        audio: spec.audio.clone().unwrap_or_default(),
        stream: StreamLimits {
            duration_limit: spec.duration_limit,
        },
        flash: new.then_some(true),
        sound: new.then_some(true),
        telemetry: spec.telemetry.filter(|_| new),
        auth_token: spec.auth_token.clone().filter(|_| new).map(Redacted::new),
        ..Default::default()
    }))
}

/// The stop the cloud sends.
pub fn stop_command(stream_id: &str, app_id: &str) -> CloudCommand {
    CloudCommand::Stop(StopStreamMessage {
        session_id: Some("sim-session-1".into()),
        app_id: Some(app_id.to_owned()),
        stream_id: stream_id.to_owned(),
    })
}

/// The keep-alive the cloud sends (deliberately minimal, "for BLE").
pub fn keep_alive_command(stream_id: &str, ack_id: &str) -> CloudCommand {
    CloudCommand::KeepAlive(KeepAliveMessage {
        stream_id: stream_id.to_owned(),
        ack_id: ack_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_the_clouds() {
        let mut rng = SeededRng::new(1);
        let s = cloud_stream_id(&mut rng, false);
        let m = cloud_stream_id(&mut rng, true);
        assert!(s.starts_with('s') && m.starts_with('m'));
        assert_eq!((s.len(), m.len()), (11, 11));
        assert!(s[1..].bytes().all(|b| BASE36.contains(&b)));
        let a = cloud_ack_id(&mut rng);
        assert_eq!((a.len(), a.as_bytes()[0]), (6, b'a'));
    }

    #[test]
    fn starts_are_shaped_per_generation() {
        let spec = StartSpec {
            stream_id: "m0123456789".into(),
            url: "https://customer-x.cloudflarestream.com/KEY/webRTC/publish".into(),
            managed: true,
            ..Default::default()
        };
        let new = start_command(&spec, CloudGeneration::V2026)
            .to_json(CloudGeneration::V2026, Some("2026-11-25T10:00:00.000Z"));
        let v: serde_json::Value = serde_json::from_str(&new).unwrap();
        assert_eq!(v["type"], "start_stream");
        assert_eq!(v["appId"], "MANAGED_STREAM");
        assert_eq!(v["video"], serde_json::json!({}));
        assert_eq!(
            (v["flash"].as_bool(), v["sound"].as_bool()),
            (Some(true), Some(true))
        );
        assert!(v["streamUrl"].is_string() && v.get("rtmpUrl").is_none());
        let old = start_command(&spec, CloudGeneration::V2025)
            .to_json(CloudGeneration::V2025, Some("2026-11-25T10:00:00.000Z"));
        let v: serde_json::Value = serde_json::from_str(&old).unwrap();
        assert_eq!(v["type"], "start_rtmp_stream");
        assert!(v["rtmpUrl"].is_string() && v.get("streamUrl").is_none());
        assert!(v.get("flash").is_none());
    }
}
