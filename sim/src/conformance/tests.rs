//! The kit against the simulator over the in-memory link, on a paused clock: the simulator
//! passes everything, and each deliberate defect fails exactly the checks that name its rule.

use super::*;
use crate::glasses::{Defects, GlassesSimConfig, spawn_glasses};
use crate::link::{SimLinkConfig, sim_link};

async fn run_against(config: GlassesSimConfig, mtu: u16) -> Report {
    let (phone_end, glasses_end, _control) = sim_link(SimLinkConfig {
        mtu,
        ..Default::default()
    });
    let _glasses = spawn_glasses(config, glasses_end);
    run(
        Box::new(phone_end),
        ConformanceConfig::default(),
        &mut |_| {},
    )
    .await
}

fn with(defects: Defects) -> GlassesSimConfig {
    GlassesSimConfig {
        defects,
        ..Default::default()
    }
}

#[tokio::test(start_paused = true)]
async fn the_simulator_passes_every_check_at_mtu_247() {
    let report = run_against(GlassesSimConfig::default(), 247).await;
    assert_eq!(
        report.failures(),
        Vec::<&str>::new(),
        "{}",
        report.to_text(false)
    );
    assert_eq!(report.results.len(), checks().len());
    // All three transports declared: the one check that needs an undeclared one skips.
    assert_eq!(report.skipped(), 1, "{}", report.to_text(false));
}

#[tokio::test(start_paused = true)]
async fn the_simulator_passes_every_check_at_the_smallest_mtu() {
    let config = GlassesSimConfig {
        transports: vec![],
        ..Default::default()
    };
    let report = run_against(config, 23).await;
    assert_eq!(
        report.failures(),
        Vec::<&str>::new(),
        "{}",
        report.to_text(false)
    );
    assert_eq!(
        report.skipped(),
        0,
        "RTMP only: the undeclared-transport check runs"
    );
}

async fn failures_with(defects: Defects) -> Vec<&'static str> {
    run_against(with(defects), 247).await.failures()
}

#[tokio::test(start_paused = true)]
async fn a_firmware_that_acts_on_repeated_ids_fails_only_the_repeat_check() {
    let failures = failures_with(Defects {
        forgets_command_ids: true,
        ..Default::default()
    })
    .await;
    assert_eq!(failures, ["ids.repeat_answered_not_acted"]);
}

#[tokio::test(start_paused = true)]
async fn a_firmware_that_reads_reserved_flag_bits_fails_only_the_reserved_bits_check() {
    let failures = failures_with(Defects {
        reads_reserved_flags: true,
        ..Default::default()
    })
    .await;
    assert_eq!(failures, ["framing.reserved_bits_dropped"]);
}

#[tokio::test(start_paused = true)]
async fn a_firmware_that_ignores_keep_alive_timeout_s_fails_only_the_watchdog_check() {
    let failures = failures_with(Defects {
        ignores_keep_alive_timeout: true,
        ..Default::default()
    })
    .await;
    assert_eq!(failures, ["stream.watchdog"]);
}

#[tokio::test(start_paused = true)]
async fn a_firmware_silent_after_the_hello_fails_only_the_reports_check() {
    let failures = failures_with(Defects {
        silent_after_hello: true,
        ..Default::default()
    })
    .await;
    assert_eq!(failures, ["hello.unsolicited_reports"]);
}

#[tokio::test(start_paused = true)]
async fn a_firmware_counting_ids_from_zero_fails_only_the_ids_check() {
    let failures = failures_with(Defects {
        ids_from_zero: true,
        ..Default::default()
    })
    .await;
    assert_eq!(failures, ["ids.fresh_and_increasing"]);
}

#[tokio::test(start_paused = true)]
async fn a_firmware_that_never_acks_keep_alives_fails_the_ack_and_one_reply_checks() {
    let config = GlassesSimConfig {
        keep_alive_ack_loss: 1.0,
        ..Default::default()
    };
    let failures = run_against(config, 247).await.failures();
    assert_eq!(failures, ["stream.keep_alive_ack", "replies.exactly_one"]);
}

#[tokio::test(start_paused = true)]
async fn a_firmware_that_never_reaches_streaming_fails_the_start_and_says_why() {
    let config = GlassesSimConfig {
        start_hangs: true,
        ..Default::default()
    };
    let report = run_against(config, 247).await;
    let start = report
        .results
        .iter()
        .find(|r| r.name == "stream.start_sequence");
    let start = start.expect("the start check ran");
    assert_eq!(start.outcome, Outcome::Fail);
    assert!(
        start
            .evidence
            .iter()
            .any(|e| e.contains("no STREAM_STATE_STREAMING")),
        "{:?}",
        start.evidence
    );
}

#[tokio::test(start_paused = true)]
async fn the_report_counts_and_serialises_every_check() {
    let report = run_against(
        with(Defects {
            ids_from_zero: true,
            ..Default::default()
        }),
        247,
    )
    .await;
    let json = report.to_json();
    assert_eq!(json["failed"], 1);
    assert_eq!(
        json["checks"].as_array().map(Vec::len),
        Some(checks().len())
    );
    let text = report.to_text(false);
    assert!(text.contains("FAIL ids.fresh_and_increasing"), "{text}");
    assert!(text.trim_end().ends_with(&report.summary()), "{text}");
    assert!(
        report
            .summary()
            .starts_with(&format!("{} passed, 1 failed", report.passed()))
    );
}

#[tokio::test(start_paused = true)]
async fn no_link_is_one_clear_failure_not_a_hang() {
    let (phone_end, _glasses_end, control) = sim_link(SimLinkConfig::default());
    control.disconnect("glasses switched off");
    let config = ConformanceConfig {
        connect_timeout: std::time::Duration::from_secs(3),
        ..Default::default()
    };
    let report = run(Box::new(phone_end), config, &mut |_| {}).await;
    assert_eq!(report.failures(), ["hello.capabilities"]);
    assert!(
        report.results[0].evidence[0].contains("did not come up"),
        "{:?}",
        report.results
    );
}

#[tokio::test(start_paused = true)]
async fn the_simulator_passes_at_every_mtu_whatever_the_sequence_numbers_meet() {
    // The bad-input packets land at a different sequence number for each MTU.
    for mtu in (23..=160).chain([185, 247, 300, 515]) {
        let report = run_against(GlassesSimConfig::default(), mtu).await;
        assert_eq!(
            report.failures(),
            Vec::<&str>::new(),
            "MTU {mtu}:\n{}",
            report.to_text(false)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_drop_mid_run_fails_the_check_it_hit_and_the_next_ones_say_hello_again() {
    let (phone_end, glasses_end, control) = sim_link(SimLinkConfig::default());
    let _glasses = spawn_glasses(GlassesSimConfig::default(), glasses_end);
    let flaky = control.clone();
    // Down during the stream checks, back a second later: the link reconnects by itself.
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(12)).await;
        flaky.disconnect("walked out of range");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        flaky.connect();
    });
    let report = run(
        Box::new(phone_end),
        ConformanceConfig::default(),
        &mut |_| {},
    )
    .await;
    let dropped: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.evidence.iter().any(|e| e.contains("walked out of range")))
        .map(|r| r.name)
        .collect();
    assert_eq!(
        dropped.len(),
        1,
        "one check saw the drop: {}",
        report.to_text(false)
    );
    let after = report
        .results
        .iter()
        .skip_while(|r| r.name != dropped[0])
        .skip(1);
    let again: Vec<_> = after
        .filter(|r| r.evidence.iter().any(|e| e.contains("said hello again")))
        .map(|r| r.name)
        .collect();
    assert_eq!(
        again.len(),
        1,
        "the next check started a new session: {}",
        report.to_text(false)
    );
    for name in [
        "ids.fresh_and_increasing",
        "replies.exactly_one",
        "framing.glasses_packets",
        "wifi.scan",
    ] {
        assert!(
            !report.failures().contains(&name),
            "{name} judged the new session alone: {}",
            report.to_text(false)
        );
    }
}
