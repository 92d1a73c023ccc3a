//! The bridge object the apps hold: wraps the core `Bridge` (which owns its own tokio runtime)
//! and forwards every call to it. Async methods run on the bridge's runtime, so they need no
//! runtime from the app and are safe to cancel: the work finishes or stops on its own.
//! `shutdown` never blocks the caller: the bridge closes on a thread of its own, every
//! subscription gets its last update and `onClosed`, and `shutdownAndWait` awaits the end.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mentra_bridge::bridge::{BridgeHandle, WifiCredentials, WifiSecurity};
use mentra_bridge::cloud::CloudConfig;
#[cfg(feature = "ble")]
use mentra_bridge::glasses::{BleLink, BleLinkConfig};
use mentra_bridge::glasses::{GlassesLink, HostLinkConfig, TcpLink, TcpLinkConfig, host_link_with};
use mentra_bridge::stream::StreamConfig;
use mentra_bridge::{Bridge as CoreBridge, BridgeConfig, Redacted};

use crate::error::MentraError;
use crate::host::{Adapter, HostLinkHandle, HostTransport};
use crate::listener::{BridgeListener, TaskHandle};
use crate::records::{
    BridgeSettings, BridgeSnapshot, BridgeUpdate, LinkSpec, Wifi, WifiNetworkRecord,
};

/// The phone-side bridge between the MentraOS cloud and the glasses.
#[derive(uniffi::Object)]
pub struct MentraBridge {
    inner: Mutex<Option<CoreBridge>>,
    handle: BridgeHandle,
    runtime: tokio::runtime::Handle,
    host: Option<Arc<HostLinkHandle>>,
    /// The live subscriptions: shutdown lets them deliver the final update first.
    subscriptions: Mutex<Vec<Arc<TaskHandle>>>,
    /// True once the bridge has closed (every connection, its runtime).
    closed: tokio::sync::watch::Sender<bool>,
    /// Keeps the simulated glasses running (simulator builds only).
    #[allow(dead_code)]
    keep: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for MentraBridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MentraBridge")
    }
}

fn config(settings: BridgeSettings) -> BridgeConfig {
    BridgeConfig {
        cloud: CloudConfig {
            url: settings.cloud_url,
            token: Redacted::new(settings.core_token),
            ..Default::default()
        },
        stream: StreamConfig {
            start_timeout: Duration::from_secs(u64::from(settings.start_timeout_secs.max(1))),
            cloud_grace: Duration::from_secs(u64::from(settings.cloud_grace_secs.max(1))),
            ..Default::default()
        },
        ..Default::default()
    }
}

impl MentraBridge {
    fn build(
        settings: BridgeSettings,
        link: Box<dyn GlassesLink>,
        host: Option<Arc<HostLinkHandle>>,
    ) -> Result<Self, MentraError> {
        Self::build_speaking(settings, link, host, None)
    }

    /// As `build`, with the glasses' dialect set (`None`: what the link says).
    fn build_speaking(
        settings: BridgeSettings,
        link: Box<dyn GlassesLink>,
        host: Option<Arc<HostLinkHandle>>,
        dialect: Option<mentra_bridge::glasses::Dialect>,
    ) -> Result<Self, MentraError> {
        let mut config = config(settings);
        config.dialect = dialect;
        let bridge = CoreBridge::start(config, link)?;
        let runtime = bridge
            .runtime()
            .cloned()
            .ok_or_else(|| MentraError::Internal {
                reason: "the bridge has no runtime".into(),
            })?;
        Ok(Self {
            handle: bridge.handle(),
            inner: Mutex::new(Some(bridge)),
            runtime,
            host,
            subscriptions: Mutex::new(Vec::new()),
            closed: tokio::sync::watch::Sender::new(false),
            keep: None,
        })
    }

    /// Runs `work` on the bridge's runtime and waits for it.
    async fn on_runtime<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = Result<T, mentra_bridge::BridgeError>> + Send + 'static,
    ) -> Result<T, MentraError> {
        match self.runtime.spawn(work).await {
            Ok(result) => result.map_err(Into::into),
            Err(e) => Err(MentraError::Internal {
                reason: format!("bridge task failed: {e}"),
            }),
        }
    }
}

#[uniffi::export]
impl MentraBridge {
    /// Starts a bridge whose link to the glasses it owns (BLE, TCP, or the simulator).
    #[uniffi::constructor]
    pub fn new(settings: BridgeSettings, link: LinkSpec) -> Result<Arc<Self>, MentraError> {
        match link {
            // btleplug needs a JVM handle and a Java helper class on Android that an app never
            // sets up: the app's own BLE stack is the way there.
            #[cfg(target_os = "android")]
            LinkSpec::Ble { .. } => Err(MentraError::InvalidArgument {
                reason: "LinkSpec.Ble does not work on Android: connect with the app's BLE \
                         stack and use MentraBridge.withHostLink (see gattProfiles())"
                    .into(),
            }),
            #[cfg(all(feature = "ble", not(target_os = "android")))]
            LinkSpec::Ble { device } => Ok(Arc::new(Self::build(
                settings,
                Box::new(BleLink::new(BleLinkConfig {
                    device,
                    ..Default::default()
                })),
                None,
            )?)),
            #[cfg(all(not(feature = "ble"), not(target_os = "android")))]
            LinkSpec::Ble { .. } => Err(MentraError::InvalidArgument {
                reason: "this build has no BLE link of its own (feature `ble`): use withHostLink"
                    .into(),
            }),
            LinkSpec::Tcp { address, dialect } => Ok(Arc::new(Self::build(
                settings,
                Box::new(TcpLink::new(TcpLinkConfig {
                    dialect: dialect.map(Into::into).unwrap_or_default(),
                    ..TcpLinkConfig::new(address)
                })),
                None,
            )?)),
            LinkSpec::Simulator { mtu, dialect } => simulator(settings, mtu, dialect),
        }
    }

    /// Starts a bridge over the app's own BLE stack; report its events through `hostLink()`.
    /// `write_window`: writes the app may hold before it reports them done with
    /// `writeCompleted` (1 for Android's one-GATT-operation-at-a-time); 0 when the app does
    /// not report completions (every packet goes to `write` at once).
    #[uniffi::constructor]
    pub fn with_host_link(
        settings: BridgeSettings,
        transport: Arc<dyn HostTransport>,
        write_window: u32,
    ) -> Result<Arc<Self>, MentraError> {
        let config = HostLinkConfig {
            write_window: usize::try_from(write_window).unwrap_or(usize::MAX),
            ..Default::default()
        };
        let (link, handle) = host_link_with(Arc::new(Adapter(transport)), config);
        let host = Arc::new(HostLinkHandle { inner: handle });
        Ok(Arc::new(Self::build(settings, Box::new(link), Some(host))?))
    }

    /// Where the app reports its BLE stack's events (bridges built `withHostLink` only).
    pub fn host_link(&self) -> Option<Arc<HostLinkHandle>> {
        self.host.clone()
    }

    /// The flight recorder as JSON Lines: a redacted timeline of the last 10 minutes (or
    /// 5,000 entries) to attach to a bug report; `mentra-bridge diagnose FILE` reads it.
    pub fn export_diagnostics(&self) -> String {
        self.handle.export_diagnostics()
    }

    /// Everything the bridge knows now.
    pub fn snapshot(&self) -> BridgeSnapshot {
        self.handle.state().into()
    }

    /// Subscribes `listener`: it gets a `Snapshot` first, then every update in order, on a
    /// bridge thread, and `onClosed` once at the end (the bridge closed, or the subscription
    /// was cancelled). Release the returned handle (or `cancel` it) to unsubscribe.
    pub fn subscribe(&self, listener: Arc<dyn BridgeListener>) -> Arc<TaskHandle> {
        let mut updates = self.handle.subscribe();
        let closer = crate::listener::ClosesOnDrop::new(Arc::clone(&listener));
        if *self.closed.borrow() {
            return Arc::new(TaskHandle::finished()); // `closer` says onClosed at once
        }
        let task = self.runtime.spawn(async move {
            let _closer = closer;
            while let Some(event) = updates.next().await {
                let Some(update) = BridgeUpdate::from_event(event) else {
                    continue;
                };
                let l = Arc::clone(&listener);
                // The app's code may block: keep it off the bridge's workers, keep the order.
                match tokio::task::spawn_blocking(move || l.on_update(update)).await {
                    Ok(Ok(())) => {}
                    // An exception in the app's listener: said, and the updates go on.
                    Ok(Err(e)) => tracing::warn!("a listener threw: {e}"),
                    Err(_) => {
                        tracing::warn!("a listener panicked; its subscription ends");
                        return;
                    }
                }
            }
        });
        let handle = Arc::new(TaskHandle::new(task));
        let mut subscriptions = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        subscriptions.retain(|t| !t.is_finished());
        subscriptions.push(Arc::clone(&handle));
        handle
    }

    /// Sends Wi-Fi credentials (`security`: open, wpa2, wpa3 or wpa2-wpa3). Refused over an
    /// unencrypted link unless `allow_unencrypted_link`.
    pub async fn set_wifi(
        &self,
        ssid: String,
        password: String,
        security: String,
        allow_unencrypted_link: bool,
    ) -> Result<(), MentraError> {
        let security = match security.as_str() {
            "open" => WifiSecurity::Open,
            "wpa2" => WifiSecurity::Wpa2,
            "wpa3" => WifiSecurity::Wpa3,
            "wpa2-wpa3" => WifiSecurity::Wpa2Wpa3,
            _ => {
                return Err(MentraError::InvalidArgument {
                    reason: "security must be open, wpa2, wpa3 or wpa2-wpa3".into(),
                });
            }
        };
        let handle = self.handle.clone();
        let credentials = WifiCredentials {
            ssid,
            password: Redacted::new(password),
            security,
            allow_unencrypted_link,
        };
        self.on_runtime(async move { handle.set_wifi(credentials).await })
            .await
    }

    /// The networks the glasses see, strongest first.
    pub async fn scan_wifi(&self) -> Result<Vec<WifiNetworkRecord>, MentraError> {
        let handle = self.handle.clone();
        let networks = self
            .on_runtime(async move { handle.scan_wifi().await })
            .await?;
        Ok(networks.into_iter().map(Into::into).collect())
    }

    /// The glasses' Wi-Fi.
    pub async fn wifi_status(&self) -> Result<Wifi, MentraError> {
        let handle = self.handle.clone();
        Ok(self
            .on_runtime(async move { handle.wifi_status().await })
            .await?
            .into())
    }

    /// Gives the cloud connection a new core token (the old one expired). Used from the next
    /// connection on; while the cloud is unreachable, the bridge dials again at once.
    pub async fn update_token(&self, core_token: String) -> Result<(), MentraError> {
        let handle = self.handle.clone();
        self.on_runtime(async move { handle.update_token(Redacted::new(core_token)).await })
            .await
    }

    /// Drops the cloud connection and dials again now, skipping any backoff: call it when the
    /// phone's network changed or the app came to the foreground. Nothing queued is lost.
    pub async fn reconnect_now(&self) -> Result<(), MentraError> {
        let handle = self.handle.clone();
        self.on_runtime(async move { handle.reconnect_now().await })
            .await
    }

    /// Starts closing the bridge and returns at once, on any thread (the main one too): the
    /// bridge closes its connections on a thread of its own, each subscription gets its last
    /// update and `onClosed`. Safe to call twice. `shutdownAndWait` awaits the end.
    pub fn shutdown(&self) {
        let Some(bridge) = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let handle = self.handle.clone();
        let runtime = self.runtime.clone();
        let subscriptions =
            std::mem::take(&mut *self.subscriptions.lock().unwrap_or_else(|e| e.into_inner()));
        let closed = self.closed.clone();
        let close = move || {
            // Stop the bridge first and give every subscription a moment to deliver its last
            // update (`Stopped`); only then does the runtime go.
            runtime.spawn(async move { handle.shutdown().await });
            let deadline = std::time::Instant::now() + FINAL_UPDATE_WAIT;
            while std::time::Instant::now() < deadline
                && !subscriptions.iter().all(|t| t.is_finished())
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            bridge.shutdown();
            drop(subscriptions); // ends any still running: they say onClosed
            closed.send_replace(true);
        };
        let slot = Arc::new(Mutex::new(Some(close)));
        let spawned = {
            let slot = Arc::clone(&slot);
            std::thread::Builder::new()
                .name("mentra-shutdown".into())
                .spawn(move || {
                    if let Some(close) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
                        close();
                    }
                })
        };
        if spawned.is_err() {
            // No thread to be had: close here rather than not at all.
            if let Some(close) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
                close();
            }
        }
    }

    /// Closes the bridge (as `shutdown`) and waits until it has, without blocking a thread:
    /// a Kotlin `suspend` function, a Swift `async` one.
    pub async fn shutdown_and_wait(&self) {
        self.shutdown();
        let mut closed = self.closed.subscribe();
        let _ = closed.wait_for(|c| *c).await;
    }

    /// True once the bridge has closed.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }
}

/// How long shutdown waits for the subscriptions to deliver the final update.
const FINAL_UPDATE_WAIT: Duration = Duration::from_secs(2);

#[cfg(feature = "simulators")]
fn simulator(
    settings: BridgeSettings,
    mtu: u16,
    dialect: Option<crate::records::GlassesDialect>,
) -> Result<Arc<MentraBridge>, MentraError> {
    use mentra_sim::glasses::{GlassesSimConfig, LiveSimConfig, spawn_glasses, spawn_live_glasses};
    use mentra_sim::link::{SimLinkConfig, sim_link};
    let (phone_end, glasses_end, _control) = sim_link(SimLinkConfig {
        mtu: mtu.max(23),
        ..Default::default()
    });
    let live = dialect == Some(crate::records::GlassesDialect::MentraLive);
    let mut bridge = MentraBridge::build_speaking(
        settings,
        Box::new(phone_end),
        None,
        live.then_some(mentra_bridge::glasses::Dialect::MentraLive),
    )?;
    let glasses = {
        let _inside = bridge.runtime.enter();
        let config = GlassesSimConfig {
            start_delay: Duration::from_millis(200),
            stats_interval: Duration::from_millis(500),
            ..Default::default()
        };
        if live {
            spawn_live_glasses(config, LiveSimConfig::default(), glasses_end)
        } else {
            spawn_glasses(config, glasses_end)
        }
    };
    bridge.keep = Some(Box::new(glasses));
    Ok(Arc::new(bridge))
}

#[cfg(not(feature = "simulators"))]
fn simulator(
    _: BridgeSettings,
    _: u16,
    _: Option<crate::records::GlassesDialect>,
) -> Result<Arc<MentraBridge>, MentraError> {
    Err(MentraError::InvalidArgument {
        reason: "this build has no glasses simulator (feature `simulators`)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BridgeSettings {
        BridgeSettings {
            cloud_url: String::new(),
            core_token: String::new(),
            start_timeout_secs: 30,
            cloud_grace_secs: 60,
        }
    }

    fn unreachable_glasses() -> LinkSpec {
        LinkSpec::Tcp {
            address: "127.0.0.1:1".into(),
            dialect: None,
        }
    }

    #[test]
    fn dropping_the_bridge_on_a_plain_thread_does_not_panic() {
        let bridge = MentraBridge::new(settings(), unreachable_glasses()).unwrap();
        std::thread::spawn(move || drop(bridge)).join().unwrap();
    }

    #[test]
    fn dropping_the_bridge_inside_another_runtime_does_not_panic() {
        let bridge = MentraBridge::new(settings(), unreachable_glasses()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async move { drop(bridge) });
    }

    #[test]
    fn shutdown_twice_is_fine_and_calls_after_it_fail_cleanly() {
        let bridge = MentraBridge::new(settings(), unreachable_glasses()).unwrap();
        bridge.shutdown();
        bridge.shutdown();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let result = rt.block_on(bridge.wifi_status());
        assert!(result.is_err());
    }
}
