//! The invariants of the behaviour contract, checked against everything the simulation
//! observes: the bridge's events and snapshot, what the cloud received, what the camera does,
//! and the bridge's queue sizes. Each violation names its rule; the first one ends the run.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use mentra_bridge::bridge::{GlassesConnectionState, Internals};
use mentra_bridge::cloud::Outgoing;
use mentra_bridge::stream::{StreamState, StreamUpdate};
use mentra_bridge::{BridgeEvent, BridgeState};

mod sample;
mod settled;

use settled::{order_word, push_dedup};
use tokio::time::Instant;

use super::cloud_model::Delivered;
use super::schedule::StartPlan;
use crate::glasses::CameraView;

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// When (virtual time since the start of the run).
    pub at: Duration,
    /// The invariant.
    pub rule: &'static str,
    /// What was seen.
    pub what: String,
}

/// Thresholds the checks allow for.
#[derive(Debug, Clone)]
pub struct Slack {
    /// A start must have an outcome within this long (the 30 s start deadline + slack).
    pub start_outcome: Duration,
    /// A stop must turn the camera off within this long once the glasses are reachable.
    pub stop_reaches_camera: Duration,
    /// Health readings take this long to arrive and act (telemetry every 10 s).
    pub health_reaction: Duration,
    /// The glasses' keep-alive watchdog.
    pub watchdog: Duration,
    /// Largest outbox the bridge may hold.
    pub outbox_capacity: usize,
    /// Largest number of commands in flight.
    pub in_flight: usize,
    /// Largest number of tracked streams and ids.
    pub tracked: usize,
    /// Most cloud connections in any minute.
    pub dials_per_minute: usize,
    /// How long the bridge may take to notice a silent glasses link: its session's liveness
    /// timeout (30 s on our wire, 75 s on Mentra Live's, whose glasses speak only when spoken to).
    pub silence_noticed: Duration,
}

impl Default for Slack {
    fn default() -> Self {
        Self {
            start_outcome: Duration::from_secs(36),
            stop_reaches_camera: Duration::from_secs(20),
            health_reaction: Duration::from_secs(25),
            watchdog: Duration::from_secs(60),
            outbox_capacity: 64,
            in_flight: 64,
            tracked: 64,
            dials_per_minute: 12,
            silence_noticed: Duration::from_secs(30),
        }
    }
}

/// What the world knows of its own faults at a moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Health {
    /// The glasses link is up and carries every packet.
    pub link_healthy: bool,
    /// The glasses link carries anything at all (it may lose, duplicate or reorder).
    pub link_reachable: bool,
    /// The cloud accepts and serves connections.
    pub cloud_healthy: bool,
    /// The battery is on a charger.
    pub charging: bool,
}

/// One look at the world, for [`Checker::sample`].
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// What the camera does.
    pub camera: &'a CameraView,
    /// The world's own fault flags.
    pub health: Health,
    /// The bridge's snapshot.
    pub snapshot: &'a BridgeState,
    /// The bridge's queue sizes.
    pub internals: Internals,
    /// Cloud connections accepted so far.
    pub dials: usize,
    /// The bridge is still running.
    pub bridge_running: bool,
}

#[derive(Debug, Default)]
struct Tracked {
    plan: Option<StartPlan>,
    /// Delivered starts (not counting back-to-back repeats).
    starts: Vec<Instant>,
    /// Delivered stops.
    stops: Vec<Instant>,
    /// The latest bridge event for it.
    last: Option<StreamState>,
    /// When it last ended (a terminal bridge event).
    ended: Option<Instant>,
    /// When the bridge last reported it winding down (`stopping`, or an end).
    wound_down: Option<Instant>,
    /// The start waiting for its outcome, and its deadline.
    outcome_due: Option<Instant>,
    /// Camera time spent on this id (across restarts).
    camera_on: Duration,
}

impl Tracked {
    fn started_since(&self, t: Instant) -> bool {
        self.starts.iter().any(|s| *s >= t)
    }

    fn stopped_and_not_restarted(&self) -> Option<Instant> {
        let stop = *self.stops.last()?;
        (!self.started_since(stop)).then_some(stop)
    }
}

/// The checker.
#[derive(Debug)]
pub struct Checker {
    t0: Instant,
    slack: Slack,
    streams: BTreeMap<String, Tracked>,
    /// Bridge-produced and cloud-received status words per id, for the order check.
    produced: BTreeMap<String, Vec<String>>,
    received: BTreeMap<String, Vec<String>>,
    overflowed: bool,
    violations: Vec<Violation>,
    link_healthy_since: Option<Instant>,
    /// While the link carries nothing: since when.
    link_out_since: Option<Instant>,
    /// While it carries something: since when.
    link_reachable_since: Option<Instant>,
    cloud_healthy_since: Option<Instant>,
    last_sample: Option<Instant>,
    camera: CameraView,
    hot_since: Option<Instant>,
    critical_since: Option<Instant>,
    /// While the camera is clearly below the critical band (past its hysteresis): since when.
    cool_since: Option<Instant>,
    low_battery_since: Option<Instant>,
    last_telemetry: Option<Instant>,
    dials: VecDeque<(Instant, usize)>,
    glasses_ready_since: Option<Instant>,
    /// When the bridge last said the glasses were not connected.
    glasses_lost_at: Option<Instant>,
    /// Starts refused as "not connected", and when: the glasses must not come within the
    /// start deadline after.
    refused_unconnected: Vec<(String, Instant)>,
    /// The glasses speak a protocol the bridge does not.
    incompatible: bool,
    /// The firmware runs its own thermal bitrate control (Mentra Live): the bridge cannot
    /// throttle, so the throttle check does not apply.
    firmware_throttles: bool,
    /// Since when the camera has been off (for firmware that reports heat only when on).
    camera_off_since: Option<Instant>,
    /// When the bridge last showed a temperature.
    last_heat_heard: Option<Instant>,
}

const REQUESTED_BITRATE: u32 = 2_000_000;

impl Checker {
    /// A checker for a run that started at `t0`.
    pub fn new(t0: Instant, slack: Slack, incompatible: bool) -> Self {
        Self {
            t0,
            slack,
            streams: BTreeMap::new(),
            produced: BTreeMap::new(),
            received: BTreeMap::new(),
            overflowed: false,
            violations: Vec::new(),
            link_healthy_since: None,
            link_out_since: None,
            link_reachable_since: None,
            cloud_healthy_since: None,
            last_sample: None,
            camera: CameraView::default(),
            hot_since: None,
            critical_since: None,
            cool_since: None,
            low_battery_since: None,
            last_telemetry: None,
            dials: VecDeque::new(),
            glasses_ready_since: None,
            glasses_lost_at: None,
            refused_unconnected: Vec::new(),
            incompatible,
            firmware_throttles: false,
            camera_off_since: None,
            last_heat_heard: None,
        }
    }

    /// The glasses throttle themselves (Mentra Live firmware): heat is theirs to handle
    /// below the critical band.
    pub fn firmware_throttles(mut self, yes: bool) -> Self {
        self.firmware_throttles = yes;
        self
    }

    /// The violations so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    fn fail(&mut self, now: Instant, rule: &'static str, what: String) {
        self.push(Violation {
            at: now.saturating_duration_since(self.t0),
            rule,
            what,
        });
    }

    /// How long a start's outcome may still take because of link faults, if at all.
    fn excused_until(&self, now: Instant) -> Option<Instant> {
        // Out of reach, a start's outcome may wait for: the bridge noticing a silent link (its
        // 30 s liveness timeout), the glasses' watchdog running out (60 s, plus the bridge's
        // 5 s margin), and a managed restart then waiting a full start deadline (30 s) for
        // them to return.
        const SESSION_RECOVERY: Duration = Duration::from_secs(35);
        let window_start = now.checked_sub(self.slack.start_outcome)?;
        let until = match (self.link_out_since, self.link_reachable_since) {
            // The bridge may take its liveness timeout to notice a silent link.
            (Some(out), _) => {
                out + self.slack.watchdog + SESSION_RECOVERY + self.slack.silence_noticed
            }
            (None, Some(back)) if back > window_start => {
                back + self.slack.start_outcome + SESSION_RECOVERY
            }
            _ => return None,
        };
        (until > now).then_some(until)
    }

    /// Records a violation the world saw itself.
    pub fn push(&mut self, v: Violation) {
        if self.violations.len() < 16 {
            self.violations.push(v);
        }
    }

    /// The cloud delivered a command.
    pub fn delivered(&mut self, now: Instant, d: &Delivered) {
        match d {
            Delivered::Start { plan, duplicate } => {
                let t = self.streams.entry(plan.id.clone()).or_default();
                t.plan = Some(plan.clone());
                if !duplicate || t.starts.is_empty() {
                    t.starts.push(now);
                }
                if t.outcome_due.is_none() {
                    t.outcome_due = Some(now + self.slack.start_outcome);
                }
            }
            Delivered::Stop(id) => {
                let t = self.streams.entry(id.clone()).or_default();
                t.stops.push(now);
                // A stop ends a start that has not ended yet, within the stop timeout.
                if let Some(due) = t.outcome_due.as_mut() {
                    *due = (*due).max(now + Duration::from_secs(15));
                }
            }
            Delivered::KeepAlive(_) => {}
        }
    }

    /// The bridge published an event; `state` is its snapshot right after.
    pub fn bridge_event(&mut self, now: Instant, event: &BridgeEvent) {
        match event {
            BridgeEvent::Stream(u) => self.stream_event(now, u),
            BridgeEvent::Battery(_) => self.last_telemetry = Some(now),
            BridgeEvent::Temperature(_) => {
                self.last_telemetry = Some(now);
                self.last_heat_heard = Some(now);
            }
            BridgeEvent::Warning(w) if w.code == "cloud_outbox_overflow" => self.overflowed = true,
            BridgeEvent::Glasses(GlassesConnectionState::Connected { .. }) => {
                self.glasses_ready_since = Some(now);
                // A start refused as "not connected" shortly before should have waited.
                let waited_too_little: Vec<String> = self
                    .refused_unconnected
                    .iter()
                    .filter(|(_, at)| now.saturating_duration_since(*at) < Duration::from_secs(28))
                    .map(|(id, at)| {
                        format!(
                            "{id} was refused as not connected {:.1} s before the glasses were ready",
                            now.saturating_duration_since(*at).as_secs_f64()
                        )
                    })
                    .collect();
                self.refused_unconnected.clear();
                for what in waited_too_little {
                    self.fail(now, "starts wait for connecting glasses", what);
                }
            }
            BridgeEvent::Glasses(_) => {
                self.glasses_ready_since = None;
                self.glasses_lost_at = Some(now);
            }
            _ => {}
        }
    }

    fn stream_event(&mut self, now: Instant, u: &StreamUpdate) {
        if u.stream_id.is_empty() {
            self.fail(
                now,
                "ids on everything",
                format!("a stream update without an id: {u:?}"),
            );
            return;
        }
        let words = self.produced.entry(u.stream_id.clone()).or_default();
        push_dedup(words, order_word(u.state));
        let Some(t) = self.streams.get_mut(&u.stream_id) else {
            return;
        };
        let live = !u.state.is_terminal() && u.state != StreamState::Stopping;
        // No ghost: nothing live after an end, or after a stop the bridge acted on, unless the
        // cloud started the stream again.
        let after_end = t.ended.filter(|e| !t.started_since(*e));
        let acted_on_stop = matches!(t.last, Some(StreamState::Stopping))
            || t.last.is_some_and(StreamState::is_terminal);
        let after_stop = t.stopped_and_not_restarted().filter(|_| acted_on_stop);
        if u.state == StreamState::Streaming || u.state.is_terminal() {
            t.outcome_due = None;
        }
        // A refusal: the start ended before it was ever live (or told to stop).
        let refused =
            u.state.is_terminal() && matches!(t.last, None | Some(StreamState::Initializing));
        if u.state.is_terminal() {
            t.ended = Some(now);
        }
        if !live
            && t.last
                .is_none_or(|s| !s.is_terminal() && s != StreamState::Stopping)
        {
            t.wound_down = Some(now);
        }
        t.last = Some(u.state);
        if live && (after_end.is_some() || after_stop.is_some()) {
            let why = if after_end.is_some() {
                "its end"
            } else {
                "its stop"
            };
            let what = format!("{} reported {} after {why}", u.stream_id, u.state);
            self.fail(now, "nothing live after a terminal status", what);
        }
        if refused {
            let code = u.problem.map(|p| p.code()).unwrap_or("");
            self.refusal(now, &u.stream_id, code);
        }
    }

    /// A start that failed: was the reason true?
    fn refusal(&mut self, now: Instant, id: &str, code: &str) {
        let Some(t) = self.streams.get(id) else {
            return;
        };
        let Some(start) = t.starts.last().copied() else {
            return;
        };
        let managed = t.plan.as_ref().is_some_and(|p| p.managed);
        match code {
            "already_streaming" | "managed_stream_active" => {
                // Blocked by another stream: one the cloud still wants, not one it stopped.
                let blocker = self.streams.iter().any(|(other, o)| {
                    other != id
                        && o.starts.last().is_some_and(|s| *s <= start)
                        && o.stopped_and_not_restarted().is_none()
                        && o.ended
                            .is_none_or(|e| o.starts.last().is_some_and(|s| *s > e))
                });
                if !(blocker || managed && code == "already_streaming") {
                    let what = format!(
                        "{id} refused with {code} though every other stream was stopped by the cloud"
                    );
                    self.fail(now, "starts are not refused for no reason", what);
                }
            }
            "glasses_not_connected" => {
                // Refused at once (not after waiting out the deadline)?
                if now.saturating_duration_since(start) < Duration::from_secs(25)
                    && self.refused_unconnected.len() < 64
                {
                    self.refused_unconnected.push((id.to_owned(), now));
                }
                if self.incompatible {
                    let what = format!("{id}: incompatible glasses reported as not connected");
                    self.fail(now, "errors say what to do", what);
                }
            }
            "overheated"
                if self.camera.temperature_c < 84.0
                    && self.cooled_long_enough(now)
                    && self.heat_seen_lately(now) =>
            {
                let what = format!(
                    "{id} refused as overheated at {:.1} °C",
                    self.camera.temperature_c
                );
                self.fail(now, "health blocks clear", what);
            }
            _ => {}
        }
    }

    /// Firmware that reports heat only while streaming (Mentra Live) leaves the bridge blind
    /// once the camera is off: the block clears when its last reading goes stale. The bridge
    /// shows a stats temperature every 10 s at most, so its last reading may be that much
    /// later than the last one it showed. (Named for when the check applies.)
    fn heat_seen_lately(&self, now: Instant) -> bool {
        if !self.firmware_throttles {
            return true;
        }
        let stale = Duration::from_secs(120 + 10) + self.slack.health_reaction;
        let off_long = self
            .camera_off_since
            .is_some_and(|off| now.saturating_duration_since(off) > stale);
        let unheard = self
            .last_heat_heard
            .is_none_or(|t| now.saturating_duration_since(t) > stale);
        off_long && unheard
    }

    fn cooled_long_enough(&self, now: Instant) -> bool {
        self.cool_since
            .is_some_and(|s| now.saturating_duration_since(s) > self.slack.health_reaction)
            && self
                .link_healthy_since
                .is_some_and(|s| now.saturating_duration_since(s) > self.slack.health_reaction)
    }

    /// The cloud received a message.
    pub fn cloud_received(&mut self, now: Instant, message: &Outgoing) {
        if let Outgoing::StreamStatus(s) = message {
            if s.stream_id.is_empty() {
                self.fail(
                    now,
                    "ids on everything",
                    format!("the cloud got a status without an id: {s:?}"),
                );
                return;
            }
            let word = StreamState::from_word(&s.status)
                .map(order_word)
                .unwrap_or_else(|_| s.status.clone());
            push_dedup(self.received.entry(s.stream_id.clone()).or_default(), word);
        }
    }

    /// For a managed stream: when the last other managed stream ended or was stopped (the
    /// glasses know a shared stream by one viewer's id; it ends when the last viewer goes).
    fn last_shared_end(&self, id: &str) -> Option<Instant> {
        let managed = |t: &Tracked| t.plan.as_ref().is_some_and(|p| p.managed);
        if !self.streams.get(id).is_some_and(managed) {
            return None;
        }
        self.streams
            .iter()
            .filter(|(other, t)| *other != id && managed(t))
            .filter_map(|(_, t)| {
                t.wound_down
                    .into_iter()
                    .chain(t.stops.last().copied())
                    .max()
            })
            .max()
    }

    /// True when a managed stream other than `id` is live per the bridge (a shared stream's
    /// other viewers).
    fn others_live(&self, id: &str) -> bool {
        self.streams.iter().any(|(other, t)| {
            other != id
                && t.plan.as_ref().is_some_and(|p| p.managed)
                && t.last
                    .is_some_and(|s| !s.is_terminal() && s != StreamState::Stopping)
        })
    }
}
