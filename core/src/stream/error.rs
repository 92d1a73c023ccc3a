//! Why a stream failed, as a stable machine code plus a sentence a user can act on. The same
//! reason goes to the UI and to the cloud (`errorCode`, `errorDetails`).

use crate::wire::proto::StreamErrorCode;

/// A stream problem the user should hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamProblem {
    /// The ingest URL is malformed for its transport (no host, no path, no port…).
    InvalidUrl,
    /// The ingest URL's scheme is none of rtmp(s)://, srt://, http(s)://.
    UnknownProtocol,
    /// The start named no ingest URL.
    MissingUrl,
    /// The glasses cannot push this transport (they did not declare it).
    TransportUnsupported,
    /// Another stream holds the camera.
    AlreadyStreaming,
    /// No glasses are connected to the phone.
    GlassesNotConnected,
    /// The glasses speak a protocol version this app does not.
    GlassesIncompatible,
    /// A newer start replaced this one before it began.
    Superseded,
    /// The glasses are not on Wi-Fi.
    NoWifi,
    /// The glasses could not reach the ingest server.
    RtmpConnectFailed,
    /// The camera is taking a photo or recording.
    CameraBusy,
    /// The glasses stopped because keep-alives stopped arriving.
    KeepAliveTimeout,
    /// The encoder failed on the glasses.
    EncoderFailed,
    /// The glasses gave up reconnecting to the ingest.
    ReconnectExhausted,
    /// The glasses are too hot.
    Overheated,
    /// The glasses' battery is too low.
    BatteryLow,
    /// The stream reached its duration limit.
    DurationLimit,
    /// The glasses refused the command.
    GlassesRejected,
    /// The glasses did not answer the command.
    GlassesNoAnswer,
    /// The glasses were asked to stop a stream that is not running.
    NotStreaming,
    /// The glasses reported a status this version does not know.
    UnknownStatus,
    /// Something went wrong on the glasses that they did not explain.
    Internal,
    /// No `streaming` status arrived within the start timeout.
    StartTimeout,
    /// An unmanaged start while the shared (managed) stream runs.
    ManagedStreamActive,
    /// The cloud was unreachable for longer than the grace period.
    CloudLinkLost,
    /// The glasses link dropped and the stream did not survive it.
    GlassesLinkLost,
    /// Several keep-alives in a row went unacknowledged (a warning; the stream goes on).
    KeepAliveMissed,
    /// The battery is low (a warning).
    BatteryLowWarning,
    /// The glasses are warm (a warning).
    ThermalWarning,
    /// The glasses are hot: the bitrate was lowered.
    ThermalThrottle,
    /// The glasses ended the stream: the app stopped answering their controller probes
    /// (Mentra Live firmware, 10 s after the last answer — the app was suspended or killed).
    ControllerLost,
    /// The glasses ended or refused the stream: their link to the phone was gone too long.
    PhoneLinkLost,
}

impl StreamProblem {
    /// True for problems that inform but do not end a stream.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            Self::KeepAliveMissed
                | Self::BatteryLowWarning
                | Self::ThermalWarning
                | Self::ThermalThrottle
        )
    }

    /// Stable machine code (MentraOS's where one exists).
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidUrl => "invalid_url",
            Self::UnknownProtocol => "unknown_stream_url_protocol",
            Self::MissingUrl => "missing_stream_url",
            Self::TransportUnsupported => "transport_unsupported",
            Self::AlreadyStreaming => "already_streaming",
            Self::GlassesNotConnected => "glasses_not_connected",
            Self::GlassesIncompatible => "glasses_incompatible",
            Self::Superseded => "superseded",
            Self::NoWifi => "no_wifi_connection",
            Self::RtmpConnectFailed => "rtmp_connection_failed",
            Self::CameraBusy => "camera_busy",
            Self::KeepAliveTimeout => "keep_alive_timeout",
            Self::EncoderFailed => "encoder_failed",
            Self::ReconnectExhausted => "reconnect_failed",
            Self::Overheated => "overheated",
            Self::BatteryLow => "battery_low",
            Self::DurationLimit => "duration_limit",
            Self::GlassesRejected => "glasses_rejected",
            Self::GlassesNoAnswer => "glasses_no_answer",
            Self::NotStreaming => "not_streaming",
            Self::UnknownStatus => "unknown_status",
            Self::Internal => "internal_error",
            Self::StartTimeout => "start_timeout",
            Self::ManagedStreamActive => "managed_stream_active",
            Self::CloudLinkLost => "cloud_link_lost",
            Self::GlassesLinkLost => "glasses_link_lost",
            Self::KeepAliveMissed => "keep_alive_missed",
            Self::BatteryLowWarning => "battery_low_warning",
            Self::ThermalWarning => "thermal_warning",
            Self::ThermalThrottle => "thermal_throttle",
            Self::ControllerLost => "controller_lost",
            Self::PhoneLinkLost => "phone_link_lost",
        }
    }

    /// A sentence for the user: what happened and what to do.
    pub fn message(self) -> &'static str {
        match self {
            Self::InvalidUrl => {
                "Invalid URL: check the stream address (rtmp(s):// and https:// need a server and a path, srt:// a server and a port)"
            }
            Self::UnknownProtocol => {
                "Unknown stream URL protocol: the stream address must start with rtmp://, rtmps://, srt://, http:// or https://"
            }
            Self::MissingUrl => "No stream address was given: the app must name where to stream",
            Self::TransportUnsupported => {
                "These glasses cannot stream with this protocol: update the glasses, or use an rtmp:// address"
            }
            Self::AlreadyStreaming => {
                "Already streaming: stop the current stream before starting a new one"
            }
            Self::GlassesNotConnected => {
                "Glasses are not connected to the phone: turn them on and bring them close, then start again"
            }
            Self::GlassesIncompatible => {
                "These glasses and this app speak different protocol versions: update the app and the glasses' firmware, then start again"
            }
            Self::Superseded => "A newer start replaced this one before it began",
            Self::NoWifi => "Glasses are not on Wi-Fi: connect them to a network, then start again",
            Self::RtmpConnectFailed => {
                "The glasses could not reach the streaming server: check the address and the glasses' internet connection"
            }
            Self::CameraBusy => {
                "The camera is busy taking a photo or video: wait for it to finish, then start again"
            }
            Self::KeepAliveTimeout => {
                "The stream stopped because the phone lost contact with the cloud"
            }
            Self::EncoderFailed => "The glasses' video encoder failed: restart the stream",
            Self::ReconnectExhausted => {
                "The glasses lost the streaming server and could not reconnect: check the network, then start again"
            }
            Self::Overheated => "The glasses are too hot: let them cool down, then start again",
            Self::BatteryLow => "The glasses' battery is too low: charge them, then start again",
            Self::DurationLimit => "The stream reached its time limit and was stopped",
            Self::GlassesRejected => {
                "The glasses refused the request: update the glasses, or try a lower quality"
            }
            Self::GlassesNoAnswer => {
                "The glasses did not answer: check they are on and close to the phone"
            }
            Self::NotStreaming => "The glasses were not streaming",
            Self::UnknownStatus => {
                "The glasses reported a status this app does not understand: update the app"
            }
            Self::Internal => "The glasses hit an internal error: restart the stream",
            Self::StartTimeout => {
                "The stream did not start within the time limit: check the glasses' Wi-Fi and the streaming server, then start again"
            }
            Self::ManagedStreamActive => {
                "Cannot start: managed stream active. Stop the shared stream before starting your own"
            }
            Self::CloudLinkLost => {
                "The stream stopped because the phone lost the cloud for too long: check the phone's internet connection"
            }
            Self::GlassesLinkLost => {
                "The stream ended while the glasses were disconnected from the phone: start it again"
            }
            Self::KeepAliveMissed => {
                "The glasses are not confirming that the stream is alive: keep them close to the phone"
            }
            Self::BatteryLowWarning => "The glasses' battery is low: charge them soon",
            Self::ThermalWarning => "The glasses are getting warm",
            Self::ThermalThrottle => {
                "The glasses are hot: video quality was lowered to cool them down"
            }
            Self::ControllerLost => {
                "The glasses stopped the stream because the app stopped answering them: keep the app open while streaming, then start again"
            }
            Self::PhoneLinkLost => {
                "The glasses stopped the stream because they lost the phone's Bluetooth: keep them close to the phone, then start again"
            }
        }
    }

    /// The problem behind a glasses error code; `None` for `NONE` or a code we do not know.
    pub fn from_wire(code: i32) -> Option<Self> {
        use StreamErrorCode as C;
        Some(match C::try_from(code).ok()? {
            C::None => return None,
            C::NoWifi => Self::NoWifi,
            C::RtmpConnectFailed => Self::RtmpConnectFailed,
            C::CameraBusy => Self::CameraBusy,
            C::InvalidUrl => Self::InvalidUrl,
            C::AlreadyStreaming => Self::AlreadyStreaming,
            C::NotStreaming => Self::NotStreaming,
            C::KeepAliveTimeout => Self::KeepAliveTimeout,
            C::EncoderFailed => Self::EncoderFailed,
            C::ReconnectExhausted => Self::ReconnectExhausted,
            C::Overheated => Self::Overheated,
            C::BatteryLow => Self::BatteryLow,
            C::DurationLimit => Self::DurationLimit,
            C::Internal => Self::Internal,
            C::UnsupportedTransport => Self::TransportUnsupported,
            C::ControllerLost => Self::ControllerLost,
            C::PhoneLinkLost => Self::PhoneLinkLost,
        })
    }
}

impl std::fmt::Display for StreamProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}
