//! Ingest URL checks, done before anything is sent to the glasses (DESIGN §5 rules 3 and 14):
//! the scheme picks the transport (`rtmp(s)://` RTMP, `srt://` SRT, `http(s)://` WHIP) and
//! each transport's URL is checked for what it needs. Messages never contain the URL.

use thiserror::Error;

use crate::wire::proto::StreamTransport;

/// How the glasses push the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// RTMP or RTMPS (`rtmp://`, `rtmps://`).
    Rtmp,
    /// SRT (`srt://host:port?streamid=…&passphrase=…`).
    Srt,
    /// WebRTC over WHIP (`http(s)://…`, e.g. Cloudflare's `…/webRTC/publish`).
    Whip,
}

impl Transport {
    /// The protobuf value.
    pub fn to_wire(self) -> StreamTransport {
        match self {
            Transport::Rtmp => StreamTransport::Rtmp,
            Transport::Srt => StreamTransport::Srt,
            Transport::Whip => StreamTransport::Whip,
        }
    }

    /// From the protobuf value; `None` for unspecified or unknown values.
    pub fn from_wire(value: i32) -> Option<Transport> {
        match StreamTransport::try_from(value).ok()? {
            StreamTransport::Rtmp => Some(Transport::Rtmp),
            StreamTransport::Srt => Some(Transport::Srt),
            StreamTransport::Whip => Some(Transport::Whip),
            StreamTransport::Unspecified => None,
        }
    }

    /// Lower-case name, as MentraOS writes it in `resolvedConfig.transport`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Rtmp => "rtmp",
            Transport::Srt => "srt",
            Transport::Whip => "whip",
        }
    }

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            Transport::Rtmp => "RTMP",
            Transport::Srt => "SRT",
            Transport::Whip => "WebRTC (WHIP)",
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Why an ingest URL was refused. Messages never contain the URL (it holds keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum UrlError {
    /// The URL is empty.
    #[error("the stream URL is empty")]
    Empty,
    /// Not one of the schemes the bridge knows.
    #[error("the stream URL must start with rtmp://, rtmps://, srt://, http:// or https://")]
    UnknownScheme,
    /// No host after the scheme.
    #[error("the stream URL names no host")]
    NoHost,
    /// No path after the host (RTMP needs the application and key; WHIP its endpoint).
    #[error("the stream URL has no path after the host")]
    NoPath,
    /// SRT needs a port.
    #[error("an srt:// URL needs a port (srt://host:port)")]
    NoPort,
    /// The port is not a number from 1 to 65535.
    #[error("the stream URL's port is not a number from 1 to 65535")]
    BadPort,
    /// SRT passphrases are 10 to 79 characters.
    #[error("the SRT passphrase must be 10 to 79 characters long")]
    SrtPassphrase,
    /// Spaces or control characters.
    #[error("the stream URL contains spaces or control characters")]
    BadCharacters,
}

/// Checks `url` for its transport and returns the transport.
pub fn validate_stream_url(url: &str) -> Result<Transport, UrlError> {
    if url.is_empty() {
        return Err(UrlError::Empty);
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlError::BadCharacters);
    }
    let (transport, rest) = [
        ("rtmps://", Transport::Rtmp),
        ("rtmp://", Transport::Rtmp),
        ("srt://", Transport::Srt),
        ("https://", Transport::Whip),
        ("http://", Transport::Whip),
    ]
    .iter()
    .find_map(|(prefix, t)| strip_prefix_ignore_case(url, prefix).map(|rest| (*t, rest)))
    .ok_or(UrlError::UnknownScheme)?;

    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);
    let (host, port) = split_host_port(authority.rsplit('@').next().unwrap_or(""))?;
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    let (path, query) = match after.split_once('?') {
        Some((p, q)) => (p, q),
        None => (after, ""),
    };
    match transport {
        Transport::Rtmp | Transport::Whip => {
            if path.trim_matches('/').is_empty() {
                return Err(UrlError::NoPath);
            }
        }
        Transport::Srt => {
            if port.is_none() {
                return Err(UrlError::NoPort);
            }
            for (key, value) in query.split('&').filter_map(|kv| kv.split_once('=')) {
                if key.eq_ignore_ascii_case("passphrase") && !(10..=79).contains(&value.len()) {
                    return Err(UrlError::SrtPassphrase);
                }
            }
        }
    }
    Ok(transport)
}

/// Checks that `url` is `rtmp://` or `rtmps://` with a host and a path.
pub fn validate_rtmp_url(url: &str) -> Result<(), UrlError> {
    match validate_stream_url(url)? {
        Transport::Rtmp => Ok(()),
        _ => Err(UrlError::UnknownScheme),
    }
}

/// `host[:port]` or `[v6]:port` → (host, port).
fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), UrlError> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((host, tail)) = v6.split_once(']') else {
            return Err(UrlError::NoHost);
        };
        (host, tail.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(UrlError::BadPort),
            Ok(n) => Some(n),
        },
    };
    Ok((host, port))
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
    fn every_scheme_with_what_it_needs_is_accepted() {
        for (url, transport) in [
            ("rtmp://127.0.0.1/live/key", Transport::Rtmp),
            ("rtmps://live.cloudflare.com:443/live/abc", Transport::Rtmp),
            ("RTMP://host/app", Transport::Rtmp),
            ("rtmp://[::1]:1935/live/x", Transport::Rtmp),
            ("srt://ingest.example.com:9000", Transport::Srt),
            (
                "srt://live.cloudflare.com:778?passphrase=abcdefghijkl&streamid=XYZ",
                Transport::Srt,
            ),
            ("srt://[::1]:9000?streamid=s", Transport::Srt),
            (
                "https://customer-x.cloudflarestream.com/0123456789abcdef/webRTC/publish",
                Transport::Whip,
            ),
            ("http://192.168.43.1:8889/whip", Transport::Whip),
        ] {
            assert_eq!(validate_stream_url(url), Ok(transport), "{url}");
        }
    }

    #[test]
    fn each_bad_url_is_refused_with_its_reason() {
        for (url, why) in [
            ("", UrlError::Empty),
            ("ftp://h/a", UrlError::UnknownScheme),
            ("rtsp://h:554/a", UrlError::UnknownScheme),
            ("rtmp:/h/a", UrlError::UnknownScheme),
            ("rtmp:///a", UrlError::NoHost),
            ("rtmp://:1935/a", UrlError::NoHost),
            ("rtmp://host", UrlError::NoPath),
            ("rtmp://host/", UrlError::NoPath),
            ("rtmp://host:99999/a", UrlError::BadPort),
            ("rtmp://host/a b", UrlError::BadCharacters),
            ("srt://host", UrlError::NoPort),
            ("srt://host:0", UrlError::BadPort),
            ("srt://:9000", UrlError::NoHost),
            ("srt://host:9000?passphrase=short", UrlError::SrtPassphrase),
            ("https://host", UrlError::NoPath),
            ("https:///whip", UrlError::NoHost),
            ("http://host:x/whip", UrlError::BadPort),
        ] {
            assert_eq!(validate_stream_url(url), Err(why), "{url:?}");
        }
    }

    #[test]
    fn rtmp_only_check_refuses_other_transports() {
        assert_eq!(validate_rtmp_url("rtmp://h/a"), Ok(()));
        assert_eq!(validate_rtmp_url("srt://h:1"), Err(UrlError::UnknownScheme));
    }
}
