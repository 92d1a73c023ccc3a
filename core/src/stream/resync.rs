//! How the supervisor finds its footing again after the glasses conversation broke: the
//! resync question after a relink (asked again while unanswered), a start that goes back to
//! waiting when its glasses leave, and a start that met a busy camera. It sends only through
//! the supervisor's command queue.

use std::time::Instant;

use tracing::{info, warn};

use super::error::StreamProblem;
use super::io::{CommandKind, StreamUpdate};
use super::status::StreamState;
use super::supervisor::StreamSupervisor;
use crate::wire::proto::{GetStreamStatus, phone_to_glasses};

impl StreamSupervisor {
    /// A start that went out but is not live yet loses its glasses: it waits for them again,
    /// a full start deadline, and goes out once more when they are back (or is adopted, if
    /// they turn out to run it). Every viewer hears why.
    pub(crate) fn back_to_waiting(&mut self, now: Instant, why: &str) {
        let wait = now + self.config.start_timeout;
        let Some(a) = self.active.as_mut() else {
            return;
        };
        // The camera may have gone live unheard: the limits count from the start, to be safe.
        if let Some(sent_at) = a.sent_at.filter(|_| !a.went_live) {
            a.count_limits(sent_at);
        }
        a.sent = false;
        a.waited_for_glasses = true;
        a.held_for_stops = None;
        a.state = StreamState::Initializing;
        a.start_deadline = Some(wait);
        for v in &mut a.viewers {
            v.wait_deadline = wait;
        }
        info!(stream = %a.glasses_id, "{why}");
        let viewers: Vec<_> = a
            .viewers
            .iter()
            .map(|v| (v.stream_id.clone(), v.app_id.clone()))
            .collect();
        for (id, app) in viewers {
            let mut update = StreamUpdate::new(id, StreamState::Initializing);
            update.detail = Some(why.to_owned());
            self.report(update, app);
        }
    }

    /// Asks the glasses what their camera runs (the resync of rule 8).
    pub(crate) fn ask_status(&mut self) {
        self.status_asks = self.status_asks.saturating_add(1);
        self.status_asked_about = self
            .active
            .as_ref()
            .filter(|a| a.sent)
            .map(|a| a.glasses_id.clone());
        let about = self.status_asked_about.clone().unwrap_or_default();
        self.send(
            &about,
            CommandKind::Status,
            phone_to_glasses::Body::GetStreamStatus(GetStreamStatus {}),
        );
    }

    /// Our start met a busy camera: unless it was retried already, it goes back to waiting
    /// (for the camera's answer about what it runs, and any stop that follows), within the
    /// stop timeout. True when it will be retried.
    pub(crate) fn camera_busy_retry(&mut self, now: Instant) -> bool {
        let hold = now + self.config.stop_timeout;
        let Some(a) = self.active.as_mut() else {
            return false;
        };
        if a.busy_retried || a.start_deadline.is_none() || a.viewers.is_empty() {
            return false;
        }
        info!(stream = %a.glasses_id, "the camera is busy; stopping what it runs, then retrying");
        a.busy_retried = true;
        a.sent = false;
        // The retry gets the camera its own time to go live.
        a.waited_for_glasses = true;
        a.camera_busy = true;
        a.held_for_stops = Some(hold);
        a.start_deadline = Some(a.start_deadline.map_or(hold, |d| d.max(hold)));
        self.ask_status();
        true
    }

    /// The resync question went unanswered: ask again a few times; then a stream still
    /// waiting to hear whether it survived the relink ends, rather than reconnect forever.
    pub(crate) fn status_unanswered(&mut self, now: Instant) {
        let resyncing = self.active.as_ref().is_some_and(|a| a.sent && a.link_lost);
        if !self.glasses.ready || !resyncing {
            return;
        }
        if self.status_asks < STATUS_ASKS {
            self.ask_status();
            return;
        }
        let Some(id) = self.active.as_ref().map(|a| a.glasses_id.clone()) else {
            return;
        };
        warn!(stream = %id, "the glasses never said whether the stream survived the relink");
        self.end(
            now,
            StreamState::Error,
            Some(StreamProblem::GlassesNoAnswer),
            Some("the glasses did not say whether the stream survived the relink".into()),
        );
        self.owe_stop(now, &id);
    }
}

/// How many times the resync question is asked before the stream is given up.
pub(crate) const STATUS_ASKS: u8 = 3;
