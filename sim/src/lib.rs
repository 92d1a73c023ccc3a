//! Simulators for Mentra Bridge, so everything runs without hardware or network:
//!
//! - [`link`]: a simulated glasses link with knobs for MTU, latency, loss and disconnects;
//! - [`glasses`]: a glasses firmware simulator ([`glasses::GlassesSim`], sans-IO) and the task
//!   that runs it over a link;
//! - [`cloud`]: a MentraOS cloud simulator, a real WebSocket server on 127.0.0.1 that speaks the
//!   glasses-WebSocket subset, scripts a stream and records everything it receives.
//!
//! Time comes from tokio's clock, so the simulators also run under a paused test clock.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod bluez;
pub mod cloud;
pub mod glasses;
pub mod link;
