//! The glasses firmware simulator: [`GlassesSim`] is the sans-IO firmware, [`spawn_glasses`]
//! runs it over the glasses end of a simulated link with the real framing.

mod config;
mod firmware;
mod runner;

pub use config::{GlassesSimConfig, RtmpBehaviour};
pub use firmware::{GlassesSim, SimInput};
pub use runner::{GlassesHandle, spawn_glasses};
