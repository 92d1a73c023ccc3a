//! Settings of the glasses simulator, including the knobs that reproduce each field failure
//! (no Wi-Fi, RTMP failures, reconnect sequences, silent death, missing stream ids, slow or
//! lost acks, heat, battery).

use std::path::PathBuf;
use std::time::Duration;

use mentra_bridge::wire::proto::{CameraLimits, StreamTransport};

/// Simulator settings. Every field documents its default.
#[derive(Debug, Clone)]
pub struct GlassesSimConfig {
    /// Model name. Default "Mentra Live (sim)".
    pub model: String,
    /// Firmware version. Default "sim-1.0.0".
    pub firmware_version: String,
    /// Camera limits declared in the hello. Default: 320–1920 × 240–1080, 100 kbps–10 Mbps,
    /// 1–30 fps, audio 32–320 kbps at 22.05–48 kHz.
    pub camera: CameraLimits,
    /// Largest message accepted. Default 4096.
    pub max_message_size: u32,
    /// Protocol version declared in `Capabilities`. Default the bridge's
    /// ([`mentra_bridge::wire::PROTOCOL_VERSION`]); another value models firmware the phone
    /// cannot talk to.
    pub protocol_version: u32,
    /// Whether the link is encrypted. Default true.
    pub link_encrypted: bool,
    /// Ingest transports declared in the hello. Default RTMP, SRT and WHIP; empty declares
    /// nothing (firmware from before transports existed: RTMP only).
    pub transports: Vec<StreamTransport>,
    /// On Wi-Fi. Default true.
    pub wifi_connected: bool,
    /// Network name. Default "sim-wifi".
    pub wifi_ssid: String,
    /// Time from start to `streaming`. Default 800 ms.
    pub start_delay: Duration,
    /// Time from stop to `stopped`. Default 200 ms.
    pub stop_delay: Duration,
    /// Period of `streaming` statuses with stats, when the start asked for telemetry.
    /// Default 1 s (today's firmware).
    pub stats_interval: Duration,
    /// Keep-alive watchdog. Default 60 s.
    pub keep_alive_timeout: Duration,
    /// Battery level at start, percent. Default 85.
    pub battery_percent: f64,
    /// Battery drain while streaming, percent per minute. Default 1.0.
    pub battery_drain_per_min: f64,
    /// On a charger, actively charging (reported in `Battery`). Default false.
    pub charging: bool,
    /// Temperature when idle, °C. Default 38.
    pub idle_temperature_c: f64,
    /// Warming while streaming, °C per minute. Default 4.
    pub warming_per_min: f64,
    /// Period of battery and thermal reports. Default 10 s.
    pub telemetry_interval: Duration,
    /// Seed for stats jitter and ack loss. Default 7.
    pub seed: u64,

    // --- failure knobs (all off by default) ---
    /// What the RTMP connection does. Default: it works.
    pub rtmp: RtmpBehaviour,
    /// The camera is held by a photo or video: starts fail with `CAMERA_BUSY`. Default false.
    pub camera_busy: bool,
    /// Starts never reach `streaming` (a hung encoder). Default false.
    pub start_hangs: bool,
    /// Stream statuses leave out the stream id (as today's firmware does on errors).
    /// Default false.
    pub omit_stream_id: bool,
    /// Keep-alive acks are held back this long. Default 0.
    pub keep_alive_ack_delay: Duration,
    /// Probability that a keep-alive ack is never sent. Default 0.
    pub keep_alive_ack_loss: f64,
    /// After this long connected, the glasses go silent: no reply, no status, nothing.
    /// Default never.
    pub die_after: Option<Duration>,
    /// The encoder program for [`RtmpBehaviour::Real`]. Default `ffmpeg` (looked up on PATH).
    pub ffmpeg: PathBuf,
    /// Deliberate breaks of the firmware contract, each caught by one conformance check.
    /// Default: none.
    pub defects: Defects,
}

/// Deliberate breaks of the firmware contract (proto/README.md), so the conformance kit can be
/// shown to catch each one. All off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defects {
    /// A repeated command (same message id) is acted on again instead of answered from memory.
    pub forgets_command_ids: bool,
    /// A packet with reserved flag bits set is read as if they were clear, instead of dropped.
    pub reads_reserved_flags: bool,
    /// `StartStream.keep_alive_timeout_s` is ignored: the watchdog always runs at the default.
    pub ignores_keep_alive_timeout: bool,
    /// Nothing unsolicited after the hello: no Wi-Fi, battery or thermal report until asked.
    pub silent_after_hello: bool,
    /// Message ids start at 0 after a connect instead of 1.
    pub ids_from_zero: bool,
    /// A stop is acknowledged and ignored: the camera goes on streaming (an orphan stream).
    pub ignores_stop: bool,
}

/// What the simulated RTMP connection does once streaming.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RtmpBehaviour {
    /// Connects and stays up.
    Works,
    /// The ingest refuses the connection: `error` with `RTMP_CONNECT_FAILED` at start.
    ConnectFails,
    /// After streaming for `after`, the ingest drops; the glasses retry `attempts` times, one
    /// second apart, announcing attempt n of `max`, then recover or give up.
    Drops {
        /// Streaming time before the drop.
        after: Duration,
        /// Retries before the outcome.
        attempts: u32,
        /// The maximum announced.
        max: u32,
        /// Reconnected in the end (else `reconnect_failed`).
        recovers: bool,
    },
    /// A real encoder (ffmpeg, run by the simulator's runner) pushes a test pattern to the URL
    /// it was given (RTMP as FLV, SRT as MPEG-TS; WHIP is simulated, as this ffmpeg has no
    /// WHIP muxer), so connection outcomes and stats are real: a refused connection is an
    /// `error` naming the cause; a connection lost while live is retried `reconnect_attempts`
    /// times (`reconnecting` n of max, with the cause), then `reconnected` or
    /// `reconnect_failed`.
    Real {
        /// Retries after a lost connection.
        reconnect_attempts: u32,
    },
}

impl Default for GlassesSimConfig {
    fn default() -> Self {
        Self {
            model: "Mentra Live (sim)".into(),
            firmware_version: "sim-1.0.0".into(),
            camera: mentra_bridge::wire::limits::DEFAULT_CAMERA_LIMITS,
            max_message_size: 4096,
            protocol_version: mentra_bridge::wire::PROTOCOL_VERSION,
            link_encrypted: true,
            transports: vec![
                StreamTransport::Rtmp,
                StreamTransport::Srt,
                StreamTransport::Whip,
            ],
            wifi_connected: true,
            wifi_ssid: "sim-wifi".into(),
            start_delay: Duration::from_millis(800),
            stop_delay: Duration::from_millis(200),
            stats_interval: Duration::from_secs(1),
            keep_alive_timeout: Duration::from_secs(60),
            battery_percent: 85.0,
            battery_drain_per_min: 1.0,
            charging: false,
            idle_temperature_c: 38.0,
            warming_per_min: 4.0,
            telemetry_interval: Duration::from_secs(10),
            seed: 7,
            rtmp: RtmpBehaviour::Works,
            camera_busy: false,
            start_hangs: false,
            omit_stream_id: false,
            keep_alive_ack_delay: Duration::ZERO,
            keep_alive_ack_loss: 0.0,
            die_after: None,
            ffmpeg: PathBuf::from("ffmpeg"),
            defects: Defects::default(),
        }
    }
}
