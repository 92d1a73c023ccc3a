//! For binding tests on a desktop only (feature `simulators`): a MentraOS cloud simulator the
//! tests drive from Kotlin or Python, simulated glasses behind a fake app BLE stack written in
//! those languages (for the host link), a log line at any level, and a deliberate panic to
//! prove panics become exceptions.

use std::sync::Arc;
use std::time::Duration;

use mentra_bridge::cloud::Outgoing;
use mentra_sim::cloud::{
    CloudSim, CloudSimConfig, StartSpec, keep_alive_command, start_command, stop_command,
};

use crate::error::MentraError;

/// A MentraOS cloud simulator on 127.0.0.1, with its own runtime.
#[derive(uniffi::Object)]
pub struct SimulatedCloud {
    runtime: tokio::runtime::Runtime,
    cloud: Arc<CloudSim>,
}

impl std::fmt::Debug for SimulatedCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimulatedCloud")
    }
}

#[uniffi::export]
impl SimulatedCloud {
    /// Starts the simulator on a free 127.0.0.1 port.
    #[uniffi::constructor]
    pub fn new() -> Result<Arc<Self>, MentraError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| MentraError::Internal {
                reason: e.to_string(),
            })?;
        let cloud = runtime
            .block_on(CloudSim::start(CloudSimConfig::default()))
            .map_err(|e| MentraError::Internal {
                reason: e.to_string(),
            })?;
        Ok(Arc::new(Self {
            runtime,
            cloud: Arc::new(cloud),
        }))
    }

    /// The URL to give the bridge.
    pub fn url(&self) -> String {
        self.cloud.url()
    }

    /// Waits up to `seconds` for a bridge to connect.
    pub fn wait_connected(&self, seconds: u32) -> bool {
        self.runtime.block_on(
            self.cloud
                .wait_connected(Duration::from_secs(u64::from(seconds))),
        )
    }

    /// Asks for a stream.
    pub fn start_stream(&self, stream_id: String) -> bool {
        let start = start_command(
            &StartSpec {
                url: format!("rtmps://ingest.example.com/live/{stream_id}-key"),
                app_id: "binding-test".into(),
                stream_id,
                telemetry: Some(true),
                ..Default::default()
            },
            self.cloud.generation(),
        );
        self.runtime.block_on(self.cloud.send(&start))
    }

    /// Sends a keep-alive.
    pub fn keep_alive(&self, stream_id: String, ack_id: String) -> bool {
        let ka = keep_alive_command(&stream_id, &ack_id);
        self.runtime.block_on(self.cloud.send(&ka))
    }

    /// Asks to stop a stream.
    pub fn stop_stream(&self, stream_id: String) -> bool {
        let stop = stop_command(&stream_id, "binding-test");
        self.runtime.block_on(self.cloud.send(&stop))
    }

    /// Every stream status received, as `id:status` words, in order.
    pub fn statuses(&self) -> Vec<String> {
        self.cloud
            .received()
            .into_iter()
            .filter_map(|r| match r.message {
                Outgoing::StreamStatus(s) => Some(format!("{}:{}", s.stream_id, s.status)),
                _ => None,
            })
            .collect()
    }

    /// Every keep-alive ack received, as `id:ack`.
    pub fn acks(&self) -> Vec<String> {
        self.cloud
            .received()
            .into_iter()
            .filter_map(|r| match r.message {
                Outgoing::KeepAliveAck(a) => Some(format!("{}:{}", a.stream_id, a.ack_id)),
                _ => None,
            })
            .collect()
    }
}

/// The simulated glasses' radio, as a fake app BLE stack implements it: it hands each
/// notification to the bridge (`HostLinkHandle.received`).
#[uniffi::export(with_foreign)]
pub trait GlassesRadio: Send + Sync {
    /// A notification from the glasses.
    fn notify(&self, packet: Vec<u8>) -> Result<(), MentraError>;
}

/// The glasses end of a fake app BLE stack: the glasses simulator, fed the packets the app
/// writes, notifying through the app's [`GlassesRadio`].
#[derive(uniffi::Object)]
pub struct SimulatedGlasses {
    /// Runs the simulator; kept for as long as the glasses live.
    _runtime: tokio::runtime::Runtime,
    events: tokio::sync::mpsc::Sender<mentra_sim::link::PortEvent>,
    glasses: mentra_sim::glasses::GlassesHandle,
}

impl std::fmt::Debug for SimulatedGlasses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimulatedGlasses")
    }
}

/// The simulator's side of the fake stack.
struct RadioPort {
    events: tokio::sync::mpsc::Receiver<mentra_sim::link::PortEvent>,
    radio: Arc<dyn GlassesRadio>,
}

impl mentra_sim::glasses::Port for RadioPort {
    async fn next(&mut self) -> Option<mentra_sim::link::PortEvent> {
        self.events.recv().await
    }

    async fn send(&mut self, packet: Vec<u8>) {
        let radio = Arc::clone(&self.radio);
        // App code may block: off the simulator's worker, in order.
        let _ = tokio::task::spawn_blocking(move || radio.notify(packet)).await;
    }
}

#[uniffi::export]
impl SimulatedGlasses {
    /// Glasses (our dialect, quick to start) that notify through `radio`.
    #[uniffi::constructor]
    pub fn new(radio: Arc<dyn GlassesRadio>) -> Result<Arc<Self>, MentraError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| MentraError::Internal {
                reason: e.to_string(),
            })?;
        let (events, rx) = tokio::sync::mpsc::channel(1024);
        let config = mentra_sim::glasses::GlassesSimConfig {
            start_delay: Duration::from_millis(200),
            stats_interval: Duration::from_millis(500),
            ..Default::default()
        };
        let glasses = {
            let _inside = runtime.enter();
            mentra_sim::glasses::spawn_glasses(config, RadioPort { events: rx, radio })
        };
        Ok(Arc::new(Self {
            _runtime: runtime,
            events,
            glasses,
        }))
    }

    /// The phone connected with this ATT MTU.
    pub fn connect(&self, mtu: u16) {
        self.push(mentra_sim::link::PortEvent::Connected { mtu });
    }

    /// The phone wrote a packet.
    pub fn write(&self, packet: Vec<u8>) {
        self.push(mentra_sim::link::PortEvent::Packet(packet));
    }

    /// The ATT MTU changed on the live connection.
    pub fn set_mtu(&self, mtu: u16) {
        self.push(mentra_sim::link::PortEvent::MtuChanged { mtu });
    }

    /// The phone went away.
    pub fn disconnect(&self) {
        self.push(mentra_sim::link::PortEvent::Disconnected);
    }

    /// Hellos the glasses answered so far (one per session).
    pub fn hellos(&self) -> u32 {
        let caps = self.glasses.sent().into_iter().filter(|m| {
            matches!(
                m.body,
                Some(mentra_bridge::wire::proto::glasses_to_phone::Body::Capabilities(_))
            )
        });
        u32::try_from(caps.count()).unwrap_or(u32::MAX)
    }

    /// True while the camera is on.
    pub fn camera_on(&self) -> bool {
        self.glasses.camera().phase.is_on()
    }
}

impl SimulatedGlasses {
    /// Never blocks: `write` is called from the bridge's own threads (through the app).
    fn push(&self, event: mentra_sim::link::PortEvent) {
        if self.events.try_send(event).is_err() {
            tracing::warn!("simulated glasses: event dropped (queue full)");
        }
    }
}

/// Logs `message` at `level` from inside the library, as the bridge's own code does.
#[uniffi::export]
pub fn debug_log(level: crate::logging::LogLevel, message: String) {
    use crate::logging::LogLevel as L;
    match level {
        L::Error => tracing::error!("{message}"),
        L::Warn => tracing::warn!("{message}"),
        L::Info => tracing::info!("{message}"),
        L::Debug => tracing::debug!("{message}"),
        L::Trace => tracing::trace!("{message}"),
    }
}

/// Panics, on purpose: binding tests check it arrives as an exception, not a crash.
#[uniffi::export]
pub fn debug_panic(message: String) -> Result<(), MentraError> {
    panic!("deliberate panic for binding tests: {message}");
}
