//! Hostile bytes on the Mentra Live wire: K900 frames (either length order), C-wrapped JSON,
//! chunks, v2 fragments and compact forms, into the bridge's `LiveSession` (phone side) and
//! the glasses' reader — nothing may panic, and what the session holds stays bounded.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mentra_bridge::glasses::live::k900::FrameStream;
use mentra_bridge::glasses::live::peer::GlassesWire;
use mentra_bridge::glasses::live::{LiveConfig, LiveSession};
use mentra_bridge::glasses::SessionInput;

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut session = LiveSession::new(LiveConfig::default(), now);
    session.handle_input(now, SessionInput::LinkUp { mtu: 247 });
    let mut glasses = GlassesWire::new();
    // The first byte picks the frame size (and, odd, a session already on Wire v2, so the
    // compact forms and their arithmetic are reached); the rest is cut into frames.
    let Some((&size, rest)) = data.split_first() else {
        return;
    };
    if size % 2 == 1 {
        let mut peer = GlassesWire::new();
        let ready = serde_json::json!({ "type": "glasses_ready", "sid": "a1b2c3d4",
            "wire_caps": { "binary": true, "k900_le": true } });
        let version = serde_json::json!({ "type": "version_info_1", "build_number": "303006291" });
        for m in [ready, version] {
            for f in peer.encode(m, 0) {
                session.handle_input(now, SessionInput::Packet(f));
            }
        }
        session.handle_input(now, SessionInput::Packet(peer.switch_to_v2(0)));
        while session.poll_output().is_some() {}
    }
    let size = usize::from(size).max(1);
    for (i, frame) in rest.chunks(size).enumerate() {
        let at = now + Duration::from_millis(i as u64 * 10);
        session.handle_input(at, SessionInput::Packet(frame.to_vec()));
        session.handle_timeout(at);
        while session.poll_output().is_some() {}
        let _ = glasses.receive(at, frame);
    }
    assert!(session.pending() <= LiveConfig::default().queue_limit);
    // And the same bytes as one TCP byte stream.
    let mut stream = FrameStream::new(4096);
    stream.push(data);
    while let Some(frame) = stream.next_frame() {
        session.handle_input(now, SessionInput::Packet(frame));
    }
});
