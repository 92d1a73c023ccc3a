//! K900 framing, the envelope of everything on today's Mentra Live wire
//! (`mentra-live-wire.md` §b): `## type len payload $$`, one frame per BLE write or
//! notification. Encodes with a chosen length byte order; decodes with the receive heuristic
//! every side uses (both orders tried, the one whose end lands on `$$` wins); and splits a byte
//! stream (TCP) back into frames, resyncing on `##` after garbage. No I/O, no allocation beyond
//! the frames themselves.

/// STRING: UTF-8 JSON (C-wrapped, or BES-native).
pub const TYPE_STRING: u8 = 0x30;
/// BLE Wire v2 binary fragment.
pub const TYPE_BINARY: u8 = 0x40;
/// Largest plausible payload the receive heuristic accepts for a STRING frame.
pub const MAX_STRING_PAYLOAD: usize = 512;
/// Framing bytes around a payload: `##`, type, two length bytes, `$$`.
pub const OVERHEAD: usize = 7;

const START: [u8; 2] = *b"##";
const END: [u8; 2] = *b"$$";

/// Byte order of a frame's length field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthOrder {
    /// Legacy BES firmware, and every STRING frame until the link learns better.
    Big,
    /// BLE Wire v2 frames always; STRING frames once `k900_le` or v2 is known.
    Little,
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Type code (`TYPE_STRING`, `TYPE_BINARY`, or a file packet type).
    pub kind: u8,
    /// The byte order its length was read in.
    pub order: LengthOrder,
    /// The payload.
    pub payload: Vec<u8>,
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Fewer than the smallest frame, or no `##` at the start.
    #[error("not a K900 frame (no ## start)")]
    NoStart,
    /// Neither length reading is plausible for the bytes at hand.
    #[error("K900 length implausible for {0} bytes")]
    BadLength(usize),
    /// The payload is longer than a length field can say.
    #[error("payload of {0} bytes does not fit a K900 frame")]
    TooLong(usize),
}

/// Encodes one frame.
pub fn encode(kind: u8, order: LengthOrder, payload: &[u8]) -> Result<Vec<u8>, FrameError> {
    let len = u16::try_from(payload.len()).map_err(|_| FrameError::TooLong(payload.len()))?;
    let mut out = Vec::with_capacity(payload.len() + OVERHEAD);
    out.extend_from_slice(&START);
    out.push(kind);
    match order {
        LengthOrder::Big => out.extend_from_slice(&len.to_be_bytes()),
        LengthOrder::Little => out.extend_from_slice(&len.to_le_bytes()),
    }
    out.extend_from_slice(payload);
    out.extend_from_slice(&END);
    Ok(out)
}

/// Which payload length the bytes at the start of `bytes` declare, and in which order: the
/// receive rule of §b.3. `None` when no reading is plausible yet (or ever).
fn detect(bytes: &[u8]) -> Option<(usize, LengthOrder)> {
    if bytes.len() < OVERHEAD || bytes[..2] != START {
        return None;
    }
    let kind = bytes[2];
    let le = usize::from(u16::from_le_bytes([bytes[3], bytes[4]]));
    let be = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    if kind == TYPE_BINARY {
        // Binary fragments are always little-endian.
        return (le + OVERHEAD <= bytes.len()).then_some((le, LengthOrder::Little));
    }
    let cap = if kind == TYPE_STRING {
        MAX_STRING_PAYLOAD
    } else {
        usize::from(u16::MAX)
    };
    let plausible = |n: usize| n > 0 && n <= cap && n + OVERHEAD <= bytes.len();
    let ends = |n: usize| bytes.get(5 + n..7 + n) == Some(&END[..]);
    match (plausible(le), plausible(be)) {
        (true, true) if le == be => Some((le, LengthOrder::Little)),
        (true, true) if ends(le) => Some((le, LengthOrder::Little)),
        (true, true) if ends(be) => Some((be, LengthOrder::Big)),
        (true, true) if le < be => Some((le, LengthOrder::Little)),
        (true, true) => Some((be, LengthOrder::Big)),
        (true, false) => Some((le, LengthOrder::Little)),
        (false, true) => Some((be, LengthOrder::Big)),
        (false, false) => None,
    }
}

/// Decodes one whole frame (one BLE write or notification).
pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
    if bytes.len() < OVERHEAD || bytes[..2] != START {
        return Err(FrameError::NoStart);
    }
    let (len, order) = detect(bytes).ok_or(FrameError::BadLength(bytes.len()))?;
    Ok(Frame {
        kind: bytes[2],
        order,
        payload: bytes[5..5 + len].to_vec(),
    })
}

/// Splits a byte stream into frames (frames back to back, as on a TCP test link). Bytes that
/// are not a frame are skipped up to the next `##`. Bounded: at most `limit` bytes are held.
#[derive(Debug)]
pub struct FrameStream {
    buf: Vec<u8>,
    limit: usize,
    skipped: usize,
}

impl FrameStream {
    /// A splitter that holds at most `limit` bytes (larger garbage is dropped).
    pub fn new(limit: usize) -> Self {
        Self {
            buf: Vec::new(),
            limit: limit.max(OVERHEAD + MAX_STRING_PAYLOAD),
            skipped: 0,
        }
    }

    /// Adds bytes from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > self.limit {
            let cut = self.buf.len() - self.limit;
            self.buf.drain(..cut);
            self.skipped += cut;
        }
    }

    /// Bytes skipped as garbage so far.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The next whole frame (its bytes, as one BLE packet would carry them), if one is here.
    pub fn next_frame(&mut self) -> Option<Vec<u8>> {
        loop {
            // Resync on `##`.
            match self.buf.windows(2).position(|w| w == START) {
                Some(0) => {}
                Some(at) => {
                    self.buf.drain(..at);
                    self.skipped += at;
                }
                None => {
                    // Keep a trailing '#' that may begin the next start.
                    let keep = usize::from(self.buf.last() == Some(&b'#'));
                    let cut = self.buf.len() - keep;
                    self.skipped += cut;
                    self.buf.drain(..cut);
                    return None;
                }
            }
            if self.buf.len() < 3 {
                return None;
            }
            if !matches!(self.buf[2], 0x30..=0x35 | TYPE_BINARY) {
                // No such type: this `#` was garbage (the next byte may begin the start).
                self.buf.drain(..1);
                self.skipped += 1;
                continue;
            }
            if self.buf.len() < OVERHEAD {
                return None;
            }
            let le = usize::from(u16::from_le_bytes([self.buf[3], self.buf[4]]));
            let be = usize::from(u16::from_be_bytes([self.buf[3], self.buf[4]]));
            let cap = if self.buf[2] == TYPE_STRING {
                MAX_STRING_PAYLOAD
            } else {
                self.limit - OVERHEAD
            };
            let mut readings = vec![le];
            if self.buf[2] != TYPE_BINARY {
                readings.push(be);
            }
            readings.retain(|n| *n > 0 && *n <= cap);
            let ends = |n: usize| self.buf.get(5 + n..7 + n) == Some(&END[..]);
            if let Some(n) = readings.iter().copied().find(|n| ends(*n)) {
                return Some(self.buf.drain(..n + OVERHEAD).collect());
            }
            let waiting = readings.iter().any(|n| self.buf.len() < n + OVERHEAD);
            if waiting {
                return None;
            }
            // No reading can be a frame: this `#` was garbage.
            self.buf.drain(..1);
            self.skipped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_length_orders_round_trip() {
        let payload = br#"{"C":"{\"type\":\"stop_stream\",\"mId\":7}","W":1}"#;
        for order in [LengthOrder::Big, LengthOrder::Little] {
            let frame = encode(TYPE_STRING, order, payload).unwrap();
            assert_eq!(&frame[..3], b"##\x30");
            assert_eq!(&frame[frame.len() - 2..], b"$$");
            let back = decode(&frame).unwrap();
            assert_eq!(back.payload, payload);
            assert_eq!(back.order, order);
        }
    }

    #[test]
    fn the_smaller_reading_wins_when_neither_ends_on_dollars() {
        // Length bytes 0x01 0x02: LE 513 (implausible for STRING), BE 258.
        let mut frame = encode(TYPE_STRING, LengthOrder::Big, &[b'x'; 258]).unwrap();
        assert_eq!(decode(&frame).unwrap().order, LengthOrder::Big);
        // Both plausible, only the LE end lands on $$.
        frame = encode(TYPE_STRING, LengthOrder::Little, &[b'y'; 3]).unwrap();
        assert_eq!(decode(&frame).unwrap().payload, b"yyy");
    }

    #[test]
    fn binary_frames_are_always_little_endian() {
        // The v2 handshake from the spec, byte for byte.
        let hs = [
            0x23, 0x23, 0x40, 0x09, 0x00, 0x0B, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x76, 0x32,
            0x24, 0x24,
        ];
        let f = decode(&hs).unwrap();
        assert_eq!(f.kind, TYPE_BINARY);
        assert_eq!(f.payload.len(), 9);
    }

    #[test]
    fn a_stream_splits_frames_and_resyncs_after_garbage() {
        let a = encode(TYPE_STRING, LengthOrder::Big, b"{\"a\":1}").unwrap();
        let b = encode(TYPE_STRING, LengthOrder::Little, b"{\"b\":2}").unwrap();
        let mut bytes = b"junk#".to_vec();
        bytes.extend_from_slice(&a);
        bytes.extend_from_slice(b"$$##\x30");
        bytes.extend_from_slice(&b);
        let mut s = FrameStream::new(4096);
        // Byte by byte, as a TCP read may deliver them.
        let mut got = Vec::new();
        for byte in &bytes {
            s.push(std::slice::from_ref(byte));
            while let Some(f) = s.next_frame() {
                got.push(decode(&f).unwrap().payload);
            }
        }
        assert_eq!(got, [b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        assert!(s.skipped() > 0);
    }

    #[test]
    fn garbage_never_panics_and_stays_bounded() {
        let mut s = FrameStream::new(600);
        for i in 0..5000u32 {
            s.push(&[(i * 7 % 256) as u8, b'#', b'#', 0x30, 0xff, 0xff]);
            while s.next_frame().is_some() {}
        }
        assert!(s.buf.len() <= 600);
        for len in 0..20 {
            let _ = decode(&vec![b'#'; len]);
        }
    }
}
