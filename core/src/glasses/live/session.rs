//! The Mentra Live session machine (sans-IO): the readiness loop, `version_info`, mId and
//! `msg_ack` (stop-and-wait, retries with the same mId, de-duplication of the glasses' mIds),
//! heartbeats, K900 v1 chunking, BLE Wire v2 (negotiation, fragments, compaction), and the
//! controller lease answered in the receive path. It speaks the same inputs, commands and
//! events as our protobuf [`Session`](crate::glasses::Session). It owns no link and no timer.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tracing::{debug, trace, warn};

use super::chunk::{self, Chunk, Side};
use super::compact::{Compactor, Expander};
use super::k900::{self, LengthOrder, TYPE_BINARY, TYPE_STRING};
use super::messages::{self, CommandNames, Inbound, Probe};
use super::v2::{self, Fragment, Order};
use super::{LiveConfig, process_controller_id, unix_ms_now};
use crate::glasses::{
    CommandFailure, GlassesInfo, Incoming, SessionError, SessionEvent, SessionInput, SessionOutput,
};
use crate::stream::Transport;
use crate::wire::proto::{glasses_to_phone, phone_to_glasses};

/// Counters, for tests, benchmarks and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Controller probes answered.
    pub probes_answered: u64,
    /// Probes for another controller (another phone's stream), not answered.
    pub probes_foreign: u64,
    /// `msg_ack`s sent for the glasses' tracked messages.
    pub acks_sent: u64,
    /// Tracked messages sent again after no `msg_ack`.
    pub retransmissions: u64,
    /// Glasses messages dropped as repeats of one already handled.
    pub duplicates: u64,
    /// Stream statuses dropped as older than one already seen.
    pub stale_statuses: u64,
    /// Frames or messages that could not be read.
    pub unreadable: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No link.
    Down,
    /// The readiness loop runs; the next tick is due then.
    Readying { next_tick: Instant },
    /// `glasses_ready` heard; `version_info` (the build decides mIds) awaited until then.
    Versioning { until: Instant },
    /// Commands may be sent.
    Ready,
    /// The glasses said they are powering off (`sr_shut`): nothing until the link is new.
    Off,
}

/// The wire state of one epoch (reset on every link and every `glasses_ready`).
#[derive(Debug)]
struct Epoch {
    v2: bool,
    /// 0x30 frames go out little-endian (`k900_le`, or v2).
    le: bool,
    binary_offered: bool,
    handshakes: u8,
    handshake_retry: Option<Instant>,
    chunks: chunk::Reassembler,
    fragments: v2::Reassembler,
    compactor: Compactor,
    expander: Expander,
}

impl Epoch {
    fn new() -> Self {
        Self {
            v2: false,
            le: false,
            binary_offered: false,
            handshakes: 0,
            handshake_retry: None,
            chunks: chunk::Reassembler::default(),
            fragments: v2::Reassembler::new(Order::AnyOrder),
            compactor: Compactor::default(),
            expander: Expander::default(),
        }
    }
}

#[derive(Debug, Clone)]
struct Tracked {
    request: u32,
    m_id: u64,
    json: Value,
    wake: bool,
    sends: u8,
}

/// One frame waiting to be written; `paced` frames follow the previous one by the pacing gap.
#[derive(Debug)]
struct Frame {
    bytes: Vec<u8>,
    paced: bool,
}

/// The Mentra Live session with one pair of glasses (sans-IO), used exactly like
/// [`Session`](crate::glasses::Session): feed [`LiveSession::handle_input`] and
/// [`LiveSession::handle_timeout`], send with [`LiveSession::send`], then drain
/// [`LiveSession::poll_output`] and re-arm from [`LiveSession::poll_timeout`].
#[derive(Debug)]
pub struct LiveSession {
    config: LiveConfig,
    controller_id: String,
    created: Instant,
    unix_base_ms: u64,
    phase: Phase,
    mtu: u16,
    epoch: Epoch,
    /// The glasses' build number, once `version_info` said it (≥ 5: mIds).
    build: Option<i64>,
    app_version: Option<String>,
    /// The glasses app's process id (2026 builds).
    sid: Option<String>,
    caps_seen: bool,
    names: CommandNames,
    info: Option<GlassesInfo>,
    /// Per process, never reset: the glasses remember mIds for 10 s.
    next_m_id: u64,
    next_request: u32,
    queue: VecDeque<Tracked>,
    in_flight: Option<(Tracked, Instant)>,
    /// Probe answers awaiting their `msg_ack` (not retried: the glasses probe again).
    probe_acks: VecDeque<u64>,
    /// Our `GetWifiStatus` requests, oldest first: a `wifi_status` answers the oldest.
    wifi_requests: VecDeque<u32>,
    /// Our `GetStreamStatus` requests awaiting their snapshot: request, next deadline, sends.
    /// A snapshot answers them (its `msg_ack` does not: the snapshot may still be lost).
    status_requests: VecDeque<(u32, Instant, u8)>,
    /// The glasses' recent mIds (their duplicate window is ours too).
    seen: VecDeque<(u64, Instant)>,
    /// The newest status revision of the current `sid`.
    revision: Option<i64>,
    /// The BES's charging bit (the truthful one), and when it was heard.
    bes_charging: Option<(bool, Instant)>,
    /// The glasses app's charging bit (`battery_status`), and when it was heard.
    app_charging: Option<(bool, Instant)>,
    pairing_warned: bool,
    /// The BES said the SoC is still booting (`ready:0`) on this link.
    soc_booting: bool,
    /// The last battery reading delivered, and when (repeats within a few seconds are not
    /// news: the BES and the glasses app report the same reading at connect).
    last_battery: Option<(crate::wire::proto::Battery, Instant)>,
    /// What the glasses said before the session was ready, for after.
    early: VecDeque<glasses_to_phone::Body>,
    heartbeat_at: Option<Instant>,
    heartbeats: u64,
    last_rx: Instant,
    liveness_reported: bool,
    wire: VecDeque<Frame>,
    last_write: Option<Instant>,
    stats: LiveStats,
    out: VecDeque<SessionOutput>,
}

/// The glasses' duplicate window for mIds.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(10);
/// Remembered glasses mIds at most.
const SEEN_LIMIT: usize = 64;
/// Messages held from before ready at most.
const EARLY_LIMIT: usize = 16;
/// The v2 handshake is re-sent after this, at most `HANDSHAKE_ATTEMPTS` times an epoch.
const HANDSHAKE_RETRY: Duration = Duration::from_secs(5);
const HANDSHAKE_ATTEMPTS: u8 = 3;
/// Every 10th heartbeat also asks the BES for the battery.
const BATTERY_EVERY: u64 = 10;
/// How long the BES's charging bit stays the truth (it is asked with every heartbeat).
const CHARGING_EVIDENCE: Duration = Duration::from_secs(45);
/// A `get_stream_status` not answered by a snapshot within this long is asked again.
const STATUS_ANSWER: Duration = Duration::from_secs(2);
/// A battery reading equal to the last one, this soon, is not delivered again.
const BATTERY_REPEAT: Duration = Duration::from_secs(5);
/// The BES2700's MTU limit.
const BES_MTU: u16 = 509;
/// Pairing is refused at or below this battery level while the SoC boots.
const PAIRING_BATTERY: u32 = 20;

impl LiveSession {
    /// A session with no link yet.
    pub fn new(config: LiveConfig, now: Instant) -> Self {
        let controller_id = config
            .controller_id
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| process_controller_id().to_owned());
        let unix_base_ms = config.unix_base_ms.unwrap_or_else(unix_ms_now);
        // Positive as an i64, as the firmware parses it.
        let next_m_id = config.first_message_id.unwrap_or(unix_base_ms) & (i64::MAX as u64);
        let names = config.names.unwrap_or(CommandNames::Modern);
        Self {
            config,
            controller_id,
            created: now,
            unix_base_ms,
            phase: Phase::Down,
            mtu: 23,
            epoch: Epoch::new(),
            build: None,
            app_version: None,
            sid: None,
            caps_seen: false,
            names,
            info: None,
            next_m_id,
            next_request: 1,
            queue: VecDeque::new(),
            in_flight: None,
            probe_acks: VecDeque::new(),
            wifi_requests: VecDeque::new(),
            status_requests: VecDeque::new(),
            seen: VecDeque::new(),
            revision: None,
            bes_charging: None,
            app_charging: None,
            pairing_warned: false,
            soc_booting: false,
            last_battery: None,
            early: VecDeque::new(),
            heartbeat_at: None,
            heartbeats: 0,
            last_rx: now,
            liveness_reported: false,
            wire: VecDeque::new(),
            last_write: None,
            stats: LiveStats::default(),
            out: VecDeque::new(),
        }
    }

    /// The glasses' identity, once ready.
    pub fn info(&self) -> Option<&GlassesInfo> {
        self.info.as_ref().filter(|_| self.is_ready())
    }

    /// True once commands may be sent.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Ready
    }

    /// Commands awaiting their `msg_ack`, queued ones included.
    pub fn pending(&self) -> usize {
        self.queue.len() + usize::from(self.in_flight.is_some()) + self.status_requests.len()
    }

    /// The controller id this session answers probes for.
    pub fn controller_id(&self) -> &str {
        &self.controller_id
    }

    /// True once BLE Wire v2 carries our messages.
    pub fn wire_v2(&self) -> bool {
        self.epoch.v2
    }

    /// The counters so far.
    pub fn stats(&self) -> LiveStats {
        self.stats
    }

    /// Feeds what happened on the link.
    pub fn handle_input(&mut self, now: Instant, input: SessionInput) {
        match input {
            SessionInput::LinkUp { mtu } => self.link_up(now, mtu),
            SessionInput::LinkDown => self.link_down(),
            SessionInput::Packet(p) => {
                if matches!(self.phase, Phase::Down | Phase::Off) {
                    trace!("packet while the link is down; ignored");
                    return;
                }
                self.last_rx = now;
                self.liveness_reported = false;
                self.packet(now, &p);
            }
        }
        self.flush(now);
    }

    /// Sends one of our commands as its Mentra Live JSON and returns its id. Its outcome
    /// arrives as `Acked` (the `msg_ack`; at once on glasses too old for mIds), `Failed`, or
    /// messages. A bitrate change is `Unsupported`: this firmware throttles itself.
    pub fn send(
        &mut self,
        now: Instant,
        body: phone_to_glasses::Body,
    ) -> Result<u32, SessionError> {
        if !self.is_ready() {
            return Err(SessionError::NotReady);
        }
        if self.pending() >= self.config.queue_limit {
            return Err(SessionError::Busy);
        }
        let out = messages::command(&body, self.names, &self.controller_id)?;
        let request = self.next_request;
        self.next_request = self.next_request.checked_add(1).unwrap_or(1);
        if matches!(body, phone_to_glasses::Body::GetWifiStatus(_)) {
            if self.wifi_requests.len() >= self.config.queue_limit {
                self.wifi_requests.pop_front();
            }
            self.wifi_requests.push_back(request);
        }
        if matches!(body, phone_to_glasses::Body::GetStreamStatus(_)) {
            // Answered by the snapshot, asked again until it comes.
            self.ask_status(now, out.json.clone());
            self.status_requests
                .push_back((request, now + STATUS_ANSWER, 1));
        } else if out.bes {
            self.bes(out.json, out.wake);
            self.report(SessionEvent::Acked { request });
        } else if out.tracked && self.mids() {
            let m_id = self.take_m_id();
            self.queue.push_back(Tracked {
                request,
                m_id,
                json: out.json,
                wake: out.wake,
                sends: 0,
            });
            self.pump(now);
        } else {
            // Nothing will confirm it: written is as far as it gets.
            self.message(now, out.json, out.wake, None, false);
            self.report(SessionEvent::Acked { request });
        }
        self.flush(now);
        Ok(request)
    }

    /// Fires expired timers. Does nothing if nothing has expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Readying { next_tick } if now >= next_tick => self.readiness_tick(now),
            Phase::Versioning { until } if now >= until => {
                debug!("no version_info; the glasses are ready without mIds");
                self.become_ready(now);
            }
            _ => {}
        }
        if let Some((t, deadline)) = self.in_flight.take() {
            if now < deadline {
                self.in_flight = Some((t, deadline));
            } else if t.sends < self.config.max_sends {
                debug!(m_id = t.m_id, sends = t.sends, "no msg_ack; sending again");
                self.stats.retransmissions += 1;
                self.queue.push_front(t);
            } else {
                self.report(SessionEvent::Failed {
                    request: t.request,
                    reason: CommandFailure::NoAnswer { attempts: t.sends },
                });
            }
            self.pump(now);
        }
        self.status_timeouts(now);
        if self.is_ready() && self.heartbeat_at.is_some_and(|at| now >= at) {
            self.heartbeat(now);
        }
        if let Some(at) = self.epoch.handshake_retry {
            if now >= at {
                self.epoch.handshake_retry = None;
                self.maybe_handshake(now);
            }
        }
        let up = !matches!(self.phase, Phase::Down | Phase::Off);
        if up && !self.liveness_reported && now >= self.last_rx + self.config.liveness_timeout {
            self.liveness_reported = true;
            warn!("glasses silent for {:?}", self.config.liveness_timeout);
            self.report(SessionEvent::LivenessLost);
        }
        self.flush(now);
    }

    /// The next thing to do, if any.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<SessionOutput> {
        self.out.pop_front()
    }

    /// The earliest deadline, or `None` when no timer is armed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let up = !matches!(self.phase, Phase::Down | Phase::Off);
        let phase = match self.phase {
            Phase::Readying { next_tick } => Some(next_tick),
            Phase::Versioning { until } => Some(until),
            _ => None,
        };
        let pacing = match (self.wire.front(), self.last_write) {
            (Some(f), Some(last)) if f.paced => Some(last + self.config.pacing),
            _ => None,
        };
        [
            phase,
            self.in_flight.as_ref().map(|(_, d)| *d),
            self.heartbeat_at.filter(|_| self.is_ready()),
            self.status_requests.iter().map(|(_, d, _)| *d).min(),
            self.epoch.handshake_retry,
            (up && !self.liveness_reported).then(|| self.last_rx + self.config.liveness_timeout),
            pacing,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // --- link ---

    fn link_up(&mut self, now: Instant, mtu: u16) {
        if self.phase != Phase::Down {
            self.link_down();
        }
        self.mtu = mtu.max(23);
        self.epoch = Epoch::new();
        self.build = None;
        self.app_version = None;
        self.sid = None;
        self.caps_seen = false;
        self.revision = None;
        self.bes_charging = None;
        self.app_charging = None;
        self.pairing_warned = false;
        self.soc_booting = false;
        self.last_battery = None;
        self.seen.clear();
        self.last_rx = now;
        self.liveness_reported = false;
        self.phase = Phase::Readying { next_tick: now };
        self.readiness_tick(now);
    }

    fn link_down(&mut self) {
        let was_up = self.phase != Phase::Down;
        let was_ready = self.is_ready();
        self.phase = Phase::Down;
        self.epoch = Epoch::new();
        self.wire.clear();
        self.early.clear();
        self.probe_acks.clear();
        self.wifi_requests.clear();
        self.heartbeat_at = None;
        self.info = None;
        let failed = self.take_waiting();
        if was_ready {
            for request in failed {
                self.report(SessionEvent::Failed {
                    request,
                    reason: CommandFailure::LinkDown,
                });
            }
        }
        if was_up {
            self.report(SessionEvent::Down);
        }
    }

    fn readiness_tick(&mut self, now: Instant) {
        // Both, as a robust phone does: the BES answers `cs_hrt`, the glasses app `phone_ready`.
        self.bes(json!({ "C": "cs_hrt", "B": "" }), false);
        self.phone_ready(now);
        self.phase = Phase::Readying {
            next_tick: now + self.config.readiness_interval,
        };
    }

    fn phone_ready(&mut self, now: Instant) {
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
    fn glasses_ready(&mut self, now: Instant, sid: Option<String>, caps: Option<Value>) {
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

    fn sid_changed(&self, sid: Option<&str>) -> bool {
        matches!((self.sid.as_deref(), sid), (Some(old), Some(new)) if old != new)
            && matches!(self.phase, Phase::Ready | Phase::Versioning { .. })
    }

    /// The glasses app restarted under the link: everything it knew is gone. The bridge hears
    /// the glasses leave and come back, so it asks what runs.
    fn app_restarted(&mut self, now: Instant) {
        warn!("the glasses app restarted (new sid); renegotiating");
        let was_ready = self.is_ready();
        let failed = self.take_waiting();
        if was_ready {
            for request in failed {
                self.report(SessionEvent::Failed {
                    request,
                    reason: CommandFailure::LinkDown,
                });
            }
        }
        self.report(SessionEvent::Down);
        self.info = None;
        self.build = None;
        self.revision = None;
        self.heartbeat_at = None;
        self.phase = Phase::Readying { next_tick: now };
    }

    /// Every command still waiting for its answer, taken (oldest first).
    fn take_waiting(&mut self) -> Vec<u32> {
        let mut waiting: Vec<u32> = self
            .in_flight
            .take()
            .map(|(t, _)| t.request)
            .into_iter()
            .collect();
        waiting.extend(self.queue.drain(..).map(|t| t.request));
        waiting.extend(self.status_requests.drain(..).map(|(r, _, _)| r));
        waiting
    }

    fn read_caps(&mut self, caps: Option<&Value>) {
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

    fn version(&mut self, now: Instant, v: VersionInfo) {
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

    fn become_ready(&mut self, now: Instant) {
        self.names = self
            .config
            .names
            .unwrap_or(if self.sid.is_some() || self.caps_seen {
                CommandNames::Modern
            } else {
                CommandNames::Legacy
            });
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

    fn ask_status(&mut self, now: Instant, json: Value) {
        let m_id = self.mids().then(|| self.take_m_id());
        self.message(now, json, false, m_id, false);
    }

    fn status_timeouts(&mut self, now: Instant) {
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
                    self.ask_status(now, out.json);
                }
                self.status_requests
                    .push_back((request, now + STATUS_ANSWER, sends + 1));
            } else {
                self.report(SessionEvent::Failed {
                    request,
                    reason: CommandFailure::NoAnswer { attempts: sends },
                });
            }
        }
    }

    fn heartbeat(&mut self, now: Instant) {
        let ts = self.unix_ms(now);
        self.message(now, json!({ "type": "ping" }), false, None, false);
        self.message(
            now,
            json!({ "type": "service_heartbeat", "timestamp": ts, "heartbeat_counter": self.heartbeats }),
            false,
            None,
            false,
        );
        if self.build.is_none() {
            // `version_info` was lost (or never came): ask again.
            self.message(now, json!({ "type": "request_version" }), true, None, false);
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

    fn maybe_handshake(&mut self, now: Instant) {
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

    fn activate_v2(&mut self, now: Instant) {
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

    // --- sending ---

    /// mIds once the build is known to be ≥ 5 — or, before `version_info` arrives (it may be
    /// lost), when the glasses declare a process id: only 2026 builds do.
    fn mids(&self) -> bool {
        match self.build {
            Some(b) => b >= 5,
            None => self.sid.is_some(),
        }
    }

    fn take_m_id(&mut self) -> u64 {
        let id = self.next_m_id;
        self.next_m_id = (self.next_m_id + 1) & (i64::MAX as u64);
        id
    }

    /// Stop-and-wait: the next tracked message goes out when none awaits its `msg_ack`.
    fn pump(&mut self, now: Instant) {
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
    fn message(
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
            let msg_id = m_id.map_or(0, |m| (m & 0xffff) as u16);
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
            let session = format!("{}_{}", m_id.unwrap_or(0), self.unix_ms(now));
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

    fn string_order(&self) -> LengthOrder {
        if self.epoch.le {
            LengthOrder::Little
        } else {
            LengthOrder::Big
        }
    }

    /// A BES-native command: one 0x30 frame, never an mId, never wrapped.
    fn bes(&mut self, mut json: Value, wake: bool) {
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
    fn flush(&mut self, now: Instant) {
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

    fn report(&mut self, event: SessionEvent) {
        self.out.push_back(SessionOutput::Event(event));
    }

    fn unix_ms(&self, now: Instant) -> u64 {
        let since = now.saturating_duration_since(self.created).as_millis();
        self.unix_base_ms + u64::try_from(since).unwrap_or(u64::MAX / 2)
    }

    // --- receiving ---

    fn packet(&mut self, now: Instant, bytes: &[u8]) {
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

    fn string(&mut self, now: Instant, payload: &[u8]) {
        let Ok(outer) = serde_json::from_slice::<Value>(payload) else {
            self.stats.unreadable += 1;
            debug!(len = payload.len(), "glasses frame is not JSON");
            return;
        };
        self.unwrapped(now, outer, 0);
    }

    /// A JSON object off the wire: C-wrapped, BES-native, a chunk, or a message.
    fn unwrapped(&mut self, now: Instant, outer: Value, depth: u8) {
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

    fn object(&mut self, now: Instant, v: Value, depth: u8) {
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

    fn ack(&mut self, now: Instant, m_id: u64) {
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

    fn seen_before(&mut self, now: Instant, m_id: u64) -> bool {
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

    fn binary(&mut self, now: Instant, inner: &[u8]) {
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

    fn inbound(&mut self, now: Instant, inbound: Inbound) {
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
                let charging = self.charging(now).unwrap_or(b.charging);
                let b = messages::battery(b.level_percent, charging, None);
                self.battery(now, b);
            }
            Inbound::Model(body @ glasses_to_phone::Body::WifiStatus(_)) => {
                let reply_to = self.wifi_requests.pop_front().unwrap_or(0);
                self.deliver(reply_to, body);
            }
            Inbound::Model(body) => self.deliver(0, body),
            Inbound::Status {
                status,
                sid,
                revision,
                snapshot,
            } => {
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
                    // Every question asked is answered by it.
                    let mut asked = self.status_requests.drain(..).map(|(r, _, _)| r);
                    let first = asked.next().unwrap_or(0);
                    let rest: Vec<u32> = asked.collect();
                    for request in rest {
                        self.report(SessionEvent::Acked { request });
                    }
                    first
                } else {
                    0
                };
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

    fn acked(&mut self, now: Instant, m_id: u64) {
        if self.in_flight.as_ref().is_some_and(|(t, _)| t.m_id == m_id) {
            if let Some((t, _)) = self.in_flight.take() {
                self.report(SessionEvent::Acked { request: t.request });
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
    fn probe(&mut self, now: Instant, p: Probe) {
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

    /// Whether the glasses charge: the newer of the two sources (the BES's bit on a tie, it
    /// is the truthful one), while fresh. An unplug shows in whichever speaks first, and the
    /// app's voltage guess errs towards "not charging" at low battery, the safe side.
    fn charging(&self, now: Instant) -> Option<bool> {
        let fresh = |e: Option<(bool, Instant)>| {
            e.filter(|(_, at)| now.saturating_duration_since(*at) < CHARGING_EVIDENCE)
        };
        match (fresh(self.bes_charging), fresh(self.app_charging)) {
            (Some((b, bt)), Some((a, at))) => Some(if at > bt { a } else { b }),
            (b, a) => b.or(a).map(|(c, _)| c),
        }
    }

    fn battery(&mut self, now: Instant, b: crate::wire::proto::Battery) {
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

    fn deliver(&mut self, reply_to: u32, body: glasses_to_phone::Body) {
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

struct VersionInfo {
    build: Option<i64>,
    app_version: Option<String>,
    sid: Option<String>,
    wire_caps: Option<Value>,
}
