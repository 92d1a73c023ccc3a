//! The supervisor's handlers for what the glasses do (statuses, acks, failed commands, the
//! link dropping and coming back) and for health band changes.

use std::time::Instant;

use tracing::{debug, info, warn};

use super::cloud_side::battery_detail;
use super::command::CloudReport;
use super::error::StreamProblem;
use super::keepalive::AckOutcome;
use super::physical::StreamKind;
use super::resolved::ResolvedConfig;
use super::status::StreamState;
use super::supervisor::{
    BRIDGE_ACK_PREFIX, CommandKind, HealthChange, StreamEvent, StreamOutput, StreamStats,
    StreamSupervisor, StreamUpdate,
};
use super::url::Transport;
use crate::glasses::{CommandFailure, SessionError};
use crate::health::{BatteryBand, HeatBand};
use crate::redact::redact_text;
use crate::wire::proto::{
    self, CameraLimits, GetStreamStatus, SetStreamBitrate, StopStream, phone_to_glasses,
};

impl StreamSupervisor {
    pub(crate) fn glasses_ready(&mut self, limits: CameraLimits, transports: Vec<Transport>) {
        self.glasses.ready = true;
        self.glasses.limits = limits;
        self.glasses.transports = if transports.is_empty() {
            vec![Transport::Rtmp]
        } else {
            transports
        };
        let Some(active) = &self.active else { return };
        let id = active.glasses_id.clone();
        if active.stop_pending {
            if let Some(a) = self.active.as_mut() {
                a.stop_pending = false;
            }
            self.send(
                &id,
                CommandKind::Stop,
                phone_to_glasses::Body::StopStream(StopStream {
                    stream_id: id.clone(),
                }),
            );
        } else {
            // Rule 8: resync. Whatever the glasses did while apart, they tell us now.
            self.send(
                &id,
                CommandKind::Status,
                phone_to_glasses::Body::GetStreamStatus(GetStreamStatus {}),
            );
        }
    }

    pub(crate) fn glasses_down(&mut self) {
        self.glasses.ready = false;
        self.glasses.wifi = None;
        let Some(active) = self.active.as_mut() else {
            return;
        };
        active.link_lost = true;
        if active.state == StreamState::Stopping {
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

    pub(crate) fn glasses_status(&mut self, now: Instant, status: proto::StreamStatus) {
        // Rule 1: a status without an id gets the active one.
        let glasses_id = if status.stream_id.is_empty() {
            match &self.active {
                Some(a) => a.glasses_id.clone(),
                None => {
                    debug!("status without a stream id while nothing streams; dropped");
                    return;
                }
            }
        } else {
            status.stream_id.clone()
        };
        // Rule 11: every state maps to one canonical state; an unknown one is an error.
        let (state, mut problem) = match StreamState::from_wire(status.state) {
            Ok(s) => (s, StreamProblem::from_wire(status.error_code)),
            Err(e) => {
                warn!(stream = %glasses_id, "{e}");
                (StreamState::Error, Some(StreamProblem::UnknownStatus))
            }
        };
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
        let transport = self
            .active
            .as_ref()
            .and_then(|a| Transport::from_wire(a.request.transport));
        let resolved = match (status.resolved_video, status.resolved_audio) {
            (Some(v), Some(a)) => Some(ResolvedConfig::from_wire(transport, &v, &a)),
            _ => None,
        };

        let ours = self
            .active
            .as_ref()
            .is_some_and(|a| a.glasses_id == glasses_id);
        if !ours {
            // A stream we no longer track (ended, timed out): relay what the glasses say.
            if state != StreamState::Idle {
                self.report(
                    StreamUpdate {
                        stream_id: glasses_id,
                        state,
                        problem,
                        detail,
                        stats,
                        reconnect,
                        resolved,
                    },
                    None,
                );
            }
            return;
        }
        let Some(active) = self.active.as_mut() else {
            return;
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
                active.duration_deadline = None;
                let request = active.request.clone();
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
            let state = if state == StreamState::Idle {
                StreamState::Stopped
            } else {
                state
            };
            self.end(state, reason, detail);
            return;
        }
        if state == StreamState::Streaming && active.start_deadline.is_some() {
            // Rule 5 satisfied; rule 6 starts counting.
            active.start_deadline = None;
            active.duration_deadline = active.duration_limit.map(|d| now + d);
        }
        if active.state == StreamState::Stopping {
            // Already reported (with our reason, if we stopped it); only the end is news.
            return;
        }
        active.state = state;
        // Rule 2: the resolved config goes back with the status (the glasses' own, or ours).
        let resolved = resolved.or_else(|| Some(ResolvedConfig::of_request(&active.request)));
        let problem = if active.throttled && state == StreamState::Streaming {
            problem.or(Some(StreamProblem::ThermalThrottle))
        } else {
            problem
        };
        self.report_all(state, problem, detail, stats, reconnect, resolved);
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
            .is_some_and(|a| a.glasses_id == stream_id);
        let problem = match &reason {
            CommandFailure::LinkDown => return, // GlassesDown reports it; resync follows.
            CommandFailure::Rejected { .. } => StreamProblem::GlassesRejected,
            CommandFailure::NoAnswer { .. } => StreamProblem::GlassesNoAnswer,
            CommandFailure::NotSent(SessionError::NotReady) => StreamProblem::GlassesNotConnected,
            CommandFailure::NotSent(SessionError::FieldTooLong { field: "url", .. }) => {
                StreamProblem::InvalidUrl
            }
            CommandFailure::NotSent(_) => StreamProblem::GlassesRejected,
        };
        let detail = match reason {
            CommandFailure::Rejected { detail, .. } if !detail.is_empty() => {
                Some(redact_text(&detail))
            }
            CommandFailure::NotSent(e) => Some(e.to_string()),
            _ => None,
        };
        match kind {
            CommandKind::Start if ours => {
                // The glasses may have started anyway (an ack lost): tell them to stop.
                if matches!(problem, StreamProblem::GlassesNoAnswer) {
                    self.send(
                        &stream_id,
                        CommandKind::Stop,
                        phone_to_glasses::Body::StopStream(StopStream {
                            stream_id: stream_id.clone(),
                        }),
                    );
                }
                self.end(StreamState::Error, Some(problem), detail);
            }
            CommandKind::Stop if ours => {
                // The stop timeout reports the end if the glasses never confirm.
                if let Some(a) = self.active.as_mut() {
                    a.stop_deadline = Some(a.stop_deadline.unwrap_or(now).min(now));
                }
            }
            _ => {}
        }
    }

    pub(crate) fn health(&mut self, now: Instant, change: HealthChange) {
        // Rule 10.
        match change {
            HealthChange::Battery(verdict) => {
                self.battery = Some(verdict);
                match verdict.band {
                    BatteryBand::Critical => {
                        let detail = battery_detail(&verdict);
                        self.stop_for(now, StreamProblem::BatteryLow, Some(detail));
                    }
                    BatteryBand::Low => self.warn_stream(StreamProblem::BatteryLowWarning),
                    BatteryBand::Normal => {}
                }
            }
            HealthChange::Heat(band) => {
                let was = std::mem::replace(&mut self.heat, band);
                match band {
                    HeatBand::Critical => self.stop_for(now, StreamProblem::Overheated, None),
                    HeatBand::Throttle => self.throttle(true),
                    HeatBand::Warn | HeatBand::Normal => {
                        if was >= HeatBand::Throttle {
                            self.throttle(false);
                        } else if band == HeatBand::Warn {
                            self.warn_stream(StreamProblem::ThermalWarning);
                        }
                    }
                }
            }
        }
    }

    fn stop_for(&mut self, now: Instant, problem: StreamProblem, detail: Option<String>) {
        if self
            .active
            .as_ref()
            .is_some_and(|a| a.state != StreamState::Stopping)
        {
            warn!("stopping the stream: {}", problem.code());
            self.begin_stop_with(now, Some(problem), detail);
        }
    }

    /// Tells the cloud and the UI about a warning on the running stream.
    fn warn_stream(&mut self, problem: StreamProblem) {
        if let Some(a) = &self.active {
            let state = a.state;
            self.report_all(state, Some(problem), None, None, None, None);
        }
    }

    /// Lowers (or restores) the bitrate of the running stream.
    fn throttle(&mut self, on: bool) {
        let factor = self.config.throttle_factor;
        let Some(a) = self.active.as_mut() else {
            return;
        };
        if a.throttled == on || a.state == StreamState::Stopping {
            return;
        }
        a.throttled = on;
        let full = a.video_bitrate();
        let bitrate = if on {
            ((full as f32) * factor) as u32
        } else {
            full
        };
        let (id, state) = (a.glasses_id.clone(), a.state);
        if self.glasses.ready {
            self.send(
                &id,
                CommandKind::Bitrate,
                phone_to_glasses::Body::SetStreamBitrate(SetStreamBitrate {
                    stream_id: id.clone(),
                    bitrate_bps: bitrate,
                }),
            );
        }
        let detail = Some(format!("bitrate set to {} kbps", bitrate / 1000));
        let problem = on.then_some(StreamProblem::ThermalThrottle);
        self.report_all(state, problem, detail, None, None, None);
    }
}

fn finite(v: f32) -> f32 {
    if v.is_finite() { v } else { 0.0 }
}
