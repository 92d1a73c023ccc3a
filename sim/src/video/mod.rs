//! Real video for the glasses simulator: ffmpeg as the camera's encoder, pushing a test
//! pattern and tone over RTMP or SRT, nginx with its RTMP module as a local ingest that serves
//! HLS, and an ffmpeg SRT listener as a local SRT ingest. Both are outside programs (Debian: `ffmpeg`, `nginx`, `libnginx-mod-rtmp`); both run
//! under a guard so they never outlive the simulator.

mod encoder;
mod ffmpeg;
mod guard;
mod progress;
mod server;
mod srt;
mod tools;

pub use encoder::{EncodeRequest, EncoderCommand, EncoderEvent, EncoderExit};
pub use ffmpeg::FfmpegEncoder;
pub use guard::{Lifeline, find_program, processes_with_arg, spawn_guarded};
pub use progress::{EncoderProgress, ErrorTail, ProgressParser};
pub use server::{RtmpServer, ServerError};
pub use srt::{SrtReceiver, ffmpeg_has_srt};
pub use tools::RealVideoTools;
