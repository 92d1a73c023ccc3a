//! Bytes on air for one ten-minute stream, through the real encoders of all three wires: our
//! protobuf framing, Mentra Live's K900 v1 (C-wrapped JSON, chunked) and BLE Wire v2 (0x40
//! fragments, compacted). The phone side is the bridge's own session machine (`Session`,
//! `LiveSession`), the glasses side the simulator's wire (`GlassesWire`). The script: one
//! start, a keep-alive every 15 s (the cloud's cadence) and its ack, a status with stats every
//! second (today's firmware with telemetry), a controller probe every 2 s and its answer (2026
//! firmware; not on our wire), a battery report each minute, the heartbeats each session sends
//! by itself, and one stop. Prints per-message and summed bytes at MTU 23, 185 and 247.
//! Run with `cargo bench -p mentra-bridge --bench stream_on_air`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mentra_bridge::glasses::live::peer::{GlassesWire, PhoneMessage};
use mentra_bridge::glasses::live::{LiveConfig, LiveSession};
use mentra_bridge::glasses::{Session, SessionConfig, SessionInput, SessionOutput};
use mentra_bridge::wire::proto::{
    Ack, AudioConfig, Battery, Capabilities, GlassesToPhone, KeepAliveAck, KeepStreamAlive, Pong,
    StartStream, StopStream, StreamKind, StreamState, StreamStats, StreamStatus, StreamTransport,
    VideoConfig, glasses_to_phone::Body as G, phone_to_glasses::Body as P,
};
use mentra_bridge::wire::{Framer, Reassembled, Reassembler, decode_phone, encode};
use serde_json::{Value, json};

const STREAM_ID: &str = "sm4k2q7xa1b";
const WHIP_URL: &str = "https://customer-m4k2q7xa1b9c3d5e.cloudflarestream.com/4f8e2b6c9d1a7e3f5b0c8d2e6a4f1b9c7e3d5a8f2b6c0e4d9a1f/webRTC/publish";
const WHIP_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtNGsycTd4YTFiIiwiZXhwIjoxNzY0NTc2MDAwfQ.k3Yp9wQ2rT7uV1xZ4aB6cD8eF0gH2iJ4kL6mN8oP0qR";
const MINUTES: u64 = 10;

/// Bytes a frame or packet costs on air: ATT packets of MTU − 3 bytes of payload, each with a
/// 3-byte header. (A Mentra Live frame longer than MTU − 3 needs a long write from the phone,
/// and cannot be one notification from the glasses: such frames are counted as if split.)
fn air(len: usize, mtu: u16) -> usize {
    let per = usize::from(mtu) - 3;
    len + 3 * len.div_ceil(per).max(1)
}

#[derive(Default)]
struct Tally {
    rows: BTreeMap<String, (usize, usize)>,
    oversize: usize,
}

impl Tally {
    /// One message, carried by these frames or packets.
    fn add(&mut self, kind: &str, pieces: &[usize], mtu: u16) {
        let e = self.rows.entry(kind.to_owned()).or_default();
        e.0 += 1;
        e.1 += pieces.iter().map(|len| air(*len, mtu)).sum::<usize>();
        self.oversize += pieces
            .iter()
            .filter(|len| **len > usize::from(mtu) - 3)
            .count();
    }

    fn total(&self) -> usize {
        self.rows.values().map(|(_, b)| b).sum()
    }
}

fn start() -> StartStream {
    StartStream {
        stream_id: STREAM_ID.into(),
        kind: StreamKind::Managed as i32,
        url: WHIP_URL.into(),
        video: Some(VideoConfig {
            width: 1280,
            height: 720,
            bitrate_bps: 2_500_000,
            fps: 30,
        }),
        audio: Some(AudioConfig {
            bitrate_bps: 64_000,
            sample_rate_hz: 48_000,
            echo_cancellation: false,
            noise_suppression: false,
        }),
        duration_limit_s: 600,
        transport: StreamTransport::Whip as i32,
        auth_token: WHIP_TOKEN.into(),
        sound: Some(true),
        telemetry: true,
        ..Default::default()
    }
}

fn stats(t: u64) -> StreamStats {
    StreamStats {
        bitrate_bps: 2_480_000 + (t as u32 % 7) * 1_000,
        fps: 29.5,
        dropped_frames: (t / 60) as u32,
        duration_s: t as u32,
        temperature_c: 45.0 + t as f32 / 60.0,
    }
}

/// Our wire: the bridge's `Session` against a scripted glasses end.
fn proto_run(mtu: u16) -> Tally {
    let mut tally = Tally::default();
    let mut now = Instant::now();
    let mut s = Session::new(SessionConfig::default(), now).unwrap_or_else(|e| panic!("{e}"));
    let mut framer = Framer::new(mtu, 4096).unwrap_or_else(|e| panic!("{e}"));
    let mut reassembler = Reassembler::new(4096, Duration::from_secs(2));
    let mut next_id = 1u32;
    let mut counting = false;
    let mut pieces: Vec<usize> = Vec::new();
    // Drives the session: phone packets are counted and answered as firmware would.
    let mut exchange =
        |s: &mut Session, now: Instant, tally: &mut Tally, counting: bool, extra: Vec<(u32, G)>| {
            let mut inbox = extra;
            loop {
                let mut outbox = Vec::new();
                for (reply_to, body) in inbox.drain(..) {
                    let kind = glasses_kind(&body);
                    let bytes = encode(&GlassesToPhone {
                        message_id: next_id,
                        reply_to,
                        body: Some(body),
                    });
                    next_id += 1;
                    let packets: Vec<Vec<u8>> = framer
                        .split(&bytes)
                        .unwrap_or_else(|e| panic!("{e}"))
                        .collect();
                    if counting {
                        let lens: Vec<usize> = packets.iter().map(Vec::len).collect();
                        tally.add(kind, &lens, mtu);
                    }
                    for p in packets {
                        s.handle_input(now, SessionInput::Packet(p));
                    }
                }
                while let Some(o) = s.poll_output() {
                    let SessionOutput::ToGlasses(p) = o else {
                        continue;
                    };
                    reassembler.handle_packet(now, &p);
                    pieces.push(p.len());
                    while let Some(Reassembled::Message(m)) = reassembler.poll_output() {
                        let Ok(env) = decode_phone(&m) else { continue };
                        let Some(body) = env.body else { continue };
                        let kind = phone_kind(&body);
                        if counting {
                            tally.add(kind, &pieces, mtu);
                        }
                        pieces.clear();
                        match body {
                            P::Hello(_) => outbox.push((
                                env.message_id,
                                G::Capabilities(Capabilities {
                                    protocol_version: mentra_bridge::wire::PROTOCOL_VERSION,
                                    max_message_size: 4096,
                                    ..Default::default()
                                }),
                            )),
                            P::Ping(_) => outbox.push((env.message_id, G::Pong(Pong {}))),
                            P::KeepStreamAlive(k) => outbox.push((
                                env.message_id,
                                G::KeepAliveAck(KeepAliveAck {
                                    stream_id: k.stream_id,
                                    ack_id: k.ack_id,
                                }),
                            )),
                            _ => outbox.push((env.message_id, G::Ack(Ack {}))),
                        }
                    }
                }
                if outbox.is_empty() {
                    break;
                }
                inbox = outbox;
            }
        };
    s.handle_input(now, SessionInput::LinkUp { mtu });
    exchange(&mut s, now, &mut tally, counting, Vec::new());
    counting = true;
    let _ = s.send(now, P::StartStream(start()));
    let status = |state: StreamState, stats: Option<StreamStats>| {
        G::StreamStatus(StreamStatus {
            stream_id: STREAM_ID.into(),
            state: state as i32,
            stats,
            resolved_video: Some(VideoConfig {
                width: 1280,
                height: 720,
                bitrate_bps: 2_500_000,
                fps: 30,
            }),
            resolved_audio: Some(AudioConfig {
                bitrate_bps: 64_000,
                sample_rate_hz: 48_000,
                ..Default::default()
            }),
            ..Default::default()
        })
    };
    exchange(
        &mut s,
        now,
        &mut tally,
        counting,
        vec![
            (0, status(StreamState::Initializing, None)),
            (0, status(StreamState::Streaming, None)),
        ],
    );
    for t in 1..=MINUTES * 60 {
        now += Duration::from_secs(1);
        s.handle_timeout(now);
        let mut extra = vec![(0, status(StreamState::Streaming, Some(stats(t))))];
        if t % 60 == 0 {
            extra.push((
                0,
                G::Battery(Battery {
                    level_percent: 80 - (t / 60) as u32,
                    voltage_mv: 3900,
                    ..Default::default()
                }),
            ));
        }
        if t % 15 == 0 {
            let _ = s.send(
                now,
                P::KeepStreamAlive(KeepStreamAlive {
                    stream_id: STREAM_ID.into(),
                    ack_id: format!("a{t:05}"),
                }),
            );
        }
        exchange(&mut s, now, &mut tally, counting, extra);
    }
    let _ = s.send(
        now,
        P::StopStream(StopStream {
            stream_id: STREAM_ID.into(),
        }),
    );
    exchange(
        &mut s,
        now,
        &mut tally,
        counting,
        vec![
            (0, status(StreamState::Stopping, None)),
            (0, status(StreamState::Stopped, None)),
        ],
    );
    tally
}

fn phone_kind(b: &P) -> &'static str {
    match b {
        P::StartStream(_) => "start_stream",
        P::StopStream(_) => "stop_stream",
        P::KeepStreamAlive(_) => "keep_stream_alive",
        P::Ping(_) => "ping",
        _ => "other (phone)",
    }
}

fn glasses_kind(b: &G) -> &'static str {
    match b {
        G::StreamStatus(_) => "stream_status",
        G::KeepAliveAck(_) => "keep_alive_ack",
        G::Battery(_) => "battery",
        G::Ack(_) => "ack / msg_ack",
        G::Pong(_) => "pong",
        _ => "other (glasses)",
    }
}

/// Mentra Live: the bridge's `LiveSession` against the simulator's glasses wire.
struct LiveRun {
    s: LiveSession,
    g: GlassesWire,
    now: Instant,
    mtu: u16,
    tally: Tally,
    counting: bool,
    probe: u64,
    /// Frames of a phone message still coming.
    pieces: Vec<usize>,
}

impl LiveRun {
    fn new(mtu: u16, v2: bool) -> Self {
        let now = Instant::now();
        let config = LiveConfig {
            wire_v2: v2,
            controller_id: Some("6f1c2b9e-3d4a-4e5f-8a7b-0c1d2e3f4a5b".into()),
            first_message_id: Some(1_764_547_200_123),
            unix_base_ms: Some(1_764_547_200_000),
            ..LiveConfig::default()
        };
        let mut run = Self {
            s: LiveSession::new(config, now),
            g: GlassesWire::new(),
            now,
            mtu,
            tally: Tally::default(),
            counting: false,
            probe: 0,
            pieces: Vec::new(),
        };
        run.s.handle_input(now, SessionInput::LinkUp { mtu });
        run.pump();
        let caps = if v2 {
            json!({ "k900_le": true, "binary": true, "proto": 2 })
        } else {
            json!({ "k900_le": true })
        };
        run.glasses(json!({ "type": "glasses_ready", "timestamp": 1, "sid": "a1b2c3d4", "wire_caps": caps }));
        if v2 {
            // The glasses switch at once, as the 2026 firmware does.
            let hs = run.g.switch_to_v2(0);
            run.s.handle_input(now, SessionInput::Packet(hs));
        }
        run.glasses(json!({ "type": "version_info_1", "app_version": "2.6.1", "build_number": "303006291", "sid": "a1b2c3d4" }));
        run.advance(Duration::from_secs(1));
        run.counting = true;
        run
    }

    /// The glasses send one message (counted), and the phone's reaction is carried back.
    fn glasses(&mut self, message: Value) {
        let kind = message["type"].as_str().unwrap_or("?").to_owned();
        let kind = if kind == "msg_ack" {
            "ack / msg_ack".into()
        } else {
            kind
        };
        let kind = if kind == "battery_status" {
            "battery".into()
        } else {
            kind
        };
        let frames = self.g.encode(message, 0);
        if self.counting {
            let lens: Vec<usize> = frames.iter().map(Vec::len).collect();
            self.tally.add(&kind, &lens, self.mtu);
        }
        for f in frames {
            self.s.handle_input(self.now, SessionInput::Packet(f));
        }
        self.pump();
    }

    fn bes(&mut self, outer: Value) {
        let f = self.g.encode_bes(&outer);
        if self.counting {
            self.tally
                .add("BES heartbeat / battery", &[f.len()], self.mtu);
        }
        self.s.handle_input(self.now, SessionInput::Packet(f));
        self.pump();
    }

    /// Carries the phone's frames to the glasses, counting each, and answers as they would.
    fn pump(&mut self) {
        let mut replies: Vec<Value> = Vec::new();
        let mut bes: Vec<Value> = Vec::new();
        while let Some(o) = self.s.poll_output() {
            let SessionOutput::ToGlasses(f) = o else {
                continue;
            };
            self.pieces.push(f.len());
            let heard = self.g.receive(self.now, &f);
            let kind = match &heard {
                Some(PhoneMessage::App { json, .. }) => {
                    json["type"].as_str().unwrap_or("?").to_owned()
                }
                Some(PhoneMessage::Bes(_)) => "BES heartbeat / battery".into(),
                Some(PhoneMessage::Handshake) => "v2 handshake".into(),
                // A piece of a message still coming.
                None => continue,
            };
            let pieces = std::mem::take(&mut self.pieces);
            if self.counting {
                let kind = if kind == "msg_ack" {
                    "ack / msg_ack"
                } else {
                    kind.as_str()
                };
                self.tally.add(kind, &pieces, self.mtu);
            }
            match heard {
                Some(PhoneMessage::App { json, .. }) => {
                    if let Some(m) = json.get("mId").and_then(Value::as_u64) {
                        replies.push(json!({ "type": "msg_ack", "mId": m, "timestamp": 5 }));
                    }
                    match json["type"].as_str() {
                        Some("ping") => replies.push(json!({ "type": "pong" })),
                        Some("keep_stream_alive") => replies.push(json!({
                            "type": "keep_alive_ack", "streamId": json["streamId"], "ackId": json["ackId"], "timestamp": 6,
                        })),
                        _ => {}
                    }
                }
                Some(PhoneMessage::Bes(outer)) => match outer["C"].as_str() {
                    Some("cs_hrt") => bes
                        .push(json!({ "C": "sr_hrt", "B": { "ready": 1, "pt": 80, "charg": 0 } })),
                    Some("cs_batv") => {
                        bes.push(json!({ "C": "sr_batv", "V": 1, "B": { "vt": 3900, "pt": 80 } }))
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        for r in replies {
            self.glasses(r);
        }
        for b in bes {
            self.bes(b);
        }
    }

    fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while let Some(at) = self.s.poll_timeout().filter(|at| *at <= end) {
            self.now = self.now.max(at);
            self.s.handle_timeout(self.now);
            self.pump();
        }
        self.now = end;
    }

    fn send(&mut self, body: P) {
        let _ = self.s.send(self.now, body);
        self.pump();
        // Chunks and fragments leave 50 ms apart.
        self.advance(Duration::from_millis(400));
    }

    fn status(word: &str, t: u64, with_stats: bool) -> Value {
        let mut m = json!({
            "type": "stream_status", "kind": "lifecycle", "status": word, "streamId": STREAM_ID,
            "timestamp": 1_764_547_200_000u64 + t * 1000, "sid": "a1b2c3d4", "revision": 1,
            "terminal": word == "stopped",
            "resolvedConfig": { "transport": "whip", "video": { "width": 1280, "height": 720,
                "captureWidth": 1280, "captureHeight": 720, "bitrate": 2_500_000, "fps": 30 },
                "audio": { "bitrate": 64_000, "sampleRate": 48_000, "echoCancellation": false, "noiseSuppression": false } },
        });
        if with_stats {
            let st = stats(t);
            m["stats"] = json!({ "bitrate": st.bitrate_bps, "fps": st.fps, "droppedFrames": st.dropped_frames,
                                 "duration": st.duration_s, "temperatureC": (st.temperature_c * 10.0).round() / 10.0 });
        }
        m
    }

    fn play(mut self, probes: bool) -> Tally {
        self.send(P::StartStream(start()));
        self.glasses(Self::status("initializing", 0, false));
        self.glasses(Self::status("streaming", 0, false));
        for t in 1..=MINUTES * 60 {
            self.advance(Duration::from_millis(600));
            self.glasses(Self::status("streaming", t, true));
            if probes && t % 2 == 0 {
                self.probe += 1;
                let probe = format!(
                    "{:08x}-9c1d-4e2f-8a3b-{:012x}",
                    self.probe,
                    self.probe * 7919
                );
                self.glasses(json!({
                    "type": "stream_controller_probe", "protocolVersion": 1, "streamId": STREAM_ID,
                    "controllerId": "6f1c2b9e-3d4a-4e5f-8a7b-0c1d2e3f4a5b", "probeId": probe,
                }));
            }
            if t % 60 == 0 {
                self.glasses(
                    json!({ "type": "battery_status", "percent": 80 - t / 60, "charging": false }),
                );
            }
            if t % 15 == 0 {
                self.send(P::KeepStreamAlive(KeepStreamAlive {
                    stream_id: STREAM_ID.into(),
                    ack_id: format!("a{t:05}"),
                }));
            }
            self.advance(Duration::from_millis(400));
        }
        self.send(P::StopStream(StopStream {
            stream_id: STREAM_ID.into(),
        }));
        self.glasses(Self::status("stopping", 601, false));
        self.glasses(Self::status("stopped", 601, false));
        self.tally
    }
}

fn main() {
    println!(
        "bytes on air for a {MINUTES}-minute managed WHIP stream (ATT payload + 3-byte header per packet)"
    );
    for mtu in [23u16, 185, 247] {
        let proto = proto_run(mtu);
        let v1 = LiveRun::new(mtu, false).play(true);
        let v2 = LiveRun::new(mtu, true).play(true);
        println!("\nMTU {mtu}");
        println!(
            "{:<26} {:>16} {:>18} {:>18}",
            "message", "mentra-proto", "K900 v1", "Wire v2"
        );
        let mut kinds: Vec<&String> = proto
            .rows
            .keys()
            .chain(v1.rows.keys())
            .chain(v2.rows.keys())
            .collect();
        kinds.sort();
        kinds.dedup();
        let cell = |t: &Tally, k: &str| match t.rows.get(k) {
            Some((n, b)) => format!("{n:>4} × {:>4} B", b / n),
            None => "—".to_owned(),
        };
        for k in kinds {
            println!(
                "{k:<26} {:>16} {:>18} {:>18}",
                cell(&proto, k),
                cell(&v1, k),
                cell(&v2, k)
            );
        }
        println!(
            "{:<26} {:>14} B {:>16} B {:>16} B",
            "total",
            proto.total(),
            v1.total(),
            v2.total()
        );
        println!(
            "{:<26} {:>16} {:>18} {:>18}",
            "frames over MTU − 3", proto.oversize, v1.oversize, v2.oversize
        );
    }
    println!(
        "\nMentra Live writes one K900 frame per ATT write or notification (v1 frames up to 253 B, \
v2 up to 494 B): frames over MTU − 3 need long writes from the phone and cannot be notified \
by the glasses, so Mentra Live needs a negotiated MTU of at least 243 for the glasses' 240-byte \
frames; they are counted here as if split."
    );
}
