//! The configuration the camera actually runs with, as reported back to the requester (rule 2).

use super::url::Transport;
use crate::wire::proto;

/// Video the camera runs with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolvedVideo {
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Bits per second.
    pub bitrate: u32,
    /// Frames per second.
    pub fps: u32,
}

/// Audio the camera runs with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolvedAudio {
    /// Bits per second.
    pub bitrate: u32,
    /// Hz.
    pub sample_rate: u32,
}

/// The config after clamping to the glasses' limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolvedConfig {
    /// How the glasses push it, when known.
    pub transport: Option<Transport>,
    /// Video.
    pub video: ResolvedVideo,
    /// Audio.
    pub audio: ResolvedAudio,
}

impl ResolvedConfig {
    /// From the protobuf configs.
    pub fn from_wire(
        transport: Option<Transport>,
        video: &proto::VideoConfig,
        audio: &proto::AudioConfig,
    ) -> Self {
        Self {
            transport,
            video: ResolvedVideo {
                width: video.width,
                height: video.height,
                bitrate: video.bitrate_bps,
                fps: video.fps,
            },
            audio: ResolvedAudio {
                bitrate: audio.bitrate_bps,
                sample_rate: audio.sample_rate_hz,
            },
        }
    }

    /// What a start asked the camera for.
    pub(crate) fn of_request(request: &proto::StartStream) -> Self {
        Self::from_wire(
            Transport::from_wire(request.transport).or(Some(Transport::Rtmp)),
            &request.video.unwrap_or_default(),
            &request.audio.unwrap_or_default(),
        )
    }
}
