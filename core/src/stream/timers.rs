//! The supervisor's deadlines: one per rule that has a clock, kept in the physical stream's
//! record (or, for the cloud grace, on the supervisor), exposed as the earliest one.

use std::time::Instant;

use tracing::warn;

use super::error::StreamProblem;
use super::status::StreamState;
use super::supervisor::{BRIDGE_ACK_PREFIX, CommandKind, StreamSupervisor};
use crate::wire::proto::{KeepStreamAlive, StopStream, phone_to_glasses};

/// The supervisor's deadlines, for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// A start must reach `streaming` (rule 5).
    StartTimeout,
    /// A stream must stop at its duration limit (rule 6).
    DurationLimit,
    /// A relayed keep-alive must be acknowledged (rule 7).
    KeepAliveAck,
    /// While the cloud is away, the bridge feeds the glasses' watchdog itself (rule 9).
    BridgeKeepAlive,
    /// The cloud has been away for the grace period: stop (rule 9).
    CloudGrace,
    /// A stop must be confirmed; if not, report it done anyway.
    StopTimeout,
}

impl StreamSupervisor {
    /// Which deadline comes next, and when.
    pub fn next_timer(&self) -> Option<(Timer, Instant)> {
        let a = self.active.as_ref()?;
        crate::deadline::earliest([
            (Timer::StartTimeout, a.start_deadline),
            (Timer::DurationLimit, a.duration_deadline),
            (Timer::KeepAliveAck, a.acks.next_deadline()),
            (Timer::BridgeKeepAlive, a.bridge_keep_alive_at),
            (Timer::StopTimeout, a.stop_deadline),
            (Timer::CloudGrace, self.cloud_grace_deadline),
        ])
    }

    /// The earliest deadline; `None` while no timer is armed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer().map(|(_, at)| at)
    }

    /// Fires every expired deadline. Does nothing if nothing has expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due = |at: Option<Instant>| at.is_some_and(|at| at <= now);
        let Some(a) = self.active.as_mut() else {
            return;
        };

        if due(a.stop_deadline) {
            warn!(stream = %a.glasses_id, "glasses did not confirm the stop; reporting it stopped");
            let reason = a.stop_reason.or(Some(StreamProblem::GlassesNoAnswer));
            self.end(StreamState::Stopped, reason, None);
            return;
        }
        if due(a.start_deadline) {
            // Rule 5: no `streaming` in time → timeout to the cloud, stop to the glasses.
            warn!(stream = %a.glasses_id, "start timed out");
            let id = a.glasses_id.clone();
            if self.glasses.ready {
                self.send(
                    &id,
                    CommandKind::Stop,
                    phone_to_glasses::Body::StopStream(StopStream {
                        stream_id: id.clone(),
                    }),
                );
            }
            self.end(StreamState::Error, Some(StreamProblem::StartTimeout), None);
            return;
        }
        if due(a.duration_deadline) {
            // Rule 6.
            a.duration_deadline = None;
            self.begin_stop(now, Some(StreamProblem::DurationLimit));
            return;
        }
        if due(self.cloud_grace_deadline) {
            // Rule 9: no orphan streams.
            self.cloud_grace_deadline = None;
            warn!("cloud unreachable past the grace period; stopping the stream");
            self.begin_stop(now, Some(StreamProblem::CloudLinkLost));
            return;
        }
        let Some(a) = self.active.as_mut() else {
            return;
        };
        if let Some(streak) = a.acks.expire(now, self.config.keep_alive_misses_reported) {
            // Rule 7: reported once per streak; the stream is not stopped for it.
            warn!(stream = %a.glasses_id, streak, "keep-alives unacknowledged");
            let state = a.state;
            self.report_all(
                state,
                Some(StreamProblem::KeepAliveMissed),
                Some(format!(
                    "{streak} keep-alives in a row were not acknowledged"
                )),
                None,
                None,
                None,
            );
        }
        let Some(a) = self.active.as_mut() else {
            return;
        };
        if due(a.bridge_keep_alive_at) {
            a.bridge_keep_alive_at =
                Some(now + a.feed_interval(self.config.bridge_keep_alive_interval));
            self.bridge_ack_seq = self.bridge_ack_seq.wrapping_add(1);
            let id = a.glasses_id.clone();
            if self.glasses.ready {
                let ack_id = format!("{BRIDGE_ACK_PREFIX}{}", self.bridge_ack_seq);
                self.send(
                    &id,
                    CommandKind::KeepAlive,
                    phone_to_glasses::Body::KeepStreamAlive(KeepStreamAlive {
                        stream_id: id.clone(),
                        ack_id,
                    }),
                );
            }
        }
    }
}
