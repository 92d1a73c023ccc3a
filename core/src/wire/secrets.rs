//! `Debug` for the generated messages that carry secrets: the keys inside `StartStream.url`
//! (RTMP stream key, SRT passphrase and stream id, WHIP live-input key), the WHIP bearer token
//! and the Wi-Fi password never reach a log, whoever formats them.

use std::fmt;

use super::proto::{SetWifiCredentials, StartStream};
use crate::redact::redact_url;

impl fmt::Debug for StartStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartStream")
            .field("stream_id", &self.stream_id)
            .field("kind", &self.kind)
            .field("url", &redact_url(&self.url))
            .field("video", &self.video)
            .field("audio", &self.audio)
            .field("duration_limit_s", &self.duration_limit_s)
            .field("keep_alive_timeout_s", &self.keep_alive_timeout_s)
            .field("transport", &self.transport)
            .field(
                "auth_token",
                &if self.auth_token.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("ice", &self.ice)
            .field("sound", &self.sound)
            .field("capture_audio", &self.capture_audio)
            .field("telemetry", &self.telemetry)
            .field("trace_id", &self.trace_id)
            .finish()
    }
}

impl fmt::Debug for SetWifiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetWifiCredentials")
            .field("ssid", &self.ssid)
            .field("password", &"<redacted>")
            .field("security", &self.security)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let start = StartStream {
            url: "rtmps://h/live/sk_SECRET".into(),
            ..Default::default()
        };
        let whip = StartStream {
            url: "https://customer-x.cloudflarestream.com/LIVEINPUTKEY/webRTC/publish".into(),
            auth_token: "BEARERTOKEN".into(),
            ..Default::default()
        };
        let srt = StartStream {
            url: "srt://h:9000?streamid=SRTSTREAMID&passphrase=SRTPASSPHRASE".into(),
            ..Default::default()
        };
        let wifi = SetWifiCredentials {
            ssid: "home".into(),
            password: "hunter2".into(),
            security: 0,
        };
        let printed = format!("{start:?} {wifi:?} {whip:?} {srt:?}");
        for secret in [
            "SECRET",
            "hunter2",
            "LIVEINPUTKEY",
            "BEARERTOKEN",
            "SRTSTREAMID",
            "SRTPASSPHRASE",
        ] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        assert!(printed.contains("rtmps://h/live/****") && printed.contains("home"));
    }
}
