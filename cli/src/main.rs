//! `mentra-bridge`: the desktop command line. `demo` runs the cloud simulator, the glasses
//! simulator and the bridge together with no hardware and no network; `run` runs the bridge
//! against any MentraOS-compatible cloud; `conformance` checks a glasses implementation
//! against the firmware contract.

mod conformance;
mod demo;
mod diagnose;
mod glasses_cmd;
mod link;
mod print;
mod run;
mod scenario;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Phone-side bridge between the MentraOS cloud and camera glasses, for the desktop.
#[derive(Debug, Parser)]
#[command(name = "mentra-bridge", version, about)]
struct Cli {
    /// Log details to stderr (repeat for more). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Stream end to end through the bridge with simulated cloud and glasses (no hardware,
    /// no network): start → streaming → keep-alives acked → stop → stopped.
    Demo(demo::DemoArgs),
    /// Run the bridge against a MentraOS-compatible cloud until Ctrl-C.
    Run(run::RunArgs),
    /// Scan for Mentra glasses over Bluetooth LE and list them.
    Scan(run::ScanArgs),
    /// Connect to the glasses and show what they report.
    Connect(glasses_cmd::LinkArgs),
    /// Show the glasses' battery, temperature, Wi-Fi and stream.
    Status(glasses_cmd::LinkArgs),
    /// Start or stop a stream directly (no cloud).
    #[command(subcommand)]
    Stream(glasses_cmd::StreamCommand),
    /// Set up or inspect the glasses' Wi-Fi.
    #[command(subcommand)]
    Wifi(glasses_cmd::WifiCommand),
    /// Print the glasses' stream state, battery and temperature live, until Ctrl-C.
    Watch(glasses_cmd::LinkArgs),
    /// Check a glasses implementation against the firmware contract (proto/README.md):
    /// PASS/FAIL per check with the evidence, and a JSON report.
    Conformance(conformance::ConformanceArgs),
    /// Read a diagnostics export (`--record FILE`, or an app's exportDiagnostics): its
    /// timeline, and whether it breaks the behaviour contract.
    Diagnose(diagnose::DiagnoseArgs),
}

/// A generation of the MentraOS cloud's stream protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Protocol {
    /// 2025: start_rtmp_stream, rtmp_stream_status; RTMP only.
    #[value(name = "2025")]
    P2025,
    /// 2026: start_stream, stream_status; RTMP, SRT and WHIP.
    #[value(name = "2026")]
    P2026,
}

impl Protocol {
    pub(crate) fn generation(self) -> mentra_bridge::cloud::CloudGeneration {
        match self {
            Protocol::P2025 => mentra_bridge::cloud::CloudGeneration::V2025,
            Protocol::P2026 => mentra_bridge::cloud::CloudGeneration::V2026,
        }
    }
}

/// Which glasses to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GlassesChoice {
    /// The built-in glasses simulator, speaking our protobuf schema.
    Sim,
    /// The built-in glasses simulator as Mentra Live glasses with 2026 firmware (K900 JSON,
    /// Wire v2, the controller lease).
    MentraLive,
}

/// The wire a pair of glasses speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DialectArg {
    /// Our protobuf schema (proto/).
    MentraProto,
    /// Today's Mentra Live firmware: K900-framed JSON and BLE Wire v2.
    MentraLive,
}

impl DialectArg {
    pub(crate) fn dialect(self) -> mentra_bridge::glasses::Dialect {
        match self {
            DialectArg::MentraProto => mentra_bridge::glasses::Dialect::MentraProto,
            DialectArg::MentraLive => mentra_bridge::glasses::Dialect::MentraLive,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    if let Command::Diagnose(args) = &cli.command {
        return match diagnose::run(args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    if let Command::Demo(args) = &cli.command {
        if args.list_scenarios {
            scenario::list();
            return ExitCode::SUCCESS;
        }
        if let Some(name) = &args.scenario {
            return match scenario::play(name) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Demo(args) => runtime.block_on(demo::run(args)),
        Command::Run(args) => runtime.block_on(run::run(args)),
        Command::Scan(args) => runtime.block_on(run::scan(args)),
        Command::Connect(args) | Command::Status(args) => {
            runtime.block_on(glasses_cmd::status(args))
        }
        Command::Stream(c) => runtime.block_on(glasses_cmd::stream(c)),
        Command::Wifi(c) => runtime.block_on(glasses_cmd::wifi(c)),
        Command::Watch(args) => runtime.block_on(glasses_cmd::watch(args)),
        Command::Conformance(args) => runtime.block_on(conformance::run(args)),
        Command::Diagnose(_) => Ok(()), // handled above, without a runtime
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "error",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
