//! Telemetry and Wi-Fi checks (proto/README.md §5, §7, "Behaviour: power and heat" and
//! "Behaviour: Wi-Fi"). The kit never sends Wi-Fi credentials: that would move the glasses
//! to another network.

use std::time::Duration;

use mentra_bridge::wire::limits;
use mentra_bridge::wire::proto::{
    GetBattery, GetWifiStatus, WifiScanRequest, glasses_to_phone::Body as G,
    phone_to_glasses::Body as P,
};

use super::{Verdict, ask};
use crate::conformance::Ctx;
use crate::conformance::phone::Phone;

/// How long a scan may take to complete (the phone gives up after 30 s).
const SCAN_WITHIN: Duration = Duration::from_secs(30);
/// The most networks one result may list (nanopb `max_count`).
const MAX_NETWORKS: usize = 16;

pub(super) async fn battery(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    if let Some((_, h)) = ask(phone, ctx, v, "GetBattery", P::GetBattery(GetBattery {})).await {
        match &h.message.body {
            Some(G::Battery(b)) => {
                v.require(b.level_percent <= 100, "level_percent is 0..=100");
                v.require(
                    !b.active_charging || b.charging,
                    "active_charging implies charging",
                );
            }
            _ => {
                v.fail("the reply to GetBattery is Battery");
            }
        }
    }
}

pub(super) async fn wifi_status(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    if let Some((_, h)) = ask(
        phone,
        ctx,
        v,
        "GetWifiStatus",
        P::GetWifiStatus(GetWifiStatus {}),
    )
    .await
    {
        match &h.message.body {
            Some(G::WifiStatus(w)) => {
                v.require(w.ssid.len() <= limits::MAX_SSID, "ssid fits 32 bytes");
                v.require(w.local_ip.len() <= 45, "local_ip fits 45 bytes");
                v.require(
                    !w.connected || !w.ssid.is_empty(),
                    "a connected status names its network",
                );
            }
            _ => {
                v.fail("the reply to GetWifiStatus is WifiStatus (a bare Ack leaves the phone waiting)");
            }
        }
    }
}

pub(super) async fn wifi_scan(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let Some((_, h)) = ask(
        phone,
        ctx,
        v,
        "WifiScanRequest",
        P::WifiScanRequest(WifiScanRequest {}),
    )
    .await
    else {
        return;
    };
    if !v.require(
        matches!(h.message.body, Some(G::Ack(_))),
        "the reply to WifiScanRequest is Ack (results without it are dropped)",
    ) {
        return;
    }
    let deadline = tokio::time::Instant::now() + SCAN_WITHIN;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(h) = phone
            .expect(left, |m| matches!(m.body, Some(G::WifiScanResult(_))))
            .await
        else {
            v.fail(format!("no complete WifiScanResult within {SCAN_WITHIN:?}"));
            return;
        };
        v.heard("then", &h);
        let Some(G::WifiScanResult(r)) = &h.message.body else {
            return;
        };
        v.require(
            h.message.reply_to == 0,
            "scan results are unsolicited (reply_to 0)",
        );
        v.require(
            r.networks.len() <= MAX_NETWORKS,
            "at most 16 networks per result",
        );
        v.require(
            r.networks.iter().all(|n| n.ssid.len() <= limits::MAX_SSID),
            "each ssid fits 32 bytes",
        );
        if r.complete {
            return;
        }
    }
}
