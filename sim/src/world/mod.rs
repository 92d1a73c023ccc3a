//! The whole-bridge deterministic simulation: the real bridge code with the cloud simulator,
//! the glasses firmware simulator and a simulated link (or a fake app BLE stack over it), on
//! one single-threaded runtime under tokio's paused clock, every source of randomness drawn
//! from one seed; a fault-schedule generator; and the behaviour contract's invariants, checked
//! at every step and once the world has settled. `mentra-simulate` runs it over many seeds.
//!
//! A seed is a whole world: [`draw`] makes its settings and schedule, [`run`] plays it and
//! returns an [`Outcome`] with the violations and the trace. The same seed always plays the
//! same way, so a failing seed is a reproducible finding.

mod app_stack;
mod checker;
mod cloud_model;
mod panics;
mod run;
mod schedule;

pub use app_stack::{APP_THROWS, AppStack, app_stack};
pub use checker::{Checker, Health, Seen, Slack, Violation};
pub use cloud_model::{CloudModel, CloudStream, Delivered};
pub use run::{Outcome, SETTLE, run};
pub use schedule::{
    Action, GlassesKind, Ingest, LinkKind, Schedule, StartPlan, WorldSettings, draw,
};
