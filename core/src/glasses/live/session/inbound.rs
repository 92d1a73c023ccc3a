//! How the Mentra Live session reads: K900 frames, C-wrappers, chunks and fragments back to
//! messages, `msg_ack` both ways with de-duplication, probes answered at once, and what the
//! glasses say turned into our model for the bridge.

use super::*;

impl LiveSession {
    pub(super) fn packet(&mut self, now: Instant, bytes: &[u8]) {
        match k900::decode(bytes) {
            Ok(f) if f.kind == TYPE_BINARY => self.binary(now, &f.payload),
            Ok(f) if f.kind == TYPE_STRING => {
                // Our 0x30 frames follow the order the glasses' last readable one used.
                if !self.epoch.v2 && bytes.len() > 4 && bytes[3] != bytes[4] {
                    self.epoch.le = f.order == LengthOrder::Little;
                }
                self.string(now, &f.payload)
            }
            Ok(f) => trace!(kind = f.kind, "file packet ignored"),
            // Raw JSON without a frame is accepted too.
            Err(_) if bytes.first() == Some(&b'{') => self.string(now, bytes),
            Err(e) => {
                self.stats.unreadable += 1;
                debug!("unreadable glasses frame: {e}");
            }
        }
    }

    pub(super) fn string(&mut self, now: Instant, payload: &[u8]) {
        let Ok(outer) = serde_json::from_slice::<Value>(payload) else {
            self.stats.unreadable += 1;
            debug!(len = payload.len(), "glasses frame is not JSON");
            return;
        };
        self.unwrapped(now, outer, 0);
    }

    /// A JSON object off the wire: C-wrapped, BES-native, a chunk, or a message.
    pub(super) fn unwrapped(&mut self, now: Instant, outer: Value, depth: u8) {
        if let Some(c) = outer.get("C").and_then(Value::as_str) {
            match serde_json::from_str::<Value>(c) {
                Ok(inner) if inner.is_object() => self.object(now, inner, depth),
                _ => {
                    let inbound = messages::bes(c, &outer);
                    self.inbound(now, inbound);
                }
            }
        } else if outer.is_object() {
            self.object(now, outer, depth);
        } else {
            self.stats.unreadable += 1;
        }
    }

    pub(super) fn object(&mut self, now: Instant, v: Value, depth: u8) {
        let v = match self.epoch.expander.expand(v) {
            Ok(v) => v,
            Err(e) => {
                self.stats.unreadable += 1;
                debug!("{e}");
                return;
            }
        };
        if Chunk::looks_like(&v) {
            let Some(c) = Chunk::from_json(&v) else {
                self.stats.unreadable += 1;
                return;
            };
            if let Some(text) = self.epoch.chunks.push(now, c) {
                match serde_json::from_str::<Value>(&text) {
                    // One level of nesting at most: a chunk of chunks is nonsense.
                    Ok(whole) if depth == 0 => self.unwrapped(now, whole, 1),
                    _ => self.stats.unreadable += 1,
                }
            }
            return;
        }
        let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
        if kind != "msg_ack" {
            if let Some(m_id) = v.get("mId").and_then(Value::as_u64) {
                self.ack(now, m_id);
                if self.seen_before(now, m_id) {
                    self.stats.duplicates += 1;
                    trace!(
                        m_id,
                        "repeat of a glasses message; acked again, not handled"
                    );
                    return;
                }
            }
        }
        let inbound = messages::inbound(&v);
        self.inbound(now, inbound);
    }

    pub(super) fn ack(&mut self, now: Instant, m_id: u64) {
        self.stats.acks_sent += 1;
        let ts = self.unix_ms(now);
        self.message(
            now,
            json!({ "type": "msg_ack", "mId": m_id, "timestamp": ts }),
            false,
            None,
            true,
        );
    }

    pub(super) fn seen_before(&mut self, now: Instant, m_id: u64) -> bool {
        self.seen
            .retain(|(_, at)| now.saturating_duration_since(*at) < DUPLICATE_WINDOW);
        if let Some(entry) = self.seen.iter_mut().find(|(id, _)| *id == m_id) {
            entry.1 = now;
            return true;
        }
        if self.seen.len() >= SEEN_LIMIT {
            self.seen.pop_front();
        }
        self.seen.push_back((m_id, now));
        false
    }

    pub(super) fn binary(&mut self, now: Instant, inner: &[u8]) {
        let Some(f) = Fragment::decode(inner) else {
            self.stats.unreadable += 1;
            return;
        };
        if f.is_handshake() {
            // Ours went out this epoch: the glasses agree. Theirs alone is ignored (§f.3).
            if self.epoch.handshakes > 0 {
                self.activate_v2(now);
            } else {
                trace!("glasses' v2 handshake before ours; ignored");
            }
            return;
        }
        if let Some(bytes) = self.epoch.fragments.push(now, f) {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(v) => self.unwrapped(now, v, 0),
                Err(_) => self.stats.unreadable += 1,
            }
        }
        // Any non-handshake fragment from glasses that take mIds switches us too.
        if self.mids() {
            self.activate_v2(now);
        }
    }

    pub(super) fn inbound(&mut self, now: Instant, inbound: Inbound) {
        match inbound {
            Inbound::Ack(m_id) => self.acked(now, m_id),
            Inbound::GlassesReady { sid, wire_caps } => self.glasses_ready(now, sid, wire_caps),
            Inbound::Version {
                build,
                app_version,
                sid,
                wire_caps,
            } => self.version(
                now,
                VersionInfo {
                    build,
                    app_version,
                    sid,
                    wire_caps,
                },
            ),
            Inbound::Probe(p) => self.probe(now, p),
            Inbound::BesHeartbeat {
                ready,
                percent,
                charging,
                voltage_mv,
            } => {
                if let Some(c) = charging {
                    self.bes_charging = Some((c, now));
                }
                if let Phase::Readying { .. } = self.phase {
                    if ready && self.soc_booting {
                        // The SoC just finished booting: say hello now, not at the next tick.
                        self.soc_booting = false;
                        self.phone_ready(now);
                    } else if !ready {
                        self.soc_booting = true;
                    }
                    if !ready
                        && percent.is_some_and(|p| p <= PAIRING_BATTERY)
                        && !self.pairing_warned
                    {
                        self.pairing_warned = true;
                        self.report(SessionEvent::PairingBatteryLow {
                            percent: percent.unwrap_or(0),
                        });
                    }
                }
                if let Some(p) = percent {
                    let b = messages::battery(p, self.charging(now).unwrap_or(false), voltage_mv);
                    self.battery(now, b);
                }
            }
            Inbound::BesBattery {
                percent,
                voltage_mv,
            } => {
                if let Some(p) = percent {
                    let b = messages::battery(p, self.charging(now).unwrap_or(false), voltage_mv);
                    self.battery(now, b);
                }
            }
            Inbound::Model(glasses_to_phone::Body::Battery(b)) => {
                self.app_charging = Some((b.charging, now));
                let bes = self.charging(now);
                if bes.is_some_and(|c| c != b.charging)
                    && self
                        .charging_asked
                        .is_none_or(|at| now.saturating_duration_since(at) >= CHARGING_ASK)
                {
                    // The two disagree (an unplug, or an old app's voltage guess): the BES's
                    // answer settles it within a round trip.
                    self.charging_asked = Some(now);
                    self.bes(json!({ "C": "cs_hrt", "B": "" }), false);
                }
                let charging = bes.unwrap_or(b.charging);
                let b = messages::battery(b.level_percent, charging, None);
                self.battery(now, b);
            }
            Inbound::Model(body @ glasses_to_phone::Body::WifiStatus(_)) => {
                // It answers every question waiting (one may have lost its own answer).
                let mut asked: Vec<u32> = self.wifi_requests.drain(..).collect();
                if asked.is_empty() {
                    asked.push(0);
                }
                for reply_to in asked {
                    self.deliver(reply_to, body.clone());
                }
            }
            Inbound::Model(body) => self.deliver(0, body),
            Inbound::Status {
                status,
                sid,
                revision,
                snapshot,
                legacy,
            } => {
                self.names_shown(now, legacy);
                if self.sid_changed(sid.as_deref()) {
                    self.app_restarted(now);
                    self.readiness_tick(now);
                    self.sid = sid;
                } else if sid.is_some() {
                    self.sid = sid;
                }
                if let Some(r) = revision {
                    if self.revision.is_some_and(|seen| r < seen) {
                        self.stats.stale_statuses += 1;
                        debug!(revision = r, "stale stream status dropped");
                        return;
                    }
                    self.revision = Some(r);
                }
                let reply_to = if snapshot {
                    // Every question asked is answered by it (request 0 is the session's own).
                    let mut asked = self
                        .status_requests
                        .drain(..)
                        .map(|(r, _, _)| r)
                        .filter(|r| *r != 0);
                    let first = asked.next().unwrap_or(0);
                    let rest: Vec<u32> = asked.collect();
                    for request in rest {
                        self.report(SessionEvent::Acked { request });
                    }
                    first
                } else {
                    0
                };
                self.camera_said(now, &status, snapshot);
                self.deliver(reply_to, glasses_to_phone::Body::StreamStatus(status));
            }
            Inbound::Pong => {}
            Inbound::Shutdown => {
                warn!("the glasses are powering off");
                self.report(SessionEvent::PoweringOff);
                self.link_down();
                self.phase = Phase::Off;
            }
            Inbound::Ignored(kind) => trace!(%kind, "glasses message ignored"),
        }
    }

    pub(super) fn acked(&mut self, now: Instant, m_id: u64) {
        if self.in_flight.as_ref().is_some_and(|(t, _)| t.m_id == m_id) {
            if let Some((t, _)) = self.in_flight.take() {
                if let Some(c) = self
                    .legacy_check
                    .as_mut()
                    .filter(|c| c.request == t.request && c.deadline.is_none())
                {
                    // Received: a status must follow, or these glasses ignore the name.
                    c.deadline = Some(now + LEGACY_WAIT);
                }
                if t.request != 0 {
                    self.report(SessionEvent::Acked { request: t.request });
                }
            }
            self.pump(now);
        } else if let Some(i) = self.probe_acks.iter().position(|m| *m == m_id) {
            self.probe_acks.remove(i);
        } else {
            trace!(m_id, "msg_ack for nothing waiting (a repeat)");
        }
    }

    /// The controller lease: answered at once, ahead of everything queued, whatever the
    /// phase — a stream may outlive a reconnect's handshake.
    pub(super) fn probe(&mut self, now: Instant, p: Probe) {
        if p.controller_id != self.controller_id {
            self.stats.probes_foreign += 1;
            debug!(stream = %p.stream_id, "probe for another controller; not ours to answer");
            return;
        }
        self.stats.probes_answered += 1;
        let m_id = self.mids().then(|| self.take_m_id());
        if let Some(m) = m_id {
            if self.probe_acks.len() >= 8 {
                self.probe_acks.pop_front();
            }
            self.probe_acks.push_back(m);
        }
        let answer = json!({
            "type": "stream_controller_response",
            "protocolVersion": 1,
            "controllerId": self.controller_id,
            "streamId": p.stream_id,
            "probeId": p.probe_id,
        });
        self.message(now, answer, true, m_id, true);
    }

    /// Whether the glasses charge: the BES's bit while fresh (it is the truthful one; older
    /// glasses' apps guess from the voltage), else the app's. When the app disagrees the BES
    /// is asked at once, so an unplug shows within a round trip.
    pub(super) fn charging(&self, now: Instant) -> Option<bool> {
        let fresh = |e: Option<(bool, Instant)>| {
            e.filter(|(_, at)| now.saturating_duration_since(*at) < CHARGING_EVIDENCE)
        };
        fresh(self.bes_charging)
            .or(fresh(self.app_charging))
            .map(|(c, _)| c)
    }

    pub(super) fn battery(&mut self, now: Instant, b: crate::wire::proto::Battery) {
        let same = |old: &crate::wire::proto::Battery| {
            old.level_percent == b.level_percent
                && old.charging == b.charging
                && old.active_charging == b.active_charging
        };
        if let Some((old, at)) = &self.last_battery {
            if same(old) && now.saturating_duration_since(*at) < BATTERY_REPEAT {
                return;
            }
        }
        self.last_battery = Some((b, now));
        self.deliver(0, glasses_to_phone::Body::Battery(b));
    }

    pub(super) fn deliver(&mut self, reply_to: u32, body: glasses_to_phone::Body) {
        if self.is_ready() {
            self.report(SessionEvent::Message(Incoming {
                message_id: 0,
                reply_to,
                body,
            }));
        } else {
            if self.early.len() >= EARLY_LIMIT {
                self.early.pop_front();
            }
            self.early.push_back(body);
        }
    }
}
