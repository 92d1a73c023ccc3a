//! The cloud WebSocket shell: connects to `ws(s)://HOST/glasses-ws` with the core token,
//! answers pings, pings when idle, reconnects with backoff and jitter, and delivers a bounded
//! outbox in order, also after a reconnect. All protocol decisions stay in the machines.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
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
    /// Reconnect delays. Default: 500 ms doubling to 30 s, half jittered.
    pub backoff: BackoffConfig,
    /// Messages kept for the cloud while it is unreachable. Default 1000.
    pub outbox_capacity: usize,
    /// Send a ping after this much silence. Default 15 s (the cloud itself pings every 10 s).
    pub ping_interval: Duration,
    /// Declare the connection dead after this much silence. Default 45 s.
    pub liveness_timeout: Duration,
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
    /// The outbox was full and the oldest message was dropped.
    OutboxOverflow {
        /// Messages dropped so far.
        dropped: u64,
    },
}

enum ClientCommand {
    Send(Box<Outgoing>, String),
    Shutdown,
}

/// Handle to the cloud client task. Dropping it (or [`CloudClient::shutdown`]) stops the task.
#[derive(Debug, Clone)]
pub struct CloudClient {
    tx: mpsc::Sender<ClientCommand>,
    depth: Arc<AtomicUsize>,
}

impl std::fmt::Debug for ClientCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientCommand::Send(..) => f.write_str("Send"),
            ClientCommand::Shutdown => f.write_str("Shutdown"),
        }
    }
}

type Ws = WebSocketStream<MaybeTlsStream<BoxedStream>>;

/// Capacity of the command and event channels between the client task and the bridge.
const CHANNEL: usize = 256;

impl CloudClient {
    /// Checks the configuration and spawns the client task on the current tokio runtime.
    /// Events arrive on the returned receiver.
    pub fn spawn(
        config: CloudConfig,
        connector: Arc<dyn CloudConnector>,
    ) -> Result<(Self, mpsc::Receiver<CloudEvent>), CloudError> {
        let target = Target::parse(&config.url)?;
        let (tx, rx) = mpsc::channel(CHANNEL);
        let (ev_tx, ev_rx) = mpsc::channel(CHANNEL);
        let depth = Arc::new(AtomicUsize::new(0));
        let task = Task {
            depth: Arc::clone(&depth),
            generation: config.generation,
            outbox: Outbox::new(config.outbox_capacity),
            backoff: Backoff::new(config.backoff.clone(), config.seed),
            config,
            target,
            connector,
            commands: rx,
            events: ev_tx,
        };
        tokio::spawn(task.run());
        Ok((Self { tx, depth }, ev_rx))
    }

    /// Messages waiting in the outbox.
    pub fn outbox_len(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }

    /// Queues a message for the cloud, stamped now. Delivered in order, after a reconnect if
    /// needed.
    pub fn send(&self, message: Outgoing) -> Result<(), CloudError> {
        let stamp = iso8601(SystemTime::now());
        self.tx
            .try_send(ClientCommand::Send(Box::new(message), stamp))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => CloudError::QueueFull,
                mpsc::error::TrySendError::Closed(_) => CloudError::Closed,
            })
    }

    /// Closes the connection politely and ends the task.
    pub async fn shutdown(&self) {
        let _ = self.tx.send(ClientCommand::Shutdown).await;
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
    commands: mpsc::Receiver<ClientCommand>,
    events: mpsc::Sender<CloudEvent>,
    outbox: Outbox,
    backoff: Backoff,
    /// The generation statuses are rendered in.
    generation: CloudGeneration,
    /// The outbox's length, for [`CloudClient::outbox_len`].
    depth: Arc<AtomicUsize>,
}

/// Why a connection ended.
enum Ended {
    Shutdown,
    Lost(String),
}

impl Task {
    async fn run(mut self) {
        loop {
            let reason = match timeout(self.config.connect_timeout, self.connect()).await {
                Ok(Ok(ws)) => {
                    info!(url = %self.target.display, "connected to cloud");
                    self.backoff.reset();
                    self.emit(CloudEvent::Connected).await;
                    match self.serve(ws).await {
                        Ended::Shutdown => return,
                        Ended::Lost(reason) => reason,
                    }
                }
                Ok(Err(reason)) => reason,
                Err(_) => "connection attempt timed out".to_owned(),
            };
            let delay = self.backoff.next_delay();
            warn!(url = %self.target.display, %reason, retry_in = ?delay, "cloud not connected");
            self.emit(CloudEvent::Disconnected {
                reason,
                retry_in: delay,
            })
            .await;
            if self.wait(delay).await {
                return;
            }
        }
    }

    async fn connect(&self) -> Result<Ws, String> {
        let stream = self
            .connector
            .connect(&self.target.host, self.target.port)
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.target.display))?;
        let url = self.target.with_token(self.config.token.expose());
        let mut request = url
            .into_client_request()
            .map_err(|_| format!("bad cloud URL {}", self.target.display))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {}", self.config.token.expose()))
            .map_err(|_| "token contains characters not allowed in a header".to_owned())?;
        request.headers_mut().insert("Authorization", bearer);
        let ws_config = WebSocketConfig::default()
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

    /// Waits out a backoff delay while still queueing messages. True on shutdown.
    async fn wait(&mut self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        loop {
            tokio::select! {
                biased;
                _ = sleep_until(deadline) => return false,
                cmd = self.commands.recv() => match cmd {
                    Some(ClientCommand::Send(m, t)) => self.queue(*m, t).await,
                    Some(ClientCommand::Shutdown) | None => return true,
                },
            }
        }
    }

    async fn serve(&mut self, mut ws: Ws) -> Ended {
        let mut last_rx = Instant::now();
        let mut last_ping = last_rx;
        loop {
            if let Err(reason) = self.flush(&mut ws).await {
                return Ended::Lost(reason);
            }
            let quiet_since = last_rx.max(last_ping);
            let ping_at = quiet_since + self.config.ping_interval;
            let dead_at = last_rx + self.config.liveness_timeout;
            tokio::select! {
                // Fixed order, so a seeded simulation replays exactly.
                biased;
                cmd = self.commands.recv() => match cmd {
                    Some(ClientCommand::Send(m, t)) => self.queue(*m, t).await,
                    Some(ClientCommand::Shutdown) | None => {
                        let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
                        return Ended::Shutdown;
                    }
                },
                frame = ws.next() => {
                    last_rx = Instant::now();
                    match frame {
                        Some(Ok(Message::Text(text))) => self.incoming(text.as_str()).await,
                        Some(Ok(Message::Ping(_))) => {
                            // tungstenite queued the pong; push it out now.
                            if let Err(e) = ws.flush().await {
                                return Ended::Lost(format!("write failed: {e}"));
                            }
                        }
                        Some(Ok(Message::Close(frame))) => {
                            let why = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                            return Ended::Lost(format!("cloud closed the connection {why}").trim_end().to_owned());
                        }
                        Some(Ok(Message::Binary(_))) => debug!("binary cloud frame ignored"),
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Ended::Lost(format!("read failed: {e}")),
                        None => return Ended::Lost("connection closed".to_owned()),
                    }
                },
                _ = sleep_until(ping_at.min(dead_at)) => {
                    let now = Instant::now();
                    if now >= dead_at {
                        return Ended::Lost(format!("no answer from the cloud for {:?}", self.config.liveness_timeout));
                    }
                    last_ping = now;
                    if let Err(e) = ws.send(Message::Ping(Vec::new().into())).await {
                        return Ended::Lost(format!("write failed: {e}"));
                    }
                }
            }
        }
    }

    /// Writes queued messages in order; a message leaves the outbox only once written.
    async fn flush(&mut self, ws: &mut Ws) -> Result<(), String> {
        while let Some(json) = self.outbox.front_json(self.generation) {
            ws.send(Message::text(json))
                .await
                .map_err(|e| format!("write failed: {e}"))?;
            self.outbox.pop_front();
            self.depth.store(self.outbox.len(), Ordering::Relaxed);
        }
        Ok(())
    }

    async fn queue(&mut self, message: Outgoing, timestamp: String) {
        let outcome = self.outbox.push(message, timestamp);
        self.depth.store(self.outbox.len(), Ordering::Relaxed);
        if outcome == PushOutcome::DroppedOldest {
            let dropped = self.outbox.dropped();
            warn!(dropped, "cloud outbox full; oldest message dropped");
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
