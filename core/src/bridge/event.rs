//! What the bridge tells the UI: one event enum, grouped by subsystem.

use std::time::Duration;

use crate::stream::StreamUpdate;

use super::state::BridgeState;

/// Connection to the MentraOS cloud.
#[derive(Debug, Clone, PartialEq)]
pub enum CloudConnectionState {
    /// Connecting for the first time.
    Connecting,
    /// Connected.
    Connected,
    /// Not connected; retrying after `retry_in`.
    Disconnected {
        /// Why.
        reason: String,
        /// Delay before the next attempt.
        retry_in: Duration,
    },
}

/// Connection to the glasses.
#[derive(Debug, Clone, PartialEq)]
pub enum GlassesConnectionState {
    /// No link.
    Disconnected {
        /// Why, when known.
        reason: Option<String>,
    },
    /// The link is up; the hello exchange is running.
    Connecting,
    /// Ready for commands.
    Connected {
        /// Model name.
        model: String,
        /// Firmware version.
        firmware: String,
        /// ATT MTU of the link.
        mtu: u16,
    },
}

/// How good the links are: what the UI shows next to "connected", and what support asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkQuality {
    /// Glasses link round trip, smoothed, ms (from replies to commands sent once and from
    /// pongs; `None` before the first, and on Mentra Live's wire, which has none to time).
    pub glasses_rtt_ms: Option<u32>,
    /// Commands sent to the glasses again for want of a reply.
    pub glasses_retransmissions: u64,
    /// Partial glasses messages dropped (loss, duplicates, reordering on the link).
    pub glasses_reassembly_drops: u64,
    /// Times the glasses link came back after a drop.
    pub glasses_reconnects: u32,
    /// Why the glasses link last dropped.
    pub last_disconnect_reason: Option<String>,
    /// Cloud round trip of the last WebSocket ping, ms (the bridge pings after 15 s without a
    /// frame from the cloud; `None` until one is answered).
    pub cloud_rtt_ms: Option<u32>,
    /// Times the cloud connection was made again after the first.
    pub cloud_reconnects: u32,
    /// Messages waiting for the cloud.
    pub cloud_outbox: u32,
}

/// A battery reading from the glasses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatteryReading {
    /// 0–100.
    pub level_percent: u32,
    /// On a charger.
    pub charging: bool,
    /// Current is flowing into the battery (the 4 % streaming floor applies, not 15 %).
    pub active_charging: bool,
    /// Millivolts, 0 when not reported.
    pub voltage_mv: u32,
}

/// The glasses' own thermal classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThermalLevel {
    /// Normal.
    Normal,
    /// Warm.
    Warm,
    /// Hot.
    Hot,
    /// Critical.
    Critical,
    /// Not reported, or a value this version does not know.
    Unknown,
}

/// A temperature reading from the glasses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TemperatureReading {
    /// °C.
    pub celsius: f32,
    /// The glasses' classification.
    pub level: ThermalLevel,
}

/// The glasses' Wi-Fi.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WifiInfo {
    /// Connected to a network.
    pub connected: bool,
    /// Network name.
    pub ssid: String,
    /// The glasses' address on it.
    pub local_ip: String,
}

/// Something the user should know that is not a state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable machine code.
    pub code: &'static str,
    /// A sentence for the user.
    pub message: String,
}

/// Why the bridge stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// It was asked to ([`crate::BridgeHandle::shutdown`], or the bridge was dropped).
    Shutdown,
    /// It could not go on: a bug (a panic), reported here instead of ending silently. The
    /// sentence is for a bug report; start a new bridge to carry on.
    Fatal(String),
}

/// Everything the bridge publishes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BridgeEvent {
    /// The whole current picture: always the first event of a subscription, and sent again
    /// to a subscriber that fell behind.
    Snapshot(Box<BridgeState>),

    // --- connections ---
    /// The cloud connection changed.
    Cloud(CloudConnectionState),
    /// The glasses connection changed.
    Glasses(GlassesConnectionState),

    // --- stream ---
    /// A stream changed state or reported stats.
    Stream(StreamUpdate),
    /// The glasses acknowledged a cloud keep-alive.
    KeepAliveAcked {
        /// The stream.
        stream_id: String,
        /// The cloud's ack id.
        ack_id: String,
    },

    // --- telemetry ---
    /// Battery.
    Battery(BatteryReading),
    /// Temperature.
    Temperature(TemperatureReading),
    /// Wi-Fi.
    Wifi(WifiInfo),

    // --- attention ---
    /// A warning for the user.
    Warning(Warning),
    /// The bridge stopped. Always the last event: the subscription ends after it.
    Stopped(StopCause),
    /// The links' quality changed (at most every 5 s).
    LinkQuality(LinkQuality),
}
