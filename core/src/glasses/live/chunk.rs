//! v1 chunking of large JSON on the Mentra Live wire (`mentra-live-wire.md` §c): a message
//! whose C-wrapper is over 200 bytes goes as `{"t":"ck","id","c","n","d"}` chunks, each in its
//! own C-wrapper, with the largest slice size (80 down to 4 bytes, never cutting a UTF-8
//! sequence) for which every frame fits the BES write limit. And the reassembler both ends
//! run: keyed by chunk id, both key sets accepted, 30 s timeout, at most 10 sessions.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::k900::OVERHEAD;

/// A C-wrapper over this many bytes is chunked.
pub const CHUNK_THRESHOLD: usize = 200;
/// Largest K900 STRING frame the phone may write (the BES2700 write limit).
pub const PHONE_MAX_FRAME: usize = 253;
/// Largest relayed STRING frame the glasses send (253 less a 13-byte margin).
pub const GLASSES_MAX_FRAME: usize = 240;
/// How long a chunk session may take to complete.
pub const REASSEMBLY_TIMEOUT: Duration = Duration::from_secs(30);
/// Chunk sessions held at once (the oldest is evicted).
pub const MAX_SESSIONS: usize = 10;

/// Which end writes the wrapper (the glasses add `"V":1,"B":{}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The phone: `{"C":…}` (+ `"W":1`), frames ≤ 253 bytes.
    Phone,
    /// The glasses: `{"C":…,"V":1,"B":{}}`, frames ≤ 240 bytes.
    Glasses,
}

impl Side {
    fn max_frame(self) -> usize {
        match self {
            Self::Phone => PHONE_MAX_FRAME,
            Self::Glasses => GLASSES_MAX_FRAME,
        }
    }
}

/// The C-wrapper of one message or chunk, as the STRING payload text.
pub fn wrap(inner: &str, wake: bool, side: Side) -> String {
    let mut outer = Map::new();
    outer.insert("C".into(), Value::String(inner.to_owned()));
    if wake && side == Side::Phone {
        outer.insert("W".into(), json!(1));
    }
    if side == Side::Glasses {
        outer.insert("V".into(), json!(1));
        outer.insert("B".into(), json!({}));
    }
    Value::Object(outer).to_string()
}

/// The STRING payloads that carry `inner` (a message's JSON text): one wrapper, or chunks.
/// `m_id` goes on the last chunk (the message itself already carries it); `session` is the
/// chunk id (`"<mId>_<unix ms>"`). `None` when no slice size fits (the message is dropped).
pub fn split(
    inner: &str,
    m_id: Option<u64>,
    session: &str,
    wake: bool,
    side: Side,
) -> Option<Vec<String>> {
    let whole = wrap(inner, wake, side);
    if whole.len() <= CHUNK_THRESHOLD {
        return Some(vec![whole]);
    }
    (4..=80usize)
        .rev()
        .find_map(|size| chunks_of(inner, size, m_id, session, wake, side))
}

fn chunks_of(
    inner: &str,
    size: usize,
    m_id: Option<u64>,
    session: &str,
    wake: bool,
    side: Side,
) -> Option<Vec<String>> {
    let slices = utf8_slices(inner, size);
    let n = slices.len();
    let mut out = Vec::with_capacity(n);
    for (c, d) in slices.into_iter().enumerate() {
        let mut chunk = Map::new();
        chunk.insert("t".into(), json!("ck"));
        chunk.insert("id".into(), json!(session));
        chunk.insert("c".into(), json!(c));
        chunk.insert("n".into(), json!(n));
        chunk.insert("d".into(), json!(d));
        if c + 1 == n {
            if let Some(m) = m_id {
                chunk.insert("mId".into(), json!(m));
            }
        }
        let payload = wrap(&Value::Object(chunk).to_string(), wake && c == 0, side);
        if payload.len() + OVERHEAD > side.max_frame() {
            return None;
        }
        out.push(payload);
    }
    Some(out)
}

/// Consecutive slices of at most `size` bytes, never ending inside a UTF-8 sequence.
fn utf8_slices(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = size.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            // One character longer than the slice (size < 4 never happens: 4 fits any char).
            cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

/// One chunk, read from either key set.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// The session key.
    pub id: String,
    /// 0-based index.
    pub index: usize,
    /// How many chunks the message has.
    pub count: usize,
    /// This chunk's slice.
    pub data: String,
}

impl Chunk {
    /// Reads a chunk from an inner JSON object; `None` when it is not a (valid) chunk.
    pub fn from_json(v: &Value) -> Option<Self> {
        let o = v.as_object()?;
        let (id, index, count, data) = if o.get("t").and_then(Value::as_str) == Some("ck") {
            (o.get("id")?, o.get("c")?, o.get("n")?, o.get("d")?)
        } else if o.get("type").and_then(Value::as_str) == Some("chunked_msg") {
            (
                o.get("chunkId")?,
                o.get("chunk")?,
                o.get("total")?,
                o.get("data")?,
            )
        } else {
            return None;
        };
        let id = id.as_str()?.to_owned();
        let index = usize::try_from(index.as_u64()?).ok()?;
        let count = usize::try_from(count.as_u64()?).ok()?;
        let data = data.as_str()?.to_owned();
        (!id.is_empty() && count > 0 && index < count).then_some(Self {
            id,
            index,
            count,
            data,
        })
    }

    /// True when the object is chunk-shaped (valid or not).
    pub fn looks_like(v: &Value) -> bool {
        v.get("t").and_then(Value::as_str) == Some("ck")
            || v.get("type").and_then(Value::as_str) == Some("chunked_msg")
    }
}

#[derive(Debug)]
struct Session {
    id: String,
    count: usize,
    parts: Vec<Option<String>>,
    started: Instant,
}

/// Puts chunks back together. Bounded: [`MAX_SESSIONS`] sessions of at most 255 chunks.
#[derive(Debug, Default)]
pub struct Reassembler {
    sessions: VecDeque<Session>,
}

impl Reassembler {
    /// A chunk arrived; returns the whole message's JSON text once every chunk is here.
    pub fn push(&mut self, now: Instant, chunk: Chunk) -> Option<String> {
        self.sessions
            .retain(|s| now.saturating_duration_since(s.started) < REASSEMBLY_TIMEOUT);
        if chunk.count > 255 {
            return None;
        }
        let at = match self.sessions.iter().position(|s| s.id == chunk.id) {
            // A different count resets the session.
            Some(i) if self.sessions[i].count != chunk.count => {
                self.sessions.remove(i);
                None
            }
            found => found,
        };
        let at = match at {
            Some(i) => i,
            None => {
                if self.sessions.len() >= MAX_SESSIONS {
                    self.sessions.pop_front();
                }
                self.sessions.push_back(Session {
                    id: chunk.id.clone(),
                    count: chunk.count,
                    parts: vec![None; chunk.count],
                    started: now,
                });
                self.sessions.len() - 1
            }
        };
        let session = &mut self.sessions[at];
        session.parts[chunk.index] = Some(chunk.data);
        if session.parts.iter().all(Option::is_some) {
            let done = self.sessions.remove(at)?;
            return Some(done.parts.into_iter().flatten().collect());
        }
        None
    }

    /// Sessions in progress.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// True when no session is in progress.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Forgets everything (a new wire epoch).
    pub fn clear(&mut self) {
        self.sessions.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reassemble(payloads: &[String]) -> String {
        let mut r = Reassembler::default();
        let now = Instant::now();
        let mut out = None;
        for p in payloads {
            let outer: Value = serde_json::from_str(p).unwrap();
            let inner: Value = serde_json::from_str(outer["C"].as_str().unwrap()).unwrap();
            out = r.push(now, Chunk::from_json(&inner).unwrap());
        }
        out.expect("complete")
    }

    #[test]
    fn small_messages_go_whole_with_the_wake_flag_outside() {
        let p = split(
            r#"{"type":"stop_stream","mId":7}"#,
            Some(7),
            "7_1",
            true,
            Side::Phone,
        )
        .unwrap();
        assert_eq!(p, [r#"{"C":"{\"type\":\"stop_stream\",\"mId\":7}","W":1}"#]);
    }

    #[test]
    fn large_messages_chunk_within_the_frame_limit_and_come_back_whole() {
        let inner = json!({
            "type": "start_stream",
            "streamUrl": "rtmps://ingest.example.com/live/".to_owned() + &"k".repeat(120),
            "streamId": "s1234567890", "mId": 42,
        })
        .to_string();
        for side in [Side::Phone, Side::Glasses] {
            let p = split(&inner, Some(42), "42_1723456789012", true, side).unwrap();
            assert!(p.len() > 1);
            for (i, payload) in p.iter().enumerate() {
                assert!(
                    payload.len() + OVERHEAD <= side.max_frame(),
                    "{}",
                    payload.len()
                );
                assert_eq!(payload.contains("\"W\":1"), i == 0 && side == Side::Phone);
            }
            let last: Value = serde_json::from_str(p.last().unwrap()).unwrap();
            assert!(last["C"].as_str().unwrap().contains("\"mId\":42"));
            assert_eq!(reassemble(&p), inner);
        }
    }

    #[test]
    fn multibyte_utf8_is_never_split_inside_a_character() {
        let inner = json!({"type": "x", "text": "é漢字🙂".repeat(40)}).to_string();
        let p = split(&inner, None, "-1_5", false, Side::Phone).unwrap();
        assert_eq!(reassemble(&p), inner);
        for slice in utf8_slices(&inner, 5) {
            assert!(slice.len() <= 5 || slice.chars().count() == 1);
        }
    }

    #[test]
    fn the_legacy_key_set_is_accepted_and_a_new_count_resets() {
        let mut r = Reassembler::default();
        let now = Instant::now();
        let legacy = |i: u64, n: u64, d: &str| {
            Chunk::from_json(
                &json!({"type":"chunked_msg","chunkId":"k","chunk":i,"total":n,"data":d}),
            )
            .unwrap()
        };
        assert_eq!(r.push(now, legacy(0, 3, "ab")), None);
        // Count changes: the session restarts.
        assert_eq!(r.push(now, legacy(0, 2, "{\"")), None);
        assert_eq!(
            r.push(now, legacy(1, 2, "a\":1}")).as_deref(),
            Some("{\"a\":1}")
        );
        assert!(r.is_empty());
    }

    #[test]
    fn sessions_time_out_and_stay_bounded() {
        let mut r = Reassembler::default();
        let t0 = Instant::now();
        for i in 0..25 {
            let c = Chunk::from_json(&json!({"t":"ck","id":format!("s{i}"),"c":0,"n":2,"d":"x"}));
            r.push(t0, c.unwrap());
        }
        assert_eq!(r.len(), MAX_SESSIONS);
        let late = Chunk::from_json(&json!({"t":"ck","id":"s24","c":1,"n":2,"d":"y"})).unwrap();
        assert_eq!(r.push(t0 + REASSEMBLY_TIMEOUT, late), None, "timed out");
        assert!(Chunk::from_json(&json!({"t":"ck","id":"","c":0,"n":1,"d":"x"})).is_none());
        assert!(Chunk::from_json(&json!({"t":"ck","id":"a","c":2,"n":2,"d":"x"})).is_none());
    }
}
