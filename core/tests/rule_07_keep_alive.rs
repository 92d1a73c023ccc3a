//! Rule 7 through the whole bridge, in virtual time: keep-alives are relayed and acked with the
//! stream id and ack id; a late ack still counts; a streak of misses is reported once and the
//! stream goes on.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_bridge::cloud::Outgoing;
use mentra_sim::glasses::GlassesSimConfig;

#[tokio::test(start_paused = true)]
async fn rule_07_late_acks_count_and_lost_acks_are_reported_once() {
    let glasses = GlassesSimConfig {
        keep_alive_ack_delay: Duration::from_secs(12),
        ..quick_glasses()
    };
    let rig = virtual_rig(247, glasses, Default::default());
    glasses_connected(&rig.cloud).await;
    cloud_start(&rig.cloud, "s1", "app", None).await;
    expect_status(&rig.cloud, 0, "s1", &["streaming"], Duration::from_secs(5)).await;

    // Acks arrive 12 s late (past the 10 s ack timeout) but inside the window: relayed.
    for n in 1..=5 {
        cloud_keep_alive(&rig.cloud, "s1", &format!("a{n}")).await;
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
    tokio::time::sleep(Duration::from_secs(15)).await;
    let acked: Vec<String> = rig
        .cloud
        .received()
        .into_iter()
        .filter_map(|r| match r.message {
            Outgoing::KeepAliveAck(a) if a.stream_id == "s1" => Some(a.ack_id),
            _ => None,
        })
        .collect();
    assert_eq!(acked, ["a1", "a2", "a3", "a4", "a5"]);
    let missed_reports = rig
        .cloud
        .received()
        .into_iter()
        .filter(|r| matches!(&r.message, Outgoing::StreamStatus(s) if s.error_code.as_deref() == Some("keep_alive_missed")))
        .count();
    assert_eq!(
        missed_reports, 0,
        "late acks reset the streak before it reaches 3"
    );
    assert!(glasses_streaming(&rig.glasses));
}

#[tokio::test(start_paused = true)]
async fn rule_07_a_streak_of_lost_acks_is_reported_once_and_the_stream_goes_on() {
    let glasses = GlassesSimConfig {
        keep_alive_ack_loss: 1.0,
        ..quick_glasses()
    };
    let rig = virtual_rig(247, glasses, Default::default());
    glasses_connected(&rig.cloud).await;
    cloud_start(&rig.cloud, "s1", "app", None).await;
    expect_status(&rig.cloud, 0, "s1", &["streaming"], Duration::from_secs(5)).await;
    for n in 1..=6 {
        cloud_keep_alive(&rig.cloud, "s1", &format!("a{n}")).await;
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
    let reports: Vec<_> = rig
        .cloud
        .received()
        .into_iter()
        .filter_map(|r| match r.message {
            Outgoing::StreamStatus(s) if s.error_code.as_deref() == Some("keep_alive_missed") => {
                Some(s)
            }
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), 1, "reported once");
    assert_eq!(reports[0].stream_id, "s1");
    assert_eq!(reports[0].status, "streaming", "reported, not stopped");
    assert!(glasses_streaming(&rig.glasses));
}
