//! `mentra-bridge run`: the bridge against a MentraOS-compatible cloud, printing one line per
//! event until Ctrl-C. Until the real BLE and TCP links land, the glasses simulator stands in
//! for the glasses.

use std::time::Duration;

use tokio::time::Instant;

use clap::Args;
use mentra_bridge::cloud::CloudConfig;
use mentra_bridge::{Bridge, BridgeConfig, Redacted};
use mentra_sim::glasses::{GlassesSimConfig, spawn_glasses};
use mentra_sim::link::{SimLinkConfig, sim_link};

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
    /// Which glasses to use.
    #[arg(long, value_enum, default_value_t = GlassesChoice::Sim)]
    glasses: GlassesChoice,
    /// ATT MTU of the simulated glasses link.
    #[arg(long, default_value_t = 247, value_parser = clap::value_parser!(u16).range(23..=517))]
    mtu: u16,
}

pub(crate) async fn run(args: RunArgs) -> Result<(), String> {
    let t0 = Instant::now();
    let printer = Printer::new(t0);
    let GlassesChoice::Sim = args.glasses;
    let (phone_end, glasses_end, _link) = sim_link(SimLinkConfig {
        mtu: args.mtu,
        ..Default::default()
    });
    let glasses = spawn_glasses(GlassesSimConfig::default(), glasses_end);
    let config = BridgeConfig {
        cloud: CloudConfig {
            url: args.cloud,
            token: Redacted::new(args.token),
            ..Default::default()
        },
        ..Default::default()
    };
    let bridge = Bridge::start(config, Box::new(phone_end)).map_err(|e| e.to_string())?;
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
    let _ = tokio::task::spawn_blocking(move || bridge.shutdown()).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    drop(glasses);
    Ok(())
}
