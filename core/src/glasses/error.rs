//! Errors of the glasses side, sorted by fault: link trouble, caller misuse, peer refusal.

use thiserror::Error;

use crate::wire::proto::ErrorCode;

/// A link could not carry a packet.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The link is down; the packet was not sent. The session will be told with `LinkDown`.
    #[error("glasses link is not connected")]
    NotConnected,
    /// The transport failed (BLE write error, socket error). The detail is for logs.
    #[error("glasses link failed: {0}")]
    Io(String),
    /// The link was shut down for good.
    #[error("glasses link closed")]
    Closed,
}

/// A [`crate::glasses::SessionConfig`] value is out of range.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SessionConfigError {
    /// `max_message_size` must be 64..=65535 bytes.
    #[error("max_message_size {0} must be within 64..=65535")]
    MaxMessageSize(usize),
    /// `max_attempts` must be at least 1.
    #[error("max_attempts must be at least 1")]
    MaxAttempts,
    /// A duration is zero, or the liveness timeout is not longer than the ping interval.
    #[error("timer settings are inconsistent: {0}")]
    Timers(&'static str),
}

/// A command could not be queued (the caller's problem, returned at once).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The glasses have not finished the hello exchange; wait for `SessionEvent::Ready`.
    #[error("glasses are not connected")]
    NotReady,
    /// Too many commands await an answer; the glasses are not keeping up. Try again later.
    #[error("too many commands awaiting an answer")]
    Busy,
    /// A field is longer than the firmware's fixed buffer (proto/…/glasses.options).
    #[error("{field} is {len} bytes; the glasses accept at most {max}")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// These glasses have no such command (e.g. a bitrate change on Mentra Live firmware,
    /// which throttles itself).
    #[error("these glasses do not support {what}")]
    Unsupported {
        /// The command.
        what: &'static str,
    },
    /// The encoded command exceeds what the glasses accept.
    #[error("command of {len} bytes exceeds the glasses' {max}-byte limit")]
    TooLarge {
        /// Encoded size.
        len: usize,
        /// The glasses' limit.
        max: usize,
    },
}

/// Why a command sent to the glasses did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CommandFailure {
    /// No answer after every retry.
    #[error("glasses did not answer after {attempts} attempts")]
    NoAnswer {
        /// How many times it was sent.
        attempts: u8,
    },
    /// The link went down before the answer came.
    #[error("glasses link went down before the glasses answered")]
    LinkDown,
    /// It could not be sent at all (glasses not ready, too many pending, too large).
    #[error("command not sent: {0}")]
    NotSent(SessionError),
    /// The glasses refused it.
    #[error("glasses refused the command ({code:?}): {detail}")]
    Rejected {
        /// Their reason, or `None` for a code this version does not know.
        code: Option<ErrorCode>,
        /// Their detail text.
        detail: String,
    },
}
