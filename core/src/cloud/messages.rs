//! Serde types for the MentraOS glasses WebSocket messages the bridge handles
//! (reference §1.2, §1.7, §1.8). Field names are exactly MentraOS's; unknown fields are
//! ignored and unknown message types are reported as [`Incoming::Unknown`], never fatal.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::CloudParseError;
use crate::redact::Redacted;

/// Largest cloud frame the bridge parses. A start with a long URL and full config is < 1 KiB.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

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
    /// Frames per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<f64>,
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

/// Stream-level settings (`stream` in `start_rtmp_stream`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamLimits {
    /// Seconds after which the stream must stop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_limit: Option<f64>,
}

/// `start_rtmp_stream`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartRtmpStream {
    /// Cloud session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Ingest URL; holds the stream key.
    pub rtmp_url: Redacted<String>,
    /// Requesting app; `MANAGED_STREAM` for managed streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Stream id chosen by the cloud.
    #[serde(default)]
    pub stream_id: String,
    /// Video config.
    #[serde(default)]
    pub video: VideoConfig,
    /// Audio config.
    #[serde(default)]
    pub audio: AudioConfig,
    /// Stream config.
    #[serde(default)]
    pub stream: StreamLimits,
}

/// `stop_rtmp_stream`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopRtmpStream {
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

/// `keep_rtmp_stream_alive`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeepRtmpStreamAlive {
    /// Stream to keep alive.
    pub stream_id: String,
    /// Id the ack must echo.
    pub ack_id: String,
}

/// A camera command from the cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CloudCommand {
    /// Start a stream.
    #[serde(rename = "start_rtmp_stream")]
    StartStream(StartRtmpStream),
    /// Stop a stream.
    #[serde(rename = "stop_rtmp_stream")]
    StopStream(StopRtmpStream),
    /// Keep a stream alive.
    #[serde(rename = "keep_rtmp_stream_alive")]
    KeepAlive(KeepRtmpStreamAlive),
}

/// What a cloud frame turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A command the bridge acts on.
    Command(CloudCommand),
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
    let known = match kind {
        "start_rtmp_stream" => "start_rtmp_stream",
        "stop_rtmp_stream" => "stop_rtmp_stream",
        "keep_rtmp_stream_alive" => "keep_rtmp_stream_alive",
        other => {
            return Ok(Incoming::Unknown {
                kind: other.chars().take(64).collect(),
            });
        }
    };
    serde_json::from_value::<CloudCommand>(value)
        .map(Incoming::Command)
        .map_err(|e| CloudParseError::BadFields {
            kind: known,
            // serde's messages name fields and types, not values.
            detail: e.to_string(),
        })
}

/// Stream statistics in a status (MentraOS names; `temperatureC` as upstream adds it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusStats {
    /// Bits per second.
    pub bitrate: u32,
    /// Frames per second.
    pub fps: f32,
    /// Dropped frames.
    pub dropped_frames: u32,
    /// Seconds streamed.
    pub duration: u32,
    /// Glasses temperature, °C.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "temperatureC"
    )]
    pub temperature_c: Option<f32>,
}

/// Video the camera actually runs with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedVideo {
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Bits per second.
    pub bitrate: u32,
    /// Frames per second.
    pub frame_rate: u32,
}

/// Audio the camera actually runs with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedAudio {
    /// Bits per second.
    pub bitrate: u32,
    /// Hz.
    pub sample_rate: u32,
}

/// The config after clamping to the glasses' limits (`resolvedConfig`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedConfig {
    /// Video.
    pub video: ResolvedVideo,
    /// Audio.
    pub audio: ResolvedAudio,
}

impl ResolvedConfig {
    /// From the protobuf configs.
    pub fn from_wire(
        video: &crate::wire::proto::VideoConfig,
        audio: &crate::wire::proto::AudioConfig,
    ) -> Self {
        Self {
            video: ResolvedVideo {
                width: video.width,
                height: video.height,
                bitrate: video.bitrate_bps,
                frame_rate: video.fps,
            },
            audio: ResolvedAudio {
                bitrate: audio.bitrate_bps,
                sample_rate: audio.sample_rate_hz,
            },
        }
    }
}

/// `rtmp_stream_status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RtmpStreamStatus {
    /// Always set.
    pub stream_id: String,
    /// A MentraOS status word: initializing, streaming, reconnecting, reconnected,
    /// reconnect_failed, stopping, stopped, error.
    pub status: String,
    /// Why, for errors: a sentence a user can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<String>,
    /// Stable machine code for errors (e.g. `no_wifi_connection`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Stats while streaming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<StatusStats>,
    /// The app that asked for the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Reconnect attempt while reconnecting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// Reconnect attempts allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// The config the camera runs with, after clamping to the glasses' limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_config: Option<ResolvedConfig>,
}

/// `keep_alive_ack`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeepAliveAck {
    /// The stream kept alive.
    pub stream_id: String,
    /// The id from the keep-alive.
    pub ack_id: String,
}

/// `glasses_battery_update`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlassesBatteryUpdate {
    /// 0–100.
    pub level: u32,
    /// Charging.
    pub charging: bool,
    /// Minutes left, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_remaining: Option<u32>,
}

/// `glasses_connection_state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStateUpdate {
    /// `CONNECTED` or `DISCONNECTED`.
    pub status: String,
    /// Glasses model, when connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
}

/// A message to the cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Outgoing {
    /// Stream status.
    #[serde(rename = "rtmp_stream_status")]
    StreamStatus(RtmpStreamStatus),
    /// Keep-alive ack.
    #[serde(rename = "keep_alive_ack")]
    KeepAliveAck(KeepAliveAck),
    /// Battery.
    #[serde(rename = "glasses_battery_update")]
    Battery(GlassesBatteryUpdate),
    /// Glasses connection.
    #[serde(rename = "glasses_connection_state")]
    ConnectionState(ConnectionStateUpdate),
}

#[derive(Serialize)]
struct Stamped<'a> {
    #[serde(flatten)]
    message: &'a Outgoing,
    timestamp: &'a str,
}

impl Outgoing {
    /// The JSON frame, with `timestamp` (ISO 8601) added as MentraOS expects.
    pub fn to_json(&self, timestamp: &str) -> String {
        serde_json::to_string(&Stamped {
            message: self,
            timestamp,
        })
        // invariant: these types serialise to JSON without failing (no maps with non-string
        // keys, no non-finite floats reach them: see StatusStats construction).
        .unwrap_or_else(|_| String::from("{}"))
    }

    /// Telemetry that a newer message of the same kind makes obsolete (coalesced while
    /// offline). `None` for messages that must all be delivered.
    pub fn coalesce_key(&self) -> Option<&'static str> {
        match self {
            Outgoing::Battery(_) => Some("battery"),
            _ => None,
        }
    }

    /// True when this message makes `older` obsolete if `older` is still waiting right before
    /// it: a fresh `streaming` status with stats replaces the previous one for the same stream
    /// (state changes and errors are never merged).
    pub fn supersedes(&self, older: &Outgoing) -> bool {
        fn telemetry(m: &Outgoing) -> Option<&str> {
            match m {
                Outgoing::StreamStatus(s)
                    if s.status == "streaming" && s.error_code.is_none() && s.stats.is_some() =>
                {
                    Some(&s.stream_id)
                }
                _ => None,
            }
        }
        matches!((telemetry(self), telemetry(older)), (Some(a), Some(b)) if a == b)
    }

    /// The stream id this message is about, if any.
    pub fn stream_id(&self) -> Option<&str> {
        match self {
            Outgoing::StreamStatus(s) => Some(&s.stream_id),
            Outgoing::KeepAliveAck(a) => Some(&a.stream_id),
            _ => None,
        }
    }
}

/// Parses a frame the bridge sent (used by the cloud simulator and tests).
pub fn parse_outgoing(text: &str) -> Result<Outgoing, CloudParseError> {
    serde_json::from_str(text).map_err(|e| CloudParseError::NotAMessage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_with_mentraos_field_names() {
        let text = r#"{"type":"start_rtmp_stream","sessionId":"u1","rtmpUrl":"rtmps://live.example.com/live/KEY",
            "appId":"com.example.app","streamId":"sabc123","video":{"width":1280,"height":720,"bitrate":2000000,"frameRate":30},
            "audio":{"bitrate":64000,"sampleRate":44100,"echoCancellation":false},"stream":{"durationLimit":600},
            "timestamp":"2026-11-25T10:00:00.000Z","someNewField":1}"#;
        let Incoming::Command(CloudCommand::StartStream(s)) = parse_incoming(text).unwrap() else {
            panic!("not a start");
        };
        assert_eq!(s.stream_id, "sabc123");
        assert_eq!(s.rtmp_url.expose(), "rtmps://live.example.com/live/KEY");
        assert_eq!(s.video.frame_rate, Some(30.0));
        assert_eq!(s.audio.sample_rate, Some(44100.0));
        assert_eq!(s.stream.duration_limit, Some(600.0));
        assert!(
            !format!("{s:?}").contains("KEY"),
            "the stream key never prints"
        );
    }

    #[test]
    fn stop_and_keep_alive() {
        let stop = parse_incoming(r#"{"type":"stop_rtmp_stream","streamId":""}"#).unwrap();
        assert!(
            matches!(stop, Incoming::Command(CloudCommand::StopStream(s)) if s.stream_id.is_empty())
        );
        let ka =
            parse_incoming(r#"{"type":"keep_rtmp_stream_alive","streamId":"s1","ackId":"a1"}"#);
        assert!(
            matches!(ka, Ok(Incoming::Command(CloudCommand::KeepAlive(k))) if k.ack_id == "a1")
        );
    }

    #[test]
    fn unknown_types_are_tolerated_and_bad_input_is_an_error() {
        assert_eq!(
            parse_incoming(r#"{"type":"display_event","x":1}"#),
            Ok(Incoming::Unknown {
                kind: "display_event".into()
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
            parse_incoming(r#"{"type":"keep_rtmp_stream_alive","streamId":"s1"}"#),
            Err(CloudParseError::BadFields { .. })
        ));
        let big = format!(r#"{{"type":"x","pad":"{}"}}"#, "a".repeat(MAX_FRAME_BYTES));
        assert!(matches!(
            parse_incoming(&big),
            Err(CloudParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn outgoing_carries_type_and_timestamp() {
        let m = Outgoing::KeepAliveAck(KeepAliveAck {
            stream_id: "s1".into(),
            ack_id: "a1".into(),
        });
        let json = m.to_json("2026-11-25T10:00:00.000Z");
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["type"], "keep_alive_ack");
        assert_eq!(v["streamId"], "s1");
        assert_eq!(v["ackId"], "a1");
        assert_eq!(v["timestamp"], "2026-11-25T10:00:00.000Z");
        assert_eq!(parse_outgoing(&json).unwrap(), m);
    }
}
