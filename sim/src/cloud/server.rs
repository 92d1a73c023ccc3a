//! The cloud simulator's server: accepts the bridge's WebSocket at `/glasses-ws` on 127.0.0.1,
//! checks the token, pings like the real cloud, sends commands on request and records every
//! message it receives. It stops by itself when dropped.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mentra_bridge::cloud::{
    BoxedStream, CloudCommand, CloudConnector, CloudGeneration, Outgoing, parse_outgoing,
};
use mentra_bridge::glasses::BoxFuture;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, interval_at, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tracing::debug;

/// Cloud simulator settings.
#[derive(Debug, Clone)]
pub struct CloudSimConfig {
    /// The core token the bridge must present (query and bearer header); `None` accepts any.
    pub token: Option<String>,
    /// How often the server pings, like the real cloud. Default 10 s.
    pub ping_interval: Duration,
    /// Which generation of the stream protocol the simulated cloud speaks. Default 2026.
    pub generation: CloudGeneration,
}

impl Default for CloudSimConfig {
    fn default() -> Self {
        Self {
            token: None,
            ping_interval: Duration::from_secs(10),
            generation: CloudGeneration::V2026,
        }
    }
}

/// One message the simulator received, with the connection it came on.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// 1 for the first connection, 2 after the first reconnect, …
    pub connection: usize,
    /// Its `type` as the bridge wrote it (`stream_status` or `rtmp_stream_status` for
    /// statuses).
    pub kind: String,
    /// The message.
    pub message: Outgoing,
}

enum ConnCmd {
    Text(String),
    Close,
    /// Stop reading, writing and pinging, but keep the socket: a cloud that died without a
    /// word (its TCP connection left half-open).
    Silence,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    malformed: AtomicUsize,
    conn: Mutex<Option<(usize, mpsc::Sender<ConnCmd>)>>,
    connections: AtomicUsize,
    refusing: AtomicBool,
    accept_then_close: AtomicBool,
    /// Silenced connections, kept open until [`CloudSim::end_silence`].
    silenced: Mutex<Vec<mpsc::Sender<ConnCmd>>>,
    auth_failures: AtomicUsize,
    /// When the last text frame was written on the connection.
    last_text_written: Mutex<Option<std::time::Instant>>,
}

/// A running cloud simulator.
pub struct CloudSim {
    /// `None` for the in-memory simulator.
    addr: Option<SocketAddr>,
    generation: CloudGeneration,
    shared: Arc<Shared>,
    changed: watch::Receiver<u64>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for CloudSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudSim")
            .field("addr", &self.addr)
            .finish()
    }
}

impl Drop for CloudSim {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
        if let Some((_, tx)) = self
            .shared
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = tx.try_send(ConnCmd::Close);
        }
    }
}

impl CloudSim {
    /// Binds 127.0.0.1 on a free port and starts serving.
    pub async fn start(config: CloudSimConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let config_generation = config.generation;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let (changed_tx, changed) = watch::channel(0u64);
        let changed_tx = Arc::new(changed_tx);
        let task = tokio::spawn(accept_loop(
            listener,
            config,
            Arc::clone(&shared),
            changed_tx,
        ));
        Ok(Self {
            addr: Some(addr),
            generation: config_generation,
            shared,
            changed,
            task: Some(task),
        })
    }

    /// A simulator with no socket at all, and the connector that reaches it: give the
    /// connector to the bridge (with any `ws://` URL). Runs under tokio's paused clock.
    pub fn in_memory(config: CloudSimConfig) -> (Self, Arc<dyn CloudConnector>) {
        let generation = config.generation;
        let shared = Arc::new(Shared::default());
        let (changed_tx, changed) = watch::channel(0u64);
        let connector = SimConnector {
            config,
            shared: Arc::clone(&shared),
            changed: Arc::new(changed_tx),
        };
        (
            Self {
                addr: None,
                generation,
                shared,
                changed,
                task: None,
            },
            Arc::new(connector),
        )
    }

    /// The URL to give the bridge (`ws://127.0.0.1:PORT/glasses-ws`, or a placeholder host for
    /// the in-memory simulator).
    pub fn url(&self) -> String {
        match self.addr {
            Some(addr) => format!("ws://{addr}/glasses-ws"),
            None => "ws://cloud.sim.invalid/glasses-ws".to_owned(),
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Handshakes refused for a wrong or missing token.
    pub fn auth_failures(&self) -> usize {
        self.shared.auth_failures.load(Ordering::SeqCst)
    }

    /// Frames that were not a message the bridge should send.
    pub fn malformed(&self) -> usize {
        self.shared.malformed.load(Ordering::SeqCst)
    }

    /// Everything received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many messages have been received (a cursor for [`CloudSim::wait_for`]).
    pub fn cursor(&self) -> usize {
        self.shared
            .received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The generation this simulated cloud speaks.
    pub fn generation(&self) -> CloudGeneration {
        self.generation
    }

    /// Sends a command to the connected bridge, named and shaped as the cloud of this
    /// simulator's generation does, with an ISO timestamp. False when no bridge is connected.
    pub async fn send(&self, command: &CloudCommand) -> bool {
        let stamp = mentra_bridge::cloud::iso8601(std::time::SystemTime::now());
        self.send_raw(command.to_json(self.generation, Some(&stamp)))
            .await
    }

    /// Sends any text frame (for hostile-input tests). False when no bridge is connected.
    pub async fn send_raw(&self, text: String) -> bool {
        let tx = self
            .shared
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|(_, tx)| tx.clone());
        match tx {
            Some(tx) => tx.send(ConnCmd::Text(text)).await.is_ok(),
            None => false,
        }
    }

    /// When the last text frame ([`send`](Self::send), [`send_raw`](Self::send_raw)) was
    /// written on the bridge's connection (its socket, or the in-memory pipe): from then on
    /// it is the bridge's (and the kernel's). `None` before the first.
    pub fn last_text_written(&self) -> Option<std::time::Instant> {
        *self
            .shared
            .last_text_written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes the bridge's connection (a clean WebSocket close, as a cloud restart does).
    pub async fn drop_connection(&self) {
        let tx = self
            .shared
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((_, tx)) = tx {
            let _ = tx.send(ConnCmd::Close).await;
        }
    }

    /// While true, new connections are refused (the cloud is "down").
    pub fn set_refusing(&self, refusing: bool) {
        self.shared.refusing.store(refusing, Ordering::SeqCst);
    }

    /// While true, every new connection is accepted (handshake and all) and closed at once.
    pub fn set_accept_then_close(&self, on: bool) {
        self.shared.accept_then_close.store(on, Ordering::SeqCst);
    }

    /// The cloud dies without a word: the current connection stays open but nothing is read,
    /// written or pinged on it any more. New connections are served as usual (set
    /// [`CloudSim::set_refusing`] too for a cloud that is gone).
    pub async fn silence(&self) {
        let tx = self
            .shared
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((_, tx)) = tx {
            let _ = tx.send(ConnCmd::Silence).await;
            self.shared
                .silenced
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(tx);
        }
    }

    /// Drops the silenced connections (their sockets close without a close frame).
    pub fn end_silence(&self) {
        self.shared
            .silenced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// A receiver that changes whenever a message arrives or a connection comes or goes.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changed.clone()
    }

    /// True while a bridge is connected (and the connection is not silenced).
    pub fn is_connected(&self) -> bool {
        self.shared
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Waits up to `limit` for a message at or after `cursor` that matches; returns its index
    /// and the message.
    pub async fn wait_for(
        &self,
        cursor: usize,
        limit: Duration,
        mut matches: impl FnMut(&Outgoing) -> bool,
    ) -> Option<(usize, Outgoing)> {
        let mut changed = self.changed.clone();
        let deadline = Instant::now() + limit;
        loop {
            {
                let received = self
                    .shared
                    .received
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if let Some((i, r)) = received
                    .iter()
                    .enumerate()
                    .skip(cursor)
                    .find(|(_, r)| matches(&r.message))
                {
                    return Some((i, r.message.clone()));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || timeout(left, changed.changed()).await.is_err() {
                return None;
            }
        }
    }

    /// Waits up to `limit` until a bridge is connected.
    pub async fn wait_connected(&self, limit: Duration) -> bool {
        let mut changed = self.changed.clone();
        let deadline = Instant::now() + limit;
        loop {
            if self
                .shared
                .conn
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_some()
            {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || timeout(left, changed.changed()).await.is_err() {
                return false;
            }
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    config: CloudSimConfig,
    shared: Arc<Shared>,
    changed: Arc<watch::Sender<u64>>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        if shared.refusing.load(Ordering::SeqCst) {
            drop(stream);
            continue;
        }
        tokio::spawn(handle_connection(
            stream,
            config.clone(),
            Arc::clone(&shared),
            Arc::clone(&changed),
        ));
    }
}

/// Connects the bridge to an in-memory cloud simulator: no socket, so it also runs under a
/// paused test clock.
struct SimConnector {
    config: CloudSimConfig,
    shared: Arc<Shared>,
    changed: Arc<watch::Sender<u64>>,
}

impl CloudConnector for SimConnector {
    fn connect(&self, _host: &str, _port: u16) -> BoxFuture<'_, std::io::Result<BoxedStream>> {
        Box::pin(async move {
            if self.shared.refusing.load(Ordering::SeqCst) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "cloud simulator is refusing connections",
                ));
            }
            let (client, server) = tokio::io::duplex(64 * 1024);
            tokio::spawn(handle_connection(
                server,
                self.config.clone(),
                Arc::clone(&self.shared),
                Arc::clone(&self.changed),
            ));
            Ok(Box::new(client) as BoxedStream)
        })
    }
}

async fn handle_connection<S>(
    stream: S,
    config: CloudSimConfig,
    shared: Arc<Shared>,
    changed: Arc<watch::Sender<u64>>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let expected = config.token.clone();
    let failures = Arc::clone(&shared);
    // The callback type is fixed by tungstenite.
    #[allow(clippy::result_large_err)]
    let check = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let query_token = req.uri().query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .map(str::to_owned)
        });
        let bearer = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let ok = req.uri().path() == "/glasses-ws"
            && match &expected {
                None => true,
                Some(t) => {
                    query_token.as_deref() == Some(t.as_str())
                        && bearer.as_deref() == Some(t.as_str())
                }
            };
        if ok {
            Ok(resp)
        } else {
            failures.auth_failures.fetch_add(1, Ordering::SeqCst);
            let mut refusal = ErrorResponse::new(Some("unauthorized".into()));
            *refusal.status_mut() = StatusCode::UNAUTHORIZED;
            Err(refusal)
        }
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, check).await else {
        return;
    };
    let id = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
    if shared.accept_then_close.load(Ordering::SeqCst) {
        let _ = ws.close(None).await;
        changed.send_modify(|v| *v += 1);
        return;
    }
    let (tx, rx) = mpsc::channel(64);
    *shared.conn.lock().unwrap_or_else(PoisonError::into_inner) = Some((id, tx));
    changed.send_modify(|v| *v += 1);
    serve(id, ws, rx, config.ping_interval, shared, changed).await;
}

async fn serve<S>(
    id: usize,
    mut ws: tokio_tungstenite::WebSocketStream<S>,
    mut rx: mpsc::Receiver<ConnCmd>,
    ping_interval: Duration,
    shared: Arc<Shared>,
    changed: Arc<watch::Sender<u64>>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut ping = interval_at(Instant::now() + ping_interval, ping_interval);
    loop {
        tokio::select! {
            biased;
            cmd = rx.recv() => match cmd {
                Some(ConnCmd::Text(t)) => {
                    if ws.send(Message::text(t)).await.is_err() { break; }
                    *shared.last_text_written.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some(std::time::Instant::now());
                }
                Some(ConnCmd::Close) | None => {
                    let _ = ws.close(None).await;
                    break;
                }
                Some(ConnCmd::Silence) => {
                    // Hold the socket, do nothing, until the simulator lets it go.
                    while rx.recv().await.is_some() {}
                    break;
                }
            },
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    match parse_outgoing(text.as_str()) {
                        Ok(frame) => shared
                            .received
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(Received { connection: id, kind: frame.kind, message: frame.message }),
                        Err(e) => {
                            debug!("cloud sim: unexpected frame: {e}");
                            shared.malformed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    changed.send_modify(|v| *v += 1);
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if ws.send(Message::Ping(Vec::new().into())).await.is_err() { break; }
            }
        }
    }
    let mut conn = shared.conn.lock().unwrap_or_else(PoisonError::into_inner);
    if conn.as_ref().is_some_and(|(current, _)| *current == id) {
        *conn = None;
    }
    drop(conn);
    changed.send_modify(|v| *v += 1);
}
