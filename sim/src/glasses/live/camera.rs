//! What the camera underneath says, in the Mentra Live firmware's words: statuses with
//! `revision`/`terminal`, stats, resolved configs, keep-alive acks, battery, Wi-Fi, scans.

use super::*;

impl LiveGlasses {
    pub(super) fn drain_core(&mut self, now: Instant) {
        while let Some(m) = self.core.poll_output() {
            let Some(body) = m.body else { continue };
            match body {
                G::StreamStatus(s) => self.camera_status(now, s),
                G::KeepAliveAck(a) => {
                    let ts = self.unix_ms(now);
                    self.emit(
                        json!({ "type": "keep_alive_ack", "streamId": a.stream_id, "ackId": a.ack_id, "timestamp": ts }),
                        now,
                    );
                }
                G::Battery(b) => self.emit(
                    json!({ "type": "battery_status", "percent": b.level_percent, "charging": b.charging }),
                    now,
                ),
                G::WifiStatus(w) => self.emit(
                    json!({ "type": "wifi_status", "connected": w.connected, "ssid": if w.connected { w.ssid } else { String::new() }, "local_ip": w.local_ip }),
                    now,
                ),
                G::WifiScanResult(r) => {
                    // One network a message, then a final, empty `scan_complete`.
                    let ts = self.unix_ms(now);
                    for n in r.networks {
                        self.emit(
                            json!({ "type": "wifi_scan_result", "timestamp": ts, "scan_complete": false,
                                    "networks": [n.ssid], "networks_neo": [{ "ssid": n.ssid, "requiresPassword": n.requires_password, "signalStrength": n.rssi_dbm }] }),
                            now,
                        );
                    }
                    self.emit(
                        json!({ "type": "wifi_scan_result", "timestamp": ts, "scan_complete": true, "networks": [] }),
                        now,
                    );
                }
                // Mentra Live has no standalone thermal message, no hello, and its acks are
                // the JSON `msg_ack` (sent on receipt).
                G::Thermal(_) | G::Capabilities(_) | G::Ack(_) | G::Pong(_) | G::Error(_) => {}
            }
        }
    }

    pub(super) fn camera_status(&mut self, now: Instant, s: proto::StreamStatus) {
        if self.ended.as_deref().is_some_and(|e| e == s.stream_id) {
            return;
        }
        let state = StreamState::try_from(s.state).ok();
        let word = match state {
            Some(StreamState::Initializing) => "initializing",
            Some(StreamState::Streaming) => "streaming",
            Some(StreamState::Reconnecting) => "reconnecting",
            Some(StreamState::Reconnected) => "reconnected",
            Some(StreamState::ReconnectFailed) => "reconnect_failed",
            Some(StreamState::Stopping) => "stopping",
            Some(StreamState::Stopped) | Some(StreamState::Idle) => "stopped",
            Some(StreamState::Error) => "error",
            _ => "buffering",
        };
        let terminal = matches!(word, "stopped" | "error" | "reconnect_failed");
        if terminal
            && self
                .lease
                .as_ref()
                .is_some_and(|l| l.stream_id == s.stream_id)
        {
            self.lease = None;
        }
        let mut status = self.lifecycle(word, &s.stream_id, now, terminal);
        if let (Some(v), Value::Object(o)) = (s.resolved_video.filter(|_| !terminal), &mut status) {
            let transport = match &self.transport {
                Some((id, t)) if *id == s.stream_id => *t,
                _ => "rtmp",
            };
            let mut config = json!({ "transport": transport, "video": { "width": v.width, "height": v.height, "bitrate": v.bitrate_bps, "fps": v.fps } });
            if let Some(a) = s.resolved_audio {
                config["audio"] = json!({ "bitrate": a.bitrate_bps, "sampleRate": a.sample_rate_hz, "echoCancellation": a.echo_cancellation, "noiseSuppression": a.noise_suppression });
            }
            o.insert("resolvedConfig".into(), config);
        }
        if let (Some(st), Value::Object(o)) = (s.stats, &mut status) {
            o.insert(
                "stats".into(),
                json!({ "bitrate": st.bitrate_bps, "fps": st.fps, "droppedFrames": st.dropped_frames, "duration": st.duration_s, "temperatureC": st.temperature_c }),
            );
        }
        if let Value::Object(o) = &mut status {
            if word == "reconnecting" {
                o.insert("attempt".into(), json!(s.reconnect_attempt));
                o.insert("maxAttempts".into(), json!(s.reconnect_max));
                o.insert("reason".into(), json!("connection_lost"));
            }
            if word == "reconnect_failed" {
                o.insert("maxAttempts".into(), json!(s.reconnect_max));
            }
        }
        let detail = (word == "error").then(|| firmware_text(&s));
        self.send_status(now, status, detail.as_deref());
    }

    /// A lifecycle `stream_status` (2026) or `rtmp_stream_status` (2025) skeleton.
    pub(super) fn lifecycle(
        &self,
        word: &str,
        stream_id: &str,
        now: Instant,
        terminal: bool,
    ) -> Value {
        let ts = self.unix_ms(now);
        if self.y2026() {
            json!({ "type": "stream_status", "kind": "lifecycle", "status": word, "streamId": stream_id,
                    "timestamp": ts, "sid": self.sid, "revision": self.revision, "terminal": terminal })
        } else {
            json!({ "type": "rtmp_stream_status", "status": word, "streamId": stream_id, "timestamp": ts })
        }
    }

    pub(super) fn send_status(&mut self, now: Instant, mut status: Value, detail: Option<&str>) {
        if let (Some(d), Value::Object(o)) = (detail, &mut status) {
            o.insert("errorDetails".into(), json!(d));
        }
        self.emit(status, now);
    }
}
