//! `mentra-glasses-sim`: the glasses simulator as a process, serving the bridge over TCP
//! (glasses on the LAN), with knobs for the failures it can reproduce. Prints the address it
//! listens on, then runs until Ctrl-C. With `--real-video` it pushes a real test stream with
//! ffmpeg; ffmpeg ends with it, however it ends (even on SIGKILL).

use std::process::ExitCode;

use clap::Parser;
use mentra_bridge::glasses::Dialect;
use mentra_sim::glasses::{
    GlassesSimConfig, LiveFirmware, LiveSimConfig, RtmpBehaviour, TcpGlassesPort, spawn_glasses,
    spawn_live_glasses,
};

/// Simulated Mentra Live glasses, reachable over TCP.
#[derive(Debug, Parser)]
#[command(name = "mentra-glasses-sim", version, about)]
struct Args {
    /// Address to listen on (127.0.0.1:0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:7000")]
    tcp: String,
    /// Start with the glasses off Wi-Fi.
    #[arg(long)]
    no_wifi: bool,
    /// The camera is busy: starts fail with camera_busy.
    #[arg(long)]
    camera_busy: bool,
    /// Starts hang before streaming.
    #[arg(long)]
    start_hangs: bool,
    /// Battery level at start, percent.
    #[arg(long, default_value_t = 85.0)]
    battery: f64,
    /// Temperature at start, °C.
    #[arg(long, default_value_t = 38.0)]
    temperature: f64,
    /// Push real video: run ffmpeg to the RTMP URL of each start (needs ffmpeg installed).
    #[arg(long)]
    real_video: bool,
    /// The ffmpeg to run with --real-video.
    #[arg(long, default_value = "ffmpeg", value_name = "PATH")]
    ffmpeg: std::path::PathBuf,
    /// What the glasses speak: mentra-proto (our schema, length-prefixed packets) or
    /// mentra-live (today's Mentra Live firmware: K900 frames back to back).
    #[arg(long, default_value = "mentra-proto")]
    dialect: Dialect,
    /// With --dialect mentra-live: the firmware generation, 2025 (v1, RTMP names, no lease)
    /// or 2026 (Wire v2, the controller lease).
    #[arg(long, default_value = "2026")]
    firmware: LiveFirmware,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let (port, address) = match TcpGlassesPort::bind_speaking(&args.tcp, args.dialect).await {
            Ok(bound) => bound,
            Err(e) => {
                eprintln!("error: cannot listen on {}: {e}", args.tcp);
                return ExitCode::FAILURE;
            }
        };
        let config = GlassesSimConfig {
            wifi_connected: !args.no_wifi,
            camera_busy: args.camera_busy,
            start_hangs: args.start_hangs,
            battery_percent: args.battery,
            idle_temperature_c: args.temperature,
            rtmp: if args.real_video {
                RtmpBehaviour::Real {
                    reconnect_attempts: 3,
                }
            } else {
                RtmpBehaviour::Works
            },
            ffmpeg: args.ffmpeg,
            ..Default::default()
        };
        if args.dialect == Dialect::MentraLive && args.real_video {
            eprintln!(
                "note: --real-video runs with the mentra-proto dialect only; simulating video"
            );
        }
        let _glasses = match args.dialect {
            Dialect::MentraLive => {
                let config = GlassesSimConfig {
                    rtmp: RtmpBehaviour::Works,
                    ..config
                };
                let live = LiveSimConfig {
                    firmware: args.firmware,
                    ..Default::default()
                };
                spawn_live_glasses(config, live, port)
            }
            Dialect::MentraProto => spawn_glasses(config, port),
        };
        // Tests read this line to learn the port.
        println!("listening on {address}");
        let _ = tokio::signal::ctrl_c().await;
        ExitCode::SUCCESS
    })
}
