//! The dialect seam: which wire a pair of glasses speaks — our protobuf schema
//! (`mentra-proto`) or today's Mentra Live JSON (`mentra-live`) — and [`GlassesSession`], the
//! one session the bridge drives whichever it is. A link says what its connection speaks
//! ([`GlassesLink::dialect`](super::GlassesLink::dialect)); the session follows it at every
//! link-up, so the supervisor never knows which dialect runs.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use super::error::{SessionConfigError, SessionError};
use super::info::GlassesInfo;
use super::live::{LiveConfig, LiveSession};
use super::session::{Session, SessionConfig, SessionInput, SessionOutput};
use crate::wire::proto::phone_to_glasses;

/// A glasses wire dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// Our protobuf schema (`proto/`): framing, hello, ids, retries, liveness.
    #[default]
    MentraProto,
    /// Today's Mentra Live firmware: K900-framed JSON (v1) or BLE Wire v2, with the
    /// controller lease (`mentra-live-wire.md`).
    MentraLive,
}

impl Dialect {
    /// Its name on the command line and in logs: `mentra-proto` or `mentra-live`.
    pub fn name(self) -> &'static str {
        match self {
            Self::MentraProto => "mentra-proto",
            Self::MentraLive => "mentra-live",
        }
    }

    pub(crate) fn to_u8(self) -> u8 {
        match self {
            Self::MentraProto => 1,
            Self::MentraLive => 2,
        }
    }

    pub(crate) fn from_u8(v: u8) -> Option<Self> {
        match v {
            1 => Some(Self::MentraProto),
            2 => Some(Self::MentraLive),
            _ => None,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dialect name that is none of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown glasses dialect {0:?}: use mentra-proto or mentra-live")]
pub struct UnknownDialect(pub String);

impl FromStr for Dialect {
    type Err = UnknownDialect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mentra-proto" | "proto" | "protobuf" => Ok(Self::MentraProto),
            "mentra-live" | "mentra-live-json" | "live" | "json" => Ok(Self::MentraLive),
            other => Err(UnknownDialect(other.to_owned())),
        }
    }
}

#[derive(Debug)]
enum Machine {
    Proto(Box<Session>),
    Live(Box<LiveSession>),
}

/// The glasses session in whichever dialect the link speaks (sans-IO, the same contract as
/// [`Session`]). [`GlassesSession::use_dialect`] switches machines between connections.
#[derive(Debug)]
pub struct GlassesSession {
    machine: Machine,
    proto: SessionConfig,
    live: LiveConfig,
    /// What the machine left behind when it was replaced (its last `Down` and failures).
    carried: VecDeque<SessionOutput>,
}

impl GlassesSession {
    /// A session in `dialect`, with settings for both (a link may change dialect later).
    pub fn new(
        dialect: Dialect,
        proto: SessionConfig,
        live: LiveConfig,
        now: Instant,
    ) -> Result<Self, SessionConfigError> {
        proto.validate()?;
        let machine = Self::build(dialect, &proto, &live, now)?;
        Ok(Self {
            machine,
            proto,
            live,
            carried: VecDeque::new(),
        })
    }

    fn build(
        dialect: Dialect,
        proto: &SessionConfig,
        live: &LiveConfig,
        now: Instant,
    ) -> Result<Machine, SessionConfigError> {
        Ok(match dialect {
            Dialect::MentraProto => Machine::Proto(Box::new(Session::new(proto.clone(), now)?)),
            Dialect::MentraLive => Machine::Live(Box::new(LiveSession::new(live.clone(), now))),
        })
    }

    /// The dialect the session speaks now.
    pub fn dialect(&self) -> Dialect {
        match self.machine {
            Machine::Proto(_) => Dialect::MentraProto,
            Machine::Live(_) => Dialect::MentraLive,
        }
    }

    /// Speaks `dialect` from the next link-up on. A machine being replaced goes down first;
    /// what it reports then is still delivered.
    pub fn use_dialect(&mut self, dialect: Dialect, now: Instant) {
        if dialect == self.dialect() {
            return;
        }
        self.handle_input(now, SessionInput::LinkDown);
        while let Some(o) = self.poll_machine() {
            self.carried.push_back(o);
        }
        // The settings were validated when the session was built.
        if let Ok(m) = Self::build(dialect, &self.proto, &self.live, now) {
            self.machine = m;
        }
    }

    /// The Mentra Live machine, when that is the dialect (for tests and counters).
    pub fn live(&self) -> Option<&LiveSession> {
        match &self.machine {
            Machine::Live(l) => Some(l),
            Machine::Proto(_) => None,
        }
    }

    /// The glasses' declarations, once ready.
    pub fn info(&self) -> Option<&GlassesInfo> {
        match &self.machine {
            Machine::Proto(s) => s.info(),
            Machine::Live(s) => s.info(),
        }
    }

    /// True once commands may be sent.
    pub fn is_ready(&self) -> bool {
        match &self.machine {
            Machine::Proto(s) => s.is_ready(),
            Machine::Live(s) => s.is_ready(),
        }
    }

    /// Commands awaiting an answer.
    pub fn pending(&self) -> usize {
        match &self.machine {
            Machine::Proto(s) => s.pending(),
            Machine::Live(s) => s.pending(),
        }
    }

    /// Feeds what happened on the link.
    pub fn handle_input(&mut self, now: Instant, input: SessionInput) {
        match &mut self.machine {
            Machine::Proto(s) => s.handle_input(now, input),
            Machine::Live(s) => s.handle_input(now, input),
        }
    }

    /// Sends a command; see [`Session::send`].
    pub fn send(
        &mut self,
        now: Instant,
        body: phone_to_glasses::Body,
    ) -> Result<u32, SessionError> {
        match &mut self.machine {
            Machine::Proto(s) => s.send(now, body),
            Machine::Live(s) => s.send(now, body),
        }
    }

    /// How the link is doing (Mentra Live's wire has no round trip to time: `rtt` is `None`).
    pub fn link_stats(&self) -> super::LinkStats {
        match &self.machine {
            Machine::Proto(s) => s.link_stats(),
            Machine::Live(s) => {
                let live = s.stats();
                super::LinkStats {
                    rtt: None,
                    retransmissions: live.retransmissions,
                    reassembly_drops: live.unreadable,
                }
            }
        }
    }

    /// Fires expired timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        match &mut self.machine {
            Machine::Proto(s) => s.handle_timeout(now),
            Machine::Live(s) => s.handle_timeout(now),
        }
    }

    /// The next thing to do, if any.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<SessionOutput> {
        self.carried.pop_front().or_else(|| self.poll_machine())
    }

    fn poll_machine(&mut self) -> Option<SessionOutput> {
        match &mut self.machine {
            Machine::Proto(s) => s.poll_output(),
            Machine::Live(s) => s.poll_output(),
        }
    }

    /// The earliest deadline, or `None`.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.machine {
            Machine::Proto(s) => s.poll_timeout(),
            Machine::Live(s) => s.poll_timeout(),
        }
    }
}
