//! Rules 1–6: stream ids, config, URLs, arbitration, starts that finish or fail, duration.

use super::*;

fn some(code: &str) -> Option<String> {
    Some(code.to_owned())
}

#[test]
fn rule_01_stream_id_end_to_end() {
    let mut h = H::new();
    let out = h.start("s1", "app");
    assert_eq!(to_glasses(&out)[0].stream_id, "s1");
    // A glasses status without an id gets the active one.
    let out = h.glasses("", W::Streaming, StreamErrorCode::None);
    assert_eq!(words(&out), [("s1".into(), "streaming".into(), None)]);
    // Keep-alive and its ack carry the stream id and the ack id both ways.
    let out = h.keep_alive("s1", "a1");
    let phone_to_glasses::Body::KeepStreamAlive(ka) = &to_glasses(&out)[0].body else {
        panic!("no keep-alive relayed");
    };
    assert_eq!((ka.stream_id.as_str(), ka.ack_id.as_str()), ("s1", "a1"));
    assert_eq!(acks(&h.ack("", "a1")), [("s1".into(), "a1".into())]);
    // Stop without an id still names the stream to the glasses.
    let out = h.stop("");
    assert_eq!(
        to_glasses(&out)[0].body,
        phone_to_glasses::Body::StopStream(proto::StopStream {
            stream_id: "s1".into()
        })
    );
    // A glasses-side error without an id reaches the cloud with it.
    let out = h.glasses("", W::Error, StreamErrorCode::RtmpConnectFailed);
    assert_eq!(
        words(&out),
        [("s1".into(), "error".into(), some("rtmp_connection_failed"))]
    );
}

#[test]
fn rule_02_config_reaches_the_camera_clamped_and_is_reported_back() {
    let mut h = H::new();
    h.input(StreamInput::GlassesReady {
        limits: proto::CameraLimits {
            max_width: 1280,
            max_height: 720,
            max_fps: 24,
            ..StreamConfig::default().default_limits
        },
        transports: vec![],
    });
    let out = h.start_with(
        "s1",
        "app",
        URL,
        RequestedVideo {
            width: Some(1920.0),
            height: Some(1080.0),
            bitrate: Some(8_000_000.0),
            fps: Some(30.0),
        },
        None,
    );
    let phone_to_glasses::Body::StartStream(start) = &to_glasses(&out)[0].body else {
        panic!("no start");
    };
    let v = start.video.unwrap();
    assert_eq!(
        (v.width, v.height, v.bitrate_bps, v.fps),
        (1280, 720, 8_000_000, 24)
    );
    let a = start.audio.unwrap();
    assert_eq!(
        (a.bitrate_bps, a.sample_rate_hz),
        (64_000, 44_100),
        "defaults fill gaps"
    );
    let out = h.glasses("s1", W::Initializing, StreamErrorCode::None);
    let resolved = cloud(&out)[0].resolved.expect("resolved config reported");
    assert_eq!(
        (
            resolved.video.width,
            resolved.video.height,
            resolved.video.fps
        ),
        (1280, 720, 24)
    );
    assert_eq!(resolved.transport, Some(Transport::Rtmp));
}

#[test]
fn rule_03_urls_are_checked_first() {
    let mut h = H::new();
    for (n, (bad, code, sentence_start)) in [
        ("rtmp://", "invalid_url", "Invalid URL"),
        ("rtmp://host", "invalid_url", "Invalid URL"),
        ("srt://host", "invalid_url", "Invalid URL"),
        (
            "srt://h:9000?passphrase=short",
            "invalid_url",
            "Invalid URL",
        ),
        ("https://host", "invalid_url", "Invalid URL"),
        (
            "ftp://x/y",
            "unknown_stream_url_protocol",
            "Unknown stream URL protocol",
        ),
        (
            "rtsp://x:554/y",
            "unknown_stream_url_protocol",
            "Unknown stream URL protocol",
        ),
        ("", "missing_stream_url", "No stream address"),
    ]
    .iter()
    .enumerate()
    {
        let id = format!("s{n}");
        let out = h.start_with(&id, "app", bad, RequestedVideo::default(), None);
        assert!(to_glasses(&out).is_empty(), "nothing sent for {bad:?}");
        assert_eq!(
            words(&out),
            [(id.clone(), "error".into(), some(code))],
            "{bad:?}"
        );
        let said = sentence(&cloud(&out)[0]);
        assert!(said.starts_with(sentence_start), "{bad:?}: {said}");
    }
    assert_eq!(h.s.active_stream(), None);
}

#[test]
fn rule_14_every_transport_reaches_the_glasses_with_its_options() {
    use crate::redact::Redacted;
    use crate::stream::IceOptions;
    for (url, transport) in [
        (
            "rtmps://ingest.example.com/live/KEY",
            proto::StreamTransport::Rtmp,
        ),
        (
            "srt://ingest.example.com:9000?streamid=SID&passphrase=0123456789",
            proto::StreamTransport::Srt,
        ),
        (
            "https://customer-x.cloudflarestream.com/LIVEKEY/webRTC/publish",
            proto::StreamTransport::Whip,
        ),
    ] {
        let mut h = H::new();
        let out = h.start_request(StartRequest {
            auth_token: Some(Redacted::new("TOKEN".into())),
            ice: Some(IceOptions {
                stun: Some(String::new()),
            }),
            sound: Some(false),
            capture_audio: Some(true),
            telemetry: Some(true),
            trace_id: Some("trace-1".into()),
            ..H::request("s1", MANAGED, url)
        });
        let phone_to_glasses::Body::StartStream(start) = &to_glasses(&out)[0].body else {
            panic!("no start for {url}");
        };
        assert_eq!(start.transport, transport as i32, "{url}");
        assert_eq!(start.url, url);
        assert_eq!(start.kind, proto::StreamKind::Managed as i32);
        assert_eq!(start.auth_token, "TOKEN");
        assert_eq!(start.ice.as_ref().map(|i| i.stun_server.as_str()), Some(""));
        assert_eq!(
            (start.sound, start.capture_audio),
            (Some(false), Some(true))
        );
        assert!(start.telemetry);
        assert_eq!(start.trace_id, "trace-1");
    }
}

#[test]
fn rule_14_a_transport_the_glasses_lack_fails_at_once_with_a_sentence() {
    let mut h = H::new();
    h.input(StreamInput::GlassesReady {
        limits: Default::default(),
        transports: vec![],
    });
    let out = h.start_with(
        "s1",
        "app",
        "srt://ingest.example.com:9000",
        RequestedVideo::default(),
        None,
    );
    assert!(to_glasses(&out).is_empty());
    assert_eq!(
        words(&out),
        [("s1".into(), "error".into(), some("transport_unsupported"))]
    );
    let said = sentence(&cloud(&out)[0]);
    assert!(
        said.contains("cannot stream with this protocol") && said.contains("SRT is not supported"),
        "{said}"
    );
    // RTMP still works on the same glasses.
    let out = h.start("s2", "app");
    assert_eq!(to_glasses(&out)[0].kind, CommandKind::Start);
}

#[test]
fn telemetry_is_opt_in_and_the_stream_is_supervised_without_stats() {
    let mut h = H::new();
    let out = h.start("s1", "app");
    let phone_to_glasses::Body::StartStream(start) = &to_glasses(&out)[0].body else {
        panic!("no start");
    };
    assert!(!start.telemetry, "off unless asked for");
    let out = h.glasses("s1", W::Streaming, StreamErrorCode::None);
    let live = &cloud(&out)[0];
    assert_eq!((live.state, live.stats), (StreamState::Streaming, None));
    // Supervised all the same: a stop still ends it.
    let out = h.stop("s1");
    assert_eq!(to_glasses(&out)[0].kind, CommandKind::Stop);
}

#[test]
fn rule_04_camera_arbitration() {
    // Unmanaged is exclusive.
    let mut h = H::new();
    h.live("u1", "app.one");
    let out = h.start("u2", "app.two");
    assert!(to_glasses(&out).is_empty());
    assert_eq!(
        words(&out),
        [("u2".into(), "error".into(), some("already_streaming"))]
    );
    assert!(sentence(&cloud(&out)[0]).contains("Already streaming"));

    // Managed is shared: a second managed start joins the one physical stream.
    let mut h = H::new();
    h.live("m1", MANAGED);
    let out = h.start("m2", MANAGED);
    assert!(
        to_glasses(&out).is_empty(),
        "joining sends nothing to the glasses"
    );
    assert_eq!(words(&out), [("m2".into(), "streaming".into(), None)]);
    assert_eq!(h.s.viewers(), ["m1", "m2"]);
    // Statuses go to every viewer.
    let out = h.glasses("m1", W::Streaming, StreamErrorCode::None);
    assert_eq!(cloud(&out).len(), 2);
    // An unmanaged start while managed runs fails.
    let out = h.start("u1", "app");
    assert_eq!(
        words(&out),
        [("u1".into(), "error".into(), some("managed_stream_active"))]
    );
    assert!(sentence(&cloud(&out)[0]).contains("managed stream active"));
    // One viewer leaving keeps the stream; the last one stops it.
    let out = h.stop("m1");
    assert!(to_glasses(&out).is_empty());
    assert_eq!(words(&out), [("m1".into(), "stopped".into(), None)]);
    let out = h.stop("m2");
    assert_eq!(to_glasses(&out)[0].kind, CommandKind::Stop);
    assert_eq!(
        to_glasses(&out)[0].stream_id,
        "m1",
        "the glasses know it by its first id"
    );
}

#[test]
fn rule_05_starts_finish_or_fail() {
    let mut h = H::new();
    h.start("s1", "app");
    assert_eq!(h.s.next_timer().map(|t| t.0), Some(Timer::StartTimeout));
    assert!(cloud(&h.at(secs(29))).is_empty());
    let out = h.at(secs(30));
    assert_eq!(
        words(&out),
        [("s1".into(), "error".into(), some("start_timeout"))]
    );
    let cmds = to_glasses(&out);
    assert_eq!(
        (cmds[0].kind, cmds[0].stream_id.as_str()),
        (CommandKind::Stop, "s1")
    );
    assert_eq!(h.s.active_stream(), None);

    // Streaming in time clears the timer.
    let mut h = H::new();
    h.start("s2", "app");
    h.at(secs(5));
    h.glasses("s2", W::Streaming, StreamErrorCode::None);
    assert!(cloud(&h.at(secs(120))).is_empty());

    // No Wi-Fi: an immediate error, nothing sent.
    let mut h = H::new();
    h.input(StreamInput::GlassesWifi { connected: false });
    let out = h.start("s3", "app");
    assert!(to_glasses(&out).is_empty());
    assert_eq!(
        words(&out),
        [("s3".into(), "error".into(), some("no_wifi_connection"))]
    );
    // …and when only the glasses know, their error reaches the cloud with the id at once.
    let mut h = H::new();
    h.start("s4", "app");
    let out = h.glasses("", W::Error, StreamErrorCode::NoWifi);
    assert_eq!(
        words(&out),
        [("s4".into(), "error".into(), some("no_wifi_connection"))]
    );
}

#[test]
fn rule_06_duration_limit() {
    let mut h = H::new();
    h.start_with("s1", "app", URL, RequestedVideo::default(), Some(60.0));
    h.at(secs(2));
    h.glasses("s1", W::Streaming, StreamErrorCode::None);
    assert_eq!(
        h.s.active.as_ref().and_then(|a| a.duration_deadline()),
        Some(h.t0 + secs(62))
    );
    assert!(
        to_glasses(&h.at(secs(61)))
            .iter()
            .all(|c| c.kind != CommandKind::Stop),
        "60 s counts from streaming"
    );
    let out = h.at(secs(62));
    assert!(to_glasses(&out).iter().any(|c| c.kind == CommandKind::Stop));
    assert_eq!(
        words(&out),
        [("s1".into(), "stopping".into(), some("duration_limit"))]
    );
    let out = h.glasses("s1", W::Stopped, StreamErrorCode::None);
    assert_eq!(
        words(&out),
        [("s1".into(), "stopped".into(), some("duration_limit"))]
    );
}

#[test]
fn rule_06_each_viewer_of_a_shared_stream_keeps_its_own_limit() {
    let mut h = H::new();
    h.start_with("m1", MANAGED, URL, RequestedVideo::default(), Some(30.0));
    h.glasses("m1", W::Streaming, StreamErrorCode::None);
    // A second app joins without a limit: the camera serves it after m1's 30 s are up.
    h.start_with("m2", MANAGED, URL, RequestedVideo::default(), None);
    let out = h.at(secs(31));
    assert_eq!(
        words(&out),
        [("m1".into(), "stopped".into(), some("duration_limit"))]
    );
    assert!(
        to_glasses(&out).iter().all(|c| c.kind != CommandKind::Stop),
        "m2 still watches: the camera keeps streaming"
    );
    let out = h.at(secs(300));
    assert!(to_glasses(&out).iter().all(|c| c.kind != CommandKind::Stop));
    // The last viewer's stop turns the camera off.
    let out = h.stop("m2");
    assert!(to_glasses(&out).iter().any(|c| c.kind == CommandKind::Stop));
}
