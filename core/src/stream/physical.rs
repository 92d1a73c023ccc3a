//! The one camera stream the glasses run, and the cloud streams that share it: one for an
//! unmanaged stream, one or more joined viewers for the managed (shared) stream.

use std::time::{Duration, Instant};

use super::config::StreamConfig;
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
    /// While the start waits for the glasses: when this viewer is told they never came
    /// (each start waits its own deadline, whoever joined before or after).
    pub(crate) wait_deadline: Instant,
    /// Its start's duration limit (rule 6): each viewer of a shared stream has its own.
    pub(crate) duration_limit: Option<Duration>,
    /// From the stream's first `streaming` (or the join, if later): when its limit ends it.
    /// Kept across restarts (the limit counts the whole stream).
    pub(crate) duration_deadline: Option<Instant>,
}

impl Viewer {
    pub(crate) fn new(
        stream_id: String,
        app_id: Option<String>,
        wait_deadline: Instant,
        duration_limit: Option<Duration>,
    ) -> Self {
        Self {
            stream_id,
            app_id,
            cadence: Cadence::default(),
            wait_deadline,
            duration_limit,
            duration_deadline: None,
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
    /// What is (or will be) sent to the glasses (resolved config), kept for a managed restart.
    pub(crate) request: StartStream,
    /// The start went to the glasses; false while it waits for them to connect (rule 16).
    pub(crate) sent: bool,
    /// It waited for the glasses to connect (its start deadline starts over when it goes).
    pub(crate) waited_for_glasses: bool,
    /// A start went out at least once (the glasses may run it even if it is waiting again).
    pub(crate) attempted: bool,
    /// When the first start went out.
    pub(crate) sent_at: Option<Instant>,
    /// Not sent yet because a stop owed to another stream is unconfirmed (the camera may still
    /// be winding it down and would refuse the start as busy): sent once the stops are
    /// confirmed, or at this deadline regardless.
    pub(crate) held_for_stops: Option<Instant>,
    /// The camera refused the start as busy; held until it says what it runs.
    pub(crate) camera_busy: bool,
    /// The busy camera was met once already (the start is retried once only).
    pub(crate) busy_retried: bool,
    /// Until the first `streaming`: when the start fails (`timeout`, or "not connected" while
    /// it waited for glasses that never came).
    pub(crate) start_deadline: Option<Instant>,
    /// It has been `streaming` (the viewers' duration limits are counting).
    pub(crate) went_live: bool,
    /// While stopping: when an unconfirmed stop is reported as done.
    pub(crate) stop_deadline: Option<Instant>,
    /// Why the bridge is stopping it (`None`: the cloud asked).
    pub(crate) stop_reason: Option<StreamProblem>,
    pub(crate) acks: AckWindow,
    /// When the bridge feeds the glasses' watchdog itself next (the requester's keep-alives
    /// have lapsed, or there is no requester).
    pub(crate) bridge_keep_alive_at: Option<Instant>,
    /// The glasses link dropped since the last status; a resync is due.
    pub(crate) link_lost: bool,
    /// Since when the glasses are out of reach (their watchdog then runs unfed).
    pub(crate) unreachable_since: Option<Instant>,
    pub(crate) restarts: u32,
    /// A managed restart waits for the glasses; the cloud hears `initializing` when it goes.
    pub(crate) restart_pending: bool,
    pub(crate) throttled: bool,
    /// How many times the current bitrate change has been sent.
    pub(crate) bitrate_sends: u8,
    /// The video bitrate the start asked for, before any throttling.
    pub(crate) full_bitrate: u32,
}

impl Physical {
    pub(crate) fn has_viewer(&self, stream_id: &str) -> bool {
        self.viewers.iter().any(|v| v.stream_id == stream_id)
    }

    /// Throttles (or restores) the bitrate it runs at; false when it already was so.
    pub(crate) fn set_throttled(&mut self, on: bool, factor: f32) -> bool {
        if self.throttled == on {
            return false;
        }
        self.throttled = on;
        let bitrate = if on {
            throttled_bitrate(self.full_bitrate, factor)
        } else {
            self.full_bitrate
        };
        if let Some(v) = self.request.video.as_mut() {
            v.bitrate_bps = bitrate;
        }
        true
    }

    /// The stream is live: every viewer's duration limit counts from now, unless it already
    /// does (a restart keeps the deadlines).
    pub(crate) fn count_limits(&mut self, now: Instant) {
        self.went_live = true;
        for v in &mut self.viewers {
            if v.duration_deadline.is_none() {
                v.duration_deadline = v.duration_limit.map(|l| now + l);
            }
        }
    }

    /// When the next viewer's duration limit runs out.
    pub(crate) fn duration_deadline(&self) -> Option<Instant> {
        self.viewers
            .iter()
            .filter_map(|v| v.duration_deadline)
            .min()
    }

    /// The glasses' own duration backstop, in seconds (0: none): the longest any viewer has
    /// left, rounded up so it never cuts before the bridge's deadline; none while a viewer
    /// has no limit.
    pub(crate) fn backstop_s(&self, now: Instant) -> u32 {
        let mut longest = Duration::ZERO;
        for v in &self.viewers {
            let left = match (v.duration_deadline, v.duration_limit) {
                (Some(d), _) => d.saturating_duration_since(now),
                (None, Some(l)) => l,
                (None, None) => return 0,
            };
            longest = longest.max(left);
        }
        let secs = longest.as_secs() + u64::from(longest.subsec_nanos() > 0);
        u32::try_from(secs.max(1)).unwrap_or(u32::MAX)
    }

    /// The start to send (again): the same config, with the glasses' backstop set to what is
    /// left of the viewers' limits.
    pub(crate) fn start_request(&self, now: Instant) -> StartStream {
        let mut request = self.request.clone();
        request.duration_limit_s = self.backstop_s(now);
        request
    }

    /// How often the bridge feeds the glasses itself: the fastest cadence any viewer's
    /// requester kept (the configured interval before one was observed), and at least twice
    /// per glasses watchdog.
    pub(crate) fn feed_interval(&self, config: &StreamConfig) -> Duration {
        let assumed = config.bridge_keep_alive_interval;
        self.viewers
            .iter()
            .map(|v| v.cadence.interval(assumed))
            .min()
            .unwrap_or(assumed)
            .min(config.glasses_watchdog / 2)
    }

    /// When the requesters' keep-alives count as lapsed (the bridge then feeds the glasses
    /// itself): `feed_slack` after the next one was due, and never later than half the
    /// glasses' watchdog after the last one (a slow or irregular requester must not let the
    /// watchdog run out). `since` stands in for a requester that has not sent one yet.
    pub(crate) fn lapse_at(&self, config: &StreamConfig, since: Instant) -> Instant {
        let assumed = config.bridge_keep_alive_interval;
        let latest = config.glasses_watchdog / 2;
        let lapse =
            |last: Instant, interval: Duration| last + (interval + config.feed_slack).min(latest);
        self.viewers
            .iter()
            .map(|v| {
                lapse(
                    v.cadence.last().unwrap_or(since),
                    v.cadence.interval(assumed),
                )
            })
            .max()
            .unwrap_or_else(|| lapse(since, assumed))
    }
}

/// The bitrate a hot camera runs at (rule 10).
pub(crate) fn throttled_bitrate(full: u32, factor: f32) -> u32 {
    ((full as f32) * factor) as u32
}
