//! The simulated MentraOS cloud's mind: which streams it started and stopped, what it last
//! heard about each, and when it owes a keep-alive (every interval once a stream is live, as
//! the real cloud does). It sends through the cloud simulator; a command counts as delivered
//! only when the connection took it.

use std::collections::BTreeMap;
use std::time::Duration;

use mentra_bridge::cloud::{CloudCommand, Outgoing};
use mentra_bridge::rng::SeededRng;
use mentra_bridge::stream::StreamState;
use tokio::time::Instant;

use super::schedule::StartPlan;
use crate::cloud::{
    CloudSim, StartSpec, cloud_ack_id, keep_alive_command, start_command, stop_command,
};

/// What the cloud knows of one stream it started.
#[derive(Debug, Clone)]
pub struct CloudStream {
    /// How it was started.
    pub plan: StartPlan,
    /// When the start was delivered.
    pub started: Instant,
    /// When a stop was delivered, if one was.
    pub stopped: Option<Instant>,
    /// The last status word heard for it.
    pub last_word: Option<String>,
    /// The next keep-alive, while it is live.
    next_keep_alive: Option<Instant>,
}

impl CloudStream {
    /// True when the last status heard says the stream exists (not ended).
    pub fn believed_live(&self) -> bool {
        self.last_word
            .as_deref()
            .is_some_and(|w| StreamState::from_word(w).is_ok_and(|s| !s.is_terminal()))
    }
}

/// A command the cloud delivered, for the checker.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivered {
    /// A start (`duplicate`: the same start again, back to back).
    Start {
        /// How.
        plan: StartPlan,
        /// A back-to-back repeat.
        duplicate: bool,
    },
    /// A stop.
    Stop(String),
    /// A keep-alive.
    KeepAlive(String),
}

/// The cloud's mind.
#[derive(Debug)]
pub struct CloudModel {
    /// Every stream it started, by id.
    pub streams: BTreeMap<String, CloudStream>,
    /// Start order, newest last.
    order: Vec<String>,
    interval: Duration,
    gap_until: Option<Instant>,
    rng: SeededRng,
    app_id: &'static str,
}

impl CloudModel {
    /// A cloud that keeps streams alive every `interval`.
    pub fn new(interval: Duration, seed: u64) -> Self {
        Self {
            streams: BTreeMap::new(),
            order: Vec::new(),
            interval,
            gap_until: None,
            rng: SeededRng::new(seed ^ 0x0063_6c6f_7564),
            app_id: "com.example.sim",
        }
    }

    /// The latest stream it started and has not stopped, if any.
    pub fn latest(&self) -> Option<&str> {
        self.order
            .iter()
            .rev()
            .find(|id| self.streams.get(*id).is_some_and(|s| s.stopped.is_none()))
            .map(String::as_str)
    }

    /// The earliest stream it started and has not stopped, if any.
    pub fn earliest(&self) -> Option<&str> {
        self.order
            .iter()
            .find(|id| self.streams.get(*id).is_some_and(|s| s.stopped.is_none()))
            .map(String::as_str)
    }

    /// Sends a start; `Some` when it was delivered.
    pub async fn start(
        &mut self,
        cloud: &CloudSim,
        plan: &StartPlan,
        now: Instant,
        duplicate: bool,
    ) -> Option<Delivered> {
        let spec = StartSpec {
            stream_id: plan.id.clone(),
            url: plan.ingest.url(&plan.id),
            managed: plan.managed,
            app_id: self.app_id.to_owned(),
            duration_limit: plan.duration_limit.map(f64::from),
            telemetry: Some(plan.telemetry),
            ..Default::default()
        };
        let command = start_command(&spec, cloud.generation());
        if !cloud.send(&command).await {
            return None;
        }
        if duplicate {
            // Back to back: queued before anything could come back.
            let _ = cloud.send(&command).await;
        }
        self.streams.insert(
            plan.id.clone(),
            CloudStream {
                plan: plan.clone(),
                started: now,
                stopped: None,
                last_word: None,
                next_keep_alive: None,
            },
        );
        self.order.retain(|id| id != &plan.id);
        self.order.push(plan.id.clone());
        Some(Delivered::Start {
            plan: plan.clone(),
            duplicate,
        })
    }

    /// Sends a stop for `id`; `Some` when delivered.
    pub async fn stop(&mut self, cloud: &CloudSim, id: &str, now: Instant) -> Option<Delivered> {
        if !cloud.send(&stop_command(id, self.app_id)).await {
            return None;
        }
        if let Some(s) = self.streams.get_mut(id) {
            s.stopped = Some(now);
            s.next_keep_alive = None;
        }
        Some(Delivered::Stop(id.to_owned()))
    }

    /// No keep-alives until `until`.
    pub fn gap(&mut self, until: Instant) {
        self.gap_until = Some(until);
    }

    /// Takes in what the bridge sent.
    pub fn heard(&mut self, message: &Outgoing, now: Instant) {
        let Outgoing::StreamStatus(status) = message else {
            return;
        };
        let Some(s) = self.streams.get_mut(&status.stream_id) else {
            return;
        };
        s.last_word = Some(status.status.clone());
        let state = StreamState::from_word(&status.status).ok();
        match state {
            Some(st) if st.is_terminal() => s.next_keep_alive = None,
            Some(StreamState::Streaming | StreamState::Reconnected)
                if s.stopped.is_none() && s.next_keep_alive.is_none() =>
            {
                // Like the real cloud: the first keep-alive 1 s after the stream is live.
                s.next_keep_alive = Some(now + Duration::from_secs(1));
            }
            _ => {}
        }
    }

    /// When the next keep-alive is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.streams
            .values()
            .filter_map(|s| s.next_keep_alive)
            .min()
    }

    /// Sends the keep-alives due at `now`; returns what was delivered.
    pub async fn keep_alives(&mut self, cloud: &CloudSim, now: Instant) -> Vec<Delivered> {
        let mut out = Vec::new();
        let quiet = self.gap_until.is_some_and(|g| now < g);
        let due: Vec<String> = self
            .streams
            .iter()
            .filter(|(_, s)| s.next_keep_alive.is_some_and(|t| t <= now))
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            if let Some(s) = self.streams.get_mut(&id) {
                s.next_keep_alive = Some(now + self.interval);
            }
            if quiet || !cloud.is_connected() {
                // The real cloud skips keep-alives while the glasses socket is closed.
                continue;
            }
            let ack = cloud_ack_id(&mut self.rng);
            if cloud.send(&keep_alive_command(&id, &ack)).await {
                out.push(Delivered::KeepAlive(id));
            }
        }
        out
    }

    /// Stops every keep-alive gap (the world settles).
    pub fn settle(&mut self) {
        self.gap_until = None;
    }

    /// The command a plan turns into (for traces).
    pub fn command_name(cloud: &CloudSim, command: &CloudCommand) -> &'static str {
        command.type_name(cloud.generation())
    }
}
