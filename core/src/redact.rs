//! Secrets that must never be printed: RTMP stream keys, tokens, Wi-Fi passwords.
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

/// An RTMP(S) URL with its secret part hidden: scheme, host and the first path segment (the
/// application) are kept, everything after it (the stream key) is replaced.
///
/// `rtmps://live.example.com:443/live/sk_123` prints as `rtmps://live.example.com:443/live/****`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return "<redacted url>".to_owned();
    };
    let after_scheme = &url[scheme_end + 3..];
    // Drop any user-info (user:password@host).
    let (authority_end, _) = after_scheme
        .char_indices()
        .find(|&(_, c)| c == '/' || c == '?')
        .unwrap_or((after_scheme.len(), ' '));
    let authority = &after_scheme[..authority_end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let rest = &after_scheme[authority_end..];
    let mut out = format!("{}://{}", &url[..scheme_end], host);
    if let Some(path) = rest.strip_prefix('/') {
        let mut segments = path.splitn(2, '/');
        let app = segments.next().unwrap_or("");
        let app = app.split('?').next().unwrap_or("");
        out.push('/');
        out.push_str(app);
        if segments.next().is_some() || rest.contains('?') {
            out.push_str("/****");
        }
    } else if !rest.is_empty() {
        out.push_str("/****");
    }
    out
}

/// Redacts secrets inside free text before it reaches a log sink: RTMP(S) URLs lose their
/// stream key, `token=…` query values and `Bearer …` credentials are replaced.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = ["rtmp://", "rtmps://", "token=", "Bearer "]
            .iter()
            .filter_map(|m| rest.find(m).map(|i| (i, *m)))
            .min_by_key(|(i, _)| *i);
        let Some((i, marker)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '&' || c == ',')
            .unwrap_or(tail.len());
        let end = if marker.ends_with(' ') {
            // `Bearer ` is followed by the credential word.
            let word = &tail[marker.len()..];
            marker.len()
                + word
                    .find(|c: char| c.is_whitespace() || c == '"' || c == ',')
                    .unwrap_or(word.len())
        } else {
            end
        };
        let found = &tail[..end];
        match marker {
            "rtmp://" | "rtmps://" => out.push_str(&redact_url(found)),
            other => {
                out.push_str(other);
                out.push_str("<redacted>");
            }
        }
        rest = &tail[end..];
    }
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
}
