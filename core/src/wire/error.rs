//! Errors and drop reasons of the wire layer, sorted by who is at fault.

use thiserror::Error;

/// A framing limit was misused by the caller (checked once, when set).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FramerError {
    /// The ATT MTU is below the BLE minimum of 23. Use the MTU the link reports after service
    /// discovery, or 23 if it reports nothing.
    #[error("MTU {0} is below the BLE minimum of 23")]
    MtuTooSmall(u16),
    /// The message is larger than the limit agreed in the hello exchange; split the content
    /// or raise `max_message_size` on both sides.
    #[error("message of {len} bytes exceeds the {max}-byte limit")]
    MessageTooLarge {
        /// Body length.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// The maximum message size is outside 1..=65535 bytes.
    #[error("maximum message size {0} is outside 1..=65535")]
    BadMaxMessage(usize),
}

/// Why the reassembler dropped bytes. The partial message (if any) is gone; the next message
/// that starts cleanly is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DropReason {
    /// A packet was lost: the sequence number jumped.
    #[error("sequence gap: expected {expected}, got {got}")]
    Gap {
        /// The sequence number we waited for.
        expected: u8,
        /// The one that came.
        got: u8,
    },
    /// The previous packet came again.
    #[error("duplicate packet {seq}")]
    Duplicate {
        /// Its sequence number.
        seq: u8,
    },
    /// An older packet arrived late (reordered); it was ignored.
    #[error("late packet {seq}")]
    Reordered {
        /// Its sequence number.
        seq: u8,
    },
    /// A new message started before the previous one ended.
    #[error("new message started before the previous one ended")]
    Interrupted,
    /// The declared length is larger than the agreed maximum, or the body ran past it.
    #[error("message of {declared} bytes exceeds the {max}-byte limit")]
    Overflow {
        /// Bytes declared or received.
        declared: usize,
        /// The limit in force.
        max: usize,
    },
    /// The END flag and the declared length disagree.
    #[error("end flag and declared length disagree")]
    LengthMismatch,
    /// The rest of the message did not come in time.
    #[error("partial message timed out")]
    Timeout,
    /// The packet is too short for its header or uses flags this version does not know.
    #[error("malformed packet: {0}")]
    Malformed(&'static str),
}

/// A whole message arrived but is not a valid envelope.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not a protobuf envelope of this schema.
    #[error("not a valid envelope: {0}")]
    Malformed(String),
    /// The envelope decoded but carries no body this version knows (a newer peer): ignore it.
    #[error("envelope {message_id} has no body this version knows")]
    UnknownBody {
        /// Its message id, so the peer can be answered.
        message_id: u32,
    },
}
