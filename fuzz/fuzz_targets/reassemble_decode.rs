//! Hostile packets from the glasses: reassembly then envelope decoding must never panic, and
//! whatever comes out must respect the message limit.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mentra_bridge::wire::{Reassembled, Reassembler, decode_glasses, decode_phone};

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut reassembler = Reassembler::new(512, Duration::from_secs(2));
    // The first byte picks the packet size, the rest is cut into packets of that size.
    let Some((&size, rest)) = data.split_first() else {
        return;
    };
    let size = usize::from(size).max(1);
    for (i, packet) in rest.chunks(size).enumerate() {
        reassembler.handle_packet(now + Duration::from_millis(i as u64), packet);
        while let Some(out) = reassembler.poll_output() {
            if let Reassembled::Message(m) = out {
                assert!(m.len() <= 512);
                let _ = decode_glasses(&m);
                let _ = decode_phone(&m);
            }
        }
    }
    reassembler.handle_timeout(now + Duration::from_secs(60));
    let _ = reassembler.poll_output();
    // Raw bytes straight into the decoders too.
    let _ = decode_glasses(data);
    let _ = decode_phone(data);
});
