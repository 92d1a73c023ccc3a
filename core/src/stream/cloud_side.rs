//! The supervisor's handlers for what the requester does: start (URL and transport check,
//! health, arbitration, config clamping; held while a takeover's stop completes, or while the
//! glasses connect), stop, keep-alive, and the cloud link going away and back.

use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::clamp::{duration_limit, resolve_audio, resolve_video};
use super::command::{KeepAliveRequest, StartRequest, StopRequest};
use super::error::StreamProblem;
use super::io::{CommandKind, StreamUpdate};
use super::keepalive::AckWindow;
use super::physical::{Physical, StreamKind, Viewer, throttled_bitrate};
use super::resolved::ResolvedConfig;
use super::status::StreamState;
use super::supervisor::StreamSupervisor;
use super::url::{Transport, UrlError, validate_stream_url};
use crate::health::{BatteryBand, HeatBand};
use crate::redact::redact_url;
use crate::wire::proto::{self, KeepStreamAlive, phone_to_glasses};

impl StreamSupervisor {
    pub(crate) fn cloud_start(&mut self, now: Instant, start: StartRequest) {
        let id = start.stream_id.clone();
        let app = start.app_id.clone();
        let url = start.url.expose();
        info!(stream = %id, url = %redact_url(url), app = ?app, kind = ?start.kind, "start requested");

        // Rules 3 and 14: URLs are checked first, per transport; nothing reaches the glasses.
        let transport = match validate_stream_url(url) {
            Ok(t) => t,
            Err(e) => {
                warn!(stream = %id, "refusing start: {e}");
                let problem = match e {
                    UrlError::Empty => StreamProblem::MissingUrl,
                    UrlError::UnknownScheme => StreamProblem::UnknownProtocol,
                    _ => StreamProblem::InvalidUrl,
                };
                let detail = (problem == StreamProblem::InvalidUrl).then(|| e.to_string());
                self.refuse(now, &id, app, problem, detail);
                return;
            }
        };
        // A duplicate of a start in progress: say where it is, do nothing twice.
        // (A start of the stream that is stopping is a restart: held until the stop is done.)
        let duplicate = self
            .active
            .as_ref()
            .filter(|a| a.state != StreamState::Stopping)
            .into_iter()
            .chain(self.next.as_ref())
            .any(|p| p.has_viewer(&id));
        if duplicate {
            debug!(stream = %id, "duplicate start; reporting the current state");
            self.report_current(id, app);
            return;
        }
        // Rule 10: no start on a dying battery or an overheated camera.
        if let Some((problem, detail)) = self.health_block() {
            self.refuse(now, &id, app, problem, detail);
            return;
        }
        // Glasses the bridge cannot talk to will not start anything: say what to update.
        if let Some(version) = self.glasses.incompatible {
            let detail = incompatible_detail(version);
            self.refuse(
                now,
                &id,
                app,
                StreamProblem::GlassesIncompatible,
                Some(detail),
            );
            return;
        }
        if self.glasses.ready {
            // Rule 14: a transport the glasses did not declare fails at once.
            if !self.glasses.transports.contains(&transport) {
                let declared: Vec<&str> =
                    self.glasses.transports.iter().map(|t| t.label()).collect();
                let detail = format!(
                    "{transport} is not supported by these glasses; they stream with {}",
                    declared.join(", ")
                );
                self.refuse(
                    now,
                    &id,
                    app,
                    StreamProblem::TransportUnsupported,
                    Some(detail),
                );
                return;
            }
            // Rule 5: no Wi-Fi on the glasses is an immediate error, never silence.
            if self.glasses.wifi == Some(false) {
                self.refuse(now, &id, app, StreamProblem::NoWifi, None);
                return;
            }
        }
        let kind = start.kind;
        // Rule 4: camera arbitration; rule 16: a takeover waits for the stop to complete.
        if let Some(active) = &self.active {
            match (active.kind, kind, active.state) {
                (StreamKind::Managed, StreamKind::Managed, s) if s != StreamState::Stopping => {
                    info!(stream = %id, joins = %active.glasses_id, "managed start joins the shared stream");
                    self.ended.restarted(&id);
                    let deadline = now + self.config.start_timeout;
                    let limit = duration_limit(start.duration_limit_s)
                        .map(|s| Duration::from_secs(u64::from(s)));
                    if self
                        .active
                        .as_ref()
                        .is_some_and(|a| a.viewers.len() >= MAX_VIEWERS)
                    {
                        let detail = format!("the shared stream already has {MAX_VIEWERS} viewers");
                        self.refuse(now, &id, app, StreamProblem::AlreadyStreaming, Some(detail));
                        return;
                    }
                    if let Some(a) = self.active.as_mut() {
                        // Waiting for the glasses, the newcomer waits its own deadline; once
                        // sent, it shares the camera's outcome. Its duration limit is its own.
                        let mut viewer = Viewer::new(id.clone(), app.clone(), deadline, limit);
                        if a.went_live {
                            viewer.duration_deadline = limit.map(|l| now + l);
                        }
                        a.viewers.push(viewer);
                    }
                    self.report_current(id, app);
                }
                (_, _, StreamState::Stopping) => {
                    let held = self.new_physical(now, &start, transport);
                    if let Some(old) = self.next.replace(held) {
                        // A newer start replaces one that was waiting (as the firmware does).
                        for v in old.viewers {
                            self.refuse(
                                now,
                                &v.stream_id,
                                v.app_id,
                                StreamProblem::Superseded,
                                None,
                            );
                        }
                    }
                    info!(stream = %id, "held until the stopping stream is gone");
                    self.ended.restarted(&id);
                    self.report_waiting(&id, app, "waiting for the previous stream to stop");
                }
                (StreamKind::Managed, StreamKind::Unmanaged, _) => {
                    self.refuse(now, &id, app, StreamProblem::ManagedStreamActive, None);
                }
                _ => self.refuse(now, &id, app, StreamProblem::AlreadyStreaming, None),
            }
            return;
        }
        self.ended.restarted(&id);
        let physical = self.new_physical(now, &start, transport);
        self.active = Some(physical);
        if self.glasses.ready {
            self.send_start(now);
        } else {
            // Rule 16: the glasses are coming (connecting, reconnecting): wait for them within
            // the start deadline.
            info!(stream = %id, "waiting for the glasses to connect");
            self.report_waiting(&id, app, "waiting for the glasses to connect");
        }
    }

    fn new_physical(&self, now: Instant, start: &StartRequest, transport: Transport) -> Physical {
        let limit = duration_limit(start.duration_limit_s);
        let (request, full_bitrate) = self.build_request(start, transport);
        let throttled = self.heat >= HeatBand::Throttle;
        Physical {
            glasses_id: start.stream_id.clone(),
            kind: start.kind,
            viewers: vec![Viewer::new(
                start.stream_id.clone(),
                start.app_id.clone(),
                now + self.config.start_timeout,
                limit.map(|s| Duration::from_secs(u64::from(s))),
            )],
            state: StreamState::Initializing,
            request,
            sent: false,
            held_for_stops: None,
            waited_for_glasses: !self.glasses.ready,
            attempted: false,
            sent_at: None,
            camera_busy: false,
            busy_retried: false,
            start_deadline: Some(now + self.config.start_timeout),
            went_live: false,
            stop_deadline: None,
            stop_reason: None,
            acks: AckWindow::new(self.config.keep_alive_window),
            // Without a cloud the bridge keeps every stream alive itself, from the start.
            bridge_keep_alive_at: self
                .local
                .then(|| now + self.config.bridge_keep_alive_interval),
            link_lost: false,
            unreachable_since: None,
            restarts: 0,
            restart_pending: false,
            throttled,
            bitrate_sends: 0,
            full_bitrate,
        }
    }

    /// Rule 2: the config reaches the camera, clamped to what the glasses declared, with every
    /// option of the start; already throttled when the glasses are hot (rule 10).
    /// Returns the request and the video bitrate before throttling.
    fn build_request(
        &self,
        start: &StartRequest,
        transport: Transport,
    ) -> (proto::StartStream, u32) {
        let limits = self.glasses.limits;
        let mut video = resolve_video(
            &start.video,
            &limits,
            &self.config.default_limits,
            &self.config.default_video,
        );
        let full_bitrate = video.bitrate_bps;
        if self.heat >= HeatBand::Throttle {
            video.bitrate_bps = throttled_bitrate(video.bitrate_bps, self.config.throttle_factor);
        }
        let audio = resolve_audio(
            &start.audio,
            &limits,
            &self.config.default_limits,
            &self.config.default_audio,
        );
        let request = proto::StartStream {
            stream_id: start.stream_id.clone(),
            kind: match start.kind {
                StreamKind::Managed => proto::StreamKind::Managed,
                StreamKind::Unmanaged => proto::StreamKind::Unmanaged,
            } as i32,
            url: start.url.expose().clone(),
            video: Some(video),
            audio: Some(audio),
            // The bridge enforces the limit itself (rule 6); the glasses get it as a backstop.
            duration_limit_s: duration_limit(start.duration_limit_s).unwrap_or(0),
            // The watchdog the bridge counts on when the glasses are out of reach.
            keep_alive_timeout_s: u32::try_from(self.config.glasses_watchdog.as_secs())
                .unwrap_or(u32::MAX),
            transport: transport.to_wire() as i32,
            auth_token: start
                .auth_token
                .as_ref()
                .map(|t| t.expose().clone())
                .unwrap_or_default(),
            ice: start.ice.as_ref().map(|i| proto::IceConfig {
                stun_server: i.stun.clone().unwrap_or_default(),
            }),
            sound: start.sound,
            capture_audio: start.capture_audio,
            telemetry: start.telemetry.unwrap_or(self.config.telemetry_default),
            trace_id: start.trace_id.clone().unwrap_or_default(),
        };
        (request, full_bitrate)
    }

    pub(crate) fn cloud_stop(&mut self, now: Instant, stop: StopRequest) {
        // A held start that has not begun: drop it.
        if let Some(next) = &self.next {
            if next.has_viewer(&stop.stream_id) {
                info!(stream = %stop.stream_id, "stop of a held start");
                if let Some(next) = self.next.take() {
                    for v in next.viewers {
                        let mut update =
                            StreamUpdate::new(v.stream_id.clone(), StreamState::Stopped);
                        update.detail = Some("stopped before it started".into());
                        self.ended
                            .record(&v.stream_id, update.clone(), v.app_id.clone(), now);
                        self.report(update, v.app_id);
                    }
                }
                return;
            }
        }
        let Some(active) = &self.active else {
            if stop.stream_id.is_empty() {
                info!("stop without a stream id while nothing streams; nothing to do");
            } else {
                // Not ours to know of, but the glasses may still run it: no orphan streams.
                self.owe_stop(now, &stop.stream_id);
            }
            return;
        };
        if stop.stream_id.is_empty() {
            // A bare stop (as today's phones send it) stops the stream for every viewer.
            info!(stream = %active.glasses_id, "stop without a stream id: stopping the stream");
            self.begin_stop(now, None);
            return;
        }
        let id = stop.stream_id;
        info!(stream = %id, "stop requested");
        if !active.has_viewer(&id) {
            if id != active.glasses_id {
                self.owe_stop(now, &id);
            }
            return;
        }
        if active.viewers.len() > 1 {
            // A managed viewer leaves; the shared stream goes on for the others.
            let app = active
                .viewers
                .iter()
                .find(|v| v.stream_id == id)
                .and_then(|v| v.app_id.clone());
            let glasses_id = active.glasses_id.clone();
            if let Some(a) = self.active.as_mut() {
                a.viewers.retain(|v| v.stream_id != id);
            }
            let update = StreamUpdate::new(id, StreamState::Stopped);
            self.ended
                .record(&glasses_id, update.clone(), app.clone(), now);
            self.report(update, app);
            return;
        }
        self.begin_stop(now, None);
    }

    pub(crate) fn cloud_keep_alive(&mut self, now: Instant, ka: KeepAliveRequest) {
        let max_ack = self.config.keep_alive_ack_timeout;
        let ready = self.glasses.ready;
        let glasses_id = match self.active.as_mut() {
            Some(a) if a.has_viewer(&ka.stream_id) => {
                // Rule 7, following the cadence the requester actually keeps.
                let timeout = match a.viewers.iter_mut().find(|v| v.stream_id == ka.stream_id) {
                    Some(v) => {
                        v.cadence.observe(now);
                        v.cadence.ack_timeout(max_ack)
                    }
                    None => max_ack,
                };
                a.acks
                    .sent(ka.ack_id.clone(), ka.stream_id.clone(), now + timeout);
                // The requester keeps it alive: the bridge feeds only once that lapses.
                if a.state != StreamState::Stopping && !self.local {
                    a.bridge_keep_alive_at = Some(a.lapse_at(&self.config, now));
                }
                a.glasses_id.clone()
            }
            _ => ka.stream_id.clone(),
        };
        if !ready {
            debug!(stream = %ka.stream_id, "keep-alive while glasses are not connected");
            return;
        }
        self.send(
            &glasses_id,
            CommandKind::KeepAlive,
            phone_to_glasses::Body::KeepStreamAlive(KeepStreamAlive {
                stream_id: glasses_id.clone(),
                ack_id: ka.ack_id,
            }),
        );
    }

    pub(crate) fn cloud_up(&mut self, now: Instant) {
        self.cloud_up = true;
        self.cloud_grace_deadline = None;
        // What the cloud may have missed while it was away (written into a dying socket, or
        // produced while it was gone and then dropped): the state of every stream now, and the
        // recent ends. Repeating a status is harmless; missing one is a ghost.
        for (update, app) in self.ended.recent(now) {
            self.out.push_back(super::io::StreamOutput::ToCloud(
                super::command::CloudReport::Status {
                    update,
                    app_id: app,
                },
            ));
        }
        if let Some(a) = &self.active {
            let viewers: Vec<(String, Option<String>)> = a
                .viewers
                .iter()
                .map(|v| (v.stream_id.clone(), v.app_id.clone()))
                .collect();
            for (id, app) in viewers {
                self.report_current(id, app);
            }
        }
    }

    pub(crate) fn cloud_down(&mut self, now: Instant, silent_for: Duration) {
        if !self.cloud_up && self.cloud_grace_deadline.is_some() {
            return;
        }
        self.cloud_up = false;
        // Rule 9: streams keep running through the grace period, counted from the cloud's
        // last sign of life, then stop. The glasses are fed once the cloud's keep-alives lapse.
        let last_seen = now.checked_sub(silent_for).unwrap_or(now);
        self.cloud_grace_deadline = Some((last_seen + self.config.cloud_grace).max(now));
    }
}

impl StreamSupervisor {
    /// Tells one cloud stream the physical stream's current state and resolved config.
    pub(crate) fn report_current(&mut self, stream_id: String, app: Option<String>) {
        let physical = [&self.active, &self.next]
            .into_iter()
            .flatten()
            .find(|p| p.has_viewer(&stream_id));
        let Some(p) = physical else { return };
        let mut update = StreamUpdate::new(stream_id, p.state);
        update.resolved = Some(ResolvedConfig::of_request(&p.request));
        self.report(update, app);
    }

    /// Tells the requester its start is accepted and waiting (rule 16), and why.
    fn report_waiting(&mut self, stream_id: &str, app: Option<String>, why: &str) {
        let mut update = StreamUpdate::new(stream_id, StreamState::Initializing);
        update.detail = Some(why.to_owned());
        self.report(update, app);
    }
}

impl StreamSupervisor {
    /// Why no stream may start now, if the glasses' health forbids it (rule 10).
    pub(crate) fn health_block(&self) -> Option<(StreamProblem, Option<String>)> {
        if let Some(b) = self.battery.filter(|b| b.band == BatteryBand::Critical) {
            return Some((StreamProblem::BatteryLow, Some(battery_detail(&b))));
        }
        (self.heat == HeatBand::Critical).then_some((StreamProblem::Overheated, None))
    }
}

/// Viewers of one shared stream, at most.
const MAX_VIEWERS: usize = 16;

/// The glasses firmware's own words for the battery gate, with the level that lets a start
/// through again.
pub(crate) fn battery_detail(b: &crate::health::BatteryVerdict) -> String {
    if b.resume_at > b.floor {
        format!(
            "Battery level too low ({}%) - minimum {}% required; streaming resumes at {}%",
            b.percent, b.floor, b.resume_at
        )
    } else {
        format!(
            "Battery level too low ({}%) - minimum {}% required",
            b.percent, b.floor
        )
    }
}

/// What the user needs to know about glasses of another protocol version.
pub(crate) fn incompatible_detail(version: u32) -> String {
    format!(
        "the glasses speak protocol version {version}; this app speaks version {}",
        crate::wire::PROTOCOL_VERSION
    )
}
