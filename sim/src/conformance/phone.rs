//! The conformance kit's phone end: a deliberately thin player of the wire (no retries, no
//! session rules of its own) so every reply it sees is the glasses' own doing. It frames what
//! the checks send, reassembles what the glasses send, and keeps every message it heard.

use std::collections::VecDeque;
use std::time::Duration;

use mentra_bridge::glasses::{GlassesLink, LinkEvent};
use mentra_bridge::wire::proto::{
    GlassesToPhone, Hello, PhoneToGlasses, glasses_to_phone::Body as G, phone_to_glasses::Body as P,
};
use mentra_bridge::wire::{
    ABSOLUTE_MAX_MESSAGE, DEFAULT_MAX_MESSAGE, Framer, PROTOCOL_VERSION, Reassembled, Reassembler,
    decode_glasses, encode,
};
use tokio::time::{Instant, timeout_at};

/// The most messages kept for the end-of-run checks (a run sends a few hundred).
const MAX_HEARD: usize = 20_000;

/// A message from the glasses, with when it arrived.
#[derive(Debug, Clone)]
pub(crate) struct Heard {
    pub(crate) at: Instant,
    pub(crate) message: GlassesToPhone,
}

/// Something about the glasses' packets that broke the framing rules.
#[derive(Debug, Clone)]
pub(crate) struct WireFault {
    pub(crate) at: Instant,
    pub(crate) what: String,
}

/// The phone end of one conformance run.
pub(crate) struct Phone {
    link: Box<dyn GlassesLink>,
    framer: Option<Framer>,
    reassembler: Reassembler,
    mtu: u16,
    next_id: u32,
    /// Messages not yet taken by a check.
    pending: VecDeque<Heard>,
    /// Every message since the current connection came up.
    pub(crate) heard: Vec<Heard>,
    /// Framing and decoding faults in what the glasses sent.
    pub(crate) faults: Vec<WireFault>,
    /// The glasses' packet sequence numbers, in arrival order, this connection.
    pub(crate) seqs: Vec<u8>,
    /// The longest packet the glasses sent, this connection.
    pub(crate) longest_packet: usize,
    /// Why the link went down, each time it did.
    pub(crate) downs: Vec<String>,
    /// Connections so far (each `Up` is a new session: ids and sequence numbers restart).
    pub(crate) generation: u64,
    up: bool,
}

impl Phone {
    pub(crate) fn new(link: Box<dyn GlassesLink>) -> Self {
        Self {
            link,
            framer: None,
            reassembler: Reassembler::new(ABSOLUTE_MAX_MESSAGE, Duration::from_secs(2)),
            mtu: 0,
            next_id: 1,
            pending: VecDeque::new(),
            heard: Vec::new(),
            faults: Vec::new(),
            seqs: Vec::new(),
            longest_packet: 0,
            downs: Vec::new(),
            generation: 0,
            up: false,
        }
    }

    /// What the link calls itself.
    pub(crate) fn describe(&self) -> String {
        self.link.describe()
    }

    /// The dialect the link says the glasses speak, when it knows.
    pub(crate) fn dialect(&self) -> Option<mentra_bridge::glasses::Dialect> {
        self.link.dialect()
    }

    /// The MTU of the current connection.
    pub(crate) fn mtu(&self) -> u16 {
        self.mtu
    }

    /// True while the link is up.
    pub(crate) fn is_up(&self) -> bool {
        self.up
    }

    /// Accepts messages up to `max` bytes from now on (the size both sides agreed).
    pub(crate) fn set_max_message(&mut self, max: usize) {
        self.reassembler = Reassembler::new(max, Duration::from_secs(2));
    }

    /// Waits for the link to come up; `Err` says why it did not.
    pub(crate) async fn connect(&mut self, within: Duration) -> Result<u16, String> {
        let deadline = Instant::now() + within;
        while !self.up {
            if !self.pump(deadline).await {
                return Err(match self.downs.last() {
                    Some(reason) => format!("the link did not come up: {reason}"),
                    None => format!("the link did not come up within {within:?}"),
                });
            }
        }
        Ok(self.mtu)
    }

    /// Takes a fresh message id (for a message the caller frames itself).
    pub(crate) fn claim_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    /// Sends `body` under a fresh message id and returns the id.
    pub(crate) async fn send(&mut self, body: P) -> Result<u32, String> {
        let id = self.claim_id();
        self.send_as(id, body).await?;
        Ok(id)
    }

    /// Sends `body` under `id` (a retry reuses the id).
    pub(crate) async fn send_as(&mut self, id: u32, body: P) -> Result<(), String> {
        let envelope = PhoneToGlasses {
            message_id: id,
            reply_to: 0,
            body: Some(body),
        };
        self.send_bytes(&encode(&envelope)).await
    }

    /// Frames arbitrary message bytes (a well-formed envelope or not) and sends them.
    pub(crate) async fn send_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        for packet in self.packets(bytes)? {
            self.send_packet(packet).await?;
        }
        Ok(())
    }

    /// The packets `bytes` takes at this connection's MTU, advancing the sequence number.
    pub(crate) fn packets(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let framer = self.framer.as_mut().ok_or("the link is down")?;
        framer
            .split(bytes)
            .map(Iterator::collect)
            .map_err(|e| format!("cannot frame {} bytes: {e}", bytes.len()))
    }

    /// Sends one raw packet as it is.
    pub(crate) async fn send_packet(&mut self, packet: Vec<u8>) -> Result<(), String> {
        self.link
            .send(packet)
            .await
            .map_err(|e| format!("the link refused a packet: {e}"))
    }

    /// Drops whatever arrived that no check took yet.
    pub(crate) fn discard_pending(&mut self) {
        self.pending.clear();
    }

    /// The first message matching `want` within `within` (pending ones first); the others
    /// stay pending.
    pub(crate) async fn expect(
        &mut self,
        within: Duration,
        want: impl Fn(&GlassesToPhone) -> bool,
    ) -> Option<Heard> {
        let deadline = Instant::now() + within;
        let mut scanned = 0;
        loop {
            // A new connection empties the queue: scan it from the start.
            scanned = scanned.min(self.pending.len());
            if let Some(i) = self
                .pending
                .iter()
                .skip(scanned)
                .position(|h| want(&h.message))
            {
                return self.pending.remove(scanned + i);
            }
            scanned = self.pending.len();
            if !self.pump(deadline).await || !self.up {
                return None; // the deadline passed, or the link dropped: nothing more comes
            }
        }
    }

    /// The reply to message `id`, within `within`.
    pub(crate) async fn reply(&mut self, id: u32, within: Duration) -> Option<Heard> {
        self.expect(within, |m| m.reply_to == id).await
    }

    /// Everything matching `want` that arrives within `within` (pending ones included).
    pub(crate) async fn gather(
        &mut self,
        within: Duration,
        want: impl Fn(&GlassesToPhone) -> bool,
    ) -> Vec<Heard> {
        let deadline = Instant::now() + within;
        while self.pump(deadline).await && self.up {}
        let (hit, rest): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|h| want(&h.message));
        self.pending = rest.into();
        hit
    }

    /// Sends a hello and waits for the capabilities.
    pub(crate) async fn hello(&mut self, within: Duration) -> Result<(u32, Heard), String> {
        let id = self
            .send(P::Hello(Hello {
                protocol_version: PROTOCOL_VERSION,
                bridge_version: format!("conformance-{}", env!("CARGO_PKG_VERSION")),
                max_message_size: DEFAULT_MAX_MESSAGE as u32,
            }))
            .await?;
        match self.reply(id, within).await {
            Some(h) => Ok((id, h)),
            None => Err(format!("no reply to Hello #{id} within {within:?}")),
        }
    }

    /// Reads one event before `deadline`; false when the deadline passed or the link closed.
    async fn pump(&mut self, deadline: Instant) -> bool {
        let event = match timeout_at(deadline, self.link.next_event()).await {
            Ok(Some(event)) => event,
            Ok(None) => {
                if self.up {
                    self.downs.push("the link closed for good".into());
                }
                self.up = false;
                return false;
            }
            Err(_) => return false,
        };
        let now = Instant::now();
        match event {
            LinkEvent::Up { mtu } => {
                if self.up {
                    self.downs
                        .push("the link reconnected underneath (Up without Down)".into());
                }
                self.generation += 1;
                self.up = true;
                self.mtu = mtu;
                self.framer = Framer::new(mtu, ABSOLUTE_MAX_MESSAGE).ok();
                self.reassembler.reset();
                self.next_id = 1;
                self.pending.clear();
                self.heard.clear();
                self.seqs.clear();
                self.faults.clear();
                self.longest_packet = 0;
            }
            LinkEvent::Down { reason } => {
                self.up = false;
                self.framer = None;
                self.downs.push(reason);
            }
            LinkEvent::Packet(packet) => self.packet(now, &packet),
            LinkEvent::MtuChanged { mtu } => {
                self.mtu = mtu;
                if let Some(framer) = self.framer.as_mut() {
                    let _ = framer.set_mtu(mtu);
                }
            }
        }
        true
    }

    fn packet(&mut self, now: Instant, packet: &[u8]) {
        if let Some(&seq) = packet.get(1) {
            if self.seqs.len() < MAX_HEARD {
                self.seqs.push(seq);
            }
        }
        self.longest_packet = self.longest_packet.max(packet.len());
        let std_now = now.into_std();
        self.reassembler.handle_timeout(std_now);
        self.reassembler.handle_packet(std_now, packet);
        while let Some(out) = self.reassembler.poll_output() {
            match out {
                Reassembled::Message(bytes) => match decode_glasses(&bytes) {
                    Ok(message) => {
                        let heard = Heard { at: now, message };
                        if self.heard.len() < MAX_HEARD {
                            self.heard.push(heard.clone());
                        }
                        if self.pending.len() >= MAX_HEARD {
                            self.pending.pop_front();
                        }
                        self.pending.push_back(heard);
                    }
                    Err(e) => self.fault(now, format!("a message that does not decode: {e}")),
                },
                Reassembled::Dropped(reason) => {
                    self.fault(now, format!("a packet broke the framing: {reason}"));
                }
            }
        }
    }

    fn fault(&mut self, at: Instant, what: String) {
        if self.faults.len() < MAX_HEARD {
            self.faults.push(WireFault { at, what });
        }
    }
}

/// A one-line description of a glasses message, for evidence.
pub(crate) fn describe(m: &GlassesToPhone) -> String {
    let body = match &m.body {
        Some(G::StreamStatus(s)) => {
            let state = mentra_bridge::wire::proto::StreamState::try_from(s.state).map_or_else(
                |_| format!("state {}", s.state),
                |st| st.as_str_name().into(),
            );
            let mut text = format!("StreamStatus {state} id {:?}", s.stream_id);
            if !s.error_detail.is_empty() {
                let detail = mentra_bridge::redact::redact_text(&s.error_detail);
                text.push_str(&format!(" {detail:?}"));
            }
            if s.error_code != 0 {
                let code = mentra_bridge::wire::proto::StreamErrorCode::try_from(s.error_code)
                    .map_or_else(|_| s.error_code.to_string(), |c| c.as_str_name().into());
                text.push_str(&format!(" {code}"));
            }
            if s.stats.is_some() {
                text.push_str(" with stats");
            }
            text
        }
        Some(G::Error(e)) => {
            let code = mentra_bridge::wire::proto::ErrorCode::try_from(e.code)
                .map_or_else(|_| e.code.to_string(), |c| c.as_str_name().into());
            format!(
                "Error {code} {:?}",
                mentra_bridge::redact::redact_text(&e.detail)
            )
        }
        Some(G::KeepAliveAck(a)) => {
            format!("KeepAliveAck id {:?} ack {:?}", a.stream_id, a.ack_id)
        }
        Some(G::Capabilities(_)) => "Capabilities".into(),
        Some(G::Pong(_)) => "Pong".into(),
        Some(G::Ack(_)) => "Ack".into(),
        Some(G::Battery(b)) => format!("Battery {} %", b.level_percent),
        Some(G::Thermal(t)) => format!("Thermal {:.1} °C", t.temperature_c),
        Some(G::WifiStatus(w)) => format!("WifiStatus connected {}", w.connected),
        Some(G::WifiScanResult(r)) => format!("WifiScanResult {} networks", r.networks.len()),
        None => "(no body)".into(),
    };
    format!("#{} reply_to {}: {body}", m.message_id, m.reply_to)
}
