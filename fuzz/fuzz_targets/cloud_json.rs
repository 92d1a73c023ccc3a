//! Hostile frames from the cloud, in either generation: parsing and translating must never
//! panic, and a parsed start never leaks its secrets (the URL with its stream key, SRT
//! passphrase or WHIP live-input key; the WHIP bearer token) through `Debug`, before or after
//! translation into the bridge's own command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mentra_bridge::cloud::{CloudCommand, Incoming, parse_incoming};
use mentra_bridge::stream::StreamCommand;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(Incoming::Command { command, .. }) = parse_incoming(text) else {
        return;
    };
    let secrets: Vec<String> = match &command {
        CloudCommand::Start(start) => [start.url(), start.auth_token.as_ref()]
            .into_iter()
            .flatten()
            .map(|s| s.expose().clone())
            .filter(|s| s.len() > 8)
            .collect(),
        _ => Vec::new(),
    };
    let before = format!("{command:?}");
    let translated: StreamCommand = command.into();
    let after = format!("{translated:?}");
    for secret in &secrets {
        assert!(!before.contains(secret.as_str()));
        assert!(!after.contains(secret.as_str()));
    }
});
