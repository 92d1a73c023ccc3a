//! Bytes on the BLE link per message: our protobuf envelope plus packet framing, against
//! today's MentraOS encoding (JSON, C-wrapped `{"C":…,"W":1}`, in a K900 frame `##` type len
//! … `$$`, chunked above 400 bytes; reference §1.4, §4.3, §4.4). Both sides also pay the 3-byte
//! ATT header on every packet. Prints a table; run with `cargo bench --bench bytes_on_air`.

use mentra_bridge::wire::proto::{
    AudioConfig, Battery, GlassesToPhone, KeepStreamAlive, PhoneToGlasses, StartStream, StopStream,
    StreamKind, StreamState, StreamStats, StreamStatus, StreamTransport, VideoConfig,
    glasses_to_phone, phone_to_glasses,
};
use mentra_bridge::wire::{Framer, encode};

const STREAM_ID: &str = "sm4k2q7xa1b";
const ACK_ID: &str = "a1x9zq";
/// A Cloudflare-style RTMPS ingest: ~100 characters, as managed streams used in 2025.
const URL: &str = "rtmps://live.cloudflare.com:443/live/4f8e2b6c9d1a7e3f5b0c8d2e6a4f1b9c7e3d5a8f2b6c0e4d9a1f7b3c5e8d2a6f";
/// A Cloudflare-style WHIP endpoint, the 2026 managed default: ~120 characters with the
/// live-input key in the path.
const WHIP_URL: &str = "https://customer-m4k2q7xa1b9c3d5e.cloudflarestream.com/4f8e2b6c9d1a7e3f5b0c8d2e6a4f1b9c7e3d5a8f2b6c0e4d9a1f/webRTC/publish";
/// A WHIP bearer token (a JWT-sized secret).
const WHIP_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtNGsycTd4YTFiIiwiZXhwIjoxNzY0NTc2MDAwfQ.k3Yp9wQ2rT7uV1xZ4aB6cD8eF0gH2iJ4kL6mN8oP0qR";
const MID: u64 = 1_732_527_600_123;

/// ATT payload per packet is MTU − 3; every packet costs 3 more bytes of ATT header.
fn att_bytes(payload_per_packet: &[usize]) -> usize {
    payload_per_packet.iter().map(|p| p + 3).sum()
}

fn ours(bytes: &[u8], mtu: u16) -> usize {
    let mut f = Framer::new(mtu, 4096).unwrap_or_else(|e| panic!("{e}"));
    let sizes: Vec<usize> = f
        .split(bytes)
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|p| p.len())
        .collect();
    att_bytes(&sizes)
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// One K900 frame (7 bytes around the payload), cut into ATT packets of MTU − 3.
fn k900_frame(payload: &str, mtu: u16) -> usize {
    let frame = payload.len() + 7;
    let per = usize::from(mtu) - 3;
    let packets: Vec<usize> = (0..frame.div_ceil(per))
        .map(|i| per.min(frame - i * per))
        .collect();
    att_bytes(&packets)
}

/// Today's phone → glasses encoding: C-wrap, wake flag, chunk above 400 bytes.
fn mentraos(inner: &str, wake: bool, mtu: u16) -> usize {
    let wrapped = format!(
        "{{\"C\":{}{}}}",
        json_string(inner),
        if wake { ",\"W\":1" } else { "" }
    );
    if wrapped.len() <= 400 {
        return k900_frame(&wrapped, mtu);
    }
    let bytes = inner.as_bytes();
    let total = bytes.len().div_ceil(300);
    (0..total)
        .map(|i| {
            let slice = String::from_utf8_lossy(&bytes[i * 300..bytes.len().min((i + 1) * 300)]);
            let mid = if i + 1 == total {
                format!(",\"mId\":{MID}")
            } else {
                String::new()
            };
            let chunk = format!(
                "{{\"type\":\"chunked_msg\",\"chunkId\":\"chunk_{MID}_1732527600456\",\"chunk\":{i},\"total\":{total},\"data\":{}{mid}}}",
                json_string(&slice)
            );
            let wrapped = format!(
                "{{\"C\":{}{}}}",
                json_string(&chunk),
                if wake && i == 0 { ",\"W\":1" } else { "" }
            );
            k900_frame(&wrapped, mtu)
        })
        .sum()
}

fn phone(id: u32, body: phone_to_glasses::Body) -> Vec<u8> {
    encode(&PhoneToGlasses {
        message_id: id,
        reply_to: 0,
        body: Some(body),
    })
}

fn glasses(id: u32, body: glasses_to_phone::Body) -> Vec<u8> {
    encode(&GlassesToPhone {
        message_id: id,
        reply_to: 0,
        body: Some(body),
    })
}

fn main() {
    let start = phone(
        1234,
        phone_to_glasses::Body::StartStream(StartStream {
            stream_id: STREAM_ID.into(),
            kind: StreamKind::Managed as i32,
            url: URL.into(),
            video: Some(VideoConfig {
                width: 1280,
                height: 720,
                bitrate_bps: 2_000_000,
                fps: 30,
            }),
            audio: Some(AudioConfig {
                bitrate_bps: 64_000,
                sample_rate_hz: 44_100,
                echo_cancellation: false,
                noise_suppression: false,
            }),
            duration_limit_s: 600,
            keep_alive_timeout_s: 0,
            transport: StreamTransport::Rtmp as i32,
            ..Default::default()
        }),
    );
    let whip_start = phone(
        1237,
        phone_to_glasses::Body::StartStream(StartStream {
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
            keep_alive_timeout_s: 0,
            transport: StreamTransport::Whip as i32,
            auth_token: WHIP_TOKEN.into(),
            ice: None,
            sound: Some(true),
            capture_audio: None,
            telemetry: true,
            trace_id: String::new(),
        }),
    );
    // What the 2026 phone SDK sends today's glasses for the same start (mentra-live-wire §g.1).
    let whip_start_json = format!(
        "{{\"type\":\"start_stream\",\"streamUrl\":\"{WHIP_URL}\",\"streamId\":\"{STREAM_ID}\",\"video\":{{\"width\":1280,\"height\":720,\"bitrate\":2500000,\"frameRate\":30}},\"audio\":{{\"bitrate\":64000,\"sampleRate\":48000,\"echoCancellation\":false,\"noiseSuppression\":false}},\"stream\":{{\"durationLimit\":600}},\"sound\":true,\"flash\":true,\"authToken\":\"{WHIP_TOKEN}\",\"telemetry\":true,\"controllerProbeVersion\":1,\"controllerId\":\"6f1c2b9e-3d4a-4e5f-8a7b-0c1d2e3f4a5b\",\"mId\":{MID}}}"
    );
    let start_json = format!(
        "{{\"type\":\"start_rtmp_stream\",\"sessionId\":\"u-5f2a9c\",\"rtmpUrl\":\"{URL}\",\"appId\":\"MANAGED_STREAM\",\"streamId\":\"{STREAM_ID}\",\"video\":{{\"width\":1280,\"height\":720,\"bitrate\":2000000,\"frameRate\":30}},\"audio\":{{\"bitrate\":64000,\"sampleRate\":44100,\"echoCancellation\":false,\"noiseSuppression\":false}},\"stream\":{{\"durationLimit\":600}},\"mId\":{MID}}}"
    );
    let stop = phone(
        1235,
        phone_to_glasses::Body::StopStream(StopStream {
            stream_id: STREAM_ID.into(),
        }),
    );
    let stop_json =
        format!("{{\"type\":\"stop_rtmp_stream\",\"streamId\":\"{STREAM_ID}\",\"mId\":{MID}}}");
    let keep = phone(
        1236,
        phone_to_glasses::Body::KeepStreamAlive(KeepStreamAlive {
            stream_id: STREAM_ID.into(),
            ack_id: ACK_ID.into(),
        }),
    );
    let keep_json = format!(
        "{{\"type\":\"keep_rtmp_stream_alive\",\"streamId\":\"{STREAM_ID}\",\"ackId\":\"{ACK_ID}\",\"mId\":{MID}}}"
    );
    let status = glasses(
        77,
        glasses_to_phone::Body::StreamStatus(StreamStatus {
            stream_id: STREAM_ID.into(),
            state: StreamState::Streaming as i32,
            stats: Some(StreamStats {
                bitrate_bps: 1_987_000,
                fps: 29.5,
                dropped_frames: 3,
                duration_s: 342,
                temperature_c: 61.4,
            }),
            ..Default::default()
        }),
    );
    // The glasses' streaming status today also repeats the ingest URL (reference §1.7).
    let status_json = format!(
        "{{\"type\":\"rtmp_stream_status\",\"status\":\"streaming\",\"rtmpUrl\":\"{URL}\",\"streamId\":\"{STREAM_ID}\",\"stats\":{{\"bitrate\":1987000,\"fps\":29.5,\"droppedFrames\":3,\"duration\":342,\"temperatureC\":61.4}}}}"
    );
    let battery = glasses(
        78,
        glasses_to_phone::Body::Battery(Battery {
            level_percent: 73,
            charging: false,
            active_charging: false,
            voltage_mv: 3957,
        }),
    );
    let battery_json = "{\"type\":\"battery_status\",\"percent\":73,\"charging\":false}".to_owned();

    let rows = [
        (
            "start (managed, ~100-char rtmps URL, full config)",
            &start,
            start_json,
            true,
        ),
        (
            "start (managed WHIP, ~120-char URL + bearer token)",
            &whip_start,
            whip_start_json,
            true,
        ),
        ("stop", &stop, stop_json, true),
        ("keep-alive", &keep, keep_json, false),
        ("streaming status with stats", &status, status_json, false),
        ("battery", &battery, battery_json, false),
    ];
    for mtu in [247u16, 23] {
        println!("\nbytes on air at ATT MTU {mtu} (payload + 3-byte ATT header per packet)");
        println!(
            "{:<52} {:>8} {:>8} {:>8} {:>7}",
            "message", "protobuf", "ours", "MentraOS", "ratio"
        );
        let mut worst: f64 = 0.0;
        for (name, proto, json, wake) in &rows {
            let ours = ours(proto, mtu);
            let theirs = mentraos(json, *wake, mtu);
            let ratio = ours as f64 / theirs as f64;
            worst = worst.max(ratio);
            println!(
                "{name:<52} {:>8} {ours:>8} {theirs:>8} {:>6.1}%",
                proto.len(),
                ratio * 100.0
            );
        }
        println!(
            "worst ratio at MTU {mtu}: {:.1}% (budget 25%)",
            worst * 100.0
        );
    }
}
