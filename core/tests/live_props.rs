//! Property tests for the Mentra Live wire (the fuzz target `live_wire` is their hostile
//! twin): K900 frames round-trip in both length orders, v1 chunks of any message (multi-byte
//! UTF-8 split anywhere) come back whole in any order, v2 fragments survive loss and
//! reordering on the phone side, compaction round-trips, and hostile bytes never panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::time::Instant;

use mentra_bridge::glasses::SessionInput;
use mentra_bridge::glasses::live::chunk::{self, Chunk, Side};
use mentra_bridge::glasses::live::compact::{Compactor, Expander};
use mentra_bridge::glasses::live::k900::{self, FrameStream, LengthOrder, TYPE_STRING};
use mentra_bridge::glasses::live::peer::GlassesWire;
use mentra_bridge::glasses::live::v2::{self, Fragment, Order};
use mentra_bridge::glasses::live::{LiveConfig, LiveSession};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Text with plenty of multi-byte characters.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("a".to_owned()),
            Just("é".to_owned()),
            Just("€".to_owned()),
            Just("😀".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            "[ -~]{1,8}",
        ],
        0..400,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn k900_frames_round_trip_in_both_orders_and_through_a_byte_stream(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..512), 1..8),
        little in any::<bool>(),
        cut in 1usize..64,
    ) {
        let order = if little { LengthOrder::Little } else { LengthOrder::Big };
        let frames: Vec<Vec<u8>> = payloads
            .iter()
            .map(|p| k900::encode(TYPE_STRING, order, p).unwrap())
            .collect();
        for (f, p) in frames.iter().zip(&payloads) {
            prop_assert_eq!(&k900::decode(f).unwrap().payload, p);
        }
        let mut stream = FrameStream::new(4096);
        let bytes: Vec<u8> = frames.concat();
        let mut got = Vec::new();
        for piece in bytes.chunks(cut) {
            stream.push(piece);
            while let Some(f) = stream.next_frame() {
                got.push(k900::decode(&f).unwrap().payload);
            }
        }
        prop_assert_eq!(got, payloads);
    }

    #[test]
    fn v1_chunks_fit_the_frame_limit_and_come_back_whole_in_any_order(
        data in text(),
        seed in any::<u64>(),
        glasses in any::<bool>(),
    ) {
        let side = if glasses { Side::Glasses } else { Side::Phone };
        let inner = json!({ "type": "start_stream", "streamUrl": data, "mId": 7 }).to_string();
        let payloads = chunk::split(&inner, Some(7), "7_1", true, side).unwrap();
        let limit = if glasses { chunk::GLASSES_MAX_FRAME } else { chunk::PHONE_MAX_FRAME };
        for p in &payloads {
            prop_assert!(p.len() + k900::OVERHEAD <= limit, "frame of {}", p.len() + 7);
        }
        if payloads.len() == 1 {
            let outer: Value = serde_json::from_str(&payloads[0]).unwrap();
            prop_assert_eq!(outer["C"].as_str().unwrap(), inner.as_str());
            return Ok(());
        }
        let mut order: Vec<usize> = (0..payloads.len()).collect();
        let mut s = seed;
        for i in (1..order.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut r = chunk::Reassembler::default();
        let now = Instant::now();
        let mut whole = None;
        for i in order {
            let outer: Value = serde_json::from_str(&payloads[i]).unwrap();
            let c: Value = serde_json::from_str(outer["C"].as_str().unwrap()).unwrap();
            if let Some(t) = r.push(now, Chunk::from_json(&c).unwrap()) {
                whole = Some(t);
            }
        }
        prop_assert_eq!(whole.as_deref(), Some(inner.as_str()));
    }

    #[test]
    fn v2_fragments_survive_loss_and_reordering_on_the_phone(
        payload in prop::collection::vec(any::<u8>(), 0..3000),
        lose in any::<prop::sample::Index>(),
        seed in any::<u64>(),
    ) {
        let frames = v2::split(&payload, 41, false, false, v2::GLASSES_FRAGMENT_PAYLOAD).unwrap();
        let frag = |f: &[u8]| Fragment::decode(&k900::decode(f).unwrap().payload).unwrap();
        let now = Instant::now();
        let mut r = v2::Reassembler::new(Order::AnyOrder);
        let lost = lose.index(frames.len());
        let mut order: Vec<usize> = (0..frames.len()).filter(|i| frames.len() == 1 || *i != lost).collect();
        let mut s = seed;
        for i in (1..order.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut done = Vec::new();
        for i in order {
            if let Some(m) = r.push(now, frag(&frames[i])) {
                done.push(m);
            }
        }
        if frames.len() > 1 {
            prop_assert!(done.is_empty(), "a lost fragment leaves it incomplete");
            // The missing piece arrives (a retry): whole.
            let m = r.push(now, frag(&frames[lost]));
            prop_assert_eq!(m.as_deref(), Some(&payload[..]));
        } else {
            prop_assert_eq!(done, vec![payload.clone()]);
        }
    }

    #[test]
    fn compaction_round_trips_statuses_and_starts(
        word in prop::sample::select(vec!["initializing", "streaming", "stopped", "error"]),
        kind in prop::sample::select(vec!["lifecycle", "snapshot"]),
        bitrate in 0u32..10_000_000,
        fps in 1u32..31,
        url in "[a-z]{1,20}",
        twice in any::<bool>(),
    ) {
        let status = json!({
            "type": "stream_status", "status": word, "kind": kind, "streamId": "s1",
            "timestamp": 1_764_547_201_234u64,
            "resolvedConfig": { "transport": "rtmp", "video": { "width": 1280, "height": 720, "bitrate": bitrate, "fps": fps } },
            "stats": { "bitrate": bitrate, "fps": fps, "droppedFrames": 0, "duration": 3 },
        });
        let start = json!({
            "type": "start_stream", "streamUrl": format!("rtmp://{url}/live"), "streamId": "s1",
            "video": { "width": 1280, "height": 720, "bitrate": bitrate, "frameRate": fps },
            "controllerProbeVersion": 1, "controllerId": "c",
        });
        let mut c = Compactor::default();
        let mut e = Expander::default();
        c.activate(1_764_547_200_000);
        e.activate(1_764_547_200_000);
        for m in [status.clone(), start.clone()] {
            let back = e.expand(c.compact(m.clone())).unwrap();
            prop_assert_eq!(back, m);
        }
        if twice {
            // The second status names its config by hash; it still expands whole.
            let back = e.expand(c.compact(status.clone())).unwrap();
            prop_assert_eq!(back, status);
        }
    }

    #[test]
    fn hostile_frames_never_panic_the_session(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 0..40),
        json_frames in prop::collection::vec("\\{[ -~]{0,200}\\}", 0..20),
        on_v2 in any::<bool>(),
    ) {
        let now = Instant::now();
        let mut s = LiveSession::new(LiveConfig::default(), now);
        s.handle_input(now, SessionInput::LinkUp { mtu: 247 });
        if on_v2 {
            // A session already on Wire v2, so compact forms reach the expander.
            let mut peer = GlassesWire::new();
            let ready = json!({ "type": "glasses_ready", "sid": "a1b2c3d4", "wire_caps": { "binary": true } });
            let version = json!({ "type": "version_info_1", "build_number": "303006291" });
            for m in [ready, version] {
                for f in peer.encode(m, 0) {
                    s.handle_input(now, SessionInput::Packet(f));
                }
            }
            s.handle_input(now, SessionInput::Packet(peer.switch_to_v2(0)));
            for f in peer.encode(json!({ "type": "stream_status", "status": "streaming", "timestamp": u64::MAX }), 0) {
                s.handle_input(now, SessionInput::Packet(f));
            }
            prop_assert!(s.wire_v2());
        }
        for f in frames {
            s.handle_input(now, SessionInput::Packet(f));
        }
        for j in json_frames {
            let framed = k900::encode(TYPE_STRING, LengthOrder::Big, j.as_bytes()).unwrap();
            s.handle_input(now, SessionInput::Packet(framed));
            s.handle_input(now, SessionInput::Packet(j.into_bytes()));
        }
        while s.poll_output().is_some() {}
        prop_assert!(s.pending() <= LiveConfig::default().queue_limit);
    }
}
