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

#[derive(Clone)]
struct Tracked {
    request: u32,
    m_id: u64,
    json: Value,
    wake: bool,
    sends: u8,
}

impl std::fmt::Debug for Tracked {
    // The JSON may carry stream keys, tokens and Wi-Fi passwords: its type only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked")
            .field("request", &self.request)
            .field("m_id", &self.m_id)
            .field("type", &self.json.get("type"))
            .field("sends", &self.sends)
            .finish()
    }
}

/// The 2025 fallback of a start (see `LiveSession::legacy_check`).
struct LegacyCheck {
    request: u32,
    json: Value,
    deadline: Option<Instant>,
}

impl std::fmt::Debug for LegacyCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyCheck")
            .field("request", &self.request)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// One frame waiting to be written; `paced` frames follow the previous one by the pacing gap.
struct Frame {
    bytes: Vec<u8>,
    paced: bool,
}

impl std::fmt::Debug for Frame {
    // The bytes are the JSON: their length only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({} bytes)", self.bytes.len())
    }
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
    /// The names are known (set, or shown by a `sid`, `wire_caps` or a status's naming).
    names_settled: bool,
    /// A start sent in the modern names to glasses that may not know them: the 2025 form to
    /// send instead if no status shows up by the deadline (armed by its `msg_ack`).
    legacy_check: Option<LegacyCheck>,
    /// `request_version` asks on this link (bounded: each one wakes the SoC).
    version_asks: u8,
    /// When the BES was last asked for `sr_hrt` because the app's charging bit disagreed.
    charging_asked: Option<Instant>,
    /// The last chunk session's millisecond stamp (kept strictly increasing, so two chunked
    /// messages never share a session id).
    chunk_ms: u64,
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
    /// What the glasses' camera runs, as far as their statuses have said.
    camera: Camera,
    /// Stops for a named stream, held until the camera's stream is known.
    held_stops: Vec<(u32, String)>,
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
/// A start in the modern names that no status follows within this long (after its
/// `msg_ack`) goes again in the 2025 names.
const LEGACY_WAIT: Duration = Duration::from_secs(3);
/// `request_version` is asked at most this often on one link.
const VERSION_ASKS: u8 = 3;
/// The BES is asked again about charging at most this often.
const CHARGING_ASK: Duration = Duration::from_secs(5);
/// Frames waiting to be written at most (a flood of probes cannot grow it further).
const WIRE_LIMIT: usize = 512;
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
            names_settled: false,
            legacy_check: None,
            version_asks: 0,
            charging_asked: None,
            chunk_ms: 0,
            info: None,
            next_m_id,
            next_request: 1,
            queue: VecDeque::new(),
            in_flight: None,
            probe_acks: VecDeque::new(),
            wifi_requests: VecDeque::new(),
            status_requests: VecDeque::new(),
            camera: Camera::Unknown,
            held_stops: Vec::new(),
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
        self.queue.len()
            + usize::from(self.in_flight.is_some())
            + self
                .status_requests
                .iter()
                .filter(|(r, _, _)| *r != 0)
                .count()
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
            SessionInput::MtuChanged { mtu } => self.mtu = mtu.max(23),
            SessionInput::Packet(p) => {
                if matches!(self.phase, Phase::Down | Phase::Off) {
                    trace!("packet while the link is down; ignored");
                    return;
                }
                self.last_rx = now;
                self.liveness_reported = false;
                self.packet(now, &p);
                // Awake anyway: a heartbeat due soon goes now, not on a wakeup of its own. The
                // window is at most half the interval, so answers to a heartbeat never bring
                // on the next.
                let early = self
                    .config
                    .heartbeat_early
                    .min(self.config.heartbeat_interval / 2);
                if self.heartbeat_due(now, early) {
                    self.heartbeat(now);
                }
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
        if matches!(body, phone_to_glasses::Body::StartStream(_)) && !self.names_settled {
            // Glasses that did not say who they are may predate `start_stream`: keep the
            // 2025 form at hand in case they ignore this one.
            if let Ok(old) = messages::command(&body, CommandNames::Legacy, &self.controller_id) {
                let deadline = (!self.mids()).then(|| now + LEGACY_WAIT);
                self.legacy_check = Some(LegacyCheck {
                    request,
                    json: old.json,
                    deadline,
                });
            }
        }
        if matches!(body, phone_to_glasses::Body::GetWifiStatus(_)) {
            if self.wifi_requests.len() >= self.config.queue_limit {
                self.wifi_requests.pop_front();
            }
            self.wifi_requests.push_back(request);
        }
        if let phone_to_glasses::Body::StopStream(stop) = &body {
            // A stop is news the 2025 fallback of a start must not overtake.
            self.legacy_check = None;
            // `stop_stream` stops whatever runs: a stop for another stream must not.
            if self.guard_stop(now, request, &stop.stream_id) {
                self.flush(now);
                return Ok(request);
            }
        }
        self.dispatch(now, request, &body, out);
        self.flush(now);
        Ok(request)
    }

    /// Puts one translated command on its way.
    fn dispatch(
        &mut self,
        now: Instant,
        request: u32,
        body: &phone_to_glasses::Body,
        out: messages::Outbound,
    ) {
        if let phone_to_glasses::Body::StartStream(s) = body {
            self.camera_starts(&s.stream_id);
        }
        if matches!(body, phone_to_glasses::Body::GetStreamStatus(_)) {
            // Answered by the snapshot, asked again until it comes.
            self.ask_status(now, out.json.clone(), out.wake);
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
                self.wifi_requests.retain(|r| *r != t.request);
                let keep_alive = matches!(
                    t.json.get("type").and_then(Value::as_str),
                    Some("keep_stream_alive" | "keep_rtmp_stream_alive")
                );
                let talking = now.saturating_duration_since(self.last_rx)
                    < self.config.ack_timeout * u32::from(self.config.max_sends);
                let reason = if keep_alive && talking {
                    // The glasses talk but never took it: with the camera off their SoC
                    // sleeps and the BES holds what wakes nothing. They run no stream — as
                    // our firmware says with INVALID_ARGUMENT; the bridge asks what runs.
                    CommandFailure::Rejected {
                        code: Some(crate::wire::proto::ErrorCode::InvalidArgument),
                        detail: "the glasses did not take the keep-alive: no stream runs".into(),
                    }
                } else {
                    CommandFailure::NoAnswer { attempts: t.sends }
                };
                if t.request != 0 {
                    self.report(SessionEvent::Failed {
                        request: t.request,
                        reason,
                    });
                }
            }
            self.pump(now);
        }
        self.status_timeouts(now);
        self.legacy_timeout(now);
        if self.heartbeat_due(now, Duration::ZERO) {
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

    /// Ready, and the heartbeat is due within `early` of `now`.
    fn heartbeat_due(&self, now: Instant, early: Duration) -> bool {
        self.is_ready()
            && self
                .heartbeat_at
                .is_some_and(|at| at.checked_sub(early).is_none_or(|open| now >= open))
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
            self.legacy_check.as_ref().and_then(|c| c.deadline),
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
        self.names_settled = false;
        self.legacy_check = None;
        self.camera = Camera::Unknown;
        self.version_asks = 0;
        self.charging_asked = None;
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
        // After `sr_shut` the session already reported its end.
        let was_up = !matches!(self.phase, Phase::Down | Phase::Off);
        let was_ready = self.is_ready();
        self.phase = Phase::Down;
        self.epoch = Epoch::new();
        self.wire.clear();
        self.early.clear();
        self.probe_acks.clear();
        self.wifi_requests.clear();
        self.heartbeat_at = None;
        self.info = None;
        self.fail_waiting(was_ready);
        if was_up {
            self.report(SessionEvent::Down);
        }
    }
}

struct VersionInfo {
    build: Option<i64>,
    app_version: Option<String>,
    sid: Option<String>,
    wire_caps: Option<Value>,
}

mod camera;
mod inbound;
mod outbound;
mod readiness;

use camera::Camera;
