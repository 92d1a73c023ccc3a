//! A failing world's flight recorder is a reproducible finding: glasses that ignore a stop
//! leave the camera on, the simulation names the broken rule, and the trace the bridge
//! recorded — what a user would attach to a bug report — is flagged by the same checker at
//! the same step.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::time::Duration;

use mentra_bridge::diag::{TraceChecker, parse_jsonl};
use mentra_sim::glasses::Defects;
use mentra_sim::world::{draw, run};

#[test]
fn an_orphan_found_by_a_seed_is_flagged_in_its_exported_trace_at_the_same_step() {
    // The first seeds whose world stops a stream with telemetry on, played with glasses that
    // acknowledge a stop and keep streaming.
    let mut checked = 0;
    for seed in 1..=60 {
        let mut schedule = draw(seed, Duration::from_secs(300));
        schedule.settings.defects = Defects {
            ignores_stop: true,
            ..Defects::default()
        };
        let outcome = run(&schedule);
        let Some(first) = outcome.violations.first() else {
            continue;
        };
        if first.rule != "no orphan stream" || !first.what.contains("the glasses still report") {
            continue; // found by another check first (the camera seen directly, say)
        }
        let export = outcome
            .diagnostics
            .expect("a failing run exports its recorder");
        let (_, entries) = parse_jsonl(&export).expect("the export reads back");
        let found = TraceChecker::check_all(&entries);
        let v = found.first().expect("the exported trace is flagged");
        assert_eq!(v.rule, first.rule, "seed {seed}");
        assert_eq!(
            Duration::from_millis(v.t_ms),
            first.at,
            "seed {seed}: the same step"
        );
        checked += 1;
        if checked == 3 {
            return;
        }
    }
    assert!(
        checked > 0,
        "no seed in 1..=60 found the orphan through the trace"
    );
}
