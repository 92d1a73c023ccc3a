//! The real encoder: one ffmpeg per run, pushing a generated test pattern and tone at the
//! resolved resolution, bitrate and frame rate to the RTMP URL, under the process guard.
//! Its `-progress` output becomes [`EncoderEvent::Progress`]; its end becomes
//! [`EncoderEvent::Exited`] with the cause in ffmpeg's words (never the URL).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::BufReader;
use tokio::process::Child;
use tokio::sync::mpsc;
use tracing::{debug, info};

use super::encoder::{EncodeRequest, EncoderCommand, EncoderEvent, EncoderExit};
use super::guard::{Lifeline, read_line_bounded, spawn_guarded};
use super::progress::{ErrorTail, ProgressParser};

/// ffmpeg gives up on a write to an ingest that stopped reading after this long (µs), so a
/// stalled server is a lost connection, not a hang.
const IO_TIMEOUT_US: &str = "5000000";
/// Longest line kept from ffmpeg's output.
const MAX_LINE: usize = 1024;
/// Events buffered between the ffmpeg watchers and the simulator.
const EVENT_QUEUE: usize = 64;

/// Runs ffmpeg for the glasses simulator. Dropping it ends any ffmpeg it started.
#[derive(Debug)]
pub struct FfmpegEncoder {
    program: PathBuf,
    tx: mpsc::Sender<EncoderEvent>,
    rx: mpsc::Receiver<EncoderEvent>,
    current: Option<Running>,
}

#[derive(Debug)]
struct Running {
    run: u64,
    lifeline: Lifeline,
    stopping: Arc<AtomicBool>,
}

impl FfmpegEncoder {
    /// An encoder that runs `program` (an ffmpeg with lavfi, libx264 and aac).
    pub fn new(program: PathBuf) -> Self {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        Self {
            program,
            tx,
            rx,
            current: None,
        }
    }

    /// Carries out a command from the firmware.
    pub fn handle(&mut self, command: EncoderCommand) {
        match command {
            EncoderCommand::Start(request) => {
                self.stop_current();
                self.start(request);
            }
            EncoderCommand::Stop { run } => {
                if self.current.as_ref().is_some_and(|c| c.run == run) {
                    self.stop_current();
                }
            }
        }
    }

    /// The next event. Cancel-safe.
    pub async fn next_event(&mut self) -> Option<EncoderEvent> {
        let event = self.rx.recv().await?;
        if let EncoderEvent::Exited { run, .. } = &event {
            if self.current.as_ref().is_some_and(|c| c.run == *run) {
                self.current = None;
            }
        }
        Some(event)
    }

    fn stop_current(&mut self) {
        if let Some(mut running) = self.current.take() {
            running.stopping.store(true, Ordering::SeqCst);
            running.lifeline.cut();
        }
    }

    fn start(&mut self, request: EncodeRequest) {
        let run = request.run;
        let args = ffmpeg_args(&request);
        match spawn_guarded(&self.program, &args, None) {
            Ok((child, lifeline)) => {
                info!(
                    run,
                    width = request.video.width,
                    height = request.video.height,
                    fps = request.video.fps,
                    bitrate = request.video.bitrate_bps,
                    "ffmpeg started"
                );
                let stopping = Arc::new(AtomicBool::new(false));
                tokio::spawn(watch(run, child, Arc::clone(&stopping), self.tx.clone()));
                self.current = Some(Running {
                    run,
                    lifeline,
                    stopping,
                });
            }
            Err(e) => {
                let exit = EncoderExit::Failed(format!("cannot start ffmpeg: {e}"));
                let _ = self.tx.try_send(EncoderEvent::Exited { run, exit });
            }
        }
    }
}

/// Reads one ffmpeg's output until it is gone, then says how it ended.
async fn watch(
    run: u64,
    mut child: Child,
    stopping: Arc<AtomicBool>,
    tx: mpsc::Sender<EncoderEvent>,
) {
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let progress = async {
        let Some(out) = stdout else { return };
        let mut reader = BufReader::new(out);
        let mut parser = ProgressParser::default();
        let mut line = Vec::new();
        while let Ok(true) = read_line_bounded(&mut reader, &mut line, MAX_LINE).await {
            if let Some(progress) = parser.push_line(&String::from_utf8_lossy(&line)) {
                let _ = tx.send(EncoderEvent::Progress { run, progress }).await;
            }
        }
    };
    let errors = async {
        let mut tail = ErrorTail::default();
        let Some(err) = stderr else { return tail };
        let mut reader = BufReader::new(err);
        let mut line = Vec::new();
        while let Ok(true) = read_line_bounded(&mut reader, &mut line, MAX_LINE).await {
            tail.push_line(&String::from_utf8_lossy(&line));
        }
        tail
    };
    let ((), tail) = tokio::join!(progress, errors);
    let status = child.wait().await;
    let exit = if stopping.load(Ordering::SeqCst) {
        EncoderExit::Stopped
    } else {
        EncoderExit::Failed(tail.cause().unwrap_or_else(|| match status {
            Ok(s) if s.success() => "the encoder ended by itself".into(),
            Ok(s) => format!("ffmpeg exited ({s})"),
            Err(e) => format!("ffmpeg vanished: {e}"),
        }))
    };
    debug!(run, ?exit, "ffmpeg ended");
    let _ = tx.send(EncoderEvent::Exited { run, exit }).await;
}

/// The ffmpeg command line for a request: a moving test pattern and a 440 Hz tone, H.264 +
/// AAC in FLV, one key frame a second (HLS cuts segments at key frames).
pub(crate) fn ffmpeg_args(request: &EncodeRequest) -> Vec<String> {
    let v = request.video;
    let a = request.audio;
    let fps = v.fps.max(1);
    let rate = v.bitrate_bps.max(1);
    let mut args: Vec<String> = [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-nostats",
        "-progress",
        "pipe:1",
        "-stats_period",
        "0.5",
        "-re",
        "-f",
        "lavfi",
        "-i",
    ]
    .map(String::from)
    .into();
    args.push(format!("testsrc2=size={}x{}:rate={fps}", v.width, v.height));
    args.extend(["-re", "-f", "lavfi", "-i"].map(String::from));
    args.push(format!(
        "sine=frequency=440:sample_rate={}",
        a.sample_rate_hz.max(8000)
    ));
    args.extend(
        [
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-pix_fmt",
            "yuv420p",
        ]
        .map(String::from),
    );
    args.extend([
        "-b:v".into(),
        rate.to_string(),
        "-maxrate".into(),
        rate.to_string(),
        "-bufsize".into(),
        (u64::from(rate) * 2).to_string(),
        "-g".into(),
        fps.to_string(),
        "-keyint_min".into(),
        fps.to_string(),
        "-c:a".into(),
        "aac".into(),
        "-b:a".into(),
        a.bitrate_bps.max(8000).to_string(),
        "-ar".into(),
        a.sample_rate_hz.max(8000).to_string(),
        "-rw_timeout".into(),
        IO_TIMEOUT_US.into(),
        "-f".into(),
        container(request.url.expose()).into(),
        request.url.expose().clone(),
    ]);
    args
}

/// The container a transport carries: FLV over RTMP, MPEG-TS over SRT.
fn container(url: &str) -> &'static str {
    if url
        .get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("srt://"))
    {
        "mpegts"
    } else {
        "flv"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mentra_bridge::Redacted;
    use mentra_bridge::wire::proto::{AudioConfig, VideoConfig};

    #[test]
    fn the_command_line_carries_the_resolved_config_and_ends_with_the_url() {
        let args = ffmpeg_args(&EncodeRequest {
            run: 1,
            url: Redacted::new("rtmp://127.0.0.1:1935/live/k".into()),
            video: VideoConfig {
                width: 640,
                height: 360,
                bitrate_bps: 800_000,
                fps: 15,
            },
            audio: AudioConfig {
                bitrate_bps: 64_000,
                sample_rate_hz: 44_100,
                ..Default::default()
            },
        });
        let joined = args.join(" ");
        assert!(joined.contains("testsrc2=size=640x360:rate=15"), "{joined}");
        assert!(
            joined.contains("-b:v 800000 -maxrate 800000 -bufsize 1600000"),
            "{joined}"
        );
        assert!(joined.contains("-g 15"), "{joined}");
        assert!(joined.contains("-b:a 64000 -ar 44100"), "{joined}");
        assert!(joined.contains("-progress pipe:1"), "{joined}");
        assert_eq!(
            args.last().map(String::as_str),
            Some("rtmp://127.0.0.1:1935/live/k")
        );
        assert!(joined.contains("-f flv rtmp://"), "{joined}");
        assert_eq!(container("SRT://h:1?streamid=x"), "mpegts");
    }
}
