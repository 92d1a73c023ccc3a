//! The supervisor's handlers for what the cloud does: start (URL check, health, Wi-Fi,
//! arbitration, config clamping), stop, keep-alive, and the cloud link going away and back.

use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::clamp::{duration_limit, resolve_audio, resolve_video};
use super::error::StreamProblem;
use super::keepalive::AckWindow;
use super::physical::{Physical, StreamKind, Viewer};
use super::status::StreamState;
use super::supervisor::{CommandKind, MANAGED_APP_ID, StreamSupervisor, StreamUpdate};
use super::url::validate_rtmp_url;
use crate::cloud::{KeepRtmpStreamAlive, ResolvedConfig, StartRtmpStream, StopRtmpStream};
use crate::health::{BatteryBand, HeatBand};
use crate::redact::redact_url;
use crate::wire::proto::{self, KeepStreamAlive, StopStream, phone_to_glasses};

impl StreamSupervisor {
    pub(crate) fn cloud_start(&mut self, now: Instant, start: StartRtmpStream) {
        let id = start.stream_id.clone();
        let app = start.app_id.clone();
        let url = start.rtmp_url.expose();
        info!(stream = %id, url = %redact_url(url), app = ?app, "start requested");

        // Rule 3: URLs are checked first; nothing reaches the glasses.
        if let Err(e) = validate_rtmp_url(url) {
            warn!(stream = %id, "refusing start: {e}");
            self.refuse(&id, app, StreamProblem::InvalidUrl, Some(e.to_string()));
            return;
        }
        // Rule 10: no start on a dying battery or an overheated camera.
        if self.battery == BatteryBand::Critical {
            self.refuse(&id, app, StreamProblem::BatteryLow, None);
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
        // Rule 5: no Wi-Fi on the glasses is an immediate error, never silence.
        if self.glasses.wifi == Some(false) {
            self.refuse(&id, app, StreamProblem::NoWifi, None);
            return;
        }
        let kind = if app.as_deref() == Some(MANAGED_APP_ID) {
            StreamKind::Managed
        } else {
            StreamKind::Unmanaged
        };
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
                        a.viewers.push(Viewer {
                            stream_id: id.clone(),
                            app_id: app.clone(),
                        });
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

        // Rule 2: the config reaches the camera, clamped to what the glasses declared.
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
        let limit = duration_limit(start.stream.duration_limit);
        let request = proto::StartStream {
            stream_id: id.clone(),
            kind: match kind {
                StreamKind::Managed => proto::StreamKind::Managed,
                StreamKind::Unmanaged => proto::StreamKind::Unmanaged,
            } as i32,
            url: url.clone(),
            video: Some(video),
            audio: Some(audio),
            // The bridge enforces the limit itself (rule 6); the glasses get it as a backstop.
            duration_limit_s: limit.unwrap_or(0),
            keep_alive_timeout_s: 0,
        };
        self.active = Some(Physical {
            glasses_id: id.clone(),
            kind,
            viewers: vec![Viewer {
                stream_id: id.clone(),
                app_id: app,
            }],
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

    pub(crate) fn cloud_stop(&mut self, now: Instant, stop: StopRtmpStream) {
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
            self.report(
                StreamUpdate {
                    stream_id: id,
                    state: StreamState::Stopped,
                    problem: None,
                    detail: None,
                    stats: None,
                    reconnect: None,
                    resolved: None,
                },
                app,
            );
            return;
        }
        self.begin_stop(now, None);
    }

    pub(crate) fn cloud_keep_alive(&mut self, now: Instant, ka: KeepRtmpStreamAlive) {
        let ack_deadline = now + self.config.keep_alive_ack_timeout;
        let ready = self.glasses.ready;
        let glasses_id = match self.active.as_mut() {
            Some(a) if a.has_viewer(&ka.stream_id) => {
                a.acks
                    .sent(ka.ack_id.clone(), ka.stream_id.clone(), ack_deadline);
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
        let interval = self.config.bridge_keep_alive_interval;
        if let Some(a) = self.active.as_mut() {
            a.bridge_keep_alive_at = Some(now + interval);
        }
    }
}

impl StreamSupervisor {
    /// Tells one cloud stream the physical stream's current state and resolved config.
    fn report_current(&mut self, stream_id: String, app: Option<String>) {
        let Some(a) = &self.active else { return };
        let (state, resolved) = (a.state, resolved_of(&a.request));
        self.report(
            StreamUpdate {
                stream_id,
                state,
                problem: None,
                detail: None,
                stats: None,
                reconnect: None,
                resolved: Some(resolved),
            },
            app,
        );
    }
}

fn resolved_of(request: &proto::StartStream) -> ResolvedConfig {
    ResolvedConfig::from_wire(
        &request.video.unwrap_or_default(),
        &request.audio.unwrap_or_default(),
    )
}
