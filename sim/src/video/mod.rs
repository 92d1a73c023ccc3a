//! Real video for the glasses simulator: ffmpeg as the camera's encoder, pushing a test
//! pattern and tone over RTMP, and nginx with its RTMP module as a local ingest that serves
//! HLS. Both are outside programs (Debian: `ffmpeg`, `nginx`, `libnginx-mod-rtmp`); both run
//! under a guard so they never outlive the simulator.

mod encoder;
mod ffmpeg;
mod guard;
mod progress;
mod server;
mod tools;

pub use encoder::{EncodeRequest, EncoderCommand, EncoderEvent, EncoderExit};
pub use ffmpeg::FfmpegEncoder;
pub use guard::{Lifeline, find_program, processes_with_arg, spawn_guarded};
pub use progress::{EncoderProgress, ErrorTail, ProgressParser};
pub use server::{RtmpServer, ServerError};
pub use tools::RealVideoTools;
