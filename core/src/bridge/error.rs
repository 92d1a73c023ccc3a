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
    /// No glasses are connected: connect them, then try again.
    #[error("no glasses are connected")]
    GlassesNotConnected,
    /// The glasses link is not encrypted, so Wi-Fi credentials were not sent. Pair (bond) the
    /// glasses first, or explicitly allow an unencrypted link.
    #[error(
        "the glasses link is not encrypted: pair the glasses first, or explicitly allow sending the password unencrypted"
    )]
    UnencryptedLink,
    /// A value the caller gave is not acceptable; the message says which and why.
    #[error("{0}")]
    InvalidArgument(&'static str),
    /// The glasses refused or did not answer; the detail says which.
    #[error("the glasses did not do it: {0}")]
    Glasses(String),
    /// No answer in time.
    #[error("no answer from the glasses within {0} s")]
    Timeout(u64),
    /// The bridge has stopped.
    #[error("the bridge has stopped")]
    Stopped,
}
