//! The supervisor's handlers for what the glasses do: statuses, acks, failed commands, the
//! link dropping and coming back, a protocol they do not share.
//! Whatever the glasses report about a stream the bridge does not own, or has ended, is
//! never passed on as live: it is stopped (rule 15).

use std::time::Instant;

use tracing::{debug, info, warn};

use super::cloud_side::incompatible_detail;
use super::command::CloudReport;
use super::error::StreamProblem;
use super::io::{
    BRIDGE_ACK_PREFIX, CommandKind, StreamEvent, StreamOutput, StreamStats, StreamUpdate,
};
use super::keepalive::AckOutcome;
use super::physical::StreamKind;
use super::resolved::ResolvedConfig;
use super::status::StreamState;
use super::supervisor::StreamSupervisor;
use super::url::Transport;
use crate::glasses::{CommandFailure, SessionError};
use crate::redact::redact_text;
use crate::wire::proto::{self, CameraLimits, ErrorCode, phone_to_glasses};

impl StreamSupervisor {
    pub(crate) fn glasses_ready(
        &mut self,
        now: Instant,
        limits: CameraLimits,
        transports: Vec<Transport>,
    ) {
        self.glasses.ready = true;
        self.glasses.incompatible = None;
        self.glasses.limits = limits;
        self.glasses.transports = if transports.is_empty() {
            vec![Transport::Rtmp]
        } else {
            transports
        };
        if let Some(a) = self.active.as_mut() {
            a.unreachable_since = None;
        }
        // Rule 15: every stop still owed goes out now.
        self.send_owed_stops(now, true);
        // Rule 8: resync. Whatever the glasses did while apart, they tell us now; a stream they
        // run that the bridge does not own is found here too (after a relink or an app restart).
        self.status_asks = 0;
        self.ask_status();
        // Rule 10: a bitrate change the glasses may have missed while apart goes again.
        if self
            .active
            .as_ref()
            .is_some_and(|a| a.sent && (a.throttled || a.bitrate_sends > 0))
        {
            self.send_bitrate(false);
        }
        // Rule 16: a start that waited for the glasses goes now.
        self.send_start(now);
    }

    pub(crate) fn glasses_down(&mut self, now: Instant) {
        self.glasses.ready = false;
        self.glasses.wifi = None;
        self.owed.unsent();
        let stop_deadline = self.stop_deadline(now);
        let Some(active) = self.active.as_mut() else {
            return;
        };
        if !active.sent {
            return;
        }
        if active.start_deadline.is_some() && active.state != StreamState::Stopping {
            // Not live yet: the start waits for the glasses again (rule 16).
            self.back_to_waiting(now, "waiting for the glasses to reconnect");
            return;
        }
        active.link_lost = true;
        active.unreachable_since.get_or_insert(now);
        if active.state == StreamState::Stopping {
            // The stop may not have arrived: done once their watchdog has run out, at the latest.
            let later = stop_deadline.max(
                active.unreachable_since.unwrap_or(now)
                    + self.config.glasses_watchdog
                    + super::supervisor::WATCHDOG_MARGIN,
            );
            active.stop_deadline = Some(active.stop_deadline.map_or(later, |d| d.max(later)));
            return;
        }
        active.state = StreamState::Reconnecting;
        // Rule 8: the cloud hears `reconnecting`, not silence.
        self.report_all(
            StreamState::Reconnecting,
            None,
            Some("glasses link lost; reconnecting".into()),
            None,
            None,
            None,
        );
    }

    pub(crate) fn glasses_incompatible(&mut self, now: Instant, version: u32) {
        self.glasses.incompatible = Some(version);
        if self.active.as_ref().is_some_and(|a| !a.sent) {
            let detail = incompatible_detail(version);
            self.end(
                now,
                StreamState::Error,
                Some(StreamProblem::GlassesIncompatible),
                Some(detail),
            );
        }
    }

    pub(crate) fn glasses_status(&mut self, now: Instant, status: proto::StreamStatus) {
        // Rule 11: every state maps to one canonical state; an unknown one is an error.
        let parsed = StreamState::from_wire(status.state);
        let stop_deadline = self.stop_deadline(now);
        // The camera said it is free (idle, or another stream ended): a busy start may go. A
        // stream still live there gets its stop as a foreign one, and its end frees it.
        if let Some(a) = self.active.as_mut().filter(|a| a.camera_busy) {
            let free = parsed.as_ref().is_ok_and(|s| s.is_terminal());
            if free && (status.stream_id.is_empty() || status.stream_id != a.glasses_id) {
                a.camera_busy = false;
            }
        }
        if status.stream_id.is_empty() && parsed == Ok(StreamState::Idle) {
            // The camera runs nothing: every owed stop is done. The answer speaks of the
            // stream asked about; one started since is not concerned.
            self.owed.confirm_all();
            let asked = self.status_asked_about.take();
            let concerned = self
                .active
                .as_ref()
                .is_some_and(|a| a.sent && asked.as_deref() == Some(a.glasses_id.as_str()));
            if !concerned {
                return;
            }
        }
        // Rule 1: a status without an id gets the active one.
        let glasses_id = if status.stream_id.is_empty() {
            match &self.active {
                Some(a) if a.sent => a.glasses_id.clone(),
                _ => {
                    debug!("status without a stream id while nothing streams; dropped");
                    return;
                }
            }
        } else {
            status.stream_id.clone()
        };
        if let Ok(state) = parsed {
            if state.is_terminal() {
                self.owed.confirm(&glasses_id);
            }
        }
        let live = parsed
            .as_ref()
            .is_ok_and(|s| !s.is_terminal() && *s != StreamState::Stopping);
        // A start still waiting that the glasses run already (an app restart): adopt it.
        if let Some(a) = self.active.as_mut() {
            if !a.sent && live && a.glasses_id == glasses_id {
                info!(stream = %glasses_id, "the glasses already run the stream asked for; adopting it");
                a.sent = true;
                a.attempted = true;
                a.held_for_stops = None;
                a.camera_busy = false;
            }
        }
        let ours = self
            .active
            .as_ref()
            .is_some_and(|a| a.sent && a.glasses_id == glasses_id);
        if !ours {
            self.foreign_status(now, &glasses_id, parsed, &status);
            return;
        }
        let (state, mut problem) = match parsed {
            Ok(s) => (s, StreamProblem::from_wire(status.error_code)),
            Err(e) => {
                // Rule 11 and 15: the stream is ended on both sides, not left half-known.
                warn!(stream = %glasses_id, "{e}; ending the stream");
                self.end(
                    now,
                    StreamState::Error,
                    Some(StreamProblem::UnknownStatus),
                    None,
                );
                self.owe_stop(now, &glasses_id);
                return;
            }
        };
        // Rule 4: the camera is busy with a stream the bridge thought gone (a stop overtaken
        // by the start, an app restart): find out what it runs, stop that, and start again once.
        if state == StreamState::Error
            && problem == Some(StreamProblem::AlreadyStreaming)
            && self.camera_busy_retry(now)
        {
            return;
        }
        // Terminal failures always carry a reason (the 2026 cloud reads them by their code).
        if state == StreamState::Error && problem.is_none() {
            problem = Some(StreamProblem::Internal);
        }
        if state == StreamState::ReconnectFailed && problem.is_none() {
            problem = Some(StreamProblem::ReconnectExhausted);
        }
        let stats = status.stats.map(|s| StreamStats {
            bitrate_bps: s.bitrate_bps,
            fps: finite(s.fps),
            dropped_frames: s.dropped_frames,
            duration_s: s.duration_s,
            temperature_c: (s.temperature_c != 0.0 && s.temperature_c.is_finite())
                .then_some(s.temperature_c),
        });
        let reconnect =
            (status.reconnect_max > 0).then_some((status.reconnect_attempt, status.reconnect_max));
        // Rule 12: the glasses' words may quote a URL; never pass a key on.
        let detail = (!status.error_detail.is_empty()).then(|| redact_text(&status.error_detail));
        let local = self.local;
        let Some(active) = self.active.as_mut() else {
            return;
        };
        let transport = Transport::from_wire(active.request.transport);
        // Rule 10: the camera says what bitrate it runs; one that missed a change (lost, or
        // overtaken by the start) is sent it again.
        let wanted = active.request.video.as_ref().map(|v| v.bitrate_bps);
        let missed = status
            .resolved_video
            .as_ref()
            .zip(wanted)
            .is_some_and(|(v, w)| v.bitrate_bps.abs_diff(w) > w / 10);
        let resolved = match (status.resolved_video, status.resolved_audio) {
            (Some(v), Some(a)) => Some(ResolvedConfig::from_wire(transport, &v, &a)),
            _ => None,
        };
        let was_link_lost = std::mem::replace(&mut active.link_lost, false);

        if matches!(state, StreamState::Idle | StreamState::Stopped)
            && was_link_lost
            && active.stop_reason.is_none()
            && active.state != StreamState::Stopping
        {
            // Rule 8: the glasses lost the stream while we were apart.
            if active.kind == StreamKind::Managed && active.restarts < self.config.managed_restarts
            {
                active.restarts += 1;
                active.state = StreamState::Initializing;
                active.start_deadline = Some(now + self.config.start_timeout);
                // The duration limit keeps counting from the first `streaming`.
                let request = active.start_request(now);
                let id = active.glasses_id.clone();
                info!(stream = %id, attempt = active.restarts, "restarting the managed stream");
                self.send(
                    &id,
                    CommandKind::Start,
                    phone_to_glasses::Body::StartStream(request),
                );
                self.report_all(
                    StreamState::Initializing,
                    None,
                    Some("restarting after the glasses link dropped".into()),
                    None,
                    None,
                    None,
                );
            } else {
                self.end(
                    now,
                    StreamState::Error,
                    Some(StreamProblem::GlassesLinkLost),
                    None,
                );
            }
            return;
        }
        if state.is_terminal() {
            // Why it ended: our reason if we stopped it, else the glasses'.
            let reason = active.stop_reason.or(problem);
            // The glasses' own duration backstop is an orderly end, as the bridge's is (rule 6).
            let orderly =
                state == StreamState::Idle || reason == Some(StreamProblem::DurationLimit);
            let state = if orderly { StreamState::Stopped } else { state };
            self.end(now, state, reason, detail);
            return;
        }
        if active.state == StreamState::Stopping {
            // Already reported (with our reason, if we stopped it); only the end is news. The
            // stream still runs: the stop is owed and goes out again when due.
            if live {
                self.send_owed_stops(now, false);
            }
            return;
        }
        if state == StreamState::Streaming && active.start_deadline.is_some() {
            // Rule 5 satisfied; rule 6 starts counting (once: restarts keep the deadline).
            active.start_deadline = None;
            active.count_limits(now);
            // Rule 9: from here the requester's keep-alives are watched; when they lapse the
            // bridge feeds the glasses itself.
            if !local && active.bridge_keep_alive_at.is_none() {
                active.bridge_keep_alive_at = Some(active.lapse_at(&self.config, now));
            }
        }
        if state == StreamState::Stopping && active.stop_deadline.is_none() {
            // The glasses stop it on their own: its end is due within the stop timeout, so a
            // lost `stopped` cannot leave it `stopping` forever (rule 15).
            active.stop_deadline = Some(stop_deadline);
        }
        active.state = state;
        if missed && live {
            self.send_bitrate(true);
        }
        let Some(active) = self.active.as_mut() else {
            return;
        };
        // Rule 2: the resolved config goes back with the status (the glasses' own, or ours).
        let resolved = resolved.or_else(|| Some(ResolvedConfig::of_request(&active.request)));
        let problem = if active.throttled && state == StreamState::Streaming {
            problem.or(Some(StreamProblem::ThermalThrottle))
        } else {
            problem
        };
        self.report_all(state, problem, detail, stats, reconnect, resolved);
    }

    /// A status about a stream the bridge does not run: an old one, one it ended, one it never
    /// knew (an app restart), or the answer to a stop for an id it does not track.
    fn foreign_status(
        &mut self,
        now: Instant,
        glasses_id: &str,
        parsed: Result<StreamState, super::status::UnknownStatus>,
        status: &proto::StreamStatus,
    ) {
        let known = self.owed.is_owed(glasses_id) || self.ended.carried(glasses_id);
        match parsed {
            Ok(state) if state.is_terminal() => {
                if !known && state != StreamState::Idle {
                    // The answer to a stop the cloud sent for an id the bridge never ran.
                    let mut update = StreamUpdate::new(glasses_id, state);
                    update.problem = StreamProblem::from_wire(status.error_code);
                    self.ended.record(glasses_id, update.clone(), None, now);
                    self.report(update, None);
                }
            }
            Ok(StreamState::Stopping) => {}
            _ => {
                // Live (or unknown), and nobody wants it: never left running (rule 15).
                warn!(stream = %glasses_id, "the glasses run a stream the bridge does not own; stopping it");
                self.owe_stop(now, glasses_id);
            }
        }
    }

    pub(crate) fn glasses_keep_alive_ack(&mut self, ack: proto::KeepAliveAck) {
        if ack.ack_id.starts_with(BRIDGE_ACK_PREFIX) {
            debug!(ack = %ack.ack_id, "bridge keep-alive acknowledged");
            return;
        }
        // Rule 7: acks go back with the cloud's stream id and the ack id; late ones count.
        let outcome = match self.active.as_mut() {
            Some(a) => a.acks.acked(&ack.ack_id),
            None => AckOutcome::Unknown,
        };
        let stream_id = match outcome {
            AckOutcome::Known { cloud_stream_id } => cloud_stream_id,
            AckOutcome::Unknown if !ack.stream_id.is_empty() => ack.stream_id,
            AckOutcome::Unknown => match &self.active {
                Some(a) => a.glasses_id.clone(),
                None => return,
            },
        };
        self.out
            .push_back(StreamOutput::ToCloud(CloudReport::KeepAliveAck {
                stream_id: stream_id.clone(),
                ack_id: ack.ack_id.clone(),
            }));
        self.out
            .push_back(StreamOutput::Event(StreamEvent::KeepAliveAcked {
                stream_id,
                ack_id: ack.ack_id,
            }));
    }

    pub(crate) fn command_failed(
        &mut self,
        now: Instant,
        stream_id: String,
        kind: CommandKind,
        reason: CommandFailure,
    ) {
        warn!(stream = %stream_id, ?kind, "glasses command failed: {reason}");
        let ours = self
            .active
            .as_ref()
            .is_some_and(|a| a.sent && a.glasses_id == stream_id);
        let problem = match &reason {
            // The glasses report the drop themselves; resync and owed stops follow on relink.
            CommandFailure::LinkDown => return,
            CommandFailure::Rejected { .. } => StreamProblem::GlassesRejected,
            CommandFailure::NoAnswer { .. } => StreamProblem::GlassesNoAnswer,
            CommandFailure::NotSent(SessionError::NotReady) => StreamProblem::GlassesNotConnected,
            CommandFailure::NotSent(SessionError::FieldTooLong { field: "url", .. }) => {
                StreamProblem::InvalidUrl
            }
            CommandFailure::NotSent(_) => StreamProblem::GlassesRejected,
        };
        // The glasses answered and refused: for a stop or a keep-alive with a bad argument,
        // that means they run no such stream. Busy, unsent or unanswered means nothing.
        let rejected = matches!(reason, CommandFailure::Rejected { .. });
        let no_such_stream = matches!(
            reason,
            CommandFailure::Rejected {
                code: Some(ErrorCode::InvalidArgument),
                ..
            }
        );
        // Still in its start: no status of the stream was heard since it went out.
        let starting = self
            .active
            .as_ref()
            .is_some_and(|a| a.start_deadline.is_some() && a.state != StreamState::Streaming);
        let stopping = self
            .active
            .as_ref()
            .is_some_and(|a| a.state == StreamState::Stopping);
        let detail = match reason {
            CommandFailure::Rejected { detail, .. } if !detail.is_empty() => {
                Some(redact_text(&detail))
            }
            CommandFailure::NotSent(e) => Some(e.to_string()),
            _ => None,
        };
        match kind {
            CommandKind::Start if ours && problem == StreamProblem::GlassesNotConnected => {
                self.back_to_waiting(now, "waiting for the glasses to connect");
            }
            // A start whose stream the glasses already reported on: only its ack was lost.
            CommandKind::Start if ours && starting => {
                // The glasses may have started anyway (an ack lost): owe them a stop.
                if matches!(problem, StreamProblem::GlassesNoAnswer) {
                    self.owe_stop(now, &stream_id);
                }
                self.end(now, StreamState::Error, Some(problem), detail);
            }
            // Unanswered or refused, the relink question still needs an answer (rule 8).
            CommandKind::Status => self.status_unanswered(now),
            CommandKind::KeepAlive if ours && rejected => {
                // Rule 8: the glasses say they do not run it: its end was lost on the way.
                // Resync as after a relink (a managed stream restarts, another one ends).
                if let Some(a) = self.active.as_mut().filter(|a| !a.link_lost) {
                    warn!(stream = %a.glasses_id, "keep-alive rejected; asking the glasses what runs");
                    a.link_lost = true;
                    self.status_asks = 0;
                    self.ask_status();
                }
            }
            CommandKind::Bitrate if ours && problem == StreamProblem::GlassesNoAnswer => {
                // Rule 10: a throttle that did not arrive is sent again, a few times.
                self.send_bitrate(true);
            }
            // Rule 15: a stop is done only when the glasses say there is nothing to stop; any
            // other failure leaves it owed (sent again), and the stop timeout reports the end.
            CommandKind::Stop if no_such_stream => {
                self.owed.confirm(&stream_id);
                if ours && stopping {
                    if let Some(a) = self.active.as_mut() {
                        a.stop_deadline = Some(now);
                    }
                }
            }
            _ => {}
        }
    }
}

fn finite(v: f32) -> f32 {
    if v.is_finite() { v } else { 0.0 }
}
