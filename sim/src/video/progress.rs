//! Reads what ffmpeg prints: the `-progress` key=value blocks on its stdout become
//! measurements, and the error lines on its stderr become a short cause with no URL in it
//! (ingest URLs carry stream keys).

use std::collections::VecDeque;
use std::time::Duration;

use mentra_bridge::redact::redact_text;

/// One progress block, as ffmpeg measured it (cumulative since that ffmpeg started).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EncoderProgress {
    /// Frames encoded and written.
    pub frames: u64,
    /// Frames per second over the last stats period.
    pub fps: f32,
    /// Average output bitrate since the start, bits per second.
    pub bitrate_bps: u32,
    /// Bytes written to the ingest.
    pub total_bytes: u64,
    /// Media time written.
    pub out_time: Duration,
    /// Frames dropped to keep up.
    pub dropped_frames: u64,
    /// The last block ffmpeg writes before it exits.
    pub ended: bool,
}

/// Turns ffmpeg's `-progress` lines into [`EncoderProgress`] blocks.
#[derive(Debug, Default)]
pub struct ProgressParser {
    current: EncoderProgress,
}

impl ProgressParser {
    /// Feeds one line; returns the block it completes, if any. Unknown keys and values ffmpeg
    /// prints as `N/A` are ignored (the previous value stands).
    pub fn push_line(&mut self, line: &str) -> Option<EncoderProgress> {
        let (key, value) = line.trim().split_once('=')?;
        let value = value.trim();
        match key {
            "frame" => set(&mut self.current.frames, value.parse().ok()),
            "fps" => set(&mut self.current.fps, value.parse().ok()),
            "bitrate" => set(&mut self.current.bitrate_bps, parse_kbits(value)),
            "total_size" => set(&mut self.current.total_bytes, value.parse().ok()),
            "out_time_us" => set(
                &mut self.current.out_time,
                value.parse::<u64>().ok().map(Duration::from_micros),
            ),
            "drop_frames" => set(&mut self.current.dropped_frames, value.parse().ok()),
            "progress" => {
                self.current.ended = value == "end";
                return Some(self.current);
            }
            _ => {}
        }
        None
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

/// `"955.7kbits/s"` → 955 700.
fn parse_kbits(value: &str) -> Option<u32> {
    let kbits: f64 = value.strip_suffix("kbits/s")?.trim().parse().ok()?;
    (kbits.is_finite() && kbits >= 0.0)
        .then(|| (kbits * 1000.0).round().min(f64::from(u32::MAX)) as u32)
}

/// The last few lines ffmpeg wrote to stderr (bounded), to say why it ended.
#[derive(Debug, Default)]
pub struct ErrorTail {
    lines: VecDeque<String>,
}

const TAIL_LINES: usize = 8;
/// Last lines that carry no cause.
const GENERIC: [&str; 2] = [
    "Conversion failed!",
    "Exiting normally, received signal 15.",
];
const LINE_CHARS: usize = 240;

impl ErrorTail {
    /// Keeps `line` (cut to 240 characters); only the last 8 are kept.
    pub fn push_line(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() || line.starts_with("Last message repeated") {
            return;
        }
        if self.lines.len() == TAIL_LINES {
            self.lines.pop_front();
        }
        self.lines
            .push_back(line.chars().take(LINE_CHARS).collect());
    }

    /// Why ffmpeg failed, in its own words but without the URL: the text after the last
    /// `": "` of its last error line (`"rtmp://…/key: Connection refused"` → `"Connection
    /// refused"`). `None` when it printed nothing.
    pub fn cause(&self) -> Option<String> {
        // ffmpeg may end with a line that says only that it failed; the one before says why.
        let last = self
            .lines
            .iter()
            .rev()
            .find(|l| !GENERIC.contains(&l.as_str()))
            .or(self.lines.back())?;
        let cause = match last.rsplit_once(": ") {
            Some((_, tail)) if !tail.trim().is_empty() => tail.trim(),
            _ => last.as_str(),
        };
        Some(redact_text(cause))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Printed by ffmpeg 5.1 pushing 640x360@15 to nginx-rtmp (one block, verbatim).
    const BLOCK: &str = "frame=74\nfps=15.16\nstream_0_0_q=19.0\nbitrate= 955.7kbits/s\n\
        total_size=582528\nout_time_us=4876000\nout_time_ms=4876000\nout_time=00:00:04.876000\n\
        dup_frames=0\ndrop_frames=2\nspeed=0.999x\nprogress=continue\n";

    #[test]
    fn a_block_becomes_one_measurement() {
        let mut parser = ProgressParser::default();
        let blocks: Vec<_> = BLOCK.lines().filter_map(|l| parser.push_line(l)).collect();
        assert_eq!(
            blocks,
            [EncoderProgress {
                frames: 74,
                fps: 15.16,
                bitrate_bps: 955_700,
                total_bytes: 582_528,
                out_time: Duration::from_micros(4_876_000),
                dropped_frames: 2,
                ended: false,
            }]
        );
    }

    #[test]
    fn not_available_values_keep_the_previous_measurement() {
        let mut parser = ProgressParser::default();
        for l in BLOCK.lines() {
            parser.push_line(l);
        }
        let next = "frame=80\nbitrate=N/A\nout_time_us=N/A\nprogress=end\n";
        let block = next.lines().find_map(|l| parser.push_line(l)).unwrap();
        assert_eq!(block.frames, 80);
        assert_eq!(block.bitrate_bps, 955_700);
        assert_eq!(block.out_time, Duration::from_micros(4_876_000));
        assert!(block.ended);
    }

    #[test]
    fn the_cause_is_the_end_of_the_last_error_line_without_the_url() {
        let mut tail = ErrorTail::default();
        for l in [
            "[tcp @ 0x55] Connection to tcp://127.0.0.1:1?tcp_nodelay=0 failed: Connection refused",
            "[rtmp @ 0x55] Cannot open connection tcp://127.0.0.1:1?tcp_nodelay=0",
            "rtmp://127.0.0.1:1/live/sk_secret: Connection refused",
        ] {
            tail.push_line(l);
        }
        assert_eq!(tail.cause().as_deref(), Some("Connection refused"));

        let mut tail = ErrorTail::default();
        for l in [
            "av_interleaved_write_frame(): Broken pipe",
            "    Last message repeated 2 times",
            "Error closing file rtmp://127.0.0.1:1935/live/sk_secret: Broken pipe",
        ] {
            tail.push_line(l);
        }
        assert_eq!(tail.cause().as_deref(), Some("Broken pipe"));
    }

    #[test]
    fn a_closing_conversion_failed_does_not_hide_the_cause() {
        let mut tail = ErrorTail::default();
        tail.push_line("rtmp://127.0.0.1:1/live/k: Connection timed out");
        tail.push_line("Conversion failed!");
        assert_eq!(tail.cause().as_deref(), Some("Connection timed out"));
    }

    #[test]
    fn a_line_without_a_colon_is_kept_whole_and_redacted() {
        let mut tail = ErrorTail::default();
        assert_eq!(tail.cause(), None);
        tail.push_line("cannot reach rtmp://host/live/sk_secret");
        let cause = tail.cause().unwrap();
        assert!(!cause.contains("sk_secret"), "{cause}");
    }

    #[test]
    fn the_tail_is_bounded() {
        let mut tail = ErrorTail::default();
        for i in 0..100 {
            tail.push_line(&format!("line {i}: {}", "x".repeat(1000)));
        }
        assert_eq!(tail.lines.len(), TAIL_LINES);
        assert!(tail.lines.iter().all(|l| l.chars().count() <= LINE_CHARS));
    }
}
