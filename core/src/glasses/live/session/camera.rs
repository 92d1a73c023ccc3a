//! What the glasses' camera runs, as far as their statuses (and our own starts) have said, and
//! the stops that must wait to know it: Mentra Live's `stop_stream` names no stream and stops
//! whatever runs, so a stop the bridge still owes for an old stream must never reach glasses
//! that run a new one.

use super::*;
use crate::wire::proto::{ErrorCode, StreamState, StreamStatus};

/// The camera's stream, as the session knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Camera {
    /// Nothing heard on this link (or from this glasses process) yet.
    Unknown,
    /// Nothing runs.
    Idle,
    /// This stream runs (or starts, or reconnects, or stops).
    Runs(String),
}

impl LiveSession {
    /// A status updates what the camera runs, and settles the stops that waited for it. A
    /// lifecycle status without an id says nothing of which stream (legacy paths send an error
    /// without one); a snapshot always does.
    pub(super) fn camera_said(&mut self, now: Instant, status: &StreamStatus, snapshot: bool) {
        let id = status.stream_id.as_str();
        match StreamState::try_from(status.state) {
            Ok(StreamState::Idle) => self.camera = Camera::Idle,
            Ok(StreamState::Stopped | StreamState::Error | StreamState::ReconnectFailed)
                if (id.is_empty() && snapshot) || self.camera == Camera::Runs(id.to_owned()) =>
            {
                self.camera = Camera::Idle;
            }
            Ok(_) if !id.is_empty() => self.camera = Camera::Runs(id.to_owned()),
            _ => {}
        }
        if self.held_stops.is_empty() {
            return;
        }
        if self.camera == Camera::Unknown {
            if snapshot {
                // The answer names no stream: the stops fail (the bridge still owes them and
                // sends them again) rather than wait for ever.
                self.held_stops_unanswered();
            }
            return;
        }
        // Our own question is answered too.
        self.status_requests.retain(|(r, _, _)| *r != 0);
        for (request, stream_id) in std::mem::take(&mut self.held_stops) {
            if !self.refuse_foreign_stop(request, &stream_id) {
                self.send_stop(now, request, &stream_id);
            }
        }
    }

    /// Our start is what runs from now on (its statuses will say more).
    pub(super) fn camera_starts(&mut self, stream_id: &str) {
        if !stream_id.is_empty() {
            self.camera = Camera::Runs(stream_id.to_owned());
        }
    }

    /// Decides a stop for `stream_id` before it goes: true when it was answered here (another
    /// stream runs) or held (nothing known yet: the glasses are asked first).
    pub(super) fn guard_stop(&mut self, now: Instant, request: u32, stream_id: &str) -> bool {
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
            if !self.status_requests.iter().any(|(r, _, _)| *r == 0) {
                if let Ok(ask) = messages::command(
                    &phone_to_glasses::Body::GetStreamStatus(Default::default()),
                    self.names,
                    &self.controller_id,
                ) {
                    self.ask_status(now, ask.json, ask.wake);
                    // Request 0: the session's own question, reported to nobody.
                    self.status_requests.push_back((0, now + STATUS_ANSWER, 1));
                }
            }
            self.held_stops.push((request, stream_id.to_owned()));
            return true;
        }
        self.refuse_foreign_stop(request, stream_id)
    }

    /// A held stop goes, in the names the glasses speak now.
    fn send_stop(&mut self, now: Instant, request: u32, stream_id: &str) {
        let body = phone_to_glasses::Body::StopStream(crate::wire::proto::StopStream {
            stream_id: stream_id.to_owned(),
        });
        match messages::command(&body, self.names, &self.controller_id) {
            Ok(out) => self.dispatch(now, request, &body, out),
            Err(e) => self.report(SessionEvent::Failed {
                request,
                reason: CommandFailure::NotSent(e),
            }),
        }
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

    /// The session's own status question went unanswered: glasses that never say what runs
    /// get the stops as every phone app sends them (`stop_stream` stops whatever runs).
    pub(super) fn held_stops_unasked(&mut self, now: Instant) {
        self.status_requests.retain(|(r, _, _)| *r != 0);
        for (request, stream_id) in std::mem::take(&mut self.held_stops) {
            self.send_stop(now, request, &stream_id);
        }
    }

    /// The answer named no stream: the held stops fail, never sent; the bridge still owes
    /// them and sends them again.
    pub(super) fn held_stops_unanswered(&mut self) {
        self.status_requests.retain(|(r, _, _)| *r != 0);
        for (request, _) in std::mem::take(&mut self.held_stops) {
            self.report(SessionEvent::Failed {
                request,
                reason: CommandFailure::NoAnswer { attempts: 0 },
            });
        }
    }
}
