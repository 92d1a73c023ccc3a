//! `mentra-bridge demo`: the cloud simulator, the glasses simulator and the bridge on this
//! machine, no hardware, no network beyond 127.0.0.1. Prints one line per event and exits 0
//! once the scripted stream has gone start → streaming → keep-alives acked → stop → stopped.
//! With `--real-video` the glasses simulator pushes real video with ffmpeg to a local
//! nginx-rtmp, and the demo prints the HLS URL once it can be watched.

use std::time::Duration;

use tokio::time::Instant;

use clap::Args;
use mentra_bridge::cloud::{BackoffConfig, CloudConfig};
use mentra_bridge::{Bridge, BridgeConfig, Redacted};
use mentra_sim::cloud::{CloudSim, CloudSimConfig, StreamScript, run_stream_script};
use mentra_sim::glasses::{
    GlassesSimConfig, LiveSimConfig, RtmpBehaviour, spawn_glasses, spawn_live_glasses,
};
use mentra_sim::link::{SimLinkConfig, sim_link};
use mentra_sim::video::{RealVideoTools, RtmpServer, processes_with_arg};

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
    /// Extra seconds to stay live after the last keep-alive [default: 2, or 20 with
    /// --real-video, time to open the HLS URL].
    #[arg(long)]
    duration: Option<f64>,
    /// Push real video: ffmpeg (in the glasses simulator) → a local nginx-rtmp → HLS you can
    /// watch. Needs ffmpeg, nginx and libnginx-mod-rtmp; without them the demo says so and
    /// uses simulated stats.
    #[arg(long)]
    real_video: bool,
    /// Per-packet latency of the simulated link, in milliseconds.
    #[arg(long, default_value_t = 8)]
    latency_ms: u64,
    /// The generation of the MentraOS stream protocol the simulated cloud speaks. A 2025
    /// cloud streams RTMP, so the demo then streams to an rtmps:// ingest.
    #[arg(long, value_enum, default_value_t = crate::Protocol::P2026)]
    cloud: crate::Protocol,
    /// The simulated glasses: `sim` speaks our protobuf schema; `mentra-live` plays today's
    /// Mentra Live firmware (K900 JSON, Wire v2, the controller lease).
    #[arg(long, value_enum, default_value_t = crate::GlassesChoice::Sim)]
    glasses: crate::GlassesChoice,
    /// Write the bridge's flight recorder (redacted) to FILE at the end; read it with
    /// `mentra-bridge diagnose FILE`.
    #[arg(long, value_name = "FILE")]
    record: Option<std::path::PathBuf>,
}

const TOKEN: &str = "demo-core-token";

pub(crate) async fn run(args: DemoArgs) -> Result<(), String> {
    let interval = seconds(args.interval, "--interval")?;
    let t0 = Instant::now();
    let printer = Printer::new(t0);
    let video = if args.real_video {
        real_video(&printer).await
    } else {
        None
    };
    let default_hold = if video.is_some() { 20.0 } else { 2.0 };
    let hold = seconds(args.duration.unwrap_or(default_hold), "--duration")?;

    let cloud = CloudSim::start(CloudSimConfig {
        token: Some(TOKEN.into()),
        generation: args.cloud.generation(),
        ..Default::default()
    })
    .await
    .map_err(|e| format!("cannot start the cloud simulator on 127.0.0.1: {e}"))?;
    let year = match args.cloud {
        crate::Protocol::P2025 => 2025,
        crate::Protocol::P2026 => 2026,
    };
    printer.say(
        "demo",
        &format!(
            "cloud simulator ({year} stream protocol) listening on {}",
            cloud.url()
        ),
    );

    let (phone_end, glasses_end, _link) = sim_link(SimLinkConfig {
        mtu: args.mtu,
        latency: Duration::from_millis(args.latency_ms),
        ..Default::default()
    });
    let glasses_config = match &video {
        Some((tools, _)) => GlassesSimConfig {
            rtmp: RtmpBehaviour::Real {
                reconnect_attempts: 3,
            },
            ffmpeg: tools.ffmpeg.clone(),
            ..Default::default()
        },
        None => GlassesSimConfig::default(),
    };
    let live = args.glasses == crate::GlassesChoice::MentraLive;
    let glasses = if live {
        spawn_live_glasses(glasses_config, LiveSimConfig::default(), glasses_end)
    } else {
        spawn_glasses(glasses_config, glasses_end)
    };
    printer.say(
        "demo",
        &format!(
            "glasses simulator ({}) on a simulated BLE link, MTU {}",
            if live {
                "Mentra Live, 2026 firmware"
            } else {
                "mentra-proto"
            },
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
        dialect: live.then_some(mentra_bridge::glasses::Dialect::MentraLive),
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

    let mut script = StreamScript {
        keep_alives: args.keep_alives,
        keep_alive_interval: interval,
        hold,
        ..Default::default()
    };
    if let Some((_, server)) = &video {
        script.url = server.rtmp_url(&script.stream_id);
    } else if args.cloud == crate::Protocol::P2025 {
        // The 2025 cloud's managed streams went to a Cloudflare RTMPS ingest.
        script.url = "rtmps://live.cloudflare.com:443/live/9f8e7d6c5b4a39281706f5e4d3c2b1a0".into();
    }
    printer.say(
        "demo",
        &format!(
            "{} stream to {}",
            if script.managed {
                "a managed"
            } else {
                "an unmanaged"
            },
            mentra_bridge::redact::redact_url(&script.url)
        ),
    );
    let mut say = |line: String| Printer::new(t0).say("cloud sim", &line);
    let watch = async {
        let Some((_, server)) = &video else { return };
        let key = &script.stream_id;
        match server.wait_watchable(key, Duration::from_secs(30)).await {
            Ok(_) => printer.say(
                "demo",
                &format!(
                    "watch it now: {} (ffplay, VLC or Safari; live until the stop)",
                    server.hls_url(key)
                ),
            ),
            Err(e) => printer.say("demo", &format!("warning: {e}")),
        }
    };
    // The HLS check gives way when the script ends first (a failed start has nothing to watch).
    let play = run_stream_script(&cloud, &script, &mut say);
    tokio::pin!(play);
    let outcome = tokio::select! {
        outcome = &mut play => outcome,
        () = watch => play.await,
    };

    // Let the last events print, then stop the bridge on a plain thread (it owns a runtime).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let handle = bridge.handle();
    let _ = tokio::task::spawn_blocking(move || bridge.shutdown()).await;
    crate::diagnose::save(&handle, args.record.as_deref());
    let _ = tokio::time::timeout(Duration::from_secs(2), watcher).await;
    drop(glasses);
    if let Some((_, server)) = video {
        let url = script.url.clone();
        let mut left = processes_with_arg(&url);
        for _ in 0..100 {
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            left = processes_with_arg(&url);
        }
        if left.is_empty() {
            printer.say("demo", "ffmpeg ended with the stream");
        } else {
            printer.say("demo", &format!("warning: ffmpeg still running: {left:?}"));
        }
        server.stop().await;
        printer.say("demo", "RTMP server stopped");
    }

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

/// Finds the programs and starts the local RTMP server; says why not and falls back otherwise.
async fn real_video(printer: &Printer) -> Option<(RealVideoTools, RtmpServer)> {
    let tools = match RealVideoTools::find() {
        Ok(tools) => tools,
        Err(why) => {
            printer.say("demo", &why);
            printer.say("demo", "falling back to simulated video (invented stats)");
            return None;
        }
    };
    match RtmpServer::start(&tools).await {
        Ok(server) => {
            printer.say(
                "demo",
                "real video: ffmpeg in the glasses simulator → nginx-rtmp on 127.0.0.1 → HLS",
            );
            Some((tools, server))
        }
        Err(e) => {
            printer.say("demo", &e.to_string());
            printer.say("demo", "falling back to simulated video (invented stats)");
            None
        }
    }
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
