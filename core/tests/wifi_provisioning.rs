//! Wi-Fi provisioning through the bridge, in virtual time: credentials reach the glasses only
//! over an encrypted link (or with explicit permission), scan results come back as one list,
//! status is readable, and the password never shows in any printed value.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

use common::*;
use mentra_bridge::bridge::{WifiCredentials, WifiSecurity};
use mentra_bridge::{BridgeError, Redacted};
use mentra_sim::glasses::GlassesSimConfig;

fn credentials(ssid: &str, password: &str) -> WifiCredentials {
    WifiCredentials {
        ssid: ssid.into(),
        password: Redacted::new(password.into()),
        security: WifiSecurity::Wpa2,
        allow_unencrypted_link: false,
    }
}

#[tokio::test(start_paused = true)]
async fn credentials_scan_and_status_round_trip() {
    let glasses = GlassesSimConfig {
        wifi_connected: false,
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, Default::default());
    glasses_connected(&rig.cloud).await;
    assert!(!rig.bridge.wifi_status().await.unwrap().connected);

    let networks = rig.bridge.scan_wifi().await.unwrap();
    assert_eq!(networks.len(), 1);
    assert!(networks[0].requires_password);

    rig.bridge
        .set_wifi(credentials("home-net", "correct horse battery"))
        .await
        .unwrap();
    let status = rig.bridge.wifi_status().await.unwrap();
    assert!(status.connected);
    assert_eq!(status.ssid, "home-net");
    assert_eq!(
        rig.bridge.state().wifi.map(|w| w.ssid),
        Some("home-net".into())
    );
}

#[tokio::test(start_paused = true)]
async fn credentials_are_refused_over_an_unencrypted_link_unless_allowed() {
    let glasses = GlassesSimConfig {
        link_encrypted: false,
        ..quick_glasses()
    };
    let rig = virtual_rig(185, glasses, Default::default());
    glasses_connected(&rig.cloud).await;
    let refused = rig
        .bridge
        .set_wifi(credentials("cafe", "hunter2hunter2"))
        .await
        .unwrap_err();
    assert!(matches!(refused, BridgeError::UnencryptedLink));
    assert!(refused.to_string().contains("not encrypted"));
    let mut allowed = credentials("cafe", "hunter2hunter2");
    allowed.allow_unencrypted_link = true;
    rig.bridge.set_wifi(allowed.clone()).await.unwrap();
    assert!(
        !format!("{allowed:?}").contains("hunter2"),
        "the password never prints"
    );
}

#[tokio::test(start_paused = true)]
async fn bad_credentials_and_missing_glasses_get_clear_errors() {
    let rig = virtual_rig(185, quick_glasses(), Default::default());
    glasses_connected(&rig.cloud).await;
    for (ssid, password) in [
        ("", "longenough"),
        ("net", "short"),
        (&"x".repeat(33)[..], "longenough"),
    ] {
        let e = rig
            .bridge
            .set_wifi(credentials(ssid, password))
            .await
            .unwrap_err();
        assert!(matches!(e, BridgeError::InvalidArgument(_)), "{e}");
    }
    rig.link.disconnect("gone");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let e = rig.bridge.scan_wifi().await.unwrap_err();
    assert!(matches!(e, BridgeError::GlassesNotConnected), "{e}");
}
