//! The stream scenario over the TCP link: the bridge's `TcpLink` against the glasses simulator
//! run as a process (`mentra-glasses-sim --tcp 127.0.0.1:0`), with the cloud simulator on
//! 127.0.0.1, in both dialects (the Mentra Live personality's 2025 and 2026 firmware too).
//! Plus: the link reconnects by itself after the glasses drop it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use mentra_bridge::bridge::spawn;
use mentra_bridge::cloud::{CloudConfig, TcpConnector};
use mentra_bridge::glasses::{Dialect, GlassesLink, LinkEvent, TCP_MTU, TcpLink, TcpLinkConfig};
use mentra_bridge::{BridgeConfig, Redacted};
use mentra_sim::cloud::{CloudSim, CloudSimConfig, StreamScript, run_stream_script};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_stream_over_tcp_to_the_glasses_simulator_process() {
    full_stream_over_tcp(&[], Dialect::MentraProto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_stream_over_tcp_to_mentra_live_glasses_with_2026_firmware() {
    full_stream_over_tcp(
        &["--dialect", "mentra-live", "--firmware", "2026"],
        Dialect::MentraLive,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_stream_over_tcp_to_mentra_live_glasses_with_2025_firmware() {
    full_stream_over_tcp(
        &["--dialect", "mentra-live", "--firmware", "2025"],
        Dialect::MentraLive,
    )
    .await;
}

async fn full_stream_over_tcp(extra: &[&str], dialect: Dialect) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mentra-glasses-sim"))
        .args(["--tcp", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the simulator starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the simulator says where it listens")
        .unwrap()
        .unwrap();
    let address = line
        .strip_prefix("listening on ")
        .expect("address line")
        .to_owned();

    let cloud = CloudSim::start(CloudSimConfig::default()).await.unwrap();
    let config = BridgeConfig {
        cloud: CloudConfig {
            url: cloud.url(),
            token: Redacted::new("t".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    // The link says what it speaks; the bridge needs no setting.
    let link = TcpLink::new(TcpLinkConfig {
        dialect,
        ..TcpLinkConfig::new(address)
    });
    let bridge = spawn(config, Box::new(link), Arc::new(TcpConnector)).unwrap();
    // 2025 firmware pushes RTMP only (the bridge refuses WHIP for it, saying why).
    let rtmp_only = extra.contains(&"2025");
    let script = StreamScript {
        url: if rtmp_only {
            "rtmps://ingest.example.com/live/stcp-key".into()
        } else {
            StreamScript::default().url
        },
        managed: !rtmp_only,
        stream_id: "stcp".into(),
        keep_alives: 2,
        keep_alive_interval: Duration::from_millis(200),
        ..Default::default()
    };
    let report = run_stream_script(&cloud, &script, &mut |_| {})
        .await
        .expect("the stream goes start → streaming → acked → stopped over TCP");
    assert_eq!(report.acked, ["a0001", "a0002"]);
    assert_eq!(report.statuses.last().map(String::as_str), Some("stopped"));
    bridge.shutdown().await;
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tcp_link_reconnects_after_the_glasses_drop_it() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let mut config = TcpLinkConfig::new(address);
    config.backoff.initial = Duration::from_millis(20);
    let mut link = TcpLink::new(config);
    // The link starts connecting on first use.
    let (accepted, up) = tokio::join!(listener.accept(), next(&mut link));
    let (first, _) = accepted.unwrap();
    assert_eq!(up, Some(LinkEvent::Up { mtu: TCP_MTU }));
    drop(first);
    assert!(matches!(
        next(&mut link).await,
        Some(LinkEvent::Down { .. })
    ));
    assert!(
        link.send(vec![1, 2, 3]).await.is_err(),
        "no writes while down"
    );
    let (accepted, up) = tokio::join!(listener.accept(), next(&mut link));
    let _second = accepted.unwrap();
    assert_eq!(up, Some(LinkEvent::Up { mtu: TCP_MTU }));
}

async fn next(link: &mut TcpLink) -> Option<LinkEvent> {
    tokio::time::timeout(Duration::from_secs(10), link.next_event())
        .await
        .expect("an event in time")
}
