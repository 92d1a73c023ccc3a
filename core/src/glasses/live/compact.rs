//! BleJsonCompact, the v2-only key and enum compaction of the Mentra Live wire
//! (`mentra-live-wire.md` §f.5): short keys at every level of five message types, enums as
//! numbers, top-level timestamps relative to the sender's v2 activation, and the resolved
//! config sent once and then named by its FNV-1a hash (`rch`). The [`Compactor`] is a sender's
//! state, the [`Expander`] a receiver's; both reset with the wire epoch.

use std::collections::VecDeque;

use serde_json::{Map, Value};

/// The types that are compacted; everything else travels verbatim.
pub const COMPACT_TYPES: [&str; 5] = [
    "photo_status",
    "stream_status",
    "wifi_scan_result",
    "start_stream",
    "photo_response",
];

const KEYS: [(&str, &str); 22] = [
    ("type", "t"),
    ("requestId", "r"),
    ("timestamp", "ts"),
    ("status", "s"),
    ("kind", "k"),
    ("source", "src"),
    ("requestedCaptureConfig", "rcc"),
    ("meteredPreview", "mp"),
    ("exposureTimeNs", "etn"),
    ("captureMetadata", "cm"),
    ("aeStateName", "aes"),
    ("reconnecting", "rc"),
    ("stats", "st"),
    ("width", "w"),
    ("height", "h"),
    ("bitrate", "br"),
    ("fps", "f"),
    ("droppedFrames", "df"),
    ("duration", "du"),
    ("temperatureC", "tc"),
    ("transferMethod", "tm"),
    ("manual", "m"),
];

const PHOTO_STATUS: [&str; 8] = [
    "accepted",
    "queued",
    "configuring",
    "capturing",
    "captured",
    "uploading",
    "uploaded",
    "failed",
];
const KIND: [&str; 2] = ["lifecycle", "snapshot"];
const SOURCE: [&str; 2] = ["sdk", "button"];
const AE_STATE: [&str; 6] = [
    "CONVERGED",
    "SEARCHING",
    "INACTIVE",
    "LOCKED",
    "FLASH_REQUIRED",
    "PRECAPTURE",
];

/// Resolved configs remembered by hash.
const RCH_CACHE: usize = 8;

/// FNV-1a 32-bit of the canonical JSON (keys sorted at every level, compact), 8 hex digits.
pub fn config_hash(config: &Value) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in canonical(config).bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

fn canonical(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        Value::String((*k).clone()),
                        canonical(&o[k.as_str()])
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(canonical).collect();
            format!("[{}]", parts.join(","))
        }
        other => other.to_string(),
    }
}

fn type_of(v: &Value) -> Option<&str> {
    v.get("type").and_then(Value::as_str)
}

fn exempt(v: &Value) -> bool {
    let text = v.to_string();
    ["cs_pho", "cs_cpho", "cs_vid", "\"type\":\"take_photo\""]
        .iter()
        .any(|m| text.contains(m))
}

fn rename(v: Value, to_short: bool) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| {
                    let k = KEYS
                        .iter()
                        .find(|(long, short)| if to_short { *long == k } else { *short == k })
                        .map_or(k.clone(), |(long, short)| {
                            (if to_short { short } else { long }).to_string()
                        });
                    (k, rename(v, to_short))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| rename(v, to_short)).collect()),
        other => other,
    }
}

fn enum_to_int(o: &mut Map<String, Value>, key: &str, names: &[&str]) {
    if let Some(i) = o
        .get(key)
        .and_then(Value::as_str)
        .and_then(|s| names.iter().position(|n| *n == s))
    {
        o.insert(key.into(), Value::from(i));
    }
}

fn int_to_enum(o: &mut Map<String, Value>, key: &str, names: &[&str]) {
    if let Some(name) = o
        .get(key)
        .and_then(Value::as_u64)
        .and_then(|i| names.get(usize::try_from(i).ok()?))
    {
        o.insert(key.into(), Value::from(*name));
    }
}

/// A sender's compaction state.
#[derive(Debug, Default)]
pub struct Compactor {
    epoch: Option<u64>,
    sent_config: Option<String>,
}

impl Compactor {
    /// v2 came up at `now_ms` (Unix ms): relative timestamps count from here.
    pub fn activate(&mut self, now_ms: u64) {
        *self = Self {
            epoch: Some(now_ms),
            sent_config: None,
        };
    }

    /// The compact form of `message` (verbatim when its type is not compacted).
    pub fn compact(&mut self, message: Value) -> Value {
        let Some(kind) = type_of(&message).map(str::to_owned) else {
            return message;
        };
        if !COMPACT_TYPES.contains(&kind.as_str()) || exempt(&message) {
            return message;
        }
        let Value::Object(mut o) = message else {
            return message;
        };
        if let Some(ts) = o
            .remove("timestamp")
            .and_then(|t| t.as_u64())
            .filter(|t| *t > 0)
        {
            let epoch = *self.epoch.get_or_insert(ts);
            o.insert("timestamp".into(), Value::from(ts.saturating_sub(epoch)));
        }
        if kind == "stream_status" || kind == "photo_status" {
            if let Some(config) = o.get("resolvedConfig") {
                let hash = config_hash(config);
                if self.sent_config.as_deref() == Some(hash.as_str()) {
                    o.remove("resolvedConfig");
                    o.insert("rch".into(), Value::from(hash));
                } else {
                    self.sent_config = Some(hash);
                }
            }
        }
        if kind == "photo_status" {
            enum_to_int(&mut o, "status", &PHOTO_STATUS);
        }
        enum_to_int(&mut o, "kind", &KIND);
        enum_to_int(&mut o, "source", &SOURCE);
        enum_to_int(&mut o, "aeStateName", &AE_STATE);
        rename(Value::Object(o), true)
    }
}

/// Why a v2 object was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compact form of an unknown type {0:?}")]
pub struct Rejected(pub String);

/// A receiver's expansion state.
#[derive(Debug, Default)]
pub struct Expander {
    epoch: Option<u64>,
    configs: VecDeque<(String, Value)>,
    last_config: Option<Value>,
}

impl Expander {
    /// v2 came up at `now_ms` (Unix ms), for relative timestamps.
    pub fn activate(&mut self, now_ms: u64) {
        *self = Self {
            epoch: Some(now_ms),
            ..Self::default()
        };
    }

    /// The verbose form of a v2 object; verbose objects pass unchanged.
    pub fn expand(&mut self, v: Value) -> Result<Value, Rejected> {
        let compact = v.get("t").is_some() && v.get("type").is_none();
        if !compact {
            return Ok(v);
        }
        let t = v
            .get("t")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if t == "ck" {
            return Ok(v);
        }
        if !COMPACT_TYPES.contains(&t.as_str()) {
            return Err(Rejected(t));
        }
        let Value::Object(mut o) = rename(v, false) else {
            return Err(Rejected(t));
        };
        if let Some(ts) = o.get("timestamp").and_then(Value::as_u64) {
            o.insert(
                "timestamp".into(),
                Value::from(self.epoch.unwrap_or(0).saturating_add(ts)),
            );
        }
        if t == "photo_status" {
            int_to_enum(&mut o, "status", &PHOTO_STATUS);
        }
        int_to_enum(&mut o, "kind", &KIND);
        int_to_enum(&mut o, "source", &SOURCE);
        int_to_enum(&mut o, "aeStateName", &AE_STATE);
        let rch = o.remove("rch");
        match o.get("resolvedConfig") {
            Some(config) => {
                let hash = config_hash(config);
                self.last_config = Some(config.clone());
                if !self.configs.iter().any(|(h, _)| *h == hash) {
                    if self.configs.len() >= RCH_CACHE {
                        self.configs.pop_front();
                    }
                    self.configs.push_back((hash, config.clone()));
                }
            }
            None => {
                if let Some(hash) = rch.as_ref().and_then(Value::as_str) {
                    let found = self
                        .configs
                        .iter()
                        .find(|(h, _)| h == hash)
                        .map(|(_, c)| c.clone())
                        .or_else(|| self.last_config.clone());
                    if let Some(config) = found {
                        o.insert("resolvedConfig".into(), config);
                    }
                }
            }
        }
        Ok(Value::Object(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(ts: u64) -> Value {
        json!({
            "type": "stream_status", "kind": "lifecycle", "status": "streaming",
            "streamId": "s1", "timestamp": ts,
            "resolvedConfig": {"transport": "rtmp", "video": {"width": 1280, "height": 720, "bitrate": 2000000, "fps": 30}},
            "stats": {"bitrate": 1990000, "fps": 29.5, "droppedFrames": 0, "duration": 12, "temperatureC": 41.5}
        })
    }

    #[test]
    fn a_stream_status_round_trips_and_sends_its_config_once() {
        let (mut c, mut e) = (Compactor::default(), Expander::default());
        c.activate(1_000_000);
        e.activate(2_000_000);
        let first = c.compact(status(1_000_500));
        assert_eq!(first["t"], "stream_status");
        assert_eq!(first["k"], 0);
        assert_eq!(
            first["s"], "streaming",
            "stream_status.status stays a string"
        );
        assert_eq!(first["ts"], 500);
        assert_eq!(first["st"]["br"], 1_990_000);
        assert!(first.get("resolvedConfig").is_some());
        let second = c.compact(status(1_001_500));
        assert!(second.get("resolvedConfig").is_none());
        assert_eq!(second["rch"], config_hash(&status(0)["resolvedConfig"]));
        let back1 = e.expand(first).unwrap();
        let back2 = e.expand(second).unwrap();
        let mut want = status(2_000_500);
        assert_eq!(back1, want);
        want["timestamp"] = json!(2_001_500);
        assert_eq!(back2, want, "the config is restored from its hash");
    }

    #[test]
    fn other_types_and_exempt_messages_travel_verbatim() {
        let mut c = Compactor::default();
        let probe = json!({"type": "stream_controller_probe", "probeId": "p", "timestamp": 5});
        assert_eq!(c.compact(probe.clone()), probe);
        let photo = json!({"type": "photo_status", "status": "captured", "note": "cs_pho"});
        assert_eq!(c.compact(photo.clone()), photo);
        let p = c.compact(json!({"type": "photo_status", "status": "captured"}));
        assert_eq!(p["s"], 4);
    }

    #[test]
    fn unknown_compact_types_are_rejected_and_a_missed_hash_falls_back() {
        let mut e = Expander::default();
        assert!(e.expand(json!({"t": "mystery"})).is_err());
        assert!(e.expand(json!({"t": "ck", "id": "x"})).is_ok());
        e.expand(json!({"t": "stream_status", "resolvedConfig": {"a": 1}}))
            .unwrap();
        let back = e
            .expand(json!({"t": "stream_status", "rch": "deadbeef"}))
            .unwrap();
        assert_eq!(back["resolvedConfig"], json!({"a": 1}));
        assert_eq!(back["type"], "stream_status");
    }

    #[test]
    fn the_hash_is_over_canonical_json() {
        let a = json!({"b": 1, "a": {"y": [1, 2], "x": "é"}});
        let b: Value = serde_json::from_str(r#"{ "a": {"x":"é", "y":[1,2]}, "b":1 }"#).unwrap();
        assert_eq!(config_hash(&a), config_hash(&b));
        // FNV-1a 32 of the two bytes "{}".
        assert_eq!(config_hash(&json!({})), "5465b825");
    }
}
