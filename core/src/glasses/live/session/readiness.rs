//! The Mentra Live session's conversation rules: the readiness loop, `glasses_ready` and the
//! post-ready sequence, `version_info`, restarts of the glasses app, heartbeats, status
//! questions, and the Wire v2 negotiation. Bytes are the business of `outbound`/`inbound`.

use super::*;

impl LiveSession {
    pub(super) fn readiness_tick(&mut self, now: Instant) {
        // Both, as a robust phone does: the BES answers `cs_hrt`, the glasses app `phone_ready`.
        self.bes(json!({ "C": "cs_hrt", "B": "" }), false);
        self.phone_ready(now);
        self.phase = Phase::Readying {
            next_tick: now + self.config.readiness_interval,
        };
    }

    pub(super) fn phone_ready(&mut self, now: Instant) {
        let ts = self.unix_ms(now);
        self.message(
            now,
            json!({ "type": "phone_ready", "timestamp": ts }),
            true,
            None,
            false,
        );
    }

    /// `glasses_ready` heard (or heard again): a new wire epoch, then the post-ready sequence.
    pub(super) fn glasses_ready(&mut self, now: Instant, sid: Option<String>, caps: Option<Value>) {
        if self.sid_changed(sid.as_deref()) {
            self.app_restarted(now);
        }
        self.epoch = Epoch::new();
        self.read_caps(caps.as_ref());
        if sid.is_some() {
            self.sid = sid;
        }
        match self.phase {
            Phase::Readying { .. } => {
                let mtu = self.mtu.min(BES_MTU);
                self.message(
                    now,
                    json!({ "type": "set_ble_mtu", "mtu": mtu }),
                    false,
                    None,
                    false,
                );
                self.bes(json!({ "C": "cs_batv", "V": 1, "B": "" }), false);
                self.message(
                    now,
                    json!({ "type": "request_wifi_status" }),
                    true,
                    None,
                    false,
                );
                self.message(now, json!({ "type": "request_version" }), true, None, false);
                self.phase = Phase::Versioning {
                    until: now + self.config.version_wait,
                };
            }
            // An unsolicited one (the glasses app restarted with the same id, or answered a
            // second readiness tick): the epoch is new; ask for the version (and its caps).
            _ => {
                self.message(now, json!({ "type": "request_version" }), true, None, false);
            }
        }
        self.maybe_handshake(now);
    }

    pub(super) fn sid_changed(&self, sid: Option<&str>) -> bool {
        matches!((self.sid.as_deref(), sid), (Some(old), Some(new)) if old != new)
            && matches!(self.phase, Phase::Ready | Phase::Versioning { .. })
    }

    /// The glasses app restarted under the link: everything it knew is gone. The bridge hears
    /// the glasses leave and come back, so it asks what runs.
    pub(super) fn app_restarted(&mut self, now: Instant) {
        warn!("the glasses app restarted (new sid); renegotiating");
        let was_ready = self.is_ready();
        self.fail_waiting(was_ready);
        self.report(SessionEvent::Down);
        self.info = None;
        self.build = None;
        self.revision = None;
        self.heartbeat_at = None;
        // A new process runs nothing we started, and remembers no start we may resend.
        self.camera = Camera::Unknown;
        self.legacy_check = None;
        self.phase = Phase::Readying { next_tick: now };
    }

    /// Every command still waiting fails with `LinkDown` (reported only if the session was
    /// ready: before that no command went out). Request 0, the session's own, is not reported.
    pub(super) fn fail_waiting(&mut self, was_ready: bool) {
        let failed = self.take_waiting();
        if was_ready {
            for request in failed.into_iter().filter(|r| *r != 0) {
                self.report(SessionEvent::Failed {
                    request,
                    reason: CommandFailure::LinkDown,
                });
            }
        }
    }

    /// Every command still waiting for its answer, taken (oldest first).
    pub(super) fn take_waiting(&mut self) -> Vec<u32> {
        let mut waiting: Vec<u32> = self
            .in_flight
            .take()
            .map(|(t, _)| t.request)
            .into_iter()
            .collect();
        waiting.extend(self.queue.drain(..).map(|t| t.request));
        waiting.extend(self.status_requests.drain(..).map(|(r, _, _)| r));
        waiting.extend(self.held_stops.drain(..).map(|(r, _)| r));
        waiting
    }

    pub(super) fn read_caps(&mut self, caps: Option<&Value>) {
        let Some(caps) = caps.filter(|c| c.is_object()) else {
            return;
        };
        self.caps_seen = true;
        if caps.get("k900_le").and_then(Value::as_bool) == Some(true) {
            self.epoch.le = true;
        }
        if caps.get("binary").and_then(Value::as_bool) == Some(true) {
            self.epoch.binary_offered = true;
        }
    }

    pub(super) fn version(&mut self, now: Instant, v: VersionInfo) {
        if self.sid_changed(v.sid.as_deref()) {
            self.app_restarted(now);
            self.readiness_tick(now);
            return;
        }
        if v.sid.is_some() {
            self.sid = v.sid;
        }
        if let Some(b) = v.build {
            self.build = Some(b);
        }
        if v.app_version.is_some() {
            self.app_version = v.app_version;
        }
        self.read_caps(v.wire_caps.as_ref());
        if matches!(self.phase, Phase::Versioning { .. }) && self.build.is_some() {
            self.become_ready(now);
        }
        self.maybe_handshake(now);
    }

    pub(super) fn become_ready(&mut self, now: Instant) {
        // The modern names unless told otherwise (§i.4); glasses that give no `sid` or
        // `wire_caps` may still be 2025 firmware, which a start's silence will show.
        self.names = self.config.names.unwrap_or(CommandNames::Modern);
        self.names_settled = self.config.names.is_some() || self.sid.is_some() || self.caps_seen;
        let transports = match self.names {
            CommandNames::Modern => vec![Transport::Rtmp, Transport::Srt, Transport::Whip],
            CommandNames::Legacy => vec![Transport::Rtmp],
        };
        let firmware_version = match (&self.app_version, self.build) {
            (Some(v), Some(b)) => format!("{v} (build {b})"),
            (Some(v), None) => v.clone(),
            (None, Some(b)) => format!("build {b}"),
            (None, None) => "unknown".into(),
        };
        let info = GlassesInfo {
            protocol_version: 0,
            firmware_version,
            model: "Mentra Live".into(),
            camera: crate::wire::limits::DEFAULT_CAMERA_LIMITS,
            max_message_size: v2::GLASSES_REASSEMBLY_CAP,
            link_encrypted: self.config.link_encrypted,
            mtu: self.mtu,
            transports,
        };
        debug!(firmware = %info.firmware_version, names = ?self.names, mids = self.mids(), "Mentra Live glasses ready");
        self.phase = Phase::Ready;
        self.info = Some(info.clone());
        self.heartbeat_at = Some(now + self.config.heartbeat_interval);
        self.report(SessionEvent::Ready(info));
        while let Some(body) = self.early.pop_front() {
            self.deliver(0, body);
        }
    }

    pub(super) fn ask_status(&mut self, now: Instant, json: Value, wake: bool) {
        let modern = json.get("type").and_then(Value::as_str) == Some("get_stream_status");
        let m_id = self.mids().then(|| self.take_m_id());
        self.message(now, json, wake, m_id, false);
        if modern && !self.names_settled {
            // Glasses of unknown generation: ask in 2025's words too (each ignores the
            // other's; the answer's naming settles which they speak).
            let m_id = self.mids().then(|| self.take_m_id());
            self.message(now, json!({ "type": "get_rtmp_status" }), wake, m_id, false);
        }
    }

    pub(super) fn status_timeouts(&mut self, now: Instant) {
        let due: Vec<(u32, u8)> = self
            .status_requests
            .iter()
            .filter(|(_, d, _)| *d <= now)
            .map(|(r, _, n)| (*r, *n))
            .collect();
        for (request, sends) in due {
            self.status_requests.retain(|(r, _, _)| *r != request);
            if sends < self.config.max_sends {
                self.stats.retransmissions += 1;
                if let Ok(out) = messages::command(
                    &phone_to_glasses::Body::GetStreamStatus(Default::default()),
                    self.names,
                    &self.controller_id,
                ) {
                    self.ask_status(now, out.json, out.wake);
                }
                self.status_requests
                    .push_back((request, now + STATUS_ANSWER, sends + 1));
            } else if request == 0 {
                self.held_stops_unasked(now);
            } else {
                self.report(SessionEvent::Failed {
                    request,
                    reason: CommandFailure::NoAnswer { attempts: sends },
                });
            }
        }
    }

    /// A start in the modern names met silence: these glasses speak 2025's names.
    pub(super) fn legacy_timeout(&mut self, now: Instant) {
        let due = self
            .legacy_check
            .as_ref()
            .and_then(|c| c.deadline)
            .is_some_and(|d| now >= d);
        if !due {
            return;
        }
        let Some(check) = self.legacy_check.take() else {
            return;
        };
        warn!("the glasses ignored start_stream: speaking the 2025 names (start_rtmp_stream)");
        self.names = CommandNames::Legacy;
        self.names_settled = true;
        self.send_legacy_start(now, check);
    }

    /// The start again, in 2025's words.
    fn send_legacy_start(&mut self, now: Instant, check: LegacyCheck) {
        if self.mids() {
            let m_id = self.take_m_id();
            // Its ack is not news to the bridge (request 0): the first one was reported.
            self.queue.push_front(Tracked {
                request: 0,
                m_id,
                json: check.json,
                wake: true,
                sends: 0,
            });
            self.pump(now);
        } else {
            self.message(now, check.json, true, None, false);
        }
    }

    /// A status shows which names the glasses speak.
    /// Every status says which names the glasses speak — also after a guess (a late modern
    /// status undoes the 2025 fallback). A set `LiveConfig.names` is never overridden.
    pub(super) fn names_shown(&mut self, now: Instant, legacy: bool) {
        if self.config.names.is_some() {
            return;
        }
        self.names_settled = true;
        self.names = if legacy {
            CommandNames::Legacy
        } else {
            CommandNames::Modern
        };
        if let Some(check) = self.legacy_check.take() {
            if legacy {
                // 2025 glasses answered something: the modern start they ignored goes again
                // in their words, now.
                self.send_legacy_start(now, check);
            }
        }
    }

    pub(super) fn heartbeat(&mut self, now: Instant) {
        let ts = self.unix_ms(now);
        self.message(now, json!({ "type": "ping" }), false, None, false);
        self.message(
            now,
            json!({ "type": "service_heartbeat", "timestamp": ts, "heartbeat_counter": self.heartbeats }),
            false,
            None,
            false,
        );
        if self.build.is_none() && self.version_asks < VERSION_ASKS {
            // `version_info` was lost (or never came): ask again, a few times, without
            // waking the SoC each time.
            self.version_asks += 1;
            self.message(
                now,
                json!({ "type": "request_version" }),
                false,
                None,
                false,
            );
        }
        // The BES answers with `sr_hrt`: the only truthful charging bit, kept fresh.
        self.bes(json!({ "C": "cs_hrt", "B": "" }), false);
        self.heartbeats += 1;
        if self.heartbeats % BATTERY_EVERY == 0 {
            self.bes(json!({ "C": "cs_batv", "V": 1, "B": "" }), false);
        }
        self.heartbeat_at = Some(now + self.config.heartbeat_interval);
    }

    // --- Wire v2 ---

    pub(super) fn maybe_handshake(&mut self, now: Instant) {
        let wanted = self.config.wire_v2
            && self.epoch.binary_offered
            && self.mids()
            && !self.epoch.v2
            && self.epoch.handshake_retry.is_none()
            && self.epoch.handshakes < HANDSHAKE_ATTEMPTS;
        if wanted {
            self.epoch.handshakes += 1;
            self.epoch.handshake_retry = Some(now + HANDSHAKE_RETRY);
            self.wire.push_back(Frame {
                bytes: v2::handshake(0),
                paced: false,
            });
        }
    }

    pub(super) fn activate_v2(&mut self, now: Instant) {
        if self.epoch.v2 || !self.config.wire_v2 {
            return;
        }
        debug!("BLE Wire v2 active");
        let ms = self.unix_ms(now);
        self.epoch.v2 = true;
        self.epoch.le = true;
        self.epoch.handshake_retry = None;
        self.epoch.compactor.activate(ms);
        self.epoch.expander.activate(ms);
    }
}
