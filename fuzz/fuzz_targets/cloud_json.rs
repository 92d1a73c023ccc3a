//! Hostile frames from the cloud: parsing must never panic, and a parsed start never leaks its
//! URL through Debug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mentra_bridge::cloud::{CloudCommand, Incoming, parse_incoming};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Incoming::Command(CloudCommand::StartStream(start))) = parse_incoming(text) {
        let url = start.rtmp_url.expose().clone();
        if url.len() > 8 {
            assert!(!format!("{start:?}").contains(&url));
        }
    }
});
