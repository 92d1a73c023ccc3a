//! Secrets that must never be printed: RTMP stream keys, SRT passphrases and stream ids, WHIP
//! live-input keys and bearer tokens, core tokens, Wi-Fi passwords.
//! Redaction lives in the type, not at each log call (DESIGN §5 rule 12).

use std::fmt;

/// A secret value. `Debug` and `Display` always print a placeholder; read the value with
/// [`Redacted::expose`] only where it leaves the process for its intended peer.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    /// Wraps a secret.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Call this only to hand the value to its intended peer.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the secret.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: serde::Serialize> serde::Serialize for Redacted<T> {
    /// Serialising is how a secret reaches its intended peer (the cloud, the glasses); never
    /// serialise a `Redacted` into a log.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Redacted<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

/// A stream URL with its secret parts hidden, for every transport:
///
/// - RTMP(S): scheme, host and the first path segment (the application) are kept, the rest
///   (the stream key) is replaced: `rtmps://live.example.com:443/live/****`;
/// - SRT: host and port are kept, every query value (`streamid`, `passphrase`) is replaced:
///   `srt://ingest.example.com:9000?streamid=****&passphrase=****`;
/// - WHIP (`http(s)://`) and anything else: only the host is kept, the path (Cloudflare puts
///   the live-input key there) and the query are replaced: `https://host/****`.
///
/// User-info (`user:password@`) is always dropped.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return "<redacted url>".to_owned();
    };
    let scheme = &url[..scheme_end];
    let after_scheme = &url[scheme_end + 3..];
    let authority_end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let authority = &after_scheme[..authority_end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let rest = &after_scheme[authority_end..];
    let mut out = format!("{scheme}://{host}");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let path = path.split('#').next().unwrap_or("");
    match scheme.to_ascii_lowercase().as_str() {
        "rtmp" | "rtmps" => {
            if let Some(path) = path.strip_prefix('/') {
                let mut segments = path.splitn(2, '/');
                out.push('/');
                out.push_str(segments.next().unwrap_or(""));
                if segments.next().is_some() || query.is_some() {
                    out.push_str("/****");
                }
            } else if query.is_some() {
                out.push_str("/****");
            }
        }
        "srt" => {
            if !path.trim_matches('/').is_empty() {
                out.push_str("/****");
            }
            if let Some(query) = query {
                out.push('?');
                let hidden: Vec<String> = query
                    .split('&')
                    .map(|kv| match kv.split_once('=') {
                        Some((k, _)) => format!("{}=****", k.chars().take(32).collect::<String>()),
                        None => "****".to_owned(),
                    })
                    .collect();
                out.push_str(&hidden.join("&"));
            }
        }
        _ => {
            if !path.trim_matches('/').is_empty() || query.is_some() {
                out.push_str("/****");
            }
        }
    }
    out
}

/// Markers after which free text may carry a secret.
const URL_MARKERS: [&str; 5] = ["rtmp://", "rtmps://", "srt://", "http://", "https://"];
const VALUE_MARKERS: [&str; 5] = ["token=", "passphrase=", "streamid=", "password=", "Bearer "];

/// Redacts secrets inside free text before it reaches a log sink, an event or the cloud:
/// stream URLs of every transport are shortened by [`redact_url`]; `token=`, `passphrase=`,
/// `streamid=` and `password=` values and `Bearer …` credentials are replaced.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = URL_MARKERS
            .iter()
            .chain(VALUE_MARKERS.iter())
            .filter_map(|m| find_ignore_case(rest, m).map(|i| (i, *m)))
            .min_by_key(|(i, m)| (*i, std::cmp::Reverse(m.len())));
        let Some((i, marker)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let stop = |c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',';
        if URL_MARKERS.contains(&marker) {
            let end = tail.find(stop).unwrap_or(tail.len());
            out.push_str(&redact_url(&tail[..end]));
            rest = &tail[end..];
        } else {
            let value = &tail[marker.len()..];
            let end = value
                .find(|c: char| stop(c) || (c == '&' && marker != "Bearer "))
                .unwrap_or(value.len());
            out.push_str(&tail[..marker.len()]);
            out.push_str("<redacted>");
            rest = &value[end..];
        }
    }
}

/// Byte index of the first case-insensitive occurrence of an ASCII `needle`.
fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len())
        .find(|&i| haystack.is_char_boundary(i) && h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_never_prints_the_secret() {
        let s = Redacted::new("hunter2".to_owned());
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn text_loses_keys_tokens_and_bearers() {
        let t = redact_text(
            "start rtmps://h/live/sk_SECRET ok; GET /glasses-ws?token=TOK&x=1 Authorization: Bearer TOK2, done",
        );
        assert!(!t.contains("SECRET") && !t.contains("TOK"), "{t}");
        assert!(t.contains("rtmps://h/live/****") && t.contains("token=<redacted>&x=1"));
        assert_eq!(redact_text("plain"), "plain");
    }

    #[test]
    fn url_keeps_host_and_app_but_not_key() {
        assert_eq!(
            redact_url("rtmps://live.example.com:443/live/sk_123abc"),
            "rtmps://live.example.com:443/live/****"
        );
        assert_eq!(redact_url("rtmp://h/app"), "rtmp://h/app");
        assert_eq!(redact_url("rtmp://user:pw@h/app/key"), "rtmp://h/app/****");
        assert_eq!(redact_url("rtmp://h/app?key=secret"), "rtmp://h/app/****");
        assert_eq!(redact_url("garbage-secret"), "<redacted url>");
        assert!(!redact_url("rtmp://h/a/b/c/secret").contains("secret"));
    }

    #[test]
    fn srt_and_whip_urls_lose_their_keys() {
        assert_eq!(
            redact_url("srt://live.example.com:778?streamid=SID123&passphrase=PASS123456"),
            "srt://live.example.com:778?streamid=****&passphrase=****"
        );
        assert_eq!(redact_url("srt://h:9000"), "srt://h:9000");
        assert_eq!(
            redact_url("https://customer-x.cloudflarestream.com/LIVEKEY/webRTC/publish"),
            "https://customer-x.cloudflarestream.com/****"
        );
        assert_eq!(redact_url("http://h/"), "http://h");
        let t = redact_text(
            "failed: srt://h:9000?passphrase=PASS123456 and https://c.example/LIVEKEY/webRTC/publish, Bearer JWT.A.B streamid=SID&x=1",
        );
        for secret in ["PASS123456", "LIVEKEY", "JWT.A.B", "SID"] {
            assert!(!t.contains(secret), "{secret} in {t}");
        }
        assert!(t.contains("srt://h:9000?passphrase=****"), "{t}");
        assert!(t.contains("streamid=<redacted>&x=1"), "{t}");
    }
}
