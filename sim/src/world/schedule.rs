//! What happens to a simulated world, drawn from one seed: its settings (MTU, latencies, cloud
//! generation, link kind) and a schedule of cloud commands and faults over the run. The same
//! seed always gives the same world and the same schedule.

use std::fmt;
use std::time::Duration;

use mentra_bridge::rng::SeededRng;

use crate::cloud::cloud_stream_id;

/// How the bridge reaches the glasses in this world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// The bridge's own link (the simulated BLE link).
    Owned,
    /// The app moves the bytes (a `HostLink` over a fake app BLE stack, whose callbacks can
    /// throw).
    Host,
}

/// The ingest a start names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingest {
    /// `rtmps://…`
    Rtmp,
    /// `srt://host:port?…`
    Srt,
    /// `https://…/webRTC/publish`
    Whip,
    /// A URL the bridge must refuse (`rtsp://…`).
    Bad,
}

impl Ingest {
    /// An ingest URL for stream `id`.
    pub fn url(self, id: &str) -> String {
        match self {
            Ingest::Rtmp => format!("rtmps://ingest.example.com/live/{id}-key"),
            Ingest::Srt => {
                format!("srt://ingest.example.com:9000?streamid={id}&passphrase=sim-passphrase-1")
            }
            Ingest::Whip => {
                format!("https://customer-sim.cloudflarestream.com/{id}0123456789/webRTC/publish")
            }
            Ingest::Bad => format!("rtsp://ingest.example.com/{id}"),
        }
    }
}

/// A start the cloud sends.
#[derive(Debug, Clone, PartialEq)]
pub struct StartPlan {
    /// Stream id (`s…` or `m…` + 10 base36 chars).
    pub id: String,
    /// Managed (`MANAGED_STREAM`).
    pub managed: bool,
    /// Where to.
    pub ingest: Ingest,
    /// Duration limit, seconds.
    pub duration_limit: Option<u32>,
    /// Ask for 1 Hz stats.
    pub telemetry: bool,
}

/// One thing that happens at a scheduled moment.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    // --- cloud commands ---
    /// The cloud starts a stream.
    Start(StartPlan),
    /// The cloud sends the same start twice, back to back.
    DuplicateStart(StartPlan),
    /// The cloud stops the stream it started most recently (if any).
    StopLatest,
    /// The cloud stops the earliest stream it has not stopped yet (for a shared stream: its
    /// first viewer, while later ones still watch).
    StopEarliest,
    /// The cloud stops its latest stream and at once starts another (a takeover).
    StopThenStart(StartPlan),
    /// The cloud stops a stream it never started.
    StopUnknown(String),
    /// The cloud sends no keep-alives for this long.
    KeepAliveGap(Duration),

    // --- the cloud link ---
    /// The cloud closes the WebSocket cleanly (a cloud restart) and accepts the reconnect.
    CloudClose,
    /// The cloud dies without a word, and refuses reconnects, for this long.
    CloudSilent(Duration),
    /// The cloud refuses connections for this long.
    CloudRefuse(Duration),
    /// The cloud accepts every connection and closes it at once, for this long.
    CloudAcceptThenClose(Duration),

    // --- the glasses link ---
    /// The link drops (both ends told) and comes back after this long.
    LinkDrop(Duration),
    /// Packets vanish both ways, nobody told, for this long.
    LinkSilent(Duration),
    /// Lose this share of packets for this long.
    LinkLoss(f64, Duration),
    /// Duplicate this share of packets for this long.
    LinkDuplicate(f64, Duration),
    /// Reorder this share of packets for this long.
    LinkReorder(f64, Duration),
    /// Delay every packet this much for this long.
    LinkLatency(Duration, Duration),

    // --- the glasses ---
    /// The glasses reboot (the link drops) and are back after this long, remembering nothing.
    Reboot(Duration),
    /// The glasses join or leave Wi-Fi.
    Wifi(bool),
    /// The battery reads this level, on a charger or not.
    Battery(f64, bool),
    /// The glasses read this temperature.
    Temperature(f64),
    /// The next `n` hellos are answered with an error, and the link drops to make one happen.
    RefuseHellos(u32),
    /// The glasses report the current stream in a state the bridge does not know.
    UnknownStatus,
    /// The app's BLE stack throws from its next write (host-link worlds only).
    AppThrows,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Start(p) => write!(f, "cloud starts {}", plan(p)),
            Action::DuplicateStart(p) => write!(f, "cloud starts {} twice", plan(p)),
            Action::StopLatest => f.write_str("cloud stops its latest stream"),
            Action::StopEarliest => f.write_str("cloud stops its earliest running stream"),
            Action::StopThenStart(p) => {
                write!(f, "cloud stops its latest stream, then starts {}", plan(p))
            }
            Action::StopUnknown(id) => write!(f, "cloud stops unknown stream {id}"),
            Action::KeepAliveGap(d) => write!(f, "cloud sends no keep-alives for {}", secs(*d)),
            Action::CloudClose => f.write_str("cloud closes the WebSocket"),
            Action::CloudSilent(d) => write!(f, "cloud dies silently for {}", secs(*d)),
            Action::CloudRefuse(d) => write!(f, "cloud refuses connections for {}", secs(*d)),
            Action::CloudAcceptThenClose(d) => {
                write!(
                    f,
                    "cloud accepts and closes every connection for {}",
                    secs(*d)
                )
            }
            Action::LinkDrop(d) => write!(f, "glasses link drops for {}", secs(*d)),
            Action::LinkSilent(d) => write!(f, "glasses link goes silent for {}", secs(*d)),
            Action::LinkLoss(p, d) => {
                write!(f, "glasses link loses {:.0}% for {}", p * 100.0, secs(*d))
            }
            Action::LinkDuplicate(p, d) => {
                write!(
                    f,
                    "glasses link duplicates {:.0}% for {}",
                    p * 100.0,
                    secs(*d)
                )
            }
            Action::LinkReorder(p, d) => {
                write!(
                    f,
                    "glasses link reorders {:.0}% for {}",
                    p * 100.0,
                    secs(*d)
                )
            }
            Action::LinkLatency(l, d) => {
                write!(
                    f,
                    "glasses link delays {} ms for {}",
                    l.as_millis(),
                    secs(*d)
                )
            }
            Action::Reboot(d) => write!(f, "glasses reboot, back in {}", secs(*d)),
            Action::Wifi(on) => write!(f, "glasses {} Wi-Fi", if *on { "join" } else { "leave" }),
            Action::Battery(p, c) => {
                write!(
                    f,
                    "battery {p:.0}%{}",
                    if *c { " on a charger" } else { "" }
                )
            }
            Action::Temperature(t) => write!(f, "glasses at {t:.0} °C"),
            Action::RefuseHellos(n) => write!(f, "glasses refuse the next {n} hellos"),
            Action::UnknownStatus => f.write_str("glasses report an unknown stream state"),
            Action::AppThrows => f.write_str("the app's BLE stack throws on its next write"),
        }
    }
}

fn plan(p: &StartPlan) -> String {
    format!(
        "{} {} ({:?}{}{})",
        if p.managed { "managed" } else { "unmanaged" },
        p.id,
        p.ingest,
        p.duration_limit
            .map(|d| format!(", limit {d} s"))
            .unwrap_or_default(),
        if p.telemetry { ", telemetry" } else { "" }
    )
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// A world's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldSettings {
    /// ATT MTU of the glasses link.
    pub mtu: u16,
    /// Base latency of the glasses link, each way.
    pub latency: Duration,
    /// The generation the cloud speaks.
    pub cloud_2026: bool,
    /// How the bridge reaches the glasses.
    pub link: LinkKind,
    /// The cloud's keep-alive interval (15 s for the cloud; 5 s like the phone SDK).
    pub keep_alive_interval: Duration,
    /// Time the glasses take from start to `streaming`.
    pub start_delay: Duration,
    /// Time the glasses take from stop to `stopped`.
    pub stop_delay: Duration,
    /// The glasses speak a protocol version the bridge does not.
    pub incompatible: bool,
    /// What the glasses are: our protobuf firmware, or Mentra Live firmware of 2025 or 2026.
    pub glasses: GlassesKind,
    /// Deliberate firmware defects (never drawn: set by tests that need a failing world).
    pub defects: crate::glasses::Defects,
    /// Run the trace invariants over the bridge's recorder as the world plays. Default true;
    /// a test turns it off to compare them with the world's own checks.
    pub trace_checks: bool,
}

/// The glasses firmware of a world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlassesKind {
    /// Our protobuf schema.
    Proto,
    /// Mentra Live, 2025 firmware (K900 v1, RTMP names, keep-alive watchdog).
    Live2025,
    /// Mentra Live, 2026 firmware (Wire v2, the controller lease).
    Live2026,
}

/// A world's settings and everything that happens in it.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The seed it was drawn from.
    pub seed: u64,
    /// Settings.
    pub settings: WorldSettings,
    /// When each action happens (from the start of the run), in order.
    pub actions: Vec<(Duration, Action)>,
    /// When faults and commands stop; the world then settles and is checked.
    pub active: Duration,
}

/// Draws a world and its schedule from `seed`: `active` of commands and faults.
pub fn draw(seed: u64, active: Duration) -> Schedule {
    let mut rng = SeededRng::new(seed ^ 0x6d65_6e74_7261_2d73);
    let pick =
        |rng: &mut SeededRng, choices: &[u64]| choices[rng.below(choices.len() as u64) as usize];
    let settings = WorldSettings {
        mtu: [23u16, 185, 247][rng.below(3) as usize],
        latency: Duration::from_millis(pick(&mut rng, &[2, 8, 20, 40])),
        cloud_2026: rng.chance(0.7),
        link: if rng.chance(0.3) {
            LinkKind::Host
        } else {
            LinkKind::Owned
        },
        keep_alive_interval: if rng.chance(0.8) {
            Duration::from_secs(15)
        } else {
            Duration::from_secs(5)
        },
        start_delay: Duration::from_millis(pick(&mut rng, &[200, 800, 2000, 6000])),
        stop_delay: Duration::from_millis(pick(&mut rng, &[50, 200, 1500])),
        incompatible: rng.chance(0.02),
        glasses: GlassesKind::Proto,
        defects: crate::glasses::Defects::default(),
        trace_checks: true,
    };
    // Drawn apart, so a seed's world is otherwise what it was before the dialect existed.
    let mut dialect_rng = SeededRng::new(seed ^ 0x4c49_5645_6469_616c);
    let mut settings = settings;
    settings.glasses = match dialect_rng.below(10) {
        0..=5 => GlassesKind::Proto,
        6 => GlassesKind::Live2025,
        _ => GlassesKind::Live2026,
    };
    if settings.glasses != GlassesKind::Proto {
        // Mentra Live firmware has no protocol version to disagree on.
        settings.incompatible = false;
    }
    let mut actions = Vec::new();
    let mut t = Duration::from_secs(2) + Duration::from_millis(rng.below(3000));
    while t < active {
        let action = draw_action(&mut rng, &settings);
        actions.push((t, action));
        // Mostly a few seconds apart, sometimes a burst, sometimes a long quiet.
        let gap_ms = match rng.below(10) {
            0 => rng.below(300),
            1..=6 => 1_000 + rng.below(15_000),
            _ => 15_000 + rng.below(45_000),
        };
        t += Duration::from_millis(gap_ms);
    }
    Schedule {
        seed,
        settings,
        actions,
        active,
    }
}

fn draw_plan(rng: &mut SeededRng, settings: &WorldSettings) -> StartPlan {
    let managed = rng.chance(0.4);
    let ingest = match rng.below(20) {
        0 => Ingest::Bad,
        1..=3 if settings.cloud_2026 => Ingest::Srt,
        4..=8 if settings.cloud_2026 => Ingest::Whip,
        _ => Ingest::Rtmp,
    };
    StartPlan {
        id: cloud_stream_id(rng, managed),
        managed,
        ingest,
        duration_limit: rng.chance(0.2).then(|| 30 + rng.below(240) as u32),
        telemetry: rng.chance(0.5),
    }
}

fn secs_between(rng: &mut SeededRng, lo: u64, hi: u64) -> Duration {
    Duration::from_millis(lo * 1000 + rng.below((hi - lo) * 1000))
}

fn draw_action(rng: &mut SeededRng, settings: &WorldSettings) -> Action {
    match rng.below(100) {
        0..=17 => Action::Start(draw_plan(rng, settings)),
        18..=20 => Action::DuplicateStart(draw_plan(rng, settings)),
        21..=26 => Action::StopLatest,
        27..=29 => Action::StopEarliest,
        30..=34 => Action::StopThenStart(draw_plan(rng, settings)),
        35..=36 => Action::StopUnknown(cloud_stream_id(rng, false)),
        37..=39 => Action::KeepAliveGap(secs_between(rng, 20, 90)),
        40..=42 => Action::CloudClose,
        43..=44 => Action::CloudSilent(secs_between(rng, 10, 120)),
        45 => Action::CloudSilent(secs_between(rng, 120, 400)),
        46..=48 => Action::CloudRefuse(secs_between(rng, 5, 120)),
        49..=50 => Action::CloudAcceptThenClose(secs_between(rng, 10, 60)),
        51..=57 => Action::LinkDrop(secs_between(rng, 1, 90)),
        58..=61 => Action::LinkSilent(secs_between(rng, 2, 60)),
        62..=64 => Action::LinkLoss(0.05 + rng.unit() * 0.3, secs_between(rng, 5, 60)),
        65..=66 => Action::LinkDuplicate(0.1 + rng.unit() * 0.4, secs_between(rng, 5, 60)),
        67..=68 => Action::LinkReorder(0.1 + rng.unit() * 0.4, secs_between(rng, 5, 60)),
        69..=70 => Action::LinkLatency(
            Duration::from_millis(50 + rng.below(400)),
            secs_between(rng, 5, 60),
        ),
        71..=73 => Action::Reboot(secs_between(rng, 5, 40)),
        74..=76 => Action::Wifi(rng.chance(0.5)),
        77..=81 => Action::Battery(
            [90.0, 50.0, 20.0, 15.0, 14.0, 10.0, 4.0, 3.0][rng.below(8) as usize],
            rng.chance(0.4),
        ),
        82..=87 => {
            Action::Temperature([38.0, 55.0, 72.0, 79.0, 82.0, 86.0, 90.0][rng.below(7) as usize])
        }
        88..=89 => Action::RefuseHellos(1 + rng.below(3) as u32),
        90..=91 => Action::UnknownStatus,
        92..=93 if settings.link == LinkKind::Host => Action::AppThrows,
        _ => Action::Start(draw_plan(rng, settings)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_world() {
        let a = draw(42, Duration::from_secs(600));
        let b = draw(42, Duration::from_secs(600));
        assert_eq!(a.settings, b.settings);
        assert_eq!(a.actions, b.actions);
        let c = draw(43, Duration::from_secs(600));
        assert_ne!(a.actions, c.actions);
        assert!(a.actions.len() > 20, "{} actions", a.actions.len());
        assert!(a.actions.windows(2).all(|w| w[0].0 <= w[1].0));
    }
}
