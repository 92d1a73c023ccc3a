//! Property tests for the cloud parser, the stable-toolchain twin of the `cloud_json` fuzz
//! target: starts of both generations with arbitrary secrets (stream keys, SRT passphrases and
//! stream ids, WHIP live-input keys and bearer tokens) in arbitrary positions parse, translate
//! into the bridge's own command, and never print a secret through `Debug`; arbitrary frames
//! never panic the parser.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use mentra_bridge::cloud::{CloudCommand, Incoming, parse_incoming};
use mentra_bridge::stream::StreamCommand;
use proptest::prelude::*;

fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_]{12,40}".prop_map(|s| format!("Z{s}"))
}

fn url(secret: String) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(format!("rtmps://live.example.com:443/live/{secret}")),
        Just(format!("srt://ingest.example.com:9000?passphrase={secret}")),
        Just(format!(
            "srt://ingest.example.com:9000?streamid={secret}&latency=200"
        )),
        Just(format!(
            "https://customer-x.cloudflarestream.com/{secret}/webRTC/publish"
        )),
    ]
}

proptest! {
    #[test]
    fn starts_of_both_generations_never_print_their_secrets(
        (key, url) in secret().prop_flat_map(|s| (Just(s.clone()), url(s))),
        token in secret(),
        new in any::<bool>(),
        url_field in 0usize..4,
    ) {
        let kind = if new { "start_stream" } else { "start_rtmp_stream" };
        let field = ["streamUrl", "rtmpUrl", "srtUrl", "whipUrl"][url_field];
        let text = format!(
            r#"{{"type":"{kind}","{field}":"{url}","streamId":"s1","appId":"MANAGED_STREAM","authToken":"{token}","video":{{}},"audio":{{}},"stream":{{}}}}"#
        );
        let Ok(Incoming::Command { command, .. }) = parse_incoming(&text) else {
            panic!("a well-formed start parses: {text}");
        };
        let CloudCommand::Start(start) = &command else { panic!("a start") };
        prop_assert_eq!(start.url().map(|u| u.expose().as_str()), Some(url.as_str()));
        let printed = format!("{command:?}");
        let translated: StreamCommand = command.into();
        let printed_after = format!("{translated:?}");
        for s in [&key, &token] {
            prop_assert!(!printed.contains(s.as_str()), "{}", printed);
            prop_assert!(!printed_after.contains(s.as_str()), "{}", printed_after);
        }
    }

    #[test]
    fn arbitrary_frames_never_panic(text in ".{0,300}") {
        let _ = parse_incoming(&text);
    }

    #[test]
    fn arbitrary_json_with_a_known_type_never_panics(
        kind in prop_oneof![
            Just("start_stream"), Just("start_rtmp_stream"), Just("stop_stream"),
            Just("keep_stream_alive"), Just("keep_rtmp_stream_alive"),
        ],
        body in r#"(,"[a-zA-Z]{1,12}":(1|-1e999|"x"|null|true|\[\]|\{\}|1e308)){0,8}"#,
    ) {
        let _ = parse_incoming(&format!(r#"{{"type":"{kind}"{body}}}"#));
    }
}
