//! The supervisor's inputs and outputs: everything that can happen to it (from the cloud, the
//! glasses, the health monitor), and what it wants done (to the glasses, to the cloud, to the
//! UI), in the bridge's own terms.

use std::time::Duration;

use super::command::{CloudReport, StreamCommand};
use super::error::StreamProblem;
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
    /// The cloud connection dropped; it had been silent for `silent_for` before (zero for a
    /// clean close). The grace counts from the cloud's last sign of life.
    CloudDown {
        /// How long nothing had come from the cloud when the loss was noticed.
        silent_for: Duration,
    },
    /// The glasses finished the hello exchange and declared these camera limits.
    GlassesReady {
        /// Declared limits (zero maxima: not declared).
        limits: CameraLimits,
        /// Transports the glasses can push (empty: RTMP only).
        transports: Vec<Transport>,
    },
    /// The glasses link dropped.
    GlassesDown,
    /// The glasses answered the hello with a protocol version the bridge does not speak.
    GlassesIncompatible {
        /// The version they declared.
        protocol_version: u32,
    },
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
