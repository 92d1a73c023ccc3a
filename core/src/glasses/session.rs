//! The glasses session machine (sans-IO): framing, the hello/capabilities exchange, request
//! ids, acks, retries with the same id, and liveness. It owns no link and no timer.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use tracing::{debug, trace, warn};

use super::error::{CommandFailure, SessionConfigError, SessionError};
use super::info::GlassesInfo;
use crate::wire::proto::{
    ErrorCode, GlassesToPhone, Hello, PhoneToGlasses, Ping, glasses_to_phone, phone_to_glasses,
};
use crate::wire::{
    DecodeError, DropReason, Framer, PROTOCOL_VERSION, Reassembled, Reassembler, decode_glasses,
    encode, limits,
};
pub use config::SessionConfig;

/// Everything that can happen to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionInput {
    /// The link connected with this ATT MTU.
    LinkUp {
        /// ATT MTU.
        mtu: u16,
    },
    /// The link dropped.
    LinkDown,
    /// A packet arrived from the glasses.
    Packet(Vec<u8>),
    /// The ATT MTU changed on the live connection (Android `requestMtu`, an iOS
    /// reconnection-free renegotiation): later packets use it; the session goes on.
    MtuChanged {
        /// The new ATT MTU.
        mtu: u16,
    },
}

/// A message from the glasses, delivered once the session is ready.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The glasses' message id.
    pub message_id: u32,
    /// The command it answers, or 0.
    pub reply_to: u32,
    /// What it says.
    pub body: glasses_to_phone::Body,
}

/// What the session reports to the bridge.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// The hello exchange finished; commands may be sent.
    Ready(GlassesInfo),
    /// The link went down; every pending command has failed with `LinkDown`.
    Down,
    /// A message from the glasses.
    Message(Incoming),
    /// The glasses acknowledged this command.
    Acked {
        /// Its message id.
        request: u32,
    },
    /// The command will not succeed.
    Failed {
        /// Its message id.
        request: u32,
        /// Why.
        reason: CommandFailure,
    },
    /// Nothing came from the glasses for the liveness timeout. Reported once per silence.
    LivenessLost,
    /// The glasses answered the hello with an error (busy, or refusing this phone); the hello
    /// is sent again after `retry_in`.
    HelloRefused {
        /// What the glasses said (redacted).
        detail: String,
        /// When the next hello goes out.
        retry_in: Duration,
    },
    /// The glasses speak a protocol version we do not.
    Incompatible {
        /// The version they declared.
        protocol_version: u32,
    },
    /// Packets were dropped by the reassembler (for logs and counters).
    Dropped(DropReason),
    /// A whole message did not decode (for logs and counters).
    Malformed(DecodeError),
    /// Mentra Live: the glasses' SoC is still booting on a battery too low to pair; charge
    /// them (`errors:pairingBatteryTooLow` in the upstream app).
    PairingBatteryLow {
        /// Their battery, percent.
        percent: u32,
    },
    /// Mentra Live: the glasses said they are powering off (`sr_shut`). A `Down` follows;
    /// nothing more is heard until the link comes up anew.
    PoweringOff,
}

/// What the session wants done.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum SessionOutput {
    /// Send this packet on the link, in order.
    ToGlasses(Vec<u8>),
    /// Tell the bridge.
    Event(SessionEvent),
}

/// The session's deadlines, for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// A command awaits its answer; resend (same id) or fail it.
    AckRetry,
    /// The link has been quiet for the ping interval: send a `Ping`.
    Ping,
    /// The link has been quiet for the liveness timeout: declare the glasses gone.
    Liveness,
    /// A half-received message must complete.
    PartialMessage,
    /// The glasses refused the hello: say it again.
    HelloRetry,
}

#[derive(Debug)]
struct Pending {
    encoded: Vec<u8>,
    attempts: u8,
    deadline: Instant,
    /// When it was first sent (a reply to a command sent once times the round trip).
    sent: Instant,
}

/// How the link to the glasses is doing, as the session measures it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Smoothed round-trip time (7/8 old, 1/8 new) from replies to commands sent once and
    /// from pongs; `None` before the first.
    pub rtt: Option<std::time::Duration>,
    /// Commands sent again for want of a reply.
    pub retransmissions: u64,
    /// Partial messages the reassembler dropped (loss, duplicates, reordering, timeouts).
    pub reassembly_drops: u64,
}

#[derive(Debug)]
enum State {
    /// No link.
    ExpectLink,
    /// Hello sent with this id; waiting for `Capabilities`.
    ExpectCapabilities { hello_id: u32, mtu: u16 },
    /// The glasses refused (or did not answer) the hello; it goes out again at `retry_at`,
    /// unless the link comes up anew first.
    HelloPaused { mtu: u16, retry_at: Instant },
    /// Hello done.
    Ready(GlassesInfo),
}

/// The protocol session with one pair of glasses (sans-IO).
///
/// Methods come in four kinds: getters (`&self`); [`Session::handle_input`] and
/// [`Session::handle_timeout`] for what happens to it; [`Session::send`] for commands; and
/// [`Session::poll_output`] / [`Session::poll_timeout`] for what it wants done. After every
/// `handle_*` or `send`, drain `poll_output` until `None`, then re-arm the timer from
/// `poll_timeout`. Instants must never go backwards.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    framer: Option<Framer>,
    reassembler: Reassembler,
    next_id: u32,
    pending: BTreeMap<u32, Pending>,
    /// Commands recently resolved, so a second reply (to a retry) is recognised.
    resolved: VecDeque<u32>,
    last_rx: Instant,
    last_ping: Option<Instant>,
    /// The last ping, to time its pong.
    ping_out: Option<(u32, Instant)>,
    /// Round trips and retransmissions so far (this session object's life).
    stats: LinkStats,
    liveness_reported: bool,
    /// Hellos refused in a row on this link (the retry delay doubles with each).
    hello_refusals: u32,
    out: VecDeque<SessionOutput>,
}

impl Session {
    /// A session with no link yet.
    pub fn new(config: SessionConfig, now: Instant) -> Result<Self, SessionConfigError> {
        config.validate()?;
        let reassembler = Reassembler::new(config.max_message_size, config.partial_timeout);
        Ok(Self {
            config,
            state: State::ExpectLink,
            framer: None,
            reassembler,
            next_id: 1,
            pending: BTreeMap::new(),
            resolved: VecDeque::with_capacity(RESOLVED_MEMORY),
            last_rx: now,
            last_ping: None,
            ping_out: None,
            stats: LinkStats::default(),
            liveness_reported: false,
            hello_refusals: 0,
            out: VecDeque::new(),
        })
    }

    /// The glasses' declarations, once ready.
    pub fn info(&self) -> Option<&GlassesInfo> {
        match &self.state {
            State::Ready(info) => Some(info),
            _ => None,
        }
    }

    /// True once the hello exchange is done.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready(_))
    }

    /// Commands awaiting an answer.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// How the link is doing: round-trip time, retransmissions, reassembly drops.
    pub fn link_stats(&self) -> LinkStats {
        LinkStats {
            reassembly_drops: self.reassembler.stats().drops,
            ..self.stats
        }
    }

    fn rtt_sample(&mut self, sample: std::time::Duration) {
        self.stats.rtt = Some(match self.stats.rtt {
            None => sample,
            Some(srtt) => (srtt * 7 + sample) / 8,
        });
    }

    /// Feeds what happened on the link.
    pub fn handle_input(&mut self, now: Instant, input: SessionInput) {
        match input {
            SessionInput::LinkUp { mtu } => self.link_up(now, mtu),
            SessionInput::LinkDown => self.link_down(),
            SessionInput::MtuChanged { mtu } => {
                if let Some(framer) = self.framer.as_mut() {
                    if let Err(e) = framer.set_mtu(mtu.max(crate::wire::MIN_MTU)) {
                        warn!("cannot frame for the new MTU: {e}");
                    }
                }
            }
            SessionInput::Packet(packet) => {
                if self.framer.is_none() {
                    trace!("packet while link is down; ignored");
                    return;
                }
                self.reassembler.handle_packet(now, &packet);
                self.drain_reassembler(now);
            }
        }
    }

    /// Sends a command to the glasses and returns its message id. Its outcome arrives as
    /// `Acked`, `Failed`, or a `Message` whose `reply_to` is this id.
    pub fn send(
        &mut self,
        now: Instant,
        body: phone_to_glasses::Body,
    ) -> Result<u32, SessionError> {
        let State::Ready(info) = &self.state else {
            return Err(SessionError::NotReady);
        };
        if self.pending.len() >= self.config.max_pending {
            return Err(SessionError::Busy);
        }
        let max = info.max_message_size;
        let mut envelope = PhoneToGlasses {
            message_id: 0,
            reply_to: 0,
            body: Some(body),
        };
        if let Some((field, len, max)) = limits::first_overlong(&envelope) {
            return Err(SessionError::FieldTooLong { field, len, max });
        }
        envelope.message_id = self.take_id();
        let id = envelope.message_id;
        let encoded = encode(&envelope);
        if encoded.len() > max {
            return Err(SessionError::TooLarge {
                len: encoded.len(),
                max,
            });
        }
        self.transmit_tracked(now, id, encoded);
        Ok(id)
    }

    /// Fires expired timers. Does nothing if nothing has expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.reassembler.handle_timeout(now);
        self.drain_reassembler(now);
        if let State::HelloPaused { mtu, retry_at } = self.state {
            if now >= retry_at {
                self.send_hello(now, mtu);
            }
        }

        let due: Vec<u32> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            let Some(mut p) = self.pending.remove(&id) else {
                continue;
            };
            if p.attempts < self.config.max_attempts {
                debug!(
                    request = id,
                    attempt = p.attempts + 1,
                    "no answer; sending again"
                );
                self.transmit(&p.encoded);
                p.attempts += 1;
                self.stats.retransmissions += 1;
                p.deadline = now + self.config.ack_timeout;
                self.pending.insert(id, p);
            } else if let State::ExpectCapabilities { hello_id, mtu } = self.state {
                if hello_id == id {
                    // The bridge recycles the link on this; a new link says hello itself. A
                    // hello sent now would leave on the new connection with the old framing
                    // and its answer would match no hello. Links that cannot recycle get the
                    // hello again after a pause.
                    warn!("glasses did not answer hello; asking for a new link");
                    self.report(SessionEvent::LivenessLost);
                    self.state = State::HelloPaused {
                        mtu,
                        retry_at: now + HELLO_PAUSE,
                    };
                }
            } else {
                self.report(SessionEvent::Failed {
                    request: id,
                    reason: CommandFailure::NoAnswer {
                        attempts: p.attempts,
                    },
                });
            }
        }

        if self.is_ready() {
            if now >= self.last_rx + self.config.liveness_timeout {
                if !self.liveness_reported {
                    self.liveness_reported = true;
                    warn!("glasses silent for {:?}", self.config.liveness_timeout);
                    self.report(SessionEvent::LivenessLost);
                }
            } else if now >= self.ping_deadline() {
                self.last_ping = Some(now);
                let id = self.take_id();
                self.ping_out = Some((id, now));
                let encoded = encode(&PhoneToGlasses {
                    message_id: id,
                    reply_to: 0,
                    body: Some(phone_to_glasses::Body::Ping(Ping {})),
                });
                self.transmit(&encoded);
            }
        }
    }

    /// The next thing to do, if any.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<SessionOutput> {
        self.out.pop_front()
    }

    /// The earliest deadline, or `None` when no timer is armed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer().map(|(_, at)| at)
    }

    /// Which deadline comes next, and when.
    pub fn next_timer(&self) -> Option<(Timer, Instant)> {
        let alive = self.is_ready() && !self.liveness_reported;
        crate::deadline::earliest([
            (Timer::PartialMessage, self.reassembler.poll_timeout()),
            (
                Timer::AckRetry,
                self.pending.values().map(|p| p.deadline).min(),
            ),
            (Timer::Ping, alive.then(|| self.ping_deadline())),
            (
                Timer::Liveness,
                alive.then(|| self.last_rx + self.config.liveness_timeout),
            ),
            (
                Timer::HelloRetry,
                match self.state {
                    State::HelloPaused { retry_at, .. } => Some(retry_at),
                    _ => None,
                },
            ),
        ])
    }

    fn ping_deadline(&self) -> Instant {
        let quiet_since = match self.last_ping {
            Some(p) if p > self.last_rx => p,
            _ => self.last_rx,
        };
        quiet_since + self.config.ping_interval
    }

    fn link_up(&mut self, now: Instant, mtu: u16) {
        if !matches!(self.state, State::ExpectLink) {
            // A link that reports Up twice has reconnected underneath us.
            self.link_down();
        }
        let mtu = mtu.max(crate::wire::MIN_MTU);
        match Framer::new(mtu, self.config.max_message_size) {
            Ok(f) => self.framer = Some(f),
            Err(e) => {
                // invariant: mtu was raised to the minimum and max_message was validated.
                warn!("cannot frame for this link: {e}");
                return;
            }
        }
        self.reassembler.reset();
        self.resolved.clear();
        self.ping_out = None;
        self.next_id = 1;
        self.last_rx = now;
        self.last_ping = None;
        self.liveness_reported = false;
        self.hello_refusals = 0;
        self.send_hello(now, mtu);
    }

    fn send_hello(&mut self, now: Instant, mtu: u16) {
        let id = self.take_id();
        let encoded = encode(&PhoneToGlasses {
            message_id: id,
            reply_to: 0,
            body: Some(phone_to_glasses::Body::Hello(Hello {
                protocol_version: PROTOCOL_VERSION,
                bridge_version: self.config.bridge_version.clone(),
                max_message_size: u32::try_from(self.config.max_message_size).unwrap_or(u32::MAX),
            })),
        });
        self.transmit_tracked(now, id, encoded);
        self.state = State::ExpectCapabilities { hello_id: id, mtu };
    }

    /// Sends a command that awaits an answer and arms its retry.
    fn transmit_tracked(&mut self, now: Instant, id: u32, encoded: Vec<u8>) {
        self.transmit(&encoded);
        self.pending.insert(
            id,
            Pending {
                encoded,
                attempts: 1,
                deadline: now + self.config.ack_timeout,
                sent: now,
            },
        );
    }

    fn link_down(&mut self) {
        let was_up = !matches!(self.state, State::ExpectLink);
        let was_ready = self.is_ready();
        self.state = State::ExpectLink;
        self.framer = None;
        self.reassembler.reset();
        let pending = std::mem::take(&mut self.pending);
        if was_ready {
            for id in pending.into_keys() {
                self.report(SessionEvent::Failed {
                    request: id,
                    reason: CommandFailure::LinkDown,
                });
            }
        }
        if was_up {
            self.report(SessionEvent::Down);
        }
    }

    fn take_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        id
    }

    fn transmit(&mut self, encoded: &[u8]) {
        let Some(framer) = self.framer.as_mut() else {
            return;
        };
        match framer.split(encoded) {
            Ok(packets) => {
                for p in packets {
                    self.out.push_back(SessionOutput::ToGlasses(p));
                }
            }
            Err(e) => warn!("cannot frame message: {e}"),
        }
    }

    fn report(&mut self, event: SessionEvent) {
        self.out.push_back(SessionOutput::Event(event));
    }

    fn drain_reassembler(&mut self, now: Instant) {
        while let Some(r) = self.reassembler.poll_output() {
            match r {
                Reassembled::Message(bytes) => match decode_glasses(&bytes) {
                    Ok(envelope) => self.handle_envelope(now, envelope),
                    Err(e) => {
                        self.last_rx = now;
                        debug!("undecodable glasses message: {e}");
                        self.report(SessionEvent::Malformed(e));
                    }
                },
                Reassembled::Dropped(reason) => {
                    debug!("dropped glasses packets: {reason}");
                    self.report(SessionEvent::Dropped(reason));
                }
            }
        }
    }

    fn handle_envelope(&mut self, now: Instant, envelope: GlassesToPhone) {
        self.last_rx = now;
        self.liveness_reported = false;
        let GlassesToPhone {
            message_id,
            reply_to,
            body,
        } = envelope;
        let Some(body) = body else { return };
        let pending = if reply_to == 0 {
            None
        } else {
            self.pending.remove(&reply_to)
        };
        // Karn: only a command sent once times the round trip; a pong always does.
        if let Some(p) = pending.as_ref().filter(|p| p.attempts == 1) {
            self.rtt_sample(now.saturating_duration_since(p.sent));
        } else if let Some((_, sent)) = self.ping_out.filter(|(id, _)| *id == reply_to) {
            self.ping_out = None;
            self.rtt_sample(now.saturating_duration_since(sent));
        }
        let answered = pending.is_some();
        let repeat = reply_to != 0 && !answered && self.resolved.contains(&reply_to);
        if answered {
            if self.resolved.len() == RESOLVED_MEMORY {
                self.resolved.pop_front();
            }
            self.resolved.push_back(reply_to);
        }

        if matches!(self.state, State::HelloPaused { .. }) {
            return;
        }
        if let State::ExpectCapabilities { hello_id, mtu } = self.state {
            match body {
                glasses_to_phone::Body::Error(err) if reply_to == hello_id => {
                    // Busy, or refusing this phone: say it again later, and say why.
                    let delay = hello_retry_delay(self.hello_refusals);
                    self.hello_refusals = self.hello_refusals.saturating_add(1);
                    let detail = crate::redact::redact_text(&err.detail)
                        .chars()
                        .take(128)
                        .collect::<String>();
                    warn!(%detail, ?delay, "the glasses refused the hello");
                    self.state = State::HelloPaused {
                        mtu,
                        retry_at: now + delay,
                    };
                    self.report(SessionEvent::HelloRefused {
                        detail,
                        retry_in: delay,
                    });
                }
                glasses_to_phone::Body::Capabilities(caps) if reply_to == hello_id => {
                    if caps.protocol_version != PROTOCOL_VERSION {
                        warn!(
                            theirs = caps.protocol_version,
                            "incompatible glasses protocol"
                        );
                        self.report(SessionEvent::Incompatible {
                            protocol_version: caps.protocol_version,
                        });
                        return;
                    }
                    let info =
                        GlassesInfo::from_capabilities(caps, self.config.max_message_size, mtu);
                    if let Some(f) = self.framer.as_mut() {
                        if let Err(e) = f.set_max_message(info.max_message_size) {
                            warn!("keeping our message limit: {e}");
                        }
                    }
                    debug!(model = %info.model, firmware = %info.firmware_version, mtu, "glasses ready");
                    self.state = State::Ready(info.clone());
                    self.report(SessionEvent::Ready(info));
                }
                other => debug!(
                    reply_to,
                    hello_id,
                    "ignoring {} before hello finished",
                    body_name(&other)
                ),
            }
            return;
        }
        if !self.is_ready() {
            return;
        }
        match body {
            glasses_to_phone::Body::Pong(_) => {}
            glasses_to_phone::Body::Ack(_) => {
                if answered {
                    self.report(SessionEvent::Acked { request: reply_to });
                }
            }
            glasses_to_phone::Body::Error(err) => {
                if answered {
                    self.report(SessionEvent::Failed {
                        request: reply_to,
                        reason: CommandFailure::Rejected {
                            code: ErrorCode::try_from(err.code).ok(),
                            detail: err.detail,
                        },
                    });
                }
            }
            glasses_to_phone::Body::Capabilities(_) => {
                debug!("late capabilities ignored");
            }
            body => {
                // A typed reply to a retried command may come twice; the first resolved it.
                // A reply to a command we gave up on is still news (a late keep-alive ack).
                if repeat {
                    trace!(reply_to, "duplicate reply ignored");
                    return;
                }
                self.report(SessionEvent::Message(Incoming {
                    message_id,
                    reply_to,
                    body,
                }));
            }
        }
    }
}

/// Delay before the hello goes out again after `refusals` refusals in a row: 1 s doubling,
/// at most 30 s.
fn hello_retry_delay(refusals: u32) -> Duration {
    Duration::from_secs(1u64 << refusals.min(5)).min(Duration::from_secs(30))
}

/// Pause before an unanswered hello goes out again, when the link did not come up anew.
pub(crate) const HELLO_PAUSE: Duration = Duration::from_secs(5);

/// How many resolved command ids are remembered to recognise duplicate replies.
const RESOLVED_MEMORY: usize = 32;

/// A short name for a glasses body, for logs.
pub(crate) fn body_name(body: &glasses_to_phone::Body) -> &'static str {
    use glasses_to_phone::Body as B;
    match body {
        B::Capabilities(_) => "capabilities",
        B::Pong(_) => "pong",
        B::Ack(_) => "ack",
        B::Error(_) => "error",
        B::StreamStatus(_) => "stream_status",
        B::KeepAliveAck(_) => "keep_alive_ack",
        B::Battery(_) => "battery",
        B::Thermal(_) => "thermal",
        B::WifiStatus(_) => "wifi_status",
        B::WifiScanResult(_) => "wifi_scan_result",
    }
}

mod config;
#[cfg(test)]
mod tests;
