//! Shared harness for the end-to-end tests: the bridge wired to the cloud simulator (a real
//! WebSocket on 127.0.0.1) and the glasses simulator over a simulated link.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use mentra_bridge::bridge::spawn;
use mentra_bridge::cloud::{
    BackoffConfig, CloudConfig, CloudConnector, CloudGeneration, Outgoing, TcpConnector,
};
use mentra_bridge::wire::proto::{StreamState, glasses_to_phone::Body as G};
use mentra_bridge::{BridgeConfig, BridgeHandle, Redacted};
use mentra_sim::cloud::{
    CloudSim, CloudSimConfig, StartSpec, StreamScript, keep_alive_command, start_command,
    stop_command,
};
use mentra_sim::glasses::{
    GlassesHandle, GlassesSimConfig, LiveSimConfig, spawn_glasses, spawn_live_glasses,
};
use mentra_sim::link::{GlassesPort, LinkControl, SimLinkConfig, sim_link};

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
        url: format!("rtmps://ingest.example.com/live/{id}-key"),
        managed: false,
        keep_alives: 3,
        keep_alive_interval: Duration::from_millis(100),
        step_timeout: Duration::from_secs(10),
        ..Default::default()
    }
}

/// The bridge against the cloud simulator (2026) on a real 127.0.0.1 socket.
pub async fn rig(mtu: u16, glasses: GlassesSimConfig) -> Rig {
    rig_speaking(mtu, glasses, CloudGeneration::V2026).await
}

/// The bridge against a cloud simulator of `generation` on a real 127.0.0.1 socket.
pub async fn rig_speaking(mtu: u16, glasses: GlassesSimConfig, generation: CloudGeneration) -> Rig {
    let cloud = CloudSim::start(CloudSimConfig {
        token: Some(TOKEN.into()),
        generation,
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
        move |port| spawn_glasses(glasses, port),
        BridgeConfig::default(),
    )
}

/// The bridge against the cloud simulator on a real 127.0.0.1 socket and the Mentra Live
/// personality of the glasses simulator, the bridge told the dialect.
pub async fn live_rig(
    mtu: u16,
    glasses: GlassesSimConfig,
    live: LiveSimConfig,
    generation: CloudGeneration,
) -> Rig {
    let cloud = CloudSim::start(CloudSimConfig {
        token: Some(TOKEN.into()),
        generation,
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
        move |port| spawn_live_glasses(glasses, live, port),
        live_bridge(),
    )
}

/// In memory under the paused clock: the Mentra Live personality.
pub fn virtual_live_rig(
    glasses: GlassesSimConfig,
    live: LiveSimConfig,
    bridge: BridgeConfig,
) -> Rig {
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig {
        token: Some(TOKEN.into()),
        generation: CloudGeneration::V2026,
        ..Default::default()
    });
    let url = cloud.url();
    build(
        cloud,
        url,
        connector,
        247,
        move |port| spawn_live_glasses(glasses, live, port),
        bridge,
    )
}

/// Bridge settings for Mentra Live glasses on a link that does not say its dialect.
pub fn live_bridge() -> BridgeConfig {
    BridgeConfig {
        dialect: Some(mentra_bridge::glasses::Dialect::MentraLive),
        ..Default::default()
    }
}

/// Everything in memory (no socket), so the test can run under tokio's paused clock and play
/// minutes of virtual time in milliseconds.
pub fn virtual_rig(mtu: u16, glasses: GlassesSimConfig, bridge: BridgeConfig) -> Rig {
    virtual_rig_speaking(mtu, glasses, bridge, CloudGeneration::V2026)
}

/// [`virtual_rig`] with a cloud of `generation`.
pub fn virtual_rig_speaking(
    mtu: u16,
    glasses: GlassesSimConfig,
    bridge: BridgeConfig,
    generation: CloudGeneration,
) -> Rig {
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig {
        token: Some(TOKEN.into()),
        generation,
        ..Default::default()
    });
    let url = cloud.url();
    build(
        cloud,
        url,
        connector,
        mtu,
        move |port| spawn_glasses(glasses, port),
        bridge,
    )
}

fn build(
    cloud: CloudSim,
    url: String,
    connector: Arc<dyn CloudConnector>,
    mtu: u16,
    glasses: impl FnOnce(GlassesPort) -> GlassesHandle,
    mut config: BridgeConfig,
) -> Rig {
    let (phone_end, glasses_end, link) = sim_link(SimLinkConfig {
        mtu,
        ..Default::default()
    });
    let glasses = glasses(glasses_end);
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
            // The bridge's own keep-alives (while the cloud was away) stay on the phone.
            G::KeepAliveAck(a) if a.ack_id.starts_with("bridge-") => None,
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

/// Waits until the cloud has heard that the glasses are connected.
pub async fn glasses_connected(cloud: &CloudSim) {
    cloud
        .wait_for(
            0,
            Duration::from_secs(30),
            |m| matches!(m, Outgoing::ConnectionState(c) if c.status == "CONNECTED"),
        )
        .await
        .expect("glasses connected");
}

/// The cloud asks for a stream (`app` = `MANAGED_STREAM` for a managed one), RTMP with telemetry.
pub async fn cloud_start(cloud: &CloudSim, id: &str, app: &str, duration: Option<f64>) {
    cloud_start_spec(
        cloud,
        StartSpec {
            stream_id: id.into(),
            url: format!("rtmps://ingest.example.com/live/{id}-key"),
            managed: app == mentra_bridge::cloud::MANAGED_APP_ID,
            app_id: app.into(),
            duration_limit: duration,
            telemetry: Some(true),
            ..Default::default()
        },
    )
    .await;
}

/// The cloud asks for exactly this stream.
pub async fn cloud_start_spec(cloud: &CloudSim, spec: StartSpec) {
    let sent = cloud.send(&start_command(&spec, cloud.generation())).await;
    assert!(sent, "bridge connected to the cloud");
}

/// The cloud asks to stop a stream.
pub async fn cloud_stop(cloud: &CloudSim, id: &str) {
    let sent = cloud.send(&stop_command(id, "app")).await;
    assert!(sent, "bridge connected to the cloud");
}

/// The cloud sends a keep-alive.
pub async fn cloud_keep_alive(cloud: &CloudSim, id: &str, ack: &str) {
    let sent = cloud.send(&keep_alive_command(id, ack)).await;
    assert!(sent, "bridge connected to the cloud");
}

/// Waits (virtual time) for a status of `id` with one of `words`, at or after `cursor`.
pub async fn expect_status(
    cloud: &CloudSim,
    cursor: usize,
    id: &str,
    words: &[&str],
    within: Duration,
) -> mentra_bridge::cloud::StreamStatusMessage {
    match cloud
        .wait_for(cursor, within, |m| {
            matches!(m, Outgoing::StreamStatus(s) if s.stream_id == id && words.contains(&s.status.as_str()))
        })
        .await
    {
        Some((_, Outgoing::StreamStatus(s))) => s,
        _ => panic!(
            "no {words:?} for {id} within {within:?}; the cloud saw {:?}",
            cloud_saw(cloud)
        ),
    }
}

/// Stream statuses the glasses sent with this state.
pub fn glasses_sent_state(glasses: &GlassesHandle, state: StreamState) -> usize {
    glasses
        .sent()
        .into_iter()
        .filter(|m| matches!(&m.body, Some(G::StreamStatus(s)) if s.state == state as i32))
        .count()
}

/// Every stream-related message the glasses sent after the phone told them to do something.
pub fn glasses_streaming(glasses: &GlassesHandle) -> bool {
    match glasses.sent().into_iter().rev().find_map(|m| match m.body {
        Some(G::StreamStatus(s)) => Some(s.state),
        _ => None,
    }) {
        Some(s) => s == StreamState::Streaming as i32 || s == StreamState::Initializing as i32,
        None => false,
    }
}

/// Glasses connected, then a stream `id` started and live.
pub async fn live(rig: &Rig, id: &str, app: &str) {
    glasses_connected(&rig.cloud).await;
    let cursor = rig.cloud.cursor();
    cloud_start(&rig.cloud, id, app, None).await;
    expect_status(
        &rig.cloud,
        cursor,
        id,
        &["streaming"],
        Duration::from_secs(5),
    )
    .await;
}
