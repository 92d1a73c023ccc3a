//! The real btleplug backend against the fake BlueZ on a private D-Bus bus: discovery,
//! connect, MTU 23 and 247, a full stream, an ATT write error surfaced, and a peer disconnect
//! followed by an automatic reconnect and stream resync; and Mentra Live glasses (their GATT
//! profile, found by name, their dialect told by the service) with 2025 and 2026 firmware;
//! and the firmware conformance kit over BLE at the smallest MTU.
//!
//! libdbus reads `DBUS_SYSTEM_BUS_ADDRESS` when btleplug connects, and changing the environment
//! of a running multi-threaded test is unsound, so each outer test starts a private
//! `dbus-daemon` and runs its inner half in a fresh copy of this test binary with the variable
//! set. The inner halves are `#[ignore]`d so a plain run skips them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::process::Command;
use std::time::Duration;

use mentra_bridge::BridgeConfig;
use mentra_bridge::bridge::spawn;
use mentra_bridge::cloud::{CloudConfig, Outgoing};
use mentra_bridge::glasses::{BleLink, BleLinkConfig, scan_for_glasses};
use mentra_sim::bluez::{FakeBluez, FakeBluezConfig, PrivateBus};
use mentra_sim::cloud::{CloudSim, CloudSimConfig, StreamScript, run_stream_script};
use mentra_sim::glasses::{GlassesSimConfig, LiveFirmware, LiveSimConfig};

/// Runs `inner` in a child test process whose system bus is a fresh private bus.
fn on_private_bus(inner: &str) {
    let bus = match PrivateBus::start() {
        Ok(bus) => bus,
        // A bare developer machine may lack dbus-daemon; CI installs it and must run these.
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped {inner}: {e} (install dbus-daemon to run the BLE tests)");
            return;
        }
        Err(e) => panic!("dbus-daemon is needed for the BLE tests: {e}"),
    };
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            inner,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("DBUS_SYSTEM_BUS_ADDRESS", bus.address())
        .env("MENTRA_FAKE_BLUEZ_BUS", bus.address())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{inner} failed:\n{stdout}\n{stderr}"
    );
}

fn bus() -> String {
    std::env::var("MENTRA_FAKE_BLUEZ_BUS")
        .expect("run through the outer test, which starts a private bus")
}

/// The cloud asks for stream `s1`.
async fn start_s1(cloud: &CloudSim) {
    let start = mentra_sim::cloud::start_command(
        &mentra_sim::cloud::StartSpec {
            stream_id: "s1".into(),
            url: "rtmp://h/live/k".into(),
            app_id: "app".into(),
            telemetry: Some(true),
            ..Default::default()
        },
        cloud.generation(),
    );
    assert!(cloud.send(&start).await);
}

fn quick() -> GlassesSimConfig {
    GlassesSimConfig {
        start_delay: Duration::from_millis(100),
        stop_delay: Duration::from_millis(50),
        stats_interval: Duration::from_millis(200),
        ..Default::default()
    }
}

fn link() -> BleLink {
    BleLink::new(BleLinkConfig {
        scan_timeout: Duration::from_secs(5),
        ..Default::default()
    })
}

async fn bridge_and_cloud(link: BleLink) -> (mentra_bridge::BridgeHandle, CloudSim) {
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig::default());
    let config = BridgeConfig {
        cloud: CloudConfig {
            url: cloud.url(),
            ..Default::default()
        },
        ..Default::default()
    };
    (spawn(config, Box::new(link), connector).unwrap(), cloud)
}

/// A fake BlueZ with quick glasses (MTU `mtu`) and a bridge connecting to it over BLE.
async fn rig(mtu: u16) -> (FakeBluez, mentra_bridge::BridgeHandle, CloudSim) {
    let fake = FakeBluez::start(
        &bus(),
        FakeBluezConfig {
            mtu,
            glasses: quick(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (bridge, cloud) = bridge_and_cloud(link()).await;
    (fake, bridge, cloud)
}

fn script(id: &str) -> StreamScript {
    StreamScript {
        stream_id: id.into(),
        keep_alives: 2,
        keep_alive_interval: Duration::from_millis(200),
        step_timeout: Duration::from_secs(20),
        ..Default::default()
    }
}

async fn full_stream_at(mtu: u16) {
    let fake = FakeBluez::start(
        &bus(),
        FakeBluezConfig {
            mtu,
            glasses: quick(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let found = scan_for_glasses(Duration::from_secs(2)).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].name.as_deref(), Some("MENTRA_LIVE_SIM"));
    let (bridge, cloud) = bridge_and_cloud(link()).await;
    let report = run_stream_script(&cloud, &script("sble"), &mut |_| {})
        .await
        .expect("start → streaming → acked → stopped over BLE");
    assert_eq!(report.acked, ["a0001", "a0002"]);
    let mtu_seen = match bridge.state().glasses {
        mentra_bridge::bridge::GlassesConnectionState::Connected { mtu, .. } => mtu,
        other => panic!("not connected: {other:?}"),
    };
    assert_eq!(mtu_seen, mtu);
    bridge.shutdown().await;
    drop(fake);
}

async fn mentra_live_stream(firmware: LiveFirmware) {
    let fake = FakeBluez::start(
        &bus(),
        FakeBluezConfig {
            mtu: 247,
            name: "Mentra_Live_E87D".into(),
            glasses: quick(),
            live: Some(LiveSimConfig {
                firmware,
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let found = scan_for_glasses(Duration::from_secs(2)).await.unwrap();
    assert_eq!(found.len(), 1, "found by name: {found:?}");
    // No dialect setting: the link finds it from the GATT service.
    let (bridge, cloud) = bridge_and_cloud(link()).await;
    let rtmp_only = firmware == LiveFirmware::Y2025;
    let s = StreamScript {
        url: if rtmp_only {
            "rtmps://ingest.example.com/live/sble-key".into()
        } else {
            StreamScript::default().url
        },
        managed: !rtmp_only,
        ..script("sble")
    };
    let report = run_stream_script(&cloud, &s, &mut |_| {})
        .await
        .expect("start → streaming → acked → stopped over BLE to Mentra Live");
    assert_eq!(report.acked, ["a0001", "a0002"]);
    assert_eq!(report.statuses.last().map(String::as_str), Some("stopped"));
    match bridge.state().glasses {
        mentra_bridge::bridge::GlassesConnectionState::Connected { model, .. } => {
            assert_eq!(model, "Mentra Live");
        }
        other => panic!("not connected: {other:?}"),
    }
    let json = fake.glasses().json();
    let start = if rtmp_only {
        "start_rtmp_stream"
    } else {
        "start_stream"
    };
    assert!(
        json.heard.iter().any(|m| m["type"] == start),
        "{start} heard"
    );
    if !rtmp_only {
        assert!(json.accepted_answers >= 1, "probes answered over BLE");
        assert!(json.binary_heard >= 1, "Wire v2 over BLE");
    }
    bridge.shutdown().await;
    drop(fake);
}

#[test]
fn ble_stream_to_mentra_live_2026_firmware() {
    on_private_bus("inner_mentra_live_2026");
}

#[test]
fn ble_stream_to_mentra_live_2025_firmware() {
    on_private_bus("inner_mentra_live_2025");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside ble_stream_to_mentra_live_2026_firmware"]
async fn inner_mentra_live_2026() {
    mentra_live_stream(LiveFirmware::Y2026).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside ble_stream_to_mentra_live_2025_firmware"]
async fn inner_mentra_live_2025() {
    mentra_live_stream(LiveFirmware::Y2025).await;
}

#[test]
fn ble_conformance_kit_passes_the_simulator_at_mtu_23() {
    on_private_bus("inner_conformance_at_mtu_23");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside ble_conformance_kit_passes_the_simulator_at_mtu_23"]
async fn inner_conformance_at_mtu_23() {
    let glasses = GlassesSimConfig {
        start_delay: Duration::from_millis(100),
        ..Default::default()
    };
    let fake = FakeBluez::start(
        &bus(),
        FakeBluezConfig {
            mtu: 23,
            glasses,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let report = mentra_sim::conformance::run(
        Box::new(link()),
        mentra_sim::conformance::ConformanceConfig::default(),
        &mut |_| {},
    )
    .await;
    assert_eq!(
        report.failures(),
        Vec::<&str>::new(),
        "{}",
        report.to_text(false)
    );
    assert_eq!(report.mtu, 23);
    assert!(report.passed() >= mentra_sim::conformance::checks().len() - 1);
    drop(fake);
}

#[test]
fn ble_stream_at_mtu_23() {
    on_private_bus("inner_stream_at_mtu_23");
}

#[test]
fn ble_stream_at_mtu_247() {
    on_private_bus("inner_stream_at_mtu_247");
}

#[test]
fn ble_peer_disconnect_reconnects_and_resyncs() {
    on_private_bus("inner_peer_disconnect_reconnects_and_resyncs");
}

#[test]
fn ble_write_error_is_surfaced() {
    on_private_bus("inner_write_error_is_surfaced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside ble_stream_at_mtu_23"]
async fn inner_stream_at_mtu_23() {
    full_stream_at(23).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside ble_stream_at_mtu_247"]
async fn inner_stream_at_mtu_247() {
    full_stream_at(247).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside ble_peer_disconnect_reconnects_and_resyncs"]
async fn inner_peer_disconnect_reconnects_and_resyncs() {
    let (fake, bridge, cloud) = rig(247).await;
    connected(&cloud).await;
    start_s1(&cloud).await;
    let live = |m: &Outgoing| matches!(m, Outgoing::StreamStatus(s) if s.stream_id == "s1" && s.status == "streaming");
    cloud
        .wait_for(0, Duration::from_secs(10), live)
        .await
        .expect("streaming");

    let c = cloud.cursor();
    fake.force_disconnect().await;
    cloud
        .wait_for(
            c,
            Duration::from_secs(10),
            |m| matches!(m, Outgoing::StreamStatus(s) if s.status == "reconnecting"),
        )
        .await
        .expect("the cloud hears reconnecting");
    // The link comes back by itself (backoff ≥ 1 s) and the bridge resyncs the stream.
    let c = cloud.cursor();
    cloud
        .wait_for(
            c,
            Duration::from_secs(20),
            |m| matches!(m, Outgoing::ConnectionState(s) if s.status == "CONNECTED"),
        )
        .await
        .expect("reconnected");
    cloud
        .wait_for(c, Duration::from_secs(10), live)
        .await
        .expect("streaming again after resync");
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside ble_write_error_is_surfaced"]
async fn inner_write_error_is_surfaced() {
    let (fake, bridge, cloud) = rig(247).await;
    let mut events = bridge.subscribe();
    connected(&cloud).await;
    fake.set_write_error(true);
    start_s1(&cloud).await;
    // The write error drops the link with the reason, and the start fails with the stream id.
    let reason = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(mentra_bridge::BridgeEvent::Glasses(
                mentra_bridge::bridge::GlassesConnectionState::Disconnected { reason: Some(r) },
            )) = events.next().await
            {
                return r;
            }
        }
    })
    .await
    .expect("the link reports the write failure");
    assert!(reason.contains("write failed"), "{reason}");
    // Not live yet when the link went: the start waits for the glasses again, and says so.
    cloud
        .wait_for(0, Duration::from_secs(10), |m| {
            matches!(m, Outgoing::StreamStatus(s) if s.stream_id == "s1"
                && (s.status == "error"
                    || s.error_details.as_deref().is_some_and(|d| d.contains("reconnect"))))
        })
        .await
        .expect("the cloud hears about the stream");
    fake.set_write_error(false);
    bridge.shutdown().await;
}

#[test]
fn ble_notification_burst_loses_nothing() {
    on_private_bus("inner_notification_burst_loses_nothing");
}

#[test]
fn ble_vanished_device_is_reported_and_searched_for() {
    on_private_bus("inner_vanished_device_is_reported_and_searched_for");
}

async fn connected(cloud: &CloudSim) {
    cloud
        .wait_for(
            0,
            Duration::from_secs(20),
            |m| matches!(m, Outgoing::ConnectionState(c) if c.status == "CONNECTED"),
        )
        .await
        .expect("connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside ble_notification_burst_loses_nothing"]
async fn inner_notification_burst_loses_nothing() {
    let (fake, bridge, cloud) = rig(23).await;
    let mut events = bridge.subscribe();
    connected(&cloud).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = fake.glasses().sent().len();
    fake.glasses().burst(500).await;
    let mut seen = 0;
    let counted = tokio::time::timeout(Duration::from_secs(20), async {
        while seen < 500 {
            match events.next().await {
                Some(mentra_bridge::BridgeEvent::Battery(_)) => seen += 1,
                Some(_) => {}
                None => break,
            }
        }
    })
    .await;
    assert!(
        counted.is_ok(),
        "only {seen} of 500 battery reports arrived"
    );
    assert!(fake.glasses().sent().len() >= before + 500);
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside ble_vanished_device_is_reported_and_searched_for"]
async fn inner_vanished_device_is_reported_and_searched_for() {
    let (fake, bridge, cloud) = rig(247).await;
    connected(&cloud).await;
    let c = cloud.cursor();
    fake.vanish().await;
    cloud
        .wait_for(
            c,
            Duration::from_secs(10),
            |m| matches!(m, Outgoing::ConnectionState(s) if s.status == "DISCONNECTED"),
        )
        .await
        .expect("the cloud hears the glasses are gone");
    // The link keeps looking (scans find nothing) without crashing or claiming a connection.
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert!(matches!(
        bridge.state().glasses,
        mentra_bridge::bridge::GlassesConnectionState::Disconnected { .. }
    ));
    assert!(!bridge.is_stopped());
    bridge.shutdown().await;
}

#[test]
fn ble_slow_service_resolution_still_connects() {
    on_private_bus("inner_slow_service_resolution_still_connects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside ble_slow_service_resolution_still_connects"]
async fn inner_slow_service_resolution_still_connects() {
    let _fake = FakeBluez::start(
        &bus(),
        FakeBluezConfig {
            resolve_delay: Duration::from_secs(3),
            glasses: quick(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (bridge, cloud) = bridge_and_cloud(link()).await;
    connected(&cloud).await;
    bridge.shutdown().await;
}
