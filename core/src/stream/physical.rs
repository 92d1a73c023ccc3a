//! The one camera stream the glasses run, and the cloud streams that share it: one for an
//! unmanaged stream, one or more joined viewers for the managed (shared) stream.

use std::time::{Duration, Instant};

use super::error::StreamProblem;
use super::keepalive::{AckWindow, Cadence};
use super::status::StreamState;
use crate::wire::proto::StartStream;

/// Managed (shared, cloud ingest) or unmanaged (exclusive, the app's own URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// Shared: later managed starts join it.
    Managed,
    /// Exclusive.
    Unmanaged,
}

/// A cloud stream riding on the physical stream.
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    pub(crate) stream_id: String,
    pub(crate) app_id: Option<String>,
    /// How often its requester sends keep-alives.
    pub(crate) cadence: Cadence,
}

impl Viewer {
    pub(crate) fn new(stream_id: String, app_id: Option<String>) -> Self {
        Self {
            stream_id,
            app_id,
            cadence: Cadence::default(),
        }
    }
}

/// The physical stream and its per-stream deadlines.
#[derive(Debug, Clone)]
pub(crate) struct Physical {
    /// The id the glasses know it by (the first viewer's).
    pub(crate) glasses_id: String,
    pub(crate) kind: StreamKind,
    pub(crate) viewers: Vec<Viewer>,
    pub(crate) state: StreamState,
    /// What was sent to the glasses (resolved config), kept for a managed restart.
    pub(crate) request: StartStream,
    /// Until the first `streaming`: when the start fails with `timeout`.
    pub(crate) start_deadline: Option<Instant>,
    pub(crate) duration_limit: Option<Duration>,
    /// From the first `streaming`: when the duration limit stops it.
    pub(crate) duration_deadline: Option<Instant>,
    /// While stopping: when an unconfirmed stop is reported as done.
    pub(crate) stop_deadline: Option<Instant>,
    /// Why the bridge is stopping it (`None`: the cloud asked).
    pub(crate) stop_reason: Option<StreamProblem>,
    /// A stop the glasses have not been sent yet (the link was down).
    pub(crate) stop_pending: bool,
    pub(crate) acks: AckWindow,
    /// While the cloud is away: when the bridge feeds the glasses' watchdog next.
    pub(crate) bridge_keep_alive_at: Option<Instant>,
    /// The glasses link dropped since the last status; a resync is due.
    pub(crate) link_lost: bool,
    pub(crate) restarts: u32,
    pub(crate) throttled: bool,
}

impl Physical {
    pub(crate) fn has_viewer(&self, stream_id: &str) -> bool {
        self.viewers.iter().any(|v| v.stream_id == stream_id)
    }

    pub(crate) fn video_bitrate(&self) -> u32 {
        self.request.video.map(|v| v.bitrate_bps).unwrap_or(0)
    }

    /// How often the bridge feeds the glasses itself: the fastest cadence any viewer's
    /// requester kept, or `assumed` before one was observed.
    pub(crate) fn feed_interval(&self, assumed: Duration) -> Duration {
        self.viewers
            .iter()
            .map(|v| v.cadence.interval(assumed))
            .min()
            .unwrap_or(assumed)
    }
}
