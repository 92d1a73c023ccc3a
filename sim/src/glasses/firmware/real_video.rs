//! The firmware's side of a real encoder ([`RtmpBehaviour::Real`]): it starts one run per
//! connection attempt, goes live on the first progress report, turns an encoder that died
//! into `error` (at start) or `reconnecting` → `reconnected` / `reconnect_failed` (while
//! live), each naming the cause, and reports measured stats.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Camera, GlassesSim, Stream};
use crate::video::{EncodeRequest, EncoderCommand, EncoderEvent, EncoderExit, EncoderProgress};
use mentra_bridge::wire::proto::{
    StreamErrorCode, StreamState, StreamStats, glasses_to_phone::Body as G,
};

#[cfg(doc)]
use super::super::config::RtmpBehaviour;

/// Longest wait for an encoder asked to stop before `stopped` is reported anyway.
pub(super) const STOP_GRACE: Duration = Duration::from_secs(10);
/// Longest a reconnect attempt may take before it counts as failed.
const ATTEMPT_LIMIT: Duration = Duration::from_secs(30);
/// Pause between a failed reconnect attempt and the next.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// What the firmware knows about its encoder.
#[derive(Debug, Default)]
pub(super) struct EncoderState {
    /// Commands waiting for the runner.
    pub(super) commands: VecDeque<EncoderCommand>,
    /// The current (or last) run.
    run: u64,
    /// A run is going and has not reported its end.
    busy: bool,
    /// Latest measurement of the current run.
    latest: Option<EncoderProgress>,
    /// The measurement behind the last stats reported.
    reported: Option<EncoderProgress>,
    /// Why the last run failed, in the encoder's words.
    cause: String,
}

impl GlassesSim {
    /// Starts a new encoder run for `stream`.
    pub(super) fn start_encoder(&mut self, stream: &Stream) {
        self.stop_encoder();
        let e = &mut self.encoder;
        e.run += 1;
        e.busy = true;
        e.latest = None;
        e.reported = None;
        e.commands.push_back(EncoderCommand::Start(EncodeRequest {
            run: e.run,
            url: stream.url.clone(),
            video: stream.video,
            audio: stream.audio,
        }));
    }

    /// Asks a running encoder to stop; true if one was running.
    pub(super) fn stop_encoder(&mut self) -> bool {
        let e = &mut self.encoder;
        let was = std::mem::replace(&mut e.busy, false);
        if was {
            e.commands.push_back(EncoderCommand::Stop { run: e.run });
        }
        was
    }

    pub(super) fn encoder_event(&mut self, now: Instant, event: EncoderEvent) {
        match event {
            EncoderEvent::Progress { run, progress } if run == self.encoder.run => {
                self.encoder.latest = Some(progress);
                self.encoder_live(now);
            }
            EncoderEvent::Exited { run, exit } if run == self.encoder.run => {
                let asked = !std::mem::replace(&mut self.encoder.busy, false);
                match exit {
                    EncoderExit::Failed(cause) if !asked => self.encoder_failed(now, cause),
                    _ => {
                        if let Camera::Stopping { stream, .. } = self.camera.clone() {
                            let status = self.status(&stream, StreamState::Stopped, now);
                            self.emit(0, status);
                            self.camera = Camera::Idle;
                        }
                    }
                }
            }
            // A late report from an earlier run.
            _ => {}
        }
    }

    /// The ingest took the stream: live (again).
    fn encoder_live(&mut self, now: Instant) {
        match self.camera.clone() {
            Camera::Starting { stream, .. } => self.go_live(now, stream, false, None),
            Camera::Reconnecting { stream, .. } => self.go_live(now, stream, true, None),
            _ => {}
        }
    }

    /// The encoder died on its own: refused at start, or lost while live.
    fn encoder_failed(&mut self, now: Instant, cause: String) {
        self.encoder.cause = cause;
        match self.camera.clone() {
            Camera::Starting { stream, .. } => {
                let detail = format!("RTMP connection failed: {}", self.encoder.cause);
                self.fail(&stream, StreamErrorCode::RtmpConnectFailed, &detail, now);
            }
            Camera::Streaming { stream, .. } => {
                self.camera = Camera::Reconnecting {
                    stream,
                    attempt: 1,
                    next_at: now,
                };
                self.handle_timeout(now);
            }
            Camera::Reconnecting {
                stream, attempt, ..
            } => {
                self.camera = Camera::Reconnecting {
                    stream,
                    attempt,
                    next_at: now + RETRY_PAUSE,
                };
            }
            Camera::Stopping { stream, .. } => {
                let status = self.status(&stream, StreamState::Stopped, now);
                self.emit(0, status);
                self.camera = Camera::Idle;
            }
            Camera::Idle => {}
        }
    }

    /// A reconnect attempt is due (or the last one took too long).
    pub(super) fn real_reconnect_due(
        &mut self,
        now: Instant,
        stream: Stream,
        attempt: u32,
        max: u32,
    ) {
        if self.stop_encoder() {
            self.encoder.cause = "the ingest did not answer".into();
        }
        if attempt <= max {
            let mut status = self.status(&stream, StreamState::Reconnecting, now);
            if let G::StreamStatus(st) = &mut status {
                st.reconnect_attempt = attempt;
                st.reconnect_max = max;
                st.error_detail = format!("connection_lost: {}", self.encoder.cause);
            }
            self.emit(0, status);
            self.start_encoder(&stream);
            self.camera = Camera::Reconnecting {
                stream,
                attempt: attempt + 1,
                next_at: now + ATTEMPT_LIMIT,
            };
        } else {
            let detail = format!(
                "Maximum reconnection attempts reached: {}",
                self.encoder.cause
            );
            let mut status =
                self.failure(&stream, StreamErrorCode::ReconnectExhausted, &detail, now);
            if let G::StreamStatus(st) = &mut status {
                st.state = StreamState::ReconnectFailed as i32;
                st.reconnect_max = max;
            }
            self.emit(0, status);
            self.go_idle();
        }
    }

    /// Stats from the encoder's own measurements: the bitrate over the bytes written since the
    /// last report, ffmpeg's frame rate and dropped frames. `None` until a second of video has
    /// been written (ffmpeg's first figures are noise).
    pub(super) fn measured_stats(&mut self, stream: &Stream, now: Instant) -> Option<StreamStats> {
        let latest = self.encoder.latest?;
        if latest.out_time < Duration::from_secs(1) {
            return None;
        }
        let bitrate_bps = match self.encoder.reported {
            Some(prev)
                if latest.out_time > prev.out_time && latest.total_bytes >= prev.total_bytes =>
            {
                let bits = (latest.total_bytes - prev.total_bytes) as f64 * 8.0;
                let seconds = (latest.out_time - prev.out_time).as_secs_f64();
                (bits / seconds).min(f64::from(u32::MAX)) as u32
            }
            _ => latest.bitrate_bps,
        };
        self.encoder.reported = Some(latest);
        Some(StreamStats {
            bitrate_bps,
            fps: latest.fps,
            dropped_frames: u32::try_from(latest.dropped_frames).unwrap_or(u32::MAX),
            duration_s: now.saturating_duration_since(stream.started).as_secs() as u32,
            temperature_c: (self.temperature * 10.0).round() as f32 / 10.0,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::glasses::{GlassesSimConfig, RtmpBehaviour, SimInput};
    use mentra_bridge::wire::proto::{
        PhoneToGlasses, StartStream, StopStream, StreamStatus, VideoConfig,
        phone_to_glasses::Body as P,
    };

    const URL: &str = "rtmp://127.0.0.1:1935/live/sk_secret";

    struct Rig {
        sim: GlassesSim,
        t0: Instant,
        next_id: u32,
    }

    impl Rig {
        fn new(attempts: u32) -> Self {
            let t0 = Instant::now();
            let config = GlassesSimConfig {
                rtmp: RtmpBehaviour::Real {
                    reconnect_attempts: attempts,
                },
                ..Default::default()
            };
            let mut sim = GlassesSim::new(config, t0);
            sim.handle_input(t0, SimInput::Connected);
            Self {
                sim,
                t0,
                next_id: 1,
            }
        }

        fn at(&self, ms: u64) -> Instant {
            self.t0 + Duration::from_millis(ms)
        }

        fn send(&mut self, ms: u64, body: P) {
            let message_id = self.next_id;
            self.next_id += 1;
            let now = self.at(ms);
            self.sim.handle_input(
                now,
                SimInput::Message(PhoneToGlasses {
                    message_id,
                    reply_to: 0,
                    body: Some(body),
                }),
            );
        }

        fn event(&mut self, ms: u64, event: EncoderEvent) {
            let now = self.at(ms);
            self.sim.handle_input(now, SimInput::Encoder(event));
        }

        fn tick(&mut self, ms: u64) {
            let now = self.at(ms);
            self.sim.handle_timeout(now);
        }

        fn statuses(&mut self) -> Vec<StreamStatus> {
            std::iter::from_fn(|| self.sim.poll_output())
                .filter_map(|m| match m.body {
                    Some(G::StreamStatus(s)) => Some(s),
                    _ => None,
                })
                .collect()
        }

        fn commands(&mut self) -> Vec<EncoderCommand> {
            std::iter::from_fn(|| self.sim.poll_encoder()).collect()
        }

        fn start(&mut self) -> u64 {
            self.send(
                0,
                P::StartStream(StartStream {
                    stream_id: "s1".into(),
                    url: URL.into(),
                    video: Some(VideoConfig {
                        width: 640,
                        height: 360,
                        bitrate_bps: 800_000,
                        fps: 15,
                    }),
                    telemetry: true,
                    ..Default::default()
                }),
            );
            match self.commands().as_slice() {
                [EncoderCommand::Start(r)] => {
                    assert_eq!(r.url.expose(), URL);
                    assert_eq!((r.video.width, r.video.height, r.video.fps), (640, 360, 15));
                    r.run
                }
                other => panic!("expected one start, got {other:?}"),
            }
        }
    }

    fn progress(run: u64, seconds: u64, bytes: u64) -> EncoderEvent {
        EncoderEvent::Progress {
            run,
            progress: EncoderProgress {
                frames: seconds * 15,
                fps: 15.0,
                bitrate_bps: 900_000,
                total_bytes: bytes,
                out_time: Duration::from_secs(seconds),
                dropped_frames: 0,
                ended: false,
            },
        }
    }

    fn failed(run: u64, cause: &str) -> EncoderEvent {
        EncoderEvent::Exited {
            run,
            exit: EncoderExit::Failed(cause.into()),
        }
    }

    fn state(s: &StreamStatus) -> StreamState {
        StreamState::try_from(s.state).unwrap()
    }

    #[test]
    fn live_only_once_the_encoder_reports_progress() {
        let mut rig = Rig::new(3);
        let run = rig.start();
        let before = rig.statuses();
        assert_eq!(
            before.iter().map(state).collect::<Vec<_>>(),
            [StreamState::Initializing]
        );
        rig.tick(5_000);
        assert!(
            rig.statuses().is_empty(),
            "no invented `streaming` without an encoder"
        );
        rig.event(5_100, progress(run, 1, 100_000));
        let live = rig.statuses();
        assert_eq!(
            live.iter().map(state).collect::<Vec<_>>(),
            [StreamState::Streaming]
        );
    }

    #[test]
    fn a_refused_connection_at_start_is_an_error_naming_the_cause() {
        let mut rig = Rig::new(3);
        let run = rig.start();
        rig.statuses();
        rig.event(300, failed(run, "Connection refused"));
        let error = rig.statuses();
        assert_eq!(error.len(), 1);
        assert_eq!(state(&error[0]), StreamState::Error);
        assert_eq!(error[0].stream_id, "s1");
        assert_eq!(
            error[0].error_code,
            StreamErrorCode::RtmpConnectFailed as i32
        );
        assert_eq!(
            error[0].error_detail,
            "RTMP connection failed: Connection refused"
        );
    }

    #[test]
    fn stats_are_the_measured_bytes_over_the_measured_time() {
        let mut rig = Rig::new(3);
        let run = rig.start();
        rig.event(1_000, progress(run, 1, 100_000));
        rig.statuses();
        rig.event(2_900, progress(run, 3, 350_000));
        rig.tick(3_000); // stats period is 2 s
        let stats = rig.statuses().pop().unwrap().stats.unwrap();
        // 250 000 bytes in 2 s of media = 1 000 000 bit/s (not the 800 000 asked for).
        assert_eq!(stats.bitrate_bps, 1_000_000);
        assert_eq!(stats.fps, 15.0);
        assert_eq!(stats.duration_s, 3);
    }

    #[test]
    fn a_lost_connection_retries_with_the_cause_then_gives_up() {
        let mut rig = Rig::new(2);
        let run = rig.start();
        rig.event(1_000, progress(run, 1, 100_000));
        rig.statuses();
        rig.event(4_000, failed(run, "Broken pipe"));
        let first = rig.statuses();
        assert_eq!(first.len(), 1);
        assert_eq!(state(&first[0]), StreamState::Reconnecting);
        assert_eq!((first[0].reconnect_attempt, first[0].reconnect_max), (1, 2));
        assert_eq!(first[0].error_detail, "connection_lost: Broken pipe");
        let retry = match rig.commands().as_slice() {
            [EncoderCommand::Start(r)] => r.run,
            other => panic!("expected a new run, got {other:?}"),
        };
        assert_ne!(retry, run);

        rig.event(4_300, failed(retry, "Connection refused"));
        rig.tick(5_300);
        let second = rig.statuses();
        assert_eq!(
            (second[0].reconnect_attempt, second[0].error_detail.as_str()),
            (2, "connection_lost: Connection refused")
        );
        let last = match rig.commands().as_slice() {
            [EncoderCommand::Start(r)] => r.run,
            other => panic!("expected a new run, got {other:?}"),
        };
        rig.event(5_600, failed(last, "Connection refused"));
        rig.tick(6_600);
        let end = rig.statuses();
        assert_eq!(state(&end[0]), StreamState::ReconnectFailed);
        assert_eq!(end[0].stream_id, "s1");
        assert_eq!(
            end[0].error_detail,
            "Maximum reconnection attempts reached: Connection refused"
        );
        assert!(rig.commands().is_empty(), "nothing left running");
    }

    #[test]
    fn a_reconnect_that_works_reports_reconnected_then_streaming() {
        let mut rig = Rig::new(3);
        let run = rig.start();
        rig.event(1_000, progress(run, 1, 100_000));
        rig.event(4_000, failed(run, "Broken pipe"));
        let EncoderCommand::Start(r) = rig.commands().remove(0) else {
            panic!()
        };
        rig.statuses();
        rig.event(4_500, progress(r.run, 1, 100_000));
        let back: Vec<_> = rig.statuses().iter().map(state).collect();
        assert_eq!(back, [StreamState::Reconnected, StreamState::Streaming]);
    }

    #[test]
    fn stop_ends_the_encoder_and_stopped_follows_its_exit() {
        let mut rig = Rig::new(3);
        let run = rig.start();
        rig.event(1_000, progress(run, 1, 100_000));
        rig.statuses();
        rig.send(
            2_000,
            P::StopStream(StopStream {
                stream_id: "s1".into(),
            }),
        );
        assert_eq!(rig.commands(), [EncoderCommand::Stop { run }]);
        assert_eq!(
            rig.statuses().iter().map(state).collect::<Vec<_>>(),
            [StreamState::Stopping]
        );
        rig.event(
            2_400,
            EncoderEvent::Exited {
                run,
                exit: EncoderExit::Stopped,
            },
        );
        assert_eq!(
            rig.statuses().iter().map(state).collect::<Vec<_>>(),
            [StreamState::Stopped]
        );
    }

    #[test]
    fn the_keep_alive_watchdog_ends_the_encoder() {
        let mut rig = Rig::new(3);
        let run = rig.start();
        rig.event(1_000, progress(run, 1, 100_000));
        rig.statuses();
        rig.tick(61_000); // default watchdog 60 s, no keep-alive
        assert!(rig.commands().contains(&EncoderCommand::Stop { run }));
        let end = rig.statuses();
        assert_eq!(
            end.last().map(|s| s.error_code),
            Some(StreamErrorCode::KeepAliveTimeout as i32)
        );
    }

    #[test]
    fn reports_from_an_earlier_run_are_ignored() {
        let mut rig = Rig::new(3);
        let run = rig.start();
        rig.event(1_000, progress(run, 1, 100_000));
        rig.event(4_000, failed(run, "Broken pipe"));
        rig.commands();
        rig.statuses();
        rig.event(4_100, failed(run, "late news"));
        rig.event(4_100, progress(run, 5, 500_000));
        assert!(rig.statuses().is_empty());
    }
}
