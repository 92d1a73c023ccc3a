//! Simulators for Mentra Bridge, so everything runs without hardware or network:
//!
//! - [`link`]: a simulated glasses link with knobs for MTU, latency, loss and disconnects;
//! - [`glasses`]: a glasses firmware simulator ([`glasses::GlassesSim`], sans-IO) and the task
//!   that runs it over a link;
//! - [`cloud`]: a MentraOS cloud simulator, a real WebSocket server on 127.0.0.1 that speaks the
//!   glasses-WebSocket subset, scripts a stream and records everything it receives;
//! - [`video`]: real video, when ffmpeg and nginx are installed: ffmpeg as the glasses'
//!   encoder and nginx-rtmp as a local ingest serving HLS;
//! - [`conformance`]: the firmware conformance kit, the phone side of `proto/README.md` as
//!   named checks with evidence;
//! - [`world`]: the whole-bridge deterministic simulation, seeded fault schedules and the
//!   behaviour contract's invariants.
//!
//! Time comes from tokio's clock, so the simulators also run under a paused test clock.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod bluez;
pub mod cloud;
pub mod conformance;
pub mod glasses;
pub mod link;
pub mod video;
pub mod world;
