//! Rule 4 through the whole bridge, in virtual time: unmanaged streams are exclusive; a managed
//! start joins the running managed stream (one physical stream); an unmanaged start while the
//! managed stream runs fails with `managed stream active`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_bridge::wire::proto::StreamState;

const MANAGED: &str = "MANAGED_STREAM";

#[tokio::test(start_paused = true)]
async fn rule_04_managed_joins_unmanaged_is_refused() {
    let rig = virtual_rig(247, quick_glasses(), Default::default());
    let s = Duration::from_secs(5);
    glasses_connected(&rig.cloud).await;

    cloud_start(&rig.cloud, "m1", MANAGED, None).await;
    expect_status(&rig.cloud, 0, "m1", &["streaming"], s).await;
    let c = rig.cloud.cursor();
    cloud_start(&rig.cloud, "m2", MANAGED, None).await;
    expect_status(&rig.cloud, c, "m2", &["streaming"], s).await;
    assert_eq!(
        glasses_sent_state(&rig.glasses, StreamState::Initializing),
        1,
        "one physical stream"
    );

    let c = rig.cloud.cursor();
    cloud_start(&rig.cloud, "u1", "com.example.app", None).await;
    let refused = expect_status(&rig.cloud, c, "u1", &["error"], s).await;
    assert_eq!(refused.error_code.as_deref(), Some("managed_stream_active"));
    assert!(
        refused
            .error_details
            .unwrap()
            .contains("managed stream active")
    );

    // m1 leaves: m2 still streams. m2 leaves: the glasses stop.
    let c = rig.cloud.cursor();
    cloud_stop(&rig.cloud, "m1").await;
    expect_status(&rig.cloud, c, "m1", &["stopped"], s).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(glasses_streaming(&rig.glasses));
    let c = rig.cloud.cursor();
    cloud_stop(&rig.cloud, "m2").await;
    expect_status(&rig.cloud, c, "m2", &["stopped"], s).await;
    assert!(!glasses_streaming(&rig.glasses));
}

#[tokio::test(start_paused = true)]
async fn rule_04_unmanaged_is_exclusive() {
    let rig = virtual_rig(247, quick_glasses(), Default::default());
    let s = Duration::from_secs(5);
    glasses_connected(&rig.cloud).await;
    cloud_start(&rig.cloud, "u1", "app.one", None).await;
    expect_status(&rig.cloud, 0, "u1", &["streaming"], s).await;
    let c = rig.cloud.cursor();
    cloud_start(&rig.cloud, "u2", "app.two", None).await;
    let refused = expect_status(&rig.cloud, c, "u2", &["error"], s).await;
    assert_eq!(refused.error_code.as_deref(), Some("already_streaming"));
    assert!(
        glasses_streaming(&rig.glasses),
        "the first stream is untouched"
    );
}
