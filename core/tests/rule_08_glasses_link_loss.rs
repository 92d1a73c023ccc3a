//! Rule 8 through the whole bridge, in virtual time: when the glasses link drops the cloud hears
//! `reconnecting`; on relink the bridge asks for status and resyncs; a managed stream the
//! glasses lost is started again, an unmanaged one is reported, not restarted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_bridge::wire::proto::StreamState;

#[tokio::test(start_paused = true)]
async fn rule_08_a_short_drop_resyncs_to_the_running_stream() {
    let rig = virtual_rig(247, quick_glasses(), Default::default());
    live(&rig, "u1", "app").await;
    let c = rig.cloud.cursor();
    rig.link.disconnect("walked away");
    expect_status(
        &rig.cloud,
        c,
        "u1",
        &["reconnecting"],
        Duration::from_secs(1),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let c = rig.cloud.cursor();
    rig.link.connect();
    expect_status(&rig.cloud, c, "u1", &["streaming"], Duration::from_secs(5)).await;
    assert_eq!(
        glasses_sent_state(&rig.glasses, StreamState::Initializing),
        1,
        "not restarted"
    );
}

#[tokio::test(start_paused = true)]
async fn rule_08_an_unmanaged_stream_lost_during_the_drop_is_reported_not_restarted() {
    let rig = virtual_rig(247, quick_glasses(), Default::default());
    live(&rig, "u1", "app").await;
    let c = rig.cloud.cursor();
    rig.link.disconnect("walked away");
    // Longer than the glasses' 60 s keep-alive watchdog: they stop on their own, and the
    // bridge says so once that watchdog has certainly run out, without waiting for the relink.
    let lost = expect_status(
        &rig.cloud,
        c,
        "u1",
        &["error", "streaming"],
        Duration::from_secs(70),
    )
    .await;
    assert_eq!(lost.status, "error");
    assert_eq!(lost.error_code.as_deref(), Some("glasses_link_lost"));
    rig.link.connect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        glasses_sent_state(&rig.glasses, StreamState::Initializing),
        1,
        "not restarted"
    );
}

#[tokio::test(start_paused = true)]
async fn rule_08_a_managed_stream_lost_during_the_drop_is_started_again() {
    let rig = virtual_rig(247, quick_glasses(), Default::default());
    live(&rig, "m1", "MANAGED_STREAM").await;
    rig.link.disconnect("walked away");
    tokio::time::sleep(Duration::from_secs(70)).await;
    let c = rig.cloud.cursor();
    rig.link.connect();
    expect_status(
        &rig.cloud,
        c,
        "m1",
        &["initializing"],
        Duration::from_secs(5),
    )
    .await;
    expect_status(&rig.cloud, c, "m1", &["streaming"], Duration::from_secs(5)).await;
    assert_eq!(
        glasses_sent_state(&rig.glasses, StreamState::Initializing),
        2,
        "restarted once"
    );
}
