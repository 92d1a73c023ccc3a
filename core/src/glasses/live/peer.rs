//! The glasses' end of the Mentra Live wire, for the glasses simulator and the tests: reads
//! what a phone writes (C-wrapped JSON, chunks, BES commands, v2 fragments and the handshake)
//! and writes as the firmware does (`{"C":…,"V":1,"B":{}}`, 240-byte frames, or v2 fragments
//! of 226 bytes with compaction). It models the firmware's rules, not its code.

use std::time::Instant;

use serde_json::Value;

use super::chunk::{self, Chunk, Side};
use super::compact::{Compactor, Expander};
use super::k900::{self, LengthOrder, TYPE_BINARY, TYPE_STRING};
use super::v2::{self, Fragment, Order};

/// What a phone wrote, read back.
#[derive(Debug, Clone, PartialEq)]
pub enum PhoneMessage {
    /// A message for the glasses app (its `mId`, if any, inside), and whether it woke the SoC.
    App {
        /// The message.
        json: Value,
        /// `"W":1` (v1) or `FLAG_WAKE` (v2) on its first piece.
        wake: bool,
        /// It came as Wire v2 fragments.
        binary: bool,
    },
    /// A BES-native command (`{"C":"cs_…",…}`), as written.
    Bes(Value),
    /// The phone's `v2` handshake.
    Handshake,
}

/// The glasses' wire state for one phone connection.
#[derive(Debug)]
pub struct GlassesWire {
    v2_out: bool,
    le: bool,
    chunks: chunk::Reassembler,
    fragments: v2::Reassembler,
    compactor: Compactor,
    expander: Expander,
    next_fragment_id: u16,
    next_chunk: u64,
    /// Wake flag of the first v1 chunk of a message in progress.
    chunk_wake: bool,
}

impl Default for GlassesWire {
    fn default() -> Self {
        Self::new()
    }
}

impl GlassesWire {
    /// v1, big-endian, nothing in progress.
    pub fn new() -> Self {
        Self {
            v2_out: false,
            le: false,
            chunks: chunk::Reassembler::default(),
            fragments: v2::Reassembler::new(Order::InOrder),
            compactor: Compactor::default(),
            expander: Expander::default(),
            next_fragment_id: 1,
            next_chunk: 1,
            chunk_wake: false,
        }
    }

    /// Back to v1 (on `phone_ready`, as the firmware does); `le` when the BES sends
    /// little-endian STRING frames.
    pub fn reset(&mut self, le: bool) {
        *self = Self::new();
        self.le = le;
    }

    /// True once the glasses write Wire v2.
    pub fn is_v2(&self) -> bool {
        self.v2_out
    }

    /// Switches the glasses' own writing to Wire v2 at `now_ms` and returns their handshake
    /// frame (to send first).
    pub fn switch_to_v2(&mut self, now_ms: u64) -> Vec<u8> {
        self.v2_out = true;
        self.le = true;
        self.compactor.activate(now_ms);
        self.expander.activate(now_ms);
        v2::handshake(0)
    }

    /// Reads one frame the phone wrote. `None` while a message is incomplete, or for bytes
    /// that are no message (counted by the caller if it cares).
    pub fn receive(&mut self, now: Instant, frame: &[u8]) -> Option<PhoneMessage> {
        // The BES2700 takes phone writes of at most 253 bytes (v1) or 509 bytes (v2).
        let limit = if frame.get(2) == Some(&TYPE_BINARY) {
            509
        } else {
            chunk::PHONE_MAX_FRAME
        };
        if frame.len() > limit {
            return None;
        }
        let f = k900::decode(frame).ok()?;
        match f.kind {
            TYPE_BINARY => {
                let frag = Fragment::decode(&f.payload)?;
                if frag.is_handshake() {
                    return Some(PhoneMessage::Handshake);
                }
                let wake = frag.flags & v2::FLAG_WAKE != 0;
                if frag.index == 0 {
                    self.chunk_wake = wake;
                }
                let bytes = self.fragments.push(now, frag)?;
                let v: Value = serde_json::from_slice(&bytes).ok()?;
                let json = self.expander.expand(v).ok()?;
                Some(PhoneMessage::App {
                    json,
                    wake: self.chunk_wake,
                    binary: true,
                })
            }
            TYPE_STRING => {
                let outer: Value = serde_json::from_slice(&f.payload).ok()?;
                let wake = outer.get("W").and_then(Value::as_u64) == Some(1);
                let c = outer.get("C").and_then(Value::as_str)?;
                let inner = match serde_json::from_str::<Value>(c) {
                    Ok(v) if v.is_object() => v,
                    _ => return Some(PhoneMessage::Bes(outer)),
                };
                if Chunk::looks_like(&inner) {
                    let chunk = Chunk::from_json(&inner)?;
                    if chunk.index == 0 {
                        self.chunk_wake = wake;
                    }
                    let text = self.chunks.push(now, chunk)?;
                    let json: Value = serde_json::from_str(&text).ok()?;
                    return Some(PhoneMessage::App {
                        json,
                        wake: self.chunk_wake,
                        binary: false,
                    });
                }
                Some(PhoneMessage::App {
                    json: inner,
                    wake,
                    binary: false,
                })
            }
            _ => None,
        }
    }

    /// The frames that carry one glasses message, as the firmware writes them.
    pub fn encode(&mut self, message: Value, unix_ms: u64) -> Vec<Vec<u8>> {
        if self.v2_out {
            let payload = self.compactor.compact(message).to_string().into_bytes();
            let id = self.next_fragment_id;
            self.next_fragment_id = self.next_fragment_id.wrapping_add(1).max(1);
            return v2::split(&payload, id, false, false, v2::GLASSES_FRAGMENT_PAYLOAD)
                .unwrap_or_default();
        }
        let inner = message.to_string();
        let session = format!("g{}_{}", self.next_chunk, unix_ms);
        self.next_chunk += 1;
        let order = self.order();
        chunk::split(&inner, None, &session, false, Side::Glasses)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| k900::encode(TYPE_STRING, order, p.as_bytes()).ok())
            .collect()
    }

    /// The frame of a BES-native message (`{"C":"sr_hrt","B":{…}}`).
    pub fn encode_bes(&self, outer: &Value) -> Vec<u8> {
        k900::encode(TYPE_STRING, self.order(), outer.to_string().as_bytes()).unwrap_or_default()
    }

    fn order(&self) -> LengthOrder {
        if self.le {
            LengthOrder::Little
        } else {
            LengthOrder::Big
        }
    }
}
