//! The firmware conformance kit: plays the phone side of `proto/README.md` against any glasses
//! implementation behind a [`GlassesLink`] (our BLE profile, TCP, or the simulator) and runs
//! named checks — hello, framing, ids and retries, each stream command, keep-alives, the
//! watchdog, error codes, battery, thermal, Wi-Fi, and bad input the glasses must survive.
//! Each check passes or fails with the evidence; the report prints as text and as JSON.
//! `mentra-bridge conformance --link LINK` is its command line.

mod checks;
mod phone;

use std::time::Duration;

use mentra_bridge::Redacted;
use mentra_bridge::glasses::{Dialect, GlassesLink};
use mentra_bridge::wire::proto::Capabilities;
use serde_json::{Value, json};

use phone::Phone;

/// How the kit runs. The defaults suit the simulator and real glasses alike.
#[derive(Debug, Clone)]
pub struct ConformanceConfig {
    /// How long to wait for the link to come up. Default 30 s.
    pub connect_timeout: Duration,
    /// How long a reply may take. Default 2 s (the phone retries after 1 s; the kit never
    /// retries, so a reply that needs a retry is late here).
    pub reply_timeout: Duration,
    /// How long the kit listens to be sure something does *not* come. Default 1 s.
    pub quiet_period: Duration,
    /// How long a start may take to reach STREAMING. Default 30 s (the phone's
    /// `StreamConfig::start_timeout`).
    pub start_timeout: Duration,
    /// The keep-alive timeout the watchdog check asks for, seconds. Default 3.
    pub watchdog_s: u32,
    /// The duration limit the duration check asks for, seconds. Default 2.
    pub duration_limit_s: u32,
    /// The ingest the stream checks push to (never printed: it may hold a key). Default an
    /// RTMP URL on 127.0.0.1, enough for the simulator; give real glasses a reachable ingest.
    pub ingest_url: Redacted<String>,
}

impl Default for ConformanceConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(30),
            reply_timeout: Duration::from_secs(2),
            quiet_period: Duration::from_secs(1),
            start_timeout: mentra_bridge::stream::StreamConfig::default().start_timeout,
            watchdog_s: 3,
            duration_limit_s: 2,
            ingest_url: Redacted::new("rtmp://127.0.0.1/live/conformance".into()),
        }
    }
}

/// What a check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The glasses did what the page says.
    Pass,
    /// They did not; the evidence says what they did instead.
    Fail,
    /// The check does not apply to these glasses (the evidence says why).
    Skip,
}

impl Outcome {
    /// `PASS`, `FAIL` or `SKIP`.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "SKIP",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The check's name, e.g. `stream.start_sequence`.
    pub name: &'static str,
    /// What it checks, one line.
    pub rule: &'static str,
    /// Its conclusion.
    pub outcome: Outcome,
    /// What was sent and seen, in order.
    pub evidence: Vec<String>,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The link, as it describes itself.
    pub link: String,
    /// The MTU of the (last) connection.
    pub mtu: u16,
    /// The glasses' model and firmware, when the hello worked.
    pub glasses: Option<String>,
    /// Every check, in the order it ran.
    pub results: Vec<CheckResult>,
}

impl Report {
    /// Checks that passed.
    pub fn passed(&self) -> usize {
        self.count(Outcome::Pass)
    }

    /// Checks that failed.
    pub fn failed(&self) -> usize {
        self.count(Outcome::Fail)
    }

    /// Checks that did not apply.
    pub fn skipped(&self) -> usize {
        self.count(Outcome::Skip)
    }

    /// The names of the checks that failed, in order.
    pub fn failures(&self) -> Vec<&'static str> {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .map(|r| r.name)
            .collect()
    }

    fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// The closing line: `N passed, N failed` (and skipped, when any were).
    pub fn summary(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed(), self.failed());
        // Skips are counted apart so the first two numbers always read as the verdict.
        if self.skipped() > 0 {
            line.push_str(&format!(", {} skipped", self.skipped()));
        }
        line
    }

    /// The report as text: one line per check, the evidence indented under it, the summary.
    pub fn to_text(&self, with_evidence_for_passes: bool) -> String {
        let mut out = format!("conformance against {}, MTU {}\n", self.link, self.mtu);
        if let Some(glasses) = &self.glasses {
            out.push_str(&format!("glasses: {glasses}\n"));
        }
        for r in &self.results {
            out.push_str(&format!(
                "{} {:<34} {}\n",
                r.outcome.label(),
                r.name,
                r.rule
            ));
            if r.outcome != Outcome::Pass || with_evidence_for_passes {
                for line in &r.evidence {
                    out.push_str(&format!("       {line}\n"));
                }
            }
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// The report as JSON: the link, the glasses, every check with its evidence, the counts.
    pub fn to_json(&self) -> Value {
        json!({
            "link": self.link,
            "mtu": self.mtu,
            "glasses": self.glasses,
            "checks": self.results.iter().map(|r| json!({
                "name": r.name,
                "rule": r.rule,
                "outcome": r.outcome.label(),
                "evidence": r.evidence,
            })).collect::<Vec<_>>(),
            "passed": self.passed(),
            "failed": self.failed(),
            "skipped": self.skipped(),
        })
    }
}

/// Every check the kit runs, in order, with the rule it checks.
pub fn checks() -> &'static [(&'static str, &'static str)] {
    checks::ALL
}

/// Runs every check against the glasses behind `link` and reports. Progress goes to `progress`
/// as each check finishes (the command line prints it; tests pass a no-op).
pub async fn run(
    link: Box<dyn GlassesLink>,
    config: ConformanceConfig,
    progress: &mut dyn FnMut(&CheckResult),
) -> Report {
    let mut phone = Phone::new(link);
    let mut ctx = Ctx {
        config,
        caps: None,
        owed_once: Vec::new(),
        main_live: false,
    };
    let mut results = Vec::new();
    let connected = phone
        .connect(ctx.config.connect_timeout)
        .await
        .and_then(|mtu| match phone.dialect() {
            Some(Dialect::MentraLive) => Err(
                "these glasses speak Mentra Live's JSON wire (their GATT service says so); \
                 the kit checks the protobuf contract of proto/README.md"
                    .to_string(),
            ),
            _ => Ok(mtu),
        });
    let mtu = match connected {
        Ok(mtu) => mtu,
        Err(why) => {
            let result = CheckResult {
                name: checks::ALL[0].0,
                rule: checks::ALL[0].1,
                outcome: Outcome::Fail,
                evidence: vec![why],
            };
            progress(&result);
            results.push(result);
            return Report {
                link: phone.describe(),
                mtu: 0,
                glasses: None,
                results,
            };
        }
    };
    checks::run_all(&mut phone, &mut ctx, &mut |r| {
        progress(&r);
        results.push(r);
    })
    .await;
    Report {
        link: phone.describe(),
        mtu: if phone.mtu() == 0 { mtu } else { phone.mtu() },
        glasses: ctx
            .caps
            .as_ref()
            .map(|c| format!("{} (firmware {})", c.model, c.firmware_version)),
        results,
    }
}

/// What the checks share.
pub(crate) struct Ctx {
    pub(crate) config: ConformanceConfig,
    /// The glasses' capabilities, once the hello worked.
    pub(crate) caps: Option<Capabilities>,
    /// Commands that must have been answered exactly once by the end of the run.
    pub(crate) owed_once: Vec<u32>,
    /// The stream the middle checks share went live (this session).
    pub(crate) main_live: bool,
}

#[cfg(test)]
mod tests;
