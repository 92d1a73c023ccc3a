//! Rule 13 through the whole bridge, in virtual time: hostile cloud frames (malformed JSON,
//! unknown types, wrong fields, a bad enum from the glasses) are dropped with a log line; the
//! bridge neither panics nor wedges, and the next stream works.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_sim::cloud::run_stream_script;

#[tokio::test(start_paused = true)]
async fn rule_13_hostile_cloud_frames_are_dropped_and_the_next_stream_works() {
    let rig = virtual_rig(185, quick_glasses(), Default::default());
    glasses_connected(&rig.cloud).await;
    for frame in [
        "{not json",
        "[1,2,3]",
        "\"just a string\"",
        r#"{"type":42}"#,
        r#"{"type":"display_event","layout":{}}"#,
        r#"{"type":"keep_rtmp_stream_alive","streamId":"s1"}"#,
        r#"{"type":"start_rtmp_stream","rtmpUrl":7,"streamId":"x"}"#,
        r#"{"type":"start_rtmp_stream","rtmpUrl":"rtmp://h/a/k","streamId":"big","video":{"width":1e308,"frameRate":-5}}"#,
        r#"{"type":"stop_rtmp_stream","streamId":"nobody"}"#,
    ] {
        assert!(rig.cloud.send_raw(frame.into()).await, "still connected");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rig.cloud.connections(), 1, "no frame cost the connection");
    // The absurd-but-valid start was clamped and run; stop it, then a normal stream works.
    let c = rig.cloud.cursor();
    cloud_stop(&rig.cloud, "big").await;
    expect_status(&rig.cloud, c, "big", &["stopped"], Duration::from_secs(5)).await;
    let report = run_stream_script(&rig.cloud, &quick_script("after"), &mut |_| {})
        .await
        .expect("not wedged");
    assert_eq!(report.acked.len(), 3);
}
