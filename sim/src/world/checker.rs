//! The invariants of the behaviour contract, checked against everything the simulation
//! observes: the bridge's events and snapshot, what the cloud received, what the camera does,
//! and the bridge's queue sizes. Each violation names its rule; the first one ends the run.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use mentra_bridge::bridge::{CloudConnectionState, GlassesConnectionState, Internals};
use mentra_bridge::cloud::Outgoing;
use mentra_bridge::stream::{StreamState, StreamUpdate};
use mentra_bridge::{BridgeEvent, BridgeState};
use tokio::time::Instant;

use super::cloud_model::{CloudModel, Delivered};
use super::schedule::StartPlan;
use crate::glasses::{CameraPhase, CameraView};

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
        }
    }
}

/// What the world knows of its own faults at a moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Health {
    /// The glasses link is up and carries every packet.
    pub link_healthy: bool,
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
    cloud_healthy_since: Option<Instant>,
    last_sample: Option<Instant>,
    camera: CameraView,
    hot_since: Option<Instant>,
    critical_since: Option<Instant>,
    low_battery_since: Option<Instant>,
    last_telemetry: Option<Instant>,
    dials: VecDeque<(Instant, usize)>,
    glasses_ready_since: Option<Instant>,
    /// Starts refused as "not connected", and when: the glasses must not come within the
    /// start deadline after.
    refused_unconnected: Vec<(String, Instant)>,
    /// The glasses speak a protocol the bridge does not.
    incompatible: bool,
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
            cloud_healthy_since: None,
            last_sample: None,
            camera: CameraView::default(),
            hot_since: None,
            critical_since: None,
            low_battery_since: None,
            last_telemetry: None,
            dials: VecDeque::new(),
            glasses_ready_since: None,
            refused_unconnected: Vec::new(),
            incompatible,
        }
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
            BridgeEvent::Battery(_) | BridgeEvent::Temperature(_) => {
                self.last_telemetry = Some(now)
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
            BridgeEvent::Glasses(_) => self.glasses_ready_since = None,
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
        if u.state.is_terminal() {
            t.ended = Some(now);
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
        if u.state.is_terminal() {
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
            "overheated" if self.camera.temperature_c < 84.0 && self.cooled_long_enough(now) => {
                let what = format!(
                    "{id} refused as overheated at {:.1} °C",
                    self.camera.temperature_c
                );
                self.fail(now, "health blocks clear", what);
            }
            _ => {}
        }
    }

    fn cooled_long_enough(&self, now: Instant) -> bool {
        self.critical_since.is_none()
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

    /// A regular look at the world.
    pub fn sample(&mut self, now: Instant, seen: &Seen<'_>) {
        let Seen {
            camera,
            health,
            snapshot,
            internals,
            dials,
            bridge_running,
        } = *seen;
        let dt = self
            .last_sample
            .map(|l| now.saturating_duration_since(l))
            .unwrap_or_default();
        self.last_sample = Some(now);
        self.link_healthy_since = match (health.link_healthy, self.link_healthy_since) {
            (true, Some(s)) => Some(s),
            (true, None) => Some(now),
            (false, _) => None,
        };
        self.cloud_healthy_since = match (health.cloud_healthy, self.cloud_healthy_since) {
            (true, Some(s)) => Some(s),
            (true, None) => Some(now),
            (false, _) => None,
        };
        let healthy_for = |since: Option<Instant>| since.map(|s| now.saturating_duration_since(s));
        let link_for = healthy_for(self.link_healthy_since).unwrap_or_default();

        if !bridge_running {
            self.fail(
                now,
                "events keep flowing",
                "the bridge stopped by itself".into(),
            );
        }
        // Camera bookkeeping and duration limits.
        if camera.phase.is_on() {
            if let Some(id) = &camera.stream_id {
                if let Some(t) = self.streams.get_mut(id) {
                    t.camera_on += dt;
                    if let Some(limit) = t.plan.as_ref().and_then(|p| p.duration_limit) {
                        let limit = Duration::from_secs(u64::from(limit));
                        if t.camera_on > limit + self.slack.stop_reaches_camera {
                            let what = format!(
                                "{id} on the camera for {:?}, limit {limit:?}",
                                t.camera_on
                            );
                            self.fail(now, "duration limit counts across restarts", what);
                        }
                    }
                }
            }
        }
        // The glasses' own watchdog must never have to end a stream the bridge supervises.
        if camera.watchdog_fired > self.camera.watchdog_fired
            && link_for > self.slack.watchdog + Duration::from_secs(5)
        {
            let what = format!(
                "the glasses' keep-alive watchdog ended {:?} although the link was healthy for {:?}",
                self.camera.stream_id, link_for
            );
            self.fail(now, "the bridge keeps the glasses fed", what);
        }
        // Health.
        let hot = camera.temperature_c >= 80.5;
        self.hot_since = if hot {
            self.hot_since.or(Some(now))
        } else {
            None
        };
        let critical = camera.temperature_c >= 88.5;
        self.critical_since = if critical {
            self.critical_since.or(Some(now))
        } else {
            None
        };
        let floor = if health.charging { 4.0 } else { 15.0 };
        let low = camera.battery_percent < floor - 0.5;
        self.low_battery_since = if low {
            self.low_battery_since.or(Some(now))
        } else {
            None
        };
        let react = self.slack.health_reaction;
        let lasted = |since: Option<Instant>| {
            since.is_some_and(|s| now.saturating_duration_since(s) > react) && link_for > react
        };
        if camera.phase.is_on() && lasted(self.critical_since) {
            let what = format!("the camera streams at {:.1} °C", camera.temperature_c);
            self.fail(now, "health stops streams", what);
        }
        if camera.phase.is_on() && lasted(self.low_battery_since) {
            let what = format!(
                "the camera streams at {:.1} % battery",
                camera.battery_percent
            );
            self.fail(now, "health stops streams", what);
        }
        if camera.phase == CameraPhase::Streaming
            && lasted(self.hot_since)
            && camera.bitrate_bps > REQUESTED_BITRATE * 3 / 4
        {
            let what = format!(
                "the camera streams at {} bps at {:.1} °C",
                camera.bitrate_bps, camera.temperature_c
            );
            self.fail(now, "hot streams are throttled", what);
        }
        self.camera = camera.clone();

        // Starts end; stops reach the camera.
        let due: Vec<String> = self
            .streams
            .iter()
            .filter(|(_, t)| t.outcome_due.is_some_and(|d| now > d))
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            if let Some(t) = self.streams.get_mut(&id) {
                t.outcome_due = None;
            }
            self.fail(
                now,
                "every start ends",
                format!("{id} got neither streaming nor an end in time"),
            );
        }
        if let (true, Some(id)) = (camera.phase.is_on(), camera.stream_id.clone()) {
            let others_live = self.others_live(&id);
            // No orphan: the camera is not left running a stream the bridge said had ended.
            if let Some(t) = self.streams.get(&id) {
                let ended = t.ended.filter(|e| !t.started_since(*e));
                let since = ended.zip(self.link_healthy_since).map(|(e, l)| e.max(l));
                if since.is_some_and(|s| {
                    now.saturating_duration_since(s) > self.slack.stop_reaches_camera
                }) && !others_live
                {
                    let what =
                        format!("{id} ended (the cloud was told) but the camera still streams it");
                    self.fail(now, "no orphan stream", what);
                }
            }
            if let Some(stop) = self
                .streams
                .get(&id)
                .and_then(Tracked::stopped_and_not_restarted)
            {
                let reachable = self
                    .link_healthy_since
                    .map(|s| s.max(stop))
                    .is_some_and(|s| {
                        now.saturating_duration_since(s) > self.slack.stop_reaches_camera
                    });
                if reachable && !others_live {
                    let what = format!("{id} still on the camera after its stop");
                    self.fail(now, "a stop turns the camera off", what);
                }
            }
        }
        // Bounded.
        if internals.outbox > self.slack.outbox_capacity
            || internals.in_flight > self.slack.in_flight
            || internals.session_pending > self.slack.in_flight
            || internals.supervisor_tracked > self.slack.tracked
        {
            self.fail(now, "queues stay bounded", format!("{internals:?}"));
        }
        self.dials.push_back((now, dials));
        while self
            .dials
            .front()
            .is_some_and(|(t, _)| now.saturating_duration_since(*t) > Duration::from_secs(60))
        {
            self.dials.pop_front();
        }
        if let Some((_, first)) = self.dials.front() {
            if dials.saturating_sub(*first) > self.slack.dials_per_minute {
                let what = format!("{} cloud connections in a minute", dials - first);
                self.fail(now, "reconnects back off", what);
                self.dials.clear();
            }
        }
        // A reachable pair of glasses ends up connected (a refused hello is retried).
        if !self.incompatible
            && link_for > Duration::from_secs(45)
            && self.glasses_ready_since.is_none()
        {
            let what =
                format!("the link was healthy for {link_for:?}, the glasses never became ready");
            self.fail(now, "the glasses session recovers", what);
            self.link_healthy_since = Some(now);
        }
        // Events keep flowing while the glasses are reachable.
        if !self.incompatible && link_for > Duration::from_secs(60) {
            let quiet = self
                .last_telemetry
                .is_none_or(|t| now.saturating_duration_since(t) > Duration::from_secs(40));
            if quiet {
                self.fail(
                    now,
                    "events keep flowing",
                    "no battery or temperature for 40 s".into(),
                );
                self.last_telemetry = Some(now);
            }
        }
        // The snapshot shows a live stream while one is live.
        let live: Vec<&String> = self
            .streams
            .iter()
            .filter(|(_, t)| t.last.is_some_and(|s| !s.is_terminal()))
            .map(|(id, _)| id)
            .collect();
        if !live.is_empty() && snapshot.stream.is_none() {
            let what = format!("the UI snapshot shows no stream while {live:?} live");
            self.fail(now, "the snapshot tells the truth", what);
        }
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

    /// The world has settled: links up, faults over, time passed. The camera must carry
    /// exactly what the cloud believes live, stops must be complete, both links connected.
    pub fn quiescent(
        &mut self,
        now: Instant,
        camera: &CameraView,
        cloud: &CloudModel,
        snapshot: &BridgeState,
    ) {
        if !self.incompatible
            && !matches!(snapshot.glasses, GlassesConnectionState::Connected { .. })
        {
            let what = format!("settled, but the glasses are {:?}", snapshot.glasses);
            self.fail(now, "links recover", what);
        }
        if snapshot.cloud != CloudConnectionState::Connected {
            let what = format!("settled, but the cloud is {:?}", snapshot.cloud);
            self.fail(now, "links recover", what);
        }
        let believed: Vec<&String> = cloud
            .streams
            .iter()
            .filter(|(_, s)| s.believed_live())
            .map(|(id, _)| id)
            .collect();
        for (id, s) in &cloud.streams {
            if s.stopped.is_some() && s.believed_live() {
                let what = format!(
                    "{id} was stopped by the cloud, which last heard {:?}",
                    s.last_word
                );
                self.fail(now, "a stop completes", what);
            }
        }
        let on = camera.phase.is_on();
        match (&camera.stream_id, on) {
            (Some(id), true) => {
                let carried = believed.contains(&id)
                    || (!believed.is_empty()
                        && believed.iter().all(|b| b.starts_with('m'))
                        && id.starts_with('m'));
                if !carried {
                    let what =
                        format!("the camera streams {id}, the cloud believes {believed:?} live");
                    self.fail(now, "no orphan stream", what);
                }
            }
            _ if !believed.is_empty() => {
                let what = format!(
                    "the cloud believes {believed:?} live, the camera is {:?}",
                    camera.phase
                );
                self.fail(now, "no ghost stream", what);
            }
            _ => {}
        }
        if !self.overflowed {
            let mut out_of_order = Vec::new();
            for (id, got) in &self.received {
                let made = self.produced.get(id).cloned().unwrap_or_default();
                if !is_subsequence(got, &made) {
                    out_of_order.push(format!(
                        "{id}: the cloud got {got:?}, the bridge produced {made:?}"
                    ));
                }
            }
            for what in out_of_order {
                self.fail(now, "statuses arrive in order", what);
            }
        }
    }
}

/// A state for the order check: every end is one word (a 2025 `timeout` and our `error` for
/// the same end are the same fact).
fn order_word(state: StreamState) -> String {
    if state.is_terminal() {
        "ended".to_owned()
    } else {
        state.to_string()
    }
}

fn push_dedup(words: &mut Vec<String>, word: String) {
    if words.last() != Some(&word) && words.len() < 512 {
        words.push(word);
    }
}

fn is_subsequence(small: &[String], big: &[String]) -> bool {
    let mut it = big.iter();
    small.iter().all(|w| it.any(|b| b == w))
}
