//! End to end over loopback: the cloud simulator (real WebSocket on 127.0.0.1) asks for a
//! stream, the bridge relays it over the simulated link to the glasses simulator, keep-alives
//! are acked, stop ends it, and the cloud receives every status and ack, with the right ids,
//! in order, named in the cloud's own generation and never in the other's. Run for both cloud
//! generations, for managed WHIP, unmanaged RTMP and unmanaged SRT, at the smallest BLE MTU
//! and at a typical one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use common::*;
use mentra_bridge::BridgeEvent;
use mentra_bridge::cloud::{CloudGeneration, Outgoing};
use mentra_bridge::stream::StreamState;
use mentra_sim::cloud::{DEMO_WHIP_URL, run_stream_script};

/// What the app asked for.
#[derive(Clone, Copy, Debug)]
enum Ingest {
    ManagedWhip,
    UnmanagedRtmp,
    UnmanagedSrt,
}

async fn round_trip(mtu: u16) {
    round_trip_with(mtu, CloudGeneration::V2026, Ingest::UnmanagedRtmp).await;
}

async fn round_trip_with(mtu: u16, generation: CloudGeneration, ingest: Ingest) {
    let rig = rig_speaking(mtu, quick_glasses(), generation).await;
    let mut events = rig.bridge.subscribe();
    let id = format!("smtu{mtu}");
    let (url, managed, transport) = match ingest {
        Ingest::ManagedWhip => (DEMO_WHIP_URL.to_owned(), true, "whip"),
        Ingest::UnmanagedRtmp => (
            format!("rtmps://ingest.example.com/live/{id}-key"),
            false,
            "rtmp",
        ),
        Ingest::UnmanagedSrt => (
            "srt://ingest.example.com:9000?streamid=publish:key&passphrase=0123456789abc"
                .to_owned(),
            false,
            "srt",
        ),
    };
    let script = mentra_sim::cloud::StreamScript {
        url,
        managed,
        ..quick_script(&id)
    };
    let report = run_stream_script(&rig.cloud, &script, &mut |_| {})
        .await
        .expect("the scripted stream completes");
    assert_eq!(report.acked, ["a0001", "a0002", "a0003"]);

    // Statuses are named in the cloud's generation, and nothing of the other one is sent.
    let (ours, other) = match generation {
        CloudGeneration::V2026 => ("stream_status", "rtmp_stream_status"),
        CloudGeneration::V2025 => ("rtmp_stream_status", "stream_status"),
    };
    let received = rig.cloud.received();
    assert!(received.iter().any(|r| r.kind == ours));
    assert!(
        received.iter().all(|r| r.kind != other),
        "{generation:?}: {:?}",
        received.iter().map(|r| &r.kind).collect::<Vec<_>>()
    );
    // The resolved config names the transport the URL chose.
    let transports: Vec<String> = received
        .iter()
        .filter_map(|r| match &r.message {
            Outgoing::StreamStatus(s) => s.resolved_config.as_ref()?.transport.clone(),
            _ => None,
        })
        .collect();
    assert!(!transports.is_empty() && transports.iter().all(|t| t == transport));

    // Every stream message the glasses produced reached the cloud, translated, in order.
    let cloud = cloud_saw(&rig.cloud);
    let glasses = glasses_said(&rig.glasses);
    assert_eq!(cloud, glasses);
    let words: Vec<&str> = cloud
        .iter()
        .filter_map(|s| match s {
            Seen::Status { stream, word } if *stream == id => Some(word.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(words.first(), Some(&"initializing"));
    assert!(words.contains(&"streaming"));
    assert_eq!(&words[words.len() - 2..], ["stopping", "stopped"]);
    assert!(cloud.iter().all(|s| match s {
        Seen::Status { stream, .. } | Seen::Ack { stream, .. } => *stream == id,
    }));

    // The UI saw the same story, starting with a snapshot.
    let mut ui = Vec::new();
    while let Some(e) = events.next().await {
        if let BridgeEvent::Stream(u) = &e {
            ui.push(u.state);
            if u.state == StreamState::Stopped {
                break;
            }
        }
    }
    assert_eq!(ui.first(), Some(&StreamState::Initializing));
    assert!(ui.contains(&StreamState::Streaming));
    assert_eq!(
        rig.bridge.state().stream,
        None,
        "a stopped stream leaves the snapshot"
    );
    rig.bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_round_trip_at_mtu_23() {
    round_trip(23).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_round_trip_at_mtu_247() {
    round_trip(247).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2026_cloud_managed_whip_stream_at_mtu_23() {
    round_trip_with(23, CloudGeneration::V2026, Ingest::ManagedWhip).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2026_cloud_managed_whip_stream_at_mtu_247() {
    round_trip_with(247, CloudGeneration::V2026, Ingest::ManagedWhip).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2026_cloud_unmanaged_srt_stream_at_mtu_23() {
    round_trip_with(23, CloudGeneration::V2026, Ingest::UnmanagedSrt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2026_cloud_unmanaged_srt_stream_at_mtu_247() {
    round_trip_with(247, CloudGeneration::V2026, Ingest::UnmanagedSrt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2025_cloud_unmanaged_rtmp_stream_at_mtu_23() {
    round_trip_with(23, CloudGeneration::V2025, Ingest::UnmanagedRtmp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2025_cloud_unmanaged_rtmp_stream_at_mtu_247() {
    round_trip_with(247, CloudGeneration::V2025, Ingest::UnmanagedRtmp).await;
}

/// The same story in virtual time: no socket, no real sleep, the glasses' default (slow)
/// timings, and the MentraOS 15 s keep-alive interval.
#[tokio::test(start_paused = true)]
async fn stream_round_trip_in_virtual_time() {
    let rig = virtual_rig(
        185,
        mentra_sim::glasses::GlassesSimConfig::default(),
        Default::default(),
    );
    let script = mentra_sim::cloud::StreamScript {
        stream_id: "mvirtual".into(),
        keep_alives: 4,
        keep_alive_interval: std::time::Duration::from_secs(15),
        ..Default::default()
    };
    let t0 = tokio::time::Instant::now();
    let report = run_stream_script(&rig.cloud, &script, &mut |_| {})
        .await
        .expect("the scripted stream completes");
    assert_eq!(report.acked.len(), 4);
    assert!(
        t0.elapsed() >= std::time::Duration::from_secs(60),
        "a minute of virtual time passed"
    );
    assert_eq!(cloud_saw(&rig.cloud), glasses_said(&rig.glasses));
    rig.bridge.shutdown().await;
}
