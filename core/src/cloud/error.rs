//! Errors of the cloud side.

use thiserror::Error;

/// A cloud frame the bridge could not use. Logged and dropped; never fatal.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CloudParseError {
    /// The frame is larger than the bridge accepts.
    #[error("frame of {len} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Frame length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not JSON, or not an object with a string `type`.
    #[error("not a MentraOS message: {0}")]
    NotAMessage(String),
    /// A known `type` whose fields are wrong.
    #[error("bad `{kind}` message: {detail}")]
    BadFields {
        /// The message type.
        kind: &'static str,
        /// What serde said (never contains field values).
        detail: String,
    },
}

/// The cloud client could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CloudError {
    /// The cloud URL is not `ws://` or `wss://` with a host. Fix the configuration.
    #[error("cloud URL must be ws:// or wss:// with a host: {0}")]
    BadUrl(String),
    /// The client's queue is full: it is not keeping up. The message was not queued.
    #[error("cloud client queue is full")]
    QueueFull,
    /// The client has shut down.
    #[error("cloud client has shut down")]
    Closed,
}
