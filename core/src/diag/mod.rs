//! The flight recorder: a bounded ring (by count and by age) of structured, redacted entries —
//! cloud and glasses messages in and out (types, ids, sizes, status words and codes: never a
//! URL, key, token or password), stream, connection, health and link changes, warnings — each
//! with a monotonic timestamp. Exported as JSON Lines for a bug report; read back by
//! `mentra-bridge diagnose`, which replays it through [`TraceChecker`], the same invariant code
//! the whole-bridge simulation runs.

mod invariants;
mod timeline;

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use invariants::{ORPHAN_GRACE, TraceChecker, TraceViolation};
pub use timeline::render_timeline;

/// Version of the export format (the header line says it).
pub const FORMAT_VERSION: u32 = 1;

/// How much the recorder keeps. Every field documents its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecorderConfig {
    /// Entries kept, at most (the oldest go first). Default 5,000.
    pub max_entries: usize,
    /// Entries older than this go. Default 10 minutes.
    pub max_age: Duration,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        Self {
            max_entries: 5_000,
            max_age: Duration::from_secs(600),
        }
    }
}

/// One thing that happened, and when (milliseconds since the bridge started).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Milliseconds since the bridge started (monotonic).
    pub t_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub what: What,
}

/// What an entry records. Strings are names, ids, status words, codes and redacted sentences;
/// nothing that can carry a secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    /// A command from the cloud.
    CloudIn {
        /// Its type (`start_stream`, `keep_stream_alive`, …).
        msg: String,
        /// The stream it names.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stream_id: Option<String>,
    },
    /// A message to the cloud.
    CloudOut {
        /// Its type (`stream_status`, `keep_alive_ack`, …).
        msg: String,
        /// The stream it names.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stream_id: Option<String>,
        /// The status word, for a stream status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// A message from the glasses.
    GlassesIn {
        /// Its type (`stream_status`, `keep_alive_ack`, `battery`, …).
        msg: String,
        /// Its message id (0 on wires without ids).
        message_id: u32,
        /// The command it answers, or 0.
        reply_to: u32,
        /// Encoded size, bytes.
        size: usize,
        /// The stream it names.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stream_id: Option<String>,
        /// The stream state it reports (a word of the glasses' schema).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        state: Option<String>,
    },
    /// A command to the glasses.
    GlassesOut {
        /// Its type (`start_stream`, `stop_stream`, …).
        msg: String,
        /// Its message id.
        message_id: u32,
        /// Encoded size, bytes.
        size: usize,
        /// The stream it names.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stream_id: Option<String>,
    },
    /// A stream changed state, as the bridge reports it to the app and the cloud.
    Stream {
        /// The stream.
        stream_id: String,
        /// Its canonical state word.
        state: String,
        /// The problem code, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
        /// The sentence for the user, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sentence: Option<String>,
    },
    /// A connection changed.
    Connection {
        /// `cloud` or `glasses`.
        peer: String,
        /// `connected`, `connecting`, `disconnected`, `reconnecting`, …
        state: String,
        /// Why, when it dropped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A health reading crossed into another band, or a warning about heat or battery.
    Health {
        /// What changed (`battery 12 %`, `temperature 81 °C`, …).
        what: String,
    },
    /// A warning for the user.
    Warning {
        /// Its code.
        code: String,
        /// Its sentence.
        message: String,
    },
    /// A timer fired.
    Timer {
        /// Which.
        name: String,
    },
    /// The bridge stopped.
    Stopped {
        /// Why, if not asked to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// An entry of a kind this version does not know (a newer bridge wrote it): read, and
    /// left out of the timeline and the checks.
    #[serde(other)]
    Unknown,
}

/// Longest string an entry keeps (after redaction); the rest is cut.
const MAX_FIELD: usize = 256;
/// Secrets the recorder scrubs by value, at most.
const MAX_SECRETS: usize = 32;

/// The ring.
#[derive(Debug)]
pub struct Recorder {
    config: RecorderConfig,
    entries: VecDeque<Entry>,
    /// Values never to record (the core token, stream URLs and keys, WHIP tokens, Wi-Fi
    /// passwords), whatever text they turn up in.
    secrets: Vec<String>,
    /// Entries dropped for the bounds since start.
    dropped: u64,
    /// Entries recorded since start (the next entry's sequence number).
    recorded: u64,
}

impl Recorder {
    /// An empty recorder.
    pub fn new(config: RecorderConfig) -> Self {
        Self {
            config,
            entries: VecDeque::with_capacity(config.max_entries),
            secrets: Vec::new(),
            dropped: 0,
            recorded: 0,
        }
    }

    /// Scrubs `secret` by value from everything recorded from now on (the bounded list keeps
    /// the newest; values shorter than 6 characters are too common to scrub).
    pub fn forget(&mut self, secret: &str) {
        if secret.len() < 6 || self.secrets.iter().any(|s| s == secret) {
            return;
        }
        if self.secrets.len() >= MAX_SECRETS {
            self.secrets.remove(0);
        }
        self.secrets.push(secret.to_owned());
    }

    /// Records `what` at `t_ms`, redacting every free-text string, and drops what falls out
    /// of bounds.
    pub fn record(&mut self, t_ms: u64, what: What) {
        if self.config.max_entries == 0 {
            return;
        }
        let secrets = &self.secrets;
        let what = redact(what, &|text: &str| scrub(text, secrets));
        while self.entries.len() >= self.config.max_entries {
            self.entries.pop_front();
            self.dropped += 1;
        }
        let max_age = u64::try_from(self.config.max_age.as_millis()).unwrap_or(u64::MAX);
        while self
            .entries
            .front()
            .is_some_and(|e| t_ms.saturating_sub(e.t_ms) > max_age)
        {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(Entry { t_ms, what });
        self.recorded += 1;
    }

    /// The entries recorded from sequence number `from` on that are still kept, and the
    /// sequence number of the next one (for a reader that follows the trace as it grows).
    pub fn since(&self, from: u64) -> (Vec<Entry>, u64) {
        let first_kept = self.recorded - self.entries.len() as u64;
        let skip = usize::try_from(from.saturating_sub(first_kept)).unwrap_or(usize::MAX);
        (
            self.entries.iter().skip(skip).cloned().collect(),
            self.recorded,
        )
    }

    /// Entries kept now, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Entries kept now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Heap and inline bytes the kept entries take (strings by capacity).
    pub fn memory_bytes(&self) -> usize {
        let strings: usize = self.entries.iter().map(|e| heap_of(&e.what)).sum();
        self.entries.capacity() * std::mem::size_of::<Entry>() + strings
    }

    /// Entries dropped for the bounds since start.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The export: a header line, then one JSON object per entry.
    pub fn export_jsonl(&self, header: &Header) -> String {
        let entries: Vec<&Entry> = self.entries.iter().collect();
        let mut header = header.clone();
        header.dropped = self.dropped;
        write_jsonl(&header, entries.into_iter())
    }
}

/// A header line, then one JSON object per entry.
pub fn write_jsonl<'a>(
    header: &Header,
    entries: impl ExactSizeIterator<Item = &'a Entry>,
) -> String {
    let mut out = String::with_capacity(entries.len() * 120 + 256);
    let mut header = header.clone();
    header.entries = entries.len();
    if let Ok(line) = serde_json::to_string(&header) {
        out.push_str(&line);
        out.push('\n');
    }
    for e in entries {
        if let Ok(line) = serde_json::to_string(e) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The first line of an export: what wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always `mentra-bridge-diagnostics`.
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// The library version.
    pub bridge_version: String,
    /// Entries that follow.
    #[serde(default)]
    pub entries: usize,
    /// Entries the bounds dropped before the export.
    #[serde(default)]
    pub dropped: u64,
    /// Wall-clock time of the bridge's start, ms since the Unix epoch (entries count from
    /// it on the monotonic clock, which stops while the phone sleeps).
    #[serde(default)]
    pub started_unix_ms: u64,
    /// Wall-clock time of the export, ms since the Unix epoch (to line it up with cloud logs).
    #[serde(default)]
    pub exported_unix_ms: u64,
}

impl Default for Header {
    fn default() -> Self {
        Self {
            format: "mentra-bridge-diagnostics".into(),
            version: FORMAT_VERSION,
            bridge_version: env!("CARGO_PKG_VERSION").into(),
            entries: 0,
            dropped: 0,
            started_unix_ms: 0,
            exported_unix_ms: 0,
        }
    }
}

/// Now, ms since the Unix epoch (0 if the clock is before it).
pub fn unix_ms_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Why an export could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The first line is not a Mentra Bridge diagnostics header.
    #[error("not a Mentra Bridge diagnostics export (line 1: {0})")]
    NotAnExport(String),
    /// A line does not parse.
    #[error("line {line}: {why}")]
    BadLine {
        /// 1-based.
        line: usize,
        /// What is wrong.
        why: String,
    },
}

/// Reads an export back: its header and entries.
pub fn parse_jsonl(text: &str) -> Result<(Header, Vec<Entry>), ParseError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header: Header = match lines.next() {
        Some((_, l)) => {
            serde_json::from_str(l).map_err(|e| ParseError::NotAnExport(e.to_string()))?
        }
        None => return Err(ParseError::NotAnExport("empty".into())),
    };
    if header.format != "mentra-bridge-diagnostics" {
        return Err(ParseError::NotAnExport(header.format));
    }
    let mut entries = Vec::new();
    for (i, line) in lines {
        let entry = serde_json::from_str(line).map_err(|e| ParseError::BadLine {
            line: i + 1,
            why: e.to_string(),
        })?;
        entries.push(entry);
    }
    Ok((header, entries))
}

/// Redacts `text`, scrubs the secrets held by value, and cuts it to [`MAX_FIELD`].
fn scrub(text: &str, secrets: &[String]) -> String {
    let mut text = crate::redact::redact_text(text);
    for secret in secrets {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "[redacted]");
        }
    }
    if text.len() > MAX_FIELD {
        let mut cut = MAX_FIELD;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

fn redact(what: What, r: &dyn Fn(&str) -> String) -> What {
    let o = |s: Option<String>| s.map(|s| r(&s));
    match what {
        What::CloudIn { msg, stream_id } => What::CloudIn {
            msg,
            stream_id: o(stream_id),
        },
        What::CloudOut {
            msg,
            stream_id,
            status,
        } => What::CloudOut {
            msg,
            stream_id: o(stream_id),
            status,
        },
        What::GlassesIn {
            msg,
            message_id,
            reply_to,
            size,
            stream_id,
            state,
        } => What::GlassesIn {
            msg,
            message_id,
            reply_to,
            size,
            stream_id: o(stream_id),
            state,
        },
        What::GlassesOut {
            msg,
            message_id,
            size,
            stream_id,
        } => What::GlassesOut {
            msg,
            message_id,
            size,
            stream_id: o(stream_id),
        },
        What::Stream {
            stream_id,
            state,
            problem,
            sentence,
        } => What::Stream {
            stream_id: r(&stream_id),
            state,
            problem,
            sentence: o(sentence),
        },
        What::Connection {
            peer,
            state,
            reason,
        } => What::Connection {
            peer,
            state,
            reason: o(reason),
        },
        What::Health { what } => What::Health { what: r(&what) },
        What::Warning { code, message } => What::Warning {
            code,
            message: r(&message),
        },
        What::Stopped { reason } => What::Stopped { reason: o(reason) },
        other @ (What::Timer { .. } | What::Unknown) => other,
    }
}

fn heap_of(what: &What) -> usize {
    let s = |s: &String| s.capacity();
    let o = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
    match what {
        What::CloudIn { msg, stream_id } => s(msg) + o(stream_id),
        What::CloudOut {
            msg,
            stream_id,
            status,
        } => s(msg) + o(stream_id) + o(status),
        What::GlassesIn {
            msg,
            stream_id,
            state,
            ..
        } => s(msg) + o(stream_id) + o(state),
        What::GlassesOut { msg, stream_id, .. } => s(msg) + o(stream_id),
        What::Stream {
            stream_id,
            state,
            problem,
            sentence,
        } => s(stream_id) + s(state) + o(problem) + o(sentence),
        What::Connection {
            peer,
            state,
            reason,
        } => s(peer) + s(state) + o(reason),
        What::Health { what } => s(what),
        What::Warning { code, message } => s(code) + s(message),
        What::Timer { name } => s(name),
        What::Stopped { reason } => o(reason),
        What::Unknown => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(message: &str) -> What {
        What::Warning {
            code: "glasses_error".into(),
            message: message.into(),
        }
    }

    #[test]
    fn a_secret_held_by_value_is_scrubbed_from_free_text() {
        let mut r = Recorder::new(RecorderConfig::default());
        r.forget("sk-live-8f3a91c2");
        r.forget("abc"); // too short to scrub: it would eat ordinary words
        r.record(
            1,
            warning("the ingest said: key sk-live-8f3a91c2 is not valid (abc)"),
        );
        let export = r.export_jsonl(&Header::default());
        assert!(!export.contains("sk-live-8f3a91c2"), "{export}");
        assert!(
            export.contains("[redacted]") && export.contains("(abc)"),
            "{export}"
        );
    }

    #[test]
    fn a_long_string_is_cut_and_the_ring_keeps_its_count() {
        let mut r = Recorder::new(RecorderConfig {
            max_entries: 3,
            max_age: Duration::from_secs(60),
        });
        for i in 0..5 {
            r.record(i, warning(&"é".repeat(400)));
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.dropped(), 2);
        let (_, entries) = parse_jsonl(&r.export_jsonl(&Header::default())).unwrap();
        let What::Warning { message, .. } = &entries[0].what else {
            panic!("a warning");
        };
        assert!(
            message.len() <= MAX_FIELD + '…'.len_utf8(),
            "{}",
            message.len()
        );
    }

    #[test]
    fn an_entry_of_a_newer_kind_reads_as_unknown() {
        let text = "{\"format\":\"mentra-bridge-diagnostics\",\"version\":2,\"bridge_version\":\"9\"}\n{\"t_ms\":5,\"kind\":\"quantum\",\"x\":1}\n";
        let (_, entries) = parse_jsonl(text).unwrap();
        assert_eq!(entries[0].what, What::Unknown);
    }
}
