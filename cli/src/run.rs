//! `mentra-bridge run`: the bridge against a MentraOS-compatible cloud, printing one line per
//! event until Ctrl-C. Until the real BLE and TCP links land, the glasses simulator stands in
//! for the glasses.

use std::time::Duration;

use tokio::time::Instant;

use clap::Args;
use mentra_bridge::cloud::CloudConfig;
use mentra_bridge::glasses::scan_for_glasses;
use mentra_bridge::{Bridge, BridgeConfig, Redacted};

use crate::GlassesChoice;
use crate::print::Printer;

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Cloud WebSocket URL, e.g. wss://api.mentra.glass (the path /glasses-ws is added when
    /// missing).
    #[arg(long)]
    cloud: String,
    /// Core token for the cloud. Prefer the MENTRA_TOKEN environment variable, so the token
    /// stays out of your shell history.
    #[arg(long, env = "MENTRA_TOKEN", hide_env_values = true)]
    token: String,
    /// Which glasses to use when no --link is given.
    #[arg(long, value_enum, default_value_t = GlassesChoice::Sim)]
    glasses: GlassesChoice,
    /// The link to the glasses: `sim`, `ble` (the first Mentra glasses found), `ble:ID`
    /// (an id, address or name from `mentra-bridge scan`), or `tcp://HOST:PORT` for glasses on
    /// the LAN (try `mentra-glasses-sim --tcp 127.0.0.1:7000`).
    #[arg(long, value_name = "LINK")]
    link: Option<String>,
    /// What the glasses speak: mentra-proto (our schema) or mentra-live (today's Mentra Live
    /// firmware). Default: found from the BLE service; mentra-proto over TCP; the choice of
    /// --glasses for the simulator.
    #[arg(long, value_enum)]
    dialect: Option<crate::DialectArg>,
    /// ATT MTU of the simulated glasses link.
    #[arg(long, default_value_t = 247, value_parser = clap::value_parser!(u16).range(23..=517))]
    mtu: u16,
    /// Stream-protocol generation to answer in until the cloud's first command shows its own:
    /// 2026 (`stream_status`) or 2025 (`rtmp_stream_status`).
    #[arg(long, value_enum, default_value_t = crate::Protocol::P2026)]
    protocol: crate::Protocol,
    /// Write the bridge's flight recorder (redacted) to FILE on exit; read it with
    /// `mentra-bridge diagnose FILE`.
    #[arg(long, value_name = "FILE")]
    record: Option<std::path::PathBuf>,
}

pub(crate) async fn run(args: RunArgs) -> Result<(), String> {
    let t0 = Instant::now();
    let printer = Printer::new(t0);
    let link = args.link.as_deref().unwrap_or("sim");
    let dialect = args
        .dialect
        .map(crate::DialectArg::dialect)
        .or(match args.glasses {
            GlassesChoice::MentraLive => Some(mentra_bridge::glasses::Dialect::MentraLive),
            GlassesChoice::Sim => None,
        });
    let (link, glasses) = crate::link::open(link, args.mtu, dialect)?;
    let config = BridgeConfig {
        cloud: CloudConfig {
            url: args.cloud,
            token: Redacted::new(args.token),
            generation: args.protocol.generation(),
            ..Default::default()
        },
        dialect,
        ..Default::default()
    };
    let bridge = Bridge::start(config, link).map_err(|e| e.to_string())?;
    printer.say("run", "bridge started; Ctrl-C to stop");
    let mut events = bridge.subscribe();
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(e) => printer.event(&e),
                None => break,
            },
            _ = tokio::signal::ctrl_c() => {
                printer.say("run", "stopping");
                break;
            }
        }
    }
    let handle = bridge.handle();
    let _ = tokio::task::spawn_blocking(move || bridge.shutdown()).await;
    crate::diagnose::save(&handle, args.record.as_deref());
    tokio::time::sleep(Duration::from_millis(10)).await;
    drop(glasses);
    Ok(())
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// How long to scan, in seconds.
    #[arg(long, default_value_t = 8)]
    seconds: u64,
}

pub(crate) async fn scan(args: ScanArgs) -> Result<(), String> {
    let printer = Printer::new(Instant::now());
    printer.say(
        "scan",
        &format!("looking for Mentra glasses for {} s…", args.seconds),
    );
    let scanning = scan_for_glasses(Duration::from_secs(args.seconds.clamp(1, 120)));
    tokio::pin!(scanning);
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let mut tick = 0usize;
    let found = loop {
        tokio::select! {
            result = &mut scanning => break result,
            _ = tokio::time::sleep(Duration::from_millis(100)), if tty => {
                use std::io::Write;
                eprint!("\r{} scanning…", spinner[tick % spinner.len()]);
                let _ = std::io::stderr().flush();
                tick += 1;
            }
        }
    };
    if tty {
        eprint!("\r\x1b[K");
    }
    let found = found.map_err(|e| format!("cannot scan: {e}"))?;
    if found.is_empty() {
        return Err("no Mentra glasses found: are they on, charged and close by?".into());
    }
    for g in found {
        printer.say(
            "found",
            &format!(
                "{}  {}  {}",
                g.id,
                g.name.as_deref().unwrap_or("(no name)"),
                g.rssi.map(|r| format!("{r} dBm")).unwrap_or_default()
            ),
        );
    }
    Ok(())
}
