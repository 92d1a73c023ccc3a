//! The stream status vocabulary: every status word seen in the field maps to one canonical
//! [`StreamState`]; a word nobody knows is an error, never `active` (DESIGN §5 rule 11).

use thiserror::Error;

use crate::wire::proto;

/// Canonical stream state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamState {
    /// Asked for; the camera and encoder are starting or connecting to the ingest.
    Initializing,
    /// Live.
    Streaming,
    /// The ingest connection dropped; the glasses are retrying.
    Reconnecting,
    /// The ingest connection is back.
    Reconnected,
    /// The glasses gave up reconnecting (terminal).
    ReconnectFailed,
    /// Being stopped.
    Stopping,
    /// Stopped (terminal).
    Stopped,
    /// Failed (terminal); the reason travels with it.
    Error,
    /// The glasses have no stream (answer to a status request).
    Idle,
}

/// A status word or wire value this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("Unknown stream status: {0}")]
pub struct UnknownStatus(pub String);

impl StreamState {
    /// Maps a MentraOS status word (any spelling seen in the field) to its canonical state.
    pub fn from_word(word: &str) -> Result<Self, UnknownStatus> {
        Ok(match word.trim().to_ascii_lowercase().as_str() {
            "initializing" | "starting" | "connecting" => Self::Initializing,
            "streaming" | "active" | "streaming_started" => Self::Streaming,
            "reconnecting" => Self::Reconnecting,
            "reconnected" => Self::Reconnected,
            "reconnect_failed" => Self::ReconnectFailed,
            "stopping" => Self::Stopping,
            "stopped" | "not_streaming" | "disconnected" | "timeout" => Self::Stopped,
            "error" | "error_not_streaming" => Self::Error,
            _ => return Err(UnknownStatus(word.chars().take(64).collect())),
        })
    }

    /// Maps the protobuf enum value; unknown and unspecified values are errors.
    pub fn from_wire(value: i32) -> Result<Self, UnknownStatus> {
        use proto::StreamState as W;
        Ok(match W::try_from(value) {
            Ok(W::Initializing) => Self::Initializing,
            Ok(W::Streaming) => Self::Streaming,
            Ok(W::Reconnecting) => Self::Reconnecting,
            Ok(W::Reconnected) => Self::Reconnected,
            Ok(W::ReconnectFailed) => Self::ReconnectFailed,
            Ok(W::Stopping) => Self::Stopping,
            Ok(W::Stopped) => Self::Stopped,
            Ok(W::Error) => Self::Error,
            Ok(W::Idle) => Self::Idle,
            Ok(W::Unspecified) | Err(_) => return Err(UnknownStatus(value.to_string())),
        })
    }

    /// The protobuf value for this state.
    pub fn to_wire(self) -> proto::StreamState {
        use proto::StreamState as W;
        match self {
            Self::Initializing => W::Initializing,
            Self::Streaming => W::Streaming,
            Self::Reconnecting => W::Reconnecting,
            Self::Reconnected => W::Reconnected,
            Self::ReconnectFailed => W::ReconnectFailed,
            Self::Stopping => W::Stopping,
            Self::Stopped => W::Stopped,
            Self::Error => W::Error,
            Self::Idle => W::Idle,
        }
    }

    /// The MentraOS status word for this state (what the cloud and today's firmware write).
    pub fn word(self) -> &'static str {
        match self {
            Self::Initializing => "initializing",
            Self::Streaming => "streaming",
            Self::Reconnecting => "reconnecting",
            Self::Reconnected => "reconnected",
            Self::ReconnectFailed => "reconnect_failed",
            Self::Stopping => "stopping",
            Self::Stopped | Self::Idle => "stopped",
            Self::Error => "error",
        }
    }

    /// True for states after which the stream no longer exists.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Stopped | Self::Error | Self::ReconnectFailed | Self::Idle
        )
    }
}

impl std::fmt::Display for StreamState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Idle => "idle",
            other => other.word(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_through_the_wire() {
        for s in [
            StreamState::Initializing,
            StreamState::Streaming,
            StreamState::Reconnecting,
            StreamState::Reconnected,
            StreamState::ReconnectFailed,
            StreamState::Stopping,
            StreamState::Stopped,
            StreamState::Error,
            StreamState::Idle,
        ] {
            assert_eq!(StreamState::from_wire(s.to_wire() as i32), Ok(s));
        }
        assert!(StreamState::from_wire(0).is_err());
        assert!(StreamState::from_wire(99).is_err());
    }
}
