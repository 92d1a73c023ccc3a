//! One line per bridge event, for people watching the demo or a live run.

use tokio::time::Instant;

use mentra_bridge::BridgeEvent;
use mentra_bridge::bridge::{CloudConnectionState, GlassesConnectionState, ThermalLevel};
use mentra_bridge::stream::{StreamState, StreamUpdate};

/// Prints events with the time since `t0`.
#[derive(Debug)]
pub(crate) struct Printer {
    t0: Instant,
}

impl Printer {
    pub(crate) fn new(t0: Instant) -> Self {
        Self { t0 }
    }

    /// When the clock started.
    pub(crate) fn t0(&self) -> Instant {
        self.t0
    }

    pub(crate) fn say(&self, what: &str, text: &str) {
        use std::io::Write;
        // A closed pipe (`| head`) is not an error worth a panic: the reader has seen enough.
        let _ = writeln!(
            std::io::stdout().lock(),
            "[{:>7.3}s] {what:<10} {text}",
            self.t0.elapsed().as_secs_f64()
        );
    }

    pub(crate) fn event(&self, event: &BridgeEvent) {
        if let Some((what, text)) = describe(event) {
            self.say(what, &text);
        }
    }
}

fn describe(event: &BridgeEvent) -> Option<(&'static str, String)> {
    Some(match event {
        BridgeEvent::Snapshot(_) => return None,
        BridgeEvent::Cloud(c) => (
            "cloud",
            match c {
                CloudConnectionState::Connecting => "connecting".into(),
                CloudConnectionState::Connected => "connected".into(),
                CloudConnectionState::Disconnected { reason, retry_in } => {
                    format!(
                        "disconnected: {reason} (retry in {:.1} s)",
                        retry_in.as_secs_f64()
                    )
                }
            },
        ),
        BridgeEvent::Glasses(g) => (
            "glasses",
            match g {
                GlassesConnectionState::Connecting => "link up, saying hello".into(),
                GlassesConnectionState::Connected {
                    model,
                    firmware,
                    mtu,
                } => format!("connected: {model}, firmware {firmware}, MTU {mtu}"),
                GlassesConnectionState::Disconnected { reason } => format!(
                    "disconnected{}",
                    reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            },
        ),
        BridgeEvent::Stream(u) => ("stream", stream_line(u)),
        BridgeEvent::KeepAliveAcked { stream_id, ack_id } => (
            "keep-alive",
            format!("{stream_id} ack {ack_id} acknowledged by the glasses"),
        ),
        BridgeEvent::Battery(b) => (
            "battery",
            format!(
                "{}%{}",
                b.level_percent,
                if b.charging { ", charging" } else { "" }
            ),
        ),
        BridgeEvent::Temperature(t) => (
            "thermal",
            format!(
                "{:.1} °C ({})",
                t.celsius,
                match t.level {
                    ThermalLevel::Normal => "normal",
                    ThermalLevel::Warm => "warm",
                    ThermalLevel::Hot => "hot",
                    ThermalLevel::Critical => "critical",
                    ThermalLevel::Unknown => "unknown",
                }
            ),
        ),
        BridgeEvent::Wifi(w) => (
            "wifi",
            if w.connected {
                format!("glasses on {} ({})", w.ssid, w.local_ip)
            } else {
                "glasses not on Wi-Fi".into()
            },
        ),
        BridgeEvent::Warning(w) => ("warning", format!("{} [{}]", w.message, w.code)),
        BridgeEvent::LinkQuality(q) => ("link", link_line(q)),
        _ => return None,
    })
}

fn link_line(q: &mentra_bridge::bridge::LinkQuality) -> String {
    let ms = |v: Option<u32>| v.map_or_else(|| "–".to_owned(), |v| format!("{v} ms"));
    let mut line = format!(
        "glasses rtt {}, {} resent, {} dropped, {} reconnects; cloud rtt {}, {} reconnects, {} queued",
        ms(q.glasses_rtt_ms),
        q.glasses_retransmissions,
        q.glasses_reassembly_drops,
        q.glasses_reconnects,
        ms(q.cloud_rtt_ms),
        q.cloud_reconnects,
        q.cloud_outbox
    );
    if let Some(r) = &q.last_disconnect_reason {
        line.push_str(&format!(" · last drop: {r}"));
    }
    line
}

fn stream_line(u: &StreamUpdate) -> String {
    let mut line = format!("{} {}", u.stream_id, u.state);
    if let (StreamState::Initializing, Some(t)) =
        (u.state, u.resolved.as_ref().and_then(|r| r.transport))
    {
        line.push_str(&format!(" via {t}"));
    }
    if u.state == StreamState::Streaming && u.stats.is_none() && u.problem.is_none() {
        // Telemetry is opt-in: say so rather than show numbers from an earlier report.
        line.push_str(" · no stats");
    }
    if let Some(s) = &u.stats {
        line.push_str(&format!(
            " · {:.2} Mbps, {:.0} fps, {} dropped, {} s",
            f64::from(s.bitrate_bps) / 1e6,
            s.fps,
            s.dropped_frames,
            s.duration_s
        ));
        if let Some(t) = s.temperature_c {
            line.push_str(&format!(", {t:.1} °C"));
        }
    }
    if let Some((attempt, max)) = u.reconnect {
        line.push_str(&format!(" · attempt {attempt}/{max}"));
    }
    if let Some(p) = u.problem {
        line.push_str(&format!(" · {} [{}]", p.message(), p.code()));
    }
    if let Some(d) = &u.detail {
        line.push_str(&format!(" ({d})"));
    }
    line
}
