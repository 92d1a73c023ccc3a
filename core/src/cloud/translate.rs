//! The edge between the cloud's JSON and the bridge's own model: both generations of cloud
//! commands become one set of [`StreamCommand`]s, and the supervisor's [`CloudReport`]s
//! become the cloud's messages (whose generation is chosen when they are written).

use super::incoming::{CloudCommand, StartStreamMessage};
use super::outgoing::{
    KeepAliveAck, Outgoing, ResolvedAudioJson, ResolvedConfigJson, ResolvedVideoJson, StatusStats,
    StreamStatusMessage,
};
use crate::redact::Redacted;
use crate::stream::{
    CloudReport, IceOptions, KeepAliveRequest, RequestedAudio, RequestedVideo, ResolvedConfig,
    StartRequest, StopRequest, StreamCommand, StreamKind, StreamProblem, StreamState, StreamUpdate,
};

/// `appId` the MentraOS cloud uses for managed streams.
pub const MANAGED_APP_ID: &str = "MANAGED_STREAM";

impl From<CloudCommand> for StreamCommand {
    fn from(command: CloudCommand) -> Self {
        match command {
            CloudCommand::Start(s) => StreamCommand::Start(Box::new(start_request(*s))),
            CloudCommand::Stop(s) => StreamCommand::Stop(StopRequest {
                stream_id: s.stream_id,
            }),
            CloudCommand::KeepAlive(k) => StreamCommand::KeepAlive(KeepAliveRequest {
                stream_id: k.stream_id,
                ack_id: k.ack_id,
            }),
        }
    }
}

fn start_request(s: StartStreamMessage) -> StartRequest {
    let url = s
        .url()
        .cloned()
        .unwrap_or_else(|| Redacted::new(String::new()));
    StartRequest {
        kind: if s.app_id.as_deref() == Some(MANAGED_APP_ID) {
            StreamKind::Managed
        } else {
            StreamKind::Unmanaged
        },
        stream_id: s.stream_id,
        app_id: s.app_id,
        url,
        video: RequestedVideo {
            width: s.video.width,
            height: s.video.height,
            bitrate: s.video.bitrate,
            fps: s.video.frame_rate.or(s.video.fps),
        },
        audio: RequestedAudio {
            bitrate: s.audio.bitrate,
            sample_rate: s.audio.sample_rate,
            echo_cancellation: s.audio.echo_cancellation,
            noise_suppression: s.audio.noise_suppression,
        },
        duration_limit_s: s.stream.duration_limit,
        sound: s.sound,
        // `flash` is not forwarded: the privacy light is always on.
        auth_token: s.auth_token.filter(|t| !t.expose().is_empty()),
        capture_audio: s.capture_audio,
        telemetry: s.telemetry,
        ice: s.ice.map(|i| IceOptions { stun: i.stun }),
        trace_id: s.trace_id,
    }
}

impl From<CloudReport> for Outgoing {
    fn from(report: CloudReport) -> Self {
        match report {
            CloudReport::Status { update, app_id } => {
                Outgoing::StreamStatus(status_message(&update, app_id))
            }
            CloudReport::KeepAliveAck { stream_id, ack_id } => {
                Outgoing::KeepAliveAck(KeepAliveAck { stream_id, ack_id })
            }
        }
    }
}

/// The MentraOS status word for a canonical state (the 2025 vocabulary; 2026 differences are
/// applied when the message is written).
fn word(update: &StreamUpdate) -> &'static str {
    match (update.problem, update.state) {
        (Some(StreamProblem::StartTimeout), _) => "timeout",
        (_, StreamState::Idle) => "stopped",
        (_, state) => state.word(),
    }
}

fn status_message(update: &StreamUpdate, app_id: Option<String>) -> StreamStatusMessage {
    StreamStatusMessage {
        stream_id: update.stream_id.clone(),
        status: word(update).to_owned(),
        // Why, when known: our sentence (and the glasses' words), or the glasses' words
        // alone for a non-error state such as `reconnecting` after a lost ingest.
        error_details: match (update.problem, &update.detail) {
            (Some(p), Some(d)) => Some(format!("{} ({d})", p.message())),
            (Some(p), None) => Some(p.message().to_owned()),
            (None, Some(d)) => Some(d.clone()),
            (None, None) => None,
        },
        error_code: update.problem.map(|p| p.code().to_owned()),
        stats: update.stats.map(|s| StatusStats {
            bitrate: s.bitrate_bps,
            fps: s.fps,
            dropped_frames: s.dropped_frames,
            duration: s.duration_s,
            temperature_c: s.temperature_c,
        }),
        app_id,
        attempt: update.reconnect.map(|r| r.0),
        max_attempts: update.reconnect.map(|r| r.1),
        resolved_config: update.resolved.as_ref().map(resolved_json),
    }
}

fn resolved_json(r: &ResolvedConfig) -> ResolvedConfigJson {
    ResolvedConfigJson {
        transport: r.transport.map(|t| t.name().to_owned()),
        video: ResolvedVideoJson {
            width: r.video.width,
            height: r.video.height,
            bitrate: r.video.bitrate,
            fps: r.video.fps,
        },
        audio: ResolvedAudioJson {
            bitrate: r.audio.bitrate,
            sample_rate: r.audio.sample_rate,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::{CloudGeneration, Incoming, parse_incoming};

    fn translated(text: &str) -> StreamCommand {
        match parse_incoming(text).unwrap() {
            Incoming::Command { command, .. } => command.into(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn both_generations_become_the_same_start() {
        let old = translated(
            r#"{"type":"start_rtmp_stream","rtmpUrl":"rtmp://h/a/k","appId":"MANAGED_STREAM","streamId":"m1","video":{"frameRate":24}}"#,
        );
        let new = translated(
            r#"{"type":"start_stream","streamUrl":"rtmp://h/a/k","appId":"MANAGED_STREAM","streamId":"m1","video":{"frameRate":24}}"#,
        );
        assert_eq!(old, new);
        let StreamCommand::Start(s) = new else {
            panic!("not a start")
        };
        assert_eq!((s.kind, s.video.fps), (StreamKind::Managed, Some(24.0)));
        let StreamCommand::Start(s) = translated(
            r#"{"type":"start_stream","streamUrl":"srt://h:1","appId":"com.x","streamId":"s1","video":{"fps":12},"authToken":"","ice":{"stun":""}}"#,
        ) else {
            panic!("not a start")
        };
        assert_eq!(s.kind, StreamKind::Unmanaged);
        assert_eq!(s.video.fps, Some(12.0));
        assert_eq!(s.auth_token, None, "an empty token is no token");
        assert_eq!(
            s.ice,
            Some(IceOptions {
                stun: Some(String::new())
            })
        );
    }

    #[test]
    fn a_start_timeout_reads_timeout_in_2025_and_error_in_2026() {
        let mut update = StreamUpdate::new("s1", StreamState::Error);
        update.problem = Some(StreamProblem::StartTimeout);
        let m = Outgoing::from(CloudReport::Status {
            update,
            app_id: None,
        });
        let Outgoing::StreamStatus(s) = &m else {
            panic!()
        };
        assert_eq!(
            (s.status.as_str(), s.error_code.as_deref()),
            ("timeout", Some("start_timeout"))
        );
        assert!(
            m.to_json("t", CloudGeneration::V2026)
                .contains(r#""status":"error""#)
        );
    }
}
