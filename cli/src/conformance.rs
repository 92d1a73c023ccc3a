//! `mentra-bridge conformance --link LINK`: the firmware conformance kit from the command line.
//! Plays the phone side of proto/README.md against the glasses on the link, prints PASS/FAIL
//! per check with the evidence of each failure, a closing `N passed, N failed`, and writes the
//! JSON report when asked. Fails (exit 1) when any check fails.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use mentra_sim::conformance::{self, ConformanceConfig, Outcome};

/// Options of `conformance`.
#[derive(Debug, Args)]
pub(crate) struct ConformanceArgs {
    /// The glasses: sim (the built-in simulator) | ble | ble:ID | tcp://HOST:PORT.
    #[arg(long, default_value = "ble")]
    link: String,
    /// ATT MTU of the simulated link (`--link sim` only).
    #[arg(long, default_value_t = 247)]
    mtu: u16,
    /// Seconds to wait for the glasses.
    #[arg(long, default_value_t = 30)]
    connect_timeout: u64,
    /// The ingest the stream checks push to: rtmp(s)://, srt:// or https:// (WHIP). Real
    /// glasses need one they can reach; it is never printed.
    #[arg(long, env = "MENTRA_CONFORMANCE_INGEST", hide_env_values = true)]
    ingest: Option<String>,
    /// Write the JSON report here.
    #[arg(long, value_name = "FILE")]
    json: Option<std::path::PathBuf>,
    /// Print the evidence of passing checks too.
    #[arg(long)]
    evidence: bool,
    /// List the checks and exit.
    #[arg(long)]
    list: bool,
}

pub(crate) async fn run(args: ConformanceArgs) -> Result<(), String> {
    if args.list {
        for (name, rule) in conformance::checks() {
            println!("{name:<34} {rule}");
        }
        return Ok(());
    }
    let (link, _glasses) = crate::link::open(&args.link, args.mtu, None)?;
    let mut config = ConformanceConfig {
        connect_timeout: Duration::from_secs(args.connect_timeout),
        ..Default::default()
    };
    match args.ingest {
        Some(url) => config.ingest_url = mentra_bridge::Redacted::new(url),
        None if args.link != "sim" => {
            return Err(
                "give real glasses an ingest they can reach: --ingest URL (or \
                 MENTRA_CONFORMANCE_INGEST); the stream checks push to it"
                    .into(),
            );
        }
        None => {}
    }
    println!(
        "conformance: {} checks against {}",
        conformance::checks().len(),
        args.link
    );
    let evidence = args.evidence;
    let report = conformance::run(link, config, &mut |r| {
        println!("{} {:<34} {}", r.outcome.label(), r.name, r.rule);
        if r.outcome != Outcome::Pass || evidence {
            for line in &r.evidence {
                println!("       {line}");
            }
        }
        let _ = std::io::stdout().flush();
    })
    .await;
    if let Some(glasses) = &report.glasses {
        println!("glasses: {glasses}, MTU {}", report.mtu);
    }
    println!("{}", report.summary());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report.to_json())
            .map_err(|e| format!("cannot write the report: {e}"))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("report: {}", path.display());
    }
    if report.failed() > 0 {
        return Err(format!(
            "{} of {} checks failed",
            report.failed(),
            report.results.len()
        ));
    }
    Ok(())
}
