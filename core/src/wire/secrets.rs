//! `Debug` for the generated messages that carry secrets: the stream key inside
//! `StartStream.url` and the Wi-Fi password never reach a log, whoever formats them.

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
        let wifi = SetWifiCredentials {
            ssid: "home".into(),
            password: "hunter2".into(),
            security: 0,
        };
        let printed = format!("{start:?} {wifi:?}");
        assert!(
            !printed.contains("SECRET") && !printed.contains("hunter2"),
            "{printed}"
        );
        assert!(printed.contains("rtmps://h/live/****") && printed.contains("home"));
    }
}
