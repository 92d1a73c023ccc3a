//! Ingest URL checks, done before anything is sent to the glasses (DESIGN §5 rule 3).

use thiserror::Error;

/// Why an ingest URL was refused. Messages never contain the URL (it holds the stream key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum UrlError {
    /// The URL is empty.
    #[error("the stream URL is empty")]
    Empty,
    /// Not `rtmp://` or `rtmps://`.
    #[error("the stream URL must start with rtmp:// or rtmps://")]
    Scheme,
    /// No host after the scheme.
    #[error("the stream URL names no host")]
    NoHost,
    /// No path (application / stream key) after the host.
    #[error("the stream URL has no path after the host")]
    NoPath,
    /// Spaces or control characters.
    #[error("the stream URL contains spaces or control characters")]
    BadCharacters,
}

/// Checks that `url` is `rtmp://` or `rtmps://` with a host and a path.
pub fn validate_rtmp_url(url: &str) -> Result<(), UrlError> {
    if url.is_empty() {
        return Err(UrlError::Empty);
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlError::BadCharacters);
    }
    let rest = if let Some(r) = strip_prefix_ignore_case(url, "rtmps://") {
        r
    } else if let Some(r) = strip_prefix_ignore_case(url, "rtmp://") {
        r
    } else {
        return Err(UrlError::Scheme);
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = match host.rfind(':') {
        Some(i) if !host.ends_with(']') => &host[..i],
        _ => host,
    };
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    if path.trim_matches('/').is_empty() {
        return Err(UrlError::NoPath);
    }
    Ok(())
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rtmp_and_rtmps_with_host_and_path() {
        for ok in [
            "rtmp://127.0.0.1/live/key",
            "rtmps://live.cloudflare.com:443/live/abc",
            "RTMP://host/app",
            "rtmp://[::1]:1935/live/x",
        ] {
            assert_eq!(validate_rtmp_url(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        assert_eq!(validate_rtmp_url(""), Err(UrlError::Empty));
        assert_eq!(validate_rtmp_url("http://h/a"), Err(UrlError::Scheme));
        assert_eq!(validate_rtmp_url("rtmp:/h/a"), Err(UrlError::Scheme));
        assert_eq!(validate_rtmp_url("rtmp:///a"), Err(UrlError::NoHost));
        assert_eq!(validate_rtmp_url("rtmp://:1935/a"), Err(UrlError::NoHost));
        assert_eq!(validate_rtmp_url("rtmp://host"), Err(UrlError::NoPath));
        assert_eq!(validate_rtmp_url("rtmp://host/"), Err(UrlError::NoPath));
        assert_eq!(
            validate_rtmp_url("rtmp://host/a b"),
            Err(UrlError::BadCharacters)
        );
    }
}
