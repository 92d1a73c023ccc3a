//! The glasses firmware simulator: [`GlassesSim`] is the sans-IO firmware, [`spawn_glasses`]
//! runs it over the glasses end of a simulated link with the real framing.

mod config;
mod firmware;
mod port;
mod runner;
mod tcp;

pub use config::{GlassesSimConfig, RtmpBehaviour};
pub use firmware::{CameraPhase, CameraView, GlassesSim, SimInput};
pub use port::Port;
pub use runner::{GlassesHandle, spawn_glasses};
pub use tcp::TcpGlassesPort;
