//! The app's hand on the cloud connection: a new core token is used at once by a bridge the
//! cloud refused, and "reconnect now" (the phone's network changed) dials again without
//! waiting out the backoff. Virtual time.

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
async fn reconnect_now_dials_again_without_waiting_out_the_backoff() {
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig::default());
    let bridge = bridge_with_token(&cloud, "t", connector);
    assert!(cloud.wait_connected(Duration::from_secs(5)).await);
    assert_eq!(cloud.connections(), 1);
    bridge.reconnect_now().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while cloud.connections() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        cloud.connections(),
        2,
        "a second connection within 5 s, not after 120 s"
    );
    bridge.shutdown().await;
}
