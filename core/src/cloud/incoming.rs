//! The camera commands the MentraOS cloud sends, in both generations (`reference/
//! mentraos-2026.md` §2.1): 2026 `start_stream` / `stop_stream` / `keep_stream_alive` and
//! 2025 `start_rtmp_stream` / `stop_rtmp_stream` / `keep_rtmp_stream_alive`. Field names are
//! exactly the cloud's, legacy spellings included; unknown fields are ignored and unknown
//! message types are reported as [`Incoming::Unknown`], never fatal.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::CloudParseError;
use crate::redact::Redacted;

/// Largest cloud frame the bridge parses. A start with a long URL and full config is < 2 KiB.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Which generation of the stream protocol a cloud speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CloudGeneration {
    /// 2025: `*_rtmp_*` commands, `rtmp_stream_status`, RTMP only.
    V2025,
    /// 2026: `start_stream` / `stop_stream` / `keep_stream_alive`, `stream_status`; RTMP, SRT
    /// and WHIP.
    #[default]
    V2026,
}

/// Video settings as the cloud sends them. Numbers may arrive as floats; absent means "glasses
/// default".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoConfig {
    /// Pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// Pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<f64>,
    /// Bits per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<f64>,
    /// Frames per second (`frameRate`, what the cloud and the SDK write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<f64>,
    /// Frames per second, the newer spelling some senders use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
}

/// Audio settings as the cloud sends them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioConfig {
    /// Bits per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<f64>,
    /// Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<f64>,
    /// Echo cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo_cancellation: Option<bool>,
    /// Noise suppression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_suppression: Option<bool>,
}

/// Stream-level settings (`stream` in a start).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamLimits {
    /// Seconds after which the stream must stop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_limit: Option<f64>,
}

/// WHIP ICE settings (`ice`): `{"stun": ""}` means host candidates only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceSettings {
    /// STUN server URL; empty for host-only ICE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stun: Option<String>,
}

/// A start, in either generation: `start_stream` (2026) or `start_rtmp_stream` (2025).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartStreamMessage {
    /// Cloud session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Ingest URL (2026 name). Holds keys: a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_url: Option<Redacted<String>>,
    /// Ingest URL (2025 name, and the 2026 legacy fallback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtmp_url: Option<Redacted<String>>,
    /// Legacy SRT-only spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srt_url: Option<Redacted<String>>,
    /// Legacy WHIP-only spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whip_url: Option<Redacted<String>>,
    /// Requesting app; `MANAGED_STREAM` for managed streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Stream id chosen by the cloud.
    #[serde(default)]
    pub stream_id: String,
    /// Video config (`{}` when the app asked for none).
    #[serde(default)]
    pub video: VideoConfig,
    /// Audio config.
    #[serde(default)]
    pub audio: AudioConfig,
    /// Stream config.
    #[serde(default)]
    pub stream: StreamLimits,
    /// Start and stop tones (2026; default on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound: Option<bool>,
    /// Privacy light (2026; always true, and the glasses keep it on regardless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash: Option<bool>,
    /// WHIP bearer token: a secret.
    #[serde(default, alias = "auth_token", skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<Redacted<String>>,
    /// Capture audio (WHIP override).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_audio: Option<bool>,
    /// Ask the glasses for 1 Hz stats (opt-in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<bool>,
    /// WHIP ICE settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ice: Option<IceSettings>,
    /// Diagnostics correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

impl StartStreamMessage {
    /// The ingest URL, read as the glasses do: `streamUrl`, then `rtmpUrl`, `srtUrl`,
    /// `whipUrl`.
    pub fn url(&self) -> Option<&Redacted<String>> {
        [
            &self.stream_url,
            &self.rtmp_url,
            &self.srt_url,
            &self.whip_url,
        ]
        .into_iter()
        .flatten()
        .find(|u| !u.expose().is_empty())
    }
}

/// A stop, in either generation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopStreamMessage {
    /// Cloud session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Requesting app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Stream to stop; `""` when the cloud does not know (the bridge then uses the active one).
    #[serde(default)]
    pub stream_id: String,
}

/// A keep-alive, in either generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeepAliveMessage {
    /// Stream to keep alive.
    pub stream_id: String,
    /// Id the ack must echo.
    pub ack_id: String,
}

/// A camera command from the cloud (the same shape in both generations).
#[derive(Debug, Clone, PartialEq)]
pub enum CloudCommand {
    /// Start a stream.
    Start(Box<StartStreamMessage>),
    /// Stop a stream.
    Stop(StopStreamMessage),
    /// Keep a stream alive.
    KeepAlive(KeepAliveMessage),
}

impl CloudCommand {
    /// The message type this command has in `generation`.
    pub fn type_name(&self, generation: CloudGeneration) -> &'static str {
        use CloudGeneration::*;
        match (self, generation) {
            (CloudCommand::Start(_), V2026) => "start_stream",
            (CloudCommand::Start(_), V2025) => "start_rtmp_stream",
            (CloudCommand::Stop(_), V2026) => "stop_stream",
            (CloudCommand::Stop(_), V2025) => "stop_rtmp_stream",
            (CloudCommand::KeepAlive(_), V2026) => "keep_stream_alive",
            (CloudCommand::KeepAlive(_), V2025) => "keep_rtmp_stream_alive",
        }
    }

    /// The JSON frame the cloud of `generation` would send, with `timestamp` (ISO 8601) when
    /// given (simulators and tests use this).
    pub fn to_json(&self, generation: CloudGeneration, timestamp: Option<&str>) -> String {
        let body = match self {
            CloudCommand::Start(s) => serde_json::to_value(s),
            CloudCommand::Stop(s) => serde_json::to_value(s),
            CloudCommand::KeepAlive(k) => serde_json::to_value(k),
        };
        let mut map = match body {
            Ok(Value::Object(map)) => map,
            // invariant: these structs always serialise to a JSON object.
            _ => serde_json::Map::new(),
        };
        map.insert("type".into(), self.type_name(generation).into());
        if generation == CloudGeneration::V2025 {
            // The 2025 cloud names the URL `rtmpUrl`.
            if let Some(url) = map.remove("streamUrl") {
                map.entry("rtmpUrl").or_insert(url);
            }
        }
        if let Some(t) = timestamp {
            map.insert("timestamp".into(), t.into());
        }
        Value::Object(map).to_string()
    }
}

/// What a cloud frame turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A command the bridge acts on, and the generation its name belongs to.
    Command {
        /// The command.
        command: CloudCommand,
        /// Which generation named it.
        generation: CloudGeneration,
    },
    /// A well-formed message of a type the bridge does not handle (logged, ignored).
    Unknown {
        /// Its `type`.
        kind: String,
    },
}

/// Parses one text frame from the cloud.
pub fn parse_incoming(text: &str) -> Result<Incoming, CloudParseError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(CloudParseError::TooLarge {
            len: text.len(),
            max: MAX_FRAME_BYTES,
        });
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| CloudParseError::NotAMessage(e.to_string()))?;
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| CloudParseError::NotAMessage("no string `type` field".into()))?;
    use CloudGeneration::*;
    let (known, generation): (&'static str, CloudGeneration) = match kind {
        "start_stream" => ("start_stream", V2026),
        "stop_stream" => ("stop_stream", V2026),
        "keep_stream_alive" => ("keep_stream_alive", V2026),
        "start_rtmp_stream" => ("start_rtmp_stream", V2025),
        "stop_rtmp_stream" => ("stop_rtmp_stream", V2025),
        "keep_rtmp_stream_alive" => ("keep_rtmp_stream_alive", V2025),
        other => {
            return Ok(Incoming::Unknown {
                kind: other.chars().take(64).collect(),
            });
        }
    };
    // serde's messages name fields and types, not values.
    let bad = |e: serde_json::Error| CloudParseError::BadFields {
        kind: known,
        detail: e.to_string(),
    };
    let command = if known.starts_with("start") {
        CloudCommand::Start(Box::new(serde_json::from_value(value).map_err(bad)?))
    } else if known.starts_with("stop") {
        CloudCommand::Stop(serde_json::from_value(value).map_err(bad)?)
    } else {
        CloudCommand::KeepAlive(serde_json::from_value(value).map_err(bad)?)
    };
    Ok(Incoming::Command {
        command,
        generation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(text: &str) -> (CloudCommand, CloudGeneration) {
        match parse_incoming(text).unwrap() {
            Incoming::Command {
                command,
                generation,
            } => (command, generation),
            other => panic!("not a command: {other:?}"),
        }
    }

    #[test]
    fn a_2026_start_with_every_field() {
        let text = r#"{"type":"start_stream","sessionId":"u1","streamUrl":"https://customer-x.cloudflarestream.com/LIVEKEY/webRTC/publish",
            "appId":"MANAGED_STREAM","streamId":"m4k2q7xa1bc","video":{"width":1280,"height":720,"bitrate":2500000,"fps":24},
            "audio":{},"stream":{"durationLimit":600},"flash":true,"sound":false,"authToken":"BEARER_SECRET",
            "captureAudio":true,"telemetry":true,"ice":{"stun":""},"traceId":"t-1","timestamp":"2026-11-25T10:00:00.000Z","newField":1}"#;
        let (CloudCommand::Start(s), CloudGeneration::V2026) = command(text) else {
            panic!("not a 2026 start");
        };
        assert_eq!(s.stream_id, "m4k2q7xa1bc");
        assert!(s.url().unwrap().expose().ends_with("/webRTC/publish"));
        assert_eq!(s.video.fps, Some(24.0));
        assert_eq!(s.stream.duration_limit, Some(600.0));
        assert_eq!((s.sound, s.flash), (Some(false), Some(true)));
        assert_eq!(s.auth_token.as_ref().unwrap().expose(), "BEARER_SECRET");
        assert_eq!((s.capture_audio, s.telemetry), (Some(true), Some(true)));
        assert_eq!(s.ice.as_ref().unwrap().stun.as_deref(), Some(""));
        assert_eq!(s.trace_id.as_deref(), Some("t-1"));
        let printed = format!("{s:?}");
        assert!(!printed.contains("LIVEKEY") && !printed.contains("BEARER_SECRET"));
    }

    #[test]
    fn a_2025_start_and_the_legacy_url_names() {
        let text = r#"{"type":"start_rtmp_stream","rtmpUrl":"rtmps://live.example.com/live/KEY","streamId":"s1",
            "video":{"frameRate":30},"audio":{"sampleRate":44100},"auth_token":"T"}"#;
        let (CloudCommand::Start(s), CloudGeneration::V2025) = command(text) else {
            panic!("not a 2025 start");
        };
        assert_eq!(
            s.url().unwrap().expose(),
            "rtmps://live.example.com/live/KEY"
        );
        assert_eq!(s.video.frame_rate, Some(30.0));
        assert_eq!(s.auth_token.unwrap().expose(), "T");
        // streamUrl wins; an empty one falls back to the legacy names.
        let (CloudCommand::Start(s), _) = command(
            r#"{"type":"start_stream","streamUrl":"","srtUrl":"srt://h:1","streamId":"s"}"#,
        ) else {
            panic!()
        };
        assert_eq!(s.url().unwrap().expose(), "srt://h:1");
    }

    #[test]
    fn stops_and_keep_alives_of_both_generations() {
        for (text, generation) in [
            (
                r#"{"type":"stop_stream","streamId":""}"#,
                CloudGeneration::V2026,
            ),
            (
                r#"{"type":"stop_rtmp_stream","streamId":""}"#,
                CloudGeneration::V2025,
            ),
        ] {
            let (c, g) = command(text);
            assert!(matches!(c, CloudCommand::Stop(s) if s.stream_id.is_empty()));
            assert_eq!(g, generation);
        }
        for (text, generation) in [
            (
                r#"{"type":"keep_stream_alive","streamId":"s1","ackId":"a1"}"#,
                CloudGeneration::V2026,
            ),
            (
                r#"{"type":"keep_rtmp_stream_alive","streamId":"s1","ackId":"a1"}"#,
                CloudGeneration::V2025,
            ),
        ] {
            let (c, g) = command(text);
            assert!(matches!(c, CloudCommand::KeepAlive(k) if k.ack_id == "a1"));
            assert_eq!(g, generation);
        }
    }

    #[test]
    fn unknown_types_are_tolerated_and_bad_input_is_an_error() {
        assert_eq!(
            parse_incoming(r#"{"type":"camera_fov_set","x":1}"#),
            Ok(Incoming::Unknown {
                kind: "camera_fov_set".into()
            })
        );
        assert!(matches!(
            parse_incoming("{not json"),
            Err(CloudParseError::NotAMessage(_))
        ));
        assert!(matches!(
            parse_incoming("[1,2]"),
            Err(CloudParseError::NotAMessage(_))
        ));
        assert!(matches!(
            parse_incoming(r#"{"type":"keep_stream_alive","streamId":"s1"}"#),
            Err(CloudParseError::BadFields { .. })
        ));
        let big = format!(r#"{{"type":"x","pad":"{}"}}"#, "a".repeat(MAX_FRAME_BYTES));
        assert!(matches!(
            parse_incoming(&big),
            Err(CloudParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn commands_render_in_either_generation_and_parse_back() {
        let start = CloudCommand::Start(Box::new(StartStreamMessage {
            stream_url: Some(Redacted::new("srt://h:9000".into())),
            stream_id: "s1".into(),
            ..Default::default()
        }));
        for (generation, url_key) in [
            (CloudGeneration::V2025, "\"rtmpUrl\""),
            (CloudGeneration::V2026, "\"streamUrl\""),
        ] {
            let json = start.to_json(generation, Some("2026-11-25T10:00:00.000Z"));
            assert!(json.contains(start.type_name(generation)) && json.contains(url_key));
            let (CloudCommand::Start(back), g) = command(&json) else {
                panic!("not a start");
            };
            assert_eq!(g, generation);
            assert_eq!(back.url().unwrap().expose(), "srt://h:9000");
        }
    }
}
