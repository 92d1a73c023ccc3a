//! `mentra-bridge demo --scenario NAME`: each known field failure, played through the cloud
//! simulator, the bridge and the glasses simulator in virtual time (tokio's paused clock, an
//! in-memory cloud), with the real default timeouts. Prints what happens and the reason the
//! user would see; exits 0 when the bridge did what the behaviour contract says.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use mentra_bridge::bridge::spawn;
use mentra_bridge::cloud::{
    BackoffConfig, CloudConfig, CloudGeneration, MANAGED_APP_ID, Outgoing, StreamStatusMessage,
};
use mentra_bridge::{BridgeConfig, BridgeHandle, Redacted};
use mentra_sim::cloud::{
    CloudSim, CloudSimConfig, StartSpec, keep_alive_command, start_command, stop_command,
};
use mentra_sim::glasses::{GlassesHandle, GlassesSimConfig, spawn_glasses};
use mentra_sim::link::{LinkControl, SimLinkConfig, sim_link};
use tokio::time::{Instant, sleep};

use crate::print::Printer;

type Play = for<'a> fn(&'a World) -> Pin<Box<dyn Future<Output = Result<String, String>> + 'a>>;

/// A named failure and how to play it.
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    pub(crate) about: &'static str,
    /// The generation the simulated cloud speaks.
    cloud: CloudGeneration,
    glasses: fn() -> GlassesSimConfig,
    play: Play,
}

/// Everything a scenario can poke at.
pub(crate) struct World {
    cloud: Arc<CloudSim>,
    /// The cloud's keep-alive loop for the live stream (aborted at the end).
    pump: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    glasses: GlassesHandle,
    link: LinkControl,
    bridge: BridgeHandle,
    printer: Printer,
}

const ID: &str = "s4k2q7xa1bc";
const MANAGED_ID: &str = "m4k2q7xa1bc";
/// An SRT ingest with a passphrase (a secret: it must never be printed).
const SRT_URL: &str =
    "srt://ingest.example.com:9000?streamid=publish:s4k2q7xa1bc&passphrase=correct-horse-battery";

pub(crate) const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "no-wifi",
        about: "the glasses are not on Wi-Fi: the start fails at once with a reason",
        cloud: CloudGeneration::V2026,
        glasses: || GlassesSimConfig {
            wifi_connected: false,
            ..Default::default()
        },
        play: |w| Box::pin(no_wifi(w)),
    },
    Scenario {
        name: "camera-busy",
        about: "the camera is taking a photo: the start fails with camera_busy",
        cloud: CloudGeneration::V2026,
        glasses: || GlassesSimConfig {
            camera_busy: true,
            ..Default::default()
        },
        play: |w| Box::pin(camera_busy(w)),
    },
    Scenario {
        name: "start-timeout",
        about: "the encoder hangs: after 30 s the cloud hears `timeout` and the glasses are stopped",
        cloud: CloudGeneration::V2026,
        glasses: || GlassesSimConfig {
            start_hangs: true,
            ..Default::default()
        },
        play: |w| Box::pin(start_timeout(w)),
    },
    Scenario {
        name: "overheat",
        about: "the glasses heat up: warning at 70 °C, half bitrate at 80 °C, stop at 88 °C",
        cloud: CloudGeneration::V2026,
        glasses: || GlassesSimConfig {
            idle_temperature_c: 66.0,
            warming_per_min: 20.0,
            telemetry_interval: Duration::from_secs(5),
            ..Default::default()
        },
        play: |w| Box::pin(overheat(w)),
    },
    Scenario {
        name: "low-battery",
        about: "the battery runs down: below today's firmware's 15 % floor the stream stops and new starts are refused",
        cloud: CloudGeneration::V2026,
        glasses: || GlassesSimConfig {
            battery_percent: 17.0,
            battery_drain_per_min: 6.0,
            telemetry_interval: Duration::from_secs(5),
            ..Default::default()
        },
        play: |w| Box::pin(low_battery(w)),
    },
    Scenario {
        name: "glasses-link-drop",
        about: "the phone loses the glasses for 70 s: reconnecting, resync, the managed stream is restarted",
        cloud: CloudGeneration::V2026,
        glasses: GlassesSimConfig::default,
        play: |w| Box::pin(glasses_link_drop(w)),
    },
    Scenario {
        name: "cloud-link-drop",
        about: "the phone loses the cloud for 90 s: the stream runs through the 60 s grace, then stops",
        cloud: CloudGeneration::V2026,
        glasses: GlassesSimConfig::default,
        play: |w| Box::pin(cloud_link_drop(w)),
    },
    Scenario {
        name: "silent-glasses",
        about: "the glasses stop answering: the bridge notices the silence and reconnects",
        cloud: CloudGeneration::V2026,
        glasses: || GlassesSimConfig {
            die_after: Some(Duration::from_secs(20)),
            ..Default::default()
        },
        play: |w| Box::pin(silent_glasses(w)),
    },
    Scenario {
        name: "srt-unmanaged",
        about: "an app streams to its own SRT server through a 2026 cloud; the passphrase is never printed",
        cloud: CloudGeneration::V2026,
        glasses: GlassesSimConfig::default,
        play: |w| Box::pin(srt_unmanaged(w)),
    },
    Scenario {
        name: "cloud-2025",
        about: "a 2025 cloud (start_rtmp_stream, rtmp_stream_status): the bridge answers in its words",
        cloud: CloudGeneration::V2025,
        glasses: GlassesSimConfig::default,
        play: |w| Box::pin(cloud_2025(w)),
    },
];

/// Prints the scenarios.
pub(crate) fn list() {
    for s in SCENARIOS {
        println!("{:<18} {}", s.name, s.about);
    }
}

/// Plays one scenario on a paused clock.
pub(crate) fn play(name: &str) -> Result<(), String> {
    let Some(scenario) = SCENARIOS.iter().find(|s| s.name == name) else {
        return Err(format!(
            "no scenario named {name:?}; `mentra-bridge demo --list-scenarios` lists them"
        ));
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let wall = std::time::Instant::now();
        let world = World::new(scenario.cloud, (scenario.glasses)())?;
        world.printer.say(
            "scenario",
            &format!("{}: {}", scenario.name, scenario.about),
        );
        let mut events = world.bridge.subscribe();
        let printer = Printer::new(world.printer.t0());
        let watcher = tokio::spawn(async move {
            while let Some(e) = events.next().await {
                printer.event(&e);
            }
        });
        let outcome = (scenario.play)(&world).await;
        for pump in world
            .pump
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
        {
            pump.abort();
        }
        sleep(Duration::from_millis(50)).await;
        world.bridge.shutdown().await;
        let _ = watcher.await;
        let played = world.printer.t0().elapsed();
        match outcome {
            Ok(reason) => {
                world.printer.say("user sees", &reason);
                world.printer.say(
                    "scenario",
                    &format!(
                        "done: {:.0} s of virtual time in {:.2} s",
                        played.as_secs_f64(),
                        wall.elapsed().as_secs_f64()
                    ),
                );
                Ok(())
            }
            Err(e) => Err(format!(
                "scenario {} did not go as expected: {e}",
                scenario.name
            )),
        }
    })
}

impl World {
    fn new(generation: CloudGeneration, glasses: GlassesSimConfig) -> Result<Self, String> {
        let printer = Printer::new(Instant::now());
        let (cloud, connector) = CloudSim::in_memory(CloudSimConfig {
            token: Some("scenario-token".into()),
            generation,
            ..Default::default()
        });
        let (phone_end, glasses_end, link) = sim_link(SimLinkConfig {
            mtu: 185,
            latency: Duration::from_millis(8),
            ..Default::default()
        });
        let glasses = spawn_glasses(glasses, glasses_end);
        let config = BridgeConfig {
            cloud: CloudConfig {
                url: cloud.url(),
                token: Redacted::new("scenario-token".into()),
                backoff: BackoffConfig {
                    max: Duration::from_secs(5),
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        };
        let bridge = spawn(config, Box::new(phone_end), Arc::clone(&connector))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            cloud: Arc::new(cloud),
            pump: std::sync::Mutex::new(Vec::new()),
            glasses,
            link,
            bridge,
            printer,
        })
    }

    async fn ready(&self) -> Result<(), String> {
        self.cloud
            .wait_for(
                0,
                Duration::from_secs(30),
                |m| matches!(m, Outgoing::ConnectionState(c) if c.status == "CONNECTED"),
            )
            .await
            .map(|_| ())
            .ok_or_else(|| "the glasses never connected".to_owned())
    }

    /// The cloud starts a stream to an RTMPS ingest with telemetry on (`app` =
    /// `MANAGED_STREAM` for a managed one).
    async fn start(&self, id: &str, app: &str) -> Result<usize, String> {
        self.start_spec(StartSpec {
            stream_id: id.into(),
            url: format!("rtmps://ingest.example.com/live/{id}-key"),
            managed: app == MANAGED_APP_ID,
            app_id: app.into(),
            telemetry: Some(true),
            ..Default::default()
        })
        .await
    }

    async fn start_spec(&self, spec: StartSpec) -> Result<usize, String> {
        let cursor = self.cloud.cursor();
        let start = start_command(&spec, self.cloud.generation());
        self.printer.say(
            "cloud sim",
            &format!(
                "→ {} {}",
                start.type_name(self.cloud.generation()),
                spec.stream_id
            ),
        );
        if self.cloud.send(&start).await {
            Ok(cursor)
        } else {
            Err("the bridge is not connected to the cloud".into())
        }
    }

    async fn stop(&self, id: &str) -> Result<usize, String> {
        let cursor = self.cloud.cursor();
        let stop = stop_command(id, "com.mentra.streamer");
        self.printer.say(
            "cloud sim",
            &format!("→ {} {id}", stop.type_name(self.cloud.generation())),
        );
        let ok = self.cloud.send(&stop).await;
        if ok {
            Ok(cursor)
        } else {
            Err("the bridge is not connected to the cloud".into())
        }
    }

    /// Waits for a status of `id` with one of `words`; returns it.
    async fn status(
        &self,
        cursor: usize,
        id: &str,
        words: &[&str],
        within: Duration,
    ) -> Result<StreamStatusMessage, String> {
        match self
            .cloud
            .wait_for(cursor, within, |m| {
                matches!(m, Outgoing::StreamStatus(s) if s.stream_id == id && words.contains(&s.status.as_str()))
            })
            .await
        {
            Some((_, Outgoing::StreamStatus(s))) => Ok(s),
            _ => Err(format!("the cloud never heard {words:?} for {id}")),
        }
    }

    /// Waits for any status with this error code.
    async fn code(
        &self,
        cursor: usize,
        code: &str,
        within: Duration,
    ) -> Result<StreamStatusMessage, String> {
        match self
            .cloud
            .wait_for(
                cursor,
                within,
                |m| matches!(m, Outgoing::StreamStatus(s) if s.error_code.as_deref() == Some(code)),
            )
            .await
        {
            Some((_, Outgoing::StreamStatus(s))) => Ok(s),
            _ => Err(format!("the cloud never heard {code}")),
        }
    }

    async fn live(&self, id: &str, app: &str) -> Result<(), String> {
        self.ready().await?;
        let c = self.start(id, app).await?;
        self.status(c, id, &["streaming"], Duration::from_secs(10))
            .await?;
        self.pump_keep_alives(id);
        Ok(())
    }

    /// Like the MentraOS cloud: a keep-alive every 15 s while the stream lives.
    fn pump_keep_alives(&self, id: &str) {
        let cloud = Arc::clone(&self.cloud);
        let id = id.to_owned();
        let pump = tokio::spawn(async move {
            for n in 1u32.. {
                sleep(Duration::from_secs(15)).await;
                let _ = cloud
                    .send(&keep_alive_command(&id, &format!("a{n:05}")))
                    .await;
            }
        });
        self.pump
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(pump);
    }
}

fn expect(status: &StreamStatusMessage, code: &str) -> Result<String, String> {
    if status.error_code.as_deref() == Some(code) {
        Ok(status.error_details.clone().unwrap_or_default())
    } else {
        Err(format!("expected {code}, got {:?}", status.error_code))
    }
}

async fn no_wifi(w: &World) -> Result<String, String> {
    w.ready().await?;
    sleep(Duration::from_millis(100)).await;
    let c = w.start(ID, "com.mentra.streamer").await?;
    let s = w.status(c, ID, &["error"], Duration::from_secs(2)).await?;
    expect(&s, "no_wifi_connection")
}

async fn camera_busy(w: &World) -> Result<String, String> {
    w.ready().await?;
    let c = w.start(ID, "com.mentra.streamer").await?;
    let s = w.status(c, ID, &["error"], Duration::from_secs(2)).await?;
    expect(&s, "camera_busy")
}

async fn start_timeout(w: &World) -> Result<String, String> {
    w.ready().await?;
    let c = w.start(ID, "com.mentra.streamer").await?;
    // A 2025 cloud hears `timeout`; a 2026 one `error`, which its managed path reads as failed.
    let s = w
        .status(c, ID, &["timeout", "error"], Duration::from_secs(40))
        .await?;
    sleep(Duration::from_secs(1)).await;
    if mentra_sim_stream_running(&w.glasses) {
        return Err("the glasses were left streaming".into());
    }
    expect(&s, "start_timeout")
}

async fn overheat(w: &World) -> Result<String, String> {
    w.live(ID, "com.mentra.streamer").await?;
    let c = w.cloud.cursor();
    w.code(c, "thermal_warning", Duration::from_secs(60))
        .await?;
    w.code(c, "thermal_throttle", Duration::from_secs(120))
        .await?;
    let s = w
        .status(c, ID, &["stopped"], Duration::from_secs(180))
        .await?;
    expect(&s, "overheated")
}

async fn low_battery(w: &World) -> Result<String, String> {
    w.live(ID, "com.mentra.streamer").await?;
    let c = w.cloud.cursor();
    let s = w
        .status(c, ID, &["stopped"], Duration::from_secs(180))
        .await?;
    let reason = expect(&s, "battery_low")?;
    let c = w.start("s4k2q7xretry", "com.mentra.streamer").await?;
    let refused = w
        .status(c, "s4k2q7xretry", &["error"], Duration::from_secs(2))
        .await?;
    expect(&refused, "battery_low")?;
    Ok(reason)
}

async fn glasses_link_drop(w: &World) -> Result<String, String> {
    w.live(MANAGED_ID, MANAGED_APP_ID).await?;
    let c = w.cloud.cursor();
    w.printer
        .say("scenario", "the glasses go out of range for 70 s");
    w.link.disconnect("out of range");
    w.status(c, MANAGED_ID, &["reconnecting"], Duration::from_secs(2))
        .await?;
    sleep(Duration::from_secs(70)).await;
    let c = w.cloud.cursor();
    w.printer.say("scenario", "the glasses come back");
    w.link.connect();
    w.status(c, MANAGED_ID, &["initializing"], Duration::from_secs(10))
        .await?;
    w.status(c, MANAGED_ID, &["streaming"], Duration::from_secs(10))
        .await?;
    let c = w.stop(MANAGED_ID).await?;
    w.status(c, MANAGED_ID, &["stopped"], Duration::from_secs(10))
        .await?;
    Ok("The stream came back by itself after the glasses reconnected".into())
}

async fn cloud_link_drop(w: &World) -> Result<String, String> {
    w.live(ID, "com.mentra.streamer").await?;
    w.printer
        .say("scenario", "the phone loses the cloud for 90 s");
    w.cloud.set_refusing(true);
    w.cloud.drop_connection().await;
    sleep(Duration::from_secs(90)).await;
    let c = w.cloud.cursor();
    w.printer.say("scenario", "the cloud is reachable again");
    w.cloud.set_refusing(false);
    let s = w
        .status(c, ID, &["stopped"], Duration::from_secs(30))
        .await?;
    expect(&s, "cloud_link_lost")
}

async fn silent_glasses(w: &World) -> Result<String, String> {
    w.live(ID, "com.mentra.streamer").await?;
    let c = w.cloud.cursor();
    w.printer
        .say("scenario", "the glasses stop answering at 20 s");
    let s = w.status(c, ID, &["error"], Duration::from_secs(90)).await?;
    expect(&s, "glasses_link_lost")
}

async fn srt_unmanaged(w: &World) -> Result<String, String> {
    w.ready().await?;
    let c = w
        .start_spec(StartSpec {
            stream_id: ID.into(),
            url: SRT_URL.into(),
            app_id: "com.example.srtcaster".into(),
            telemetry: Some(true),
            ..Default::default()
        })
        .await?;
    let live = w
        .status(c, ID, &["streaming", "error"], Duration::from_secs(10))
        .await?;
    if live.status == "error" {
        return Err(format!("the SRT start failed: {:?}", live.error_details));
    }
    let transport = live
        .resolved_config
        .as_ref()
        .and_then(|r| r.transport.clone());
    if transport.as_deref() != Some("srt") {
        return Err(format!("the cloud heard transport {transport:?}, not srt"));
    }
    w.pump_keep_alives(ID);
    sleep(Duration::from_secs(40)).await;
    let c = w.stop(ID).await?;
    w.status(c, ID, &["stopped"], Duration::from_secs(10))
        .await?;
    let leaked = w
        .cloud
        .received()
        .iter()
        .any(|r| format!("{:?}", r.message).contains("correct-horse"));
    if leaked {
        return Err("the SRT passphrase reached the cloud".into());
    }
    Ok("The SRT stream ran 40 s and stopped; its passphrase was never printed or sent back".into())
}

async fn cloud_2025(w: &World) -> Result<String, String> {
    w.live(ID, "com.mentra.streamer").await?;
    sleep(Duration::from_secs(31)).await;
    let c = w.stop(ID).await?;
    w.status(c, ID, &["stopped"], Duration::from_secs(10))
        .await?;
    let received = w.cloud.received();
    let kinds: Vec<&str> = received
        .iter()
        .filter(|r| matches!(r.message, Outgoing::StreamStatus(_)))
        .map(|r| r.kind.as_str())
        .collect();
    if kinds.is_empty() || kinds.iter().any(|k| *k != "rtmp_stream_status") {
        return Err(format!("the 2025 cloud got statuses named {kinds:?}"));
    }
    let acks = received
        .iter()
        .filter(|r| matches!(r.message, Outgoing::KeepAliveAck(_)))
        .count();
    Ok(format!(
        "The 2025 cloud heard {} rtmp_stream_status messages and {acks} keep_alive_ack, nothing of 2026",
        kinds.len()
    ))
}

/// True when the glasses' last stream status says a stream is starting or live.
fn mentra_sim_stream_running(glasses: &GlassesHandle) -> bool {
    use mentra_bridge::wire::proto::{StreamState, glasses_to_phone::Body as G};
    glasses
        .sent()
        .into_iter()
        .rev()
        .find_map(|m| match m.body {
            Some(G::StreamStatus(s)) => Some(s.state),
            _ => None,
        })
        .is_some_and(|s| {
            s == StreamState::Streaming as i32 || s == StreamState::Initializing as i32
        })
}
