//! The glasses' own ingest reconnects reach the cloud with the stream id and the attempt
//! count, whether they recover (`reconnecting` → `reconnected` → `streaming`) or give up
//! (`reconnect_failed`, with the reason), even when the firmware leaves the id out.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_bridge::cloud::{CloudGeneration, MANAGED_APP_ID};
use mentra_sim::glasses::{GlassesSimConfig, RtmpBehaviour};

fn dropping(recovers: bool) -> GlassesSimConfig {
    GlassesSimConfig {
        rtmp: RtmpBehaviour::Drops {
            after: Duration::from_secs(5),
            attempts: 3,
            max: 10,
            recovers,
        },
        omit_stream_id: true,
        ..quick_glasses()
    }
}

#[tokio::test(start_paused = true)]
async fn a_recovered_ingest_drop_is_reported_attempt_by_attempt() {
    let rig = virtual_rig(247, dropping(true), Default::default());
    glasses_connected(&rig.cloud).await;
    cloud_start(&rig.cloud, "s1", "app", None).await;
    let s = Duration::from_secs(20);
    let first = expect_status(&rig.cloud, 0, "s1", &["reconnecting"], s).await;
    assert_eq!((first.attempt, first.max_attempts), (Some(1), Some(10)));
    expect_status(&rig.cloud, 0, "s1", &["reconnected"], s).await;
    let c = rig.cloud.cursor();
    expect_status(&rig.cloud, c, "s1", &["streaming"], s).await;
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_ingest_reconnect_ends_the_stream_with_a_reason() {
    // A 2025 cloud hears `reconnect_failed`; a 2026 one `error` with the code, for a managed
    // stream as for any other (its managed path reads `reconnect_failed` as live).
    for (generation, app, word) in [
        (CloudGeneration::V2025, "app", "reconnect_failed"),
        (CloudGeneration::V2026, MANAGED_APP_ID, "error"),
    ] {
        let rig = virtual_rig_speaking(247, dropping(false), Default::default(), generation);
        glasses_connected(&rig.cloud).await;
        cloud_start(&rig.cloud, "s1", app, None).await;
        let failed = expect_status(
            &rig.cloud,
            0,
            "s1",
            &["reconnect_failed", "error"],
            Duration::from_secs(20),
        )
        .await;
        assert_eq!(failed.status, word, "{generation:?}");
        assert_eq!(failed.error_code.as_deref(), Some("reconnect_failed"));
        assert!(
            failed
                .error_details
                .unwrap()
                .contains("could not reconnect")
        );
    }
}
