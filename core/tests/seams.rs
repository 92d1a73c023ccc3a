//! The seams the whole-bridge simulation found, one regression test each, in virtual time
//! through the whole bridge: where a fault crosses a timer, or two events cross, and a camera
//! is left streaming while the app says "stopped", or a user is blocked for no reason
//! (DESIGN §5 rules 15 and 16, and the issue "No orphan streams, proven").

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_bridge::bridge::{CloudConnectionState, GlassesConnectionState, spawn};
use mentra_bridge::cloud::{MANAGED_APP_ID, Outgoing};
use mentra_bridge::glasses::{BoxFuture, GlassesLink, LinkError, LinkEvent};
use mentra_bridge::stream::StreamState;
use mentra_bridge::{BridgeConfig, BridgeEvent};
use mentra_sim::cloud::{CloudSim, CloudSimConfig};
use mentra_sim::glasses::{CameraPhase, GlassesSimConfig, SimInput, spawn_glasses};
use mentra_sim::link::{SimLinkConfig, sim_link};
use tokio::time::{Instant, sleep};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The status words the cloud heard for `id` at or after `cursor`.
fn heard_after(rig: &Rig, cursor: usize, id: &str) -> Vec<String> {
    rig.cloud.received()[cursor..]
        .iter()
        .filter_map(|r| match &r.message {
            Outgoing::StreamStatus(s) if s.stream_id == id => Some(s.status.clone()),
            _ => None,
        })
        .collect()
}

fn live_word(w: &str) -> bool {
    matches!(
        w,
        "initializing" | "streaming" | "reconnecting" | "reconnected"
    )
}

/// Waits (virtual time, at most `limit`) until the camera is off.
async fn camera_off_within(rig: &Rig, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if !rig.glasses.camera().phase.is_on() {
            return true;
        }
        sleep(Duration::from_millis(100)).await;
    }
    !rig.glasses.camera().phase.is_on()
}

#[tokio::test(start_paused = true)]
async fn seam_01_a_stop_while_the_glasses_are_away_is_delivered_on_relink() {
    let rig = virtual_rig(185, quick_glasses(), Default::default());
    live(&rig, "s1", "app").await;
    rig.link.disconnect("out of range");
    sleep(secs(1)).await;
    let c = rig.cloud.cursor();
    cloud_stop(&rig.cloud, "s1").await;
    sleep(secs(20)).await;
    assert!(
        rig.glasses.camera().phase.is_on(),
        "the camera streams on while away"
    );
    rig.link.connect();
    assert!(
        camera_off_within(&rig, secs(10)).await,
        "the owed stop reached the glasses on relink"
    );
    sleep(secs(5)).await;
    let words = heard_after(&rig, c, "s1");
    assert!(!words.iter().any(|w| w == "streaming"), "{words:?}");
    assert_eq!(
        words.last().map(String::as_str),
        Some("stopped"),
        "{words:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn seam_02_a_stop_lost_in_a_link_drop_is_sent_again() {
    let rig = virtual_rig(185, quick_glasses(), Default::default());
    live(&rig, "s1", "app").await;
    // The stop leaves the phone, but the glasses are already out of range.
    rig.link.set_silent(true);
    cloud_stop(&rig.cloud, "s1").await;
    sleep(Duration::from_millis(500)).await;
    rig.link.disconnect("out of range");
    rig.link.set_silent(false);
    sleep(secs(5)).await;
    rig.link.connect();
    assert!(
        camera_off_within(&rig, secs(15)).await,
        "the stop was sent again after the relink showed the stream live"
    );
}

#[tokio::test(start_paused = true)]
async fn seam_03_a_start_that_times_out_while_the_link_is_down_is_stopped_on_relink() {
    let glasses = GlassesSimConfig {
        start_delay: secs(2),
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, Default::default());
    glasses_connected(&rig.cloud).await;
    let c = rig.cloud.cursor();
    cloud_start(&rig.cloud, "s1", "app", None).await;
    sleep(Duration::from_millis(300)).await;
    rig.link.disconnect("out of range");
    // The camera goes live while the phone is away; the bridge's start deadline passes.
    let failed = expect_status(&rig.cloud, c, "s1", &["error", "timeout"], secs(40)).await;
    assert!(failed.error_code.is_some());
    assert!(rig.glasses.camera().phase.is_on());
    let c = rig.cloud.cursor();
    rig.link.connect();
    assert!(
        camera_off_within(&rig, secs(10)).await,
        "a start the cloud was told failed is stopped on relink"
    );
    let words = heard_after(&rig, c, "s1");
    assert!(
        !words.iter().any(|w| live_word(w)),
        "nothing live after the end: {words:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn seam_04_thermal_reports_drive_health_and_the_block_clears() {
    let glasses = GlassesSimConfig {
        telemetry_interval: secs(5),
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, Default::default());
    glasses_connected(&rig.cloud).await;
    // Hot while idle: only `Thermal` reports tell (no stream, no stats).
    rig.glasses.set_temperature(91.0).await;
    sleep(secs(6)).await;
    let c = rig.cloud.cursor();
    cloud_start(&rig.cloud, "s1", "app", None).await;
    let refused = expect_status(&rig.cloud, c, "s1", &["error", "streaming"], secs(5)).await;
    assert_eq!(refused.error_code.as_deref(), Some("overheated"));
    // Cooled down: the block clears.
    rig.glasses.set_temperature(38.0).await;
    sleep(secs(6)).await;
    let c = rig.cloud.cursor();
    cloud_start(&rig.cloud, "s2", "app", None).await;
    expect_status(&rig.cloud, c, "s2", &["streaming"], secs(5)).await;
    // Overheating mid-stream without telemetry (no stats): the `Thermal` report stops it.
    rig.glasses.set_temperature(91.0).await;
    let stopped = expect_status(&rig.cloud, c, "s2", &["stopped"], secs(10)).await;
    assert_eq!(stopped.error_code.as_deref(), Some("overheated"));
}

#[tokio::test(start_paused = true)]
async fn seam_05_after_a_silent_cloud_loss_the_glasses_are_fed_until_the_grace_ends() {
    let rig = virtual_rig(185, quick_glasses(), Default::default());
    live(&rig, "s1", "app").await;
    for n in 0..3 {
        cloud_keep_alive(&rig.cloud, "s1", &format!("a{n}")).await;
        sleep(secs(15)).await;
    }
    // The cloud dies without a word, just after a keep-alive.
    cloud_keep_alive(&rig.cloud, "s1", "a9").await;
    let silent_at = Instant::now();
    rig.cloud.set_refusing(true);
    rig.cloud.silence().await;
    // Past the glasses' 60 s watchdog (counted from the cloud's last keep-alive): still live.
    sleep(secs(58)).await;
    assert_eq!(rig.glasses.camera().watchdog_fired, 0);
    assert!(rig.glasses.camera().phase.is_on(), "live through the grace");
    // The grace counts from the cloud's last sign of life: the bridge ends the stream itself.
    assert!(camera_off_within(&rig, secs(15)).await);
    assert_eq!(
        rig.glasses.camera().watchdog_fired,
        0,
        "the bridge stopped it, not the glasses' watchdog"
    );
    assert!(silent_at.elapsed() < secs(75), "{:?}", silent_at.elapsed());
}

#[tokio::test(start_paused = true)]
async fn seam_06_a_dead_socket_with_writes_queued_is_noticed() {
    let glasses = GlassesSimConfig {
        stats_interval: Duration::from_millis(20),
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, Default::default());
    let mut events = rig.bridge.subscribe();
    live(&rig, "s1", "app").await;
    // The cloud stops reading: the bridge's writes fill the socket and block.
    rig.cloud.silence().await;
    let silent_at = Instant::now();
    let noticed = tokio::time::timeout(secs(90), async {
        loop {
            match events.next().await {
                Some(BridgeEvent::Cloud(CloudConnectionState::Disconnected { .. })) => return,
                Some(_) => {}
                None => panic!("the bridge stopped"),
            }
        }
    })
    .await;
    assert!(
        noticed.is_ok(),
        "the dead socket was not noticed within 90 s of silence"
    );
    assert!(silent_at.elapsed() <= secs(60), "{:?}", silent_at.elapsed());
}

#[tokio::test(start_paused = true)]
async fn seam_07_backoff_grows_against_a_cloud_that_accepts_and_closes() {
    // The bridge's default backoff (the shared rig dials faster to keep tests short).
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig::default());
    let (phone_end, glasses_end, _link) = sim_link(SimLinkConfig::default());
    let _glasses = spawn_glasses(quick_glasses(), glasses_end);
    let config = BridgeConfig {
        cloud: mentra_bridge::cloud::CloudConfig {
            url: cloud.url(),
            ..Default::default()
        },
        ..Default::default()
    };
    let _bridge = spawn(config, Box::new(phone_end), connector).unwrap();
    glasses_connected(&cloud).await;
    let before = cloud.connections();
    cloud.set_accept_then_close(true);
    cloud.drop_connection().await;
    sleep(secs(120)).await;
    let dials = cloud.connections() - before;
    assert!(dials <= 12, "{dials} connections in 120 s");
}

#[tokio::test(start_paused = true)]
async fn seam_08_a_start_right_after_a_stop_is_held_then_started() {
    for (first, second) in [
        ("app", "app"),
        (MANAGED_APP_ID, "app"),
        ("app", MANAGED_APP_ID),
    ] {
        let rig = virtual_rig(185, quick_glasses(), Default::default());
        live(&rig, "s1", first).await;
        let c = rig.cloud.cursor();
        // The real cloud's takeover: stop and start back to back.
        cloud_stop(&rig.cloud, "s1").await;
        cloud_start(&rig.cloud, "s2", second, None).await;
        let s2 = expect_status(&rig.cloud, c, "s2", &["streaming", "error"], secs(10)).await;
        assert_eq!(s2.status, "streaming", "{first} → {second}: {s2:?}");
        expect_status(&rig.cloud, c, "s1", &["stopped"], secs(1)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn seam_09_a_start_while_the_glasses_connect_waits_for_them() {
    let rig = virtual_rig(185, quick_glasses(), Default::default());
    glasses_connected(&rig.cloud).await;
    rig.link.disconnect("reconnecting");
    sleep(secs(1)).await;
    let c = rig.cloud.cursor();
    cloud_start(&rig.cloud, "s1", "app", None).await;
    sleep(secs(5)).await;
    rig.link.connect();
    let s1 = expect_status(&rig.cloud, c, "s1", &["streaming", "error"], secs(10)).await;
    assert_eq!(s1.status, "streaming", "{s1:?}");
    // And when they never come: the sentence, after the start deadline.
    rig.link.disconnect("gone");
    sleep(secs(1)).await;
    let t = Instant::now();
    let c = rig.cloud.cursor();
    cloud_stop(&rig.cloud, "s1").await;
    cloud_start(&rig.cloud, "s2", "app", None).await;
    let s2 = expect_status(&rig.cloud, c, "s2", &["error", "streaming"], secs(40)).await;
    assert_eq!(s2.error_code.as_deref(), Some("glasses_not_connected"));
    assert!(
        t.elapsed() >= secs(29),
        "waited the start deadline: {:?}",
        t.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn seam_10_a_refused_hello_is_retried_and_the_ui_learns_why() {
    let rig = virtual_rig(185, quick_glasses(), Default::default());
    let mut events = rig.bridge.subscribe();
    glasses_connected(&rig.cloud).await;
    rig.glasses.input(SimInput::RefuseHellos(2)).await;
    rig.link.disconnect("reconnect");
    let c = rig.cloud.cursor();
    rig.link.connect();
    rig.cloud
        .wait_for(
            c,
            secs(20),
            |m| matches!(m, Outgoing::ConnectionState(s) if s.status == "CONNECTED"),
        )
        .await
        .expect("connected after the refusals");
    let mut warned = false;
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(10), events.next()).await {
        if let BridgeEvent::Warning(w) = e {
            warned |= w.code == "glasses_refused_hello" && w.message.contains("busy");
        }
    }
    assert!(warned, "the UI heard why, in the glasses' words");
}

#[tokio::test(start_paused = true)]
async fn seam_11_a_stream_started_hot_starts_throttled() {
    let glasses = GlassesSimConfig {
        telemetry_interval: secs(5),
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, Default::default());
    glasses_connected(&rig.cloud).await;
    rig.glasses.set_temperature(82.0).await;
    sleep(secs(6)).await;
    live(&rig, "s1", "app").await;
    let bitrate = rig.glasses.camera().bitrate_bps;
    assert_eq!(bitrate, 1_000_000, "half the 2 Mbps asked for");
}

#[tokio::test(start_paused = true)]
async fn seam_12_the_duration_limit_counts_across_managed_restarts() {
    let rig = virtual_rig(185, quick_glasses(), Default::default());
    glasses_connected(&rig.cloud).await;
    let t0 = Instant::now();
    let c = rig.cloud.cursor();
    cloud_start(&rig.cloud, "m1", MANAGED_APP_ID, Some(60.0)).await;
    expect_status(&rig.cloud, c, "m1", &["streaming"], secs(5)).await;
    sleep(secs(30)).await;
    // The glasses reboot: the managed stream is started again when they are back.
    rig.link.disconnect("reboot");
    rig.glasses.input(SimInput::Reboot).await;
    sleep(secs(5)).await;
    rig.link.connect();
    let stopping = expect_status(&rig.cloud, c, "m1", &["stopping"], secs(80)).await;
    assert_eq!(stopping.error_code.as_deref(), Some("duration_limit"));
    assert!(t0.elapsed() < secs(75), "stopped at {:?}", t0.elapsed());
}

#[tokio::test(start_paused = true)]
async fn seam_13_incompatible_glasses_say_what_to_update() {
    let glasses = GlassesSimConfig {
        protocol_version: 99,
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, Default::default());
    sleep(secs(2)).await;
    cloud_start(&rig.cloud, "s1", "app", None).await;
    let refused = expect_status(&rig.cloud, 0, "s1", &["error"], secs(40)).await;
    let said = refused.error_details.unwrap_or_default();
    assert!(said.contains("update"), "{said}");
    assert!(!said.contains("bring them close"), "{said}");
}

#[tokio::test(start_paused = true)]
async fn seam_14_an_unknown_status_ends_the_stream_on_both_sides() {
    let rig = virtual_rig(185, quick_glasses(), Default::default());
    live(&rig, "s1", "app").await;
    let c = rig.cloud.cursor();
    rig.glasses.input(SimInput::EmitUnknownStatus).await;
    let failed = expect_status(&rig.cloud, c, "s1", &["error"], secs(5)).await;
    assert_eq!(failed.error_code.as_deref(), Some("unknown_status"));
    assert!(
        camera_off_within(&rig, secs(10)).await,
        "the glasses were stopped"
    );
    sleep(secs(5)).await;
    let words = heard_after(&rig, c, "s1");
    let after_error: Vec<&String> = words.iter().skip_while(|w| *w != "error").collect();
    assert!(
        !after_error.iter().any(|w| live_word(w)),
        "nothing live after the error: {words:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn seam_15_the_snapshot_keeps_a_shared_stream_while_other_viewers_watch() {
    let rig = virtual_rig(185, quick_glasses(), Default::default());
    live(&rig, "m1", MANAGED_APP_ID).await;
    let c = rig.cloud.cursor();
    cloud_start(&rig.cloud, "m2", MANAGED_APP_ID, None).await;
    expect_status(&rig.cloud, c, "m2", &["streaming"], secs(5)).await;
    // The viewer the snapshot shows leaves; the other still watches.
    let shown = rig.bridge.state().stream.map(|s| s.stream_id);
    let (leaving, staying) = if shown.as_deref() == Some("m2") {
        ("m2", "m1")
    } else {
        ("m1", "m2")
    };
    let c = rig.cloud.cursor();
    cloud_stop(&rig.cloud, leaving).await;
    expect_status(&rig.cloud, c, leaving, &["stopped"], secs(5)).await;
    let state = rig.bridge.state();
    let shown = state
        .stream
        .as_ref()
        .map(|s| (s.stream_id.as_str(), s.state));
    assert_eq!(shown, Some((staying, StreamState::Streaming)), "{state:?}");
    assert!(rig.glasses.camera().phase.is_on());
}

/// A link whose code panics on the `n`th send: app code the bridge calls.
struct PanickyLink {
    inner: mentra_sim::link::SimLink,
    sends: u32,
    panic_at: u32,
}

impl GlassesLink for PanickyLink {
    fn describe(&self) -> String {
        "panicky".into()
    }
    fn send(&mut self, packet: Vec<u8>) -> BoxFuture<'_, Result<(), LinkError>> {
        self.sends += 1;
        assert!(
            self.sends != self.panic_at,
            "a link implementation panicked"
        );
        self.inner.send(packet)
    }
    fn next_event(&mut self) -> BoxFuture<'_, Option<LinkEvent>> {
        self.inner.next_event()
    }
}

#[tokio::test(start_paused = true)]
async fn seam_16_an_app_callback_that_throws_cannot_kill_the_bridge() {
    // The app's BLE stack throws from a write: the bridge reports it and keeps running.
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig::default());
    let (phone_end, glasses_end, _link) = sim_link(SimLinkConfig::default());
    let glasses = spawn_glasses(quick_glasses(), glasses_end);
    let (host, app, _pump) = mentra_sim::world::app_stack(phone_end, None);
    let config = BridgeConfig {
        cloud: mentra_bridge::cloud::CloudConfig {
            url: cloud.url(),
            ..Default::default()
        },
        ..Default::default()
    };
    let bridge = spawn(config, Box::new(host), connector).unwrap();
    glasses_connected(&cloud).await;
    app.throw_on_next_write();
    let c = cloud.cursor();
    cloud_start(&cloud, "s1", "app", None).await;
    sleep(secs(5)).await;
    assert!(
        !bridge.is_stopped(),
        "the bridge survived the app's exception"
    );
    let c2 = cloud.cursor();
    cloud_start(&cloud, "s1", "app", None).await;
    let s1 = cloud
        .wait_for(c.min(c2), secs(40), |m| {
            matches!(m, Outgoing::StreamStatus(s) if s.stream_id == "s1" && s.status == "streaming")
        })
        .await;
    assert!(s1.is_some(), "the stream runs after the app recovered");
    assert_eq!(glasses.camera().phase, CameraPhase::Streaming);

    // A panic inside the bridge's loop (here: a link implementation) is a terminal event,
    // and subscriptions end, instead of waiting forever.
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig::default());
    let (phone_end, glasses_end, _link) = sim_link(SimLinkConfig::default());
    let _glasses = spawn_glasses(quick_glasses(), glasses_end);
    let link = PanickyLink {
        inner: phone_end,
        sends: 0,
        panic_at: 2,
    };
    let config = BridgeConfig {
        cloud: mentra_bridge::cloud::CloudConfig {
            url: cloud.url(),
            ..Default::default()
        },
        ..Default::default()
    };
    let bridge = spawn(config, Box::new(link), connector).unwrap();
    let mut events = bridge.subscribe();
    let mut terminal = None;
    while let Ok(Some(e)) = tokio::time::timeout(secs(30), events.next()).await {
        if let BridgeEvent::Stopped(reason) = e {
            terminal = Some(reason);
        }
    }
    let reason = terminal.expect("a terminal event");
    assert!(format!("{reason:?}").contains("panicked"), "{reason:?}");
    assert!(bridge.is_stopped());
    let _ = GlassesConnectionState::Connecting;
}
