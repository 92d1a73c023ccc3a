//! A failing world's flight recorder is a reproducible finding: glasses that acknowledge a
//! stop and keep streaming leave the camera on; the simulation's own check (it sees the
//! camera) confirms the orphan; the trace the bridge recorded — what a user would attach to a
//! bug report, which sees only messages — names the same rule no later; and with the trace
//! checks in the world, as CI runs them, the seed fails at the step `diagnose` flags.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::time::Duration;

use mentra_bridge::diag::{TraceChecker, parse_jsonl};
use mentra_sim::glasses::Defects;
use mentra_sim::world::{draw, run};

#[test]
fn an_orphan_found_by_a_seed_is_flagged_in_its_exported_trace_at_the_same_step() {
    let mut checked = 0;
    for seed in 1..=80 {
        let mut schedule = draw(seed, Duration::from_secs(300));
        schedule.settings.defects = Defects {
            ignores_stop: true,
            ..Defects::default()
        };
        // 1. The world's own checks only (they see the camera): is there an orphan at all?
        schedule.settings.trace_checks = false;
        let independent = run(&schedule);
        let Some(truth) = independent
            .violations
            .first()
            .filter(|v| v.rule == "no orphan stream")
        else {
            continue;
        };
        let (_, entries) = parse_jsonl(
            independent
                .diagnostics
                .as_deref()
                .expect("a failing run exports"),
        )
        .expect("the export reads back");
        let Some(from_trace) = TraceChecker::check_all(&entries).into_iter().next() else {
            continue; // telemetry off: no status after the stop, nothing in the trace to judge
        };
        // The trace, which sees only messages, names the same rule no later than the world.
        assert_eq!(from_trace.rule, truth.rule, "seed {seed}");
        assert!(
            Duration::from_millis(from_trace.t_ms) <= truth.at,
            "seed {seed}: the trace flags it at {} ms, the world at {:?}",
            from_trace.t_ms,
            truth.at
        );
        // 2. With the trace checks in the world (as CI runs it), the seed fails at that step,
        //    and the exported trace read back by `diagnose` is flagged at exactly that step.
        schedule.settings.trace_checks = true;
        let outcome = run(&schedule);
        let first = outcome.violations.first().expect("the seed fails");
        let (_, entries) = parse_jsonl(
            outcome
                .diagnostics
                .as_deref()
                .expect("a failing run exports"),
        )
        .unwrap();
        let v = TraceChecker::check_all(&entries)
            .into_iter()
            .next()
            .expect("flagged");
        assert_eq!(
            (v.rule, Duration::from_millis(v.t_ms)),
            (first.rule, first.at),
            "seed {seed}"
        );
        assert_eq!(
            v.t_ms, from_trace.t_ms,
            "seed {seed}: the same step both ways"
        );
        checked += 1;
        if checked == 3 {
            return;
        }
    }
    assert!(
        checked > 0,
        "no seed in 1..=80 showed the orphan in its trace"
    );
}
