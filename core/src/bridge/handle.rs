//! Starting, observing and stopping a bridge: [`Bridge`] owns its own small tokio runtime
//! (what the apps and the CLI use); [`spawn`] runs one on the caller's runtime (tests and
//! simulations, including tokio's paused clock).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot, watch};

use super::config::BridgeConfig;
use super::error::BridgeError;
use super::event::{BridgeEvent, StopCause, WifiInfo};
use super::publisher::{Publisher, Subscription};
use super::runloop::{Command, Driver};
use super::state::{BridgeState, Internals};
use super::wifi::{WifiCredentials, WifiNetwork, WifiReply, WifiRequest};
use crate::Redacted;

/// How long a Wi-Fi request may take.
pub(crate) const WIFI_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a Wi-Fi scan may take.
pub(crate) const SCAN_TIMEOUT: Duration = Duration::from_secs(30);
use crate::cloud::{CloudClient, CloudConnector, TcpConnector};
use crate::glasses::{GlassesLink, GlassesSession};
use crate::health::HealthMonitor;
use crate::stream::{StreamCommand, StreamInput, StreamSupervisor};

/// A cheap, cloneable handle to a running bridge.
#[derive(Debug, Clone)]
pub struct BridgeHandle {
    commands: mpsc::Sender<Command>,
    publisher: Arc<Publisher>,
    stopped: watch::Receiver<bool>,
    internals: Arc<std::sync::Mutex<Internals>>,
}

impl BridgeHandle {
    /// Subscribes to events. The first event is always a [`crate::BridgeEvent::Snapshot`].
    pub fn subscribe(&self) -> Subscription {
        self.publisher.subscribe()
    }

    /// The current picture.
    pub fn state(&self) -> BridgeState {
        self.publisher.state()
    }

    /// The flight recorder as JSON Lines (a header line, then one entry per line, redacted):
    /// attach it to a bug report; `mentra-bridge diagnose FILE` reads it.
    pub fn export_diagnostics(&self) -> String {
        self.publisher.export_diagnostics()
    }

    /// The recorder's entries from sequence number `from` on (0: all kept), and the next
    /// sequence number: for a reader that follows the trace as it grows.
    pub fn diagnostics_since(&self, from: u64) -> (Vec<crate::diag::Entry>, u64) {
        self.publisher.diagnostics_since(from)
    }

    /// Bytes the flight recorder holds now.
    pub fn diagnostics_memory(&self) -> usize {
        self.publisher.diagnostics_memory()
    }

    /// Sizes of the bridge's queues and maps, as of its last step.
    pub fn internals(&self) -> Internals {
        *self
            .internals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// True once the bridge has stopped (shut down, or ended by a fault).
    pub fn is_stopped(&self) -> bool {
        *self.stopped.borrow() || self.stopped.has_changed().is_err()
    }

    /// Sends Wi-Fi credentials to the glasses; returns once they acknowledged them. Refused
    /// over an unencrypted link unless `allow_unencrypted_link` is set. The glasses report
    /// the resulting connection as a [`crate::BridgeEvent::Wifi`].
    pub async fn set_wifi(&self, credentials: WifiCredentials) -> Result<(), BridgeError> {
        match self
            .wifi(WifiRequest::Set(credentials), WIFI_TIMEOUT)
            .await?
        {
            WifiReply::Done => Ok(()),
            other => Err(BridgeError::Glasses(format!("unexpected answer {other:?}"))),
        }
    }

    /// Asks the glasses to scan; returns every network they saw, strongest first.
    pub async fn scan_wifi(&self) -> Result<Vec<WifiNetwork>, BridgeError> {
        match self.wifi(WifiRequest::Scan, SCAN_TIMEOUT).await? {
            WifiReply::Networks(n) => Ok(n),
            other => Err(BridgeError::Glasses(format!("unexpected answer {other:?}"))),
        }
    }

    /// Reads the glasses' Wi-Fi status.
    pub async fn wifi_status(&self) -> Result<WifiInfo, BridgeError> {
        match self.wifi(WifiRequest::Status, WIFI_TIMEOUT).await? {
            WifiReply::Status(s) => Ok(s),
            other => Err(BridgeError::Glasses(format!("unexpected answer {other:?}"))),
        }
    }

    async fn wifi(&self, request: WifiRequest, limit: Duration) -> Result<WifiReply, BridgeError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Wifi(request, tx))
            .await
            .map_err(|_| BridgeError::Stopped)?;
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Err(BridgeError::Stopped),
            Err(_) => Err(BridgeError::Timeout(limit.as_secs())),
        }
    }

    /// Gives the bridge a camera command as if it came from the cloud: for local control and
    /// desktop testing (`mentra-bridge stream start`). Outcomes arrive as events.
    pub async fn command(&self, command: StreamCommand) -> Result<(), BridgeError> {
        self.commands
            .send(Command::Local(Box::new(command)))
            .await
            .map_err(|_| BridgeError::Stopped)
    }

    /// Gives the cloud connection a new core token (the old one expired). Used from the next
    /// connection on; while the cloud is unreachable, the bridge dials again at once.
    pub async fn update_token(&self, token: Redacted<String>) -> Result<(), BridgeError> {
        self.commands
            .send(Command::UpdateToken(token))
            .await
            .map_err(|_| BridgeError::Stopped)
    }

    /// Drops the cloud connection and dials again now, skipping any backoff: call it when the
    /// phone's network changed or the app came to the foreground. Nothing queued is lost.
    pub async fn reconnect_now(&self) -> Result<(), BridgeError> {
        self.commands
            .send(Command::ReconnectNow)
            .await
            .map_err(|_| BridgeError::Stopped)
    }

    /// Asks the bridge to stop and waits until it has (the cloud socket is closed politely).
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown).await;
        let mut stopped = self.stopped.clone();
        let _ = stopped.wait_for(|s| *s).await;
    }
}

/// Starts a bridge on the current tokio runtime. The cloud is reached through `connector`.
pub fn spawn(
    config: BridgeConfig,
    link: Box<dyn GlassesLink>,
    connector: Arc<dyn CloudConnector>,
) -> Result<BridgeHandle, BridgeError> {
    if config.event_capacity == 0 {
        return Err(BridgeError::Config("event_capacity must be at least 1"));
    }
    let now = tokio::time::Instant::now().into_std();
    let dialect = config
        .dialect
        .or_else(|| link.dialect())
        .unwrap_or_default();
    let session = GlassesSession::new(dialect, config.session.clone(), config.live.clone(), now)?;
    let mut supervisor = StreamSupervisor::new(config.stream.clone(), now)?;
    if config.cloud.url.is_empty() {
        supervisor.handle_input(now, StreamInput::NoCloud);
    }
    let health = HealthMonitor::new(config.health.clone(), now)?;
    // No cloud URL: local control only (desktop testing); the bridge keeps streams alive.
    let (cloud, cloud_events) = if config.cloud.url.is_empty() {
        let (_, none) = mpsc::channel(1);
        (None, none)
    } else {
        let (c, events) = CloudClient::spawn(config.cloud.clone(), connector)?;
        (Some(c), events)
    };
    let (tx, rx) = mpsc::channel(8);
    let publisher = Publisher::with_recorder(config.event_capacity, config.recorder);
    publisher.forget(config.cloud.token.expose());
    let (stopped_tx, stopped_rx) = watch::channel(false);
    let internals = Arc::new(std::sync::Mutex::new(Internals::default()));
    let driver = Driver {
        session,
        dialect: config.dialect,
        supervisor,
        health,
        link,
        cloud,
        cloud_events,
        commands: rx,
        publisher: Arc::clone(&publisher),
        in_flight: HashMap::new(),
        glasses: None,
        wifi: Default::default(),
        internals: Arc::clone(&internals),
        last_write_warning: None,
        last_thermal: None,
        last_stats_temperature: None,
        links: super::runloop::LinkCounters::default(),
    };
    let ended = Arc::clone(&publisher);
    tokio::spawn(async move {
        use futures_util::FutureExt;
        // Whatever happens inside (a bug, or app code the bridge calls panicking), the end
        // is reported and every subscription ends: nobody waits forever.
        let outcome = std::panic::AssertUnwindSafe(driver.run())
            .catch_unwind()
            .await;
        let cause = match outcome {
            Ok(()) => StopCause::Shutdown,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "no message".to_owned());
                let what = crate::redact::redact_text(&what);
                tracing::error!("the bridge's task panicked: {what}");
                StopCause::Fatal(format!("the bridge's task panicked: {what}"))
            }
        };
        ended.publish(BridgeEvent::Stopped(cause));
        ended.close();
        let _ = stopped_tx.send(true);
    });
    Ok(BridgeHandle {
        commands: tx,
        publisher,
        stopped: stopped_rx,
        internals,
    })
}

/// A bridge with its own tokio runtime (at most 2 worker threads), for apps and the CLI.
///
/// Dropping it stops the bridge without waiting; [`Bridge::shutdown`] waits for a clean stop.
pub struct Bridge {
    runtime: Option<Runtime>,
    handle: BridgeHandle,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("handle", &self.handle)
            .finish()
    }
}

impl Bridge {
    /// Starts a bridge that reaches the cloud over TCP (`ws://` or `wss://`).
    pub fn start(config: BridgeConfig, link: Box<dyn GlassesLink>) -> Result<Self, BridgeError> {
        Self::start_with_connector(config, link, Arc::new(TcpConnector))
    }

    /// Starts a bridge that reaches the cloud through `connector`.
    pub fn start_with_connector(
        config: BridgeConfig,
        link: Box<dyn GlassesLink>,
        connector: Arc<dyn CloudConnector>,
    ) -> Result<Self, BridgeError> {
        if !(1..=2).contains(&config.worker_threads) {
            return Err(BridgeError::Config("worker_threads must be 1 or 2"));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads)
            .max_blocking_threads(2)
            .thread_name("mentra-bridge")
            .enable_all()
            .build()
            .map_err(|e| BridgeError::Runtime(e.to_string()))?;
        let handle = {
            let _guard = runtime.enter();
            spawn(config, link, connector)?
        };
        Ok(Self {
            runtime: Some(runtime),
            handle,
        })
    }

    /// A handle for subscribing and stopping; usable from any thread or runtime.
    pub fn handle(&self) -> BridgeHandle {
        self.handle.clone()
    }

    /// Subscribes to events. The first event is always a [`crate::BridgeEvent::Snapshot`].
    pub fn subscribe(&self) -> Subscription {
        self.handle.subscribe()
    }

    /// The current picture.
    pub fn state(&self) -> BridgeState {
        self.handle.state()
    }

    /// The bridge runtime, to run work next to the bridge (e.g. a simulator in a demo).
    pub fn runtime(&self) -> Option<&tokio::runtime::Handle> {
        self.runtime.as_ref().map(Runtime::handle)
    }

    /// Stops the bridge and waits (at most 5 s) for it to close its connections. Call it
    /// from a plain thread, not from async code.
    pub fn shutdown(mut self) {
        if let Some(runtime) = self.runtime.take() {
            let handle = self.handle.clone();
            runtime.block_on(async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), handle.shutdown()).await;
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Safe from any thread, including inside another runtime.
            runtime.shutdown_background();
        }
    }
}
