//! Rule 12 through the whole bridge, for every transport's secrets: a WHIP stream with a
//! bearer token and the live-input key in its URL, an SRT stream with a passphrase and a
//! stream id, an RTMP stream whose ingest refuses it. With every log line captured at TRACE,
//! no secret appears in the logs, in the `Debug` of any event, or in anything the cloud
//! received (errorDetails included).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use mentra_sim::cloud::StartSpec;
use mentra_sim::glasses::{GlassesSimConfig, RtmpBehaviour};

const SECRETS: [&str; 6] = [
    "SECRETLIVEINPUT",
    "SECRETWHIPTOKEN",
    "SECRETSRTPASS",
    "SECRETSRTID",
    "SECRETRTMPKEY",
    TOKEN,
];

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn stream(rig: &Rig, spec: StartSpec, words: &[&str]) {
    let c = rig.cloud.cursor();
    let id = spec.stream_id.clone();
    cloud_start_spec(&rig.cloud, spec).await;
    let s = expect_status(&rig.cloud, c, &id, words, Duration::from_secs(10)).await;
    if s.status == "streaming" {
        cloud_keep_alive(&rig.cloud, &id, "a1").await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let c = rig.cloud.cursor();
        cloud_stop(&rig.cloud, &id).await;
        expect_status(&rig.cloud, c, &id, &["stopped"], Duration::from_secs(10)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn rule_12_whip_tokens_srt_passphrases_and_live_input_keys_never_leak() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let rig = virtual_rig(185, quick_glasses(), Default::default());
    let mut events = rig.bridge.subscribe();
    glasses_connected(&rig.cloud).await;
    stream(
        &rig,
        StartSpec {
            stream_id: "m1".into(),
            url: "https://customer-x.cloudflarestream.com/SECRETLIVEINPUT/webRTC/publish".into(),
            managed: true,
            auth_token: Some("SECRETWHIPTOKEN".into()),
            telemetry: Some(true),
            ..Default::default()
        },
        &["streaming"],
    )
    .await;
    stream(
        &rig,
        StartSpec {
            stream_id: "s1".into(),
            url: "srt://ingest.example.com:9000?streamid=SECRETSRTID&passphrase=SECRETSRTPASS"
                .into(),
            app_id: "com.example".into(),
            ..Default::default()
        },
        &["streaming"],
    )
    .await;
    // A malformed SRT URL and an unknown scheme are refused with the id, without the URL.
    stream(
        &rig,
        StartSpec {
            stream_id: "s2".into(),
            url: "srt://ingest.example.com?passphrase=SECRETSRTPASS".into(),
            app_id: "com.example".into(),
            ..Default::default()
        },
        &["error"],
    )
    .await;
    stream(
        &rig,
        StartSpec {
            stream_id: "s3".into(),
            url: "rtsp://ingest.example.com/SECRETRTMPKEY".into(),
            app_id: "com.example".into(),
            ..Default::default()
        },
        &["error"],
    )
    .await;
    rig.bridge.shutdown().await;

    // The glasses refuse an ingest: the error travels with its cause, not the key.
    let refusing = virtual_rig(
        185,
        GlassesSimConfig {
            rtmp: RtmpBehaviour::ConnectFails,
            ..quick_glasses()
        },
        Default::default(),
    );
    glasses_connected(&refusing.cloud).await;
    stream(
        &refusing,
        StartSpec {
            stream_id: "s4".into(),
            url: "rtmps://ingest.example.com/live/SECRETRTMPKEY".into(),
            app_id: "com.example".into(),
            ..Default::default()
        },
        &["error"],
    )
    .await;
    refusing.bridge.shutdown().await;

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 50, "the logs were captured");
    let mut seen_events = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(10), events.next()).await {
        seen_events.push(format!("{e:?}"));
    }
    let received: Vec<String> = rig
        .cloud
        .received()
        .into_iter()
        .chain(refusing.cloud.received())
        .map(|r| format!("{:?}", r.message))
        .collect();
    for secret in SECRETS {
        assert!(!logs.contains(secret), "{secret} in the logs");
        for e in &seen_events {
            assert!(!e.contains(secret), "{secret} in an event: {e}");
        }
        for m in &received {
            assert!(!m.contains(secret), "{secret} reached the cloud: {m}");
        }
    }
    // What was refused said why, with the id.
    let details: Vec<String> = received
        .iter()
        .filter(|m| m.contains("errorDetails") || m.contains("error_details: Some"))
        .cloned()
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("\"s2\"") && d.contains("Invalid URL")),
        "{details:#?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("\"s3\"") && d.contains("Unknown stream URL protocol")),
        "{details:#?}"
    );
    assert!(
        seen_events.iter().any(|e| e.starts_with("Stream(")),
        "events were seen"
    );
}
