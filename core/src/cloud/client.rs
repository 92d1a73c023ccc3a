//! The cloud WebSocket shell: connects to `ws(s)://HOST/glasses-ws` with the core token,
//! answers pings, pings when idle, reconnects with backoff and jitter, and delivers a bounded
//! outbox in order, also after a reconnect. Every write has a deadline and the connection's
//! liveness is checked between writes, so a cloud that stops reading is noticed. All protocol
//! decisions stay in the machines.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Uri};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tracing::{debug, info, warn};

use super::backoff::{Backoff, BackoffConfig};
use super::connector::{BoxedStream, CloudConnector};
use super::error::{CloudError, CloudParseError};
use super::incoming::{CloudGeneration, Incoming, MAX_FRAME_BYTES, parse_incoming};
use super::outbox::{Outbox, PushOutcome};
use super::outgoing::Outgoing;
use super::timestamp::iso8601;
use crate::redact::Redacted;
use crate::stream::StreamCommand;

/// Cloud connection settings. Every field documents its default.
#[derive(Debug, Clone)]
pub struct CloudConfig {
    /// `ws://` or `wss://` URL of the cloud. A URL without a path gets `/glasses-ws`.
    pub url: String,
    /// The core token: sent as the `token` query parameter and as `Authorization: Bearer`.
    pub token: Redacted<String>,
    /// Reconnect delays. Default: 500 ms doubling to 30 s, half jittered, starting over only
    /// after a connection stayed up 30 s.
    pub backoff: BackoffConfig,
    /// Messages kept for the cloud while it is unreachable. Past it the oldest is dropped and
    /// counted ([`CloudEvent::OutboxOverflow`]); nothing else is ever dropped. Default 1000.
    pub outbox_capacity: usize,
    /// Send a ping after this much silence. Default 15 s (the cloud itself pings every 10 s).
    pub ping_interval: Duration,
    /// Declare the connection dead after this much silence. Default 45 s.
    pub liveness_timeout: Duration,
    /// A write that has not gone out after this long means the connection is dead (a cloud
    /// that stopped reading fills the socket). Default 10 s.
    pub write_timeout: Duration,
    /// Give up on one connection attempt after this long. Default 10 s.
    pub connect_timeout: Duration,
    /// Seed for backoff jitter. Default 0 (the bridge seeds it per run).
    pub seed: u64,
    /// The stream-protocol generation to answer in before the cloud has sent a command that
    /// shows its own: statuses go out as `stream_status` (2026) or `rtmp_stream_status` (2025).
    /// Once the cloud sends a command, the bridge answers in that command's generation.
    /// Default [`CloudGeneration::V2026`].
    pub generation: CloudGeneration,
}

impl Default for CloudConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: Redacted::default(),
            backoff: BackoffConfig::default(),
            outbox_capacity: 1000,
            ping_interval: Duration::from_secs(15),
            liveness_timeout: Duration::from_secs(45),
            write_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            seed: 0,
            generation: CloudGeneration::V2026,
        }
    }
}

/// What the cloud client reports.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CloudEvent {
    /// Connected (again); queued messages are being delivered.
    Connected,
    /// Not connected; the next attempt comes after `retry_in`.
    Disconnected {
        /// Why, for logs and the UI (never contains the token).
        reason: String,
        /// Delay before the next attempt.
        retry_in: Duration,
        /// How long nothing had come from the cloud when the connection was given up (zero
        /// for a clean close): the cloud's last sign of life was this long ago.
        silent_for: Duration,
    },
    /// A command from the cloud, translated into the bridge's own terms.
    Command(StreamCommand),
    /// The cloud showed which generation it speaks (sent when it first shows it, and when it
    /// changes); statuses are rendered in it from now on.
    Generation(CloudGeneration),
    /// A cloud message type the bridge does not handle (ignored).
    Ignored {
        /// Its `type`.
        kind: String,
    },
    /// A frame that could not be used (dropped).
    Malformed(CloudParseError),
    /// The outbox was full and its oldest messages were dropped.
    OutboxOverflow {
        /// Messages dropped so far.
        dropped: u64,
    },
}

/// What the handle and the task share: the bounded outbox, a wake-up for new messages, and
/// the shutdown flag.
#[derive(Debug)]
struct Shared {
    outbox: Mutex<Outbox>,
    wake: Notify,
    shutdown: AtomicBool,
    /// A token given after start (`update_token`), used from the next connection on.
    token: Mutex<Option<Redacted<String>>>,
    /// Drop the connection (or the wait) and dial again at once.
    redial: AtomicBool,
    /// Bumped by every `update_token`.
    token_version: AtomicU64,
    /// The last ping's round trip, ms (`u32::MAX`: none yet).
    rtt_ms: AtomicU32,
    /// Connections made so far.
    connects: AtomicU32,
}

impl Shared {
    fn outbox(&self) -> std::sync::MutexGuard<'_, Outbox> {
        // The outbox is plain data: a panic elsewhere cannot leave it half-written.
        self.outbox.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Handle to the cloud client task. [`CloudClient::shutdown`], or dropping the last clone,
/// stops the task.
#[derive(Debug, Clone)]
pub struct CloudClient {
    shared: Arc<Shared>,
    _owner: Arc<Owner>,
}

/// Ends the task when the last handle is gone.
#[derive(Debug)]
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.shutdown.store(true, Ordering::SeqCst);
        self.0.wake.notify_one();
    }
}

type Ws = WebSocketStream<MaybeTlsStream<BoxedStream>>;

/// The most one socket read takes in (see the WebSocket config in `connect`).
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// After `reconnect_now`, how long a connection has to answer its ping before it is redialled.
pub(crate) const REDIAL_CHECK: Duration = Duration::from_secs(5);

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

/// Capacity of the event channel from the client task to the bridge.
const CHANNEL: usize = 256;
/// Messages written back to back before the connection is read and checked again.
const WRITE_BATCH: usize = 32;

impl CloudClient {
    /// Checks the configuration and spawns the client task on the current tokio runtime.
    /// Events arrive on the returned receiver.
    pub fn spawn(
        config: CloudConfig,
        connector: Arc<dyn CloudConnector>,
    ) -> Result<(Self, mpsc::Receiver<CloudEvent>), CloudError> {
        let target = Target::parse(&config.url)?;
        let (ev_tx, ev_rx) = mpsc::channel(CHANNEL);
        let shared = Arc::new(Shared {
            outbox: Mutex::new(Outbox::new(config.outbox_capacity)),
            wake: Notify::new(),
            shutdown: AtomicBool::new(false),
            token: Mutex::new(None),
            redial: AtomicBool::new(false),
            token_version: AtomicU64::new(0),
            rtt_ms: AtomicU32::new(u32::MAX),
            connects: AtomicU32::new(0),
        });
        let task = Task {
            generation: config.generation,
            backoff: Backoff::new(config.backoff.clone(), config.seed),
            config,
            target,
            connector,
            shared: Arc::clone(&shared),
            events: ev_tx,
            reported_drops: 0,
            token_version: 0,
        };
        tokio::spawn(task.run());
        let owner = Arc::new(Owner(Arc::clone(&shared)));
        Ok((
            Self {
                shared,
                _owner: owner,
            },
            ev_rx,
        ))
    }

    /// Queues a message for the cloud, stamped now. Delivered in order, after a reconnect if
    /// needed; only the outbox's bound ever drops one (the oldest, counted).
    pub fn send(&self, message: Outgoing) -> Result<(), CloudError> {
        if self.shared.shutdown.load(Ordering::SeqCst) {
            return Err(CloudError::Closed);
        }
        let stamp = iso8601(SystemTime::now());
        let outcome = self.shared.outbox().push(message, stamp);
        if outcome == PushOutcome::DroppedOldest {
            warn!("cloud outbox full; oldest message dropped");
        }
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Uses `token` from the next connection on (the current one stays, if it is up). While
    /// the cloud is unreachable, dials again at once with it.
    pub fn update_token(&self, token: Redacted<String>) {
        *self
            .shared
            .token
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(token);
        self.shared.token_version.fetch_add(1, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }

    /// The phone's network changed, or the app came to the foreground: while disconnected,
    /// dials now instead of waiting out the backoff; while connected, checks the connection at
    /// once (a ping, 5 s to answer) and dials again only if it is dead. Nothing
    /// queued is lost.
    pub fn reconnect_now(&self) {
        self.shared.redial.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }

    /// The round trip of the client's last WebSocket ping (sent after 15 s without a frame
    /// from the cloud), `None` before the first answer.
    pub fn rtt(&self) -> Option<Duration> {
        match self.shared.rtt_ms.load(Ordering::Relaxed) {
            u32::MAX => None,
            ms => Some(Duration::from_millis(u64::from(ms))),
        }
    }

    /// Connections made so far (the first included).
    pub fn connections(&self) -> u32 {
        self.shared.connects.load(Ordering::Relaxed)
    }

    /// Messages waiting in the outbox.
    pub fn outbox_len(&self) -> usize {
        self.shared.outbox().len()
    }

    /// Closes the connection politely and ends the task.
    pub async fn shutdown(&self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }
}

/// Where to connect, parsed once.
#[derive(Debug, Clone)]
struct Target {
    /// Full URL with the token query parameter. Secret: never logged.
    url: Redacted<String>,
    /// URL without query, for logs.
    display: String,
    host: String,
    port: u16,
}

impl Target {
    fn parse(url: &str) -> Result<Self, CloudError> {
        let bad = || CloudError::BadUrl(url.split('?').next().unwrap_or("").to_owned());
        let uri: Uri = url.parse().map_err(|_| bad())?;
        let tls = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") if cfg!(feature = "tls") => true,
            Some("wss") => {
                return Err(CloudError::BadUrl(
                    "wss:// needs TLS, which this build of the bridge leaves out (feature `tls`)"
                        .into(),
                ));
            }
            _ => return Err(bad()),
        };
        let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(bad)?;
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let path = match uri.path() {
            "" | "/" => "/glasses-ws",
            p => p,
        };
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
        let scheme = if tls { "wss" } else { "ws" };
        let display = format!("{scheme}://{authority}{path}");
        Ok(Self {
            url: Redacted::new(display.clone()),
            display,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
        })
    }

    fn with_token(&self, token: &str) -> String {
        let mut url = self.url.expose().clone();
        url.push_str("?token=");
        for b in token.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                url.push(char::from(b));
            } else {
                url.push_str(&format!("%{b:02X}"));
            }
        }
        url
    }
}

struct Task {
    config: CloudConfig,
    target: Target,
    connector: Arc<dyn CloudConnector>,
    shared: Arc<Shared>,
    events: mpsc::Sender<CloudEvent>,
    backoff: Backoff,
    /// The generation statuses are rendered in.
    generation: CloudGeneration,
    /// Outbox drops already reported.
    reported_drops: u64,
    /// The `update_token` count the last wait saw.
    token_version: u64,
}

/// Why a connection ended.
enum Ended {
    Shutdown,
    /// Lost, and how long the cloud had been silent.
    Lost(String, Duration),
    /// Closed because the app asked to dial again now.
    Redial,
}

impl Task {
    async fn run(mut self) {
        loop {
            if self.shutting_down() {
                return;
            }
            let (reason, silent_for) =
                match timeout(self.config.connect_timeout, self.connect()).await {
                    Ok(Ok(ws)) => {
                        info!(url = %self.target.display, "connected to cloud");
                        self.shared.connects.fetch_add(1, Ordering::Relaxed);
                        // A round trip of the last connection says nothing of this one.
                        self.shared.rtt_ms.store(u32::MAX, Ordering::Relaxed);
                        self.emit(CloudEvent::Connected).await;
                        let since = Instant::now();
                        let ended = self.serve(ws).await;
                        // Only a connection that stayed up starts the delays over: a cloud
                        // that accepts and closes at once is redialled slower and slower.
                        if since.elapsed() >= self.config.backoff.reset_after {
                            self.backoff.reset();
                        }
                        match ended {
                            Ended::Shutdown => return,
                            Ended::Lost(reason, silent) => (reason, silent),
                            Ended::Redial => {
                                self.backoff.reset();
                                self.emit(CloudEvent::Disconnected {
                                    reason: "reconnecting now, as the app asked".into(),
                                    retry_in: Duration::ZERO,
                                    silent_for: Duration::ZERO,
                                })
                                .await;
                                continue;
                            }
                        }
                    }
                    Ok(Err(reason)) => (reason, Duration::ZERO),
                    Err(_) => ("connection attempt timed out".to_owned(), Duration::ZERO),
                };
            let delay = self.backoff.next_delay();
            warn!(url = %self.target.display, %reason, retry_in = ?delay, "cloud not connected");
            self.emit(CloudEvent::Disconnected {
                reason,
                retry_in: delay,
                silent_for,
            })
            .await;
            if self.wait(delay).await {
                return;
            }
        }
    }

    fn shutting_down(&self) -> bool {
        self.shared.shutdown.load(Ordering::SeqCst)
    }

    async fn connect(&self) -> Result<Ws, String> {
        let stream = self
            .connector
            .connect(&self.target.host, self.target.port)
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.target.display))?;
        let token = self
            .shared
            .token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| self.config.token.clone());
        let url = self.target.with_token(token.expose());
        let mut request = url
            .into_client_request()
            .map_err(|_| format!("bad cloud URL {}", self.target.display))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| "token contains characters not allowed in a header".to_owned())?;
        request.headers_mut().insert("Authorization", bearer);
        // Reads of 4 KiB, not tungstenite's 128 KiB: the read buffer is zero-filled to its
        // read size before every read, so a 128 KiB one cost a 128 KiB memset (and the
        // cache it evicts) per frame. Cloud frames are far smaller; a bigger one takes more
        // reads.
        let ws_config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER_BYTES)
            .max_message_size(Some(MAX_FRAME_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES));
        #[cfg(feature = "tls")]
        let handshake =
            tokio_tungstenite::client_async_tls_with_config(request, stream, Some(ws_config), None)
                .await;
        #[cfg(not(feature = "tls"))]
        let handshake = tokio_tungstenite::client_async_with_config(
            request,
            MaybeTlsStream::Plain(stream),
            Some(ws_config),
        )
        .await;
        // tungstenite errors name the status or I/O problem, never the request URL.
        let (ws, _response) =
            handshake.map_err(|e| format!("handshake with {} failed: {e}", self.target.display))?;
        Ok(ws)
    }

    /// Waits out a backoff delay (messages keep queueing in the shared outbox). True on
    /// shutdown.
    async fn wait(&mut self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        loop {
            if self.shutting_down() {
                return true;
            }
            let token_version = self.shared.token_version.load(Ordering::SeqCst);
            if token_version != self.token_version {
                // A new token: try it now (the backoff goes on growing if it fails too).
                self.token_version = token_version;
                return false;
            }
            if self.shared.redial.swap(false, Ordering::SeqCst) {
                // The app says the network changed: dial now, and from the first delay again.
                self.backoff.reset();
                return false;
            }
            self.report_drops().await;
            tokio::select! {
                biased;
                _ = sleep_until(deadline) => return false,
                _ = self.shared.wake.notified() => {}
            }
        }
    }

    async fn serve(&mut self, mut ws: Ws) -> Ended {
        let mut last_rx = Instant::now();
        let mut last_ping = last_rx;
        // Set by `reconnect_now`: when the liveness ping went out.
        let mut probe_since: Option<Instant> = None;
        // When the last ping went out, to time its pong.
        let mut ping_sent: Option<Instant> = None;
        loop {
            if self.shutting_down() {
                let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
                return Ended::Shutdown;
            }
            if self.shared.redial.swap(false, Ordering::SeqCst) {
                // Is this connection still alive on the new network? A ping will say.
                probe_since = Some(Instant::now());
                match timeout(
                    self.config.write_timeout,
                    ws.send(Message::Ping(Vec::new().into())),
                )
                .await
                {
                    Ok(Ok(())) => {}
                    _ => return Ended::Redial,
                }
            }
            if let Some(since) = probe_since {
                if last_rx > since {
                    probe_since = None; // it answered: keep it
                } else if Instant::now() >= since + REDIAL_CHECK {
                    let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
                    return Ended::Redial;
                }
            }
            self.report_drops().await;
            // Every write has a deadline: a cloud that stops reading is noticed, not waited on.
            if let Err(reason) = self.flush(&mut ws).await {
                return Ended::Lost(reason, last_rx.elapsed());
            }
            let quiet_since = last_rx.max(last_ping);
            let ping_at = quiet_since + self.config.ping_interval;
            let dead_at = (last_rx + self.config.liveness_timeout)
                .min(probe_since.map_or(far_future(), |s| s + REDIAL_CHECK));
            if Instant::now() >= dead_at {
                return Ended::Lost(
                    format!(
                        "no answer from the cloud for {:?}",
                        self.config.liveness_timeout
                    ),
                    last_rx.elapsed(),
                );
            }
            let backlog = !self.shared.outbox().is_empty();
            tokio::select! {
                // Fixed order, so a seeded simulation replays exactly.
                biased;
                frame = ws.next() => {
                    last_rx = Instant::now();
                    match frame {
                        Some(Ok(Message::Text(text))) => self.incoming(text.as_str()).await,
                        Some(Ok(Message::Pong(_))) => {
                            if let Some(sent) = ping_sent.take() {
                                let ms = u32::try_from(last_rx.saturating_duration_since(sent).as_millis()).unwrap_or(u32::MAX - 1);
                                self.shared.rtt_ms.store(ms, Ordering::Relaxed);
                            }
                        }
                        Some(Ok(Message::Ping(_))) => {
                            // tungstenite queued the pong; push it out now.
                            match timeout(self.config.write_timeout, ws.flush()).await {
                                Ok(Ok(())) => {}
                                Ok(Err(e)) => return Ended::Lost(format!("write failed: {e}"), Duration::ZERO),
                                Err(_) => return Ended::Lost("write timed out".to_owned(), last_rx.elapsed()),
                            }
                        }
                        Some(Ok(Message::Close(frame))) => {
                            let why = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                            return Ended::Lost(format!("cloud closed the connection {why}").trim_end().to_owned(), Duration::ZERO);
                        }
                        Some(Ok(Message::Binary(_))) => debug!("binary cloud frame ignored"),
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Ended::Lost(format!("read failed: {e}"), Duration::ZERO),
                        None => return Ended::Lost("connection closed".to_owned(), Duration::ZERO),
                    }
                },
                // More to write than one batch: go round again at once.
                _ = std::future::ready(()), if backlog => {}
                _ = self.shared.wake.notified() => {}
                _ = sleep_until(ping_at.min(dead_at)) => {
                    let now = Instant::now();
                    if now >= dead_at {
                        return Ended::Lost(format!("no answer from the cloud for {:?}", self.config.liveness_timeout), last_rx.elapsed());
                    }
                    last_ping = now;
                    ping_sent = Some(now);
                    match timeout(self.config.write_timeout, ws.send(Message::Ping(Vec::new().into()))).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => return Ended::Lost(format!("write failed: {e}"), last_rx.elapsed()),
                        Err(_) => return Ended::Lost("write timed out".to_owned(), last_rx.elapsed()),
                    }
                }
            }
        }
    }

    /// Writes up to a batch of queued messages in order; a message leaves the outbox only
    /// once written. A write that does not go out within `write_timeout` ends the connection.
    async fn flush(&mut self, ws: &mut Ws) -> Result<(), String> {
        for _ in 0..WRITE_BATCH {
            let Some(json) = self.shared.outbox().front_json(self.generation) else {
                return Ok(());
            };
            match timeout(self.config.write_timeout, ws.send(Message::text(json))).await {
                Ok(Ok(())) => self.shared.outbox().pop_front(),
                Ok(Err(e)) => return Err(format!("write failed: {e}")),
                Err(_) => {
                    return Err(format!(
                        "write timed out after {:?}: the cloud is not reading",
                        self.config.write_timeout
                    ));
                }
            }
        }
        Ok(())
    }

    /// Tells the bridge when the outbox's bound dropped messages.
    async fn report_drops(&mut self) {
        let dropped = self.shared.outbox().dropped();
        if dropped > self.reported_drops {
            self.reported_drops = dropped;
            self.emit(CloudEvent::OutboxOverflow { dropped }).await;
        }
    }

    async fn incoming(&mut self, text: &str) {
        let event = match parse_incoming(text) {
            Ok(Incoming::Command {
                command,
                generation,
            }) => {
                if generation != self.generation {
                    info!(
                        ?generation,
                        "the cloud speaks this stream-protocol generation"
                    );
                    self.generation = generation;
                    self.emit(CloudEvent::Generation(generation)).await;
                }
                CloudEvent::Command(command.into())
            }
            Ok(Incoming::Unknown { kind }) => {
                debug!(%kind, "cloud message type not handled; ignored");
                CloudEvent::Ignored { kind }
            }
            Err(e) => {
                warn!("malformed cloud message dropped: {e}");
                CloudEvent::Malformed(e)
            }
        };
        self.emit(event).await;
    }

    async fn emit(&self, event: CloudEvent) {
        // The bridge drains this channel continuously; a closed channel means it is gone.
        let _ = self.events.send(event).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_gets_default_path_and_token_never_in_display() {
        let t = Target::parse("wss://cloud.example.com").unwrap();
        assert_eq!(t.display, "wss://cloud.example.com/glasses-ws");
        assert_eq!(t.port, 443);
        let full = t.with_token("a b/c");
        assert_eq!(full, "wss://cloud.example.com/glasses-ws?token=a%20b%2Fc");
        assert!(!format!("{t:?}").contains("token="));
        let t = Target::parse("ws://127.0.0.1:9000/custom").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 9000));
        assert_eq!(t.display, "ws://127.0.0.1:9000/custom");
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_queries() {
        for bad in ["http://x/", "x", "ws://", "wss:///p?token=secret"] {
            let err = Target::parse(bad).unwrap_err();
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }
}
