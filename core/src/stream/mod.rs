//! Streams: the [`StreamSupervisor`] machine that turns cloud commands into glasses commands
//! and glasses statuses into cloud statuses with the stream id intact, plus the pieces it is
//! built from: status normalisation ([`StreamState`]), URL checks, and user-facing reasons.

mod error;
mod status;
mod supervisor;
mod url;

pub use error::StreamProblem;
pub use status::{StreamState, UnknownStatus};
pub use supervisor::{
    CommandKind, GlassesCommand, MANAGED_APP_ID, StreamEvent, StreamInput, StreamOutput,
    StreamStats, StreamSupervisor, StreamUpdate,
};
pub use url::{UrlError, validate_rtmp_url};
