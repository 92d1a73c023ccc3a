//! The glasses firmware simulator (sans-IO): answers hello with capabilities, runs a camera
//! through idle → starting → streaming → stopping with a realistic status sequence and stats,
//! keeps a keep-alive watchdog, drains the battery and warms up while streaming, and knows
//! whether it is on Wi-Fi. It owns no link and no timer: time comes in as an argument.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mentra_bridge::rng::SeededRng;
use mentra_bridge::wire::PROTOCOL_VERSION;
use mentra_bridge::wire::proto::{
    self, Ack, AudioConfig, Battery, CameraLimits, Capabilities, ErrorCode, GlassesToPhone,
    KeepAliveAck, PhoneToGlasses, Pong, StreamErrorCode, StreamState, StreamStats, Thermal,
    ThermalState, VideoConfig, WifiNetwork, WifiScanResult, WifiStatus,
    glasses_to_phone::Body as G, phone_to_glasses::Body as P,
};

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
    /// Whether the link is encrypted. Default true.
    pub link_encrypted: bool,
    /// On Wi-Fi. Default true.
    pub wifi_connected: bool,
    /// Network name. Default "sim-wifi".
    pub wifi_ssid: String,
    /// Time from start to `streaming`. Default 800 ms.
    pub start_delay: Duration,
    /// Time from stop to `stopped`. Default 200 ms.
    pub stop_delay: Duration,
    /// Period of `streaming` statuses with stats. Default 2 s.
    pub stats_interval: Duration,
    /// Keep-alive watchdog. Default 60 s.
    pub keep_alive_timeout: Duration,
    /// Battery level at start, percent. Default 85.
    pub battery_percent: f64,
    /// Battery drain while streaming, percent per minute. Default 1.0.
    pub battery_drain_per_min: f64,
    /// Temperature when idle, °C. Default 38.
    pub idle_temperature_c: f64,
    /// Warming while streaming, °C per minute. Default 4.
    pub warming_per_min: f64,
    /// Period of battery and thermal reports. Default 10 s.
    pub telemetry_interval: Duration,
    /// Seed for stats jitter. Default 7.
    pub seed: u64,
}

impl Default for GlassesSimConfig {
    fn default() -> Self {
        Self {
            model: "Mentra Live (sim)".into(),
            firmware_version: "sim-1.0.0".into(),
            camera: CameraLimits {
                min_width: 320,
                max_width: 1920,
                min_height: 240,
                max_height: 1080,
                min_video_bitrate_bps: 100_000,
                max_video_bitrate_bps: 10_000_000,
                min_fps: 1,
                max_fps: 30,
                min_audio_bitrate_bps: 32_000,
                max_audio_bitrate_bps: 320_000,
                min_audio_sample_rate_hz: 22_050,
                max_audio_sample_rate_hz: 48_000,
            },
            max_message_size: 4096,
            link_encrypted: true,
            wifi_connected: true,
            wifi_ssid: "sim-wifi".into(),
            start_delay: Duration::from_millis(800),
            stop_delay: Duration::from_millis(200),
            stats_interval: Duration::from_secs(2),
            keep_alive_timeout: Duration::from_secs(60),
            battery_percent: 85.0,
            battery_drain_per_min: 1.0,
            idle_temperature_c: 38.0,
            warming_per_min: 4.0,
            telemetry_interval: Duration::from_secs(10),
            seed: 7,
        }
    }
}

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
}

#[derive(Debug, Clone)]
struct Stream {
    id: String,
    video: VideoConfig,
    audio: AudioConfig,
    started: Instant,
    watchdog: Instant,
}

#[derive(Debug, Clone)]
enum Camera {
    Idle,
    Starting { stream: Stream, live_at: Instant },
    Streaming { stream: Stream, next_stats: Instant },
    Stopping { stream: Stream, done_at: Instant },
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
    out: VecDeque<GlassesToPhone>,
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
            out: VecDeque::new(),
        }
    }

    /// The stream id the camera is busy with, if any.
    pub fn current_stream(&self) -> Option<&str> {
        match &self.camera {
            Camera::Idle => None,
            Camera::Starting { stream, .. }
            | Camera::Streaming { stream, .. }
            | Camera::Stopping { stream, .. } => Some(&stream.id),
        }
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
        match input {
            SimInput::Connected => {
                self.connected = true;
                self.next_id = 1;
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
            SimInput::Message(m) => self.message(now, m),
        }
    }

    /// Fires due timers: camera transitions, stats, watchdog, telemetry.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance_physics(now);
        match self.camera.clone() {
            Camera::Starting { stream, live_at } if now >= live_at => {
                let status = self.status(&stream, StreamState::Streaming, now);
                self.emit(0, status);
                self.camera = Camera::Streaming {
                    stream,
                    next_stats: now + self.config.stats_interval,
                };
            }
            Camera::Streaming { stream, next_stats } => {
                if now >= stream.watchdog {
                    let mut status = self.status(&stream, StreamState::Error, now);
                    if let G::StreamStatus(s) = &mut status {
                        s.error_code = StreamErrorCode::KeepAliveTimeout as i32;
                        s.error_detail = "Stream timed out - no keep-alive".into();
                    }
                    self.emit(0, status);
                    self.camera = Camera::Idle;
                } else if now >= next_stats {
                    let status = self.status(&stream, StreamState::Streaming, now);
                    self.emit(0, status);
                    self.camera = Camera::Streaming {
                        stream,
                        next_stats: now + self.config.stats_interval,
                    };
                }
            }
            Camera::Stopping { stream, done_at } if now >= done_at => {
                let status = self.status(&stream, StreamState::Stopped, now);
                self.emit(0, status);
                self.camera = Camera::Idle;
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

    /// The earliest deadline, or `None`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let camera = match &self.camera {
            Camera::Idle => None,
            Camera::Starting { live_at, .. } => Some(*live_at),
            Camera::Streaming { stream, next_stats } => Some((*next_stats).min(stream.watchdog)),
            Camera::Stopping { done_at, .. } => Some(*done_at),
        };
        match (camera, self.next_telemetry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn message(&mut self, now: Instant, m: PhoneToGlasses) {
        let Some(body) = m.body else { return };
        if let Some((_, replies)) = self.replied.iter().find(|(id, _)| *id == m.message_id) {
            // A retry: answer again, act (and report) once.
            if let Some(answer) = replies.first().cloned() {
                self.emit(m.message_id, answer);
            }
            return;
        }
        let id = m.message_id;
        let mut replies = Vec::new();
        match body {
            P::Hello(_) => {
                replies.push(G::Capabilities(Capabilities {
                    protocol_version: PROTOCOL_VERSION,
                    firmware_version: self.config.firmware_version.clone(),
                    model: self.config.model.clone(),
                    camera: Some(self.config.camera),
                    max_message_size: self.config.max_message_size,
                    link_encrypted: self.config.link_encrypted,
                }));
                replies.push(self.wifi_status());
                self.next_telemetry = Some(now);
            }
            P::Ping(_) => replies.push(G::Pong(Pong {})),
            P::Ack(_) => {}
            P::StartStream(start) => replies.extend(self.start(now, start)),
            P::StopStream(stop) => replies.extend(self.stop(now, stop)),
            P::KeepStreamAlive(ka) => {
                let known = match &mut self.camera {
                    Camera::Starting { stream, .. } | Camera::Streaming { stream, .. }
                        if stream.id == ka.stream_id =>
                    {
                        stream.watchdog = now + self.config.keep_alive_timeout;
                        true
                    }
                    _ => false,
                };
                replies.push(if known {
                    G::KeepAliveAck(KeepAliveAck {
                        stream_id: ka.stream_id,
                        ack_id: ka.ack_id,
                    })
                } else {
                    error(ErrorCode::InvalidArgument, "not streaming")
                });
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
                    Camera::Stopping { stream, .. } => {
                        self.status(&stream, StreamState::Stopping, now)
                    }
                };
                replies.push(status);
            }
            P::SetStreamBitrate(b) => {
                if let Camera::Streaming { stream, .. } = &mut self.camera {
                    stream.video.bitrate_bps = b.bitrate_bps;
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
        let stream = Stream {
            id: start.stream_id.clone(),
            video,
            audio,
            started: now,
            watchdog: now + self.config.keep_alive_timeout,
        };
        let failure = if busy {
            Some((StreamErrorCode::AlreadyStreaming, "camera is streaming"))
        } else if !self.config.wifi_connected {
            Some((StreamErrorCode::NoWifi, "no_wifi_connection"))
        } else {
            None
        };
        if let Some((code, detail)) = failure {
            let mut status = self.status(&stream, StreamState::Error, now);
            if let G::StreamStatus(s) = &mut status {
                s.error_code = code as i32;
                s.error_detail = detail.into();
                s.stats = None;
            }
            return vec![G::Ack(Ack {}), status];
        }
        if self.current_stream() == Some(start.stream_id.as_str()) {
            return vec![G::Ack(Ack {})];
        }
        let status = self.status(&stream, StreamState::Initializing, now);
        self.camera = Camera::Starting {
            stream,
            live_at: now + self.config.start_delay,
        };
        vec![G::Ack(Ack {}), status]
    }

    fn stop(&mut self, now: Instant, stop: proto::StopStream) -> Vec<G> {
        match self.camera.clone() {
            Camera::Starting { stream, .. } | Camera::Streaming { stream, .. }
                if stop.stream_id.is_empty() || stop.stream_id == stream.id =>
            {
                let status = self.status(&stream, StreamState::Stopping, now);
                self.camera = Camera::Stopping {
                    stream,
                    done_at: now + self.config.stop_delay,
                };
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

    fn status(&mut self, stream: &Stream, state: StreamState, now: Instant) -> G {
        let streaming = state == StreamState::Streaming;
        let stats = streaming.then(|| {
            let wobble = 0.95 + 0.1 * self.rng.unit();
            StreamStats {
                bitrate_bps: (f64::from(stream.video.bitrate_bps) * wobble) as u32,
                fps: stream.video.fps as f32 - if self.rng.chance(0.2) { 1.0 } else { 0.0 },
                dropped_frames: 0,
                duration_s: now.saturating_duration_since(stream.started).as_secs() as u32,
                temperature_c: (self.temperature * 10.0).round() as f32 / 10.0,
            }
        });
        G::StreamStatus(proto::StreamStatus {
            stream_id: stream.id.clone(),
            state: state as i32,
            stats,
            resolved_video: Some(stream.video),
            resolved_audio: Some(stream.audio),
            ..Default::default()
        })
    }

    fn resolve_video(&self, v: VideoConfig) -> VideoConfig {
        let c = &self.config.camera;
        let pick = |value: u32, default: u32, lo: u32, hi: u32| {
            (if value == 0 { default } else { value }).clamp(lo, hi.max(lo))
        };
        VideoConfig {
            width: pick(v.width, 854, c.min_width, c.max_width),
            height: pick(v.height, 480, c.min_height, c.max_height),
            bitrate_bps: pick(
                v.bitrate_bps,
                1_000_000,
                c.min_video_bitrate_bps,
                c.max_video_bitrate_bps,
            ),
            fps: pick(v.fps, 15, c.min_fps, c.max_fps),
        }
    }

    fn resolve_audio(&self, a: AudioConfig) -> AudioConfig {
        let c = &self.config.camera;
        let pick = |value: u32, default: u32, lo: u32, hi: u32| {
            (if value == 0 { default } else { value }).clamp(lo, hi.max(lo))
        };
        AudioConfig {
            bitrate_bps: pick(
                a.bitrate_bps,
                64_000,
                c.min_audio_bitrate_bps,
                c.max_audio_bitrate_bps,
            ),
            sample_rate_hz: pick(
                a.sample_rate_hz,
                44_100,
                c.min_audio_sample_rate_hz,
                c.max_audio_sample_rate_hz,
            ),
            ..a
        }
    }

    fn advance_physics(&mut self, now: Instant) {
        let minutes = now.saturating_duration_since(self.last_tick).as_secs_f64() / 60.0;
        self.last_tick = now;
        if matches!(self.camera, Camera::Streaming { .. }) {
            self.battery = (self.battery - self.config.battery_drain_per_min * minutes).max(0.0);
            self.temperature = (self.temperature + self.config.warming_per_min * minutes).min(95.0);
        } else {
            let idle = self.config.idle_temperature_c;
            self.temperature = idle + (self.temperature - idle) * (-minutes / 2.0).exp();
        }
    }

    fn telemetry(&mut self) {
        let battery = self.battery_report();
        self.emit(0, battery);
        let state = match self.temperature {
            t if t >= 85.0 => ThermalState::Critical,
            t if t >= 70.0 => ThermalState::Hot,
            t if t >= 55.0 => ThermalState::Warm,
            _ => ThermalState::Normal,
        };
        self.emit(
            0,
            G::Thermal(Thermal {
                temperature_c: (self.temperature * 10.0).round() as f32 / 10.0,
                state: state as i32,
            }),
        );
    }

    fn battery_report(&self) -> G {
        let level = self.battery.round().clamp(0.0, 100.0) as u32;
        G::Battery(Battery {
            level_percent: level,
            charging: false,
            voltage_mv: 3300 + level * 9,
        })
    }

    fn wifi_status(&self) -> G {
        G::WifiStatus(WifiStatus {
            connected: self.config.wifi_connected,
            ssid: if self.config.wifi_connected {
                self.config.wifi_ssid.clone()
            } else {
                String::new()
            },
            local_ip: if self.config.wifi_connected {
                "192.0.2.10".into()
            } else {
                String::new()
            },
        })
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

fn error(code: ErrorCode, detail: &str) -> G {
    G::Error(proto::Error {
        code: code as i32,
        detail: detail.into(),
    })
}
