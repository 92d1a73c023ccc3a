//! The Mentra Live personality of the glasses simulator (sans-IO): today's firmware as the
//! phone meets it — K900 frames, C-wrapped JSON or Wire v2, `phone_ready`/`glasses_ready`,
//! `version_info`, `msg_ack` with a 10 s duplicate window, the BES's `sr_hrt`/`sr_batv`, and,
//! on 2026 firmware, the controller lease (a probe every 2 s, the stream ended 10 s after the
//! last accepted answer) with the exact error texts of `mentra-live-wire.md` §g.5. The camera
//! underneath is the same [`GlassesSim`] the protobuf personality runs, so every failure
//! knob works in both dialects.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mentra_bridge::glasses::live::peer::{GlassesWire, PhoneMessage};
use mentra_bridge::rng::SeededRng;
use mentra_bridge::wire::proto::{
    self, GetWifiStatus, Hello, KeepStreamAlive, PhoneToGlasses, SetWifiCredentials, StartStream,
    StopStream, StreamErrorCode, StreamState, WifiScanRequest, glasses_to_phone::Body as G,
    phone_to_glasses::Body as P,
};
use serde_json::{Map, Value, json};
use tracing::debug;

use super::firmware::{CameraPhase, GlassesSim, SimInput};

/// Which Mentra Live firmware the simulator plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiveFirmware {
    /// 2025: K900 v1 only, the `*_rtmp_*` command names, RTMP only, a 60 s keep-alive
    /// watchdog, no controller lease, `not_streaming` for a stop when idle.
    Y2025,
    /// 2026 (post-#3987): Wire v2 offered and switched to at once, `sid`/`revision`
    /// snapshots, the controller lease, keep-alives as receipts only, the 15 % battery gate.
    #[default]
    Y2026,
}

impl std::str::FromStr for LiveFirmware {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "2025" => Ok(Self::Y2025),
            "2026" => Ok(Self::Y2026),
            other => Err(format!(
                "unknown Mentra Live firmware {other:?}: use 2025 or 2026"
            )),
        }
    }
}

/// Settings of the Mentra Live personality. Every field documents its default.
#[derive(Debug, Clone)]
pub struct LiveSimConfig {
    /// The firmware generation. Default 2026.
    pub firmware: LiveFirmware,
    /// The controller lease (2026). Default 10 s.
    pub lease: Duration,
    /// Between probes (2026). Default 2 s.
    pub probe_interval: Duration,
    /// Build number in `version_info_1`. Default "303006291" (2026) — 2025 firmware says
    /// "30200123".
    pub build: Option<String>,
    /// Offer Wire v2 (2026 only). Default true.
    pub wire_v2: bool,
}

impl Default for LiveSimConfig {
    fn default() -> Self {
        Self {
            firmware: LiveFirmware::Y2026,
            lease: Duration::from_secs(10),
            probe_interval: Duration::from_secs(2),
            build: None,
            wire_v2: true,
        }
    }
}

#[derive(Debug, Clone)]
struct Lease {
    stream_id: String,
    controller_id: String,
    probe_id: String,
    deadline: Instant,
    next_probe: Instant,
}

/// The simulated Mentra Live firmware over a [`GlassesSim`] camera.
#[derive(Debug)]
pub struct LiveGlasses {
    core: GlassesSim,
    config: LiveSimConfig,
    wire: GlassesWire,
    rng: SeededRng,
    created: Instant,
    connected: bool,
    /// The glasses app's process id (2026).
    sid: String,
    /// Their own handshake went out since the last `phone_ready`.
    handshake_sent: bool,
    next_core_id: u32,
    seen: VecDeque<(u64, Instant)>,
    lease: Option<Lease>,
    revision: i64,
    /// A stream the glasses ended themselves: what the camera says of it is not news.
    ended: Option<String>,
    out: VecDeque<Vec<u8>>,
    /// Messages the glasses sent, as JSON, not yet taken.
    sent: Vec<Value>,
    /// Messages the phone sent, as JSON, not yet taken.
    heard: Vec<Value>,
    /// Probe answers accepted, since start.
    accepted: u64,
    /// Phone messages that came as Wire v2 fragments.
    binary_heard: u64,
    /// The SoC is awake until then (then it sleeps while the camera is off).
    awake_until: Instant,
    /// What arrived without a wake flag while it slept (held by the BES).
    held: VecDeque<Value>,
    /// Times the lease ended a stream.
    lease_expired: u32,
    /// The transport of the stream last started, for its `resolvedConfig`.
    transport: Option<(String, &'static str)>,
}

const DUPLICATE_WINDOW: Duration = Duration::from_secs(10);
/// What one wake-flagged command buys (`PHONE_WAKE_COMMAND_WINDOW_MS`).
const WAKE_WINDOW: Duration = Duration::from_secs(15);

impl LiveGlasses {
    /// A Mentra Live personality over a camera with `core`'s settings.
    pub fn new(core: GlassesSim, config: LiveSimConfig, seed: u64, now: Instant) -> Self {
        let mut rng = SeededRng::new(seed ^ 0x4c49_5645);
        let sid = format!("{:08x}", rng.below(u64::from(u32::MAX)));
        Self {
            core,
            config,
            wire: GlassesWire::new(),
            rng,
            created: now,
            connected: false,
            sid,
            handshake_sent: false,
            next_core_id: 1,
            seen: VecDeque::new(),
            lease: None,
            revision: 0,
            ended: None,
            out: VecDeque::new(),
            sent: Vec::new(),
            heard: Vec::new(),
            accepted: 0,
            transport: None,
            binary_heard: 0,
            awake_until: now,
            held: VecDeque::new(),
            lease_expired: 0,
        }
    }

    /// The camera underneath.
    pub fn core(&self) -> &GlassesSim {
        &self.core
    }

    /// The messages the glasses sent since the last call, as JSON.
    pub fn take_sent(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.sent)
    }

    /// The messages the phone sent since the last call, as JSON.
    pub fn take_heard(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.heard)
    }

    /// Probe answers the lease accepted so far.
    pub fn accepted_answers(&self) -> u64 {
        self.accepted
    }

    /// What the camera does, and how often the lease ended a stream.
    pub fn camera(&self) -> super::CameraView {
        super::CameraView {
            lease_expired: self.lease_expired,
            ..self.core.camera()
        }
    }

    /// Phone messages that came as Wire v2 fragments so far.
    pub fn binary_heard(&self) -> u64 {
        self.binary_heard
    }

    fn y2026(&self) -> bool {
        self.config.firmware == LiveFirmware::Y2026
    }

    fn unix_ms(&self, now: Instant) -> u64 {
        1_764_547_200_000 + now.saturating_duration_since(self.created).as_millis() as u64
    }

    /// A phone connected.
    pub fn connected(&mut self, now: Instant) {
        self.connected = true;
        self.wire.reset(false);
        self.handshake_sent = false;
        self.seen.clear();
        self.core.handle_input(now, SimInput::Connected);
        self.drain_core(now);
    }

    /// The phone is gone (the camera, and the lease, go on).
    pub fn disconnected(&mut self, now: Instant) {
        self.connected = false;
        self.core.handle_input(now, SimInput::Disconnected);
        self.drain_core(now);
    }

    /// A knob for the camera underneath.
    pub fn core_input(&mut self, now: Instant, input: SimInput) {
        if matches!(input, SimInput::RefuseHellos(_)) {
            // Mentra Live firmware has no hello to refuse.
            return;
        }
        if input == SimInput::Reboot {
            // The glasses app restarts: a new process id, nothing owned.
            self.lease = None;
            self.ended = None;
            self.sid = format!("{:08x}", self.rng.below(u64::from(u32::MAX)));
        }
        self.core.handle_input(now, input);
        self.drain_core(now);
    }

    /// One frame the phone wrote.
    pub fn handle_frame(&mut self, now: Instant, frame: &[u8]) {
        if self.core.is_dead(now) {
            return;
        }
        match self.wire.receive(now, frame) {
            Some(PhoneMessage::Handshake)
                if self.y2026() && self.config.wire_v2 && !self.handshake_sent =>
            {
                self.switch_to_v2(now);
            }
            Some(PhoneMessage::Handshake) => {}
            Some(PhoneMessage::Bes(outer)) => self.bes(outer),
            Some(PhoneMessage::App { json, binary, wake }) => {
                if binary {
                    self.binary_heard += 1;
                }
                self.standby(now, json, wake);
            }
            None => {}
        }
        self.drain_core(now);
    }

    /// The SoC sleeps when idle: a wake-flagged message grants it 15 s awake (and releases
    /// what the BES held meanwhile); anything else that arrives while it sleeps waits.
    fn standby(&mut self, now: Instant, json: Value, wake: bool) {
        let camera_on = self.core.camera().phase.is_on();
        if wake {
            self.awake_until = now + WAKE_WINDOW;
        } else if now >= self.awake_until && !camera_on {
            if self.held.len() < 64 {
                self.held.push_back(json);
            }
            return;
        }
        self.app(now, json);
        if wake {
            while let Some(held) = self.held.pop_front() {
                self.app(now, held);
            }
        }
    }

    /// Fires due timers: the camera's and the lease's.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.core.handle_timeout(now);
        self.drain_core(now);
        if let Some(lease) = self.lease.clone() {
            if now >= lease.deadline {
                self.lease = None;
                self.lease_expired += 1;
                self.ended = Some(lease.stream_id.clone());
                debug!(stream = %lease.stream_id, "controller lease expired");
                let status = self.lifecycle("error", &lease.stream_id, now, true);
                self.send_status(
                    now,
                    status,
                    Some("Controlling phone app stopped responding"),
                );
                self.core.handle_input(now, SimInput::Abort);
                self.drain_core(now);
            } else if now >= lease.next_probe {
                self.probe(now);
            }
        }
    }

    /// The next frame for the phone.
    pub fn poll_output(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    /// The earliest deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let lease = self.lease.as_ref().map(|l| l.next_probe.min(l.deadline));
        [self.core.poll_timeout(), lease]
            .into_iter()
            .flatten()
            .min()
    }

    // --- to the phone ---

    fn emit(&mut self, message: Value, now: Instant) {
        self.sent.push(message.clone());
        if !self.connected {
            return;
        }
        let ms = self.unix_ms(now);
        let frames = self.wire.encode(message, ms);
        self.out.extend(frames);
    }

    fn emit_bes(&mut self, outer: Value) {
        self.sent.push(outer.clone());
        if self.connected {
            let frame = self.wire.encode_bes(&outer);
            self.out.push_back(frame);
        }
    }

    fn switch_to_v2(&mut self, now: Instant) {
        self.handshake_sent = true;
        let hs = self.wire.switch_to_v2(self.unix_ms(now));
        if self.connected {
            self.out.push_back(hs);
        }
    }

    fn bes(&mut self, outer: Value) {
        let pt = self.core.battery_percent().round() as u32;
        let charg = u32::from(self.core.charging());
        match outer.get("C").and_then(Value::as_str) {
            Some("cs_hrt") => self
                .emit_bes(json!({ "C": "sr_hrt", "B": { "ready": 1, "pt": pt, "charg": charg } })),
            Some("cs_batv") => {
                let vt = 3500 + pt * 7;
                self.emit_bes(json!({ "C": "sr_batv", "V": 1, "B": { "vt": vt, "pt": pt } }));
            }
            other => debug!(?other, "BES command ignored"),
        }
    }

    fn tell_core(&mut self, now: Instant, body: P) {
        let message_id = self.next_core_id;
        self.next_core_id = self.next_core_id.wrapping_add(1).max(1);
        self.core.handle_input(
            now,
            SimInput::Message(PhoneToGlasses {
                message_id,
                reply_to: 0,
                body: Some(body),
            }),
        );
    }

    fn app(&mut self, now: Instant, json: Value) {
        self.heard.push(json.clone());
        let kind = json
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if kind == "msg_ack" {
            return;
        }
        if let Some(m_id) = json.get("mId").and_then(Value::as_u64) {
            // Acked before routing, unknown types too; a repeat is acked and not processed.
            let ts = self.unix_ms(now);
            self.emit(
                json!({ "type": "msg_ack", "mId": m_id, "timestamp": ts }),
                now,
            );
            self.seen
                .retain(|(_, at)| now.saturating_duration_since(*at) < DUPLICATE_WINDOW);
            if let Some(e) = self.seen.iter_mut().find(|(id, _)| *id == m_id) {
                e.1 = now;
                return;
            }
            if self.seen.len() >= 256 {
                self.seen.pop_front();
            }
            self.seen.push_back((m_id, now));
        }
        let legacy_names = !self.y2026();
        match kind.as_str() {
            "phone_ready" => self.phone_ready(now),
            "request_version" => self.versions(now),
            "ping" => self.emit(json!({ "type": "pong" }), now),
            "set_ble_mtu" | "service_heartbeat" => {}
            "request_wifi_status" => self.tell_core(now, P::GetWifiStatus(GetWifiStatus {})),
            "request_wifi_scan" => self.tell_core(now, P::WifiScanRequest(WifiScanRequest {})),
            "set_wifi_credentials" => {
                let ssid = str_of(&json, "ssid").to_owned();
                let password = str_of(&json, "password").to_owned();
                self.tell_core(
                    now,
                    P::SetWifiCredentials(SetWifiCredentials {
                        ssid,
                        password,
                        security: 0,
                    }),
                );
            }
            "start_stream" if !legacy_names => self.start(now, &json),
            "start_rtmp_stream" if legacy_names => self.start(now, &json),
            "stop_stream" if !legacy_names => self.stop(now),
            "stop_rtmp_stream" if legacy_names => self.stop(now),
            "keep_stream_alive" if !legacy_names => self.keep_alive(now, &json),
            "keep_rtmp_stream_alive" if legacy_names => self.keep_alive(now, &json),
            "get_stream_status" if !legacy_names => self.snapshot(now, json.get("request_id")),
            "get_rtmp_status" if legacy_names => self.snapshot(now, None),
            "stream_controller_response" if !legacy_names => self.answer(now, &json),
            other => debug!(%other, "no handler on this firmware; acked and ignored"),
        }
    }

    fn phone_ready(&mut self, now: Instant) {
        let le = self.y2026();
        self.wire.reset(le);
        self.handshake_sent = false;
        let ts = self.unix_ms(now);
        let mut ready = json!({ "type": "glasses_ready", "timestamp": ts });
        if self.y2026() {
            ready["sid"] = json!(self.sid);
            let mut caps = json!({ "k900_le": true });
            if self.config.wire_v2 {
                caps["binary"] = json!(true);
                caps["proto"] = json!(2);
            }
            ready["wire_caps"] = caps;
        }
        self.emit(ready, now);
        if self.y2026() && self.config.wire_v2 {
            self.switch_to_v2(now);
        }
        // The camera's own hello: it starts its battery reports and says its Wi-Fi.
        self.tell_core(
            now,
            P::Hello(Hello {
                protocol_version: mentra_bridge::wire::PROTOCOL_VERSION,
                ..Default::default()
            }),
        );
    }

    fn versions(&mut self, now: Instant) {
        let build = self.config.build.clone().unwrap_or_else(|| {
            if self.y2026() {
                "303006291".into()
            } else {
                "30200123".into()
            }
        });
        let mut v1 = json!({
            "type": "version_info_1", "app_version": if self.y2026() { "2.6.1" } else { "2.2.0" },
            "build_number": build, "device_model": "K900", "android_version": "11",
        });
        let mut v3 = json!({ "type": "version_info_3", "bes_fw_version": "17.26.7.23", "mtk_fw_version": "MentraLive_20260901" });
        if self.y2026() {
            v1["sid"] = json!(self.sid);
            v3["sid"] = json!(self.sid);
            let mut caps = json!({ "k900_le": true });
            if self.config.wire_v2 {
                caps["binary"] = json!(true);
                caps["proto"] = json!(2);
            }
            v3["wire_caps"] = caps;
        }
        self.emit(v1, now);
        self.emit(v3, now);
    }
}

/// The firmware's own words for a camera failure (§g.5).
pub(super) fn firmware_text(s: &proto::StreamStatus) -> String {
    match StreamErrorCode::try_from(s.error_code).unwrap_or(StreamErrorCode::None) {
        StreamErrorCode::NoWifi => "no_wifi_connection".into(),
        StreamErrorCode::InvalidUrl => "Unknown stream URL protocol".into(),
        StreamErrorCode::CameraBusy => "camera_busy".into(),
        StreamErrorCode::KeepAliveTimeout => "Stream timed out - no keep-alive from cloud".into(),
        StreamErrorCode::RtmpConnectFailed
            if !s.error_detail.starts_with("RTMP connection failed") =>
        {
            format!("RTMP connection failed: {}", s.error_detail)
        }
        _ if s.error_detail.is_empty() => "Fatal streaming error: unknown".into(),
        _ => s.error_detail.clone(),
    }
}

pub(super) fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

pub(super) fn num(v: &Value, keys: &[&str]) -> u32 {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_f64))
        .map_or(0, |n| n.clamp(0.0, f64::from(u32::MAX)) as u32)
}

mod camera;
mod stream;
