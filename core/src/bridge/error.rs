//! Errors returned by the bridge's own methods (the caller's to fix). Failures caused by the
//! cloud or the glasses are events, not errors.

use thiserror::Error;

use crate::cloud::CloudError;
use crate::glasses::SessionConfigError;
use crate::health::HealthConfigError;
use crate::stream::StreamConfigError;

/// The bridge could not start or do what was asked.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// The cloud settings are wrong (e.g. the URL is not ws:// or wss://).
    #[error("cloud settings: {0}")]
    Cloud(#[from] CloudError),
    /// The session settings are out of range.
    #[error("glasses session settings: {0}")]
    Session(#[from] SessionConfigError),
    /// The stream settings are out of range.
    #[error("stream settings: {0}")]
    Stream(#[from] StreamConfigError),
    /// The health thresholds are inconsistent.
    #[error("health thresholds: {0}")]
    Health(#[from] HealthConfigError),
    /// `worker_threads` must be 1 or 2, `event_capacity` at least 1.
    #[error("bridge settings: {0}")]
    Config(&'static str),
    /// The bridge's runtime could not be created (out of threads or memory).
    #[error("cannot start the bridge runtime: {0}")]
    Runtime(String),
    /// The bridge has stopped.
    #[error("the bridge has stopped")]
    Stopped,
}
