//! The Mentra Live JSON messages (`mentra-live-wire.md` §g, §d, §e) in the bridge's own model:
//! our protobuf commands become `start_stream` and friends (or the 2025 `*_rtmp_*` names),
//! and what the glasses send becomes our `StreamStatus`, `KeepAliveAck`, `Battery`, Wi-Fi
//! messages, or one of the session's own signals (readiness, versions, acks, probes). Every
//! field of §g for streaming and health is read here; what is ignored says why.

use serde_json::{Map, Value, json};

use crate::glasses::SessionError;
use crate::wire::proto::{
    self, AudioConfig, Battery, KeepAliveAck, StreamErrorCode, StreamState, StreamStats,
    StreamStatus, VideoConfig, WifiNetwork, WifiScanResult, WifiStatus, glasses_to_phone,
    phone_to_glasses,
};

/// Which generation of stream command names the glasses understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandNames {
    /// `start_stream`, `stop_stream`, `keep_stream_alive`, `get_stream_status` (2026).
    Modern,
    /// `start_rtmp_stream`, `stop_rtmp_stream`, `keep_rtmp_stream_alive`, `get_rtmp_status`
    /// (2025 firmware, RTMP only).
    Legacy,
}

/// A JSON message to send, with how it travels. (Its `Debug` shows the type only: the JSON
/// may carry stream keys, tokens and Wi-Fi passwords.)
#[derive(Clone, PartialEq)]
pub(crate) struct Outbound {
    pub(crate) json: Value,
    /// Wake the glasses' SoC (`"W":1`, `FLAG_WAKE`).
    pub(crate) wake: bool,
    /// Tracked with an mId and `msg_ack` (once the glasses' build supports it).
    pub(crate) tracked: bool,
    /// A BES-native command (`cs_*`): never an mId, never C-wrapped as a message.
    pub(crate) bes: bool,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field(
                "type",
                &self.json.get("type").or_else(|| self.json.get("C")),
            )
            .field("wake", &self.wake)
            .field("tracked", &self.tracked)
            .finish()
    }
}

impl Outbound {
    fn message(json: Value, wake: bool, tracked: bool) -> Self {
        Self {
            json,
            wake,
            tracked,
            bes: false,
        }
    }
}

/// The JSON for one of our commands. `controller_id` goes on every start (the lease of §g.3).
pub(crate) fn command(
    body: &phone_to_glasses::Body,
    names: CommandNames,
    controller_id: &str,
) -> Result<Outbound, SessionError> {
    use phone_to_glasses::Body as P;
    let legacy = names == CommandNames::Legacy;
    Ok(match body {
        P::StartStream(s) => Outbound::message(start(s, legacy, controller_id), true, true),
        P::StopStream(_) => {
            let t = if legacy {
                "stop_rtmp_stream"
            } else {
                "stop_stream"
            };
            Outbound::message(json!({ "type": t }), true, true)
        }
        P::KeepStreamAlive(k) => {
            let t = if legacy {
                "keep_rtmp_stream_alive"
            } else {
                "keep_stream_alive"
            };
            Outbound::message(
                json!({ "type": t, "streamId": k.stream_id, "ackId": k.ack_id }),
                false,
                true,
            )
        }
        P::GetStreamStatus(_) => {
            let t = if legacy {
                "get_rtmp_status"
            } else {
                "get_stream_status"
            };
            // Asked after a relink, when the SoC may sleep: wake it for the answer.
            Outbound::message(json!({ "type": t }), true, true)
        }
        P::SetStreamBitrate(_) => {
            // The firmware runs its own thermal bitrate control (86 °C start, 90 °C limit).
            return Err(SessionError::Unsupported {
                what: "a bitrate change",
            });
        }
        P::GetBattery(_) => Outbound {
            json: json!({ "C": "cs_batv", "V": 1, "B": "" }),
            wake: false,
            tracked: false,
            bes: true,
        },
        P::SetWifiCredentials(c) => Outbound::message(
            json!({ "type": "set_wifi_credentials", "ssid": c.ssid, "password": c.password }),
            true,
            true,
        ),
        P::WifiScanRequest(_) => {
            Outbound::message(json!({ "type": "request_wifi_scan" }), true, true)
        }
        P::GetWifiStatus(_) => {
            Outbound::message(json!({ "type": "request_wifi_status" }), true, true)
        }
        P::Ping(_) => Outbound::message(json!({ "type": "ping" }), false, false),
        P::Hello(_) | P::Ack(_) => {
            return Err(SessionError::Unsupported {
                what: "this protocol message",
            });
        }
    })
}

fn start(s: &proto::StartStream, legacy: bool, controller_id: &str) -> Value {
    if legacy {
        // 2025 firmware: RTMP only, keep-alive watchdog, no controller lease.
        return json!({ "type": "start_rtmp_stream", "rtmpUrl": s.url, "streamId": s.stream_id });
    }
    let mut m = Map::new();
    m.insert("type".into(), json!("start_stream"));
    m.insert("streamUrl".into(), json!(s.url));
    m.insert("streamId".into(), json!(s.stream_id));
    if let Some(v) = &s.video {
        m.insert(
            "video".into(),
            json!({ "width": v.width, "height": v.height, "bitrate": v.bitrate_bps, "frameRate": v.fps }),
        );
    }
    if let Some(a) = &s.audio {
        m.insert(
            "audio".into(),
            json!({
                "bitrate": a.bitrate_bps, "sampleRate": a.sample_rate_hz,
                "echoCancellation": a.echo_cancellation, "noiseSuppression": a.noise_suppression,
            }),
        );
    }
    if let Some(sound) = s.sound {
        m.insert("sound".into(), json!(sound));
    }
    if !s.auth_token.is_empty() {
        m.insert("authToken".into(), json!(s.auth_token));
    }
    if let Some(ice) = &s.ice {
        m.insert("ice".into(), json!({ "stun": ice.stun_server }));
    }
    if let Some(c) = s.capture_audio {
        m.insert("captureAudio".into(), json!(c));
    }
    // Always: the firmware reports its temperature only inside the 1 Hz stats, and the
    // bridge's heat policy needs it whatever the cloud asked for.
    let _ = s.telemetry;
    m.insert("telemetry".into(), json!(true));
    if !s.trace_id.is_empty() {
        m.insert("traceId".into(), json!(s.trace_id));
    }
    // The controller lease (post-#3987 firmware refuses a start without it; older firmware
    // ignores it). The duration limit stays with the bridge: the firmware has no such field.
    m.insert("controllerProbeVersion".into(), json!(1));
    m.insert("controllerId".into(), json!(controller_id));
    Value::Object(m)
}

/// A probe from the glasses (§g.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    pub(crate) stream_id: String,
    pub(crate) controller_id: String,
    pub(crate) probe_id: String,
}

/// What a glasses message means to the session.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inbound {
    /// Something for the bridge, in our model.
    Model(glasses_to_phone::Body),
    /// Our message `mId` arrived.
    Ack(u64),
    /// The glasses' app is up (`sid`: its process id; `wire_caps` as sent).
    GlassesReady {
        sid: Option<String>,
        wire_caps: Option<Value>,
    },
    /// A `version_info*` chunk.
    Version {
        build: Option<i64>,
        app_version: Option<String>,
        sid: Option<String>,
        wire_caps: Option<Value>,
    },
    /// A controller probe to answer.
    Probe(Probe),
    /// The BES heartbeat (`sr_hrt`): SoC ready, battery, charging.
    BesHeartbeat {
        ready: bool,
        percent: Option<u32>,
        charging: Option<bool>,
        voltage_mv: Option<u32>,
    },
    /// The BES battery reading (`sr_batv`).
    BesBattery {
        percent: Option<u32>,
        voltage_mv: Option<u32>,
    },
    /// `pong`.
    Pong,
    /// `sr_shut`: the glasses are powering off.
    Shutdown,
    /// A stream status snapshot or event of the glasses process `sid` with this `revision`.
    Status {
        status: StreamStatus,
        sid: Option<String>,
        revision: Option<i64>,
        /// The answer to `get_stream_status` (or an idle `stop_stream`), not an event.
        snapshot: bool,
        /// Named as 2025 firmware names it (`rtmp_stream_status`, or no type at all).
        legacy: bool,
    },
    /// Understood and not needed (or not understood: the type, for logs).
    Ignored(String),
}

fn str_of<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

fn u32_of(o: &Value, key: &str) -> Option<u32> {
    let v = o.get(key)?;
    let n = v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| f as u64)
    })?;
    u32::try_from(n).ok()
}

fn bool_of(o: &Value, key: &str) -> Option<bool> {
    match o.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_f64() != Some(0.0)),
        _ => None,
    }
}

/// A BES body may arrive as an object or as a JSON string.
fn body(o: &Value) -> Value {
    match o.get("B") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

/// Reads a BES-native frame (`{"C":"sr_xxx","B":…}`).
pub(crate) fn bes(name: &str, outer: &Value) -> Inbound {
    let b = body(outer);
    match name {
        "sr_hrt" => Inbound::BesHeartbeat {
            ready: bool_of(&b, "ready").unwrap_or(false),
            percent: u32_of(&b, "pt").filter(|p| *p > 0),
            charging: bool_of(&b, "charg"),
            voltage_mv: u32_of(&b, "vt"),
        },
        "sr_batv" => Inbound::BesBattery {
            percent: u32_of(&b, "pt").filter(|p| *p > 0),
            voltage_mv: u32_of(&b, "vt"),
        },
        "sr_shut" => Inbound::Shutdown,
        other => Inbound::Ignored(other.to_owned()),
    }
}

/// Reads one glasses message (already unwrapped, reassembled and expanded).
pub(crate) fn inbound(m: &Value) -> Inbound {
    let Some(kind) = str_of(m, "type") else {
        // 2025 firmware answered `get_rtmp_status` without a type.
        if str_of(m, "status").is_some() {
            return Inbound::Status {
                status: status(m),
                sid: None,
                revision: None,
                snapshot: true,
                legacy: true,
            };
        }
        return Inbound::Ignored("(no type)".into());
    };
    let sid = || str_of(m, "sid").map(str::to_owned);
    match kind {
        "msg_ack" => match m.get("mId").and_then(Value::as_u64) {
            Some(id) => Inbound::Ack(id),
            None => Inbound::Ignored("msg_ack".into()),
        },
        "glasses_ready" => Inbound::GlassesReady {
            sid: sid(),
            wire_caps: m.get("wire_caps").cloned(),
        },
        k if k.starts_with("version_info") => Inbound::Version {
            build: m.get("build_number").and_then(|b| match b {
                Value::String(s) => s.trim().parse().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            }),
            app_version: str_of(m, "app_version").map(str::to_owned),
            sid: sid(),
            wire_caps: m.get("wire_caps").cloned(),
        },
        "stream_controller_probe" => {
            let probe = Probe {
                stream_id: str_of(m, "streamId").unwrap_or_default().to_owned(),
                controller_id: str_of(m, "controllerId").unwrap_or_default().to_owned(),
                probe_id: str_of(m, "probeId").unwrap_or_default().to_owned(),
            };
            // Protocol version 1, a JSON integer (not `true`, not "1").
            let v1 = m.get("protocolVersion").and_then(Value::as_u64) == Some(1);
            if v1 && !probe.stream_id.is_empty() && !probe.probe_id.is_empty() {
                Inbound::Probe(probe)
            } else {
                Inbound::Ignored("stream_controller_probe (malformed)".into())
            }
        }
        "stream_status" | "rtmp_stream_status" => Inbound::Status {
            status: status(m),
            sid: sid(),
            revision: m.get("revision").and_then(Value::as_i64),
            snapshot: is_snapshot(m),
            legacy: kind == "rtmp_stream_status",
        },
        "keep_alive_ack" => Inbound::Model(glasses_to_phone::Body::KeepAliveAck(KeepAliveAck {
            stream_id: str_of(m, "streamId").unwrap_or_default().to_owned(),
            ack_id: str_of(m, "ackId").unwrap_or_default().to_owned(),
        })),
        "battery_status" => {
            // `percent` (old iOS read `level` by mistake: accepted too). The firmware's
            // `charging` may come from a voltage threshold on older glasses.
            let percent = u32_of(m, "percent").or_else(|| u32_of(m, "level"));
            match percent {
                Some(p) => {
                    let charging = bool_of(m, "charging").unwrap_or(false);
                    Inbound::Model(glasses_to_phone::Body::Battery(battery(p, charging, None)))
                }
                None => Inbound::Ignored("battery_status (no percent)".into()),
            }
        }
        "wifi_status" => Inbound::Model(glasses_to_phone::Body::WifiStatus(WifiStatus {
            connected: bool_of(m, "connected").unwrap_or(false),
            ssid: str_of(m, "ssid").unwrap_or_default().to_owned(),
            local_ip: str_of(m, "local_ip").unwrap_or_default().to_owned(),
        })),
        "wifi_scan_result" => Inbound::Model(glasses_to_phone::Body::WifiScanResult(scan(m))),
        "pong" => Inbound::Pong,
        other => Inbound::Ignored(other.to_owned()),
    }
}

/// Our battery reading. The phone never sees the firmware's `active_charging` (UART only):
/// on a charger below 100 % counts as actively charging.
pub(crate) fn battery(percent: u32, charging: bool, voltage_mv: Option<u32>) -> Battery {
    let level = percent.min(100);
    Battery {
        level_percent: level,
        charging,
        voltage_mv: voltage_mv.unwrap_or(0),
        active_charging: charging && level < 100,
    }
}

fn scan(m: &Value) -> WifiScanResult {
    let mut networks = Vec::new();
    if let Some(list) = m.get("networks_neo").and_then(Value::as_array) {
        for n in list {
            let Some(ssid) = str_of(n, "ssid") else {
                continue;
            };
            // Both key spellings are in the field (2025 code vs the 2026 API doc).
            let requires = bool_of(n, "requiresPassword")
                .or_else(|| str_of(n, "security").map(|s| !s.eq_ignore_ascii_case("open")))
                .unwrap_or(true);
            let rssi = n
                .get("signalStrength")
                .or_else(|| n.get("signal_strength"))
                .and_then(Value::as_i64)
                .and_then(|r| i32::try_from(r).ok())
                .unwrap_or(0);
            networks.push(WifiNetwork {
                ssid: ssid.to_owned(),
                requires_password: requires,
                rssi_dbm: rssi,
            });
        }
    } else if let Some(list) = m.get("networks").and_then(Value::as_array) {
        for ssid in list.iter().filter_map(Value::as_str) {
            networks.push(WifiNetwork {
                ssid: ssid.to_owned(),
                requires_password: true,
                rssi_dbm: 0,
            });
        }
    }
    let complete = bool_of(m, "scan_complete")
        .or_else(|| bool_of(m, "scanComplete"))
        .unwrap_or(false);
    WifiScanResult { networks, complete }
}

/// A `stream_status` in our model. A snapshot of an idle camera is our IDLE answer; an
/// `error` the glasses will retry is `reconnecting`; an unknown word stays unknown (the
/// supervisor ends the stream for it).
/// Phones classify a status as a snapshot by its `kind`, or by `streaming`/`reconnecting`.
fn is_snapshot(m: &Value) -> bool {
    str_of(m, "kind") == Some("snapshot")
        || m.get("streaming").is_some()
        || m.get("reconnecting").is_some()
}

fn status(m: &Value) -> StreamStatus {
    let word = str_of(m, "status").or_else(|| str_of(m, "s")).unwrap_or("");
    let snapshot = is_snapshot(m);
    let live =
        bool_of(m, "streaming").unwrap_or(false) || bool_of(m, "reconnecting").unwrap_or(false);
    // A reconnect says why in `reason` (stream_error, connection_failed, connection_lost).
    let detail = str_of(m, "errorDetails")
        .or_else(|| str_of(m, "reason"))
        .unwrap_or_default()
        .to_owned();
    let mut state = match word {
        "initializing" | "starting" | "connecting" => StreamState::Initializing,
        "streaming" | "streaming_started" | "active" => StreamState::Streaming,
        "reconnecting" => StreamState::Reconnecting,
        "reconnected" => StreamState::Reconnected,
        "reconnect_failed" => StreamState::ReconnectFailed,
        "stopping" => StreamState::Stopping,
        "stopped" | "not_streaming" | "disconnected" | "timeout" => StreamState::Stopped,
        "error" | "error_not_streaming" => StreamState::Error,
        _ => StreamState::Unspecified,
    } as i32;
    if word.is_empty() || state == StreamState::Unspecified as i32 {
        // Unknown to us: a value no state has (rule 11 ends the stream for it).
        state = 99;
    }
    let mut stream_id = str_of(m, "streamId").unwrap_or_default().to_owned();
    if snapshot
        && !live
        && (state == StreamState::Stopped as i32 || state == StreamState::Error as i32)
    {
        // The camera runs nothing: our IDLE answer (it speaks of no stream).
        state = StreamState::Idle as i32;
        stream_id.clear();
    }
    let mut error_code = StreamErrorCode::None;
    if state == StreamState::Error as i32 {
        error_code = error_code_of(&detail);
        if bool_of(m, "willRetry").unwrap_or(false) {
            state = StreamState::Reconnecting as i32;
        }
        if detail == "not_streaming" && stream_id.is_empty() {
            // Old firmware's answer to a stop when idle.
            state = StreamState::Idle as i32;
            error_code = StreamErrorCode::None;
        }
    }
    let (video, audio) = resolved(m.get("resolvedConfig"));
    StreamStatus {
        stream_id,
        state,
        error_code: error_code as i32,
        error_detail: detail,
        stats: m.get("stats").map(stats),
        reconnect_attempt: u32_of(m, "attempt").unwrap_or(0),
        reconnect_max: u32_of(m, "maxAttempts").unwrap_or(0),
        resolved_video: video,
        resolved_audio: audio,
    }
}

fn stats(s: &Value) -> StreamStats {
    StreamStats {
        bitrate_bps: u32_of(s, "bitrate").unwrap_or(0),
        fps: s.get("fps").and_then(Value::as_f64).unwrap_or(0.0) as f32,
        dropped_frames: u32_of(s, "droppedFrames").unwrap_or(0),
        duration_s: u32_of(s, "duration").unwrap_or(0),
        temperature_c: s.get("temperatureC").and_then(Value::as_f64).unwrap_or(0.0) as f32,
    }
}

fn resolved(c: Option<&Value>) -> (Option<VideoConfig>, Option<AudioConfig>) {
    let Some(c) = c else {
        return (None, None);
    };
    let video = c.get("video").map(|v| VideoConfig {
        width: u32_of(v, "width").unwrap_or(0),
        height: u32_of(v, "height").unwrap_or(0),
        bitrate_bps: u32_of(v, "bitrate").unwrap_or(0),
        fps: u32_of(v, "fps").unwrap_or(0),
    });
    let audio = c.get("audio").map(|a| AudioConfig {
        bitrate_bps: u32_of(a, "bitrate").unwrap_or(0),
        sample_rate_hz: u32_of(a, "sampleRate").unwrap_or(0),
        echo_cancellation: bool_of(a, "echoCancellation").unwrap_or(false),
        noise_suppression: bool_of(a, "noiseSuppression").unwrap_or(false),
    });
    // Our status carries both or neither.
    match (video, audio) {
        (Some(v), a) => (Some(v), Some(a.unwrap_or_default())),
        (None, _) => (None, None),
    }
}

/// The firmware's error texts (§g.5) as our codes; the text itself goes on as the detail.
pub(crate) fn error_code_of(detail: &str) -> StreamErrorCode {
    use StreamErrorCode as C;
    let d = detail;
    if d == "no_wifi_connection" {
        C::NoWifi
    } else if d == "missing_stream_url"
        || d == "missing_rtmp_url"
        || d == "Unknown stream URL protocol"
    {
        C::InvalidUrl
    } else if d.starts_with("Battery level too low") {
        C::BatteryLow
    } else if d == "camera_busy" || d.starts_with("Could not access camera") {
        C::CameraBusy
    } else if d.starts_with("RTMP connection failed") {
        C::RtmpConnectFailed
    } else if d.starts_with("Stream timed out - no keep-alive") {
        C::KeepAliveTimeout
    } else if d == "Controlling phone app stopped responding" {
        C::ControllerLost
    } else if d.starts_with("Phone BLE disconnected")
        || d.starts_with("BES reports the phone BLE link disconnected")
        || d.starts_with("BES phone BLE state could not be synchronized")
    {
        C::PhoneLinkLost
    } else if d.starts_with("Fatal streaming error")
        || d.starts_with("Initialization failed")
        || d.starts_with("Failed to create surface")
    {
        C::EncoderFailed
    } else if d == "not_streaming" {
        C::NotStreaming
    } else {
        C::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_carries_every_field_and_the_controller_lease() {
        let s = proto::StartStream {
            stream_id: "s1".into(),
            url: "https://live.example.com/webRTC/publish".into(),
            video: Some(VideoConfig {
                width: 1280,
                height: 720,
                bitrate_bps: 2_000_000,
                fps: 30,
            }),
            audio: Some(AudioConfig {
                bitrate_bps: 64_000,
                sample_rate_hz: 44_100,
                ..Default::default()
            }),
            auth_token: "tok".into(),
            ice: Some(proto::IceConfig {
                stun_server: String::new(),
            }),
            sound: Some(false),
            capture_audio: Some(true),
            telemetry: true,
            trace_id: "t9".into(),
            ..Default::default()
        };
        let o = command(
            &phone_to_glasses::Body::StartStream(s.clone()),
            CommandNames::Modern,
            "ctl",
        )
        .unwrap();
        assert!(o.wake && o.tracked);
        let j = o.json;
        assert_eq!(j["type"], "start_stream");
        assert_eq!(j["streamUrl"], "https://live.example.com/webRTC/publish");
        assert_eq!(j["video"]["frameRate"], 30);
        assert_eq!(j["audio"]["sampleRate"], 44_100);
        assert_eq!(j["controllerProbeVersion"], json!(1));
        assert!(
            j["controllerProbeVersion"].is_u64(),
            "an integer, not true or \"1\""
        );
        assert_eq!(j["controllerId"], "ctl");
        assert_eq!(j["authToken"], "tok");
        assert_eq!(j["ice"]["stun"], "");
        assert_eq!(
            (
                j["sound"].clone(),
                j["captureAudio"].clone(),
                j["telemetry"].clone()
            ),
            (json!(false), json!(true), json!(true))
        );
        assert!(j.get("timestamp").is_none());
        let legacy = command(
            &phone_to_glasses::Body::StartStream(s),
            CommandNames::Legacy,
            "ctl",
        )
        .unwrap();
        assert_eq!(legacy.json["type"], "start_rtmp_stream");
        assert_eq!(
            legacy.json["rtmpUrl"],
            "https://live.example.com/webRTC/publish"
        );
    }

    #[test]
    fn statuses_map_to_our_states_with_their_reasons() {
        let s = |m: Value| match inbound(&m) {
            Inbound::Status { status, .. } => status,
            other => panic!("{other:?}"),
        };
        let e = s(
            json!({"type":"stream_status","status":"error","streamId":"s1","errorDetails":"Controlling phone app stopped responding"}),
        );
        assert_eq!(
            (e.state, e.error_code),
            (
                StreamState::Error as i32,
                StreamErrorCode::ControllerLost as i32
            )
        );
        let idle = s(
            json!({"type":"stream_status","kind":"snapshot","status":"stopped","terminal":true,"streaming":false,"reconnecting":false,"sid":"ab12cd34","revision":0}),
        );
        assert_eq!(
            (idle.state, idle.stream_id.as_str()),
            (StreamState::Idle as i32, "")
        );
        let live = s(
            json!({"type":"stream_status","status":"streaming","streamId":"s1",
            "resolvedConfig":{"transport":"rtmp","video":{"width":1280,"height":720,"bitrate":2000000,"fps":30}},
            "stats":{"bitrate":1990000,"fps":29.5,"droppedFrames":1,"duration":12,"temperatureC":41.5}}),
        );
        assert_eq!(live.state, StreamState::Streaming as i32);
        assert_eq!(live.stats.unwrap().temperature_c, 41.5);
        assert_eq!(live.resolved_video.unwrap().width, 1280);
        let retry = s(
            json!({"type":"stream_status","status":"error","streamId":"s1","willRetry":true,"errorDetails":"RTMP connection failed: x"}),
        );
        assert_eq!(retry.state, StreamState::Reconnecting as i32);
        let old =
            s(json!({"type":"rtmp_stream_status","status":"error","errorDetails":"not_streaming"}));
        assert_eq!(old.state, StreamState::Idle as i32);
        assert_eq!(
            s(json!({"type":"stream_status","status":"warp","streamId":"s1"})).state,
            99
        );
        // Every error text of §g.5, as its code (the text itself goes on as the detail).
        use StreamErrorCode as C;
        for (text, code) in [
            (
                "Update the Mentra App: native stream controller probing is required",
                C::Internal,
            ),
            (
                "BES reports the phone BLE link disconnected; reconnect the Mentra App",
                C::PhoneLinkLost,
            ),
            (
                "BES phone BLE state could not be synchronized; reconnect and try again",
                C::PhoneLinkLost,
            ),
            ("Stream start superseded by a newer request", C::Internal),
            ("Stream start cancelled", C::Internal),
            ("Stream command owner closed", C::Internal),
            ("missing_stream_url", C::InvalidUrl),
            ("missing_rtmp_url", C::InvalidUrl),
            ("Unknown stream URL protocol", C::InvalidUrl),
            (
                "Battery level too low (9%) - minimum 15% required",
                C::BatteryLow,
            ),
            ("no_wifi_connection", C::NoWifi),
            ("Resolution not supported by camera", C::Internal),
            (
                "Could not access camera for resolution check",
                C::CameraBusy,
            ),
            ("Could not access camera", C::CameraBusy),
            (
                "Controlling phone app stopped responding",
                C::ControllerLost,
            ),
            (
                "Phone BLE disconnected beyond grace period",
                C::PhoneLinkLost,
            ),
            ("camera_busy", C::CameraBusy),
            ("Fatal streaming error: boom", C::EncoderFailed),
            ("RTMP connection failed: refused", C::RtmpConnectFailed),
            ("Initialization failed: x", C::EncoderFailed),
            ("Failed to create surface: x", C::EncoderFailed),
            ("not_streaming", C::NotStreaming),
            (
                "Stream timed out - no keep-alive from cloud",
                C::KeepAliveTimeout,
            ),
            ("json_error", C::Internal),
            ("service_unavailable", C::Internal),
        ] {
            assert_eq!(error_code_of(text), code, "{text}");
        }
    }

    #[test]
    fn probes_must_be_version_one_integers() {
        let p = json!({"type":"stream_controller_probe","protocolVersion":1,"streamId":"s","controllerId":"c","probeId":"p"});
        assert!(matches!(inbound(&p), Inbound::Probe(_)));
        let mut bad = p.clone();
        bad["protocolVersion"] = json!(true);
        assert!(matches!(inbound(&bad), Inbound::Ignored(_)));
        bad["protocolVersion"] = json!("1");
        assert!(matches!(inbound(&bad), Inbound::Ignored(_)));
    }

    #[test]
    fn bes_bodies_arrive_as_objects_or_strings() {
        let a = bes(
            "sr_hrt",
            &json!({"C":"sr_hrt","B":{"ready":1,"pt":55,"charg":1}}),
        );
        let b = bes(
            "sr_hrt",
            &json!({"C":"sr_hrt","B":"{\"ready\":1,\"pt\":55,\"charg\":1}"}),
        );
        assert_eq!(a, b);
        assert!(matches!(
            a,
            Inbound::BesHeartbeat {
                ready: true,
                percent: Some(55),
                charging: Some(true),
                ..
            }
        ));
        assert!(battery(15, true, None).active_charging);
        assert!(!battery(100, true, None).active_charging);
    }

    #[test]
    fn scans_read_both_network_key_spellings() {
        let r = scan(
            &json!({"networks_neo":[{"ssid":"a","requiresPassword":false,"signalStrength":-40},{"ssid":"b","security":"WPA2","signal_strength":-70}],"scan_complete":false}),
        );
        assert_eq!(r.networks.len(), 2);
        assert!(!r.networks[0].requires_password && r.networks[1].requires_password);
        assert_eq!(r.networks[1].rssi_dbm, -70);
    }
}
