//! The app's hand on the cloud connection: a new core token is used at once by a bridge the
//! cloud refused, and "reconnect now" (the phone's network changed) dials at once while
//! disconnected and keeps a connection that still answers its ping. Virtual time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::time::Duration;

use mentra_bridge::bridge::spawn;
use mentra_bridge::cloud::{BackoffConfig, CloudConfig};
use mentra_bridge::{BridgeConfig, Redacted};
use mentra_sim::cloud::{CloudSim, CloudSimConfig};
use mentra_sim::link::{SimLinkConfig, sim_link};

/// A bridge with a long backoff, so "at once" is far from "after the backoff".
fn bridge_with_token(
    cloud: &CloudSim,
    token: &str,
    connector: std::sync::Arc<dyn mentra_bridge::cloud::CloudConnector>,
) -> mentra_bridge::BridgeHandle {
    let (phone_end, _glasses_end, _control) = sim_link(SimLinkConfig::default());
    let config = BridgeConfig {
        cloud: CloudConfig {
            url: cloud.url(),
            token: Redacted::new(token.into()),
            backoff: BackoffConfig {
                initial: Duration::from_secs(120),
                max: Duration::from_secs(120),
                jitter: 0.0,
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    };
    spawn(config, Box::new(phone_end), connector).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_new_token_is_used_at_once_by_a_bridge_the_cloud_refused() {
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig {
        token: Some("fresh".into()),
        ..Default::default()
    });
    let bridge = bridge_with_token(&cloud, "expired", connector);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(cloud.auth_failures() >= 1, "the expired token was refused");
    assert_eq!(cloud.connections(), 0);
    bridge
        .update_token(Redacted::new("fresh".into()))
        .await
        .unwrap();
    assert!(
        cloud.wait_connected(Duration::from_secs(5)).await,
        "connected with the new token well before the 120 s backoff"
    );
    bridge.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reconnect_now_dials_at_once_while_disconnected() {
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig {
        token: Some("right".into()),
        ..Default::default()
    });
    let bridge = bridge_with_token(&cloud, "wrong", connector);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let refused = cloud.auth_failures();
    assert!(refused >= 1);
    bridge.reconnect_now().await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        cloud.auth_failures() > refused,
        "a new attempt within 2 s, not after the 120 s backoff"
    );
    bridge.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reconnect_now_keeps_a_connection_that_still_answers() {
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig::default());
    let bridge = bridge_with_token(&cloud, "t", connector);
    assert!(cloud.wait_connected(Duration::from_secs(5)).await);
    bridge.reconnect_now().await.unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(cloud.connections(), 1, "the ping was answered: no redial");
    bridge.shutdown().await;
}
