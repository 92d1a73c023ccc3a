//! The Mentra Live personality's stream commands: `start_stream` (or the 2025 name) checked
//! as the firmware checks it, stop, keep-alive, snapshots, and the controller lease.

use super::*;

impl LiveGlasses {
    pub(super) fn start(&mut self, now: Instant, j: &Value) {
        let stream_id = match str_of(j, "streamId") {
            "" => format!("asg-{:08x}", self.rng.below(u64::from(u32::MAX))),
            id => id.to_owned(),
        };
        let url = ["streamUrl", "rtmpUrl", "srtUrl", "whipUrl"]
            .iter()
            .map(|k| str_of(j, k))
            .find(|u| !u.is_empty())
            .unwrap_or_default()
            .to_owned();
        let fail = |this: &mut Self, text: &str| {
            let status = this.lifecycle("error", &stream_id, now, true);
            this.send_status(now, status, Some(text));
        };
        if self.y2026() {
            // (A start for the running stream is no retransmission — those are caught by
            // their mId — so it stops and starts anew, as §g.1 step 7 says.)
            let controller = str_of(j, "controllerId");
            if j.get("controllerProbeVersion").and_then(Value::as_u64) != Some(1)
                || !j.get("controllerProbeVersion").is_some_and(Value::is_u64)
                || controller.is_empty()
            {
                return fail(
                    self,
                    "Update the Mentra App: native stream controller probing is required",
                );
            }
        }
        if url.is_empty() {
            let text = if self.y2026() {
                "missing_stream_url"
            } else {
                "missing_rtmp_url"
            };
            return fail(self, text);
        }
        let lower = url.to_ascii_lowercase();
        let known = if self.y2026() {
            ["rtmp://", "rtmps://", "srt://", "http://", "https://"]
                .iter()
                .any(|p| lower.starts_with(p))
        } else {
            ["rtmp://", "rtmps://"].iter().any(|p| lower.starts_with(p))
        };
        if !known {
            return fail(self, "Unknown stream URL protocol");
        }
        let battery = self.core.battery_percent().round() as u32;
        let gate = if self.y2026() { 15 } else { 10 };
        let charging = self.core.charging();
        if battery < gate && !(self.y2026() && battery >= 4 && charging) {
            return fail(
                self,
                &format!("Battery level too low ({battery}%) - minimum {gate}% required"),
            );
        }
        if self.y2026() {
            // A new start replaces whatever runs; the old stream gets its own `stopped`.
            if let Some(old) = self.core.current_stream().map(str::to_owned) {
                self.lease = None;
                let status = self.lifecycle("stopped", &old, now, true);
                self.send_status(now, status, None);
                self.core.handle_input(now, SimInput::Abort);
            }
            self.ended = None;
            self.revision += 1;
        }
        let video = j.get("video").or_else(|| j.get("v"));
        let audio = j.get("audio").or_else(|| j.get("a"));
        let start = StartStream {
            stream_id: stream_id.clone(),
            url,
            video: video.map(|v| proto::VideoConfig {
                width: num(v, &["width", "w"]),
                height: num(v, &["height", "h"]),
                bitrate_bps: num(v, &["bitrate", "br"]),
                fps: num(v, &["frameRate", "fr", "fps", "f"]),
            }),
            audio: audio.map(|a| proto::AudioConfig {
                bitrate_bps: num(a, &["bitrate", "br"]),
                sample_rate_hz: num(a, &["sampleRate", "sr"]),
                echo_cancellation: a
                    .get("echoCancellation")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                noise_suppression: a
                    .get("noiseSuppression")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            }),
            // 2025 firmware sent stats whatever the start said; 2026 only when asked.
            telemetry: j
                .get("telemetry")
                .or_else(|| j.get("tl"))
                .and_then(Value::as_bool)
                .unwrap_or(!self.y2026()),
            ..Default::default()
        };
        let transport = if lower.starts_with("srt://") {
            "srt"
        } else if lower.starts_with("http") {
            "whip"
        } else {
            "rtmp"
        };
        self.transport = Some((stream_id.clone(), transport));
        self.tell_core(now, P::StartStream(start));
        let started = self.core.current_stream() == Some(stream_id.as_str());
        if started && self.y2026() {
            self.lease = Some(Lease {
                stream_id,
                controller_id: str_of(j, "controllerId").to_owned(),
                probe_id: String::new(),
                deadline: now + self.config.lease,
                next_probe: now,
            });
            self.rotate_probe();
            self.drain_core(now);
            self.probe(now);
        }
    }

    pub(super) fn stop(&mut self, now: Instant) {
        if self.core.current_stream().is_some() {
            self.lease = None;
            self.tell_core(now, P::StopStream(StopStream::default()));
        } else if self.y2026() {
            self.snapshot(now, None);
        } else {
            let ts = self.unix_ms(now);
            self.emit(
                json!({ "type": "rtmp_stream_status", "status": "error", "errorDetails": "not_streaming", "timestamp": ts }),
                now,
            );
        }
    }

    pub(super) fn keep_alive(&mut self, now: Instant, j: &Value) {
        let (stream_id, ack_id) = (str_of(j, "streamId"), str_of(j, "ackId"));
        if stream_id.is_empty() || ack_id.is_empty() {
            return;
        }
        // 2026: a receipt only (the core's watchdog is off); 2025: it feeds the watchdog.
        self.tell_core(
            now,
            P::KeepStreamAlive(KeepStreamAlive {
                stream_id: stream_id.to_owned(),
                ack_id: ack_id.to_owned(),
            }),
        );
    }

    pub(super) fn snapshot(&mut self, now: Instant, request_id: Option<&Value>) {
        let view = self.core.camera();
        let (word, live) = match view.phase {
            CameraPhase::Idle => ("stopped", false),
            CameraPhase::Starting => ("initializing", true),
            CameraPhase::Streaming => ("streaming", true),
            CameraPhase::Reconnecting => ("reconnecting", true),
            CameraPhase::Stopping => ("stopping", true),
        };
        let ts = self.unix_ms(now);
        let mut m = Map::new();
        if self.y2026() {
            m.insert("type".into(), json!("stream_status"));
            m.insert("kind".into(), json!("snapshot"));
            m.insert("sid".into(), json!(self.sid));
            m.insert("revision".into(), json!(self.revision));
            m.insert("terminal".into(), json!(!live));
        }
        m.insert("status".into(), json!(word));
        m.insert(
            "streaming".into(),
            json!(view.phase == CameraPhase::Streaming),
        );
        m.insert(
            "reconnecting".into(),
            json!(view.phase == CameraPhase::Reconnecting),
        );
        if let Some(id) = view.stream_id {
            m.insert("streamId".into(), json!(id));
        }
        if let Some(r) = request_id.and_then(Value::as_str) {
            m.insert("request_id".into(), json!(r));
        }
        m.insert("timestamp".into(), json!(ts));
        self.emit(Value::Object(m), now);
    }

    // --- the controller lease ---

    pub(super) fn rotate_probe(&mut self) {
        let a = self.rng.below(u64::MAX);
        let b = self.rng.below(u64::MAX);
        if let Some(l) = self.lease.as_mut() {
            l.probe_id = format!(
                "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                a >> 32,
                (a >> 16) & 0xffff,
                a & 0xfff,
                0x8000 | (b >> 50),
                b & 0xffff_ffff_ffff
            );
        }
    }

    pub(super) fn probe(&mut self, now: Instant) {
        let Some(l) = self.lease.as_mut() else { return };
        let left = l.deadline.saturating_duration_since(now);
        l.next_probe = now
            + self
                .config
                .probe_interval
                .min(left)
                .max(Duration::from_millis(1));
        let probe = json!({
            "type": "stream_controller_probe", "protocolVersion": 1, "streamId": l.stream_id,
            "controllerId": l.controller_id, "probeId": l.probe_id,
        });
        self.emit(probe, now);
    }

    pub(super) fn answer(&mut self, now: Instant, j: &Value) {
        let Some(l) = self.lease.as_mut() else { return };
        let accepted = j
            .get("protocolVersion")
            .is_some_and(|v| v.is_u64() && v.as_u64() == Some(1))
            && str_of(j, "streamId") == l.stream_id
            && str_of(j, "controllerId") == l.controller_id
            && str_of(j, "probeId") == l.probe_id
            && now < l.deadline;
        if accepted {
            l.deadline = now + self.config.lease;
            self.accepted += 1;
            self.rotate_probe();
        }
    }
}
