//! The bridge's own stream commands and reports: what the supervisor takes in (whoever sent
//! it: either cloud generation, or a local caller) and what it says back for the cloud. No
//! message names and no JSON here; `cloud/` translates both ways.

use crate::redact::Redacted;

use super::io::StreamUpdate;
use super::physical::StreamKind;

/// Video asked for. Numbers are as the requester sent them (they may be fractional or out of
/// range); `None` means "glasses default". The supervisor clamps them to the camera's limits.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RequestedVideo {
    /// Pixels.
    pub width: Option<f64>,
    /// Pixels.
    pub height: Option<f64>,
    /// Bits per second.
    pub bitrate: Option<f64>,
    /// Frames per second.
    pub fps: Option<f64>,
}

/// Audio asked for; `None` means "glasses default".
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RequestedAudio {
    /// Bits per second.
    pub bitrate: Option<f64>,
    /// Hz.
    pub sample_rate: Option<f64>,
    /// Echo cancellation.
    pub echo_cancellation: Option<bool>,
    /// Noise suppression.
    pub noise_suppression: Option<bool>,
}

/// ICE settings for a WHIP (WebRTC) ingest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceOptions {
    /// STUN server the glasses use; `Some("")` means host candidates only (the glasses'
    /// own hotspot); `None` leaves the firmware default.
    pub stun: Option<String>,
}

/// Start a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StartRequest {
    /// The requester's stream id (echoed on every status).
    pub stream_id: String,
    /// The requesting app, when known.
    pub app_id: Option<String>,
    /// Managed (shared, cloud ingest) or unmanaged (exclusive).
    pub kind: StreamKind,
    /// Ingest URL: `rtmp(s)://`, `srt://` or `http(s)://` (WHIP). Holds keys: a secret.
    pub url: Redacted<String>,
    /// Video asked for.
    pub video: RequestedVideo,
    /// Audio asked for.
    pub audio: RequestedAudio,
    /// Seconds after which the stream must stop.
    pub duration_limit_s: Option<f64>,
    /// Start and stop tones on the glasses; `None`: on.
    pub sound: Option<bool>,
    /// WHIP bearer token: a secret.
    pub auth_token: Option<Redacted<String>>,
    /// Capture audio (WHIP override); `None`: firmware default.
    pub capture_audio: Option<bool>,
    /// 1 Hz stream stats from the glasses; `None`: [`super::StreamConfig::telemetry_default`].
    pub telemetry: Option<bool>,
    /// ICE settings for WHIP.
    pub ice: Option<IceOptions>,
    /// Correlation id for diagnostics, passed to the glasses.
    pub trace_id: Option<String>,
}

impl StartRequest {
    /// A start with nothing but an id, an app, a kind and a URL (everything else defaulted).
    pub fn new(
        stream_id: impl Into<String>,
        kind: StreamKind,
        url: impl Into<String>,
    ) -> StartRequest {
        StartRequest {
            stream_id: stream_id.into(),
            app_id: None,
            kind,
            url: Redacted::new(url.into()),
            video: RequestedVideo::default(),
            audio: RequestedAudio::default(),
            duration_limit_s: None,
            sound: None,
            auth_token: None,
            capture_audio: None,
            telemetry: None,
            ice: None,
            trace_id: None,
        }
    }
}

/// Stop a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopRequest {
    /// The stream; `""` when the requester does not know (the running one is meant).
    pub stream_id: String,
}

/// Keep a stream alive; the glasses' ack goes back with both ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepAliveRequest {
    /// The stream.
    pub stream_id: String,
    /// Id the ack must echo.
    pub ack_id: String,
}

/// A camera command for the supervisor.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamCommand {
    /// Start a stream.
    Start(Box<StartRequest>),
    /// Stop a stream.
    Stop(StopRequest),
    /// Keep a stream alive.
    KeepAlive(KeepAliveRequest),
}

/// What the supervisor tells the cloud (in the cloud's own generation, rendered by `cloud/`).
#[derive(Debug, Clone, PartialEq)]
pub enum CloudReport {
    /// A stream's state, with its id always.
    Status {
        /// The update, as the UI also gets it.
        update: StreamUpdate,
        /// The app that asked for the stream, when known.
        app_id: Option<String>,
    },
    /// The glasses acknowledged a keep-alive.
    KeepAliveAck {
        /// The requester's stream id.
        stream_id: String,
        /// The requester's ack id.
        ack_id: String,
    },
}
