//! Glasses on the LAN. In our dialect, the packet framing of proto/README.md §2 carried over
//! TCP, each packet preceded by its length (u16 big-endian); in the Mentra Live dialect, K900
//! frames back to back (they carry their own length). The link connects, reconnects with
//! backoff and jitter, and reports Up/Down like any other link. Its task starts on first use,
//! on the bridge's own runtime.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tracing::{debug, info, warn};

use super::dialect::Dialect;
use super::link::LinkEvent;
use super::live::k900::FrameStream;
use super::task_link::{Control, TaskEnds, TaskLink, task_link_impl};
use crate::cloud::{Backoff, BackoffConfig};
use crate::wire::MAX_PACKET;

/// The MTU a TCP link reports: packets of up to 512 bytes, as on the best BLE links.
pub const TCP_MTU: u16 = MAX_PACKET as u16 + 3;

/// Settings of a TCP link. Every field documents its default.
#[derive(Debug, Clone)]
pub struct TcpLinkConfig {
    /// `host:port` of the glasses.
    pub address: String,
    /// Reconnect delays. Default: 1 s doubling to 30 s, half jittered.
    pub backoff: BackoffConfig,
    /// Give up on one connection attempt after this long. Default 5 s.
    pub connect_timeout: Duration,
    /// Seed for the backoff jitter. Default 0.
    pub seed: u64,
    /// What the glasses at the other end speak. Default our protobuf schema.
    pub dialect: Dialect,
}

impl TcpLinkConfig {
    /// Settings for glasses at `address` (`host:port`), with the defaults.
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            backoff: BackoffConfig {
                initial: Duration::from_secs(1),
                ..BackoffConfig::default()
            },
            connect_timeout: Duration::from_secs(5),
            seed: 0,
            dialect: Dialect::MentraProto,
        }
    }
}

/// A [`GlassesLink`](super::GlassesLink) over TCP.
pub struct TcpLink {
    inner: TaskLink,
}

impl std::fmt::Debug for TcpLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpLink")
            .field("to", &self.inner.describe)
            .finish()
    }
}

impl TcpLink {
    /// A link to glasses at `config.address`; it connects on first use.
    pub fn new(config: TcpLinkConfig) -> Self {
        let describe = format!("tcp://{}", config.address);
        let mut inner = TaskLink::new(describe, Box::new(move |ends| Box::pin(run(config, ends))));
        // Plain TCP: nothing on the wire is encrypted, whatever the glasses say.
        inner.encrypted = Some(false);
        Self { inner }
    }
}

task_link_impl!(TcpLink);

/// Connect, serve, back off, forever (until the link is dropped).
async fn run(config: TcpLinkConfig, ends: TaskEnds) {
    let TaskEnds {
        up,
        dialect,
        mut control,
        events,
    } = ends;
    dialect.store(config.dialect.to_u8(), Ordering::SeqCst);
    let mut backoff = Backoff::new(config.backoff.clone(), config.seed);
    let mut reported_down = false;
    loop {
        let reason =
            match timeout(config.connect_timeout, TcpStream::connect(&config.address)).await {
                Ok(Ok(stream)) => {
                    info!(address = %config.address, "glasses connected over TCP");
                    backoff.reset();
                    let _ = stream.set_nodelay(true);
                    up.store(true, Ordering::SeqCst);
                    reported_down = false;
                    if events.send(LinkEvent::Up { mtu: TCP_MTU }).await.is_err() {
                        return;
                    }
                    let reason = serve(stream, config.dialect, &mut control, &events).await;
                    up.store(false, Ordering::SeqCst);
                    match reason {
                        Some(reason) => reason,
                        None => return, // the bridge is gone
                    }
                }
                Ok(Err(e)) => format!("cannot reach glasses at {}: {e}", config.address),
                Err(_) => format!("no answer from glasses at {}", config.address),
            };
        if !reported_down {
            reported_down = true;
            if events
                .send(LinkEvent::Down {
                    reason: reason.clone(),
                })
                .await
                .is_err()
            {
                return;
            }
        }
        let delay = backoff.next_delay();
        debug!(%reason, retry_in = ?delay, "TCP glasses link down");
        // Packets queued for a dead connection are dropped: the session retries what matters.
        let deadline = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break,
                c = control.recv() => if c.is_none() { return },
            }
        }
    }
}

/// Serves one connection. `Some(reason)` when it ended, `None` when the bridge went away.
async fn serve(
    stream: TcpStream,
    dialect: Dialect,
    control: &mut mpsc::Receiver<Control>,
    events: &mpsc::Sender<LinkEvent>,
) -> Option<String> {
    let (read, mut write) = stream.into_split();
    // A reader task keeps frame reads whole even when the select below moves on.
    let (frames_tx, mut frames) = mpsc::channel(256);
    let reader = match dialect {
        Dialect::MentraProto => tokio::spawn(read_frames(read, frames_tx)),
        Dialect::MentraLive => tokio::spawn(read_k900(read, frames_tx)),
    };
    let reason = loop {
        tokio::select! {
            c = control.recv() => match c {
                Some(Control::Packet(p)) => {
                    let Ok(len) = u16::try_from(p.len()) else {
                        warn!("packet of {} bytes not sent: over the TCP frame limit", p.len());
                        continue;
                    };
                    let mut frame = Vec::with_capacity(p.len() + 2);
                    if dialect == Dialect::MentraProto {
                        frame.extend_from_slice(&len.to_be_bytes());
                    }
                    frame.extend_from_slice(&p);
                    if let Err(e) = write.write_all(&frame).await {
                        break Some(format!("write failed: {e}"));
                    }
                }
                Some(Control::Recycle) => break Some("recycled: the glasses went silent".into()),
                None => break None,
            },
            f = frames.recv() => match f {
                Some(Ok(packet)) => {
                    if events.send(LinkEvent::Packet(packet)).await.is_err() {
                        break None;
                    }
                }
                Some(Err(reason)) => break Some(reason),
                None => break Some("connection closed".into()),
            },
        }
    };
    reader.abort();
    let _ = write.shutdown().await;
    reason
}

async fn read_frames(read: OwnedReadHalf, out: mpsc::Sender<Result<Vec<u8>, String>>) {
    let mut read = BufReader::new(read);
    loop {
        let mut len = [0u8; 2];
        if let Err(e) = read.read_exact(&mut len).await {
            let _ = out.send(Err(format!("connection closed: {e}"))).await;
            return;
        }
        let len = usize::from(u16::from_be_bytes(len));
        if len == 0 || len > MAX_PACKET {
            let _ = out
                .send(Err(format!(
                    "bad frame length {len}: closing the connection"
                )))
                .await;
            return;
        }
        let mut packet = vec![0u8; len];
        if let Err(e) = read.read_exact(&mut packet).await {
            let _ = out
                .send(Err(format!("connection closed mid-frame: {e}")))
                .await;
            return;
        }
        if out.send(Ok(packet)).await.is_err() {
            return;
        }
    }
}

/// Mentra Live over TCP: K900 frames back to back, each handed on as one packet (as one BLE
/// notification would carry it). Garbage between frames is skipped.
async fn read_k900(read: OwnedReadHalf, out: mpsc::Sender<Result<Vec<u8>, String>>) {
    let mut read = BufReader::new(read);
    let mut frames = FrameStream::new(8 * 1024);
    let mut buf = [0u8; 2048];
    loop {
        match read.read(&mut buf).await {
            Ok(0) => {
                let _ = out.send(Err("connection closed".into())).await;
                return;
            }
            Ok(n) => frames.push(&buf[..n]),
            Err(e) => {
                let _ = out.send(Err(format!("connection closed: {e}"))).await;
                return;
            }
        }
        while let Some(frame) = frames.next_frame() {
            if out.send(Ok(frame)).await.is_err() {
                return;
            }
        }
    }
}
