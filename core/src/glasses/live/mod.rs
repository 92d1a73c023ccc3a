//! The Mentra Live dialect: today's Mentra Live firmware speaks JSON, not our protobuf
//! (`mentra-live-wire.md`). [`LiveSession`] is the session machine for it — readiness,
//! mId/`msg_ack` reliability, heartbeats, v1 chunking, BLE Wire v2, and the controller lease
//! answered in the receive path — behind the same events and commands as our own
//! [`Session`](super::Session), so the supervisor never knows which dialect runs. The wire
//! codecs are public for the glasses simulator and the tests.

pub mod chunk;
pub mod compact;
pub mod gatt;
pub mod k900;
mod messages;
pub mod peer;
mod session;
pub mod v2;

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use messages::CommandNames;
pub use session::{LiveSession, LiveStats};

/// Settings of a [`LiveSession`]. Every field documents its default.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// The controller id sent with every start and answered with every probe. Default: one
    /// per process (stable across reconnects, new when the app restarts), as the firmware
    /// expects.
    pub controller_id: Option<String>,
    /// The first `mId`. Default: from the wall clock, so a restarted app never reuses ids the
    /// glasses still remember (their duplicate window is 10 s).
    pub first_message_id: Option<u64>,
    /// Unix milliseconds at the session's creation, for the `timestamp` fields. Default: now.
    pub unix_base_ms: Option<u64>,
    /// Which stream command names to send. Default: the modern ones (§i.4); glasses that
    /// declare neither a process id (`sid`) nor wire capabilities and ignore a
    /// `start_stream` (acknowledged, no status within 3 s) get it again as
    /// `start_rtmp_stream`, and the 2025 names from then on.
    pub names: Option<CommandNames>,
    /// Switch to BLE Wire v2 when the glasses offer it. Default true.
    pub wire_v2: bool,
    /// The Mentra Live link is bonded by the OS pairing; Wi-Fi credentials may cross it.
    /// Default true. A link that knows better overrides it (plain TCP is never encrypted).
    pub link_encrypted: bool,
    /// Readiness loop (`cs_hrt` + `phone_ready`) until `glasses_ready`. Default 2.5 s.
    pub readiness_interval: Duration,
    /// `ping` + `service_heartbeat` after ready. Default 30 s (the firmware drops a phone
    /// after 35 s without one).
    pub heartbeat_interval: Duration,
    /// A heartbeat due within this long goes out with a packet the session is handling
    /// anyway, so glasses that talk (a streaming pair: every second) never cost the phone a
    /// timer wakeup for one; heartbeats then come every 25–30 s. Default 5 s; zero: only on
    /// time; at most half of `heartbeat_interval` is used.
    pub heartbeat_early: Duration,
    /// Stop-and-wait: how long one tracked message waits for its `msg_ack`. Default 1 s.
    pub ack_timeout: Duration,
    /// Sends of one tracked message before it fails. Default 4 (3 retries).
    pub max_sends: u8,
    /// Nothing received for this long: the glasses are gone. Default 75 s (the firmware
    /// sends nothing unprompted for long stretches; heartbeats are answered every 30 s).
    pub liveness_timeout: Duration,
    /// After `glasses_ready`, how long to wait for `version_info` (the build decides mIds)
    /// before reporting the glasses ready anyway. Default 3 s.
    pub version_wait: Duration,
    /// Between the chunks or fragments of one message. Default 50 ms.
    pub pacing: Duration,
    /// Commands queued at once before `Busy`. Default 32.
    pub queue_limit: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            controller_id: None,
            first_message_id: None,
            unix_base_ms: None,
            names: None,
            wire_v2: true,
            link_encrypted: true,
            readiness_interval: Duration::from_millis(2500),
            heartbeat_interval: Duration::from_secs(30),
            heartbeat_early: Duration::from_secs(5),
            ack_timeout: Duration::from_secs(1),
            max_sends: 4,
            liveness_timeout: Duration::from_secs(75),
            version_wait: Duration::from_secs(3),
            pacing: Duration::from_millis(50),
            queue_limit: 32,
        }
    }
}

/// Unix milliseconds now (0 if the clock is before 1970).
pub(crate) fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// This process's controller id: a random-looking UUID made once per process.
pub fn process_controller_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        // No RNG dependency: the clock, the process id and an address, mixed.
        let seed = unix_ms_now() ^ (u64::from(std::process::id()) << 32) ^ (&ID as *const _ as u64);
        let a = mix(seed);
        let b = mix(a ^ 0x9e37_79b9_7f4a_7c15);
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    })
}

/// splitmix64.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
