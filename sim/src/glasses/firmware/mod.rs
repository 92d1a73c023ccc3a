//! The glasses firmware simulator (sans-IO): answers hello with capabilities, runs a camera
//! through idle → starting → streaming → stopping with a realistic status sequence and stats,
//! keeps a keep-alive watchdog, drains the battery and warms up while streaming, and knows
//! whether it is on Wi-Fi. It owns no link and no timer: time comes in as an argument.
//! With [`RtmpBehaviour::Real`] it owns no encoder either: it asks for one through
//! [`GlassesSim::poll_encoder`] and hears back through [`SimInput::Encoder`]
//! (see `real_video.rs`).

mod body;
mod real_video;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::config::{GlassesSimConfig, RtmpBehaviour};
use crate::video::{EncoderCommand, EncoderEvent};
use mentra_bridge::Redacted;
use mentra_bridge::rng::SeededRng;
use mentra_bridge::wire::proto::{
    self, Ack, AudioConfig, Capabilities, ErrorCode, GlassesToPhone, KeepAliveAck, PhoneToGlasses,
    Pong, StreamErrorCode, StreamState, StreamStats, StreamTransport, VideoConfig, WifiNetwork,
    WifiScanResult, glasses_to_phone::Body as G, phone_to_glasses::Body as P,
};

/// What happens to the simulated glasses.
#[derive(Debug, Clone, PartialEq)]
pub enum SimInput {
    /// A phone connected.
    Connected,
    /// The phone is gone (the camera keeps doing what it did).
    Disconnected,
    /// A message from the phone.
    Message(PhoneToGlasses),
    /// Test knob: join or leave Wi-Fi.
    SetWifi(bool),
    /// Test knob: set the battery level, percent (a sudden drop).
    SetBattery(f64),
    /// Test knob: on or off a charger (reported at once).
    SetCharging(bool),
    /// Test knob: set the temperature, °C.
    SetTemperature(f64),
    /// Test knob: send this many battery reports back to back (a notification burst).
    Burst(u32),
    /// News from the real encoder ([`RtmpBehaviour::Real`]).
    Encoder(EncoderEvent),
    /// Test knob: the glasses reboot. Everything is forgotten: the camera is off, no command
    /// is remembered. (The link drop that goes with it is the link's business.)
    Reboot,
    /// Test knob: answer the next `n` hellos with an `Error` (a firmware that is busy, or
    /// refuses this phone).
    RefuseHellos(u32),
    /// Test knob: report the current stream in a state this protocol version does not have.
    EmitUnknownStatus,
    /// The camera stops at once and says nothing (a front-end that speaks for it, such as the
    /// Mentra Live personality's controller lease, reports the end itself).
    Abort,
}

/// What the camera is doing, for observers (tests and the whole-bridge simulation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CameraView {
    /// The stream the camera is busy with, if any.
    pub stream_id: Option<String>,
    /// Its phase.
    pub phase: CameraPhase,
    /// Video bitrate the encoder runs at, bits per second (0 when idle).
    pub bitrate_bps: u32,
    /// Times the keep-alive watchdog ended a stream, since start.
    pub watchdog_fired: u32,
    /// Times the Mentra Live controller lease ended a stream, since start (always 0 in our
    /// dialect).
    pub lease_expired: u32,
    /// The glasses' temperature, °C.
    pub temperature_c: f64,
    /// The glasses' battery, percent.
    pub battery_percent: f64,
}

/// The camera's phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CameraPhase {
    /// Off.
    #[default]
    Idle,
    /// Asked to start; not live yet.
    Starting,
    /// Pushing video.
    Streaming,
    /// Lost the ingest; retrying (the camera is still on).
    Reconnecting,
    /// Asked to stop; not off yet.
    Stopping,
}

impl CameraPhase {
    /// True while the camera is on (starting, streaming or reconnecting).
    pub fn is_on(self) -> bool {
        matches!(self, Self::Starting | Self::Streaming | Self::Reconnecting)
    }
}

#[derive(Debug, Clone)]
struct Stream {
    id: String,
    url: Redacted<String>,
    transport: StreamTransport,
    /// The start asked for 1 Hz stats.
    telemetry: bool,
    video: VideoConfig,
    audio: AudioConfig,
    started: Instant,
    /// The keep-alive watchdog's period: the start's `keep_alive_timeout_s`, or the default.
    watchdog_period: Duration,
    watchdog: Instant,
    /// The start's duration limit (0 in the request: none).
    limit: Option<Duration>,
    /// Once live: when the duration limit ends it (kept across RTMP reconnects).
    limit_at: Option<Instant>,
}

#[derive(Debug, Clone)]
enum Camera {
    Idle,
    /// `live_at` is `None` when the start hangs.
    Starting {
        stream: Stream,
        live_at: Option<Instant>,
    },
    Streaming {
        stream: Stream,
        next_stats: Instant,
        drop_at: Option<Instant>,
    },
    Reconnecting {
        stream: Stream,
        attempt: u32,
        next_at: Instant,
    },
    Stopping {
        stream: Stream,
        done_at: Instant,
    },
}

/// The simulated firmware.
#[derive(Debug)]
pub struct GlassesSim {
    config: GlassesSimConfig,
    connected: bool,
    next_id: u32,
    /// Recent phone message ids and our replies, to answer retries without acting twice.
    replied: VecDeque<(u32, Vec<G>)>,
    camera: Camera,
    battery: f64,
    temperature: f64,
    last_tick: Instant,
    next_telemetry: Option<Instant>,
    rng: SeededRng,
    /// Replies held back (slow acks): when, reply_to, body.
    deferred: VecDeque<(Instant, u32, G)>,
    /// When the current phone connected (for `die_after`).
    connected_at: Instant,
    out: VecDeque<GlassesToPhone>,
    /// The real encoder, when there is one.
    encoder: real_video::EncoderState,
    /// Hellos still to be refused (test knob).
    refuse_hellos: u32,
    /// Times the keep-alive watchdog ended a stream.
    watchdog_fired: u32,
}

impl GlassesSim {
    /// A simulator, idle and not connected.
    pub fn new(config: GlassesSimConfig, now: Instant) -> Self {
        Self {
            battery: config.battery_percent,
            temperature: config.idle_temperature_c,
            rng: SeededRng::new(config.seed),
            config,
            connected: false,
            next_id: 1,
            replied: VecDeque::new(),
            camera: Camera::Idle,
            last_tick: now,
            next_telemetry: None,
            deferred: VecDeque::new(),
            connected_at: now,
            out: VecDeque::new(),
            encoder: real_video::EncoderState::default(),
            refuse_hellos: 0,
            watchdog_fired: 0,
        }
    }

    /// What the camera is doing now.
    pub fn camera(&self) -> CameraView {
        let (phase, stream) = match &self.camera {
            Camera::Idle => (CameraPhase::Idle, None),
            Camera::Starting { stream, .. } => (CameraPhase::Starting, Some(stream)),
            Camera::Streaming { stream, .. } => (CameraPhase::Streaming, Some(stream)),
            Camera::Reconnecting { stream, .. } => (CameraPhase::Reconnecting, Some(stream)),
            Camera::Stopping { stream, .. } => (CameraPhase::Stopping, Some(stream)),
        };
        CameraView {
            stream_id: stream.map(|s| s.id.clone()),
            phase,
            bitrate_bps: stream.map_or(0, |s| s.video.bitrate_bps),
            watchdog_fired: self.watchdog_fired,
            lease_expired: 0,
            temperature_c: self.temperature,
            battery_percent: self.battery,
        }
    }

    /// True once the glasses have gone silent (`die_after`).
    pub fn is_dead(&self, now: Instant) -> bool {
        self.config
            .die_after
            .is_some_and(|d| now >= self.connected_at + d)
    }

    /// The stream id the camera is busy with, if any.
    pub fn current_stream(&self) -> Option<&str> {
        match &self.camera {
            Camera::Idle => None,
            Camera::Starting { stream, .. }
            | Camera::Streaming { stream, .. }
            | Camera::Reconnecting { stream, .. }
            | Camera::Stopping { stream, .. } => Some(&stream.id),
        }
    }

    /// The stream while the camera is on (not stopping).
    fn live_stream(&self) -> Option<Stream> {
        match &self.camera {
            Camera::Starting { stream, .. }
            | Camera::Streaming { stream, .. }
            | Camera::Reconnecting { stream, .. } => Some(stream.clone()),
            Camera::Idle | Camera::Stopping { .. } => None,
        }
    }

    /// On a charger.
    pub fn charging(&self) -> bool {
        self.config.charging
    }

    /// On Wi-Fi.
    pub fn wifi_connected(&self) -> bool {
        self.config.wifi_connected
    }

    /// Battery level, percent.
    pub fn battery_percent(&self) -> f64 {
        self.battery
    }

    /// Temperature, °C.
    pub fn temperature_c(&self) -> f64 {
        self.temperature
    }

    /// Feeds one input.
    pub fn handle_input(&mut self, now: Instant, input: SimInput) {
        self.advance_physics(now);
        if self.is_dead(now) && !matches!(input, SimInput::Connected) {
            return;
        }
        match input {
            SimInput::Connected => {
                if self.is_dead(now) {
                    // Silent death ends in a reboot: the camera comes back idle.
                    self.go_idle();
                    self.config.die_after = None;
                }
                self.connected = true;
                self.connected_at = now;
                self.deferred.clear();
                self.next_id = self.first_id();
                self.replied.clear();
                self.next_telemetry = None;
            }
            SimInput::Disconnected => {
                self.connected = false;
                self.next_telemetry = None;
            }
            SimInput::SetWifi(on) => {
                self.config.wifi_connected = on;
                let status = self.wifi_status();
                self.emit(0, status);
            }
            SimInput::SetBattery(p) => self.battery = p.clamp(0.0, 100.0),
            SimInput::SetCharging(on) => {
                self.config.charging = on;
                let report = self.battery_report();
                self.emit(0, report);
            }
            SimInput::SetTemperature(t) => self.temperature = t,
            SimInput::Burst(n) => {
                for _ in 0..n {
                    let report = self.battery_report();
                    self.emit(0, report);
                }
            }
            SimInput::Message(m) => self.message(now, m),
            SimInput::Encoder(event) => self.encoder_event(now, event),
            SimInput::Reboot => {
                self.go_idle();
                self.replied.clear();
                self.deferred.clear();
                self.next_id = self.first_id();
                self.next_telemetry = None;
                self.config.die_after = None;
            }
            SimInput::RefuseHellos(n) => self.refuse_hellos = n,
            SimInput::Abort => self.go_idle(),
            SimInput::EmitUnknownStatus => {
                if let Some(stream) = self.live_stream() {
                    let mut status = self.status(&stream, StreamState::Streaming, now);
                    if let G::StreamStatus(s) = &mut status {
                        s.state = 77;
                    }
                    self.emit(0, status);
                }
            }
        }
    }

    /// Fires due timers: camera transitions, stats, watchdog, reconnects, slow acks, telemetry.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance_physics(now);
        if self.is_dead(now) {
            self.deferred.clear();
            return;
        }
        while self.deferred.front().is_some_and(|d| d.0 <= now) {
            if let Some((_, reply_to, body)) = self.deferred.pop_front() {
                self.emit(reply_to, body);
            }
        }
        match self.camera.clone() {
            Camera::Starting {
                stream,
                live_at: Some(at),
            } if now >= at => {
                if self.config.rtmp == RtmpBehaviour::ConnectFails {
                    self.fail(
                        &stream,
                        StreamErrorCode::RtmpConnectFailed,
                        "RTMP connection failed: connection refused",
                        now,
                    );
                    return;
                }
                let drop_at = match self.config.rtmp {
                    RtmpBehaviour::Drops { after, .. } => Some(now + after),
                    _ => None,
                };
                self.go_live(now, stream, false, drop_at);
            }
            Camera::Streaming { stream, .. } | Camera::Reconnecting { stream, .. }
                if stream.limit_at.is_some_and(|at| now >= at) =>
            {
                self.fail(
                    &stream,
                    StreamErrorCode::DurationLimit,
                    "Stream reached its duration limit",
                    now,
                );
            }
            Camera::Streaming { stream, .. } | Camera::Reconnecting { stream, .. }
                if now >= stream.watchdog =>
            {
                self.watchdog_fired += 1;
                self.fail(
                    &stream,
                    StreamErrorCode::KeepAliveTimeout,
                    "Stream timed out - no keep-alive from cloud",
                    now,
                );
            }
            Camera::Streaming {
                stream,
                drop_at: Some(at),
                ..
            } if now >= at => {
                self.camera = Camera::Reconnecting {
                    stream,
                    attempt: 1,
                    next_at: now,
                };
                self.handle_timeout(now);
            }
            Camera::Streaming {
                stream,
                next_stats,
                drop_at,
            } if stream.telemetry && now >= next_stats => {
                let status = self.status(&stream, StreamState::Streaming, now);
                self.emit(0, status);
                self.camera = Camera::Streaming {
                    stream,
                    next_stats: now + self.config.stats_interval,
                    drop_at,
                };
            }
            Camera::Reconnecting {
                stream,
                attempt,
                next_at,
            } if now >= next_at => {
                if let RtmpBehaviour::Real { reconnect_attempts } = self.config.rtmp {
                    self.real_reconnect_due(now, stream, attempt, reconnect_attempts);
                    return;
                }
                let RtmpBehaviour::Drops {
                    attempts,
                    max,
                    recovers,
                    ..
                } = self.config.rtmp
                else {
                    self.go_idle();
                    return;
                };
                if attempt <= attempts {
                    let mut status = self.status(&stream, StreamState::Reconnecting, now);
                    if let G::StreamStatus(st) = &mut status {
                        st.reconnect_attempt = attempt;
                        st.reconnect_max = max;
                        st.error_detail = "connection_lost".into();
                    }
                    self.emit(0, status);
                    self.camera = Camera::Reconnecting {
                        stream,
                        attempt: attempt + 1,
                        next_at: now + Duration::from_secs(1),
                    };
                } else if recovers {
                    self.go_live(now, stream, true, None);
                } else {
                    let mut status = self.failure(
                        &stream,
                        StreamErrorCode::ReconnectExhausted,
                        "Maximum reconnection attempts reached",
                        now,
                    );
                    if let G::StreamStatus(st) = &mut status {
                        st.state = StreamState::ReconnectFailed as i32;
                        st.reconnect_max = max;
                    }
                    self.emit(0, status);
                    self.go_idle();
                }
            }
            Camera::Stopping { stream, done_at } if now >= done_at => {
                let status = self.status(&stream, StreamState::Stopped, now);
                self.emit(0, status);
                self.go_idle();
            }
            _ => {}
        }
        if self.next_telemetry.is_some_and(|t| now >= t) {
            self.telemetry();
            self.next_telemetry = Some(now + self.config.telemetry_interval);
        }
    }

    /// The next message for the phone, if any.
    pub fn poll_output(&mut self) -> Option<GlassesToPhone> {
        self.out.pop_front()
    }

    /// The next command for the real encoder, if any ([`RtmpBehaviour::Real`] only).
    pub fn poll_encoder(&mut self) -> Option<EncoderCommand> {
        self.encoder.commands.pop_front()
    }

    /// Live (again, after `reconnected` when `reconnected`): says `streaming` and schedules
    /// the stats.
    fn go_live(
        &mut self,
        now: Instant,
        mut stream: Stream,
        reconnected: bool,
        drop_at: Option<Instant>,
    ) {
        // The firmware's own backstop for the duration limit counts from going live.
        if stream.limit_at.is_none() {
            stream.limit_at = stream.limit.map(|l| now + l);
        }
        if reconnected {
            let status = self.status(&stream, StreamState::Reconnected, now);
            self.emit(0, status);
        }
        let status = self.status(&stream, StreamState::Streaming, now);
        self.emit(0, status);
        self.camera = Camera::Streaming {
            stream,
            next_stats: now + self.config.stats_interval,
            drop_at,
        };
    }

    /// Back to idle; a running encoder is told to stop.
    fn go_idle(&mut self) {
        self.camera = Camera::Idle;
        self.stop_encoder();
    }

    /// The earliest deadline, or `None`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self
            .config
            .die_after
            .is_some_and(|d| self.last_tick >= self.connected_at + d)
        {
            return None; // silent: nothing happens until a phone connects again
        }
        let camera = match &self.camera {
            Camera::Idle => None,
            Camera::Starting { live_at, .. } => *live_at,
            Camera::Streaming {
                stream,
                next_stats,
                drop_at,
            } => {
                let stats = stream.telemetry.then_some(*next_stats);
                [*drop_at, stats, Some(stream.watchdog), stream.limit_at]
                    .into_iter()
                    .flatten()
                    .min()
            }
            Camera::Reconnecting {
                stream, next_at, ..
            } => [Some(*next_at), Some(stream.watchdog), stream.limit_at]
                .into_iter()
                .flatten()
                .min(),
            Camera::Stopping { done_at, .. } => Some(*done_at),
        };
        [
            camera,
            self.next_telemetry,
            self.deferred.front().map(|d| d.0),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn message(&mut self, now: Instant, m: PhoneToGlasses) {
        let Some(body) = m.body else { return };
        let remembered = (!self.config.defects.forgets_command_ids)
            .then(|| self.replied.iter().find(|(id, _)| *id == m.message_id))
            .flatten();
        if let Some((_, replies)) = remembered {
            // A retry: answer again, act (and report) once.
            if let Some(answer) = replies.first().cloned() {
                self.emit(m.message_id, answer);
            }
            return;
        }
        let id = m.message_id;
        let mut replies = Vec::new();
        match body {
            P::Hello(_) if self.refuse_hellos > 0 => {
                self.refuse_hellos -= 1;
                replies.push(error(ErrorCode::Busy, "busy updating; try again"));
            }
            P::Hello(_) => {
                replies.push(G::Capabilities(Capabilities {
                    protocol_version: self.config.protocol_version,
                    firmware_version: self.config.firmware_version.clone(),
                    model: self.config.model.clone(),
                    camera: Some(self.config.camera),
                    max_message_size: self.config.max_message_size,
                    link_encrypted: self.config.link_encrypted,
                    transports: self.config.transports.iter().map(|t| *t as i32).collect(),
                }));
                if !self.config.defects.silent_after_hello {
                    replies.push(self.wifi_status());
                    self.next_telemetry = Some(now);
                }
            }
            P::Ping(_) => replies.push(G::Pong(Pong {})),
            P::Ack(_) => {}
            P::StartStream(start) => replies.extend(self.start(now, start)),
            P::StopStream(stop) => replies.extend(self.stop(now, stop)),
            P::KeepStreamAlive(ka) => {
                let known = match &mut self.camera {
                    Camera::Starting { stream, .. }
                    | Camera::Streaming { stream, .. }
                    | Camera::Reconnecting { stream, .. }
                        if stream.id == ka.stream_id =>
                    {
                        stream.watchdog = now + stream.watchdog_period;
                        true
                    }
                    _ => false,
                };
                if !known {
                    replies.push(error(ErrorCode::InvalidArgument, "not streaming"));
                } else {
                    let ack = G::KeepAliveAck(KeepAliveAck {
                        stream_id: ka.stream_id,
                        ack_id: ka.ack_id,
                    });
                    let lost = self.rng.chance(self.config.keep_alive_ack_loss);
                    if !lost && self.config.keep_alive_ack_delay.is_zero() {
                        replies.push(ack);
                    } else if !lost {
                        let at = now + self.config.keep_alive_ack_delay;
                        self.deferred.push_back((at, id, ack));
                    }
                }
            }
            P::GetStreamStatus(_) => {
                let status = match self.camera.clone() {
                    Camera::Idle => G::StreamStatus(proto::StreamStatus {
                        state: StreamState::Idle as i32,
                        ..Default::default()
                    }),
                    Camera::Starting { stream, .. } => {
                        self.status(&stream, StreamState::Initializing, now)
                    }
                    Camera::Streaming { stream, .. } => {
                        self.status(&stream, StreamState::Streaming, now)
                    }
                    Camera::Reconnecting { stream, .. } => {
                        self.status(&stream, StreamState::Reconnecting, now)
                    }
                    Camera::Stopping { stream, .. } => {
                        self.status(&stream, StreamState::Stopping, now)
                    }
                };
                replies.push(status);
            }
            P::SetStreamBitrate(b) => {
                // Applies to the stream whatever its phase (a start still connecting too).
                match &mut self.camera {
                    Camera::Starting { stream, .. }
                    | Camera::Streaming { stream, .. }
                    | Camera::Reconnecting { stream, .. }
                        if b.stream_id.is_empty() || b.stream_id == stream.id =>
                    {
                        stream.video.bitrate_bps = b.bitrate_bps;
                    }
                    _ => {}
                }
                replies.push(G::Ack(Ack {}));
            }
            P::GetBattery(_) => replies.push(self.battery_report()),
            P::SetWifiCredentials(c) => {
                self.config.wifi_connected = true;
                self.config.wifi_ssid = c.ssid;
                replies.push(G::Ack(Ack {}));
                replies.push(self.wifi_status());
            }
            P::WifiScanRequest(_) => {
                replies.push(G::Ack(Ack {}));
                replies.push(G::WifiScanResult(WifiScanResult {
                    networks: vec![WifiNetwork {
                        ssid: self.config.wifi_ssid.clone(),
                        requires_password: true,
                        rssi_dbm: -52,
                    }],
                    complete: true,
                }));
            }
            P::GetWifiStatus(_) => replies.push(self.wifi_status()),
        }
        // Exactly one reply answers the command; what follows from it is unsolicited.
        for (i, r) in replies.iter().enumerate() {
            self.emit(if i == 0 { id } else { 0 }, r.clone());
        }
        self.replied.push_back((id, replies));
        if self.replied.len() > 16 {
            self.replied.pop_front();
        }
    }

    fn start(&mut self, now: Instant, start: proto::StartStream) -> Vec<G> {
        let busy = self
            .current_stream()
            .is_some_and(|current| current != start.stream_id);
        let video = self.resolve_video(start.video.unwrap_or_default());
        let audio = self.resolve_audio(start.audio.unwrap_or_default());
        // A transport this version does not know is an error for the message (§4), never a
        // default.
        if StreamTransport::try_from(start.transport).is_err() {
            return vec![error(
                ErrorCode::InvalidArgument,
                "unknown stream transport",
            )];
        }
        // As today's firmware: the URL's prefix picks the transport.
        let transport = transport_of(&start.url);
        let watchdog_period = match start.keep_alive_timeout_s {
            0 => self.config.keep_alive_timeout,
            _ if self.config.defects.ignores_keep_alive_timeout => self.config.keep_alive_timeout,
            s => Duration::from_secs(u64::from(s)),
        };
        let stream = Stream {
            id: start.stream_id.clone(),
            url: Redacted::new(start.url.clone()),
            transport: transport.unwrap_or(StreamTransport::Unspecified),
            telemetry: start.telemetry,
            video,
            audio,
            started: now,
            watchdog_period,
            watchdog: now + watchdog_period,
            limit: (start.duration_limit_s > 0)
                .then(|| Duration::from_secs(u64::from(start.duration_limit_s))),
            limit_at: None,
        };
        let declared = |t: StreamTransport| {
            self.config.transports.contains(&t)
                || (self.config.transports.is_empty() && t == StreamTransport::Rtmp)
        };
        let failure = if transport.is_none() {
            Some((StreamErrorCode::InvalidUrl, "Unknown stream URL protocol"))
        } else if transport.is_some_and(|t| !declared(t)) {
            Some((
                StreamErrorCode::UnsupportedTransport,
                "this firmware cannot push that transport",
            ))
        } else if busy {
            Some((StreamErrorCode::AlreadyStreaming, "camera is streaming"))
        } else if self.config.camera_busy {
            Some((
                StreamErrorCode::CameraBusy,
                "a photo capture holds the camera",
            ))
        } else if !self.config.wifi_connected {
            Some((StreamErrorCode::NoWifi, "not connected to any network"))
        } else {
            None
        };
        // A start for the stream already running is a repeat: acknowledged, nothing changes.
        if self.current_stream() == Some(start.stream_id.as_str()) {
            return vec![G::Ack(Ack {})];
        }
        if let Some((code, detail)) = failure {
            return vec![G::Ack(Ack {}), self.failure(&stream, code, detail, now)];
        }
        let status = self.status(&stream, StreamState::Initializing, now);
        let real = self.real_encoder(&stream);
        if real && !self.config.start_hangs {
            // Live once the encoder reports its first progress.
            self.start_encoder(&stream);
        }
        let live_at = (!self.config.start_hangs && !real).then(|| now + self.config.start_delay);
        self.camera = Camera::Starting { stream, live_at };
        vec![G::Ack(Ack {}), status]
    }

    fn stop(&mut self, now: Instant, stop: proto::StopStream) -> Vec<G> {
        if self.config.defects.ignores_stop && self.live_stream().is_some() {
            return vec![G::Ack(Ack {})];
        }
        match self.camera.clone() {
            Camera::Starting { stream, .. }
            | Camera::Streaming { stream, .. }
            | Camera::Reconnecting { stream, .. }
                if stop.stream_id.is_empty() || stop.stream_id == stream.id =>
            {
                let status = self.status(&stream, StreamState::Stopping, now);
                // A real encoder says when it is gone; the grace period only covers one that
                // never does.
                let done_at = if self.stop_encoder() {
                    now + real_video::STOP_GRACE
                } else {
                    now + self.config.stop_delay
                };
                self.camera = Camera::Stopping { stream, done_at };
                vec![G::Ack(Ack {}), status]
            }
            Camera::Stopping { .. } => vec![G::Ack(Ack {})],
            _ => {
                // Stopping what is not running is done already: say so, with the id.
                vec![
                    G::Ack(Ack {}),
                    G::StreamStatus(proto::StreamStatus {
                        stream_id: stop.stream_id,
                        state: StreamState::Stopped as i32,
                        ..Default::default()
                    }),
                ]
            }
        }
    }

    /// True when a real encoder pushes this stream (RTMP and SRT; WHIP is always simulated).
    fn real_encoder(&self, stream: &Stream) -> bool {
        matches!(self.config.rtmp, RtmpBehaviour::Real { .. })
            && stream.transport != StreamTransport::Whip
    }

    fn status(&mut self, stream: &Stream, state: StreamState, now: Instant) -> G {
        // Stats only with telemetry on, as today's firmware.
        let streaming = state == StreamState::Streaming && stream.telemetry;
        let real = self.real_encoder(stream);
        let stats = if streaming && real {
            self.measured_stats(stream, now)
        } else {
            self.invented_stats(stream, streaming, now)
        };
        let stream_id = if self.config.omit_stream_id {
            String::new()
        } else {
            stream.id.clone()
        };
        G::StreamStatus(proto::StreamStatus {
            stream_id,
            state: state as i32,
            stats,
            resolved_video: Some(stream.video),
            resolved_audio: Some(stream.audio),
            ..Default::default()
        })
    }

    /// Plausible stats for a simulated encoder: the requested bitrate ±5 %, an occasional
    /// missed frame.
    fn invented_stats(
        &mut self,
        stream: &Stream,
        streaming: bool,
        now: Instant,
    ) -> Option<StreamStats> {
        streaming.then(|| {
            let wobble = 0.95 + 0.1 * self.rng.unit();
            StreamStats {
                bitrate_bps: (f64::from(stream.video.bitrate_bps) * wobble) as u32,
                fps: stream.video.fps as f32 - if self.rng.chance(0.2) { 1.0 } else { 0.0 },
                dropped_frames: 0,
                duration_s: now.saturating_duration_since(stream.started).as_secs() as u32,
                temperature_c: (self.temperature * 10.0).round() as f32 / 10.0,
            }
        })
    }

    /// Reports the stream failed and goes idle (ending a real encoder).
    fn fail(&mut self, stream: &Stream, code: StreamErrorCode, detail: &str, now: Instant) {
        let status = self.failure(stream, code, detail, now);
        self.emit(0, status);
        self.go_idle();
    }

    fn failure(&mut self, stream: &Stream, code: StreamErrorCode, detail: &str, now: Instant) -> G {
        let mut status = self.status(stream, StreamState::Error, now);
        if let G::StreamStatus(s) = &mut status {
            s.error_code = code as i32;
            s.error_detail = detail.into();
            s.stats = None;
        }
        status
    }

    /// The first message id after a connect: 1 (or 0, with the `ids_from_zero` defect).
    fn first_id(&self) -> u32 {
        u32::from(!self.config.defects.ids_from_zero)
    }

    fn emit(&mut self, reply_to: u32, body: G) {
        if !self.connected {
            return;
        }
        let message_id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.out.push_back(GlassesToPhone {
            message_id,
            reply_to,
            body: Some(body),
        });
    }
}

/// The transport a URL's prefix names, as today's firmware reads it; `None` for any other.
fn transport_of(url: &str) -> Option<StreamTransport> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    [
        ("rtmp://", StreamTransport::Rtmp),
        ("rtmps://", StreamTransport::Rtmp),
        ("srt://", StreamTransport::Srt),
        ("http://", StreamTransport::Whip),
        ("https://", StreamTransport::Whip),
    ]
    .into_iter()
    .find(|(prefix, _)| lower.starts_with(prefix))
    .map(|(_, t)| t)
}

fn error(code: ErrorCode, detail: &str) -> G {
    G::Error(proto::Error {
        code: code as i32,
        detail: detail.into(),
    })
}
