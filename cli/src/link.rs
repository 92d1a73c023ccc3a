//! `--link` for every command: `sim`, `ble`, `ble:ID`, or `tcp://HOST:PORT`, in the dialect
//! `--dialect` names (BLE finds it from the GATT service when none is given).

use mentra_bridge::glasses::{
    BleLink, BleLinkConfig, Dialect, GlassesLink, TcpLink, TcpLinkConfig,
};
use mentra_sim::glasses::{
    GlassesHandle, GlassesSimConfig, LiveSimConfig, spawn_glasses, spawn_live_glasses,
};
use mentra_sim::link::{SimLinkConfig, sim_link};

/// What `--link` accepts, for error messages.
const LINK_HELP: &str = "sim | ble | ble:ID (from `mentra-bridge scan`) | tcp://HOST:PORT";

/// The link, and the simulated glasses behind it when the link is `sim` (keep it alive).
pub(crate) fn open(
    spec: &str,
    mtu: u16,
    dialect: Option<Dialect>,
) -> Result<(Box<dyn GlassesLink>, Option<GlassesHandle>), String> {
    if spec == "sim" {
        let (phone_end, glasses_end, _control) = sim_link(SimLinkConfig {
            mtu,
            ..Default::default()
        });
        let glasses = match dialect {
            Some(Dialect::MentraLive) => spawn_live_glasses(
                GlassesSimConfig::default(),
                LiveSimConfig::default(),
                glasses_end,
            ),
            _ => spawn_glasses(GlassesSimConfig::default(), glasses_end),
        };
        return Ok((Box::new(phone_end), Some(glasses)));
    }
    if let Some(address) = spec.strip_prefix("tcp://") {
        if address.is_empty() || !address.contains(':') {
            return Err(format!(
                "--link {spec}: give the glasses as tcp://HOST:PORT"
            ));
        }
        let config = TcpLinkConfig {
            dialect: dialect.unwrap_or_default(),
            ..TcpLinkConfig::new(address)
        };
        return Ok((Box::new(TcpLink::new(config)), None));
    }
    if spec == "ble" || spec.starts_with("ble:") {
        let config = BleLinkConfig {
            device: spec
                .strip_prefix("ble:")
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            ..Default::default()
        };
        return Ok((Box::new(BleLink::new(config)), None));
    }
    Err(format!("--link {spec}: expected {LINK_HELP}"))
}
