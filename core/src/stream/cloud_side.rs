//! The supervisor's handlers for what the requester does: start (URL and transport check,
//! health, Wi-Fi, arbitration, config clamping), stop, keep-alive, and the cloud link going
//! away and back.

use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::clamp::{duration_limit, resolve_audio, resolve_video};
use super::command::{KeepAliveRequest, StartRequest, StopRequest};
use super::error::StreamProblem;
use super::keepalive::AckWindow;
use super::physical::{Physical, StreamKind, Viewer};
use super::resolved::ResolvedConfig;
use super::status::StreamState;
use super::supervisor::{CommandKind, StreamSupervisor, StreamUpdate};
use super::url::{Transport, UrlError, validate_stream_url};
use crate::health::{BatteryBand, HeatBand};
use crate::redact::redact_url;
use crate::wire::proto::{self, KeepStreamAlive, StopStream, phone_to_glasses};

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
                self.refuse(&id, app, problem, detail);
                return;
            }
        };
        // Rule 10: no start on a dying battery or an overheated camera.
        if let Some(b) = self.battery.filter(|b| b.band == BatteryBand::Critical) {
            self.refuse(
                &id,
                app,
                StreamProblem::BatteryLow,
                Some(battery_detail(&b)),
            );
            return;
        }
        if self.heat == HeatBand::Critical {
            self.refuse(&id, app, StreamProblem::Overheated, None);
            return;
        }
        if !self.glasses.ready {
            self.refuse(&id, app, StreamProblem::GlassesNotConnected, None);
            return;
        }
        // Rule 14: a transport the glasses did not declare fails at once, with a sentence.
        if !self.glasses.transports.contains(&transport) {
            let declared: Vec<&str> = self.glasses.transports.iter().map(|t| t.label()).collect();
            let detail = format!(
                "{transport} is not supported by these glasses; they stream with {}",
                declared.join(", ")
            );
            self.refuse(&id, app, StreamProblem::TransportUnsupported, Some(detail));
            return;
        }
        // Rule 5: no Wi-Fi on the glasses is an immediate error, never silence.
        if self.glasses.wifi == Some(false) {
            self.refuse(&id, app, StreamProblem::NoWifi, None);
            return;
        }
        let kind = start.kind;
        // Rule 4: camera arbitration.
        if let Some(active) = &self.active {
            if active.has_viewer(&id) {
                debug!(stream = %id, "duplicate start; reporting the current state");
                self.report_current(id, app);
                return;
            }
            match (active.kind, kind, active.state) {
                (StreamKind::Managed, StreamKind::Managed, s) if s != StreamState::Stopping => {
                    info!(stream = %id, joins = %active.glasses_id, "managed start joins the shared stream");
                    if let Some(a) = self.active.as_mut() {
                        a.viewers.push(Viewer::new(id.clone(), app.clone()));
                    }
                    self.report_current(id, app);
                }
                (StreamKind::Managed, StreamKind::Unmanaged, _) => {
                    self.refuse(&id, app, StreamProblem::ManagedStreamActive, None);
                }
                _ => self.refuse(&id, app, StreamProblem::AlreadyStreaming, None),
            }
            return;
        }

        let request = self.build_request(&start, transport);
        let limit = duration_limit(start.duration_limit_s);
        self.active = Some(Physical {
            glasses_id: id.clone(),
            kind,
            viewers: vec![Viewer::new(id.clone(), app)],
            state: StreamState::Initializing,
            request: request.clone(),
            start_deadline: Some(now + self.config.start_timeout),
            duration_limit: limit.map(|s| Duration::from_secs(u64::from(s))),
            duration_deadline: None,
            stop_deadline: None,
            stop_reason: None,
            stop_pending: false,
            acks: AckWindow::new(self.config.keep_alive_window),
            bridge_keep_alive_at: self
                .local
                .then(|| now + self.config.bridge_keep_alive_interval),
            link_lost: false,
            restarts: 0,
            throttled: false,
        });
        self.send(
            &id,
            CommandKind::Start,
            phone_to_glasses::Body::StartStream(request),
        );
    }

    /// Rule 2: the config reaches the camera, clamped to what the glasses declared, with every
    /// option of the start.
    fn build_request(&self, start: &StartRequest, transport: Transport) -> proto::StartStream {
        let limits = self.glasses.limits;
        let video = resolve_video(
            &start.video,
            &limits,
            &self.config.default_limits,
            &self.config.default_video,
        );
        let audio = resolve_audio(
            &start.audio,
            &limits,
            &self.config.default_limits,
            &self.config.default_audio,
        );
        proto::StartStream {
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
            keep_alive_timeout_s: 0,
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
        }
    }

    pub(crate) fn cloud_stop(&mut self, now: Instant, stop: StopRequest) {
        let Some(active) = &self.active else {
            if stop.stream_id.is_empty() {
                info!("stop without a stream id while nothing streams; nothing to do");
            } else if self.glasses.ready {
                // Not ours to know of, but the glasses may still run it: no orphan streams.
                let id = stop.stream_id;
                self.send(
                    &id,
                    CommandKind::Stop,
                    phone_to_glasses::Body::StopStream(StopStream {
                        stream_id: id.clone(),
                    }),
                );
            }
            return;
        };
        let id = if stop.stream_id.is_empty() {
            active.glasses_id.clone()
        } else {
            stop.stream_id
        };
        info!(stream = %id, "stop requested");
        if !active.has_viewer(&id) {
            if self.glasses.ready && id != active.glasses_id {
                self.send(
                    &id,
                    CommandKind::Stop,
                    phone_to_glasses::Body::StopStream(StopStream {
                        stream_id: id.clone(),
                    }),
                );
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
            if let Some(a) = self.active.as_mut() {
                a.viewers.retain(|v| v.stream_id != id);
            }
            self.report(StreamUpdate::new(id, StreamState::Stopped), app);
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

    pub(crate) fn cloud_up(&mut self) {
        self.cloud_up = true;
        self.cloud_grace_deadline = None;
        if let Some(a) = self.active.as_mut() {
            a.bridge_keep_alive_at = None;
        }
    }

    pub(crate) fn cloud_down(&mut self, now: Instant) {
        if !self.cloud_up && self.cloud_grace_deadline.is_some() {
            return;
        }
        self.cloud_up = false;
        // Rule 9: streams keep running through the grace period, then stop.
        self.cloud_grace_deadline = Some(now + self.config.cloud_grace);
        let assumed = self.config.bridge_keep_alive_interval;
        if let Some(a) = self.active.as_mut() {
            a.bridge_keep_alive_at = Some(now + a.feed_interval(assumed));
        }
    }
}

impl StreamSupervisor {
    /// Tells one cloud stream the physical stream's current state and resolved config.
    fn report_current(&mut self, stream_id: String, app: Option<String>) {
        let Some(a) = &self.active else { return };
        let mut update = StreamUpdate::new(stream_id, a.state);
        update.resolved = Some(ResolvedConfig::of_request(&a.request));
        self.report(update, app);
    }
}

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
