//! The flight recorder as a user attaches it to a bug report: a stream through a glasses
//! drop, a cloud drop and an ingest reconnect is all in the export, in order, and none of the
//! secrets the session carried (an RTMP key, a WHIP token, the core token, a Wi-Fi password)
//! is. The export reads back, and the contract checker finds nothing wrong with it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_bridge::BridgeConfig;
use mentra_bridge::Redacted;
use mentra_bridge::bridge::{WifiCredentials, WifiSecurity};
use mentra_bridge::diag::{TraceChecker, What, parse_jsonl};
use mentra_sim::cloud::StartSpec;
use mentra_sim::glasses::{GlassesSimConfig, RtmpBehaviour};

const RTMP_KEY: &str = "sk-rtmp-8f3a91c2";
const WHIP_TOKEN: &str = "whip-bearer-77d0e4";
const WIFI_PASSWORD: &str = "correct horse battery";

#[tokio::test(start_paused = true)]
async fn the_export_holds_the_whole_timeline_and_none_of_the_secrets() {
    let glasses = GlassesSimConfig {
        rtmp: RtmpBehaviour::Drops {
            after: Duration::from_secs(3),
            attempts: 2,
            max: 5,
            recovers: true,
        },
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, BridgeConfig::default());
    glasses_connected(&rig.cloud).await;
    rig.bridge
        .set_wifi(WifiCredentials {
            ssid: "home".into(),
            password: Redacted::new(WIFI_PASSWORD.into()),
            security: WifiSecurity::Wpa2,
            allow_unencrypted_link: false,
        })
        .await
        .unwrap();
    // An RTMP stream with a key in its URL, through an ingest reconnect and a cloud drop.
    let cursor = rig.cloud.cursor();
    cloud_start_spec(
        &rig.cloud,
        StartSpec {
            stream_id: "srec1".into(),
            url: format!("rtmps://ingest.example.com/live/{RTMP_KEY}"),
            app_id: "app".into(),
            ..Default::default()
        },
    )
    .await;
    expect_status(
        &rig.cloud,
        cursor,
        "srec1",
        &["streaming"],
        Duration::from_secs(5),
    )
    .await;
    expect_status(
        &rig.cloud,
        cursor,
        "srec1",
        &["reconnected"],
        Duration::from_secs(15),
    )
    .await;
    rig.cloud.drop_connection().await;
    assert!(rig.cloud.wait_connected(Duration::from_secs(10)).await);
    cloud_stop(&rig.cloud, "srec1").await;
    expect_status(
        &rig.cloud,
        cursor,
        "srec1",
        &["stopped"],
        Duration::from_secs(10),
    )
    .await;
    // A WHIP stream with a bearer token, through a glasses drop.
    let cursor = rig.cloud.cursor();
    cloud_start_spec(
        &rig.cloud,
        StartSpec {
            stream_id: "srec2".into(),
            url: "https://whip.example.com/live/abc/webRTC/publish".into(),
            auth_token: Some(WHIP_TOKEN.into()),
            app_id: "app".into(),
            ..Default::default()
        },
    )
    .await;
    expect_status(
        &rig.cloud,
        cursor,
        "srec2",
        &["streaming"],
        Duration::from_secs(5),
    )
    .await;
    rig.link.disconnect("walked out of range");
    tokio::time::sleep(Duration::from_secs(2)).await;
    rig.link.connect();
    tokio::time::sleep(Duration::from_secs(5)).await;
    cloud_stop(&rig.cloud, "srec2").await;
    expect_status(
        &rig.cloud,
        cursor,
        "srec2",
        &["stopped"],
        Duration::from_secs(15),
    )
    .await;

    let export = rig.bridge.export_diagnostics();
    for secret in [
        RTMP_KEY,
        WHIP_TOKEN,
        TOKEN,
        WIFI_PASSWORD,
        "ingest.example.com/live/sk",
    ] {
        assert!(
            !export.contains(secret),
            "{secret:?} leaked into the export"
        );
    }
    let (header, entries) = parse_jsonl(&export).expect("the export reads back");
    assert_eq!(header.entries, entries.len());
    let has = |f: &dyn Fn(&What) -> bool| entries.iter().any(|e| f(&e.what));
    assert!(has(
        &|w| matches!(w, What::CloudIn { msg, stream_id: Some(id) } if msg == "start_stream" && id == "srec1")
    ));
    assert!(has(
        &|w| matches!(w, What::GlassesOut { msg, .. } if msg == "start_stream")
    ));
    assert!(has(
        &|w| matches!(w, What::GlassesIn { state: Some(s), .. } if s == "reconnecting")
    ));
    assert!(has(
        &|w| matches!(w, What::Stream { stream_id, state, .. } if stream_id == "srec1" && state == "reconnected")
    ));
    assert!(has(
        &|w| matches!(w, What::Connection { peer, state, .. } if peer == "cloud" && state == "disconnected")
    ));
    assert!(has(
        &|w| matches!(w, What::Connection { peer, state, reason: Some(r) } if peer == "glasses" && state == "disconnected" && r.contains("out of range"))
    ));
    assert!(has(
        &|w| matches!(w, What::CloudOut { status: Some(s), stream_id: Some(id), .. } if s == "stopped" && id == "srec2")
    ));
    assert!(
        entries.windows(2).all(|w| w[0].t_ms <= w[1].t_ms),
        "in time order"
    );
    assert_eq!(
        TraceChecker::check_all(&entries),
        vec![],
        "a clean run breaks nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn the_ring_keeps_its_bounds_by_count_and_by_age() {
    let config = BridgeConfig {
        recorder: mentra_bridge::diag::RecorderConfig {
            max_entries: 50,
            max_age: Duration::from_secs(30),
        },
        ..BridgeConfig::default()
    };
    let rig = virtual_rig(185, quick_glasses(), config);
    live(&rig, "sbound", "app").await;
    for i in 0..40 {
        cloud_keep_alive(&rig.cloud, "sbound", &format!("k{i}")).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let (header, entries) = parse_jsonl(&rig.bridge.export_diagnostics()).unwrap();
    assert!(entries.len() <= 50, "{} entries", entries.len());
    assert!(header.dropped > 0, "the bounds dropped the oldest");
    let span = entries.last().unwrap().t_ms - entries.first().unwrap().t_ms;
    assert!(span <= 30_000, "nothing older than 30 s kept: {span} ms");
}

/// The band the glasses round trip may read above the link's own delay: the glasses answer at
/// once in the simulator, so what is left is the bridge's own scheduling (documented in README,
/// "Diagnostics").
const RTT_BAND_MS: u32 = 10;

#[tokio::test(start_paused = true)]
async fn the_glasses_round_trip_tracks_the_link_and_retransmissions_rise_under_loss() {
    let rig = virtual_rig(185, quick_glasses(), BridgeConfig::default());
    rig.link.set_latency(Duration::from_millis(20));
    live(&rig, "sq", "app").await;
    for i in 0..6 {
        cloud_keep_alive(&rig.cloud, "sq", &format!("q{i}")).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    let q = rig.bridge.state().link;
    let rtt = q.glasses_rtt_ms.expect("a round trip was timed");
    assert!(
        (40..=40 + RTT_BAND_MS).contains(&rtt),
        "20 ms each way reads {rtt} ms"
    );
    assert_eq!(q.glasses_retransmissions, 0, "a clean link resends nothing");
    rig.link.set_loss(0.3);
    for i in 0..20 {
        cloud_keep_alive(&rig.cloud, "sq", &format!("l{i}")).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    let lossy = rig.bridge.state().link;
    assert!(
        lossy.glasses_retransmissions > 0,
        "loss makes the bridge resend: {lossy:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_start_is_recorded_without_its_key_and_the_header_tells_the_wall_clock() {
    let glasses = GlassesSimConfig {
        rtmp: RtmpBehaviour::ConnectFails,
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, BridgeConfig::default());
    glasses_connected(&rig.cloud).await;
    let cursor = rig.cloud.cursor();
    cloud_start_spec(
        &rig.cloud,
        StartSpec {
            stream_id: "sscrub".into(),
            url: format!("rtmp://ingest.example.com/live/{RTMP_KEY}"),
            app_id: "app".into(),
            ..Default::default()
        },
    )
    .await;
    expect_status(
        &rig.cloud,
        cursor,
        "sscrub",
        &["error", "timeout"],
        Duration::from_secs(10),
    )
    .await;
    let export = rig.bridge.export_diagnostics();
    assert!(!export.contains(RTMP_KEY), "the stream key leaked");
    let (header, entries) = parse_jsonl(&export).unwrap();
    assert!(
        entries.iter().any(
            |e| matches!(&e.what, What::Stream { stream_id, state, problem: Some(_), .. }
            if stream_id == "sscrub" && (state == "error" || state == "timeout"))
        ),
        "the failed start is in the recording, with its problem"
    );
    assert!(header.exported_unix_ms >= header.started_unix_ms && header.started_unix_ms > 0);
}
