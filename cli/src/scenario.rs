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
    BackoffConfig, CloudCommand, CloudConfig, KeepRtmpStreamAlive, Outgoing, RtmpStreamStatus,
    StartRtmpStream, StopRtmpStream,
};
use mentra_bridge::{BridgeConfig, BridgeHandle, Redacted};
use mentra_sim::cloud::{CloudSim, CloudSimConfig};
use mentra_sim::glasses::{GlassesHandle, GlassesSimConfig, spawn_glasses};
use mentra_sim::link::{LinkControl, SimLinkConfig, sim_link};
use tokio::time::{Instant, sleep};

use crate::print::Printer;

type Play = for<'a> fn(&'a World) -> Pin<Box<dyn Future<Output = Result<String, String>> + 'a>>;

/// A named failure and how to play it.
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    pub(crate) about: &'static str,
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

const ID: &str = "sm4k2q7xa1";

pub(crate) const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "no-wifi",
        about: "the glasses are not on Wi-Fi: the start fails at once with a reason",
        glasses: || GlassesSimConfig {
            wifi_connected: false,
            ..Default::default()
        },
        play: |w| Box::pin(no_wifi(w)),
    },
    Scenario {
        name: "camera-busy",
        about: "the camera is taking a photo: the start fails with camera_busy",
        glasses: || GlassesSimConfig {
            camera_busy: true,
            ..Default::default()
        },
        play: |w| Box::pin(camera_busy(w)),
    },
    Scenario {
        name: "start-timeout",
        about: "the encoder hangs: after 30 s the cloud hears `timeout` and the glasses are stopped",
        glasses: || GlassesSimConfig {
            start_hangs: true,
            ..Default::default()
        },
        play: |w| Box::pin(start_timeout(w)),
    },
    Scenario {
        name: "overheat",
        about: "the glasses heat up: warning at 70 °C, half bitrate at 80 °C, stop at 88 °C",
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
        about: "the battery runs down: warning at 10 %, stop at 5 %, new starts refused",
        glasses: || GlassesSimConfig {
            battery_percent: 12.0,
            battery_drain_per_min: 6.0,
            telemetry_interval: Duration::from_secs(5),
            ..Default::default()
        },
        play: |w| Box::pin(low_battery(w)),
    },
    Scenario {
        name: "glasses-link-drop",
        about: "the phone loses the glasses for 70 s: reconnecting, resync, the managed stream is restarted",
        glasses: GlassesSimConfig::default,
        play: |w| Box::pin(glasses_link_drop(w)),
    },
    Scenario {
        name: "cloud-link-drop",
        about: "the phone loses the cloud for 90 s: the stream runs through the 60 s grace, then stops",
        glasses: GlassesSimConfig::default,
        play: |w| Box::pin(cloud_link_drop(w)),
    },
    Scenario {
        name: "silent-glasses",
        about: "the glasses stop answering: the bridge notices the silence and reconnects",
        glasses: || GlassesSimConfig {
            die_after: Some(Duration::from_secs(20)),
            ..Default::default()
        },
        play: |w| Box::pin(silent_glasses(w)),
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
        let world = World::new((scenario.glasses)())?;
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
    fn new(glasses: GlassesSimConfig) -> Result<Self, String> {
        let printer = Printer::new(Instant::now());
        let (cloud, connector) = CloudSim::in_memory(CloudSimConfig {
            token: Some("scenario-token".into()),
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

    async fn start(&self, id: &str, app: &str) -> Result<usize, String> {
        let cursor = self.cloud.cursor();
        self.printer
            .say("cloud sim", &format!("→ start_rtmp_stream {id}"));
        let ok = self
            .cloud
            .send(&CloudCommand::StartStream(StartRtmpStream {
                session_id: Some("scenario".into()),
                rtmp_url: Redacted::new(format!("rtmps://ingest.example.com/live/{id}-key")),
                app_id: Some(app.into()),
                stream_id: id.into(),
                video: Default::default(),
                audio: Default::default(),
                stream: Default::default(),
            }))
            .await;
        if ok {
            Ok(cursor)
        } else {
            Err("the bridge is not connected to the cloud".into())
        }
    }

    async fn stop(&self, id: &str) -> Result<usize, String> {
        let cursor = self.cloud.cursor();
        self.printer
            .say("cloud sim", &format!("→ stop_rtmp_stream {id}"));
        let ok = self
            .cloud
            .send(&CloudCommand::StopStream(StopRtmpStream {
                session_id: None,
                app_id: None,
                stream_id: id.into(),
            }))
            .await;
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
    ) -> Result<RtmpStreamStatus, String> {
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
    ) -> Result<RtmpStreamStatus, String> {
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
        // Like the MentraOS cloud: a keep-alive every 15 s while the stream lives.
        let cloud = Arc::clone(&self.cloud);
        let id = id.to_owned();
        let pump = tokio::spawn(async move {
            for n in 1u32.. {
                sleep(Duration::from_secs(15)).await;
                let ka = CloudCommand::KeepAlive(KeepRtmpStreamAlive {
                    stream_id: id.clone(),
                    ack_id: format!("a{n:05}"),
                });
                let _ = cloud.send(&ka).await;
            }
        });
        self.pump
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(pump);
        Ok(())
    }
}

fn expect(status: &RtmpStreamStatus, code: &str) -> Result<String, String> {
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
    let s = w
        .status(c, ID, &["timeout"], Duration::from_secs(40))
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
    w.code(c, "battery_low_warning", Duration::from_secs(120))
        .await?;
    let s = w
        .status(c, ID, &["stopped"], Duration::from_secs(180))
        .await?;
    let reason = expect(&s, "battery_low")?;
    let c = w.start("sretry00001", "com.mentra.streamer").await?;
    let refused = w
        .status(c, "sretry00001", &["error"], Duration::from_secs(2))
        .await?;
    expect(&refused, "battery_low")?;
    Ok(reason)
}

async fn glasses_link_drop(w: &World) -> Result<String, String> {
    w.live(ID, "MANAGED_STREAM").await?;
    let c = w.cloud.cursor();
    w.printer
        .say("scenario", "the glasses go out of range for 70 s");
    w.link.disconnect("out of range");
    w.status(c, ID, &["reconnecting"], Duration::from_secs(2))
        .await?;
    sleep(Duration::from_secs(70)).await;
    let c = w.cloud.cursor();
    w.printer.say("scenario", "the glasses come back");
    w.link.connect();
    w.status(c, ID, &["initializing"], Duration::from_secs(10))
        .await?;
    w.status(c, ID, &["streaming"], Duration::from_secs(10))
        .await?;
    let c = w.stop(ID).await?;
    w.status(c, ID, &["stopped"], Duration::from_secs(10))
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
