//! The glasses firmware simulator: [`GlassesSim`] is the sans-IO firmware, [`spawn_glasses`]
//! runs it over the glasses end of a simulated link with the real framing.

mod firmware;
mod runner;

pub use firmware::{GlassesSim, GlassesSimConfig, SimInput};
pub use runner::{GlassesHandle, spawn_glasses};
