//! Plain records and enums at the boundary, each mirroring a core type with a `From` beside it
//! so every lossy mapping is visible here.

use mentra_bridge::bridge::{
    BatteryReading, CloudConnectionState, GlassesConnectionState, StopCause, TemperatureReading,
    ThermalLevel, Warning, WifiInfo, WifiNetwork,
};
use mentra_bridge::stream::{StreamState, StreamUpdate};
use mentra_bridge::{BridgeEvent, BridgeState};

/// Settings the app chooses. Everything else keeps the core's documented defaults.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BridgeSettings {
    /// `wss://` URL of the MentraOS cloud; empty for local control only.
    pub cloud_url: String,
    /// The core token. Never logged.
    pub core_token: String,
    /// Seconds a start may take before it fails with `timeout`. Default 30.
    #[uniffi(default = 30)]
    pub start_timeout_secs: u32,
    /// Seconds streams survive without the cloud. Default 60.
    #[uniffi(default = 60)]
    pub cloud_grace_secs: u32,
}

/// What a pair of glasses speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum GlassesDialect {
    /// Our protobuf schema (`proto/`).
    MentraProto,
    /// Today's Mentra Live firmware: K900-framed JSON, BLE Wire v2, the controller lease. Its
    /// GATT service is `00004860-0000-1000-8000-00805f9b34fb` (write `71FF` with response,
    /// notify `70FF`).
    MentraLive,
}

impl From<GlassesDialect> for mentra_bridge::glasses::Dialect {
    fn from(d: GlassesDialect) -> Self {
        match d {
            GlassesDialect::MentraProto => Self::MentraProto,
            GlassesDialect::MentraLive => Self::MentraLive,
        }
    }
}

/// Where the glasses are, when the bridge owns the link. (For the app's own BLE stack, use
/// `MentraBridge.withHostLink`.)
#[derive(Debug, Clone, uniffi::Enum)]
pub enum LinkSpec {
    /// BLE through the platform stack (btleplug); `device` from a previous connection, or none
    /// for the first Mentra glasses found.
    Ble {
        /// Device id, address or name.
        device: Option<String>,
    },
    /// Glasses on the LAN, `host:port`.
    Tcp {
        /// `host:port`.
        address: String,
        /// What they speak; `None` for our protobuf schema.
        #[uniffi(default = None)]
        dialect: Option<GlassesDialect>,
    },
    /// The built-in glasses simulator (only in builds with the `simulators` feature).
    Simulator {
        /// ATT MTU of the simulated link.
        mtu: u16,
        /// What the simulated glasses speak (`MentraLive`: 2026 firmware); `None` for ours.
        #[uniffi(default = None)]
        dialect: Option<GlassesDialect>,
    },
}

/// Canonical stream state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StreamStateKind {
    /// Starting.
    Initializing,
    /// Live.
    Streaming,
    /// The ingest dropped; retrying.
    Reconnecting,
    /// The ingest is back.
    Reconnected,
    /// Retries exhausted.
    ReconnectFailed,
    /// Stopping.
    Stopping,
    /// Stopped.
    Stopped,
    /// Failed.
    Error,
}

impl From<StreamState> for StreamStateKind {
    fn from(s: StreamState) -> Self {
        match s {
            StreamState::Initializing => Self::Initializing,
            StreamState::Streaming => Self::Streaming,
            StreamState::Reconnecting => Self::Reconnecting,
            StreamState::Reconnected => Self::Reconnected,
            StreamState::ReconnectFailed => Self::ReconnectFailed,
            StreamState::Stopping => Self::Stopping,
            // Idle is only ever reported as stopped.
            StreamState::Stopped | StreamState::Idle => Self::Stopped,
            StreamState::Error => Self::Error,
        }
    }
}

/// Stats while streaming.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StreamStatsRecord {
    /// Bits per second.
    pub bitrate_bps: u32,
    /// Frames per second.
    pub fps: f32,
    /// Dropped frames.
    pub dropped_frames: u32,
    /// Seconds streamed.
    pub duration_s: u32,
    /// Glasses temperature, °C.
    pub temperature_c: Option<f32>,
}

/// A stream's state changed.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StreamStatus {
    /// The cloud's stream id.
    pub stream_id: String,
    /// Its state.
    pub state: StreamStateKind,
    /// Stable machine code of the problem, if any (e.g. `no_wifi_connection`).
    pub problem_code: Option<String>,
    /// A sentence for the user, if there is a problem.
    pub problem_message: Option<String>,
    /// Stats while streaming; none when the stream runs without telemetry (opt-in).
    pub stats: Option<StreamStatsRecord>,
    /// How the glasses push it, once known: `rtmp`, `srt` or `whip`.
    pub transport: Option<String>,
}

impl From<StreamUpdate> for StreamStatus {
    fn from(u: StreamUpdate) -> Self {
        Self {
            stream_id: u.stream_id,
            state: u.state.into(),
            problem_code: u.problem.map(|p| p.code().to_owned()),
            problem_message: u.problem.map(|p| match &u.detail {
                Some(d) => format!("{} ({d})", p.message()),
                None => p.message().to_owned(),
            }),
            stats: u.stats.map(|s| StreamStatsRecord {
                bitrate_bps: s.bitrate_bps,
                fps: s.fps,
                dropped_frames: s.dropped_frames,
                duration_s: s.duration_s,
                temperature_c: s.temperature_c,
            }),
            transport: u
                .resolved
                .and_then(|r| r.transport)
                .map(|t| t.name().to_owned()),
        }
    }
}

/// The cloud connection.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum CloudState {
    /// Connecting for the first time.
    Connecting,
    /// Connected.
    Connected,
    /// Not connected; retrying.
    Disconnected {
        /// Why.
        reason: String,
        /// Milliseconds until the next attempt.
        retry_in_ms: u64,
    },
}

impl From<CloudConnectionState> for CloudState {
    fn from(c: CloudConnectionState) -> Self {
        match c {
            CloudConnectionState::Connecting => Self::Connecting,
            CloudConnectionState::Connected => Self::Connected,
            CloudConnectionState::Disconnected { reason, retry_in } => Self::Disconnected {
                reason,
                retry_in_ms: u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX),
            },
        }
    }
}

/// The glasses connection.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum GlassesState {
    /// No link.
    Disconnected {
        /// Why, when known.
        reason: Option<String>,
    },
    /// Link up, saying hello.
    Connecting,
    /// Ready.
    Connected {
        /// Model.
        model: String,
        /// Firmware version.
        firmware: String,
        /// ATT MTU.
        mtu: u16,
    },
}

impl From<GlassesConnectionState> for GlassesState {
    fn from(g: GlassesConnectionState) -> Self {
        match g {
            GlassesConnectionState::Disconnected { reason } => Self::Disconnected { reason },
            GlassesConnectionState::Connecting => Self::Connecting,
            GlassesConnectionState::Connected {
                model,
                firmware,
                mtu,
            } => Self::Connected {
                model,
                firmware,
                mtu,
            },
        }
    }
}

/// Battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Battery {
    /// 0–100.
    pub level_percent: u32,
    /// On a charger.
    pub charging: bool,
    /// Current is flowing into the battery: a stream may run down to 4 % (15 % otherwise).
    pub active_charging: bool,
}

impl From<BatteryReading> for Battery {
    fn from(b: BatteryReading) -> Self {
        Self {
            level_percent: b.level_percent,
            charging: b.charging,
            active_charging: b.active_charging,
        }
    }
}

/// Temperature.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Temperature {
    /// °C.
    pub celsius: f32,
    /// The glasses' own classification: normal, warm, hot, critical or unknown.
    pub level: String,
}

impl From<TemperatureReading> for Temperature {
    fn from(t: TemperatureReading) -> Self {
        Self {
            celsius: t.celsius,
            level: match t.level {
                ThermalLevel::Normal => "normal",
                ThermalLevel::Warm => "warm",
                ThermalLevel::Hot => "hot",
                ThermalLevel::Critical => "critical",
                ThermalLevel::Unknown => "unknown",
            }
            .into(),
        }
    }
}

/// The glasses' Wi-Fi.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Wifi {
    /// On a network.
    pub connected: bool,
    /// Network name.
    pub ssid: String,
    /// Address on it.
    pub local_ip: String,
}

impl From<WifiInfo> for Wifi {
    fn from(w: WifiInfo) -> Self {
        Self {
            connected: w.connected,
            ssid: w.ssid,
            local_ip: w.local_ip,
        }
    }
}

/// A network the glasses see.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WifiNetworkRecord {
    /// Name.
    pub ssid: String,
    /// Needs a password.
    pub requires_password: bool,
    /// dBm.
    pub rssi_dbm: i32,
}

impl From<WifiNetwork> for WifiNetworkRecord {
    fn from(n: WifiNetwork) -> Self {
        Self {
            ssid: n.ssid,
            requires_password: n.requires_password,
            rssi_dbm: n.rssi_dbm,
        }
    }
}

/// Everything the bridge knows now.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BridgeSnapshot {
    /// Cloud connection.
    pub cloud: CloudState,
    /// Glasses connection.
    pub glasses: GlassesState,
    /// The current stream (the most recently updated live one), if any.
    pub stream: Option<StreamStatus>,
    /// Every live stream, one per stream id: the viewers of a shared managed stream each have
    /// theirs; ended streams leave the list.
    pub streams: Vec<StreamStatus>,
    /// Battery, once reported.
    pub battery: Option<Battery>,
    /// Temperature, once reported.
    pub temperature: Option<Temperature>,
    /// Wi-Fi, once reported.
    pub wifi: Option<Wifi>,
    /// How good the links are.
    pub link: LinkQualityRecord,
}

/// How good the links are: what the UI shows next to "connected", and what support asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct LinkQualityRecord {
    /// Glasses link round trip, smoothed, ms (`None` before the first, and on Mentra Live's
    /// wire, which has none to time).
    pub glasses_rtt_ms: Option<u32>,
    /// Commands sent to the glasses again for want of a reply.
    pub glasses_retransmissions: u64,
    /// Partial glasses messages dropped on the link.
    pub glasses_reassembly_drops: u64,
    /// Times the glasses link came back after a drop.
    pub glasses_reconnects: u32,
    /// Why the glasses link last dropped.
    pub last_disconnect_reason: Option<String>,
    /// Cloud round trip of the last WebSocket ping, ms.
    pub cloud_rtt_ms: Option<u32>,
    /// Times the cloud connection was made again after the first.
    pub cloud_reconnects: u32,
    /// Messages waiting for the cloud.
    pub cloud_outbox: u32,
}

impl From<mentra_bridge::bridge::LinkQuality> for LinkQualityRecord {
    fn from(q: mentra_bridge::bridge::LinkQuality) -> Self {
        Self {
            glasses_rtt_ms: q.glasses_rtt_ms,
            glasses_retransmissions: q.glasses_retransmissions,
            glasses_reassembly_drops: q.glasses_reassembly_drops,
            glasses_reconnects: q.glasses_reconnects,
            last_disconnect_reason: q.last_disconnect_reason,
            cloud_rtt_ms: q.cloud_rtt_ms,
            cloud_reconnects: q.cloud_reconnects,
            cloud_outbox: q.cloud_outbox,
        }
    }
}

impl From<BridgeState> for BridgeSnapshot {
    fn from(s: BridgeState) -> Self {
        Self {
            cloud: s.cloud.into(),
            glasses: s.glasses.into(),
            stream: s.stream.map(Into::into),
            streams: s.streams.into_iter().map(Into::into).collect(),
            battery: s.battery.map(Into::into),
            temperature: s.temperature.map(Into::into),
            wifi: s.wifi.map(Into::into),
            link: s.link.into(),
        }
    }
}

/// What the bridge tells the app.
// Each update is serialised across the FFI once and dropped; the snapshot variant's size costs
// one short-lived copy, and UniFFI has no boxed variant fields to avoid it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum BridgeUpdate {
    /// The whole picture: always first, and again after the app fell behind.
    Snapshot {
        /// The picture.
        snapshot: BridgeSnapshot,
    },
    /// The cloud connection changed.
    Cloud {
        /// New state.
        state: CloudState,
    },
    /// The glasses connection changed.
    Glasses {
        /// New state.
        state: GlassesState,
    },
    /// A stream changed.
    Stream {
        /// Its status.
        status: StreamStatus,
    },
    /// The glasses acknowledged a keep-alive.
    KeepAliveAcked {
        /// Stream.
        stream_id: String,
        /// Ack id.
        ack_id: String,
    },
    /// Battery.
    Battery {
        /// Reading.
        battery: Battery,
    },
    /// Temperature.
    Temperature {
        /// Reading.
        temperature: Temperature,
    },
    /// Wi-Fi.
    Wifi {
        /// Status.
        wifi: Wifi,
    },
    /// Something the user should know.
    Warning {
        /// Stable code.
        code: String,
        /// A sentence for the user.
        message: String,
    },
    /// The bridge stopped; always the last update. `fatal` is true when it could not go on
    /// (a bug, `reason` says what for a bug report): start a new bridge to carry on.
    Stopped {
        /// It stopped by itself, not because it was asked to.
        fatal: bool,
        /// For a fatal stop: what happened.
        reason: Option<String>,
    },
    /// The links' quality changed (at most every 5 s).
    LinkQuality {
        /// The new figures.
        link: LinkQualityRecord,
    },
}

impl BridgeUpdate {
    /// The FFI form of a core event; `None` for kinds this surface does not carry yet.
    pub(crate) fn from_event(e: BridgeEvent) -> Option<Self> {
        Some(match e {
            BridgeEvent::Snapshot(s) => Self::Snapshot {
                snapshot: (*s).into(),
            },
            BridgeEvent::Cloud(c) => Self::Cloud { state: c.into() },
            BridgeEvent::Glasses(g) => Self::Glasses { state: g.into() },
            BridgeEvent::Stream(u) => Self::Stream { status: u.into() },
            BridgeEvent::KeepAliveAcked { stream_id, ack_id } => {
                Self::KeepAliveAcked { stream_id, ack_id }
            }
            BridgeEvent::Battery(b) => Self::Battery { battery: b.into() },
            BridgeEvent::Temperature(t) => Self::Temperature {
                temperature: t.into(),
            },
            BridgeEvent::Wifi(w) => Self::Wifi { wifi: w.into() },
            BridgeEvent::Warning(Warning { code, message }) => Self::Warning {
                code: code.to_owned(),
                message,
            },
            BridgeEvent::Stopped(StopCause::Shutdown) => Self::Stopped {
                fatal: false,
                reason: None,
            },
            BridgeEvent::Stopped(StopCause::Fatal(reason)) => Self::Stopped {
                fatal: true,
                reason: Some(reason),
            },
            BridgeEvent::LinkQuality(q) => Self::LinkQuality { link: q.into() },
            _ => return None,
        })
    }
}
