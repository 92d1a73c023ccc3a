//! Supervisor tests with a fake clock: one test per rule of the behaviour contract
//! (DESIGN §5), named after it. The harness records every output and moves time only forward.

mod crossings;
mod rules_01_06;
mod rules_07_13;

use std::time::{Duration, Instant};

use super::*;
use crate::stream::{
    CloudReport, HealthChange, KeepAliveRequest, RequestedVideo, StartRequest, StopRequest,
    StreamCommand, StreamConfig, StreamKind, Timer, Transport,
};
use crate::wire::proto::{StreamErrorCode, StreamState as W};

pub(super) const URL: &str = "rtmps://ingest.example.com/live/sk_SECRET_KEY_123";

/// The supervisor with glasses ready (sim limits), Wi-Fi on, the cloud up.
pub(super) struct H {
    pub(super) s: StreamSupervisor,
    pub(super) t0: Instant,
    pub(super) now: Instant,
}

impl H {
    pub(super) fn new() -> Self {
        Self::with(StreamConfig::default())
    }

    pub(super) fn with(config: StreamConfig) -> Self {
        let t0 = Instant::now();
        let mut h = Self {
            s: StreamSupervisor::new(config, t0).unwrap(),
            t0,
            now: t0,
        };
        h.input(StreamInput::CloudUp);
        h.input(StreamInput::GlassesReady {
            limits: StreamConfig::default().default_limits,
            transports: vec![Transport::Rtmp, Transport::Srt, Transport::Whip],
        });
        h.input(StreamInput::GlassesWifi { connected: true });
        h
    }

    pub(super) fn input(&mut self, input: StreamInput) -> Vec<StreamOutput> {
        self.s.handle_input(self.now, input);
        std::iter::from_fn(|| self.s.poll_output()).collect()
    }

    /// Moves time to `t0 + at`, firing every deadline on the way, in order.
    pub(super) fn at(&mut self, at: Duration) -> Vec<StreamOutput> {
        let target = self.t0 + at;
        assert!(target >= self.now, "time only moves forward");
        let mut out = Vec::new();
        while let Some(deadline) = self.s.poll_timeout().filter(|d| *d <= target) {
            self.now = deadline.max(self.now);
            self.s.handle_timeout(self.now);
            out.extend(std::iter::from_fn(|| self.s.poll_output()));
        }
        self.now = target;
        self.s.handle_timeout(self.now);
        out.extend(std::iter::from_fn(|| self.s.poll_output()));
        out
    }

    pub(super) fn start(&mut self, id: &str, app: &str) -> Vec<StreamOutput> {
        self.start_with(id, app, URL, RequestedVideo::default(), None)
    }

    /// A start as the cloud's translator makes it; `app` = [`MANAGED`] for a managed one.
    pub(super) fn request(id: &str, app: &str, url: &str) -> StartRequest {
        let kind = if app == MANAGED {
            StreamKind::Managed
        } else {
            StreamKind::Unmanaged
        };
        StartRequest {
            app_id: Some(app.into()),
            ..StartRequest::new(id, kind, url)
        }
    }

    pub(super) fn start_with(
        &mut self,
        id: &str,
        app: &str,
        url: &str,
        video: RequestedVideo,
        duration: Option<f64>,
    ) -> Vec<StreamOutput> {
        self.start_request(StartRequest {
            video,
            duration_limit_s: duration,
            ..Self::request(id, app, url)
        })
    }

    pub(super) fn start_request(&mut self, request: StartRequest) -> Vec<StreamOutput> {
        self.input(StreamInput::Cloud(StreamCommand::Start(Box::new(request))))
    }

    pub(super) fn stop(&mut self, id: &str) -> Vec<StreamOutput> {
        self.input(StreamInput::Cloud(StreamCommand::Stop(StopRequest {
            stream_id: id.into(),
        })))
    }

    pub(super) fn keep_alive(&mut self, id: &str, ack: &str) -> Vec<StreamOutput> {
        self.input(StreamInput::Cloud(StreamCommand::KeepAlive(
            KeepAliveRequest {
                stream_id: id.into(),
                ack_id: ack.into(),
            },
        )))
    }

    pub(super) fn glasses(
        &mut self,
        id: &str,
        state: W,
        code: StreamErrorCode,
    ) -> Vec<StreamOutput> {
        self.input(StreamInput::GlassesStatus(proto::StreamStatus {
            stream_id: id.into(),
            state: state as i32,
            error_code: code as i32,
            ..Default::default()
        }))
    }

    pub(super) fn ack(&mut self, id: &str, ack: &str) -> Vec<StreamOutput> {
        self.input(StreamInput::GlassesKeepAliveAck(proto::KeepAliveAck {
            stream_id: id.into(),
            ack_id: ack.into(),
        }))
    }

    /// A stream `id` that the glasses report live.
    pub(super) fn live(&mut self, id: &str, app: &str) {
        self.start(id, app);
        self.glasses(id, W::Streaming, StreamErrorCode::None);
    }
}

/// The `appId` the cloud uses for managed streams (its translator marks them managed).
pub(super) const MANAGED: &str = "MANAGED_STREAM";

/// The stream updates reported to the cloud.
pub(super) fn cloud(out: &[StreamOutput]) -> Vec<StreamUpdate> {
    out.iter()
        .filter_map(|o| match o {
            StreamOutput::ToCloud(CloudReport::Status { update, .. }) => Some(update.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn acks(out: &[StreamOutput]) -> Vec<(String, String)> {
    out.iter()
        .filter_map(|o| match o {
            StreamOutput::ToCloud(CloudReport::KeepAliveAck { stream_id, ack_id }) => {
                Some((stream_id.clone(), ack_id.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The sentence the cloud and the UI get: the problem's, with the detail.
pub(super) fn sentence(u: &StreamUpdate) -> String {
    match (u.problem, &u.detail) {
        (Some(p), Some(d)) => format!("{} ({d})", p.message()),
        (Some(p), None) => p.message().to_owned(),
        (None, Some(d)) => d.clone(),
        (None, None) => String::new(),
    }
}

pub(super) fn to_glasses(out: &[StreamOutput]) -> Vec<GlassesCommand> {
    out.iter()
        .filter_map(|o| match o {
            StreamOutput::ToGlasses(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// (stream id, state word, problem code) of every update reported to the cloud.
pub(super) fn words(out: &[StreamOutput]) -> Vec<(String, String, Option<String>)> {
    cloud(out)
        .into_iter()
        .map(|s| {
            (
                s.stream_id,
                s.state.to_string(),
                s.problem.map(|p| p.code().to_owned()),
            )
        })
        .collect()
}

pub(super) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
