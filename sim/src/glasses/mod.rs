//! The glasses firmware simulator: [`GlassesSim`] is the sans-IO firmware, [`spawn_glasses`]
//! runs it over the glasses end of a simulated link with the real framing, and
//! [`spawn_live_glasses`] runs it behind the Mentra Live personality ([`LiveGlasses`]).

mod config;
mod firmware;
mod live;
mod port;
mod runner;
mod tcp;

pub use config::{Defects, GlassesSimConfig, RtmpBehaviour};
pub use firmware::{CameraPhase, CameraView, GlassesSim, SimInput};
pub use live::{LiveFirmware, LiveGlasses, LiveSimConfig};
pub use port::Port;
pub use runner::{GlassesHandle, JsonLog, spawn_glasses, spawn_live_glasses};
pub use tcp::TcpGlassesPort;
