//! What the bridge sends the MentraOS cloud, rendered in the generation the cloud speaks:
//! `stream_status` to a 2026 cloud (the only status its stream managers read), and
//! `rtmp_stream_status` to a 2025 one; `keep_alive_ack`, `glasses_battery_update` and
//! `glasses_connection_state` in both. Every status carries `streamId`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::CloudParseError;
use super::incoming::CloudGeneration;

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

/// Video the camera actually runs with (`resolvedConfig.video`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedVideoJson {
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Bits per second.
    pub bitrate: u32,
    /// Frames per second.
    pub fps: u32,
}

/// Audio the camera actually runs with (`resolvedConfig.audio`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedAudioJson {
    /// Bits per second.
    pub bitrate: u32,
    /// Hz.
    pub sample_rate: u32,
}

/// The config after clamping to the glasses' limits (`resolvedConfig`, the 2026 shape).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedConfigJson {
    /// `rtmp`, `srt` or `whip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// Video.
    pub video: ResolvedVideoJson,
    /// Audio.
    pub audio: ResolvedAudioJson,
}

/// A stream status (`stream_status` / `rtmp_stream_status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamStatusMessage {
    /// Always set: the cloud drops statuses without one.
    pub stream_id: String,
    /// A MentraOS status word: initializing, streaming, reconnecting, reconnected,
    /// reconnect_failed, stopping, stopped, timeout, error. 2026 clouds get `error` (with the
    /// code) in place of `timeout` and `reconnect_failed`, which their managed path reads as
    /// live.
    pub status: String,
    /// Why, for errors: a sentence a user can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<String>,
    /// Stable machine code for errors (e.g. `no_wifi_connection`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Stats while streaming (only with telemetry on).
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
    pub resolved_config: Option<ResolvedConfigJson>,
}

impl StreamStatusMessage {
    /// This status as a cloud of `generation` must read it.
    fn for_generation(&self, generation: CloudGeneration) -> StreamStatusMessage {
        let mut s = self.clone();
        if generation == CloudGeneration::V2026
            && matches!(s.status.as_str(), "timeout" | "reconnect_failed")
        {
            if s.error_code.is_none() {
                s.error_code = Some(match s.status.as_str() {
                    "timeout" => "start_timeout".to_owned(),
                    other => other.to_owned(),
                });
            }
            s.status = "error".to_owned();
        }
        s
    }
}

/// `keep_alive_ack`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeepAliveAck {
    /// The stream kept alive.
    pub stream_id: String,
    /// The id from the keep-alive.
    pub ack_id: String,
}

/// `glasses_battery_update`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStateUpdate {
    /// `CONNECTED` or `DISCONNECTED`.
    pub status: String,
    /// Glasses model, when connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
}

/// A message to the cloud.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// Stream status.
    StreamStatus(StreamStatusMessage),
    /// Keep-alive ack.
    KeepAliveAck(KeepAliveAck),
    /// Battery.
    Battery(GlassesBatteryUpdate),
    /// Glasses connection.
    ConnectionState(ConnectionStateUpdate),
}

impl Outgoing {
    /// The message type in `generation`.
    pub fn type_name(&self, generation: CloudGeneration) -> &'static str {
        match (self, generation) {
            (Outgoing::StreamStatus(_), CloudGeneration::V2026) => "stream_status",
            (Outgoing::StreamStatus(_), CloudGeneration::V2025) => "rtmp_stream_status",
            (Outgoing::KeepAliveAck(_), _) => "keep_alive_ack",
            (Outgoing::Battery(_), _) => "glasses_battery_update",
            (Outgoing::ConnectionState(_), _) => "glasses_connection_state",
        }
    }

    /// The JSON frame for a cloud of `generation`, with `timestamp` (ISO 8601) as MentraOS
    /// expects.
    pub fn to_json(&self, timestamp: &str, generation: CloudGeneration) -> String {
        let body = match self {
            Outgoing::StreamStatus(s) => serde_json::to_value(s.for_generation(generation)),
            Outgoing::KeepAliveAck(a) => serde_json::to_value(a),
            Outgoing::Battery(b) => serde_json::to_value(b),
            Outgoing::ConnectionState(c) => serde_json::to_value(c),
        };
        // invariant: these types serialise to JSON objects (no maps with non-string keys; no
        // non-finite floats reach them: stats are made finite where they are built).
        let Ok(Value::Object(mut map)) = body else {
            return String::from("{}");
        };
        map.insert("type".into(), self.type_name(generation).into());
        map.insert("timestamp".into(), timestamp.into());
        Value::Object(map).to_string()
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

/// A frame the bridge sent, as a cloud reads it (used by the cloud simulator and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct SentFrame {
    /// The message.
    pub message: Outgoing,
    /// Its `type` as sent (`stream_status` or `rtmp_stream_status` for statuses).
    pub kind: String,
}

/// Parses a frame the bridge sent, in either generation.
pub fn parse_outgoing(text: &str) -> Result<SentFrame, CloudParseError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| CloudParseError::NotAMessage(e.to_string()))?;
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| CloudParseError::NotAMessage("no string `type` field".into()))?
        .to_owned();
    let bad = |e: serde_json::Error| CloudParseError::NotAMessage(e.to_string());
    let message = match kind.as_str() {
        "stream_status" | "rtmp_stream_status" => {
            Outgoing::StreamStatus(serde_json::from_value(value).map_err(bad)?)
        }
        "keep_alive_ack" => Outgoing::KeepAliveAck(serde_json::from_value(value).map_err(bad)?),
        "glasses_battery_update" => Outgoing::Battery(serde_json::from_value(value).map_err(bad)?),
        "glasses_connection_state" => {
            Outgoing::ConnectionState(serde_json::from_value(value).map_err(bad)?)
        }
        other => {
            return Err(CloudParseError::NotAMessage(format!(
                "unexpected type {:?}",
                other.chars().take(64).collect::<String>()
            )));
        }
    };
    Ok(SentFrame { message, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(word: &str, code: Option<&str>) -> Outgoing {
        Outgoing::StreamStatus(StreamStatusMessage {
            stream_id: "m1".into(),
            status: word.into(),
            error_code: code.map(str::to_owned),
            ..Default::default()
        })
    }

    #[test]
    fn statuses_are_named_for_the_generation_and_always_carry_the_id() {
        let m = status("streaming", None);
        for (generation, kind) in [
            (CloudGeneration::V2026, "stream_status"),
            (CloudGeneration::V2025, "rtmp_stream_status"),
        ] {
            let json = m.to_json("2026-11-25T10:00:00.000Z", generation);
            let v: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(v["type"], kind);
            assert_eq!(v["streamId"], "m1");
            assert_eq!(v["timestamp"], "2026-11-25T10:00:00.000Z");
            let back = parse_outgoing(&json).unwrap();
            assert_eq!((back.message, back.kind.as_str()), (m.clone(), kind));
        }
    }

    #[test]
    fn a_2026_cloud_hears_failures_as_error_with_a_code() {
        for (word, code, expect_code) in [
            ("timeout", Some("start_timeout"), "start_timeout"),
            ("timeout", None, "start_timeout"),
            (
                "reconnect_failed",
                Some("reconnect_failed"),
                "reconnect_failed",
            ),
            ("reconnect_failed", None, "reconnect_failed"),
        ] {
            let m = status(word, code);
            let v: Value = serde_json::from_str(&m.to_json("t", CloudGeneration::V2026)).unwrap();
            assert_eq!(
                (v["status"].as_str(), v["errorCode"].as_str()),
                (Some("error"), Some(expect_code))
            );
            let v: Value = serde_json::from_str(&m.to_json("t", CloudGeneration::V2025)).unwrap();
            assert_eq!(v["status"], word, "a 2025 cloud hears the word itself");
        }
    }

    #[test]
    fn acks_are_the_same_in_both_generations() {
        let m = Outgoing::KeepAliveAck(KeepAliveAck {
            stream_id: "s1".into(),
            ack_id: "a1".into(),
        });
        for generation in [CloudGeneration::V2025, CloudGeneration::V2026] {
            let v: Value = serde_json::from_str(&m.to_json("t", generation)).unwrap();
            assert_eq!(
                (
                    v["type"].as_str(),
                    v["streamId"].as_str(),
                    v["ackId"].as_str()
                ),
                (Some("keep_alive_ack"), Some("s1"), Some("a1"))
            );
        }
    }
}
