//! Supervisor tests: what goes to the glasses and to the cloud for each input.

use super::*;
use crate::cloud::{AudioConfig as CloudAudio, StreamLimits, VideoConfig as CloudVideo};
use crate::redact::Redacted;

fn start(id: &str, url: &str) -> StreamInput {
    StreamInput::Cloud(CloudCommand::StartStream(StartRtmpStream {
        session_id: None,
        rtmp_url: Redacted::new(url.into()),
        app_id: Some("com.example.app".into()),
        stream_id: id.into(),
        video: CloudVideo {
            width: Some(1280.0),
            height: Some(720.0),
            bitrate: Some(2_000_000.0),
            frame_rate: Some(30.0),
        },
        audio: CloudAudio {
            bitrate: Some(64_000.0),
            sample_rate: Some(44_100.0),
            echo_cancellation: Some(true),
            noise_suppression: None,
        },
        stream: StreamLimits {
            duration_limit: Some(600.0),
        },
    }))
}

fn status(id: &str, state: proto::StreamState, code: proto::StreamErrorCode) -> StreamInput {
    StreamInput::GlassesStatus(proto::StreamStatus {
        stream_id: id.into(),
        state: state as i32,
        error_code: code as i32,
        ..Default::default()
    })
}

fn drain(s: &mut StreamSupervisor) -> Vec<StreamOutput> {
    std::iter::from_fn(|| s.poll_output()).collect()
}

fn cloud_statuses(out: &[StreamOutput]) -> Vec<RtmpStreamStatus> {
    out.iter()
        .filter_map(|o| match o {
            StreamOutput::ToCloud(Outgoing::StreamStatus(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn to_glasses(out: &[StreamOutput]) -> Vec<GlassesCommand> {
    out.iter()
        .filter_map(|o| match o {
            StreamOutput::ToGlasses(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn ready() -> (StreamSupervisor, Instant) {
    let now = Instant::now();
    let mut s = StreamSupervisor::new(now);
    s.handle_input(now, StreamInput::GlassesReady);
    assert!(drain(&mut s).is_empty());
    (s, now)
}

#[test]
fn start_forwards_id_url_and_full_config() {
    let (mut s, now) = ready();
    s.handle_input(now, start("s1", "rtmps://ingest.example.com/live/KEY"));
    let out = drain(&mut s);
    let cmds = to_glasses(&out);
    assert_eq!(cmds.len(), 1);
    let phone_to_glasses::Body::StartStream(st) = &cmds[0].body else {
        panic!("not a start: {:?}", cmds[0]);
    };
    assert_eq!(st.stream_id, "s1");
    assert_eq!(st.url, "rtmps://ingest.example.com/live/KEY");
    assert_eq!(st.kind, StreamKind::Unmanaged as i32);
    let v = st.video.unwrap();
    assert_eq!(
        (v.width, v.height, v.bitrate_bps, v.fps),
        (1280, 720, 2_000_000, 30)
    );
    let a = st.audio.unwrap();
    assert_eq!(
        (a.bitrate_bps, a.sample_rate_hz, a.echo_cancellation),
        (64_000, 44_100, true)
    );
    assert_eq!(st.duration_limit_s, 600);
    assert_eq!(s.active_stream(), Some(("s1", StreamState::Initializing)));
}

#[test]
fn invalid_url_is_refused_with_the_stream_id_and_nothing_reaches_the_glasses() {
    let (mut s, now) = ready();
    s.handle_input(now, start("s9", "http://example.com/live"));
    let out = drain(&mut s);
    assert!(to_glasses(&out).is_empty());
    let st = cloud_statuses(&out);
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].stream_id, "s9");
    assert_eq!(st[0].status, "error");
    assert!(
        st[0]
            .error_details
            .as_deref()
            .unwrap()
            .starts_with("Invalid URL")
    );
    assert_eq!(s.active_stream(), None);
}

#[test]
fn stop_carries_the_stream_id_even_when_the_cloud_sends_none() {
    let (mut s, now) = ready();
    s.handle_input(now, start("s1", "rtmp://h/live/k"));
    let _ = drain(&mut s);
    s.handle_input(
        now,
        StreamInput::Cloud(CloudCommand::StopStream(StopRtmpStream {
            session_id: None,
            app_id: None,
            stream_id: String::new(),
        })),
    );
    let cmds = to_glasses(&drain(&mut s));
    assert_eq!(
        cmds[0].body,
        phone_to_glasses::Body::StopStream(StopStream {
            stream_id: "s1".into()
        })
    );
}

#[test]
fn glasses_status_without_id_gets_the_active_id_and_terminal_clears_it() {
    let (mut s, now) = ready();
    s.handle_input(now, start("s1", "rtmp://h/live/k"));
    let _ = drain(&mut s);
    s.handle_input(
        now,
        status(
            "",
            proto::StreamState::Error,
            proto::StreamErrorCode::NoWifi,
        ),
    );
    let st = cloud_statuses(&drain(&mut s));
    assert_eq!(st[0].stream_id, "s1");
    assert_eq!(st[0].status, "error");
    assert_eq!(st[0].error_code.as_deref(), Some("no_wifi_connection"));
    assert_eq!(s.active_stream(), None);
}

#[test]
fn unknown_glasses_state_is_an_error_not_active() {
    let (mut s, now) = ready();
    s.handle_input(now, start("s1", "rtmp://h/live/k"));
    let _ = drain(&mut s);
    s.handle_input(
        now,
        StreamInput::GlassesStatus(proto::StreamStatus {
            stream_id: "s1".into(),
            state: 42,
            ..Default::default()
        }),
    );
    let st = cloud_statuses(&drain(&mut s));
    assert_eq!(st[0].status, "error");
    assert_eq!(st[0].error_code.as_deref(), Some("unknown_status"));
}

#[test]
fn second_start_fails_already_streaming_and_leaves_the_first_alone() {
    let (mut s, now) = ready();
    s.handle_input(now, start("s1", "rtmp://h/live/k"));
    let _ = drain(&mut s);
    s.handle_input(now, start("s2", "rtmp://h/live/k2"));
    let out = drain(&mut s);
    assert!(to_glasses(&out).is_empty());
    let st = cloud_statuses(&out);
    assert_eq!(
        (st[0].stream_id.as_str(), st[0].status.as_str()),
        ("s2", "error")
    );
    assert_eq!(st[0].error_code.as_deref(), Some("already_streaming"));
    assert_eq!(s.active_stream(), Some(("s1", StreamState::Initializing)));
}

#[test]
fn start_without_glasses_fails_at_once() {
    let now = Instant::now();
    let mut s = StreamSupervisor::new(now);
    s.handle_input(now, start("s1", "rtmp://h/live/k"));
    let st = cloud_statuses(&drain(&mut s));
    assert_eq!(st[0].error_code.as_deref(), Some("glasses_not_connected"));
}

#[test]
fn link_loss_reports_reconnecting_and_relink_asks_for_status() {
    let (mut s, now) = ready();
    s.handle_input(now, start("s1", "rtmp://h/live/k"));
    let _ = drain(&mut s);
    s.handle_input(now, StreamInput::GlassesDown);
    let st = cloud_statuses(&drain(&mut s));
    assert_eq!(
        (st[0].stream_id.as_str(), st[0].status.as_str()),
        ("s1", "reconnecting")
    );
    s.handle_input(now, StreamInput::GlassesReady);
    let cmds = to_glasses(&drain(&mut s));
    assert_eq!(cmds[0].kind, CommandKind::Status);
}

#[test]
fn keep_alive_ack_goes_back_with_stream_and_ack_id() {
    let (mut s, now) = ready();
    s.handle_input(
        now,
        StreamInput::GlassesKeepAliveAck(proto::KeepAliveAck {
            stream_id: "s1".into(),
            ack_id: "a7".into(),
        }),
    );
    let out = drain(&mut s);
    assert_eq!(
        out[0],
        StreamOutput::ToCloud(Outgoing::KeepAliveAck(KeepAliveAck {
            stream_id: "s1".into(),
            ack_id: "a7".into()
        }))
    );
}

#[test]
fn rejected_start_is_reported_with_the_id() {
    let (mut s, now) = ready();
    s.handle_input(now, start("s1", "rtmp://h/live/k"));
    let _ = drain(&mut s);
    s.handle_input(
        now,
        StreamInput::CommandFailed {
            stream_id: "s1".into(),
            kind: CommandKind::Start,
            reason: CommandFailure::NoAnswer { attempts: 4 },
        },
    );
    let st = cloud_statuses(&drain(&mut s));
    assert_eq!(
        (st[0].stream_id.as_str(), st[0].status.as_str()),
        ("s1", "error")
    );
    assert_eq!(st[0].error_code.as_deref(), Some("glasses_no_answer"));
    assert_eq!(s.active_stream(), None);
}

#[test]
fn a_start_the_session_cannot_send_is_reported_with_the_reason() {
    let (mut s, now) = ready();
    s.handle_input(now, start("s1", "rtmp://h/live/k"));
    let _ = drain(&mut s);
    s.handle_input(
        now,
        StreamInput::CommandFailed {
            stream_id: "s1".into(),
            kind: CommandKind::Start,
            reason: CommandFailure::NotSent(SessionError::FieldTooLong {
                field: "url",
                len: 600,
                max: 512,
            }),
        },
    );
    let st = cloud_statuses(&drain(&mut s));
    assert_eq!(st[0].error_code.as_deref(), Some("invalid_url"));
    assert!(
        st[0]
            .error_details
            .as_deref()
            .unwrap()
            .contains("at most 512")
    );
}
