//! Streams: the [`StreamSupervisor`] machine that turns cloud commands into glasses commands
//! and glasses statuses into cloud statuses with the stream id intact, and enforces the
//! behaviour contract (DESIGN §5) on the way; plus the pieces it is built from.

mod clamp;
mod cloud_side;
mod config;
mod error;
mod glasses_side;
mod keepalive;
mod physical;
mod status;
mod supervisor;
mod timers;
mod url;

pub use config::{StreamConfig, StreamConfigError};
pub use error::StreamProblem;
pub use physical::StreamKind;
pub use status::{StreamState, UnknownStatus};
pub use supervisor::{
    CommandKind, GlassesCommand, HealthChange, MANAGED_APP_ID, StreamEvent, StreamInput,
    StreamOutput, StreamStats, StreamSupervisor, StreamUpdate,
};
pub use timers::Timer;
pub use url::{UrlError, validate_rtmp_url};
