//! The stream supervisor machine (sans-IO): cloud commands in → glasses commands out, glasses
//! statuses in → cloud statuses out, with the stream id on every message both ways.
//! It owns no link, socket or timer.

use std::collections::VecDeque;
use std::time::Instant;

use tracing::{debug, info, warn};

use super::error::StreamProblem;
use super::status::StreamState;
use super::url::validate_rtmp_url;
use crate::cloud::{
    CloudCommand, KeepAliveAck, KeepRtmpStreamAlive, Outgoing, RtmpStreamStatus, StartRtmpStream,
    StatusStats, StopRtmpStream,
};
use crate::glasses::{CommandFailure, SessionError};
use crate::redact::redact_url;
use crate::wire::proto::{
    self, AudioConfig, GetStreamStatus, KeepStreamAlive, StartStream, StopStream, StreamKind,
    VideoConfig, phone_to_glasses,
};

/// `appId` the MentraOS cloud uses for managed streams.
pub const MANAGED_APP_ID: &str = "MANAGED_STREAM";

/// Which command a glasses failure refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    /// `StartStream`.
    Start,
    /// `StopStream`.
    Stop,
    /// `KeepStreamAlive`.
    KeepAlive,
    /// `GetStreamStatus`.
    Status,
}

/// A command for the glasses, with the stream it is about (so a failure can be reported
/// with the right id).
#[derive(Debug, Clone, PartialEq)]
pub struct GlassesCommand {
    /// The stream the command is about.
    pub stream_id: String,
    /// What it is.
    pub kind: CommandKind,
    /// The protobuf body to send.
    pub body: phone_to_glasses::Body,
}

/// Everything that can happen to the supervisor.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamInput {
    /// A command from the cloud.
    Cloud(CloudCommand),
    /// The glasses finished the hello exchange (after a connect or a reconnect).
    GlassesReady,
    /// The glasses link dropped.
    GlassesDown,
    /// A stream status from the glasses.
    GlassesStatus(proto::StreamStatus),
    /// A keep-alive ack from the glasses.
    GlassesKeepAliveAck(proto::KeepAliveAck),
    /// A command to the glasses failed.
    CommandFailed {
        /// The stream it was about.
        stream_id: String,
        /// Which command.
        kind: CommandKind,
        /// Why.
        reason: CommandFailure,
    },
}

/// Stream statistics, as the UI sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StreamStats {
    /// Bits per second.
    pub bitrate_bps: u32,
    /// Frames per second.
    pub fps: f32,
    /// Dropped frames.
    pub dropped_frames: u32,
    /// Seconds streamed.
    pub duration_s: u32,
    /// Glasses temperature, °C, when reported.
    pub temperature_c: Option<f32>,
}

/// A change of a stream's state, for the UI.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamUpdate {
    /// The stream.
    pub stream_id: String,
    /// Its canonical state.
    pub state: StreamState,
    /// Why it failed, for `Error` and other failures.
    pub problem: Option<StreamProblem>,
    /// Extra detail from the glasses (never contains the stream key).
    pub detail: Option<String>,
    /// Stats while streaming.
    pub stats: Option<StreamStats>,
    /// Ingest reconnect attempt and maximum, while reconnecting.
    pub reconnect: Option<(u32, u32)>,
}

/// What the supervisor reports to the UI.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A stream's state changed (or fresh stats arrived).
    Status(StreamUpdate),
    /// The glasses acknowledged a keep-alive.
    KeepAliveAcked {
        /// The stream.
        stream_id: String,
        /// The cloud's ack id.
        ack_id: String,
    },
}

/// What the supervisor wants done.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum StreamOutput {
    /// Send to the glasses.
    ToGlasses(GlassesCommand),
    /// Send to the cloud.
    ToCloud(Outgoing),
    /// Tell the UI.
    Event(StreamEvent),
}

#[derive(Debug, Clone)]
struct ActiveStream {
    id: String,
    app_id: Option<String>,
    state: StreamState,
}

/// Supervises the camera stream between the cloud and the glasses (sans-IO).
///
/// Drive it like every machine in this crate: [`StreamSupervisor::handle_input`], then drain
/// [`StreamSupervisor::poll_output`] until `None`. This first cut has no timers of its own
/// ([`StreamSupervisor::poll_timeout`] is always `None`).
#[derive(Debug, Default)]
pub struct StreamSupervisor {
    active: Option<ActiveStream>,
    glasses_ready: bool,
    out: VecDeque<StreamOutput>,
}

impl StreamSupervisor {
    /// A supervisor with no stream and no glasses.
    pub fn new(_now: Instant) -> Self {
        Self::default()
    }

    /// The stream the camera is (or should be) running, if any.
    pub fn active_stream(&self) -> Option<(&str, StreamState)> {
        self.active.as_ref().map(|a| (a.id.as_str(), a.state))
    }

    /// Feeds one input.
    pub fn handle_input(&mut self, _now: Instant, input: StreamInput) {
        match input {
            StreamInput::Cloud(CloudCommand::StartStream(start)) => self.cloud_start(start),
            StreamInput::Cloud(CloudCommand::StopStream(stop)) => self.cloud_stop(stop),
            StreamInput::Cloud(CloudCommand::KeepAlive(ka)) => self.cloud_keep_alive(ka),
            StreamInput::GlassesReady => self.glasses_ready(),
            StreamInput::GlassesDown => self.glasses_down(),
            StreamInput::GlassesStatus(status) => self.glasses_status(status),
            StreamInput::GlassesKeepAliveAck(ack) => self.glasses_keep_alive_ack(ack),
            StreamInput::CommandFailed {
                stream_id,
                kind,
                reason,
            } => self.command_failed(stream_id, kind, reason),
        }
    }

    /// Fires expired timers. This first cut has none.
    pub fn handle_timeout(&mut self, _now: Instant) {}

    /// The next output, if any.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<StreamOutput> {
        self.out.pop_front()
    }

    /// The earliest deadline; `None` while no timer is armed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn cloud_start(&mut self, start: StartRtmpStream) {
        let id = start.stream_id.clone();
        let url = start.rtmp_url.expose();
        info!(stream = %id, url = %redact_url(url), app = ?start.app_id, "start requested");
        if let Err(e) = validate_rtmp_url(url) {
            warn!(stream = %id, "refusing start: {e}");
            self.fail(
                &id,
                start.app_id.clone(),
                StreamProblem::InvalidUrl,
                Some(e.to_string()),
            );
            return;
        }
        if !self.glasses_ready {
            self.fail(
                &id,
                start.app_id.clone(),
                StreamProblem::GlassesNotConnected,
                None,
            );
            return;
        }
        if let Some(active) = &self.active {
            if active.id == id {
                debug!(stream = %id, "duplicate start ignored");
                return;
            }
            self.fail(
                &id,
                start.app_id.clone(),
                StreamProblem::AlreadyStreaming,
                None,
            );
            return;
        }
        let kind = if start.app_id.as_deref() == Some(MANAGED_APP_ID) {
            StreamKind::Managed
        } else {
            StreamKind::Unmanaged
        };
        let body = phone_to_glasses::Body::StartStream(StartStream {
            stream_id: id.clone(),
            kind: kind as i32,
            url: url.clone(),
            video: Some(VideoConfig {
                width: whole(start.video.width),
                height: whole(start.video.height),
                bitrate_bps: whole(start.video.bitrate),
                fps: whole(start.video.frame_rate),
            }),
            audio: Some(AudioConfig {
                bitrate_bps: whole(start.audio.bitrate),
                sample_rate_hz: whole(start.audio.sample_rate),
                echo_cancellation: start.audio.echo_cancellation.unwrap_or(false),
                noise_suppression: start.audio.noise_suppression.unwrap_or(false),
            }),
            duration_limit_s: whole(start.stream.duration_limit),
            keep_alive_timeout_s: 0,
        });
        self.active = Some(ActiveStream {
            id: id.clone(),
            app_id: start.app_id,
            state: StreamState::Initializing,
        });
        self.out.push_back(StreamOutput::ToGlasses(GlassesCommand {
            stream_id: id,
            kind: CommandKind::Start,
            body,
        }));
    }

    fn cloud_stop(&mut self, stop: StopRtmpStream) {
        let id = if stop.stream_id.is_empty() {
            match &self.active {
                Some(a) => a.id.clone(),
                None => {
                    info!("stop without a stream id while nothing streams; nothing to do");
                    return;
                }
            }
        } else {
            stop.stream_id
        };
        info!(stream = %id, "stop requested");
        if !self.glasses_ready {
            warn!(stream = %id, "stop while glasses are not connected");
            return;
        }
        if let Some(active) = self.active.as_mut().filter(|a| a.id == id) {
            active.state = StreamState::Stopping;
        }
        self.out.push_back(StreamOutput::ToGlasses(GlassesCommand {
            stream_id: id.clone(),
            kind: CommandKind::Stop,
            body: phone_to_glasses::Body::StopStream(StopStream { stream_id: id }),
        }));
    }

    fn cloud_keep_alive(&mut self, ka: KeepRtmpStreamAlive) {
        if !self.glasses_ready {
            debug!(stream = %ka.stream_id, "keep-alive while glasses are not connected");
            return;
        }
        self.out.push_back(StreamOutput::ToGlasses(GlassesCommand {
            stream_id: ka.stream_id.clone(),
            kind: CommandKind::KeepAlive,
            body: phone_to_glasses::Body::KeepStreamAlive(KeepStreamAlive {
                stream_id: ka.stream_id,
                ack_id: ka.ack_id,
            }),
        }));
    }

    fn glasses_ready(&mut self) {
        self.glasses_ready = true;
        if let Some(active) = &self.active {
            // Resync: whatever the glasses did while we were apart, they tell us now.
            self.out.push_back(StreamOutput::ToGlasses(GlassesCommand {
                stream_id: active.id.clone(),
                kind: CommandKind::Status,
                body: phone_to_glasses::Body::GetStreamStatus(GetStreamStatus {}),
            }));
        }
    }

    fn glasses_down(&mut self) {
        self.glasses_ready = false;
        if let Some(active) = self.active.as_mut() {
            active.state = StreamState::Reconnecting;
            let update = StreamUpdate {
                stream_id: active.id.clone(),
                state: StreamState::Reconnecting,
                problem: None,
                detail: Some("glasses link lost".into()),
                stats: None,
                reconnect: None,
            };
            let app = active.app_id.clone();
            self.report(update, app);
        }
    }

    fn glasses_status(&mut self, status: proto::StreamStatus) {
        let stream_id = if status.stream_id.is_empty() {
            match &self.active {
                Some(a) => a.id.clone(),
                None => {
                    debug!("status without a stream id while nothing streams; dropped");
                    return;
                }
            }
        } else {
            status.stream_id.clone()
        };
        let (state, mut problem) = match StreamState::from_wire(status.state) {
            Ok(s) => (s, StreamProblem::from_wire(status.error_code)),
            Err(e) => {
                warn!(stream = %stream_id, "{e}");
                (StreamState::Error, Some(StreamProblem::UnknownStatus))
            }
        };
        if state == StreamState::Idle {
            // The glasses have nothing running: if we thought a stream was, it is gone.
            if self.active.as_ref().is_none_or(|a| a.id != stream_id) {
                return;
            }
            problem = problem.or(Some(StreamProblem::NotStreaming));
        }
        if state == StreamState::Error && problem.is_none() {
            problem = Some(StreamProblem::Internal);
        }
        let state = if state == StreamState::Idle {
            StreamState::Stopped
        } else {
            state
        };
        let stats = status.stats.map(|s| StreamStats {
            bitrate_bps: s.bitrate_bps,
            fps: finite(s.fps),
            dropped_frames: s.dropped_frames,
            duration_s: s.duration_s,
            temperature_c: (s.temperature_c != 0.0).then(|| finite(s.temperature_c)),
        });
        let reconnect =
            (status.reconnect_max > 0).then_some((status.reconnect_attempt, status.reconnect_max));
        let detail = (!status.error_detail.is_empty()).then_some(status.error_detail);
        let mut app = None;
        if let Some(active) = self.active.as_mut().filter(|a| a.id == stream_id) {
            active.state = state;
            app = active.app_id.clone();
            if state.is_terminal() {
                self.active = None;
            }
        }
        self.report(
            StreamUpdate {
                stream_id,
                state,
                problem,
                detail,
                stats,
                reconnect,
            },
            app,
        );
    }

    fn glasses_keep_alive_ack(&mut self, ack: proto::KeepAliveAck) {
        let stream_id = if ack.stream_id.is_empty() {
            match &self.active {
                Some(a) => a.id.clone(),
                None => return,
            }
        } else {
            ack.stream_id
        };
        self.out
            .push_back(StreamOutput::ToCloud(Outgoing::KeepAliveAck(
                KeepAliveAck {
                    stream_id: stream_id.clone(),
                    ack_id: ack.ack_id.clone(),
                },
            )));
        self.out
            .push_back(StreamOutput::Event(StreamEvent::KeepAliveAcked {
                stream_id,
                ack_id: ack.ack_id,
            }));
    }

    fn command_failed(&mut self, stream_id: String, kind: CommandKind, reason: CommandFailure) {
        warn!(stream = %stream_id, ?kind, "glasses command failed: {reason}");
        let problem = match &reason {
            CommandFailure::Rejected { .. } => StreamProblem::GlassesRejected,
            CommandFailure::NoAnswer { .. } => StreamProblem::GlassesNoAnswer,
            CommandFailure::NotSent(SessionError::NotReady) => StreamProblem::GlassesNotConnected,
            CommandFailure::NotSent(SessionError::FieldTooLong { field: "url", .. }) => {
                StreamProblem::InvalidUrl
            }
            CommandFailure::NotSent(_) => StreamProblem::GlassesRejected,
            CommandFailure::LinkDown => return, // GlassesDown reports this.
        };
        match kind {
            CommandKind::Start | CommandKind::Stop => {
                let app = self
                    .active
                    .as_ref()
                    .filter(|a| a.id == stream_id)
                    .and_then(|a| a.app_id.clone());
                if kind == CommandKind::Start {
                    self.active = None;
                }
                let detail = match reason {
                    CommandFailure::Rejected { detail, .. } if !detail.is_empty() => Some(detail),
                    CommandFailure::NotSent(e) => Some(e.to_string()),
                    _ => None,
                };
                self.fail(&stream_id, app, problem, detail);
            }
            CommandKind::KeepAlive | CommandKind::Status => {}
        }
    }

    /// Reports a failed stream to the cloud and the UI.
    fn fail(
        &mut self,
        stream_id: &str,
        app: Option<String>,
        problem: StreamProblem,
        detail: Option<String>,
    ) {
        if self.active.as_ref().is_some_and(|a| a.id == stream_id) {
            self.active = None;
        }
        self.report(
            StreamUpdate {
                stream_id: stream_id.to_owned(),
                state: StreamState::Error,
                problem: Some(problem),
                detail,
                stats: None,
                reconnect: None,
            },
            app,
        );
    }

    fn report(&mut self, update: StreamUpdate, app_id: Option<String>) {
        let status = RtmpStreamStatus {
            stream_id: update.stream_id.clone(),
            status: update.state.cloud_word().to_owned(),
            error_details: update.problem.map(|p| match &update.detail {
                Some(d) => format!("{}. {d}", p.message()),
                None => p.message().to_owned(),
            }),
            error_code: update.problem.map(|p| p.code().to_owned()),
            stats: update.stats.map(|s| StatusStats {
                bitrate: s.bitrate_bps,
                fps: s.fps,
                dropped_frames: s.dropped_frames,
                duration: s.duration_s,
                temperature_c: s.temperature_c,
            }),
            app_id,
            attempt: update.reconnect.map(|r| r.0),
            max_attempts: update.reconnect.map(|r| r.1),
        };
        self.out
            .push_back(StreamOutput::ToCloud(Outgoing::StreamStatus(status)));
        self.out
            .push_back(StreamOutput::Event(StreamEvent::Status(update)));
    }
}

/// A cloud number as a whole u32: absent, negative or not finite → 0 ("glasses default").
fn whole(value: Option<f64>) -> u32 {
    match value {
        Some(v) if v.is_finite() && v > 0.0 => v.round().min(f64::from(u32::MAX)) as u32,
        _ => 0,
    }
}

fn finite(v: f32) -> f32 {
    if v.is_finite() { v } else { 0.0 }
}

#[cfg(test)]
mod tests;
