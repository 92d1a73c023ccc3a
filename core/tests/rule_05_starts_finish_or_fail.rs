//! Rule 5 through the whole bridge, in virtual time: a start that never reaches `streaming`
//! ends in `timeout` after 30 s with a stop sent to the glasses; glasses without Wi-Fi fail at
//! once with `no_wifi_connection`; a refused ingest reaches the cloud with the stream id.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_bridge::cloud::{CloudGeneration, MANAGED_APP_ID};
use mentra_bridge::wire::proto::StreamState;
use mentra_sim::glasses::{GlassesSimConfig, RtmpBehaviour};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn rule_05_a_hung_start_times_out_and_the_glasses_are_stopped() {
    // A 2025 cloud hears `timeout`; a 2026 cloud hears `error` with the code, never
    // `timeout` (its managed path would read that as live).
    for (generation, app, word) in [
        (CloudGeneration::V2025, "app", "timeout"),
        (CloudGeneration::V2026, MANAGED_APP_ID, "error"),
        (CloudGeneration::V2026, "app", "error"),
    ] {
        hung_start(generation, app, word).await;
    }
}

async fn hung_start(generation: CloudGeneration, app: &str, word: &str) {
    let glasses = GlassesSimConfig {
        start_hangs: true,
        ..quick_glasses()
    };
    let rig = virtual_rig_speaking(185, glasses, Default::default(), generation);
    glasses_connected(&rig.cloud).await;
    let t0 = Instant::now();
    cloud_start(&rig.cloud, "s1", app, None).await;
    let timeout = expect_status(
        &rig.cloud,
        0,
        "s1",
        &["timeout", "error", "streaming"],
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(timeout.status, word, "{generation:?} {app}");
    assert_eq!(timeout.error_code.as_deref(), Some("start_timeout"));
    let waited = t0.elapsed();
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(31)).contains(&waited),
        "{waited:?}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        glasses_sent_state(&rig.glasses, StreamState::Stopped),
        1,
        "the glasses were told to stop: no orphan stream"
    );
}

#[tokio::test(start_paused = true)]
async fn rule_05_no_wifi_fails_at_once_with_a_reason() {
    let glasses = GlassesSimConfig {
        wifi_connected: false,
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, Default::default());
    glasses_connected(&rig.cloud).await;
    tokio::time::sleep(Duration::from_millis(100)).await; // the Wi-Fi report arrives
    cloud_start(&rig.cloud, "s1", "app", None).await;
    let failed = expect_status(&rig.cloud, 0, "s1", &["error"], Duration::from_secs(1)).await;
    assert_eq!(failed.error_code.as_deref(), Some("no_wifi_connection"));
    assert!(failed.error_details.unwrap().contains("not on Wi-Fi"));
}

#[tokio::test(start_paused = true)]
async fn rule_05_a_refused_ingest_is_reported_with_the_stream_id() {
    let glasses = GlassesSimConfig {
        rtmp: RtmpBehaviour::ConnectFails,
        omit_stream_id: true,
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, Default::default());
    glasses_connected(&rig.cloud).await;
    cloud_start(&rig.cloud, "s1", "app", None).await;
    let failed = expect_status(&rig.cloud, 0, "s1", &["error"], Duration::from_secs(5)).await;
    assert_eq!(failed.error_code.as_deref(), Some("rtmp_connection_failed"));
}
