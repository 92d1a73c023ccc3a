//! Commands for real glasses from a desktop, with no cloud: `connect`, `status`,
//! `stream start|stop`, `wifi set|scan|status` and `watch`, each over `--link`. The bridge runs
//! in local mode (it keeps streams alive itself) and a spinner shows while it connects.

use std::io::Write;
use std::time::Duration;

use clap::{Args, Subcommand};
use mentra_bridge::bridge::{BridgeHandle, GlassesConnectionState, WifiCredentials, WifiSecurity};
use mentra_bridge::stream::{
    self, RequestedVideo, StartRequest, StopRequest, StreamKind, StreamState,
};
use mentra_bridge::{Bridge, BridgeConfig, BridgeEvent, Redacted};
use mentra_sim::glasses::GlassesHandle;
use tokio::time::Instant;

use crate::print::Printer;

/// Where the glasses are.
#[derive(Debug, Args)]
pub(crate) struct LinkArgs {
    /// The link to the glasses: sim | ble | ble:ID (from `mentra-bridge scan`) | tcp://HOST:PORT.
    #[arg(long, default_value = "ble")]
    link: String,
    /// Seconds to wait for the glasses.
    #[arg(long, default_value_t = 30)]
    connect_timeout: u64,
    /// What the glasses speak: mentra-proto (our schema) or mentra-live (today's Mentra Live
    /// firmware). Default: found from the BLE service; mentra-proto over TCP and sim.
    #[arg(long, value_enum)]
    dialect: Option<crate::DialectArg>,
    /// Write the bridge's flight recorder (redacted) to FILE on exit; read it with
    /// `mentra-bridge diagnose FILE`.
    #[arg(long, value_name = "FILE", global = true)]
    record: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StreamCommand {
    /// Start a stream to URL and keep it alive until Ctrl-C (then stop it).
    Start(StartArgs),
    /// Stop a stream left running (by id, or whatever runs).
    Stop(StopArgs),
}

#[derive(Debug, Args)]
pub(crate) struct StartArgs {
    #[command(flatten)]
    link: LinkArgs,
    /// Ingest URL: rtmp(s)://, srt://host:port or https:// (WHIP). Its keys are never printed.
    #[arg(long)]
    url: String,
    /// WHIP bearer token (prefer the MENTRA_WHIP_TOKEN environment variable).
    #[arg(long, env = "MENTRA_WHIP_TOKEN", hide_env_values = true)]
    whip_token: Option<String>,
    /// Ask the glasses for stats every second.
    #[arg(long)]
    telemetry: bool,
    /// Video width, pixels.
    #[arg(long)]
    width: Option<u32>,
    /// Video height, pixels.
    #[arg(long)]
    height: Option<u32>,
    /// Video bitrate, bits per second.
    #[arg(long)]
    bitrate: Option<u32>,
    /// Frames per second.
    #[arg(long)]
    fps: Option<u32>,
    /// Stop after this many seconds.
    #[arg(long)]
    duration: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct StopArgs {
    #[command(flatten)]
    link: LinkArgs,
    /// The stream id; empty stops whatever runs.
    #[arg(long, default_value = "")]
    id: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum WifiCommand {
    /// Send Wi-Fi credentials. The password comes from MENTRA_WIFI_PASSWORD (or --password).
    Set(WifiSetArgs),
    /// List the networks the glasses see.
    Scan(LinkArgs),
    /// Show the glasses' Wi-Fi.
    Status(LinkArgs),
}

#[derive(Debug, Args)]
pub(crate) struct WifiSetArgs {
    #[command(flatten)]
    link: LinkArgs,
    /// Network name.
    #[arg(long)]
    ssid: String,
    /// Passphrase. Prefer the MENTRA_WIFI_PASSWORD environment variable.
    #[arg(
        long,
        env = "MENTRA_WIFI_PASSWORD",
        hide_env_values = true,
        default_value = ""
    )]
    password: String,
    /// open | wpa2 | wpa3 | wpa2-wpa3.
    #[arg(long, default_value = "wpa2")]
    security: String,
    /// Send even though the glasses link is not encrypted.
    #[arg(long)]
    allow_unencrypted: bool,
}

/// A bridge connected to the glasses, in local mode.
struct Connected {
    /// `None` once closed.
    bridge: Option<Bridge>,
    handle: BridgeHandle,
    printer: Printer,
    record: Option<std::path::PathBuf>,
    _sim: Option<GlassesHandle>,
}

async fn connect(args: &LinkArgs) -> Result<Connected, String> {
    let printer = Printer::new(Instant::now());
    let dialect = args.dialect.map(crate::DialectArg::dialect);
    let (link, sim) = crate::link::open(&args.link, 247, dialect)?;
    // No cloud URL: local control; the bridge keeps streams alive itself.
    let config = BridgeConfig {
        dialect,
        ..Default::default()
    };
    let bridge = Bridge::start(config, link).map_err(|e| e.to_string())?;
    let handle = bridge.handle();
    let mut events = handle.subscribe();
    let spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let deadline = Instant::now() + Duration::from_secs(args.connect_timeout.max(1));
    let mut last_reason = None;
    let mut tick = 0usize;
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    if !tty {
        eprintln!("connecting to the glasses over {}…", args.link);
    }
    loop {
        if let GlassesConnectionState::Connected {
            model,
            firmware,
            mtu,
        } = handle.state().glasses
        {
            if tty {
                eprint!("\r\x1b[K");
            }
            printer.say(
                "glasses",
                &format!("connected: {model}, firmware {firmware}, MTU {mtu}"),
            );
            return Ok(Connected {
                bridge: Some(bridge),
                handle,
                printer,
                record: args.record.clone(),
                _sim: sim,
            });
        }
        if Instant::now() >= deadline {
            if tty {
                eprint!("\r\x1b[K");
            }
            // What the recorder saw is the story of why it did not connect.
            crate::diagnose::save(&handle, args.record.as_deref());
            return Err(format!(
                "could not connect to the glasses over {}: {}",
                args.link,
                last_reason.unwrap_or_else(|| "no answer".to_owned())
            ));
        }
        if tty {
            eprint!(
                "\r{} connecting to the glasses over {}…",
                spinner[tick % spinner.len()],
                args.link
            );
            let _ = std::io::stderr().flush();
        }
        tick += 1;
        if let Ok(Some(BridgeEvent::Glasses(GlassesConnectionState::Disconnected {
            reason: Some(r),
        }))) = tokio::time::timeout(Duration::from_millis(100), events.next()).await
        {
            last_reason = Some(r);
        }
    }
}

impl Drop for Connected {
    /// A command that ends early (an error) still leaves its recording behind.
    fn drop(&mut self) {
        crate::diagnose::save(&self.handle, self.record.take().as_deref());
    }
}

impl Connected {
    /// Shuts the bridge down, then writes the recording (with the shutdown in it).
    async fn close(mut self) {
        if let Some(bridge) = self.bridge.take() {
            let _ = tokio::task::spawn_blocking(move || bridge.shutdown()).await;
        }
        crate::diagnose::save(&self.handle, self.record.take().as_deref());
    }
}

/// `connect` and `status`: connect, print what the glasses report, disconnect.
pub(crate) async fn status(args: LinkArgs) -> Result<(), String> {
    let c = connect(&args).await?;
    // Give the glasses a moment to send battery, temperature and Wi-Fi.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let state = c.handle.state();
    if let Some(b) = state.battery {
        c.printer.say(
            "battery",
            &format!(
                "{}%{}",
                b.level_percent,
                if b.charging { ", charging" } else { "" }
            ),
        );
    }
    if let Some(t) = state.temperature {
        c.printer.say("thermal", &format!("{:.1} °C", t.celsius));
    }
    match c.handle.wifi_status().await {
        Ok(w) if w.connected => c
            .printer
            .say("wifi", &format!("on {} ({})", w.ssid, w.local_ip)),
        Ok(_) => c.printer.say("wifi", "not connected"),
        Err(e) => c.printer.say("wifi", &format!("unknown: {e}")),
    }
    match &state.stream {
        Some(s) => c
            .printer
            .say("stream", &format!("{} {}", s.stream_id, s.state)),
        None => c.printer.say("stream", "none"),
    }
    c.close().await;
    Ok(())
}

/// `watch`: print every event until Ctrl-C.
pub(crate) async fn watch(args: LinkArgs) -> Result<(), String> {
    let c = connect(&args).await?;
    let mut events = c.handle.subscribe();
    loop {
        tokio::select! {
            e = events.next() => match e {
                Some(e) => c.printer.event(&e),
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    c.close().await;
    Ok(())
}

/// `stream start` / `stream stop`.
pub(crate) async fn stream(command: StreamCommand) -> Result<(), String> {
    match command {
        StreamCommand::Start(a) => {
            let c = connect(&a.link).await?;
            let id = format!("s{:010x}", std::process::id());
            let mut events = c.handle.subscribe();
            let start = stream::StreamCommand::Start(Box::new(StartRequest {
                app_id: Some("mentra-bridge-cli".into()),
                video: RequestedVideo {
                    width: a.width.map(f64::from),
                    height: a.height.map(f64::from),
                    bitrate: a.bitrate.map(f64::from),
                    fps: a.fps.map(f64::from),
                },
                duration_limit_s: a.duration.map(f64::from),
                auth_token: a.whip_token.map(Redacted::new),
                telemetry: Some(a.telemetry),
                ..StartRequest::new(id.clone(), StreamKind::Unmanaged, a.url)
            }));
            c.handle.command(start).await.map_err(|e| e.to_string())?;
            c.printer
                .say("stream", &format!("{id} requested; Ctrl-C stops it"));
            let mut failed = None;
            loop {
                tokio::select! {
                    e = events.next() => match e {
                        Some(BridgeEvent::Stream(u)) if u.stream_id == id => {
                            c.printer.event(&BridgeEvent::Stream(u.clone()));
                            if u.state.is_terminal() {
                                if u.state != StreamState::Stopped {
                                    failed = u.problem.map(|p| p.message().to_owned());
                                }
                                break;
                            }
                        }
                        Some(e) => c.printer.event(&e),
                        None => break,
                    },
                    _ = tokio::signal::ctrl_c() => {
                        let _ = c.handle.command(stream::StreamCommand::Stop(StopRequest {
                            stream_id: id.clone(),
                        })).await;
                        c.printer.say("stream", "stopping…");
                    }
                }
            }
            c.close().await;
            match failed {
                Some(reason) => Err(format!("the stream failed: {reason}")),
                None => Ok(()),
            }
        }
        StreamCommand::Stop(a) => {
            let c = connect(&a.link).await?;
            c.handle
                .command(stream::StreamCommand::Stop(StopRequest { stream_id: a.id }))
                .await
                .map_err(|e| e.to_string())?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            c.printer.say("stream", "stop sent");
            c.close().await;
            Ok(())
        }
    }
}

/// `wifi set|scan|status`.
pub(crate) async fn wifi(command: WifiCommand) -> Result<(), String> {
    match command {
        WifiCommand::Set(a) => {
            let security = match a.security.as_str() {
                "open" => WifiSecurity::Open,
                "wpa2" => WifiSecurity::Wpa2,
                "wpa3" => WifiSecurity::Wpa3,
                "wpa2-wpa3" => WifiSecurity::Wpa2Wpa3,
                other => {
                    return Err(format!(
                        "--security {other}: expected open, wpa2, wpa3 or wpa2-wpa3"
                    ));
                }
            };
            let c = connect(&a.link).await?;
            let result = c
                .handle
                .set_wifi(WifiCredentials {
                    ssid: a.ssid.clone(),
                    password: Redacted::new(a.password),
                    security,
                    allow_unencrypted_link: a.allow_unencrypted,
                })
                .await;
            match &result {
                Ok(()) => c.printer.say(
                    "wifi",
                    &format!("credentials for {} accepted by the glasses", a.ssid),
                ),
                Err(e) => c.printer.say("wifi", &format!("not set: {e}")),
            }
            c.close().await;
            result.map_err(|e| e.to_string())
        }
        WifiCommand::Scan(a) => {
            let c = connect(&a).await?;
            let result = c.handle.scan_wifi().await;
            if let Ok(networks) = &result {
                for n in networks {
                    c.printer.say(
                        "network",
                        &format!(
                            "{:<32} {:>4} dBm{}",
                            n.ssid,
                            n.rssi_dbm,
                            if n.requires_password { "  🔒" } else { "" }
                        ),
                    );
                }
            }
            c.close().await;
            result.map(|_| ()).map_err(|e| e.to_string())
        }
        WifiCommand::Status(a) => {
            let c = connect(&a).await?;
            let result = c.handle.wifi_status().await;
            if let Ok(w) = &result {
                c.printer.say(
                    "wifi",
                    &if w.connected {
                        format!("on {} ({})", w.ssid, w.local_ip)
                    } else {
                        "not connected".into()
                    },
                );
            }
            c.close().await;
            result.map(|_| ()).map_err(|e| e.to_string())
        }
    }
}
