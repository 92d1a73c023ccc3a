//! The supervisor's deadlines: one per rule that has a clock, kept in the physical stream's
//! record (or, for the cloud grace and owed stops, on the supervisor), exposed as the earliest.

use std::time::Instant;

use tracing::warn;

use super::error::StreamProblem;
use super::io::StreamUpdate;
use super::io::{BRIDGE_ACK_PREFIX, CommandKind};
use super::keepalive::AckWindow;
use super::physical::{Physical, StreamKind};
use super::status::StreamState;
use super::supervisor::StreamSupervisor;
use crate::wire::proto::{KeepStreamAlive, phone_to_glasses};

/// The supervisor's deadlines, for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// A start must reach `streaming` (rule 5), or its glasses must come (rule 16).
    StartTimeout,
    /// A start held behind a stopping stream must begin (rule 16).
    HeldStartTimeout,
    /// A stream must stop at its duration limit (rule 6).
    DurationLimit,
    /// A relayed keep-alive must be acknowledged (rule 7).
    KeepAliveAck,
    /// The requester's keep-alives lapsed: the bridge feeds the glasses' watchdog (rule 9).
    BridgeKeepAlive,
    /// The cloud has been away for the grace period: stop (rule 9).
    CloudGrace,
    /// A stop must be confirmed; if not, report it done anyway (it stays owed).
    StopTimeout,
    /// An unconfirmed stop is sent again (rule 15).
    StopResend,
    /// The glasses stayed out of reach past their own watchdog: the stream has ended on them
    /// (rule 8), so `reconnecting` is not left standing.
    ReconnectBound,
    /// A start held for owed stops goes regardless (rule 4).
    HeldForStops,
}

impl StreamSupervisor {
    /// Which deadline comes next, and when.
    pub fn next_timer(&self) -> Option<(Timer, Instant)> {
        let a = self.active.as_ref();
        crate::deadline::earliest([
            (Timer::StartTimeout, a.and_then(|a| a.start_deadline)),
            (
                Timer::HeldStartTimeout,
                self.next.as_ref().and_then(|n| n.start_deadline),
            ),
            (
                Timer::DurationLimit,
                a.filter(|a| a.state != StreamState::Stopping)
                    .and_then(Physical::duration_deadline),
            ),
            (Timer::KeepAliveAck, a.and_then(|a| a.acks.next_deadline())),
            (
                Timer::BridgeKeepAlive,
                a.and_then(|a| a.bridge_keep_alive_at),
            ),
            (Timer::StopTimeout, a.and_then(|a| a.stop_deadline)),
            (
                Timer::HeldForStops,
                a.filter(|a| !a.sent).and_then(|a| a.held_for_stops),
            ),
            (
                Timer::ReconnectBound,
                a.and_then(|a| self.reconnect_bound(a)),
            ),
            (Timer::CloudGrace, a.and(self.cloud_grace_deadline)),
            (
                Timer::StopResend,
                self.glasses
                    .ready
                    .then(|| self.owed.next_resend())
                    .flatten(),
            ),
        ])
    }

    /// When a stream that lost its glasses is given up: once their watchdog has run out.
    fn reconnect_bound(&self, a: &super::physical::Physical) -> Option<Instant> {
        let since = a.unreachable_since?;
        (a.state == StreamState::Reconnecting)
            .then(|| since + self.config.glasses_watchdog + super::supervisor::WATCHDOG_MARGIN)
    }

    /// The earliest deadline; `None` while no timer is armed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer().map(|(_, at)| at)
    }

    /// Fires every expired deadline. Does nothing if nothing has expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due = |at: Option<Instant>| at.is_some_and(|at| at <= now);
        if self.glasses.ready && due(self.owed.next_resend()) {
            self.send_owed_stops(now, false);
        }
        if self.next.as_ref().is_some_and(|n| due(n.start_deadline)) {
            // Rule 16: the stream in front never stopped in time.
            if let Some(next) = self.next.take() {
                let problem = if self.glasses.ready {
                    StreamProblem::StartTimeout
                } else {
                    StreamProblem::GlassesNotConnected
                };
                for v in next.viewers {
                    self.refuse(now, &v.stream_id, v.app_id, problem, None);
                }
            }
        }
        let reconnect_bound = self.active.as_ref().and_then(|a| self.reconnect_bound(a));
        let Some(a) = self.active.as_mut() else {
            if due(self.cloud_grace_deadline) {
                // Nothing to stop: the grace has nothing left to guard.
                self.cloud_grace_deadline = None;
            }
            return;
        };

        if due(a.stop_deadline) {
            let reason = a.stop_reason.or(Some(StreamProblem::GlassesNoAnswer));
            let detail = a.unreachable_since.map(|_| {
                "the glasses were out of reach; their own watchdog has ended the stream".to_owned()
            });
            warn!(stream = %a.glasses_id, "stop not confirmed; reporting it stopped (still owed)");
            self.end(now, StreamState::Stopped, reason, detail);
            return;
        }
        if due(a.held_for_stops.filter(|_| !a.sent)) {
            self.send_start(now);
            return;
        }
        if due(reconnect_bound) {
            // Rule 8: their watchdog has ended the stream; say so rather than reconnect forever.
            warn!(stream = %a.glasses_id, "glasses out of reach past their watchdog");
            if a.kind == StreamKind::Managed && a.restarts < self.config.managed_restarts {
                // A managed stream is started again when they come back, if they come within
                // the start deadline (rule 8 and 16).
                let wait = now + self.config.start_timeout;
                a.restarts += 1;
                a.request = a.start_request(now);
                a.sent = false;
                a.waited_for_glasses = true;
                a.restart_pending = true;
                a.link_lost = false;
                a.unreachable_since = None;
                a.state = StreamState::Initializing;
                a.start_deadline = Some(wait);
                a.acks = AckWindow::new(self.config.keep_alive_window);
                for v in &mut a.viewers {
                    v.wait_deadline = wait;
                }
                self.report_all(
                    StreamState::Initializing,
                    None,
                    Some(
                        "the glasses were away past their watchdog; restarting when they return"
                            .into(),
                    ),
                    None,
                    None,
                    None,
                );
                return;
            }
            let id = a.glasses_id.clone();
            let detail = format!(
                "the glasses were out of reach for over {} s; their watchdog has ended the stream",
                self.config.glasses_watchdog.as_secs()
            );
            self.end(
                now,
                StreamState::Error,
                Some(StreamProblem::GlassesLinkLost),
                Some(detail),
            );
            self.owe_stop(now, &id);
            return;
        }
        let Some(a) = self.active.as_mut() else {
            return;
        };
        if due(a.start_deadline) {
            if !a.sent && a.viewers.iter().any(|v| v.wait_deadline > now) {
                // Rule 16: those who waited their full deadline hear the glasses never came;
                // the others keep waiting.
                let (gone, waiting): (Vec<_>, Vec<_>) =
                    a.viewers.drain(..).partition(|v| v.wait_deadline <= now);
                a.viewers = waiting;
                a.start_deadline = a.viewers.iter().map(|v| v.wait_deadline).min();
                let mut renamed = None;
                if let Some(first) = a.viewers.first() {
                    // Not sent yet: the glasses will know it by a viewer that still waits.
                    if a.glasses_id != first.stream_id {
                        let old = std::mem::replace(&mut a.glasses_id, first.stream_id.clone());
                        renamed = a.attempted.then_some(old);
                        a.attempted = false;
                    }
                    a.request.stream_id = first.stream_id.clone();
                }
                if let Some(old) = renamed {
                    self.owe_stop(now, &old);
                }
                for v in gone {
                    self.refuse(
                        now,
                        &v.stream_id,
                        v.app_id,
                        StreamProblem::GlassesNotConnected,
                        None,
                    );
                }
                return;
            }
            if !a.sent {
                // Rule 16: the glasses never came (a start that went out before they left is
                // owed a stop by `end`).
                let (problem, detail) = match self.glasses.incompatible {
                    Some(v) => (
                        StreamProblem::GlassesIncompatible,
                        Some(super::cloud_side::incompatible_detail(v)),
                    ),
                    None => (StreamProblem::GlassesNotConnected, None),
                };
                self.end(now, StreamState::Error, Some(problem), detail);
                return;
            }
            // Rule 5: no `streaming` in time → timeout to the cloud, stop to the glasses (owed:
            // delivered on relink if they are away now).
            warn!(stream = %a.glasses_id, "start timed out");
            let id = a.glasses_id.clone();
            self.end(
                now,
                StreamState::Error,
                Some(StreamProblem::StartTimeout),
                None,
            );
            self.owe_stop(now, &id);
            return;
        }
        if due(a
            .duration_deadline()
            .filter(|_| a.state != StreamState::Stopping))
        {
            // Rule 6: a viewer whose limit ran out leaves; the last one stops the camera.
            let (gone, staying): (Vec<_>, Vec<_>) = a
                .viewers
                .drain(..)
                .partition(|v| v.duration_deadline.is_some_and(|d| d <= now));
            if staying.is_empty() {
                a.viewers = gone;
                self.begin_stop(now, Some(StreamProblem::DurationLimit));
            } else {
                a.viewers = staying;
                for v in gone {
                    let mut update = StreamUpdate::new(v.stream_id.clone(), StreamState::Stopped);
                    update.problem = Some(StreamProblem::DurationLimit);
                    update.detail = Some("its duration limit ran out; others still watch".into());
                    self.ended
                        .record(&v.stream_id, update.clone(), v.app_id.clone(), now);
                    self.report(update, v.app_id);
                }
            }
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
            // Rule 8: glasses that stay silent about a keep-alive may no longer run the
            // stream (Mentra Live firmware ends a stream itself and answers keep-alives for
            // unknown streams with silence): ask what runs, as after a relink.
            if let Some(a) = self.active.as_mut().filter(|a| !a.link_lost && a.sent) {
                a.link_lost = true;
                self.status_asks = 0;
                self.ask_status();
            }
        }
        let Some(a) = self.active.as_mut() else {
            return;
        };
        if due(a.bridge_keep_alive_at) {
            a.bridge_keep_alive_at = Some(now + a.feed_interval(&self.config));
            self.bridge_ack_seq = self.bridge_ack_seq.wrapping_add(1);
            let id = a.glasses_id.clone();
            if self.glasses.ready && a.sent {
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
