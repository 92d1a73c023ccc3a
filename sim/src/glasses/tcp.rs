//! The glasses simulator's TCP server (`mentra-glasses-sim --tcp ADDR`): one phone at a time,
//! the packet framing of proto/README.md §3 (u16 big-endian length + packet), or, for the
//! Mentra Live personality, K900 frames back to back. The simulated camera outlives a
//! connection, as real glasses do.

use std::net::SocketAddr;
use std::sync::Arc;

use mentra_bridge::glasses::live::k900::FrameStream;
use mentra_bridge::glasses::{Dialect, TCP_MTU};
use mentra_bridge::wire::MAX_PACKET;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;
use tracing::{debug, info};

use super::port::Port;
use crate::link::PortEvent;

/// The glasses end of a TCP link: a listener serving one phone at a time.
pub struct TcpGlassesPort {
    events: mpsc::Receiver<PortEvent>,
    writer: Arc<Mutex<Option<OwnedWriteHalf>>>,
    dialect: Dialect,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for TcpGlassesPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TcpGlassesPort")
    }
}

impl Drop for TcpGlassesPort {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TcpGlassesPort {
    /// Listens on `address` (use `127.0.0.1:0` for a free port) and returns the bound address.
    pub async fn bind(address: &str) -> std::io::Result<(Self, SocketAddr)> {
        Self::bind_speaking(address, Dialect::MentraProto).await
    }

    /// As [`TcpGlassesPort::bind`], framing packets as `dialect` does on TCP.
    pub async fn bind_speaking(
        address: &str,
        dialect: Dialect,
    ) -> std::io::Result<(Self, SocketAddr)> {
        let listener = TcpListener::bind(address).await?;
        let bound = listener.local_addr()?;
        let (tx, events) = mpsc::channel(1024);
        let writer = Arc::new(Mutex::new(None));
        let task = tokio::spawn(accept(listener, tx, Arc::clone(&writer), dialect));
        Ok((
            Self {
                events,
                writer,
                dialect,
                task,
            },
            bound,
        ))
    }
}

async fn accept(
    listener: TcpListener,
    events: mpsc::Sender<PortEvent>,
    writer: Arc<Mutex<Option<OwnedWriteHalf>>>,
    dialect: Dialect,
) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        info!(%peer, "phone connected over TCP");
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        *writer.lock().await = Some(write);
        if events
            .send(PortEvent::Connected { mtu: TCP_MTU })
            .await
            .is_err()
        {
            return;
        }
        let mut read = BufReader::new(read);
        if dialect == Dialect::MentraLive {
            if !k900_frames(&mut read, &events).await {
                return;
            }
        } else {
            loop {
                let mut len = [0u8; 2];
                if read.read_exact(&mut len).await.is_err() {
                    break;
                }
                let len = usize::from(u16::from_be_bytes(len));
                if len == 0 || len > MAX_PACKET {
                    debug!(len, "bad frame length; dropping the phone");
                    break;
                }
                let mut packet = vec![0u8; len];
                if read.read_exact(&mut packet).await.is_err() {
                    break;
                }
                if events.send(PortEvent::Packet(packet)).await.is_err() {
                    return;
                }
            }
        }
        info!(%peer, "phone disconnected");
        *writer.lock().await = None;
        if events.send(PortEvent::Disconnected).await.is_err() {
            return;
        }
    }
}

/// Reads K900 frames until the phone goes; false when the simulator is gone.
async fn k900_frames(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    events: &mpsc::Sender<PortEvent>,
) -> bool {
    let mut frames = FrameStream::new(8 * 1024);
    let mut buf = [0u8; 2048];
    loop {
        match read.read(&mut buf).await {
            Ok(0) | Err(_) => return true,
            Ok(n) => frames.push(&buf[..n]),
        }
        while let Some(frame) = frames.next_frame() {
            if events.send(PortEvent::Packet(frame)).await.is_err() {
                return false;
            }
        }
    }
}

impl Port for TcpGlassesPort {
    async fn next(&mut self) -> Option<PortEvent> {
        self.events.recv().await
    }

    async fn send(&mut self, packet: Vec<u8>) {
        let Ok(len) = u16::try_from(packet.len()) else {
            return;
        };
        let mut frame = Vec::with_capacity(packet.len() + 2);
        if self.dialect == Dialect::MentraProto {
            frame.extend_from_slice(&len.to_be_bytes());
        }
        frame.extend_from_slice(&packet);
        let mut writer = self.writer.lock().await;
        if let Some(w) = writer.as_mut() {
            if w.write_all(&frame).await.is_err() {
                *writer = None;
            }
        }
    }
}
