//! Rules 7–13: keep-alive, link losses, health, vocabulary, secrets, bad input.

use super::*;
use crate::health::{HealthConfig, HealthInput, HealthMonitor};

#[test]
fn rule_07_keep_alive_window_late_acks_and_one_missed_streak_report() {
    let mut h = H::new();
    h.live("s1", "app");
    h.keep_alive("s1", "a1");
    // Late (after the 10 s ack timeout) but still in the window: relayed, streak reset.
    h.at(secs(12));
    assert_eq!(acks(&h.ack("s1", "a1")), [("s1".into(), "a1".into())]);
    // Three misses in a row: reported once, the stream is not stopped.
    let mut reports = 0;
    let mut out = Vec::new();
    for (n, t) in [(2, 15), (3, 30), (4, 45), (5, 60)] {
        out.extend(h.at(secs(t)));
        out.extend(h.keep_alive("s1", &format!("a{n}")));
    }
    out.extend(h.at(secs(120)));
    let kinds: Vec<CommandKind> = to_glasses(&out).iter().map(|c| c.kind).collect();
    assert!(
        !kinds.contains(&CommandKind::Stop),
        "no stop for missed acks"
    );
    // Glasses silent about keep-alives may have ended the stream (Mentra Live answers none
    // for a stream it no longer runs): they are asked what runs, once.
    assert_eq!(
        kinds.iter().filter(|k| **k == CommandKind::Status).count(),
        1,
        "{kinds:?}"
    );
    for s in cloud(&out) {
        if s.problem == Some(StreamProblem::KeepAliveMissed) {
            reports += 1;
            assert_eq!(s.state, StreamState::Streaming, "reported, not stopped");
        }
    }
    assert_eq!(reports, 1);
    // A late ack for an id still in the window ends the streak; an id pushed out is relayed
    // as the glasses said it.
    assert_eq!(acks(&h.ack("s1", "a5")), [("s1".into(), "a5".into())]);
    h.keep_alive("s1", "a6");
    h.at(secs(121));
    assert!(
        h.ack("s1", "a6")
            .iter()
            .any(|o| matches!(o, StreamOutput::ToCloud(_)))
    );
}

#[test]
fn rule_08_glasses_link_loss_resyncs_restarts_managed_reports_unmanaged() {
    let mut h = H::new();
    h.live("u1", "app");
    let out = h.input(StreamInput::GlassesDown);
    assert_eq!(words(&out), [("u1".into(), "reconnecting".into(), None)]);
    let out = h.input(StreamInput::GlassesReady {
        limits: Default::default(),
        transports: vec![],
    });
    assert_eq!(
        to_glasses(&out)[0].kind,
        CommandKind::Status,
        "asks for status on relink"
    );
    // The glasses lost it: unmanaged is reported, not restarted.
    let out = h.glasses("", W::Idle, StreamErrorCode::None);
    assert!(to_glasses(&out).is_empty());
    assert_eq!(
        words(&out),
        [(
            "u1".into(),
            "error".into(),
            Some("glasses_link_lost".into())
        )]
    );

    let mut h = H::new();
    h.live("m1", MANAGED);
    h.input(StreamInput::GlassesDown);
    h.input(StreamInput::GlassesReady {
        limits: Default::default(),
        transports: vec![],
    });
    let out = h.glasses("", W::Idle, StreamErrorCode::None);
    let cmds = to_glasses(&out);
    assert_eq!(
        (cmds[0].kind, cmds[0].stream_id.as_str()),
        (CommandKind::Start, "m1")
    );
    assert_eq!(words(&out), [("m1".into(), "initializing".into(), None)]);
    // Still streaming after the drop: nothing to restart.
    let mut h = H::new();
    h.live("m2", MANAGED);
    h.input(StreamInput::GlassesDown);
    h.input(StreamInput::GlassesReady {
        limits: Default::default(),
        transports: vec![],
    });
    let out = h.glasses("m2", W::Streaming, StreamErrorCode::None);
    assert!(to_glasses(&out).is_empty());
    assert_eq!(words(&out), [("m2".into(), "streaming".into(), None)]);
}

#[test]
fn rule_09_cloud_link_loss_grace_then_stop() {
    let mut h = H::new();
    h.live("s1", "app");
    h.input(StreamInput::CloudDown {
        silent_for: Duration::ZERO,
    });
    // Through the grace the bridge keeps the glasses' watchdog fed itself, once the cloud's
    // keep-alives are overdue (15 s cadence + 5 s slack from streaming).
    assert!(to_glasses(&h.at(secs(19))).is_empty());
    let out = h.at(secs(20));
    let phone_to_glasses::Body::KeepStreamAlive(ka) = &to_glasses(&out)[0].body else {
        panic!("bridge keep-alive expected");
    };
    assert!(ka.ack_id.starts_with("bridge-"));
    assert!(
        h.ack("s1", &ka.ack_id.clone()).is_empty(),
        "our own acks stay here"
    );
    assert!(
        to_glasses(&h.at(secs(59)))
            .iter()
            .all(|c| c.kind == CommandKind::KeepAlive)
    );
    let out = h.at(secs(60));
    assert_eq!(to_glasses(&out)[0].kind, CommandKind::Stop);
    assert_eq!(
        words(&out),
        [(
            "s1".into(),
            "stopping".into(),
            Some("cloud_link_lost".into())
        )]
    );

    // Back in time: nothing stops.
    let mut h = H::new();
    h.live("s2", "app");
    h.input(StreamInput::CloudDown {
        silent_for: Duration::ZERO,
    });
    h.at(secs(30));
    h.input(StreamInput::CloudUp);
    assert!(
        to_glasses(&h.at(secs(300)))
            .iter()
            .all(|c| c.kind != CommandKind::Stop)
    );
}

#[test]
fn rule_10_health_warns_throttles_and_stops_with_hysteresis() {
    let mut h = H::new();
    let mut m = HealthMonitor::new(HealthConfig::default(), h.now).unwrap();
    let mut feed = |h: &mut H, input: HealthInput| {
        m.handle_input(h.now, input);
        let mut out = Vec::new();
        while let Some(alert) = m.poll_output() {
            let change = match alert {
                crate::health::HealthAlert::Battery(b) => HealthChange::Battery(b),
                crate::health::HealthAlert::Heat(b) => HealthChange::Heat(b),
            };
            out.extend(h.input(StreamInput::Health(change)));
        }
        out
    };
    h.live("s1", "app");
    let out = feed(&mut h, HealthInput::Temperature { celsius: 71.0 });
    assert_eq!(
        words(&out),
        [(
            "s1".into(),
            "streaming".into(),
            Some("thermal_warning".into())
        )]
    );
    let out = feed(&mut h, HealthInput::Temperature { celsius: 80.5 });
    let phone_to_glasses::Body::SetStreamBitrate(b) = &to_glasses(&out)[0].body else {
        panic!("throttle expected");
    };
    assert_eq!(b.bitrate_bps, 1_000_000, "half of the default 2 Mbps");
    assert!(
        feed(&mut h, HealthInput::Temperature { celsius: 78.0 }).is_empty(),
        "hysteresis"
    );
    let out = feed(&mut h, HealthInput::Temperature { celsius: 76.0 });
    let phone_to_glasses::Body::SetStreamBitrate(b) = &to_glasses(&out)[0].body else {
        panic!("restore expected");
    };
    assert_eq!(b.bitrate_bps, 2_000_000);
    let out = feed(&mut h, HealthInput::Temperature { celsius: 88.0 });
    assert_eq!(to_glasses(&out)[0].kind, CommandKind::Stop);
    assert_eq!(
        words(&out),
        [("s1".into(), "stopping".into(), Some("overheated".into()))]
    );
    h.glasses("s1", W::Stopped, StreamErrorCode::None);
    let out = h.start("s2", "app");
    assert_eq!(
        words(&out),
        [("s2".into(), "error".into(), Some("overheated".into()))]
    );
}

/// Feeds battery readings through a real health monitor into the supervisor.
fn battery(h: &mut H, m: &mut HealthMonitor, percent: u32, charging: bool) -> Vec<StreamOutput> {
    m.handle_input(
        h.now,
        HealthInput::Battery {
            percent,
            actively_charging: charging,
        },
    );
    let mut out = Vec::new();
    while let Some(crate::health::HealthAlert::Battery(b)) = m.poll_output() {
        out.extend(h.input(StreamInput::Health(HealthChange::Battery(b))));
    }
    out
}

#[test]
fn rule_10_battery_gate_at_start_for_3_4_14_and_15_percent_charging_and_not() {
    for (percent, charging, allowed) in [
        (15, false, true),
        (14, false, false),
        (4, false, false),
        (3, false, false),
        (15, true, true),
        (14, true, true),
        (4, true, true),
        (3, true, false),
    ] {
        let mut h = H::new();
        let mut m = HealthMonitor::new(HealthConfig::default(), h.now).unwrap();
        battery(&mut h, &mut m, percent, charging);
        let out = h.start("s1", "app");
        let label = format!("{percent}% charging={charging}");
        if allowed {
            assert_eq!(to_glasses(&out)[0].kind, CommandKind::Start, "{label}");
        } else {
            assert!(to_glasses(&out).is_empty(), "{label}");
            assert_eq!(
                words(&out),
                [("s1".into(), "error".into(), Some("battery_low".into()))],
                "{label}"
            );
            let said = sentence(&cloud(&out)[0]);
            let floor = if charging { 4 } else { 15 };
            assert!(
                said.contains(&format!(
                    "Battery level too low ({percent}%) - minimum {floor}% required"
                )),
                "{label}: {said}"
            );
        }
    }
}

#[test]
fn rule_10_battery_gate_mid_stream_for_3_4_14_and_15_percent_charging_and_not() {
    for (percent, charging, keeps_streaming) in [
        (15, false, true),
        (14, false, false),
        (4, false, false),
        (3, false, false),
        (15, true, true),
        (14, true, true),
        (4, true, true),
        (3, true, false),
    ] {
        let mut h = H::new();
        let mut m = HealthMonitor::new(HealthConfig::default(), h.now).unwrap();
        battery(&mut h, &mut m, 80, false);
        h.live("s1", "app");
        let out = battery(&mut h, &mut m, percent, charging);
        let label = format!("{percent}% charging={charging}");
        let stopped = to_glasses(&out).iter().any(|c| c.kind == CommandKind::Stop);
        assert_eq!(stopped, !keeps_streaming, "{label}");
        if !keeps_streaming {
            assert_eq!(
                words(&out),
                [("s1".into(), "stopping".into(), Some("battery_low".into()))],
                "{label}"
            );
            assert!(
                sentence(&cloud(&out)[0]).contains(&format!("({percent}%)")),
                "{label}"
            );
        }
    }
    // The 10 % warning stays (while charging, the only way to stream that low).
    let mut h = H::new();
    let mut m = HealthMonitor::new(HealthConfig::default(), h.now).unwrap();
    battery(&mut h, &mut m, 12, true);
    h.live("s3", "app");
    let out = battery(&mut h, &mut m, 10, true);
    assert_eq!(
        words(&out),
        [(
            "s3".into(),
            "streaming".into(),
            Some("battery_low_warning".into())
        )]
    );
    assert!(to_glasses(&out).is_empty(), "a warning, not a stop");
}

#[test]
fn rule_11_status_vocabulary_maps_every_word_and_unknown_is_an_error() {
    use StreamState as S;
    for (word, state) in [
        ("initializing", S::Initializing),
        ("starting", S::Initializing),
        ("connecting", S::Initializing),
        ("streaming", S::Streaming),
        ("active", S::Streaming),
        ("streaming_started", S::Streaming),
        ("reconnecting", S::Reconnecting),
        ("reconnected", S::Reconnected),
        ("reconnect_failed", S::ReconnectFailed),
        ("stopping", S::Stopping),
        ("stopped", S::Stopped),
        ("not_streaming", S::Stopped),
        ("disconnected", S::Stopped),
        ("timeout", S::Stopped),
        ("error", S::Error),
        ("error_not_streaming", S::Error),
    ] {
        assert_eq!(S::from_word(word), Ok(state), "{word}");
    }
    assert!(S::from_word("paused").is_err());
    assert!(S::from_word("").is_err());
    // An unknown value from the glasses is an error, never `active`.
    let mut h = H::new();
    h.start("s1", "app");
    let out = h.input(StreamInput::GlassesStatus(proto::StreamStatus {
        stream_id: "s1".into(),
        state: 77,
        ..Default::default()
    }));
    assert_eq!(
        words(&out),
        [("s1".into(), "error".into(), Some("unknown_status".into()))]
    );
}

#[test]
fn rule_11_reconnect_failed_always_carries_its_reason() {
    let mut h = H::new();
    h.live("s1", "app");
    let out = h.glasses("s1", W::ReconnectFailed, StreamErrorCode::None);
    assert_eq!(
        words(&out),
        [(
            "s1".into(),
            "reconnect_failed".into(),
            Some("reconnect_failed".into())
        )]
    );
}

#[test]
fn rule_12_no_secrets_in_logs_or_errors() {
    use crate::redact::Redacted;
    let mut h = H::new();
    let mut all = h.start("s1", "app");
    all.extend(h.start_with(
        "s2",
        "app",
        "rtmp://h/ sk_SECRET_KEY_123",
        RequestedVideo::default(),
        None,
    ));
    all.extend(h.input(StreamInput::GlassesStatus(proto::StreamStatus {
        stream_id: "s1".into(),
        state: W::Error as i32,
        error_code: StreamErrorCode::RtmpConnectFailed as i32,
        error_detail: format!("RTMP connection failed: {URL} refused"),
        ..Default::default()
    })));
    // The new transports' secrets: WHIP live-input key and bearer token, SRT passphrase and id.
    let mut h = H::new();
    all.extend(h.start_request(StartRequest {
        auth_token: Some(Redacted::new("SECRET_WHIP_TOKEN".into())),
        ..H::request(
            "m1",
            MANAGED,
            "https://customer-x.cloudflarestream.com/SECRET_LIVE_INPUT/webRTC/publish",
        )
    }));
    all.extend(h.input(StreamInput::GlassesStatus(proto::StreamStatus {
        stream_id: "m1".into(),
        state: W::Error as i32,
        error_code: StreamErrorCode::RtmpConnectFailed as i32,
        error_detail: "WHIP POST https://customer-x.cloudflarestream.com/SECRET_LIVE_INPUT/webRTC/publish failed, Bearer SECRET_WHIP_TOKEN".into(),
        ..Default::default()
    })));
    let mut h = H::new();
    all.extend(h.start_with(
        "u1",
        "app",
        "srt://h:9000?streamid=SECRET_SRT_ID&passphrase=SECRET_PASSPHRASE",
        RequestedVideo::default(),
        None,
    ));
    all.extend(h.input(StreamInput::CommandFailed {
        stream_id: "u1".into(),
        kind: CommandKind::Start,
        reason: crate::glasses::CommandFailure::Rejected {
            code: None,
            detail:
                "bad url srt://h:9000?streamid=SECRET_SRT_ID&passphrase=SECRET_PASSPHRASE".into(),
        },
    }));
    for out in &all {
        let debug = format!("{out:?}");
        assert!(!debug.contains("SECRET"), "leaked in {debug}");
    }
    let stated: Vec<String> = all
        .iter()
        .filter_map(|o| match o {
            StreamOutput::Event(StreamEvent::Status(u)) => Some(sentence(u)),
            _ => None,
        })
        .collect();
    assert!(stated.iter().all(|s| !s.contains("SECRET")), "{stated:?}");
    assert!(
        stated
            .iter()
            .any(|s| s.contains("srt://h:9000?streamid=****")),
        "the glasses' words survive, without the keys: {stated:?}"
    );
}

#[test]
fn rule_13_bad_input_never_panics_or_wedges() {
    let mut h = H::new();
    let hostile = [
        proto::StreamStatus {
            state: -5,
            ..Default::default()
        },
        proto::StreamStatus {
            stream_id: "\u{0}\u{202e}x".repeat(100),
            state: W::Streaming as i32,
            error_code: 9999,
            stats: Some(proto::StreamStats {
                fps: f32::NAN,
                temperature_c: f32::INFINITY,
                ..Default::default()
            }),
            ..Default::default()
        },
        proto::StreamStatus {
            stream_id: "ghost".into(),
            state: W::Idle as i32,
            ..Default::default()
        },
    ];
    for s in hostile {
        h.input(StreamInput::GlassesStatus(s));
    }
    h.ack("", "nobody");
    h.input(StreamInput::CommandFailed {
        stream_id: "ghost".into(),
        kind: CommandKind::Stop,
        reason: crate::glasses::CommandFailure::NoAnswer { attempts: 4 },
    });
    for out in h.at(secs(1000)) {
        if let StreamOutput::ToCloud(CloudReport::Status { update, .. }) = out {
            if let Some(stats) = update.stats {
                assert!(stats.fps.is_finite(), "stats stay finite (they serialise)");
            }
        }
    }
    // Not wedged: a normal stream still works end to end.
    let out = h.start("ok", "app");
    assert_eq!(to_glasses(&out)[0].kind, CommandKind::Start);
    let out = h.glasses("ok", W::Streaming, StreamErrorCode::None);
    assert_eq!(words(&out), [("ok".into(), "streaming".into(), None)]);
}

#[test]
fn without_a_cloud_the_bridge_keeps_streams_alive_and_never_applies_the_grace() {
    let mut h = H::new();
    h.input(StreamInput::NoCloud);
    h.live("s1", "cli");
    let out = h.at(secs(300));
    let cmds = to_glasses(&out);
    assert_eq!(cmds.len(), 20, "a keep-alive every 15 s for 5 minutes");
    assert!(cmds.iter().all(|c| c.kind == CommandKind::KeepAlive));
}

#[test]
fn rule_08_an_ingest_lost_by_the_glasses_reaches_the_cloud_as_reconnecting_with_the_cause() {
    let mut h = H::new();
    h.live("s1", "app");
    let out = h.input(StreamInput::GlassesStatus(proto::StreamStatus {
        stream_id: "s1".into(),
        state: W::Reconnecting as i32,
        reconnect_attempt: 1,
        reconnect_max: 3,
        error_detail: "connection_lost: Broken pipe".into(),
        ..Default::default()
    }));
    let sent = cloud(&out);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].stream_id, "s1");
    assert_eq!(sent[0].state, StreamState::Reconnecting);
    assert_eq!(sentence(&sent[0]), "connection_lost: Broken pipe");
    assert_eq!(sent[0].problem, None, "not an error (yet)");
    assert_eq!(sent[0].reconnect, Some((1, 3)));
}

#[test]
fn rule_07_the_ack_window_and_the_bridges_own_keep_alives_follow_the_observed_cadence() {
    // A requester that keeps alive every 5 s (the phone SDK's pace), not the cloud's 15 s.
    let mut h = H::new();
    h.live("s1", "app");
    h.keep_alive("s1", "a1");
    h.at(secs(5));
    h.keep_alive("s1", "a2");
    // An ack is due before the next keep-alive: two thirds of 5 s, not the 10 s maximum.
    assert_eq!(
        h.s.next_timer(),
        Some((Timer::KeepAliveAck, h.t0 + secs(5) + secs(5) * 2 / 3))
    );
    h.ack("s1", "a1");
    h.ack("s1", "a2");
    // The keep-alives stop arriving: once the next one is overdue (5 s + 5 s slack after the
    // last), the bridge feeds the glasses itself, at the cadence it saw.
    let fed = |out: &[StreamOutput]| {
        to_glasses(out)
            .iter()
            .filter(|c| c.kind == CommandKind::KeepAlive)
            .count()
    };
    assert_eq!(fed(&h.at(secs(14))), 0, "not before they are overdue");
    assert_eq!(
        fed(&h.at(secs(15))),
        1,
        "a bridge keep-alive 10 s after the last"
    );
    assert_eq!(fed(&h.at(secs(25))), 2, "then every 5 s");
    // The requester comes back: the bridge steps aside again.
    h.keep_alive("s1", "a3");
    let out = h.at(secs(34));
    assert_eq!(fed(&out), 0, "{out:?}");
}
