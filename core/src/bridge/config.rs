//! Everything the bridge can be configured with, in one documented place.

use crate::cloud::CloudConfig;
use crate::glasses::live::LiveConfig;
use crate::glasses::{Dialect, SessionConfig};
use crate::health::HealthConfig;
use crate::stream::StreamConfig;

/// Bridge settings. Every field documents its default.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// The cloud connection (URL, token, backoff, outbox).
    pub cloud: CloudConfig,
    /// The glasses session in our protobuf dialect (acks, retries, liveness, message size).
    pub session: SessionConfig,
    /// The glasses session in the Mentra Live dialect (readiness, heartbeats, Wire v2, the
    /// controller id).
    pub live: LiveConfig,
    /// Which dialect the glasses speak. Default `None`: what the link says (BLE finds it
    /// from the GATT service), else our protobuf schema. A value here wins over the link.
    pub dialect: Option<Dialect>,
    /// Stream supervision (start timeout, cloud grace, keep-alive window, default limits).
    pub stream: StreamConfig,
    /// Battery and temperature thresholds.
    pub health: HealthConfig,
    /// Worker threads of the bridge's own runtime: 1 or 2. Default 2.
    pub worker_threads: usize,
    /// Events buffered per subscriber before a slow one is resynced with a snapshot.
    /// Default 256.
    pub event_capacity: usize,
    /// What the flight recorder keeps. Default the last 5,000 entries or 10 minutes.
    pub recorder: crate::diag::RecorderConfig,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        Self {
            cloud: CloudConfig::default(),
            session: SessionConfig::default(),
            live: LiveConfig::default(),
            dialect: None,
            stream: StreamConfig::default(),
            health: HealthConfig::default(),
            worker_threads: 2,
            event_capacity: 256,
            recorder: crate::diag::RecorderConfig::default(),
        }
    }
}
