//! Shared harness for the end-to-end tests: the bridge wired to the cloud simulator (a real
//! WebSocket on 127.0.0.1) and the glasses simulator over a simulated link.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use mentra_bridge::bridge::spawn;
use mentra_bridge::cloud::{BackoffConfig, CloudConfig, CloudConnector, Outgoing, TcpConnector};
use mentra_bridge::wire::proto::{StreamState, glasses_to_phone::Body as G};
use mentra_bridge::{BridgeConfig, BridgeHandle, Redacted};
use mentra_sim::cloud::{CloudSim, CloudSimConfig, StreamScript};
use mentra_sim::glasses::{GlassesHandle, GlassesSimConfig, spawn_glasses};
use mentra_sim::link::{LinkControl, SimLinkConfig, sim_link};

pub const TOKEN: &str = "test-core-token";

pub struct Rig {
    pub cloud: CloudSim,
    pub bridge: BridgeHandle,
    pub glasses: GlassesHandle,
    pub link: LinkControl,
}

/// Glasses that report stats often, so short tests see several.
pub fn quick_glasses() -> GlassesSimConfig {
    GlassesSimConfig {
        start_delay: Duration::from_millis(100),
        stop_delay: Duration::from_millis(50),
        stats_interval: Duration::from_millis(100),
        ..Default::default()
    }
}

pub fn quick_script(id: &str) -> StreamScript {
    StreamScript {
        stream_id: id.into(),
        keep_alives: 3,
        keep_alive_interval: Duration::from_millis(100),
        step_timeout: Duration::from_secs(10),
        ..Default::default()
    }
}

/// The bridge against the cloud simulator on a real 127.0.0.1 socket.
pub async fn rig(mtu: u16, glasses: GlassesSimConfig) -> Rig {
    let cloud = CloudSim::start(CloudSimConfig {
        token: Some(TOKEN.into()),
        ..Default::default()
    })
    .await
    .expect("cloud simulator binds 127.0.0.1");
    let url = cloud.url();
    build(
        cloud,
        url,
        Arc::new(TcpConnector),
        mtu,
        glasses,
        BridgeConfig::default(),
    )
}

/// Everything in memory (no socket), so the test can run under tokio's paused clock and play
/// minutes of virtual time in milliseconds.
pub fn virtual_rig(mtu: u16, glasses: GlassesSimConfig, bridge: BridgeConfig) -> Rig {
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig {
        token: Some(TOKEN.into()),
        ..Default::default()
    });
    let url = cloud.url();
    build(cloud, url, connector, mtu, glasses, bridge)
}

fn build(
    cloud: CloudSim,
    url: String,
    connector: Arc<dyn CloudConnector>,
    mtu: u16,
    glasses: GlassesSimConfig,
    mut config: BridgeConfig,
) -> Rig {
    let (phone_end, glasses_end, link) = sim_link(SimLinkConfig {
        mtu,
        ..Default::default()
    });
    let glasses = spawn_glasses(glasses, glasses_end);
    config.cloud = CloudConfig {
        url,
        token: Redacted::new(TOKEN.into()),
        backoff: BackoffConfig {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
            ..Default::default()
        },
        ..config.cloud
    };
    let bridge = spawn(config, Box::new(phone_end), connector).expect("bridge starts");
    Rig {
        cloud,
        bridge,
        glasses,
        link,
    }
}

/// One stream-related message as the cloud should see it: a status word or a keep-alive ack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Status { stream: String, word: String },
    Ack { stream: String, ack: String },
}

/// What the glasses said about streams, translated to what the cloud must receive.
pub fn glasses_said(glasses: &GlassesHandle) -> Vec<Seen> {
    glasses
        .sent()
        .into_iter()
        .filter_map(|m| match m.body? {
            G::StreamStatus(s) => {
                let word = match StreamState::try_from(s.state).ok()? {
                    StreamState::Initializing => "initializing",
                    StreamState::Streaming => "streaming",
                    StreamState::Stopping => "stopping",
                    StreamState::Stopped => "stopped",
                    StreamState::Error => "error",
                    StreamState::Reconnecting => "reconnecting",
                    StreamState::Reconnected => "reconnected",
                    StreamState::ReconnectFailed => "reconnect_failed",
                    StreamState::Idle | StreamState::Unspecified => return None,
                };
                Some(Seen::Status {
                    stream: s.stream_id,
                    word: word.into(),
                })
            }
            G::KeepAliveAck(a) => Some(Seen::Ack {
                stream: a.stream_id,
                ack: a.ack_id,
            }),
            _ => None,
        })
        .collect()
}

/// The stream-related messages the cloud received, in order.
pub fn cloud_saw(cloud: &CloudSim) -> Vec<Seen> {
    cloud
        .received()
        .into_iter()
        .filter_map(|r| match r.message {
            Outgoing::StreamStatus(s) => Some(Seen::Status {
                stream: s.stream_id,
                word: s.status,
            }),
            Outgoing::KeepAliveAck(a) => Some(Seen::Ack {
                stream: a.stream_id,
                ack: a.ack_id,
            }),
            _ => None,
        })
        .collect()
}
