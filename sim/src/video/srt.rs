//! A local SRT ingest for real video over SRT: an ffmpeg in SRT listener mode on a free UDP
//! port of 127.0.0.1, with a passphrase, writing what it receives into an MPEG-TS file in a
//! fresh temporary directory; run under the process guard and removed when stopped or dropped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::time::timeout;

use super::guard::{Lifeline, spawn_guarded};

/// The passphrase sender and listener share (10–79 characters, as SRT requires).
const PASSPHRASE: &str = "mentra-sim-srt-passphrase";

/// True when this ffmpeg was built with libsrt (Debian's is).
pub async fn ffmpeg_has_srt(ffmpeg: &Path) -> bool {
    let probe = Command::new(ffmpeg)
        .args(["-hide_banner", "-protocols"])
        .kill_on_drop(true)
        .output();
    match timeout(Duration::from_secs(10), probe).await {
        Ok(Ok(out)) => String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == "srt"),
        _ => false,
    }
}

/// A running SRT listener. Dropping it ends ffmpeg and removes its directory.
#[derive(Debug)]
pub struct SrtReceiver {
    root: PathBuf,
    port: u16,
    child: Child,
    lifeline: Lifeline,
}

impl SrtReceiver {
    /// Starts an ffmpeg SRT listener on a free UDP port of 127.0.0.1.
    pub async fn start(ffmpeg: &Path) -> std::io::Result<Self> {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "mentra-srt-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root)?;
        let port = std::net::UdpSocket::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let input = format!("srt://127.0.0.1:{port}?mode=listener&passphrase={PASSPHRASE}");
        let args = [
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            &input,
            "-c",
            "copy",
            "-f",
            "mpegts",
            "-y",
            "received.ts",
        ];
        let (child, lifeline) = spawn_guarded(ffmpeg, args, Some(&root))?;
        // The listener binds at once; give it a moment before a caller dials.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(Self {
            root,
            port,
            child,
            lifeline,
        })
    }

    /// Where to publish: `srt://127.0.0.1:PORT?streamid=ID&passphrase=…`.
    pub fn srt_url(&self, stream_id: &str) -> String {
        format!(
            "srt://127.0.0.1:{}?streamid={stream_id}&passphrase={PASSPHRASE}",
            self.port
        )
    }

    /// The passphrase in [`Self::srt_url`] (a secret: tests check it never leaks).
    pub fn passphrase(&self) -> &'static str {
        PASSPHRASE
    }

    /// The file the received stream is written to.
    pub fn recording(&self) -> PathBuf {
        self.root.join("received.ts")
    }

    /// Bytes received so far.
    pub fn received_bytes(&self) -> u64 {
        std::fs::metadata(self.recording()).map_or(0, |m| m.len())
    }

    /// Waits for the listener to finish writing (the caller hung up) or ends it after
    /// `limit`, so the recording is complete.
    pub async fn finish(&mut self, limit: Duration) {
        if timeout(limit, self.child.wait()).await.is_err() {
            self.lifeline.cut();
            let _ = timeout(Duration::from_secs(10), self.child.wait()).await;
        }
    }
}

impl Drop for SrtReceiver {
    fn drop(&mut self) {
        self.lifeline.cut();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
