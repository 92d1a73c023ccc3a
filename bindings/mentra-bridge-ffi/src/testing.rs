//! For binding tests on a desktop only (feature `simulators`): a MentraOS cloud simulator the
//! tests drive from Kotlin or Python, and a deliberate panic to prove panics become exceptions.

use std::sync::Arc;
use std::time::Duration;

use mentra_bridge::cloud::Outgoing;
use mentra_sim::cloud::{
    CloudSim, CloudSimConfig, StartSpec, keep_alive_command, start_command, stop_command,
};

use crate::error::MentraError;

/// A MentraOS cloud simulator on 127.0.0.1, with its own runtime.
#[derive(uniffi::Object)]
pub struct SimulatedCloud {
    runtime: tokio::runtime::Runtime,
    cloud: Arc<CloudSim>,
}

impl std::fmt::Debug for SimulatedCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimulatedCloud")
    }
}

#[uniffi::export]
impl SimulatedCloud {
    /// Starts the simulator on a free 127.0.0.1 port.
    #[uniffi::constructor]
    pub fn new() -> Result<Arc<Self>, MentraError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| MentraError::Internal {
                reason: e.to_string(),
            })?;
        let cloud = runtime
            .block_on(CloudSim::start(CloudSimConfig::default()))
            .map_err(|e| MentraError::Internal {
                reason: e.to_string(),
            })?;
        Ok(Arc::new(Self {
            runtime,
            cloud: Arc::new(cloud),
        }))
    }

    /// The URL to give the bridge.
    pub fn url(&self) -> String {
        self.cloud.url()
    }

    /// Waits up to `seconds` for a bridge to connect.
    pub fn wait_connected(&self, seconds: u32) -> bool {
        self.runtime.block_on(
            self.cloud
                .wait_connected(Duration::from_secs(u64::from(seconds))),
        )
    }

    /// Asks for a stream.
    pub fn start_stream(&self, stream_id: String) -> bool {
        let start = start_command(
            &StartSpec {
                url: format!("rtmps://ingest.example.com/live/{stream_id}-key"),
                app_id: "binding-test".into(),
                stream_id,
                telemetry: Some(true),
                ..Default::default()
            },
            self.cloud.generation(),
        );
        self.runtime.block_on(self.cloud.send(&start))
    }

    /// Sends a keep-alive.
    pub fn keep_alive(&self, stream_id: String, ack_id: String) -> bool {
        let ka = keep_alive_command(&stream_id, &ack_id);
        self.runtime.block_on(self.cloud.send(&ka))
    }

    /// Asks to stop a stream.
    pub fn stop_stream(&self, stream_id: String) -> bool {
        let stop = stop_command(&stream_id, "binding-test");
        self.runtime.block_on(self.cloud.send(&stop))
    }

    /// Every stream status received, as `id:status` words, in order.
    pub fn statuses(&self) -> Vec<String> {
        self.cloud
            .received()
            .into_iter()
            .filter_map(|r| match r.message {
                Outgoing::StreamStatus(s) => Some(format!("{}:{}", s.stream_id, s.status)),
                _ => None,
            })
            .collect()
    }

    /// Every keep-alive ack received, as `id:ack`.
    pub fn acks(&self) -> Vec<String> {
        self.cloud
            .received()
            .into_iter()
            .filter_map(|r| match r.message {
                Outgoing::KeepAliveAck(a) => Some(format!("{}:{}", a.stream_id, a.ack_id)),
                _ => None,
            })
            .collect()
    }
}

/// Panics, on purpose: binding tests check it arrives as an exception, not a crash.
#[uniffi::export]
pub fn debug_panic(message: String) -> Result<(), MentraError> {
    panic!("deliberate panic for binding tests: {message}");
}
