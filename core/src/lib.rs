//! Mentra Bridge: the phone-side bridge between the MentraOS cloud and camera smart glasses.
//!
//! The cloud speaks MentraOS's glasses WebSocket (JSON); the glasses speak our protobuf schema
//! (`proto/`) over BLE or TCP. The bridge relays camera commands down, status and telemetry up,
//! and supervises streams on the way.
//!
//! # Shape
//!
//! The logic lives in sans-IO machines that take an input and the current time, queue outputs,
//! and own no sockets, threads or timers:
//!
//! - [`wire`]: the [`wire::Framer`] that splits messages into BLE-sized packets and the
//!   [`wire::Reassembler`] that joins them again;
//! - [`glasses::Session`]: hello/capabilities, request ids, acks, retries and liveness;
//! - [`stream::StreamSupervisor`]: the stream commands and statuses between cloud and glasses.
//!
//! Every machine is driven the same way: after each `handle_*` call, drain `poll_output` until it
//! returns `None`, then read `poll_timeout` and call `handle_timeout` when that instant is
//! reached. Never pass an earlier `now` than before.
//!
//! The async shells do the I/O: [`cloud::CloudClient`] (tokio-tungstenite), the
//! [`glasses::GlassesLink`] implementations, and [`bridge::Bridge`], which owns a small tokio
//! runtime, wires everything together and publishes [`bridge::BridgeEvent`]s and a
//! [`bridge::BridgeState`] snapshot.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod bridge;
pub mod cloud;
mod deadline;
pub mod diag;
#[cfg(test)]
mod firmware_page;
pub mod glasses;
pub mod health;
pub mod redact;
pub mod rng;
pub mod stream;
pub mod wire;

pub use bridge::{Bridge, BridgeConfig, BridgeError, BridgeEvent, BridgeHandle, BridgeState};

pub use redact::Redacted;
