//! `init_logging`: once per process, idempotent. Logs go to logcat on Android, os_log on Apple
//! platforms, stderr elsewhere, or to the app's own [`LogSink`]; secrets are redacted before any
//! of them sees a line.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use mentra_bridge::redact::redact_text;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::error::MentraError;

/// How much to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Failures only.
    Error,
    /// Failures and warnings.
    Warn,
    /// Connection changes, stream states.
    Info,
    /// Protocol detail.
    Debug,
    /// Everything.
    Trace,
}

/// Implemented by apps that want the bridge's log lines themselves.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    /// One line, secrets already redacted.
    fn log(&self, level: LogLevel, line: String);
}

static INSTALLED: OnceLock<()> = OnceLock::new();

/// Installs logging at `level`, to `sink` when given, else to the platform log. The first call
/// wins; later calls change nothing and return normally.
#[uniffi::export]
pub fn init_logging(level: LogLevel, sink: Option<Arc<dyn LogSink>>) -> Result<(), MentraError> {
    let mut result = Ok(());
    INSTALLED.get_or_init(|| {
        let level_filter = match level {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        };
        // Only our crates: third-party crates could log secrets we cannot see.
        let filter = Targets::new()
            .with_target("mentra_bridge", level_filter)
            .with_target("mentra_bridge_ffi", level_filter)
            .with_target("mentra_sim", level_filter);
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .without_time()
            .with_writer(Lines { sink, level });
        let installed = tracing_subscriber::registry()
            .with(layer)
            .with(filter)
            .try_init();
        if let Err(e) = installed {
            result = Err(MentraError::Internal {
                reason: format!("another logger is already installed: {e}"),
            });
        }
    });
    result
}

/// Hands each formatted line, redacted, to the sink or the platform log.
#[derive(Clone)]
struct Lines {
    sink: Option<Arc<dyn LogSink>>,
    level: LogLevel,
}

struct Line {
    target: Lines,
    buf: Vec<u8>,
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            target: self.clone(),
            buf: Vec::with_capacity(128),
        }
    }
}

impl Write for Line {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buf);
        let line = redact_text(text.trim_end());
        if line.is_empty() {
            return;
        }
        match &self.target.sink {
            Some(sink) => sink.log(self.target.level, line),
            None => platform_log(&line),
        }
    }
}

#[cfg(target_os = "android")]
fn platform_log(line: &str) {
    static LOGCAT: OnceLock<()> = OnceLock::new();
    LOGCAT.get_or_init(|| {
        android_logger::init_once(
            android_logger::Config::default()
                .with_tag("MentraBridge")
                .with_max_level(log::LevelFilter::Trace),
        );
    });
    log::info!("{line}");
}

#[cfg(all(target_vendor = "apple", feature = "oslog"))]
fn platform_log(line: &str) {
    static OSLOG: OnceLock<oslog::OsLog> = OnceLock::new();
    OSLOG
        .get_or_init(|| oslog::OsLog::new("glass.mentra.bridge", "bridge"))
        .with_level(oslog::Level::Default, line);
}

#[cfg(not(any(target_os = "android", all(target_vendor = "apple", feature = "oslog"))))]
fn platform_log(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
