//! A local RTMP ingest that serves HLS: nginx with its RTMP module, configured from
//! `sim/rtmp/nginx.conf` in a fresh temporary directory, bound to 127.0.0.1 on free ports,
//! run under the process guard, and removed again when stopped or dropped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Child;
use tokio::time::{Instant, sleep, timeout};

use super::guard::{Lifeline, read_line_bounded, spawn_guarded};
use super::progress::ErrorTail;
use super::tools::RealVideoTools;

const TEMPLATE: &str = include_str!("../../rtmp/nginx.conf");
/// Longest wait for nginx to accept connections.
const START_LIMIT: Duration = Duration::from_secs(10);
/// Largest HTTP answer read (a playlist is a few hundred bytes).
const MAX_HTTP: u64 = 64 * 1024;

/// Why the server did not start or the stream is not watchable.
#[derive(Debug, Error)]
pub enum ServerError {
    /// Files or processes could not be set up.
    #[error("cannot set up the RTMP server: {0}")]
    Io(#[from] std::io::Error),
    /// nginx did not come up.
    #[error("nginx did not start: {0}")]
    Start(String),
    /// The HLS playlist did not appear in time.
    #[error("the stream did not become watchable at {url} within {limit:?}")]
    NotWatchable {
        /// The playlist asked for.
        url: String,
        /// How long we waited.
        limit: Duration,
    },
}

/// A running nginx-rtmp. Dropping it ends nginx and removes its directory.
#[derive(Debug)]
pub struct RtmpServer {
    root: PathBuf,
    rtmp_port: u16,
    http_port: u16,
    child: Child,
    lifeline: Lifeline,
    errors: Arc<Mutex<ErrorTail>>,
}

impl RtmpServer {
    /// Starts nginx on two free ports of 127.0.0.1 and waits until it accepts connections.
    pub async fn start(tools: &RealVideoTools) -> Result<Self, ServerError> {
        let mut last = None;
        // Free ports are picked by binding and letting go; another program can take one in
        // between, so try a few times.
        for _ in 0..3 {
            match Self::try_start(tools).await {
                Ok(server) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| ServerError::Start("no attempt made".into())))
    }

    async fn try_start(tools: &RealVideoTools) -> Result<Self, ServerError> {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "mentra-rtmp-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        let started = Self::launch(tools, root.clone()).await;
        if started.is_err() {
            let _ = std::fs::remove_dir_all(&root);
        }
        started
    }

    /// Writes the configuration into `root`, starts nginx and waits until it listens.
    async fn launch(tools: &RealVideoTools, root: PathBuf) -> Result<Self, ServerError> {
        prepare_dirs(&root)?;
        let rtmp_port = free_port()?;
        let http_port = free_port()?;
        let config = TEMPLATE
            .replace("@RTMP_MODULE@", &tools.rtmp_module.display().to_string())
            .replace("@ROOT@", &root.display().to_string())
            .replace("@RTMP_PORT@", &rtmp_port.to_string())
            .replace("@HTTP_PORT@", &http_port.to_string());
        let conf = root.join("nginx.conf");
        std::fs::write(&conf, config)?;
        let mut prefix = root.display().to_string();
        prefix.push('/');
        let args = [
            "-p".to_owned(),
            prefix,
            "-c".to_owned(),
            conf.display().to_string(),
            "-e".to_owned(),
            "stderr".to_owned(),
        ];
        let (mut child, lifeline) = spawn_guarded(&tools.nginx, &args, Some(&root))?;
        let errors = Arc::new(Mutex::new(ErrorTail::default()));
        drain(&mut child, Arc::clone(&errors));
        let mut server = Self {
            root,
            rtmp_port,
            http_port,
            child,
            lifeline,
            errors,
        };
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let said = server.last_error().unwrap_or_else(|| status.to_string());
                return Err(ServerError::Start(said));
            }
            let rtmp = TcpStream::connect(("127.0.0.1", rtmp_port)).await.is_ok();
            let http = TcpStream::connect(("127.0.0.1", http_port)).await.is_ok();
            if rtmp && http {
                return Ok(server);
            }
            if Instant::now() >= deadline {
                return Err(ServerError::Start(format!(
                    "not listening after {START_LIMIT:?}"
                )));
            }
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// Where to publish `key`: `rtmp://127.0.0.1:PORT/live/KEY`.
    pub fn rtmp_url(&self, key: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{key}", self.rtmp_port)
    }

    /// Where to watch `key`: `http://127.0.0.1:PORT/hls/KEY.m3u8`.
    pub fn hls_url(&self, key: &str) -> String {
        format!("http://127.0.0.1:{}/hls/{key}.m3u8", self.http_port)
    }

    /// The server's directory (configuration, logs, HLS segments).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Waits until the HLS playlist of `key` lists at least one segment; returns it.
    pub async fn wait_watchable(&self, key: &str, limit: Duration) -> Result<String, ServerError> {
        let path = format!("/hls/{key}.m3u8");
        let deadline = Instant::now() + limit;
        loop {
            if let Ok((200, body)) = http_get(self.http_port, &path).await {
                if body.contains("#EXTINF") {
                    return Ok(body);
                }
            }
            if Instant::now() >= deadline {
                return Err(ServerError::NotWatchable {
                    url: self.hls_url(key),
                    limit,
                });
            }
            sleep(Duration::from_millis(250)).await;
        }
    }

    /// Ends nginx (SIGTERM through the guard), waits for it, and removes its directory.
    pub async fn stop(mut self) {
        self.lifeline.cut();
        let _ = timeout(Duration::from_secs(10), self.child.wait()).await;
        // Drop removes the directory.
    }

    fn last_error(&self) -> Option<String> {
        let tail = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
        tail.cause()
    }
}

impl Drop for RtmpServer {
    fn drop(&mut self) {
        self.lifeline.cut();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn prepare_dirs(root: &Path) -> std::io::Result<()> {
    for dir in ["logs", "tmp", "hls"] {
        std::fs::create_dir_all(root.join(dir))?;
    }
    // Run as root, nginx's workers drop to `nobody`: they must reach the directory and write
    // the HLS segments.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))?;
        std::fs::set_permissions(root.join("hls"), std::fs::Permissions::from_mode(0o777))?;
    }
    Ok(())
}

fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Keeps nginx's stdout and stderr flowing (a full pipe would stall it) and the last error.
fn drain(child: &mut Child, errors: Arc<Mutex<ErrorTail>>) {
    if let Some(out) = child.stdout.take() {
        tokio::spawn(async move {
            let mut sink = Vec::new();
            let mut out = out;
            while matches!(out.read_buf(&mut sink).await, Ok(n) if n > 0) {
                sink.clear();
            }
        });
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(async move {
            let mut reader = BufReader::new(err);
            let mut line = Vec::new();
            while let Ok(true) = read_line_bounded(&mut reader, &mut line, 1024).await {
                errors
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push_line(&String::from_utf8_lossy(&line));
            }
        });
    }
}

/// A minimal HTTP/1.0 GET on 127.0.0.1: status code and body.
async fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
            .await?;
        let mut answer = Vec::new();
        stream.take(MAX_HTTP).read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = timeout(Duration::from_secs(2), exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer"))??;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((code, body.to_owned()))
}
