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
                    Some(LinkEvent::MtuChanged { mtu }) => { let _ = handle.mtu_changed(mtu); }
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

#[tokio::test(start_paused = true)]
async fn an_mtu_change_mid_stream_goes_on_without_a_new_hello() {
    use mentra_bridge::bridge::GlassesConnectionState;
    use mentra_bridge::wire::proto::glasses_to_phone::Body as G;
    let rig = virtual_rig(23, quick_glasses(), BridgeConfig::default());
    live(&rig, "smtu", "app").await;
    rig.link.set_mtu(247);
    let cursor = rig.cloud.cursor();
    cloud_keep_alive(&rig.cloud, "smtu", "k1").await;
    rig.cloud
        .wait_for(
            cursor,
            Duration::from_secs(5),
            |m| matches!(m, mentra_bridge::cloud::Outgoing::KeepAliveAck(a) if a.ack_id == "k1"),
        )
        .await
        .expect("the keep-alive after the change is acked");
    cloud_stop(&rig.cloud, "smtu").await;
    expect_status(
        &rig.cloud,
        cursor,
        "smtu",
        &["stopped"],
        Duration::from_secs(5),
    )
    .await;
    let hellos = rig
        .glasses
        .sent()
        .iter()
        .filter(|m| matches!(m.body, Some(G::Capabilities(_))))
        .count();
    assert_eq!(hellos, 1, "the session went on: no second hello");
    match rig.bridge.state().glasses {
        GlassesConnectionState::Connected { mtu, .. } => assert_eq!(mtu, 247),
        other => panic!("not connected: {other:?}"),
    }
}

/// A host whose stack reports each write's end, and counts how many it held at once.
struct PacedHost {
    radio: mpsc::UnboundedSender<Vec<u8>>,
    held: std::sync::atomic::AtomicUsize,
    most_held: std::sync::atomic::AtomicUsize,
}

impl HostTransport for PacedHost {
    fn write(&self, packet: Vec<u8>) -> Result<(), String> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.held.fetch_add(1, SeqCst) + 1;
        self.most_held.fetch_max(now, SeqCst);
        self.radio.send(packet).map_err(|_| "radio gone".to_owned())
    }
}

#[tokio::test(start_paused = true)]
async fn a_write_window_paces_the_apps_writes_and_the_stream_completes() {
    use mentra_bridge::glasses::{HostLinkConfig, host_link_with};
    use std::sync::atomic::Ordering::SeqCst;
    let (mut radio, glasses_end, _control) = sim_link(SimLinkConfig {
        mtu: 23,
        ..Default::default()
    });
    let _glasses = spawn_glasses(quick_glasses(), glasses_end);
    let (writes, mut to_radio) = mpsc::unbounded_channel();
    let host = Arc::new(PacedHost {
        radio: writes,
        held: Default::default(),
        most_held: Default::default(),
    });
    let config = HostLinkConfig {
        write_window: 2,
        ..Default::default()
    };
    let (link, handle) = host_link_with(Arc::clone(&host) as Arc<dyn HostTransport>, config);
    let paced = Arc::clone(&host);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                p = to_radio.recv() => match p {
                    Some(p) => {
                        let _ = radio.send(p).await;
                        // The GATT write callback: one BLE connection interval later.
                        tokio::time::sleep(Duration::from_millis(15)).await;
                        paced.held.fetch_sub(1, SeqCst);
                        let _ = handle.write_completed(Ok(()));
                    }
                    None => return,
                },
                e = radio.next_event() => match e {
                    Some(LinkEvent::Up { mtu }) => { let _ = handle.connected(mtu); }
                    Some(LinkEvent::Packet(p)) => { let _ = handle.received(p); }
                    Some(LinkEvent::Down { reason }) => { let _ = handle.disconnected(reason); }
                    Some(LinkEvent::MtuChanged { mtu }) => { let _ = handle.mtu_changed(mtu); }
                    None => return,
                },
            }
        }
    });
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig::default());
    let bridge_config = BridgeConfig {
        cloud: CloudConfig {
            url: cloud.url(),
            ..Default::default()
        },
        ..Default::default()
    };
    let bridge = spawn(bridge_config, Box::new(link), connector).unwrap();
    let report = run_stream_script(&cloud, &quick_script("spaced"), &mut |_| {})
        .await
        .expect("the stream completes with paced writes");
    assert_eq!(report.statuses.last().map(String::as_str), Some("stopped"));
    assert_eq!(
        host.most_held.load(SeqCst),
        2,
        "never more writes in the app's hands than the window"
    );
    bridge.shutdown().await;
}

/// A host whose reconnect always fails.
struct FailingReconnect;

impl HostTransport for FailingReconnect {
    fn write(&self, _packet: Vec<u8>) -> Result<(), String> {
        Ok(()) // into the void: the glasses never answer
    }

    fn reconnect(&self) -> Result<(), String> {
        Err("GATT status 133".into())
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_app_reconnect_is_reported_and_the_bridge_keeps_running() {
    use mentra_bridge::BridgeEvent;
    let (link, handle) = host_link(Arc::new(FailingReconnect));
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig::default());
    let config = BridgeConfig {
        cloud: CloudConfig {
            url: cloud.url(),
            ..Default::default()
        },
        ..Default::default()
    };
    let bridge = spawn(config, Box::new(link), connector).unwrap();
    let mut events = bridge.subscribe();
    handle.connected(185).unwrap();
    let warning = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(e) = events.next().await {
            if let BridgeEvent::Warning(w) = e {
                if w.code == "glasses_reconnect_failed" {
                    return w.message;
                }
            }
        }
        String::new()
    })
    .await
    .expect("the failed reconnect is reported");
    assert!(warning.contains("GATT status 133"), "{warning}");
    // Still running: the app's next connection is taken.
    handle.disconnected("link lost").unwrap();
    handle.connected(185).unwrap();
    assert!(cloud.wait_connected(Duration::from_secs(5)).await);
    bridge.shutdown().await;
}
