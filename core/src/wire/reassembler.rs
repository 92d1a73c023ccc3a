//! Joins packets back into messages for one direction of one link. Drops a partial message on
//! a gap, duplicate, interruption, overflow, length mismatch or timeout, and resyncs on the next
//! start. Incomplete is not an error: it simply produces nothing yet.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::error::DropReason;
use super::{FLAG_END, FLAG_RESERVED, FLAG_START, HEADER_LEN, LENGTH_LEN};

/// How far behind the expected sequence number a packet may be and still count as a
/// duplicate or late packet (ignored) rather than a jump after loss (resync). Loss of more
/// than 256 − 16 packets in a row on one connection is the only case this misreads.
const STALE_WINDOW: u8 = 16;

/// What the reassembler produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Reassembled {
    /// A whole message body, exactly as it was split.
    Message(Vec<u8>),
    /// Bytes were thrown away; the reason says why.
    Dropped(DropReason),
}

/// Counters for diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReassemblerStats {
    /// Messages delivered.
    pub messages: u64,
    /// Drops reported.
    pub drops: u64,
    /// Continuation packets ignored because their message was already dropped.
    pub orphans: u64,
}

#[derive(Debug)]
struct Partial {
    body: Vec<u8>,
    declared: usize,
    deadline: Instant,
}

/// The receiving half of the packet framing (sans-IO).
///
/// Feed packets with [`Reassembler::handle_packet`], drain [`Reassembler::poll_output`], and
/// call [`Reassembler::handle_timeout`] at [`Reassembler::poll_timeout`]. Call
/// [`Reassembler::reset`] on every (re)connect.
#[derive(Debug)]
pub struct Reassembler {
    max_message: usize,
    timeout: Duration,
    expected_seq: Option<u8>,
    partial: Option<Partial>,
    out: VecDeque<Reassembled>,
    stats: ReassemblerStats,
}

impl Reassembler {
    /// A reassembler that accepts messages up to `max_message` bytes and gives a partial
    /// message `timeout` to complete.
    pub fn new(max_message: usize, timeout: Duration) -> Self {
        Self {
            max_message,
            timeout,
            expected_seq: None,
            partial: None,
            out: VecDeque::with_capacity(2),
            stats: ReassemblerStats::default(),
        }
    }

    /// Forgets everything: call when the link (re)connects, where sequence numbers restart.
    pub fn reset(&mut self) {
        self.expected_seq = None;
        self.partial = None;
        self.out.clear();
    }

    /// Counters since creation.
    pub fn stats(&self) -> ReassemblerStats {
        self.stats
    }

    /// Feeds one packet as received from the link.
    pub fn handle_packet(&mut self, now: Instant, packet: &[u8]) {
        let (Some(&flags), Some(&seq)) = (packet.first(), packet.get(1)) else {
            self.drop_partial_and_report(DropReason::Malformed("packet shorter than header"));
            return;
        };
        if flags & FLAG_RESERVED != 0 {
            self.drop_partial_and_report(DropReason::Malformed("reserved flag bits set"));
            return;
        }
        if let Some(expected) = self.expected_seq {
            let behind = expected.wrapping_sub(seq);
            if behind != 0 && behind <= STALE_WINDOW {
                // A packet we already passed: a duplicate or a late (reordered) one. It is
                // ignored, and a message in progress can no longer be trusted, so it goes too.
                let reason = if behind == 1 {
                    DropReason::Duplicate { seq }
                } else {
                    DropReason::Reordered { seq }
                };
                self.drop_partial_and_report(reason);
                return;
            }
            if seq != expected {
                // Packets were lost: resync on this one.
                self.drop_partial_and_report(DropReason::Gap { expected, got: seq });
            }
        }
        self.expected_seq = Some(seq.wrapping_add(1));

        let mut body = &packet[HEADER_LEN..];
        if flags & FLAG_START != 0 {
            if self.partial.take().is_some() {
                self.report(DropReason::Interrupted);
            }
            if flags & FLAG_END != 0 {
                // A whole message in one packet: no length field.
                if body.len() > self.max_message {
                    self.report(DropReason::Overflow {
                        declared: body.len(),
                        max: self.max_message,
                    });
                } else {
                    self.stats.messages += 1;
                    self.out.push_back(Reassembled::Message(body.to_vec()));
                }
                return;
            }
            let Some(len_bytes) = body.get(..LENGTH_LEN) else {
                self.report(DropReason::Malformed("start packet without length"));
                return;
            };
            let declared = usize::from(u16::from_le_bytes([len_bytes[0], len_bytes[1]]));
            body = &body[LENGTH_LEN..];
            if declared > self.max_message {
                self.report(DropReason::Overflow {
                    declared,
                    max: self.max_message,
                });
                return;
            }
            self.partial = Some(Partial {
                body: Vec::with_capacity(declared),
                declared,
                deadline: now + self.timeout,
            });
        }
        let Some(partial) = self.partial.as_mut() else {
            self.stats.orphans += 1;
            return;
        };
        if partial.body.len() + body.len() > partial.declared {
            let (declared, max) = (partial.body.len() + body.len(), partial.declared);
            self.partial = None;
            self.report(DropReason::Overflow { declared, max });
            return;
        }
        partial.body.extend_from_slice(body);
        let complete = partial.body.len() == partial.declared;
        let end = flags & FLAG_END != 0;
        match (complete, end) {
            (true, true) => {
                if let Some(done) = self.partial.take() {
                    self.stats.messages += 1;
                    self.out.push_back(Reassembled::Message(done.body));
                }
            }
            (false, false) => {}
            _ => {
                self.partial = None;
                self.report(DropReason::LengthMismatch);
            }
        }
    }

    /// Drops a partial message whose time is up. Does nothing if nothing has expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.partial.as_ref().is_some_and(|p| now >= p.deadline) {
            self.partial = None;
            self.report(DropReason::Timeout);
        }
    }

    /// The next output, if any.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Reassembled> {
        self.out.pop_front()
    }

    /// When the partial message in progress times out; `None` when none is in progress.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.partial.as_ref().map(|p| p.deadline)
    }

    /// True while a message is half-received.
    pub fn in_progress(&self) -> bool {
        self.partial.is_some()
    }

    fn drop_partial_and_report(&mut self, reason: DropReason) {
        self.partial = None;
        self.report(reason);
    }

    fn report(&mut self, reason: DropReason) {
        self.stats.drops += 1;
        // Bounded: at most a few outputs are queued per packet and the caller drains after each.
        if self.out.len() < 64 {
            self.out.push_back(Reassembled::Dropped(reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Framer;

    fn drain(r: &mut Reassembler) -> Vec<Reassembled> {
        std::iter::from_fn(|| r.poll_output()).collect()
    }

    fn packets(f: &mut Framer, msg: &[u8]) -> Vec<Vec<u8>> {
        f.split(msg).unwrap().collect()
    }

    #[test]
    fn joins_a_split_message() {
        let now = Instant::now();
        let mut f = Framer::new(23, 4096).unwrap();
        let mut r = Reassembler::new(4096, Duration::from_secs(2));
        let msg: Vec<u8> = (0..=255).collect();
        for p in packets(&mut f, &msg) {
            r.handle_packet(now, &p);
        }
        assert_eq!(drain(&mut r), vec![Reassembled::Message(msg)]);
    }

    #[test]
    fn gap_drops_partial_and_next_message_gets_through() {
        let now = Instant::now();
        let mut f = Framer::new(23, 4096).unwrap();
        let mut r = Reassembler::new(4096, Duration::from_secs(2));
        let a = packets(&mut f, &[1; 60]);
        let b = packets(&mut f, &[2; 10]);
        r.handle_packet(now, &a[0]);
        r.handle_packet(now, &a[2]); // a[1] lost
        r.handle_packet(now, &a[3]);
        for p in &b {
            r.handle_packet(now, p);
        }
        let out = drain(&mut r);
        assert_eq!(
            out,
            vec![
                Reassembled::Dropped(DropReason::Gap {
                    expected: 1,
                    got: 2
                }),
                Reassembled::Message(vec![2; 10])
            ]
        );
        assert_eq!(r.stats().orphans, 2);
    }

    #[test]
    fn duplicate_is_never_delivered_twice() {
        let now = Instant::now();
        let mut f = Framer::new(247, 4096).unwrap();
        let mut r = Reassembler::new(4096, Duration::from_secs(2));
        let a = packets(&mut f, &[1; 5]);
        r.handle_packet(now, &a[0]);
        r.handle_packet(now, &a[0]);
        assert_eq!(
            drain(&mut r),
            vec![
                Reassembled::Message(vec![1; 5]),
                Reassembled::Dropped(DropReason::Duplicate { seq: 0 })
            ]
        );
    }

    #[test]
    fn oversized_declared_length_is_refused() {
        let now = Instant::now();
        let mut f = Framer::new(247, 4096).unwrap();
        let mut r = Reassembler::new(100, Duration::from_secs(2));
        for p in packets(&mut f, &[0; 200]) {
            r.handle_packet(now, &p);
        }
        assert_eq!(
            drain(&mut r),
            vec![Reassembled::Dropped(DropReason::Overflow {
                declared: 200,
                max: 100
            })]
        );
    }

    #[test]
    fn partial_times_out_and_timer_is_only_armed_while_partial() {
        let t0 = Instant::now();
        let mut f = Framer::new(23, 4096).unwrap();
        let mut r = Reassembler::new(4096, Duration::from_secs(2));
        assert_eq!(r.poll_timeout(), None);
        let a = packets(&mut f, &[1; 60]);
        r.handle_packet(t0, &a[0]);
        assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(2)));
        r.handle_timeout(t0 + Duration::from_secs(1));
        assert!(
            drain(&mut r).is_empty(),
            "an early timeout call does nothing"
        );
        r.handle_timeout(t0 + Duration::from_secs(2));
        assert_eq!(
            drain(&mut r),
            vec![Reassembled::Dropped(DropReason::Timeout)]
        );
        assert_eq!(r.poll_timeout(), None);
    }

    #[test]
    fn hostile_packets_never_panic() {
        let now = Instant::now();
        let mut r = Reassembler::new(64, Duration::from_secs(2));
        for p in [
            &[][..],
            &[1],
            &[0x80, 0],
            &[FLAG_START, 0],
            &[FLAG_START, 1, 5],
            &[FLAG_START, 2, 3, 0, 1, 2, 3, 4],
            &[FLAG_END, 3, 9],
            &[FLAG_START, 4, 0xff, 0xff],
        ] {
            r.handle_packet(now, p);
        }
        assert!(
            drain(&mut r)
                .iter()
                .all(|o| matches!(o, Reassembled::Dropped(_)))
        );
    }

    #[test]
    fn end_before_length_is_a_mismatch() {
        let now = Instant::now();
        let mut r = Reassembler::new(64, Duration::from_secs(2));
        r.handle_packet(now, &[FLAG_START, 0, 5, 0, 1, 2]);
        r.handle_packet(now, &[FLAG_END, 1, 3]);
        assert_eq!(
            drain(&mut r),
            vec![Reassembled::Dropped(DropReason::LengthMismatch)]
        );
    }

    #[test]
    fn single_packet_message_over_the_limit_is_refused() {
        let now = Instant::now();
        let mut r = Reassembler::new(4, Duration::from_secs(2));
        r.handle_packet(now, &[FLAG_START | FLAG_END, 0, 1, 2, 3, 4, 5]);
        assert_eq!(
            drain(&mut r),
            vec![Reassembled::Dropped(DropReason::Overflow {
                declared: 5,
                max: 4
            })]
        );
    }
}
