//! The stream scenario over a `HostLink`: the app's own BLE stack moves the bytes. Here a Rust
//! host stands in for Kotlin or Swift, carrying packets between the bridge and the glasses
//! simulator; everything runs in virtual time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use mentra_bridge::BridgeConfig;
use mentra_bridge::bridge::spawn;
use mentra_bridge::cloud::{BackoffConfig, CloudConfig};
use mentra_bridge::glasses::{Dialect, GlassesLink, HostTransport, LinkEvent, host_link};
use mentra_sim::cloud::{CloudSim, CloudSimConfig, run_stream_script};
use mentra_sim::glasses::{
    GlassesHandle, LiveFirmware, LiveSimConfig, spawn_glasses, spawn_live_glasses,
};
use mentra_sim::link::{SimLinkConfig, sim_link};
use tokio::sync::mpsc;

/// The host's "BLE stack": writes go into a queue its radio task drains.
struct Host {
    radio: mpsc::UnboundedSender<Vec<u8>>,
}

impl HostTransport for Host {
    fn write(&self, packet: Vec<u8>) -> Result<(), String> {
        self.radio.send(packet).map_err(|_| "radio gone".to_owned())
    }
}

#[tokio::test(start_paused = true)]
async fn a_full_stream_over_a_host_link() {
    let (cloud, glasses) = stream_over_a_host_link(None).await;
    assert_eq!(cloud_saw(&cloud), glasses_said(&glasses));
}

#[tokio::test(start_paused = true)]
async fn a_full_stream_over_a_host_link_to_mentra_live_2026_glasses_the_app_named() {
    let (_cloud, glasses) =
        stream_over_a_host_link(Some((Dialect::MentraLive, LiveFirmware::Y2026))).await;
    let json = glasses.json();
    assert!(json.heard.iter().any(|m| m["type"] == "start_stream"));
    assert!(
        json.accepted_answers >= 1,
        "probes answered over the app's stack"
    );
    assert!(json.binary_heard >= 1, "Wire v2 over the app's stack");
}

#[tokio::test(start_paused = true)]
async fn a_full_stream_over_a_host_link_to_mentra_live_2025_glasses_the_app_named() {
    let (_cloud, glasses) =
        stream_over_a_host_link(Some((Dialect::MentraLive, LiveFirmware::Y2025))).await;
    let json = glasses.json();
    assert!(json.heard.iter().any(|m| m["type"] == "start_rtmp_stream"));
    assert!(
        json.heard
            .iter()
            .any(|m| m["type"] == "keep_rtmp_stream_alive")
    );
}

/// A scripted stream over a host link; `live` is what the app says it found (Mentra Live's
/// service) and the firmware behind it, `None` our own glasses.
async fn stream_over_a_host_link(
    live: Option<(Dialect, LiveFirmware)>,
) -> (CloudSim, GlassesHandle) {
    let dialect = live.map(|(d, _)| d);
    let (mut radio, glasses_end, _control) = sim_link(SimLinkConfig {
        mtu: 185,
        ..Default::default()
    });
    let glasses = match live {
        Some((_, firmware)) => spawn_live_glasses(
            quick_glasses(),
            LiveSimConfig {
                firmware,
                ..Default::default()
            },
            glasses_end,
        ),
        None => spawn_glasses(quick_glasses(), glasses_end),
    };
    let (writes, mut to_radio) = mpsc::unbounded_channel();
    let (link, handle) = host_link(Arc::new(Host { radio: writes }));
    // The host's radio task: packets out, and connection events and notifications in.
    tokio::spawn(async move {
        loop {
            tokio::select! {
                p = to_radio.recv() => match p {
                    Some(p) => { let _ = radio.send(p).await; }
                    None => return,
                },
                e = radio.next_event() => match e {
                    Some(LinkEvent::Up { mtu }) => {
                        let _ = match dialect {
                            Some(d) => handle.connected_as(mtu, d),
                            None => handle.connected(mtu),
                        };
                    }
                    Some(LinkEvent::Packet(p)) => { let _ = handle.received(p); }
                    Some(LinkEvent::Down { reason }) => { let _ = handle.disconnected(reason); }
                    None => return,
                },
            }
        }
    });
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig::default());
    let config = BridgeConfig {
        cloud: CloudConfig {
            url: cloud.url(),
            backoff: BackoffConfig {
                initial: Duration::from_millis(50),
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let bridge = spawn(config, Box::new(link), connector).unwrap();
    let report = run_stream_script(&cloud, &quick_script("shost"), &mut |_| {})
        .await
        .expect("the stream completes over the host link");
    assert_eq!(report.acked.len(), 3);
    assert_eq!(report.statuses.last().map(String::as_str), Some("stopped"));
    bridge.shutdown().await;
    (cloud, glasses)
}
