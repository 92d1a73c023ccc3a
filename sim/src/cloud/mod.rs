//! The MentraOS cloud simulator: a WebSocket server on 127.0.0.1 that speaks the glasses
//! WebSocket subset ([`CloudSim`]) and a scripted stream to run against the bridge
//! ([`run_stream_script`]).

mod script;
mod server;

pub use script::{ScriptError, ScriptReport, StreamScript, run_stream_script};
pub use server::{CloudSim, CloudSimConfig, Received};
