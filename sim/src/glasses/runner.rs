//! Runs the firmware simulator over the glasses end of a link: reassembles the phone's packets,
//! frames the replies, fires the simulator's timers, and records every message it sent so
//! tests can compare what the glasses said with what reached the cloud. With real video it
//! also owns the ffmpeg encoder; dropping the handle ends it.

use std::sync::{Arc, Mutex, PoisonError};

use mentra_bridge::wire::proto::GlassesToPhone;
use mentra_bridge::wire::{
    FLAG_END, FLAG_START, Framer, Reassembled, Reassembler, decode_phone, encode,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tracing::debug;

use super::config::{GlassesSimConfig, RtmpBehaviour};
use super::firmware::{CameraView, GlassesSim, SimInput};
use super::live::{LiveFirmware, LiveGlasses, LiveSimConfig};
use super::port::Port;
use crate::link::PortEvent;
use crate::video::FfmpegEncoder;

/// Controls and observes a running glasses simulator. Dropping it stops the simulator.
#[derive(Debug)]
pub struct GlassesHandle {
    control: mpsc::Sender<SimInput>,
    sent: Arc<Mutex<Vec<GlassesToPhone>>>,
    /// The Mentra Live personality's messages both ways, as JSON (empty in our dialect).
    json: Arc<Mutex<JsonLog>>,
    camera: Arc<Mutex<CameraView>>,
    task: JoinHandle<()>,
}

/// What a Mentra Live personality said and heard, as JSON.
#[derive(Debug, Default, Clone)]
pub struct JsonLog {
    /// Messages the glasses sent.
    pub sent: Vec<serde_json::Value>,
    /// Messages the phone sent.
    pub heard: Vec<serde_json::Value>,
    /// Controller probe answers the lease accepted.
    pub accepted_answers: u64,
    /// Phone messages that came as Wire v2 fragments.
    pub binary_heard: u64,
}

impl GlassesHandle {
    /// Joins or leaves Wi-Fi.
    pub async fn set_wifi(&self, on: bool) {
        let _ = self.control.send(SimInput::SetWifi(on)).await;
    }

    /// Sets the battery level, percent (a sudden drop).
    pub async fn set_battery(&self, percent: f64) {
        let _ = self.control.send(SimInput::SetBattery(percent)).await;
    }

    /// Puts the glasses on (or takes them off) a charger; they report it at once.
    pub async fn set_charging(&self, charging: bool) {
        let _ = self.control.send(SimInput::SetCharging(charging)).await;
    }

    /// Sets the temperature, °C.
    pub async fn set_temperature(&self, celsius: f64) {
        let _ = self.control.send(SimInput::SetTemperature(celsius)).await;
    }

    /// Sends `n` battery reports back to back.
    pub async fn burst(&self, n: u32) {
        let _ = self.control.send(SimInput::Burst(n)).await;
    }

    /// Feeds any simulator input (knobs not wrapped above).
    pub async fn input(&self, input: SimInput) {
        let _ = self.control.send(input).await;
    }

    /// What the camera is doing, as of the simulator's last step.
    pub fn camera(&self) -> CameraView {
        self.camera
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The Mentra Live personality's messages so far (empty in our dialect).
    pub fn json(&self) -> JsonLog {
        self.json
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every message the glasses sent so far, in order. For the Mentra Live personality: what
    /// the camera underneath said, in our model (see [`GlassesHandle::json`] for the wire).
    pub fn sent(&self) -> Vec<GlassesToPhone> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for GlassesHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the simulator on the current runtime, on the glasses end of a link or a TCP server.
pub fn spawn_glasses(config: GlassesSimConfig, mut port: impl Port) -> GlassesHandle {
    let max = config.max_message_size as usize;
    let reads_reserved_flags = config.defects.reads_reserved_flags;
    let (control, mut control_rx) = mpsc::channel(16);
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&sent);
    let camera = Arc::new(Mutex::new(CameraView::default()));
    let view = Arc::clone(&camera);
    let mut encoder = matches!(config.rtmp, RtmpBehaviour::Real { .. })
        .then(|| FfmpegEncoder::new(config.ffmpeg.clone()));
    let task = tokio::spawn(async move {
        let mut sim = GlassesSim::new(config, Instant::now().into_std());
        let mut framer: Option<Framer> = None;
        let mut reassembler = Reassembler::new(max, std::time::Duration::from_secs(2));
        loop {
            let deadline = [sim.poll_timeout(), reassembler.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .map(Instant::from_std);
            tokio::select! {
                biased;
                event = port.next() => {
                    let now = Instant::now().into_std();
                    match event {
                        None => return,
                        Some(PortEvent::Connected { mtu }) => {
                            debug!(mtu, "glasses sim: phone connected");
                            framer = Framer::new(mtu, max).ok();
                            reassembler.reset();
                            sim.handle_input(now, SimInput::Connected);
                        }
                        Some(PortEvent::MtuChanged { mtu }) => {
                            debug!(mtu, "glasses sim: MTU changed");
                            if let Some(f) = framer.as_mut() {
                                let _ = f.set_mtu(mtu);
                            }
                        }
                        Some(PortEvent::Disconnected) => {
                            debug!("glasses sim: phone gone");
                            framer = None;
                            sim.handle_input(now, SimInput::Disconnected);
                        }
                        Some(PortEvent::Packet(mut p)) => {
                            if reads_reserved_flags {
                                if let Some(flags) = p.first_mut() {
                                    *flags &= FLAG_START | FLAG_END;
                                }
                            }
                            reassembler.handle_packet(now, &p);
                            while let Some(r) = reassembler.poll_output() {
                                match r {
                                    Reassembled::Message(bytes) => match decode_phone(&bytes) {
                                        Ok(m) => sim.handle_input(now, SimInput::Message(m)),
                                        Err(e) => debug!("glasses sim: undecodable message: {e}"),
                                    },
                                    Reassembled::Dropped(reason) => debug!("glasses sim: dropped {reason}"),
                                }
                            }
                        }
                    }
                }
                Some(event) = async {
                    match encoder.as_mut() {
                        Some(e) => e.next_event().await,
                        None => std::future::pending().await,
                    }
                } => sim.handle_input(Instant::now().into_std(), SimInput::Encoder(event)),
                input = control_rx.recv() => match input {
                    Some(input) => sim.handle_input(Instant::now().into_std(), input),
                    None => return,
                },
                _ = async { match deadline { Some(at) => sleep_until(at).await, None => std::future::pending().await } } => {
                    let now = Instant::now().into_std();
                    reassembler.handle_timeout(now);
                    while reassembler.poll_output().is_some() {}
                    sim.handle_timeout(now);
                }
            }
            *view.lock().unwrap_or_else(PoisonError::into_inner) = sim.camera();
            while let Some(command) = sim.poll_encoder() {
                if let Some(e) = encoder.as_mut() {
                    e.handle(command);
                }
            }
            while let Some(message) = sim.poll_output() {
                let bytes = encode(&message);
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(message);
                if let Some(f) = framer.as_mut() {
                    if let Ok(packets) = f.split(&bytes) {
                        for p in packets {
                            port.send(p).await;
                        }
                    }
                }
            }
        }
    });
    GlassesHandle {
        control,
        sent,
        json: Arc::default(),
        camera,
        task,
    }
}

/// Starts the Mentra Live personality on the current runtime: the same camera, speaking
/// today's firmware's JSON wire (K900 frames, one per packet).
pub fn spawn_live_glasses(
    mut config: GlassesSimConfig,
    live: LiveSimConfig,
    mut port: impl Port,
) -> GlassesHandle {
    if live.firmware == LiveFirmware::Y2026 {
        // Keep-alives are receipts only: the controller lease ends abandoned streams.
        config.keep_alive_timeout = std::time::Duration::from_secs(365 * 24 * 3600);
    }
    let (control, mut control_rx) = mpsc::channel(16);
    let json = Arc::new(Mutex::new(JsonLog::default()));
    let log = Arc::clone(&json);
    let camera = Arc::new(Mutex::new(CameraView::default()));
    let view = Arc::clone(&camera);
    let seed = config.seed;
    let task = tokio::spawn(async move {
        let now = Instant::now().into_std();
        let mut g = LiveGlasses::new(GlassesSim::new(config, now), live, seed, now);
        loop {
            let deadline = g.poll_timeout().map(Instant::from_std);
            tokio::select! {
                biased;
                event = port.next() => {
                    let now = Instant::now().into_std();
                    match event {
                        None => return,
                        Some(PortEvent::Connected { .. }) => g.connected(now),
                        Some(PortEvent::Disconnected) => g.disconnected(now),
                        // One K900 frame per packet, whatever the MTU.
                        Some(PortEvent::MtuChanged { .. }) => {}
                        Some(PortEvent::Packet(p)) => g.handle_frame(now, &p),
                    }
                }
                input = control_rx.recv() => match input {
                    Some(input) => g.core_input(Instant::now().into_std(), input),
                    None => return,
                },
                _ = async { match deadline { Some(at) => sleep_until(at).await, None => std::future::pending().await } } => {
                    g.handle_timeout(Instant::now().into_std());
                }
            }
            *view.lock().unwrap_or_else(PoisonError::into_inner) = g.camera();
            {
                let mut l = log.lock().unwrap_or_else(PoisonError::into_inner);
                l.sent.extend(g.take_sent());
                l.heard.extend(g.take_heard());
                l.accepted_answers = g.accepted_answers();
                l.binary_heard = g.binary_heard();
            }
            while let Some(frame) = g.poll_output() {
                port.send(frame).await;
            }
        }
    });
    GlassesHandle {
        control,
        sent: Arc::default(),
        json,
        camera,
        task,
    }
}
