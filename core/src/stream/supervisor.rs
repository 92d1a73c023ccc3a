//! The stream supervisor machine (sans-IO): cloud commands in → glasses commands out, glasses
//! statuses in → cloud statuses out, with the stream id on every message both ways, and every
//! rule of the behaviour contract (DESIGN §5) enforced on the way. It owns no link, socket or
//! timer; `cloud_side.rs`, `glasses_side.rs` and `timers.rs` hold its handlers.

use std::collections::VecDeque;
use std::time::Instant;

use super::command::{CloudReport, StreamCommand};
use super::config::{StreamConfig, StreamConfigError};
use super::error::StreamProblem;
use super::physical::{Physical, Viewer};
use super::resolved::ResolvedConfig;
use super::status::StreamState;
use super::url::Transport;
use crate::glasses::CommandFailure;
use crate::health::{BatteryVerdict, HeatBand};
use crate::wire::proto::{self, CameraLimits, phone_to_glasses};

/// Prefix of the keep-alive ids the bridge makes up itself while the cloud is away.
pub(crate) const BRIDGE_ACK_PREFIX: &str = "bridge-";

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
    /// `SetStreamBitrate`.
    Bitrate,
}

/// A command for the glasses, with the stream it is about (so a failure can be reported
/// with the right id).
#[derive(Debug, Clone, PartialEq)]
pub struct GlassesCommand {
    /// The stream the command is about (the glasses' id for it).
    pub stream_id: String,
    /// What it is.
    pub kind: CommandKind,
    /// The protobuf body to send.
    pub body: phone_to_glasses::Body,
}

/// A health band change the supervisor acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthChange {
    /// The battery entered a band (with the reading and the floor that applied).
    Battery(BatteryVerdict),
    /// The temperature entered this band.
    Heat(HeatBand),
}

/// Everything that can happen to the supervisor.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamInput {
    /// A command from the cloud (either generation, translated) or a local caller.
    Cloud(StreamCommand),
    /// The cloud connection is up.
    CloudUp,
    /// The cloud connection dropped.
    CloudDown,
    /// The glasses finished the hello exchange and declared these camera limits.
    GlassesReady {
        /// Declared limits (zero maxima: not declared).
        limits: CameraLimits,
        /// Transports the glasses can push (empty: RTMP only).
        transports: Vec<Transport>,
    },
    /// The glasses link dropped.
    GlassesDown,
    /// The glasses reported their Wi-Fi.
    GlassesWifi {
        /// On a network.
        connected: bool,
    },
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
    /// Battery or temperature changed band.
    Health(HealthChange),
    /// There is no cloud (local control): the bridge keeps every stream alive itself.
    NoCloud,
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
    /// The stream (the cloud's id).
    pub stream_id: String,
    /// Its canonical state.
    pub state: StreamState,
    /// Why it failed, or what the user should know.
    pub problem: Option<StreamProblem>,
    /// Extra detail (never contains the stream key).
    pub detail: Option<String>,
    /// Stats while streaming.
    pub stats: Option<StreamStats>,
    /// Ingest reconnect attempt and maximum, while reconnecting.
    pub reconnect: Option<(u32, u32)>,
    /// The config the camera runs with, once known.
    pub resolved: Option<ResolvedConfig>,
}

impl StreamUpdate {
    /// An update with nothing but an id and a state.
    pub fn new(stream_id: impl Into<String>, state: StreamState) -> Self {
        Self {
            stream_id: stream_id.into(),
            state,
            problem: None,
            detail: None,
            stats: None,
            reconnect: None,
            resolved: None,
        }
    }
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
    /// Send to the cloud (rendered in its generation by `cloud/`).
    ToCloud(CloudReport),
    /// Tell the UI.
    Event(StreamEvent),
}

/// What the supervisor knows of the glasses.
#[derive(Debug, Clone, Default)]
pub(crate) struct GlassesView {
    pub(crate) ready: bool,
    pub(crate) limits: CameraLimits,
    /// What they declared; RTMP when they declared nothing.
    pub(crate) transports: Vec<Transport>,
    /// `None` until the glasses report it.
    pub(crate) wifi: Option<bool>,
}

/// Supervises the camera stream between the cloud and the glasses (sans-IO).
///
/// Methods: getters (`&self`); [`StreamSupervisor::handle_input`] and
/// [`StreamSupervisor::handle_timeout`] for what happens to it; [`StreamSupervisor::poll_output`]
/// and [`StreamSupervisor::poll_timeout`] for what it wants done. After every `handle_*`,
/// drain `poll_output` until `None`, then re-arm the timer from `poll_timeout`. Instants must
/// never go backwards.
#[derive(Debug)]
pub struct StreamSupervisor {
    pub(crate) config: StreamConfig,
    pub(crate) active: Option<Physical>,
    pub(crate) glasses: GlassesView,
    /// Set while the cloud is unreachable: when streams must stop.
    pub(crate) cloud_grace_deadline: Option<Instant>,
    pub(crate) cloud_up: bool,
    /// The battery's last band change; `None` until the glasses report a level.
    pub(crate) battery: Option<BatteryVerdict>,
    pub(crate) heat: HeatBand,
    pub(crate) bridge_ack_seq: u32,
    /// No cloud: feed the glasses' watchdog for every stream.
    pub(crate) local: bool,
    pub(crate) out: VecDeque<StreamOutput>,
}

impl StreamSupervisor {
    /// A supervisor with no stream, no glasses and no cloud yet.
    pub fn new(config: StreamConfig, _now: Instant) -> Result<Self, StreamConfigError> {
        config.validate()?;
        Ok(Self {
            config,
            active: None,
            glasses: GlassesView::default(),
            cloud_grace_deadline: None,
            cloud_up: false,
            battery: None,
            heat: HeatBand::Normal,
            bridge_ack_seq: 0,
            local: false,
            out: VecDeque::new(),
        })
    }

    /// The physical stream's glasses id and state, if one is running.
    pub fn active_stream(&self) -> Option<(&str, StreamState)> {
        self.active
            .as_ref()
            .map(|a| (a.glasses_id.as_str(), a.state))
    }

    /// How many streams, viewers and remembered ids the supervisor holds (it must stay
    /// bounded whatever happens).
    pub fn tracked(&self) -> usize {
        self.active.as_ref().map_or(0, |a| 1 + a.viewers.len())
    }

    /// The cloud stream ids riding on the physical stream.
    pub fn viewers(&self) -> Vec<&str> {
        self.active
            .as_ref()
            .map(|a| a.viewers.iter().map(|v| v.stream_id.as_str()).collect())
            .unwrap_or_default()
    }

    /// Feeds one input.
    pub fn handle_input(&mut self, now: Instant, input: StreamInput) {
        match input {
            StreamInput::Cloud(StreamCommand::Start(start)) => self.cloud_start(now, *start),
            StreamInput::Cloud(StreamCommand::Stop(stop)) => self.cloud_stop(now, stop),
            StreamInput::Cloud(StreamCommand::KeepAlive(ka)) => self.cloud_keep_alive(now, ka),
            StreamInput::CloudUp => self.cloud_up(),
            StreamInput::CloudDown => self.cloud_down(now),
            StreamInput::GlassesReady { limits, transports } => {
                self.glasses_ready(limits, transports)
            }
            StreamInput::GlassesDown => self.glasses_down(),
            StreamInput::GlassesWifi { connected } => self.glasses.wifi = Some(connected),
            StreamInput::GlassesStatus(status) => self.glasses_status(now, status),
            StreamInput::GlassesKeepAliveAck(ack) => self.glasses_keep_alive_ack(ack),
            StreamInput::CommandFailed {
                stream_id,
                kind,
                reason,
            } => self.command_failed(now, stream_id, kind, reason),
            StreamInput::Health(change) => self.health(now, change),
            StreamInput::NoCloud => self.local = true,
        }
    }

    /// The next output, if any.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<StreamOutput> {
        self.out.pop_front()
    }

    // --- shared helpers for the handler files ---

    pub(crate) fn send(
        &mut self,
        stream_id: &str,
        kind: CommandKind,
        body: phone_to_glasses::Body,
    ) {
        self.out.push_back(StreamOutput::ToGlasses(GlassesCommand {
            stream_id: stream_id.to_owned(),
            kind,
            body,
        }));
    }

    /// Reports one update for one cloud stream, to the cloud and the UI.
    pub(crate) fn report(&mut self, update: StreamUpdate, app_id: Option<String>) {
        self.out
            .push_back(StreamOutput::ToCloud(CloudReport::Status {
                update: update.clone(),
                app_id,
            }));
        self.out
            .push_back(StreamOutput::Event(StreamEvent::Status(update)));
    }

    /// Reports a state to every cloud stream riding on the physical stream.
    pub(crate) fn report_all(
        &mut self,
        state: StreamState,
        problem: Option<StreamProblem>,
        detail: Option<String>,
        stats: Option<StreamStats>,
        reconnect: Option<(u32, u32)>,
        resolved: Option<ResolvedConfig>,
    ) {
        let viewers: Vec<Viewer> = self
            .active
            .as_ref()
            .map(|a| a.viewers.clone())
            .unwrap_or_default();
        for v in viewers {
            self.report(
                StreamUpdate {
                    stream_id: v.stream_id,
                    state,
                    problem,
                    detail: detail.clone(),
                    stats,
                    reconnect,
                    resolved,
                },
                v.app_id,
            );
        }
    }

    /// Reports a failed cloud stream that never reached the glasses.
    pub(crate) fn refuse(
        &mut self,
        stream_id: &str,
        app_id: Option<String>,
        problem: StreamProblem,
        detail: Option<String>,
    ) {
        let mut update = StreamUpdate::new(stream_id, StreamState::Error);
        update.problem = Some(problem);
        update.detail = detail;
        self.report(update, app_id);
    }

    /// Asks the glasses to stop the physical stream for `reason` (`None`: the cloud asked).
    pub(crate) fn begin_stop(&mut self, now: Instant, reason: Option<StreamProblem>) {
        self.begin_stop_with(now, reason, None);
    }

    /// [`Self::begin_stop`], with a detail for the `stopping` report.
    pub(crate) fn begin_stop_with(
        &mut self,
        now: Instant,
        reason: Option<StreamProblem>,
        detail: Option<String>,
    ) {
        let ready = self.glasses.ready;
        let Some(p) = self.active.as_mut() else {
            return;
        };
        if p.state == StreamState::Stopping {
            return;
        }
        p.state = StreamState::Stopping;
        p.stop_reason = reason;
        p.start_deadline = None;
        p.duration_deadline = None;
        p.bridge_keep_alive_at = None;
        p.stop_deadline = Some(now + self.config.stop_timeout);
        let id = p.glasses_id.clone();
        if ready {
            self.send(
                &id,
                CommandKind::Stop,
                phone_to_glasses::Body::StopStream(proto::StopStream {
                    stream_id: id.clone(),
                }),
            );
        } else {
            p.stop_pending = true;
        }
        self.report_all(StreamState::Stopping, reason, detail, None, None, None);
    }

    /// The physical stream is over: report the final state to every viewer and forget it.
    pub(crate) fn end(
        &mut self,
        state: StreamState,
        problem: Option<StreamProblem>,
        detail: Option<String>,
    ) {
        self.report_all(state, problem, detail, None, None, None);
        self.active = None;
    }
}

#[cfg(test)]
mod tests;
