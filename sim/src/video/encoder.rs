//! What the simulated firmware asks of its video encoder and what the encoder tells it back.
//! The firmware stays sans-IO: it emits [`EncoderCommand`]s and takes [`EncoderEvent`]s; the
//! runner hands them to a real encoder ([`super::FfmpegEncoder`]).

use mentra_bridge::Redacted;
use mentra_bridge::wire::proto::{AudioConfig, VideoConfig};

use super::progress::EncoderProgress;

/// Start pushing a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeRequest {
    /// Which run this is; events name it, so late events of an earlier run are told apart.
    pub run: u64,
    /// Where to push (holds the stream key).
    pub url: Redacted<String>,
    /// Resolution, bitrate and frame rate the glasses resolved.
    pub video: VideoConfig,
    /// Audio bitrate and sample rate the glasses resolved.
    pub audio: AudioConfig,
}

/// What the firmware asks of the encoder.
#[derive(Debug, Clone, PartialEq)]
pub enum EncoderCommand {
    /// Start a run (ending any earlier one).
    Start(EncodeRequest),
    /// End this run cleanly.
    Stop {
        /// The run to end.
        run: u64,
    },
}

/// What the encoder reports.
#[derive(Debug, Clone, PartialEq)]
pub enum EncoderEvent {
    /// A measurement; the first one means the ingest accepted the connection.
    Progress {
        /// The run measured.
        run: u64,
        /// What was measured.
        progress: EncoderProgress,
    },
    /// The run is over and its process is gone.
    Exited {
        /// The run that ended.
        run: u64,
        /// Why.
        exit: EncoderExit,
    },
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum EncoderExit {
    /// It was asked to stop.
    Stopped,
    /// It failed; the cause in the encoder's words, without the URL ("Connection refused").
    Failed(String),
}
