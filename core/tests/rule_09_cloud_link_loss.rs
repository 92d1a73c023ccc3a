//! Rule 9 through the whole bridge, in virtual time: streams keep running while the cloud is
//! unreachable for less than the grace period (60 s), and everything produced meanwhile
//! arrives in order after the reconnect; past the grace the stream is stopped (no orphan) and
//! the cloud learns why once it is back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_bridge::wire::proto::StreamState;

#[tokio::test(start_paused = true)]
async fn rule_09_a_short_outage_keeps_the_stream_and_loses_nothing() {
    let rig = virtual_rig(247, quick_glasses(), Default::default());
    live(&rig, "s1", "app").await;
    rig.cloud.set_refusing(true);
    rig.cloud.drop_connection().await;
    // 75 s without the cloud's keep-alives: past the glasses' own 60 s watchdog, so only the
    // bridge's keep-alives keep the stream up. Grace is 60 s from the drop… so come back at 50.
    tokio::time::sleep(Duration::from_secs(50)).await;
    assert!(
        glasses_streaming(&rig.glasses),
        "still streaming during the grace"
    );
    rig.cloud.set_refusing(false);
    assert!(rig.cloud.wait_connected(Duration::from_secs(60)).await);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(
        glasses_streaming(&rig.glasses),
        "no stop once the cloud is back"
    );
    let c = rig.cloud.cursor();
    cloud_stop(&rig.cloud, "s1").await;
    expect_status(&rig.cloud, c, "s1", &["stopped"], Duration::from_secs(5)).await;
    let mut cloud = cloud_saw(&rig.cloud);
    let mut glasses = glasses_said(&rig.glasses);
    cloud.dedup();
    glasses.dedup();
    assert_eq!(cloud, glasses, "every state change, in order");
}

#[tokio::test(start_paused = true)]
async fn rule_09_past_the_grace_the_stream_stops_and_the_cloud_learns_why() {
    let rig = virtual_rig(247, quick_glasses(), Default::default());
    live(&rig, "s1", "app").await;
    rig.cloud.set_refusing(true);
    rig.cloud.drop_connection().await;
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert!(glasses_streaming(&rig.glasses));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        glasses_sent_state(&rig.glasses, StreamState::Stopped),
        1,
        "stopped at 60 s"
    );
    let c = rig.cloud.cursor();
    rig.cloud.set_refusing(false);
    let stopped = expect_status(&rig.cloud, c, "s1", &["stopped"], Duration::from_secs(60)).await;
    assert_eq!(stopped.error_code.as_deref(), Some("cloud_link_lost"));
}
