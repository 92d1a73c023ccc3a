//! The stream supervisor machine (sans-IO): stream commands in → glasses commands out, glasses
//! statuses in → reports out, with the stream id on every message both ways, and every rule
//! of the behaviour contract (DESIGN §5) enforced on the way. It owns no link, socket or
//! timer; `cloud_side.rs`, `glasses_side.rs` and `timers.rs` hold its handlers, `owed.rs` the
//! stops it owes and the ends it remembers.

use std::collections::VecDeque;
use std::time::Instant;

use tracing::{debug, info, warn};

use super::command::CloudReport;
use super::config::{StreamConfig, StreamConfigError};
use super::error::StreamProblem;
use super::io::{
    CommandKind, GlassesCommand, StreamEvent, StreamInput, StreamOutput, StreamStats, StreamUpdate,
};
use super::owed::{EndedStreams, OwedStops};
use super::physical::{Physical, Viewer};
use super::resolved::ResolvedConfig;
use super::status::StreamState;
use super::url::Transport;
use crate::health::{BatteryVerdict, HeatBand};
use crate::wire::proto::{self, CameraLimits, phone_to_glasses};

/// What the supervisor knows of the glasses.
#[derive(Debug, Clone, Default)]
pub(crate) struct GlassesView {
    pub(crate) ready: bool,
    pub(crate) limits: CameraLimits,
    /// What they declared; RTMP when they declared nothing.
    pub(crate) transports: Vec<Transport>,
    /// `None` until the glasses report it.
    pub(crate) wifi: Option<bool>,
    /// The protocol version of glasses the bridge cannot talk to, until they reconnect.
    pub(crate) incompatible: Option<u32>,
}

/// Supervises the camera stream between the cloud and the glasses (sans-IO).
///
/// Methods: getters (`&self`); [`StreamSupervisor::handle_input`] and
/// [`StreamSupervisor::handle_timeout`] for what happens to it; [`StreamSupervisor::poll_output`]
/// and [`StreamSupervisor::poll_timeout`] for what it wants done. After every `handle_*`,
/// drain `poll_output` until `None`, then re-arm the timer from `poll_timeout`. Instants must
/// never go backwards.
///
/// It holds at most one physical stream (`active`), one start waiting for it to stop
/// (`next`), the stops the glasses still owe a confirmation for, and the streams it told the
/// requester have ended; all of it bounded.
#[derive(Debug)]
pub struct StreamSupervisor {
    pub(crate) config: StreamConfig,
    pub(crate) active: Option<Physical>,
    /// A start held until the stopping `active` is gone (a takeover: stop, then start).
    pub(crate) next: Option<Physical>,
    pub(crate) owed: OwedStops,
    pub(crate) ended: EndedStreams,
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
    /// The stream the last `GetStreamStatus` asked about (`None`: none was running then). An
    /// answer saying "idle" is about that stream only, not one started since.
    pub(crate) status_asked_about: Option<String>,
    /// How many times the current resync question has been asked.
    pub(crate) status_asks: u8,
    pub(crate) out: VecDeque<StreamOutput>,
}

impl StreamSupervisor {
    /// A supervisor with no stream, no glasses and no cloud yet.
    pub fn new(config: StreamConfig, _now: Instant) -> Result<Self, StreamConfigError> {
        config.validate()?;
        Ok(Self {
            config,
            active: None,
            next: None,
            owed: OwedStops::default(),
            ended: EndedStreams::default(),
            glasses: GlassesView::default(),
            cloud_grace_deadline: None,
            cloud_up: false,
            battery: None,
            heat: HeatBand::Normal,
            bridge_ack_seq: 0,
            local: false,
            status_asked_about: None,
            status_asks: 0,
            out: VecDeque::new(),
        })
    }

    /// The physical stream's glasses id and state, if one is running or waiting to start.
    pub fn active_stream(&self) -> Option<(&str, StreamState)> {
        self.active
            .as_ref()
            .map(|a| (a.glasses_id.as_str(), a.state))
    }

    /// The cloud stream ids riding on the physical stream.
    pub fn viewers(&self) -> Vec<&str> {
        self.active
            .as_ref()
            .map(|a| a.viewers.iter().map(|v| v.stream_id.as_str()).collect())
            .unwrap_or_default()
    }

    /// True while the glasses still owe a confirmation that `glasses_id` stopped.
    pub fn owes_stop(&self, glasses_id: &str) -> bool {
        self.owed.is_owed(glasses_id)
    }

    /// How many streams, viewers, owed stops and remembered ends the supervisor holds (it
    /// stays bounded whatever happens).
    pub fn tracked(&self) -> usize {
        let count = |p: &Option<Physical>| p.as_ref().map_or(0, |a| 1 + a.viewers.len());
        count(&self.active) + count(&self.next) + self.owed.len() + self.ended.len()
    }

    /// Feeds one input.
    pub fn handle_input(&mut self, now: Instant, input: StreamInput) {
        use super::command::StreamCommand as C;
        match input {
            StreamInput::Cloud(C::Start(start)) => self.cloud_start(now, *start),
            StreamInput::Cloud(C::Stop(stop)) => self.cloud_stop(now, stop),
            StreamInput::Cloud(C::KeepAlive(ka)) => self.cloud_keep_alive(now, ka),
            StreamInput::CloudUp => self.cloud_up(now),
            StreamInput::CloudDown { silent_for } => self.cloud_down(now, silent_for),
            StreamInput::GlassesReady { limits, transports } => {
                self.glasses_ready(now, limits, transports)
            }
            StreamInput::GlassesDown => self.glasses_down(now),
            StreamInput::GlassesIncompatible { protocol_version } => {
                self.glasses_incompatible(now, protocol_version)
            }
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
        // A start held for owed stops goes as soon as they are confirmed.
        if self
            .active
            .as_ref()
            .is_some_and(|a| a.held_for_stops.is_some())
        {
            self.send_start(now);
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

    /// The glasses must stop `glasses_id`: owed until they confirm, sent now if they are
    /// reachable (rule 15).
    pub(crate) fn owe_stop(&mut self, now: Instant, glasses_id: &str) {
        if let Some(forgotten) = self.owed.owe(glasses_id) {
            warn!(stream = %forgotten, "too many unconfirmed stops; forgetting the oldest");
        }
        if self.glasses.ready {
            self.send_owed_stops(now, false);
        }
    }

    /// Sends the owed stops that are due (all of them after a relink).
    pub(crate) fn send_owed_stops(&mut self, now: Instant, relinked: bool) {
        for id in self.owed.due(now, relinked) {
            self.send(
                &id,
                CommandKind::Stop,
                phone_to_glasses::Body::StopStream(proto::StopStream {
                    stream_id: id.clone(),
                }),
            );
        }
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
        now: Instant,
        stream_id: &str,
        app_id: Option<String>,
        problem: StreamProblem,
        detail: Option<String>,
    ) {
        let mut update = StreamUpdate::new(stream_id, StreamState::Error);
        update.problem = Some(problem);
        update.detail = detail;
        self.ended
            .record(stream_id, update.clone(), app_id.clone(), now);
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
        let stop_deadline = self.stop_deadline(now);
        let Some(p) = self.active.as_mut() else {
            return;
        };
        if p.state == StreamState::Stopping {
            return;
        }
        if !p.sent {
            // Never reached the glasses: nothing to stop there.
            let failed = |r: StreamProblem| !r.is_warning() && r != StreamProblem::DurationLimit;
            let state = if reason.is_some_and(failed) {
                StreamState::Error
            } else {
                StreamState::Stopped
            };
            self.end(now, state, reason, detail);
            return;
        }
        p.state = StreamState::Stopping;
        p.stop_reason = reason;
        p.start_deadline = None;
        for v in &mut p.viewers {
            v.duration_deadline = None;
        }
        p.bridge_keep_alive_at = None;
        p.stop_deadline = Some(stop_deadline);
        let id = p.glasses_id.clone();
        self.report_all(StreamState::Stopping, reason, detail, None, None, None);
        self.owe_stop(now, &id);
    }

    /// When an unconfirmed stop is reported done: the stop timeout while the glasses are
    /// reachable; while they are not, once their own watchdog has certainly ended the stream.
    pub(crate) fn stop_deadline(&self, now: Instant) -> Instant {
        let timeout = now + self.config.stop_timeout;
        match self.active.as_ref().and_then(|a| a.unreachable_since) {
            Some(since) => timeout.max(since + self.config.glasses_watchdog + WATCHDOG_MARGIN),
            None => timeout,
        }
    }

    /// The physical stream is over: report the final state to every viewer, remember them
    /// as ended, and start the held start, if any.
    pub(crate) fn end(
        &mut self,
        now: Instant,
        state: StreamState,
        problem: Option<StreamProblem>,
        detail: Option<String>,
    ) {
        let Some(active) = self.active.take() else {
            return;
        };
        if active.attempted && !active.sent {
            // It went out once, before the glasses left: they may run it (rule 15).
            self.owe_stop(now, &active.glasses_id);
        }
        for v in &active.viewers {
            let mut update = StreamUpdate::new(v.stream_id.clone(), state);
            update.problem = problem;
            update.detail = detail.clone();
            self.ended
                .record(&active.glasses_id, update.clone(), v.app_id.clone(), now);
            self.report(update, v.app_id.clone());
        }
        if let Some(next) = self.next.take() {
            // A held restart of an id that just ended is live again, not ended.
            for v in &next.viewers {
                self.ended.restarted(&v.stream_id);
            }
            self.active = Some(next);
            self.send_start(now);
        }
    }

    /// Sends the active start to the glasses, once they are ready, after the checks that
    /// need them (transports, Wi-Fi, compatibility).
    pub(crate) fn send_start(&mut self, now: Instant) {
        let ready = self.glasses.ready;
        if !ready {
            // Whatever it waited for, it now waits for the glasses (and asks again then).
            if let Some(a) = self.active.as_mut() {
                a.held_for_stops = None;
            }
            return;
        }
        let Some(a) = self.active.as_ref() else {
            return;
        };
        if a.sent {
            return;
        }
        let transport = Transport::from_wire(a.request.transport).unwrap_or(Transport::Rtmp);
        // Rule 14: a transport the glasses did not declare fails at once, with a sentence.
        if !self.glasses.transports.contains(&transport) {
            let declared: Vec<&str> = self.glasses.transports.iter().map(|t| t.label()).collect();
            let detail = format!(
                "{transport} is not supported by these glasses; they stream with {}",
                declared.join(", ")
            );
            self.end(
                now,
                StreamState::Error,
                Some(StreamProblem::TransportUnsupported),
                Some(detail),
            );
            return;
        }
        // Rule 5: no Wi-Fi on the glasses is an immediate error, never silence.
        if self.glasses.wifi == Some(false) {
            self.end(now, StreamState::Error, Some(StreamProblem::NoWifi), None);
            return;
        }
        // Rule 10: a start that waited is checked against the health of now.
        if let Some((problem, detail)) = self.health_block() {
            self.end(now, StreamState::Error, Some(problem), detail);
            return;
        }
        // (Its own id too: a restart must not meet a late retry of its old stop.)
        let stops_pending = self.owed.any_fresh(now, self.config.stop_timeout) || a.camera_busy;
        let Some(a) = self.active.as_mut() else {
            return;
        };
        // Rule 4: a camera still winding down another stream would refuse the start as busy;
        // wait for its stop to be confirmed, within the stop timeout.
        if stops_pending {
            let hold = *a
                .held_for_stops
                .get_or_insert(now + self.config.stop_timeout);
            if now < hold {
                debug!(stream = %a.glasses_id, "start waits for an owed stop to be confirmed");
                return;
            }
        }
        a.held_for_stops = None;
        a.camera_busy = false;
        // Rule 10: the heat now, not when the start was made, sets its bitrate (a start that
        // waited may have been made before the glasses warmed up or cooled down).
        a.set_throttled(self.heat >= HeatBand::Throttle, self.config.throttle_factor);
        a.sent = true;
        a.attempted = true;
        a.sent_at.get_or_insert(now);
        // A start that waited for the glasses gets the camera its own time to go live (rule 5);
        // one held behind another stream keeps the deadline the cloud was promised.
        if std::mem::replace(&mut a.waited_for_glasses, false) {
            a.start_deadline = Some(now + self.config.start_timeout);
        }
        let id = a.glasses_id.clone();
        let request = a.start_request(now);
        let restart = std::mem::replace(&mut a.restart_pending, false);
        // A stop still owed for this id would undo the start (a restart of the same id).
        self.owed.confirm(&id);
        self.send(
            &id,
            CommandKind::Start,
            phone_to_glasses::Body::StartStream(request),
        );
        if restart {
            info!(stream = %id, "restarting the managed stream");
            self.report_all(
                StreamState::Initializing,
                None,
                Some("restarting after the glasses link dropped".into()),
                None,
                None,
                None,
            );
        }
    }
}

/// Time after the glasses' watchdog window at which a stream they could not be told to stop
/// is certainly over.
pub(crate) const WATCHDOG_MARGIN: std::time::Duration = std::time::Duration::from_secs(5);

#[cfg(test)]
mod tests;
