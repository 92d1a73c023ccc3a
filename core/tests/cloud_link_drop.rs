//! The cloud socket drops mid-stream and the cloud stays unreachable for a while: the bridge
//! reconnects with backoff, and every status produced while it was away arrives after the
//! reconnect, in order, none lost. Also: the token is presented both ways, and a wrong token
//! is reported, not retried silently.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

/// Consecutive equal entries collapse into one (coalesced telemetry).
fn collapse(mut seen: Vec<Seen>) -> Vec<Seen> {
    seen.dedup();
    seen
}

use std::time::Duration;

use common::*;
use mentra_bridge::bridge::CloudConnectionState;
use mentra_bridge::cloud::Outgoing;
use mentra_bridge::{BridgeEvent, Redacted};
use tokio::time::sleep;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_produced_while_the_cloud_is_away_arrive_in_order_after_reconnect() {
    let rig = rig(247, quick_glasses()).await;
    let id = "sdrop1";
    let mut events = rig.bridge.subscribe();
    rig.cloud
        .wait_for(
            0,
            Duration::from_secs(10),
            |m| matches!(m, Outgoing::ConnectionState(c) if c.status == "CONNECTED"),
        )
        .await
        .expect("glasses connected");
    cloud_start(&rig.cloud, id, "app", None).await;
    rig.cloud
        .wait_for(
            0,
            Duration::from_secs(10),
            |m| matches!(m, Outgoing::StreamStatus(s) if s.status == "streaming"),
        )
        .await
        .expect("stream is live");

    // The cloud goes away for a while; the glasses keep reporting stats every 100 ms.
    rig.cloud.set_refusing(true);
    rig.cloud.drop_connection().await;
    loop {
        match events.next().await.expect("bridge running") {
            BridgeEvent::Cloud(CloudConnectionState::Disconnected { .. }) => break,
            _ => continue,
        }
    }
    // Wait (no longer than it takes) until the glasses have reported three more times.
    let sent_before = rig.glasses.sent().len();
    tokio::time::timeout(Duration::from_secs(10), async {
        while rig.glasses.sent().len() < sent_before + 3 {
            sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the glasses kept reporting while the cloud was away");
    rig.cloud.set_refusing(false);
    assert!(
        rig.cloud.wait_connected(Duration::from_secs(5)).await,
        "bridge reconnected"
    );

    // Stop, then compare: every status the glasses sent reached the cloud, in order.
    let cursor = rig.cloud.cursor();
    cloud_stop(&rig.cloud, id).await;
    rig.cloud
        .wait_for(
            cursor,
            Duration::from_secs(10),
            |m| matches!(m, Outgoing::StreamStatus(s) if s.status == "stopped"),
        )
        .await
        .expect("stopped after reconnect");
    // Every state change arrives, in order; stats produced offline are coalesced into the
    // latest one (telemetry), which does arrive.
    assert_eq!(
        collapse(cloud_saw(&rig.cloud)),
        collapse(glasses_said(&rig.glasses))
    );
    assert!(rig.cloud.connections() >= 2);
    let durations = |stats: Vec<u32>| stats.into_iter().max();
    let sent_max = durations(
        rig.glasses
            .sent()
            .into_iter()
            .filter_map(|m| match m.body? {
                mentra_bridge::wire::proto::glasses_to_phone::Body::StreamStatus(s) => {
                    s.stats.map(|st| st.duration_s)
                }
                _ => None,
            })
            .collect(),
    );
    let on_second: Vec<u32> = rig
        .cloud
        .received()
        .into_iter()
        .filter(|r| r.connection >= 2)
        .filter_map(|r| match r.message {
            Outgoing::StreamStatus(s) => s.stats.map(|st| st.duration),
            _ => None,
        })
        .collect();
    assert!(
        !on_second.is_empty(),
        "offline statuses were delivered after the reconnect"
    );
    assert_eq!(durations(on_second), sent_max, "the latest stats arrived");
    rig.bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_refused_and_reported() {
    use mentra_bridge::BridgeConfig;
    use mentra_bridge::bridge::spawn;
    use mentra_bridge::cloud::{CloudConfig, TcpConnector};
    use mentra_sim::cloud::{CloudSim, CloudSimConfig};
    use mentra_sim::link::{SimLinkConfig, sim_link};
    use std::sync::Arc;

    let cloud = CloudSim::start(CloudSimConfig {
        token: Some("right".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let (phone_end, _glasses_end, _control) = sim_link(SimLinkConfig::default());
    let bridge = spawn(
        BridgeConfig {
            cloud: CloudConfig {
                url: cloud.url(),
                token: Redacted::new("wrong-secret".into()),
                ..Default::default()
            },
            ..Default::default()
        },
        Box::new(phone_end),
        Arc::new(TcpConnector),
    )
    .unwrap();
    let mut events = bridge.subscribe();
    let reason = loop {
        if let BridgeEvent::Cloud(CloudConnectionState::Disconnected { reason, .. }) =
            events.next().await.unwrap()
        {
            break reason;
        }
    };
    assert!(reason.contains("401"), "{reason}");
    assert!(
        !reason.contains("wrong-secret"),
        "the token never appears: {reason}"
    );
    assert_eq!(cloud.auth_failures(), 1);
    bridge.shutdown().await;
}
