//! BLE Wire v2 (`mentra-live-wire.md` §f.1–f.2): a message as K900 type 0x40 binary fragments
//! (`flags, msgId, fragIdx, fragCount, payloadLen, payload`, all little-endian), the `v2`
//! handshake frame, and the two reassemblers of the wire: the phone's (fragments stored by
//! index, complete when all are here) and the glasses' (strictly in order, 4096-byte cap).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::k900::{self, LengthOrder, TYPE_BINARY};

/// Fragment 0.
pub const FLAG_FIRST: u8 = 0x01;
/// The final fragment.
pub const FLAG_LAST: u8 = 0x02;
/// First fragment of a message that must wake the glasses' SoC.
pub const FLAG_WAKE: u8 = 0x04;
/// The `v2` handshake.
pub const FLAG_HANDSHAKE: u8 = 0x08;
/// Final fragment of an mId-tracked phone message (informational).
pub const FLAG_ACK_REQUESTED: u8 = 0x10;

/// Payload bytes per fragment from the phone (frames ≤ 494 bytes).
pub const PHONE_FRAGMENT_PAYLOAD: usize = 480;
/// Payload bytes per fragment from the glasses (frames ≤ 240 bytes).
pub const GLASSES_FRAGMENT_PAYLOAD: usize = 226;
/// The glasses' reassembly cap.
pub const GLASSES_REASSEMBLY_CAP: usize = 4096;
/// Reassembly timeout, both ends.
pub const REASSEMBLY_TIMEOUT: Duration = Duration::from_secs(30);
/// Sessions held at once, both ends.
pub const MAX_SESSIONS: usize = 10;

/// One fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// `FLAG_*` bits.
    pub flags: u8,
    /// The message's 16-bit id (truncated mId, or a counter).
    pub msg_id: u16,
    /// 0-based index.
    pub index: u8,
    /// Fragments in the message (1–255).
    pub count: u8,
    /// Its bytes.
    pub payload: Vec<u8>,
}

impl Fragment {
    /// True for the `v2` handshake.
    pub fn is_handshake(&self) -> bool {
        self.flags & FLAG_HANDSHAKE != 0
    }

    /// The K900 frame carrying it.
    pub fn encode(&self) -> Vec<u8> {
        let mut inner = Vec::with_capacity(7 + self.payload.len());
        inner.push(self.flags);
        inner.extend_from_slice(&self.msg_id.to_le_bytes());
        inner.push(self.index);
        inner.push(self.count);
        let len = u16::try_from(self.payload.len()).unwrap_or(u16::MAX);
        inner.extend_from_slice(&len.to_le_bytes());
        inner.extend_from_slice(&self.payload[..usize::from(len)]);
        // Fragments are at most 480 bytes of payload: always fits.
        k900::encode(TYPE_BINARY, LengthOrder::Little, &inner).unwrap_or_default()
    }

    /// Reads a fragment from a type 0x40 frame's payload (the K900 inner bytes).
    pub fn decode(inner: &[u8]) -> Option<Self> {
        if inner.len() < 7 {
            return None;
        }
        let len = usize::from(u16::from_le_bytes([inner[5], inner[6]]));
        if 7 + len > inner.len() || inner[4] == 0 {
            return None;
        }
        Some(Self {
            flags: inner[0],
            msg_id: u16::from_le_bytes([inner[1], inner[2]]),
            index: inner[3],
            count: inner[4],
            payload: inner[7..7 + len].to_vec(),
        })
    }
}

/// The handshake frame: `23 23 40 09 00 0B 00 00 00 01 02 00 76 32 24 24` from the phone.
pub fn handshake(msg_id: u16) -> Vec<u8> {
    Fragment {
        flags: FLAG_FIRST | FLAG_LAST | FLAG_HANDSHAKE,
        msg_id,
        index: 0,
        count: 1,
        payload: b"v2".to_vec(),
    }
    .encode()
}

/// The frames of one message, `piece` bytes of payload each (`PHONE_FRAGMENT_PAYLOAD` or
/// `GLASSES_FRAGMENT_PAYLOAD`). `None` when it needs more than 255 fragments.
pub fn split(
    payload: &[u8],
    msg_id: u16,
    wake: bool,
    tracked: bool,
    piece: usize,
) -> Option<Vec<Vec<u8>>> {
    let pieces: Vec<&[u8]> = if payload.is_empty() {
        vec![&[][..]]
    } else {
        payload.chunks(piece.max(1)).collect()
    };
    let count = u8::try_from(pieces.len()).ok()?;
    Some(
        pieces
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let last = i + 1 == usize::from(count);
                let mut flags = 0;
                if i == 0 {
                    flags |= FLAG_FIRST;
                    if wake {
                        flags |= FLAG_WAKE;
                    }
                }
                if last {
                    flags |= FLAG_LAST;
                    if tracked {
                        flags |= FLAG_ACK_REQUESTED;
                    }
                }
                Fragment {
                    flags,
                    msg_id,
                    index: u8::try_from(i).unwrap_or(u8::MAX),
                    count,
                    payload: p.to_vec(),
                }
                .encode()
            })
            .collect(),
    )
}

/// How a reassembler takes fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The phone: by index, in any order, complete when all are here.
    AnyOrder,
    /// The glasses: index 0 restarts, anything but the next index drops the message; capped.
    InOrder,
}

#[derive(Debug)]
struct Session {
    msg_id: u16,
    count: u8,
    parts: Vec<Option<Vec<u8>>>,
    next: u8,
    bytes: usize,
    started: Instant,
}

/// Puts fragments back together. Bounded: [`MAX_SESSIONS`] sessions.
#[derive(Debug)]
pub struct Reassembler {
    order: Order,
    sessions: VecDeque<Session>,
}

impl Reassembler {
    /// A reassembler of the given kind.
    pub fn new(order: Order) -> Self {
        Self {
            order,
            sessions: VecDeque::new(),
        }
    }

    /// A fragment arrived; returns the message once it is whole.
    pub fn push(&mut self, now: Instant, f: Fragment) -> Option<Vec<u8>> {
        self.sessions
            .retain(|s| now.saturating_duration_since(s.started) < REASSEMBLY_TIMEOUT);
        if f.count == 0 || f.index >= f.count {
            return None;
        }
        if f.count == 1 {
            self.sessions.retain(|s| s.msg_id != f.msg_id);
            return Some(f.payload);
        }
        let found = self.sessions.iter().position(|s| s.msg_id == f.msg_id);
        let restart = match found {
            Some(i) => {
                self.sessions[i].count != f.count || (self.order == Order::InOrder && f.index == 0)
            }
            None => true,
        };
        if restart {
            if let Some(i) = found {
                self.sessions.remove(i);
            }
            if self.order == Order::InOrder && f.index != 0 {
                return None;
            }
            if self.sessions.len() >= MAX_SESSIONS {
                self.sessions.pop_front();
            }
            self.sessions.push_back(Session {
                msg_id: f.msg_id,
                count: f.count,
                parts: vec![None; usize::from(f.count)],
                next: 0,
                bytes: 0,
                started: now,
            });
        }
        let at = self.sessions.iter().position(|s| s.msg_id == f.msg_id)?;
        let s = &mut self.sessions[at];
        if self.order == Order::InOrder {
            if f.index != s.next || s.bytes + f.payload.len() > GLASSES_REASSEMBLY_CAP {
                self.sessions.remove(at);
                return None;
            }
            s.next = s.next.saturating_add(1);
        }
        s.bytes += f.payload.len();
        s.parts[usize::from(f.index)] = Some(f.payload);
        let done = match self.order {
            Order::AnyOrder => s.parts.iter().all(Option::is_some),
            Order::InOrder => f.flags & FLAG_LAST != 0 && s.next == s.count,
        };
        if done {
            let s = self.sessions.remove(at)?;
            return Some(s.parts.into_iter().flatten().flatten().collect());
        }
        None
    }

    /// Forgets everything (a new wire epoch).
    pub fn clear(&mut self) {
        self.sessions.clear();
    }

    /// Sessions in progress.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// True when none is in progress.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(frame: &[u8]) -> Fragment {
        Fragment::decode(&k900::decode(frame).unwrap().payload).unwrap()
    }

    #[test]
    fn the_handshake_is_byte_exact() {
        assert_eq!(
            handshake(0),
            [
                0x23, 0x23, 0x40, 0x09, 0x00, 0x0B, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x76, 0x32,
                0x24, 0x24
            ]
        );
        assert!(frag(&handshake(0)).is_handshake());
    }

    #[test]
    fn fragments_carry_their_flags() {
        let frames = split(&[7u8; 1000], 0x1234, true, true, PHONE_FRAGMENT_PAYLOAD).unwrap();
        assert_eq!(frames.len(), 3);
        let f: Vec<Fragment> = frames.iter().map(|f| frag(f)).collect();
        assert_eq!(f[0].flags, FLAG_FIRST | FLAG_WAKE);
        assert_eq!(f[1].flags, 0);
        assert_eq!(f[2].flags, FLAG_LAST | FLAG_ACK_REQUESTED);
        assert!(frames.iter().all(|fr| fr.len() <= 494));
        assert_eq!(f[2].msg_id, 0x1234);
    }

    #[test]
    fn the_phone_reassembles_out_of_order_and_survives_loss() {
        let msg: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
        let frames = split(&msg, 9, false, false, GLASSES_FRAGMENT_PAYLOAD).unwrap();
        let now = Instant::now();
        let mut r = Reassembler::new(Order::AnyOrder);
        let mut order: Vec<usize> = (0..frames.len()).rev().collect();
        // Lose fragment 3 on the first pass: nothing completes.
        order.retain(|i| *i != 3);
        for i in &order {
            assert_eq!(r.push(now, frag(&frames[*i])), None);
        }
        // The sender retries the whole message: it completes, once (the rest of the retry
        // opens a session that times out).
        let mut done = Vec::new();
        for f in &frames {
            if let Some(m) = r.push(now, frag(f)) {
                done.push(m);
            }
        }
        assert_eq!(done, std::slice::from_ref(&msg));
        assert_eq!(r.len(), 1);
        assert_eq!(r.push(now + REASSEMBLY_TIMEOUT, frag(&frames[0])), None);
        assert_eq!(
            r.len(),
            1,
            "the stale session was dropped, a new one opened"
        );
    }

    #[test]
    fn the_glasses_drop_a_message_whose_fragments_come_out_of_order() {
        let frames = split(&[1u8; 600], 5, false, false, 226).unwrap();
        let now = Instant::now();
        let mut r = Reassembler::new(Order::InOrder);
        assert_eq!(r.push(now, frag(&frames[0])), None);
        assert_eq!(r.push(now, frag(&frames[2])), None, "dropped");
        assert_eq!(r.push(now, frag(&frames[1])), None, "no session left");
        let whole: Vec<_> = frames.iter().filter_map(|f| r.push(now, frag(f))).collect();
        assert_eq!(whole.len(), 1);
        // Over the cap: dropped.
        let big = split(&[1u8; 5000], 6, false, false, 226).unwrap();
        assert!(big.iter().all(|f| r.push(now, frag(f)).is_none()));
    }

    #[test]
    fn bad_fragments_are_refused() {
        assert!(
            Fragment::decode(&[0, 0, 0, 0, 0, 0, 0]).is_none(),
            "count 0"
        );
        assert!(
            Fragment::decode(&[0, 0, 0, 0, 1, 9, 0]).is_none(),
            "length past the end"
        );
        let mut r = Reassembler::new(Order::AnyOrder);
        let bad = Fragment {
            flags: 0,
            msg_id: 1,
            index: 4,
            count: 2,
            payload: vec![],
        };
        assert_eq!(r.push(Instant::now(), bad), None);
    }
}
