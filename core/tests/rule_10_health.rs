//! Rule 10 through the whole bridge, in virtual time: the glasses' battery and temperature
//! reports drive warnings, a lower bitrate when hot, and a stop when critical — each reported
//! to the cloud with a reason — and a start is refused while critical. The battery follows
//! today's firmware's gate: 15 %, or 4 % while actively charging.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_bridge::BridgeEvent;
use mentra_bridge::cloud::Outgoing;
use mentra_bridge::wire::proto::glasses_to_phone::Body as G;

#[tokio::test(start_paused = true)]
async fn rule_10_below_the_15_percent_floor_the_stream_stops_and_starts_are_refused() {
    let rig = virtual_rig(247, quick_glasses(), Default::default());
    let mut events = rig.bridge.subscribe();
    live(&rig, "s1", "app").await;
    let c = rig.cloud.cursor();
    rig.glasses.set_battery(14.0).await;
    let stopped = expect_status(&rig.cloud, c, "s1", &["stopped"], Duration::from_secs(15)).await;
    assert_eq!(stopped.error_code.as_deref(), Some("battery_low"));
    let c = rig.cloud.cursor();
    cloud_start(&rig.cloud, "s2", "app", None).await;
    let refused = expect_status(&rig.cloud, c, "s2", &["error"], Duration::from_secs(1)).await;
    assert_eq!(refused.error_code.as_deref(), Some("battery_low"));
    let said = refused.error_details.unwrap();
    assert!(
        said.contains("Battery level too low (14%) - minimum 15% required"),
        "{said}"
    );

    // The UI heard it too, with a code and a sentence.
    let mut codes = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(10), events.next()).await {
        if let BridgeEvent::Warning(w) = e {
            codes.push(w.code);
        }
    }
    assert!(codes.contains(&"battery_critical"), "{codes:?}");
}

#[tokio::test(start_paused = true)]
async fn rule_10_on_a_charger_a_stream_runs_down_to_4_percent_with_the_10_percent_warning() {
    let rig = virtual_rig(247, quick_glasses(), Default::default());
    glasses_connected(&rig.cloud).await;
    rig.glasses.set_battery(12.0).await;
    rig.glasses.set_charging(true).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    live(&rig, "s1", "app").await;
    let c = rig.cloud.cursor();
    rig.glasses.set_battery(9.0).await;
    rig.glasses.set_charging(true).await; // a fresh report
    let (_, warned) = rig
        .cloud
        .wait_for(c, Duration::from_secs(15), |m| {
            matches!(m, Outgoing::StreamStatus(s)
                if s.error_code.as_deref() == Some("battery_low_warning"))
        })
        .await
        .expect("battery warning reported to the cloud");
    assert!(
        matches!(warned, Outgoing::StreamStatus(s) if s.stream_id == "s1" && s.status == "streaming")
    );
    assert!(glasses_streaming(&rig.glasses), "a warning, not a stop");
    let c = rig.cloud.cursor();
    rig.glasses.set_battery(3.0).await;
    rig.glasses.set_charging(true).await;
    let stopped = expect_status(&rig.cloud, c, "s1", &["stopped"], Duration::from_secs(15)).await;
    assert_eq!(stopped.error_code.as_deref(), Some("battery_low"));
}

#[tokio::test(start_paused = true)]
async fn rule_10_heat_throttles_the_bitrate_then_stops_the_stream() {
    let rig = virtual_rig(247, quick_glasses(), Default::default());
    live(&rig, "s1", "app").await;
    let c = rig.cloud.cursor();
    rig.glasses.set_temperature(82.0).await;
    rig.cloud
        .wait_for(c, Duration::from_secs(15), |m| {
            matches!(m, Outgoing::StreamStatus(s)
                if s.error_code.as_deref() == Some("thermal_throttle"))
        })
        .await
        .expect("throttle reported to the cloud");
    // The glasses now encode at half the resolved 2 Mbps.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let last_bitrate = rig
        .glasses
        .sent()
        .into_iter()
        .rev()
        .find_map(|m| match m.body {
            Some(G::StreamStatus(s)) => s.resolved_video.map(|v| v.bitrate_bps),
            _ => None,
        });
    assert_eq!(last_bitrate, Some(1_000_000));

    let c = rig.cloud.cursor();
    rig.glasses.set_temperature(91.0).await;
    let stopped = expect_status(&rig.cloud, c, "s1", &["stopped"], Duration::from_secs(15)).await;
    assert_eq!(stopped.error_code.as_deref(), Some("overheated"));
}
