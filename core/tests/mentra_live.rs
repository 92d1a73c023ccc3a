//! The Mentra Live dialect end to end: the bridge against the glasses simulator's Mentra Live
//! personality (2025 and 2026 firmware), with the cloud simulator — full streams, a
//! ten-minute stream on the controller lease, and an app that stops answering the probes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use std::time::Duration;

use common::*;
use mentra_bridge::cloud::{CloudGeneration, Outgoing};
use mentra_sim::cloud::run_stream_script;
use mentra_sim::glasses::{CameraPhase, LiveFirmware, LiveSimConfig};

fn heard_types(rig: &Rig) -> Vec<String> {
    rig.glasses
        .json()
        .heard
        .iter()
        .filter_map(|m| m["type"].as_str().map(str::to_owned))
        .collect()
}

fn sent_types(rig: &Rig) -> Vec<String> {
    rig.glasses
        .json()
        .sent
        .iter()
        .filter_map(|m| m["type"].as_str().map(str::to_owned))
        .collect()
}

async fn full_stream(firmware: LiveFirmware, generation: CloudGeneration) -> Rig {
    let live = LiveSimConfig {
        firmware,
        ..Default::default()
    };
    let rig = live_rig(247, quick_glasses(), live, generation).await;
    let id = format!("slive{}", firmware as u8);
    let report = run_stream_script(&rig.cloud, &quick_script(&id), &mut |_| {})
        .await
        .expect("the scripted stream completes");
    assert_eq!(report.acked, ["a0001", "a0002", "a0003"]);
    let saw = cloud_saw(&rig.cloud);
    let words: Vec<&str> = saw
        .iter()
        .filter_map(|s| match s {
            Seen::Status { stream, word } if *stream == id => Some(word.as_str()),
            _ => None,
        })
        .collect();
    assert!(words.contains(&"streaming"), "{saw:?}");
    assert_eq!(words.last(), Some(&"stopped"), "{saw:?}");
    rig
}

#[tokio::test]
async fn a_full_stream_on_2026_firmware_goes_over_wire_v2_with_the_controller_lease() {
    let rig = full_stream(LiveFirmware::Y2026, CloudGeneration::V2026).await;
    let heard = heard_types(&rig);
    assert!(heard.contains(&"start_stream".to_owned()), "{heard:?}");
    assert!(heard.contains(&"keep_stream_alive".to_owned()));
    assert!(heard.contains(&"stop_stream".to_owned()));
    let json = rig.glasses.json();
    let start = json
        .heard
        .iter()
        .find(|m| m["type"] == "start_stream")
        .unwrap();
    assert_eq!(start["controllerProbeVersion"], 1);
    assert!(json.accepted_answers >= 1, "the first probe was answered");
    assert!(json.binary_heard >= 1, "the phone switched to Wire v2");
    assert!(sent_types(&rig).contains(&"stream_controller_probe".to_owned()));
}

#[tokio::test]
async fn a_full_stream_on_2025_firmware_uses_the_rtmp_names_and_no_lease() {
    let rig = full_stream(LiveFirmware::Y2025, CloudGeneration::V2025).await;
    let heard = heard_types(&rig);
    // Glasses that say nothing of their generation get the modern start first; 2025 firmware
    // acknowledges and ignores it, and the start goes again in the 2025 names.
    let first = heard.iter().position(|t| t == "start_stream");
    let legacy = heard.iter().position(|t| t == "start_rtmp_stream");
    assert!(first.is_some() && legacy > first, "{heard:?}");
    assert!(heard.contains(&"keep_rtmp_stream_alive".to_owned()));
    assert!(heard.contains(&"stop_rtmp_stream".to_owned()));
    assert!(!heard.contains(&"keep_stream_alive".to_owned()));
    let json = rig.glasses.json();
    assert_eq!(json.binary_heard, 0, "2025 firmware is v1 only");
    assert!(!sent_types(&rig).contains(&"stream_controller_probe".to_owned()));
    assert!(sent_types(&rig).contains(&"rtmp_stream_status".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn a_ten_minute_stream_on_2026_firmware_loses_no_lease() {
    let rig = virtual_live_rig(quick_glasses(), LiveSimConfig::default(), live_bridge());
    live(&rig, "s10min", "app").await;
    let cursor = rig.cloud.cursor();
    for n in 0..40 {
        tokio::time::sleep(Duration::from_secs(15)).await;
        cloud_keep_alive(&rig.cloud, "s10min", &format!("k{n:03}")).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(rig.glasses.camera().phase, CameraPhase::Streaming);
    let json = rig.glasses.json();
    // A probe every 2 s for 10 minutes, each answered (and accepted) within its tick.
    assert!(
        json.accepted_answers >= 290,
        "{} answers accepted",
        json.accepted_answers
    );
    let ended = rig.cloud.received()[cursor..]
        .iter()
        .any(|r| matches!(&r.message, Outgoing::StreamStatus(s) if s.status != "streaming" && s.status != "active"));
    assert!(
        !ended,
        "the cloud heard only streaming: {:?}",
        cloud_saw(&rig.cloud)
    );
    // Mentra Live reports heat only inside its stats; the UI sees it anyway.
    let t = rig
        .bridge
        .state()
        .temperature
        .expect("a temperature reading");
    assert!(t.celsius > 30.0, "{t:?}");
}

#[tokio::test(start_paused = true)]
async fn an_app_that_stops_answering_probes_sees_the_glasses_end_the_stream_and_the_cloud_hears_why()
 {
    let rig = virtual_live_rig(quick_glasses(), LiveSimConfig::default(), live_bridge());
    live(&rig, "ssusp1", "app").await;
    let cursor = rig.cloud.cursor();
    // Suspended, as the glasses see it: nothing the phone writes arrives.
    rig.link.set_phone_muted(true);
    let s = expect_status(
        &rig.cloud,
        cursor,
        "ssusp1",
        &["error"],
        Duration::from_secs(15),
    )
    .await;
    let details = s.error_details.clone().unwrap_or_default();
    assert!(
        details.contains("Controlling phone app stopped responding"),
        "the firmware's reason: {details:?}"
    );
    assert_eq!(rig.glasses.camera().phase, CameraPhase::Idle);
    rig.link.set_phone_muted(false);
}
