//! Splits a message into packets of at most `min(MTU − 3, 512)` bytes, each with a header of
//! start/end flags and a per-direction sequence number. The MTU is checked once, here.

use super::error::FramerError;
use super::{FLAG_END, FLAG_START, HEADER_LEN, LENGTH_LEN, MAX_PACKET, MIN_MTU};

/// The sending half of the packet framing for one direction of one link.
///
/// Create it when the link comes up (sequence numbers start at 0 on every connect) and call
/// [`Framer::split`] for each message, in the order they must go on the air.
#[derive(Debug, Clone)]
pub struct Framer {
    packet_size: usize,
    max_message: usize,
    next_seq: u8,
}

impl Framer {
    /// A framer for a link with this ATT MTU and this largest message (body bytes).
    pub fn new(mtu: u16, max_message: usize) -> Result<Self, FramerError> {
        if mtu < MIN_MTU {
            return Err(FramerError::MtuTooSmall(mtu));
        }
        if max_message == 0 || max_message > super::ABSOLUTE_MAX_MESSAGE {
            return Err(FramerError::BadMaxMessage(max_message));
        }
        Ok(Self {
            packet_size: (usize::from(mtu) - 3).min(MAX_PACKET),
            max_message,
            next_seq: 0,
        })
    }

    /// Follows an ATT MTU change on a live connection: later packets use the new size, and
    /// the sequence number goes on (the peer's reassembler sees nothing new).
    pub fn set_mtu(&mut self, mtu: u16) -> Result<(), FramerError> {
        if mtu < MIN_MTU {
            return Err(FramerError::MtuTooSmall(mtu));
        }
        self.packet_size = (usize::from(mtu) - 3).min(MAX_PACKET);
        Ok(())
    }

    /// Largest packet this framer produces, header included.
    pub fn packet_size(&self) -> usize {
        self.packet_size
    }

    /// Largest message this framer accepts.
    pub fn max_message(&self) -> usize {
        self.max_message
    }

    /// Changes the largest message accepted (after the hello exchange agreed on one), keeping
    /// the sequence number.
    pub fn set_max_message(&mut self, max_message: usize) -> Result<(), FramerError> {
        if max_message == 0 || max_message > super::ABSOLUTE_MAX_MESSAGE {
            return Err(FramerError::BadMaxMessage(max_message));
        }
        self.max_message = max_message;
        Ok(())
    }

    /// Number of packets `len` body bytes take. A message that fits one packet carries no
    /// length field (the packet's own length says it).
    pub fn packet_count(&self, len: usize) -> usize {
        if len <= self.packet_size - HEADER_LEN {
            return 1;
        }
        let first = self.packet_size - HEADER_LEN - LENGTH_LEN;
        1 + (len - first).div_ceil(self.packet_size - HEADER_LEN)
    }

    /// Splits `message` into packets and advances the sequence number past them.
    #[must_use = "the packets must be sent, in order"]
    pub fn split<'a>(&mut self, message: &'a [u8]) -> Result<Packets<'a>, FramerError> {
        if message.len() > self.max_message {
            return Err(FramerError::MessageTooLarge {
                len: message.len(),
                max: self.max_message,
            });
        }
        let count = self.packet_count(message.len());
        let first_seq = self.next_seq;
        // `count` is at most 65535 / 18 + 1, but the sequence wraps by design.
        self.next_seq = self.next_seq.wrapping_add((count % 256) as u8);
        Ok(Packets {
            message,
            packet_size: self.packet_size,
            offset: 0,
            index: 0,
            count,
            first_seq,
        })
    }
}

/// The packets of one message, in order. An exact-size iterator of owned packets.
#[derive(Debug)]
#[must_use = "the packets must be sent, in order"]
pub struct Packets<'a> {
    message: &'a [u8],
    packet_size: usize,
    offset: usize,
    index: usize,
    count: usize,
    first_seq: u8,
}

impl Iterator for Packets<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.index >= self.count {
            return None;
        }
        let first = self.index == 0;
        let last = self.index + 1 == self.count;
        let with_length = first && !last;
        let header = HEADER_LEN + if with_length { LENGTH_LEN } else { 0 };
        let take = (self.packet_size - header).min(self.message.len() - self.offset);
        let mut packet = Vec::with_capacity(header + take);
        let mut flags = 0;
        if first {
            flags |= FLAG_START;
        }
        if last {
            flags |= FLAG_END;
        }
        packet.push(flags);
        packet.push(self.first_seq.wrapping_add((self.index % 256) as u8));
        if with_length {
            // invariant: split() refused messages over max_message <= u16::MAX.
            let len = u16::try_from(self.message.len()).unwrap_or(u16::MAX);
            packet.extend_from_slice(&len.to_le_bytes());
        }
        packet.extend_from_slice(&self.message[self.offset..self.offset + take]);
        self.offset += take;
        self.index += 1;
        Some(packet)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.count - self.index;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Packets<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtu_is_checked_once() {
        assert_eq!(
            Framer::new(22, 100).err(),
            Some(FramerError::MtuTooSmall(22))
        );
        assert!(Framer::new(23, 100).is_ok());
        assert_eq!(
            Framer::new(23, 0).err(),
            Some(FramerError::BadMaxMessage(0))
        );
    }

    #[test]
    fn packets_respect_mtu_and_cap_at_512() {
        for (mtu, size) in [
            (23u16, 20usize),
            (185, 182),
            (247, 244),
            (517, 512),
            (1000, 512),
        ] {
            let mut f = Framer::new(mtu, 4096).unwrap();
            assert_eq!(f.packet_size(), size);
            let msg = vec![7u8; 3000];
            let packets: Vec<_> = f.split(&msg).unwrap().collect();
            assert!(packets.iter().all(|p| p.len() <= size));
            assert_eq!(packets.len(), f.packet_count(3000));
        }
    }

    #[test]
    fn header_layout_start_len_end_seq() {
        let mut f = Framer::new(23, 4096).unwrap();
        let msg: Vec<u8> = (0..30).collect();
        let packets: Vec<_> = f.split(&msg).unwrap().collect();
        assert_eq!(packets.len(), 2);
        assert_eq!(&packets[0][..4], &[FLAG_START, 0, 30, 0]);
        assert_eq!(&packets[0][4..], &msg[..16]);
        assert_eq!(&packets[1][..2], &[FLAG_END, 1]);
        assert_eq!(&packets[1][2..], &msg[16..]);
        // the next message continues the sequence; a one-packet message has no length field
        let next: Vec<_> = f.split(&[1]).unwrap().collect();
        assert_eq!(next[0], vec![FLAG_START | FLAG_END, 2, 1]);
        // 18 bytes fit one packet at MTU 23, 19 do not
        assert_eq!(f.packet_count(18), 1);
        assert_eq!(f.packet_count(19), 2);
    }

    #[test]
    fn oversized_message_is_refused() {
        let mut f = Framer::new(247, 10).unwrap();
        assert_eq!(
            f.split(&[0; 11]).err(),
            Some(FramerError::MessageTooLarge { len: 11, max: 10 })
        );
    }

    #[test]
    fn empty_message_is_one_packet() {
        let mut f = Framer::new(23, 10).unwrap();
        let p: Vec<_> = f.split(&[]).unwrap().collect();
        assert_eq!(p, vec![vec![FLAG_START | FLAG_END, 0]]);
    }
}
