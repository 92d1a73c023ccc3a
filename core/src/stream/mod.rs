//! Streams: the [`StreamSupervisor`] machine that turns stream commands into glasses commands
//! and glasses statuses into reports with the stream id intact, and enforces the behaviour
//! contract (DESIGN §5) on the way; plus the pieces it is built from. It speaks the bridge's
//! own types ([`StreamCommand`] in, [`CloudReport`] out, the protobuf model to the glasses):
//! no cloud message name and no cloud JSON reaches it (`cloud/` translates both generations).

mod clamp;
mod cloud_side;
mod command;
mod config;
mod error;
mod glasses_side;
mod health_side;
mod io;
mod keepalive;
mod owed;
mod physical;
mod resolved;
mod resync;
mod status;
mod supervisor;
mod timers;
mod url;

pub use command::{
    CloudReport, IceOptions, KeepAliveRequest, RequestedAudio, RequestedVideo, StartRequest,
    StopRequest, StreamCommand,
};
pub use config::{StreamConfig, StreamConfigError};
pub use error::StreamProblem;
pub use io::{
    CommandKind, GlassesCommand, HealthChange, StreamEvent, StreamInput, StreamOutput, StreamStats,
    StreamUpdate,
};
pub use physical::StreamKind;
pub use resolved::{ResolvedAudio, ResolvedConfig, ResolvedVideo};
pub use status::{StreamState, UnknownStatus};
pub use supervisor::StreamSupervisor;
pub use timers::Timer;
pub use url::{Transport, UrlError, validate_rtmp_url, validate_stream_url};
#[cfg(test)]
pub(crate) use {health_side::BITRATE_SENDS, owed::RESEND_EVERY, resync::STATUS_ASKS};
