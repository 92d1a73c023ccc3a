//! One run of the whole-bridge simulation: the real bridge (cloud client, supervisor, health,
//! session, framer, run loop) with the cloud simulator, the glasses firmware simulator and a
//! simulated link, on one single-threaded runtime under tokio's paused clock, playing a
//! schedule drawn from a seed, with the invariants checked at every step and at quiescence.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use mentra_bridge::bridge::spawn;
use mentra_bridge::cloud::{BackoffConfig, CloudConfig, CloudGeneration};
use mentra_bridge::diag::TraceChecker;
use mentra_bridge::glasses::GlassesLink;
use mentra_bridge::{BridgeConfig, BridgeEvent, BridgeHandle, Redacted};
use tokio::time::{Instant, sleep_until};

use super::app_stack::{AppStack, app_stack};
use super::checker::{Checker, Health, Seen, Slack, Violation};
use super::cloud_model::{CloudModel, Delivered};
use super::schedule::GlassesKind;
use super::schedule::{Action, LinkKind, Schedule};
use crate::cloud::{CloudSim, CloudSimConfig};
use crate::glasses::{
    CameraView, GlassesHandle, GlassesSimConfig, LiveFirmware, LiveSimConfig, SimInput,
    spawn_glasses, spawn_live_glasses,
};
use crate::link::{LinkControl, SimLinkConfig, sim_link};
use mentra_bridge::glasses::Dialect;

/// How long a run settles after its last fault before the quiescence checks.
pub const SETTLE: Duration = Duration::from_secs(150);
/// How often the world is looked at between events.
const TICK: Duration = Duration::from_millis(250);
/// The outbox bound in the simulation (small, so pressure shows).
const OUTBOX: usize = 48;

/// How a run went.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The seed.
    pub seed: u64,
    /// Broken invariants (the run stops at the first).
    pub violations: Vec<Violation>,
    /// Virtual time simulated.
    pub virtual_time: Duration,
    /// Every notable event, with its virtual time: faults, commands, what the cloud heard,
    /// what the bridge said, what the camera did.
    pub trace: Vec<String>,
    /// Actions played.
    pub actions: usize,
    /// The bridge's flight recorder, exported, when the run broke an invariant (what a user
    /// would attach to a bug report: `mentra-bridge diagnose` reads it).
    pub diagnostics: Option<String>,
}

/// A fault to undo later.
#[derive(Debug)]
enum Undo {
    LinkUp,
    LinkLoud,
    LinkLoss,
    LinkDuplicate,
    LinkReorder,
    LinkLatency,
    CloudServe,
}

struct World {
    t0: Instant,
    cloud: CloudSim,
    bridge: BridgeHandle,
    glasses: GlassesHandle,
    link: LinkControl,
    app: Option<Arc<AppStack>>,
    model: CloudModel,
    checker: Checker,
    /// The trace invariants, over the bridge's own flight recorder (the code `mentra-bridge
    /// diagnose` runs on an exported trace).
    trace_checker: TraceChecker,
    /// The recorder entry the trace checker reads next.
    trace_seq: u64,
    /// Whether the trace checker runs.
    trace_checks: bool,
    trace: Vec<String>,
    undo: Vec<(Instant, Undo)>,
    /// The world's own fault flags (counters: faults overlap).
    link_down: u32,
    link_silent: u32,
    link_lossy: u32,
    cloud_down: u32,
    charging: bool,
    base_latency: Duration,
    last_camera: CameraView,
}

/// Plays `schedule` and checks it. Builds its own single-threaded, paused runtime.
pub fn run(schedule: &Schedule) -> Outcome {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return Outcome {
                seed: schedule.seed,
                violations: vec![Violation {
                    at: Duration::ZERO,
                    rule: "the simulation runs",
                    what: format!("no runtime: {e}"),
                }],
                virtual_time: Duration::ZERO,
                trace: Vec::new(),
                actions: 0,
                diagnostics: None,
            };
        }
    };
    super::panics::watch();
    let outcome = runtime.block_on(play(schedule));
    drop(runtime);
    super::panics::unwatch();
    outcome
}

fn bridge_panicked() -> Option<String> {
    super::panics::take()
}

async fn play(schedule: &Schedule) -> Outcome {
    let t0 = Instant::now();
    let s = &schedule.settings;
    let generation = if s.cloud_2026 {
        CloudGeneration::V2026
    } else {
        CloudGeneration::V2025
    };
    let (cloud, connector) = CloudSim::in_memory(CloudSimConfig {
        token: Some("sim-core-token".into()),
        generation,
        ..Default::default()
    });
    let (phone_end, glasses_end, link) = sim_link(SimLinkConfig {
        mtu: s.mtu,
        latency: s.latency,
        seed: schedule.seed,
        ..Default::default()
    });
    let glasses_config = GlassesSimConfig {
        start_delay: s.start_delay,
        stop_delay: s.stop_delay,
        battery_percent: 80.0,
        battery_drain_per_min: 0.3,
        warming_per_min: 1.0,
        protocol_version: if s.incompatible {
            mentra_bridge::wire::PROTOCOL_VERSION + 7
        } else {
            mentra_bridge::wire::PROTOCOL_VERSION
        },
        seed: schedule.seed,
        defects: s.defects,
        ..Default::default()
    };
    let live = |firmware| LiveSimConfig {
        firmware,
        ..Default::default()
    };
    let (glasses, dialect) = match s.glasses {
        GlassesKind::Proto => (spawn_glasses(glasses_config, glasses_end), None),
        GlassesKind::Live2025 => (
            spawn_live_glasses(glasses_config, live(LiveFirmware::Y2025), glasses_end),
            Some(Dialect::MentraLive),
        ),
        GlassesKind::Live2026 => (
            spawn_live_glasses(glasses_config, live(LiveFirmware::Y2026), glasses_end),
            Some(Dialect::MentraLive),
        ),
    };
    // An owned link is told the dialect by the bridge's setting; the app's stack says it
    // itself (it knows the service it found).
    let (bridge_link, app, setting): (Box<dyn GlassesLink>, _, _) = match s.link {
        LinkKind::Owned => (Box::new(phone_end), None, dialect),
        LinkKind::Host => {
            let (host, app, _pump) = app_stack(phone_end, dialect);
            (Box::new(host), Some(app), None)
        }
    };
    let config = BridgeConfig {
        cloud: CloudConfig {
            url: cloud.url(),
            token: Redacted::new("sim-core-token".into()),
            backoff: BackoffConfig::default(),
            outbox_capacity: OUTBOX,
            seed: schedule.seed,
            ..Default::default()
        },
        event_capacity: 8192,
        dialect: setting,
        ..Default::default()
    };
    let bridge = match spawn(config, bridge_link, connector) {
        Ok(b) => b,
        Err(e) => {
            return Outcome {
                seed: schedule.seed,
                violations: vec![Violation {
                    at: Duration::ZERO,
                    rule: "the simulation runs",
                    what: format!("the bridge did not start: {e}"),
                }],
                virtual_time: Duration::ZERO,
                trace: Vec::new(),
                actions: 0,
                diagnostics: None,
            };
        }
    };
    let mut events = bridge.subscribe();
    let mut world = World {
        t0,
        model: CloudModel::new(s.keep_alive_interval, schedule.seed),
        checker: Checker::new(
            t0,
            Slack {
                outbox_capacity: OUTBOX,
                silence_noticed: if s.glasses == GlassesKind::Proto {
                    Duration::from_secs(30)
                } else {
                    mentra_bridge::glasses::live::LiveConfig::default().liveness_timeout
                },
                ..Slack::default()
            },
            s.incompatible,
        )
        .firmware_throttles(s.glasses != GlassesKind::Proto),
        trace_checker: TraceChecker::new(),
        trace_seq: 0,
        trace_checks: s.trace_checks,
        cloud,
        bridge,
        glasses,
        link,
        app,
        trace: Vec::new(),
        undo: Vec::new(),
        link_down: 0,
        link_silent: 0,
        link_lossy: 0,
        cloud_down: 0,
        charging: false,
        base_latency: s.latency,
        last_camera: CameraView::default(),
    };
    world.note(format!("world: {:?}", s));
    let mut changes = world.cloud.changes();
    let mut seen = 0usize;
    let mut actions = schedule.actions.iter().peekable();
    let end_active = t0 + schedule.active;
    let end = end_active + SETTLE;
    let mut settled = false;
    let mut next_tick = t0 + TICK;
    let mut played = 0;
    let (mut last_now, mut spins) = (t0, 0u32);
    loop {
        let now = Instant::now();
        if let Some(p) = bridge_panicked() {
            world.checker_fail(now, "no panic", p);
        }
        // A livelock: work without time passing.
        if now == last_now {
            spins += 1;
            if spins == 20_000 {
                world.checker_fail(
                    now,
                    "no livelock",
                    "20 000 steps without time passing".into(),
                );
            }
        } else {
            (last_now, spins) = (now, 0);
        }
        if !world.checker.violations().is_empty() || now >= end {
            break;
        }
        let next_action = actions.peek().map(|(at, _)| t0 + *at);
        let next_undo = world.undo.iter().map(|(t, _)| *t).min();
        let next_ka = world.model.next_due();
        let wake = [
            next_action,
            next_undo,
            next_ka,
            Some(next_tick),
            Some(end),
            (!settled).then_some(end_active),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(end);
        tokio::select! {
            biased;
            event = events.next() => match event {
                Some(e) => world.on_event(&e),
                None => {
                    world.checker_fail(Instant::now(), "events keep flowing", "the bridge's events ended".into());
                }
            },
            changed = changes.changed() => {
                if changed.is_err() {
                    // Only the bridge holds the cloud simulator's connector: it is gone.
                    world.checker_fail(Instant::now(), "events keep flowing", "the bridge dropped its cloud client for good".into());
                    continue;
                }
                let received = world.cloud.received();
                for r in &received[seen.min(received.len())..] {
                    let now = Instant::now();
                    world.model.heard(&r.message, now);
                    world.checker.cloud_received(now, &r.message);
                    world.note(format!("cloud ← {} {}", r.kind, brief(&r.message)));
                }
                seen = received.len();
            }
            _ = sleep_until(wake) => {
                let now = Instant::now();
                let before = played;
                while let Some((_, action)) = actions.next_if(|(at, _)| t0 + *at <= now) {
                    played += 1;
                    world.act(action, now).await;
                }
                if played > before {
                    // The checker sees what a fault changed before anything reacts to it.
                    world.sample(now);
                }
                world.run_undo(now);
                for d in world.model.keep_alives(&world.cloud, now).await {
                    world.checker.delivered(now, &d);
                }
                if !settled && now >= end_active {
                    settled = true;
                    world.settle(now).await;
                }
                if now >= next_tick {
                    next_tick = now + TICK;
                    world.sample(now);
                }
            }
        }
    }
    let now = Instant::now();
    if world.checker.violations().is_empty() && now >= end {
        // Drain what is still in flight, then the quiescence checks.
        while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(1), events.next()).await
        {
            world.on_event(&e);
        }
        let camera = world.glasses.camera();
        let snapshot = world.bridge.state();
        world
            .checker
            .quiescent(now, &camera, &world.model, &snapshot);
    }
    let diagnostics =
        (!world.checker.violations().is_empty()).then(|| world.bridge.export_diagnostics());
    world.bridge.shutdown().await;
    Outcome {
        seed: schedule.seed,
        violations: world.checker.violations().to_vec(),
        virtual_time: Instant::now().saturating_duration_since(t0),
        trace: world.trace,
        actions: played,
        diagnostics,
    }
}

fn brief(m: &mentra_bridge::cloud::Outgoing) -> String {
    use mentra_bridge::cloud::Outgoing;
    match m {
        Outgoing::StreamStatus(s) => format!(
            "{} {}{}",
            s.stream_id,
            s.status,
            s.error_code
                .as_deref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default()
        ),
        Outgoing::KeepAliveAck(a) => format!("{} ack {}", a.stream_id, a.ack_id),
        Outgoing::Battery(b) => format!("{}%", b.level),
        Outgoing::ConnectionState(c) => c.status.clone(),
    }
}

impl World {
    fn at(&self, now: Instant) -> f64 {
        now.saturating_duration_since(self.t0).as_secs_f64()
    }

    fn note(&mut self, line: String) {
        let t = self.at(Instant::now());
        let mut s = String::with_capacity(line.len() + 12);
        let _ = write!(s, "[{t:>8.3}s] {line}");
        self.trace.push(s);
    }

    fn checker_fail(&mut self, now: Instant, rule: &'static str, what: String) {
        // The checker's own failures carry their time; this one is the world's.
        let v = Violation {
            at: now.saturating_duration_since(self.t0),
            rule,
            what,
        };
        self.note(format!("VIOLATION {}: {}", v.rule, v.what));
        self.checker.push(v);
    }

    fn on_event(&mut self, e: &BridgeEvent) {
        let now = Instant::now();
        let line = match e {
            BridgeEvent::Stream(u) => Some(format!(
                "bridge: stream {} {}{}",
                u.stream_id,
                u.state,
                u.problem
                    .map(|p| format!(" [{}]", p.code()))
                    .unwrap_or_default()
            )),
            BridgeEvent::Glasses(g) => Some(format!("bridge: glasses {g:?}")),
            BridgeEvent::Cloud(c) => Some(format!("bridge: cloud {c:?}")),
            BridgeEvent::Warning(w) => Some(format!("bridge: warning {}", w.code)),
            BridgeEvent::Temperature(t) => Some(format!("bridge: {:.1} °C", t.celsius)),
            _ => None,
        };
        if let Some(line) = line {
            self.note(line);
        }
        let before = self.checker.violations().len();
        self.checker.bridge_event(now, e);
        self.note_new_violations(before);
        self.follow_trace();
    }

    /// Feeds what the bridge recorded since last time to the trace invariants.
    fn follow_trace(&mut self) {
        if !self.trace_checks {
            return;
        }
        let (entries, next) = self.bridge.diagnostics_since(self.trace_seq);
        self.trace_seq = next;
        for entry in &entries {
            if let Some(v) = self.trace_checker.observe(entry) {
                let v = Violation {
                    at: Duration::from_millis(v.t_ms),
                    rule: v.rule,
                    what: v.what,
                };
                self.note(format!("VIOLATION {}: {}", v.rule, v.what));
                self.checker.push(v);
            }
        }
    }

    fn note_new_violations(&mut self, before: usize) {
        let new: Vec<String> = self.checker.violations()[before..]
            .iter()
            .map(|v| format!("VIOLATION {}: {}", v.rule, v.what))
            .collect();
        for line in new {
            self.note(line);
        }
    }

    fn sample(&mut self, now: Instant) {
        self.follow_trace();
        let camera = self.glasses.camera();
        if camera.phase != self.last_camera.phase || camera.stream_id != self.last_camera.stream_id
        {
            self.note(format!(
                "camera: {:?} {}",
                camera.phase,
                camera.stream_id.as_deref().unwrap_or("-")
            ));
        }
        self.last_camera = camera.clone();
        let health = Health {
            link_healthy: self.link_down == 0 && self.link_silent == 0 && self.link_lossy == 0,
            link_reachable: self.link_down == 0 && self.link_silent == 0,
            cloud_healthy: self.cloud_down == 0,
            charging: self.charging,
        };
        let snapshot = self.bridge.state();
        let before = self.checker.violations().len();
        self.checker.sample(
            now,
            &Seen {
                camera: &camera,
                health,
                snapshot: &snapshot,
                internals: self.bridge.internals(),
                dials: self.cloud.connections(),
                bridge_running: !self.bridge.is_stopped(),
            },
        );
        self.note_new_violations(before);
    }

    async fn deliver(&mut self, now: Instant, d: Option<Delivered>, what: String) {
        match d {
            Some(d) => {
                self.note(format!("cloud → {what}"));
                self.checker.delivered(now, &d);
            }
            None => self.note(format!("cloud ✗ {what} (not connected)")),
        }
    }

    async fn act(&mut self, action: &Action, now: Instant) {
        self.note(format!("fault/command: {action}"));
        let later = |d: &Duration| now + *d;
        match action {
            Action::Start(plan) => {
                let d = self.model.start(&self.cloud, plan, now, false).await;
                self.deliver(now, d, format!("start {}", plan.id)).await;
            }
            Action::DuplicateStart(plan) => {
                let d = self.model.start(&self.cloud, plan, now, true).await;
                self.deliver(now, d, format!("start {} (twice)", plan.id))
                    .await;
            }
            Action::StopLatest => {
                if let Some(id) = self.model.latest().map(str::to_owned) {
                    let d = self.model.stop(&self.cloud, &id, now).await;
                    self.deliver(now, d, format!("stop {id}")).await;
                }
            }
            Action::StopEarliest => {
                if let Some(id) = self.model.earliest().map(str::to_owned) {
                    let d = self.model.stop(&self.cloud, &id, now).await;
                    self.deliver(now, d, format!("stop {id}")).await;
                }
            }
            Action::StopThenStart(plan) => {
                if let Some(id) = self.model.latest().map(str::to_owned) {
                    let d = self.model.stop(&self.cloud, &id, now).await;
                    self.deliver(now, d, format!("stop {id}")).await;
                }
                let d = self.model.start(&self.cloud, plan, now, false).await;
                self.deliver(now, d, format!("start {}", plan.id)).await;
            }
            Action::StopUnknown(id) => {
                let d = self.model.stop(&self.cloud, id, now).await;
                self.deliver(now, d, format!("stop {id} (unknown)")).await;
            }
            Action::KeepAliveGap(d) => self.model.gap(later(d)),
            Action::CloudClose => self.cloud.drop_connection().await,
            Action::CloudSilent(d) => {
                self.cloud.set_refusing(true);
                self.cloud.silence().await;
                self.cloud_down += 1;
                self.undo.push((later(d), Undo::CloudServe));
            }
            Action::CloudRefuse(d) => {
                self.cloud.set_refusing(true);
                self.cloud.drop_connection().await;
                self.cloud_down += 1;
                self.undo.push((later(d), Undo::CloudServe));
            }
            Action::CloudAcceptThenClose(d) => {
                self.cloud.set_accept_then_close(true);
                self.cloud.drop_connection().await;
                self.cloud_down += 1;
                self.undo.push((later(d), Undo::CloudServe));
            }
            Action::LinkDrop(d) => {
                self.link.disconnect("simulated drop");
                self.link_down += 1;
                self.undo.push((later(d), Undo::LinkUp));
            }
            Action::LinkSilent(d) => {
                self.link.set_silent(true);
                self.link_silent += 1;
                self.undo.push((later(d), Undo::LinkLoud));
            }
            Action::LinkLoss(p, d) => {
                self.link.set_loss(*p);
                self.link_lossy += 1;
                self.undo.push((later(d), Undo::LinkLoss));
            }
            Action::LinkDuplicate(p, d) => {
                self.link.set_duplicate(*p);
                self.link_lossy += 1;
                self.undo.push((later(d), Undo::LinkDuplicate));
            }
            Action::LinkReorder(p, d) => {
                self.link.set_reorder(*p);
                self.link_lossy += 1;
                self.undo.push((later(d), Undo::LinkReorder));
            }
            Action::LinkLatency(l, d) => {
                self.link.set_latency(*l);
                self.undo.push((later(d), Undo::LinkLatency));
            }
            Action::Reboot(d) => {
                self.link.disconnect("the glasses rebooted");
                self.link_down += 1;
                self.glasses.input(SimInput::Reboot).await;
                self.undo.push((later(d), Undo::LinkUp));
            }
            Action::Wifi(on) => self.glasses.set_wifi(*on).await,
            Action::Battery(p, charging) => {
                self.charging = *charging;
                self.glasses.set_battery(*p).await;
                self.glasses.set_charging(*charging).await;
            }
            Action::Temperature(t) => self.glasses.set_temperature(*t).await,
            Action::RefuseHellos(n) => {
                self.glasses.input(SimInput::RefuseHellos(*n)).await;
                if self.link_down == 0 {
                    self.link
                        .disconnect("reconnect to meet a refusing firmware");
                    self.link_down += 1;
                    self.undo.push((now + Duration::from_secs(1), Undo::LinkUp));
                }
            }
            Action::UnknownStatus => self.glasses.input(SimInput::EmitUnknownStatus).await,
            Action::AppThrows => {
                if let Some(app) = &self.app {
                    app.throw_on_next_write();
                }
            }
        }
    }

    fn run_undo(&mut self, now: Instant) {
        let (due, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.undo)
            .into_iter()
            .partition(|(t, _)| *t <= now);
        self.undo = keep;
        for (_, u) in due {
            self.note(format!("fault over: {u:?}"));
            match u {
                Undo::LinkUp => {
                    self.link_down = self.link_down.saturating_sub(1);
                    if self.link_down == 0 {
                        self.link.connect();
                    }
                }
                Undo::LinkLoud => {
                    self.link_silent = self.link_silent.saturating_sub(1);
                    if self.link_silent == 0 {
                        self.link.set_silent(false);
                    }
                }
                Undo::LinkLoss => {
                    self.link.set_loss(0.0);
                    self.link_lossy = self.link_lossy.saturating_sub(1);
                }
                Undo::LinkDuplicate => {
                    self.link.set_duplicate(0.0);
                    self.link_lossy = self.link_lossy.saturating_sub(1);
                }
                Undo::LinkReorder => {
                    self.link.set_reorder(0.0);
                    self.link_lossy = self.link_lossy.saturating_sub(1);
                }
                Undo::LinkLatency => self.link.set_latency(self.base_latency),
                Undo::CloudServe => {
                    self.cloud_down = self.cloud_down.saturating_sub(1);
                    if self.cloud_down == 0 {
                        self.cloud.set_refusing(false);
                        self.cloud.set_accept_then_close(false);
                        self.cloud.end_silence();
                    }
                }
            }
        }
    }

    /// Faults stop: every link restored, the glasses healthy, the cloud keeps alive.
    async fn settle(&mut self, now: Instant) {
        self.glasses.set_wifi(true).await;
        self.glasses.set_temperature(40.0).await;
        self.glasses.set_battery(80.0).await;
        self.glasses.set_charging(false).await;
        self.charging = false;
        self.note("settling: faults over".into());
        for (_, u) in std::mem::take(&mut self.undo) {
            self.undo.push((now, u));
        }
        self.run_undo(now);
        self.link.connect();
        self.link_down = 0;
        self.link.set_silent(false);
        self.link_silent = 0;
        self.link.set_loss(0.0);
        self.link.set_duplicate(0.0);
        self.link.set_reorder(0.0);
        self.link_lossy = 0;
        self.link.set_latency(self.base_latency);
        self.cloud.set_refusing(false);
        self.cloud.set_accept_then_close(false);
        self.cloud.end_silence();
        self.cloud_down = 0;
        self.model.settle();
    }
}
