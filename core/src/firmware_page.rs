//! Keeps the firmware contract page honest: every table row of `proto/README.md` that names a
//! constant must show the value the code has, every constant listed here must be on the page,
//! and the nanopb bounds in `glasses.options` must match the limits the phone enforces.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::glasses::{SessionConfig, TcpLinkConfig};
use crate::health::HealthConfig;
use crate::stream::StreamConfig;
use crate::wire::{self, limits};

const PAGE: &str = include_str!("../../proto/README.md");
const OPTIONS: &str = include_str!("../../proto/mentra/glasses/v1/glasses.options");

fn dur(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// What the code says, under the names the page uses.
fn code() -> BTreeMap<&'static str, String> {
    let s = SessionConfig::default();
    let st = StreamConfig::default();
    let h = HealthConfig::default();
    let tcp = TcpLinkConfig::new("glasses:7000");
    let pct = |v: u32| format!("{v} %");
    let deg = |v: f32| format!("{v} °C");
    let mut code = BTreeMap::from([
        ("SessionConfig::ack_timeout", dur(s.ack_timeout)),
        ("SessionConfig::max_attempts", s.max_attempts.to_string()),
        ("SessionConfig::ping_interval", dur(s.ping_interval)),
        ("SessionConfig::liveness_timeout", dur(s.liveness_timeout)),
        ("SessionConfig::partial_timeout", dur(s.partial_timeout)),
        ("SessionConfig::max_pending", s.max_pending.to_string()),
        ("DEFAULT_MAX_MESSAGE", wire::DEFAULT_MAX_MESSAGE.to_string()),
        ("HELLO_PAUSE", dur(crate::glasses::HELLO_PAUSE)),
        ("PROTOCOL_VERSION", wire::PROTOCOL_VERSION.to_string()),
        ("TcpLinkConfig::backoff.initial", dur(tcp.backoff.initial)),
        ("TcpLinkConfig::backoff.max", dur(tcp.backoff.max)),
        ("TcpLinkConfig::connect_timeout", dur(tcp.connect_timeout)),
        ("MAX_PACKET", wire::MAX_PACKET.to_string()),
        ("MIN_MTU", wire::MIN_MTU.to_string()),
        ("TCP_MTU", crate::glasses::TCP_MTU.to_string()),
        ("StreamConfig::start_timeout", dur(st.start_timeout)),
        ("StreamConfig::stop_timeout", dur(st.stop_timeout)),
        ("StreamConfig::glasses_watchdog", dur(st.glasses_watchdog)),
        (
            "StreamConfig::keep_alive_ack_timeout",
            dur(st.keep_alive_ack_timeout),
        ),
        (
            "StreamConfig::bridge_keep_alive_interval",
            dur(st.bridge_keep_alive_interval),
        ),
        (
            "StreamConfig::keep_alive_misses_reported",
            st.keep_alive_misses_reported.to_string(),
        ),
        (
            "StreamConfig::throttle_factor",
            st.throttle_factor.to_string(),
        ),
        ("RESEND_EVERY", dur(crate::stream::RESEND_EVERY)),
        ("STATUS_ASKS", crate::stream::STATUS_ASKS.to_string()),
        ("BITRATE_SENDS", crate::stream::BITRATE_SENDS.to_string()),
        (
            "HealthConfig::battery_floor_percent",
            pct(h.battery_floor_percent),
        ),
        (
            "HealthConfig::battery_charging_floor_percent",
            pct(h.battery_charging_floor_percent),
        ),
        (
            "HealthConfig::battery_warn_percent",
            pct(h.battery_warn_percent),
        ),
        (
            "HealthConfig::battery_hysteresis_percent",
            pct(h.battery_hysteresis_percent),
        ),
        (
            "HealthConfig::temperature_warn_c",
            deg(h.temperature_warn_c),
        ),
        (
            "HealthConfig::temperature_throttle_c",
            deg(h.temperature_throttle_c),
        ),
        (
            "HealthConfig::temperature_critical_c",
            deg(h.temperature_critical_c),
        ),
        (
            "HealthConfig::temperature_hysteresis_c",
            deg(h.temperature_hysteresis_c),
        ),
        (
            "HealthConfig::temperature_stale_after",
            dur(h.temperature_stale_after),
        ),
        ("WIFI_TIMEOUT", dur(crate::bridge::WIFI_TIMEOUT)),
        ("SCAN_TIMEOUT", dur(crate::bridge::SCAN_TIMEOUT)),
    ]);
    #[cfg(feature = "ble")]
    {
        let ble = crate::glasses::BleLinkConfig::default();
        code.insert("BleLinkConfig::backoff.initial", dur(ble.backoff.initial));
        code.insert("BleLinkConfig::connect_timeout", dur(ble.connect_timeout));
    }
    code
}

/// Every `| what | value | `constant` |` row of the page: constant → value.
fn page_rows() -> Vec<(String, String)> {
    PAGE.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .strip_prefix('|')?
                .strip_suffix('|')?
                .split('|')
                .collect();
            let [_, value, code] = cells.as_slice() else {
                return None;
            };
            let code = code.trim().strip_prefix('`')?.strip_suffix('`')?;
            Some((code.to_owned(), value.trim().to_owned()))
        })
        .collect()
}

#[test]
fn every_constant_on_the_firmware_page_has_the_value_the_code_has() {
    let code = code();
    let rows = page_rows();
    assert!(
        rows.len() >= 30,
        "the page's tables were not found: {rows:?}"
    );
    for (name, value) in &rows {
        if cfg!(not(feature = "ble")) && name.starts_with("BleLinkConfig::") {
            continue; // built without BLE: nothing to compare with
        }
        let Some(actual) = code.get(name.as_str()) else {
            panic!(
                "proto/README.md names `{name}`, which this test does not know: add it to code()"
            );
        };
        assert_eq!(
            value, actual,
            "proto/README.md says `{name}` is {value}; the code says {actual}"
        );
    }
    for name in code.keys() {
        assert!(
            rows.iter().any(|(n, _)| n == name),
            "`{name}` is a phone timer or limit a firmware engineer needs, but proto/README.md does not list it"
        );
    }
}

/// `max_size` of each bounded string in glasses.options.
fn options() -> BTreeMap<String, usize> {
    OPTIONS
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let (field, rest) = l.split_once(char::is_whitespace)?;
            let size = rest.trim().strip_prefix("max_size:")?.parse().ok()?;
            Some((field.strip_prefix("mentra.glasses.v1.")?.to_owned(), size))
        })
        .collect()
}

#[test]
fn nanopb_bounds_are_the_phones_limits_plus_the_terminating_nul() {
    let options = options();
    let expected = [
        ("Hello.bridge_version", limits::MAX_VERSION),
        ("Capabilities.firmware_version", limits::MAX_VERSION),
        ("Capabilities.model", limits::MAX_VERSION),
        ("StartStream.stream_id", limits::MAX_ID),
        ("StartStream.url", limits::MAX_URL),
        ("StartStream.auth_token", limits::MAX_AUTH_TOKEN),
        ("StartStream.trace_id", limits::MAX_TRACE_ID),
        ("IceConfig.stun_server", limits::MAX_STUN_SERVER),
        ("StopStream.stream_id", limits::MAX_ID),
        ("KeepStreamAlive.stream_id", limits::MAX_ID),
        ("KeepStreamAlive.ack_id", limits::MAX_ID),
        ("SetStreamBitrate.stream_id", limits::MAX_ID),
        ("StreamStatus.stream_id", limits::MAX_ID),
        ("KeepAliveAck.stream_id", limits::MAX_ID),
        ("KeepAliveAck.ack_id", limits::MAX_ID),
        ("SetWifiCredentials.ssid", limits::MAX_SSID),
        ("SetWifiCredentials.password", limits::MAX_PASSWORD),
        ("WifiNetwork.ssid", limits::MAX_SSID),
        ("WifiStatus.ssid", limits::MAX_SSID),
    ];
    for (field, limit) in expected {
        assert_eq!(
            options.get(field).copied(),
            Some(limit + 1),
            "glasses.options bounds {field}; the phone allows {limit} bytes, so max_size must be {}",
            limit + 1
        );
    }
    // The page's worked example.
    assert_eq!(limits::MAX_PASSWORD, 63);
    assert!(PAGE.contains("A 63-character Wi-Fi password just fits `max_size: 64`"));
}
