//! What the glasses' camera runs, as far as their statuses have said, and the stops that must
//! wait to know it: Mentra Live's `stop_stream` names no stream and stops whatever runs, so a
//! stop the bridge still owes for an old stream must never reach glasses that run a new one.

use super::*;
use crate::wire::proto::{ErrorCode, StreamState, StreamStatus};

/// The camera's stream, as the session knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Camera {
    /// Nothing heard on this link yet.
    Unknown,
    /// Nothing runs.
    Idle,
    /// This stream runs (or starts, or reconnects, or stops).
    Runs(String),
}

impl LiveSession {
    /// A status updates what the camera runs, and settles the stops that waited for it.
    pub(super) fn camera_said(&mut self, now: Instant, status: &StreamStatus) {
        let id = status.stream_id.as_str();
        match StreamState::try_from(status.state) {
            Ok(StreamState::Idle) => self.camera = Camera::Idle,
            Ok(StreamState::Stopped | StreamState::Error | StreamState::ReconnectFailed)
                if id.is_empty() || self.camera == Camera::Runs(id.to_owned()) =>
            {
                self.camera = Camera::Idle;
            }
            Ok(StreamState::Stopped | StreamState::Error | StreamState::ReconnectFailed) => {}
            Ok(_) if !id.is_empty() => self.camera = Camera::Runs(id.to_owned()),
            _ => {}
        }
        if self.camera == Camera::Unknown || self.held_stops.is_empty() {
            return;
        }
        for (request, stream_id, out) in std::mem::take(&mut self.held_stops) {
            if !self.refuse_foreign_stop(request, &stream_id) {
                let body = phone_to_glasses::Body::StopStream(Default::default());
                self.dispatch(now, request, &body, out);
            }
        }
    }

    /// Decides a stop for `stream_id` before it goes: true when it was answered here (another
    /// stream runs) or held (nothing known yet: the glasses are asked first).
    pub(super) fn guard_stop(
        &mut self,
        now: Instant,
        request: u32,
        stream_id: &str,
        out: &messages::Outbound,
    ) -> bool {
        if stream_id.is_empty() {
            return false;
        }
        if self.camera == Camera::Unknown {
            debug!(stream = %stream_id, "holding a stop until the glasses say what runs");
            if self.held_stops.len() >= self.config.queue_limit {
                self.report(SessionEvent::Failed {
                    request,
                    reason: CommandFailure::NotSent(SessionError::Busy),
                });
                return true;
            }
            if self.status_requests.is_empty() {
                if let Ok(ask) = messages::command(
                    &phone_to_glasses::Body::GetStreamStatus(Default::default()),
                    self.names,
                    &self.controller_id,
                ) {
                    self.ask_status(now, ask.json);
                    // Request 0: the session's own question, reported to nobody.
                    self.status_requests.push_back((0, now + STATUS_ANSWER, 1));
                }
            }
            self.held_stops
                .push((request, stream_id.to_owned(), out.clone()));
            return true;
        }
        self.refuse_foreign_stop(request, stream_id)
    }

    /// True (and answered as the protobuf firmware would: no such stream) when the camera runs
    /// a stream other than `stream_id`.
    fn refuse_foreign_stop(&mut self, request: u32, stream_id: &str) -> bool {
        let Camera::Runs(running) = &self.camera else {
            return false;
        };
        if running == stream_id {
            return false;
        }
        debug!(stop = %stream_id, running = %running, "not stopping another stream");
        self.report(SessionEvent::Failed {
            request,
            reason: CommandFailure::Rejected {
                code: Some(ErrorCode::InvalidArgument),
                detail: "the glasses run another stream".into(),
            },
        });
        true
    }

    /// The session's own status question went unanswered: the held stops fail (they stay
    /// owed by the bridge, which sends them again).
    pub(super) fn held_stops_unanswered(&mut self) {
        for (request, _, _) in std::mem::take(&mut self.held_stops) {
            self.report(SessionEvent::Failed {
                request,
                reason: CommandFailure::NoAnswer {
                    attempts: self.config.max_sends,
                },
            });
        }
    }
}
