//! How the Mentra Live session writes: mIds, stop-and-wait, the JSON of one message as v1
//! C-wrapped chunks or Wire v2 fragments, BES commands, and the pacing of what is written.

use super::*;

impl LiveSession {
    /// mIds once the build is known to be ≥ 5 — or, before `version_info` arrives (it may be
    /// lost), when the glasses declare a process id: only 2026 builds do.
    pub(super) fn mids(&self) -> bool {
        match self.build {
            Some(b) => b >= 5,
            None => self.sid.is_some(),
        }
    }

    pub(super) fn take_m_id(&mut self) -> u64 {
        let id = self.next_m_id;
        self.next_m_id = (self.next_m_id + 1) & (i64::MAX as u64);
        id
    }

    /// Stop-and-wait: the next tracked message goes out when none awaits its `msg_ack`.
    pub(super) fn pump(&mut self, now: Instant) {
        if self.in_flight.is_some() {
            return;
        }
        let Some(mut t) = self.queue.pop_front() else {
            return;
        };
        t.sends += 1;
        let frames = self.message(now, t.json.clone(), t.wake, Some(t.m_id), false);
        // The wait starts when the last piece is written.
        let writing = self.config.pacing * u32::try_from(frames.saturating_sub(1)).unwrap_or(0);
        self.in_flight = Some((t, now + writing + self.config.ack_timeout));
    }

    /// Queues one JSON message for the glasses app; `front` puts it before everything waiting
    /// (probe answers and acks). Returns how many frames it took.
    pub(super) fn message(
        &mut self,
        now: Instant,
        mut json: Value,
        wake: bool,
        m_id: Option<u64>,
        front: bool,
    ) -> usize {
        if let (Some(m), Value::Object(o)) = (m_id, &mut json) {
            o.insert("mId".into(), json!(m));
        }
        let frames: Vec<Vec<u8>> = if self.epoch.v2 {
            let compact = self.epoch.compactor.compact(json);
            let payload = compact.to_string().into_bytes();
            // 0 is for untracked messages: a tracked one never shares it.
            let msg_id = m_id.map_or(0, |m| ((m & 0xffff) as u16).max(1));
            match v2::split(
                &payload,
                msg_id,
                wake,
                m_id.is_some(),
                v2::PHONE_FRAGMENT_PAYLOAD,
            ) {
                Some(f) => f,
                None => {
                    warn!(len = payload.len(), "message too long for Wire v2; dropped");
                    return 0;
                }
            }
        } else {
            let inner = json.to_string();
            // `<mId>_<ms>`, `-1_<ms>` untracked; the stamp never repeats on this session.
            self.chunk_ms = self.unix_ms(now).max(self.chunk_ms + 1);
            let session = match m_id {
                Some(m) => format!("{m}_{}", self.chunk_ms),
                None => format!("-1_{}", self.chunk_ms),
            };
            let Some(payloads) = chunk::split(&inner, m_id, &session, wake, Side::Phone) else {
                warn!(len = inner.len(), "message cannot be chunked; dropped");
                return 0;
            };
            let order = self.string_order();
            payloads
                .iter()
                .filter_map(|p| k900::encode(TYPE_STRING, order, p.as_bytes()).ok())
                .collect()
        };
        let n = frames.len();
        if self.wire.len() + n > WIRE_LIMIT {
            // The link is not taking what we write (or the glasses flood us with probes).
            warn!(
                waiting = self.wire.len(),
                "glasses write queue full; message dropped"
            );
            return 0;
        }
        let frames = frames.into_iter().enumerate().map(|(i, bytes)| Frame {
            bytes,
            paced: i > 0,
        });
        if front {
            for f in frames.rev() {
                self.wire.push_front(f);
            }
        } else {
            self.wire.extend(frames);
        }
        n
    }

    pub(super) fn string_order(&self) -> LengthOrder {
        if self.epoch.le {
            LengthOrder::Little
        } else {
            LengthOrder::Big
        }
    }

    /// A BES-native command: one 0x30 frame, never an mId, never wrapped.
    pub(super) fn bes(&mut self, mut json: Value, wake: bool) {
        if let (true, Value::Object(o)) = (wake, &mut json) {
            o.insert("W".into(), json!(1));
        }
        let order = self.string_order();
        if let Ok(bytes) = k900::encode(TYPE_STRING, order, json.to_string().as_bytes()) {
            self.wire.push_back(Frame {
                bytes,
                paced: false,
            });
        }
    }

    /// Writes what is due: unpaced frames at once, paced ones a pacing gap apart.
    pub(super) fn flush(&mut self, now: Instant) {
        while let Some(f) = self.wire.front() {
            if f.paced
                && self
                    .last_write
                    .is_some_and(|l| now < l + self.config.pacing)
            {
                break;
            }
            let Some(f) = self.wire.pop_front() else {
                break;
            };
            self.last_write = Some(now);
            self.out.push_back(SessionOutput::ToGlasses(f.bytes));
        }
    }

    pub(super) fn report(&mut self, event: SessionEvent) {
        self.out.push_back(SessionOutput::Event(event));
    }

    pub(super) fn unix_ms(&self, now: Instant) -> u64 {
        let since = now.saturating_duration_since(self.created).as_millis();
        self.unix_base_ms + u64::try_from(since).unwrap_or(u64::MAX / 2)
    }
}
