//! The MentraOS cloud simulator: a WebSocket server on 127.0.0.1 that speaks the glasses
//! WebSocket subset in either generation, 2025 or 2026 ([`CloudSim`]), commands shaped as the
//! real cloud shapes them (`shape`), and a scripted stream to run against the bridge
//! ([`run_stream_script`]).

mod script;
mod server;
mod shape;

pub use script::{DEMO_WHIP_URL, ScriptError, ScriptReport, StreamScript, run_stream_script};
pub use server::{CloudSim, CloudSimConfig, Received};
pub use shape::{
    StartSpec, cloud_ack_id, cloud_stream_id, keep_alive_command, start_command, stop_command,
};
