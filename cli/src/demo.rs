//! `mentra-bridge demo`: the cloud simulator, the glasses simulator and the bridge on this
//! machine, no hardware, no network beyond 127.0.0.1. Prints one line per event and exits 0
//! once the scripted stream has gone start → streaming → keep-alives acked → stop → stopped.

use std::time::Duration;

use tokio::time::Instant;

use clap::Args;
use mentra_bridge::cloud::{BackoffConfig, CloudConfig};
use mentra_bridge::{Bridge, BridgeConfig, Redacted};
use mentra_sim::cloud::{CloudSim, CloudSimConfig, StreamScript, run_stream_script};
use mentra_sim::glasses::{GlassesSimConfig, spawn_glasses};
use mentra_sim::link::{SimLinkConfig, sim_link};

use crate::print::Printer;

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Play a field failure instead (virtual time, real timeouts); see --list-scenarios.
    #[arg(long, value_name = "NAME")]
    pub(crate) scenario: Option<String>,
    /// List the failure scenarios and exit.
    #[arg(long)]
    pub(crate) list_scenarios: bool,
    /// ATT MTU of the simulated glasses link (23 is the BLE minimum).
    #[arg(long, default_value_t = 247, value_parser = clap::value_parser!(u16).range(23..=517))]
    mtu: u16,
    /// Keep-alives the cloud sends while streaming.
    #[arg(long, default_value_t = 3)]
    keep_alives: u32,
    /// Seconds between keep-alives (the MentraOS cloud uses 15).
    #[arg(long, default_value_t = 1.0)]
    interval: f64,
    /// Extra seconds to stay live after the last keep-alive (for a longer run).
    #[arg(long, default_value_t = 2.0)]
    duration: f64,
    /// Per-packet latency of the simulated link, in milliseconds.
    #[arg(long, default_value_t = 8)]
    latency_ms: u64,
}

const TOKEN: &str = "demo-core-token";

pub(crate) async fn run(args: DemoArgs) -> Result<(), String> {
    let interval = seconds(args.interval, "--interval")?;
    let hold = seconds(args.duration, "--duration")?;
    let t0 = Instant::now();
    let printer = Printer::new(t0);

    let cloud = CloudSim::start(CloudSimConfig {
        token: Some(TOKEN.into()),
        ..Default::default()
    })
    .await
    .map_err(|e| format!("cannot start the cloud simulator on 127.0.0.1: {e}"))?;
    printer.say(
        "demo",
        &format!("cloud simulator listening on {}", cloud.url()),
    );

    let (phone_end, glasses_end, _link) = sim_link(SimLinkConfig {
        mtu: args.mtu,
        latency: Duration::from_millis(args.latency_ms),
        ..Default::default()
    });
    let glasses = spawn_glasses(GlassesSimConfig::default(), glasses_end);
    printer.say(
        "demo",
        &format!(
            "glasses simulator on a simulated BLE link, MTU {}",
            args.mtu
        ),
    );

    let config = BridgeConfig {
        cloud: CloudConfig {
            url: cloud.url(),
            token: Redacted::new(TOKEN.into()),
            backoff: BackoffConfig {
                initial: Duration::from_millis(200),
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let bridge = Bridge::start(config, Box::new(phone_end)).map_err(|e| e.to_string())?;
    let mut events = bridge.subscribe();
    let watcher = tokio::spawn(async move {
        let printer = Printer::new(t0);
        while let Some(event) = events.next().await {
            printer.event(&event);
        }
    });

    let script = StreamScript {
        keep_alives: args.keep_alives,
        keep_alive_interval: interval,
        hold,
        ..Default::default()
    };
    let mut say = |line: String| Printer::new(t0).say("cloud sim", &line);
    let outcome = run_stream_script(&cloud, &script, &mut say).await;

    // Let the last events print, then stop the bridge on a plain thread (it owns a runtime).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = tokio::task::spawn_blocking(move || bridge.shutdown()).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), watcher).await;
    drop(glasses);

    let report = outcome.map_err(|e| format!("demo failed: {e}"))?;
    let received = cloud.received().len();
    printer.say(
        "demo",
        &format!(
            "done: stream {} went {}; {} keep-alives acked; the cloud received {received} messages",
            script.stream_id,
            dedup(&report.statuses).join(" → "),
            report.acked.len()
        ),
    );
    Ok(())
}

fn seconds(value: f64, flag: &str) -> Result<Duration, String> {
    if value.is_finite() && (0.0..=3600.0).contains(&value) {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!("{flag} must be between 0 and 3600 seconds"))
    }
}

fn dedup(words: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for w in words {
        if out.last() != Some(&w.as_str()) {
            out.push(w);
        }
    }
    out
}
