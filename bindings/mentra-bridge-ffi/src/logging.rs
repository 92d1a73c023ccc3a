//! `init_logging`: once per process, idempotent. Logs go to logcat on Android, os_log on Apple
//! platforms, stderr elsewhere, or to the app's own [`LogSink`], each line at its own level;
//! secrets are redacted before any of them sees a line. A panic hook logs every panic (redacted)
//! before it unwinds into an exception, so a bug report has its text.

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
    /// One line at its level, secrets already redacted. Called on the thread that logged; an
    /// exception thrown here is dropped (the line is lost, the bridge goes on).
    fn log(&self, level: LogLevel, line: String) -> Result<(), MentraError>;
}

impl LogLevel {
    fn of(level: &tracing::Level) -> Self {
        match *level {
            tracing::Level::ERROR => Self::Error,
            tracing::Level::WARN => Self::Warn,
            tracing::Level::INFO => Self::Info,
            tracing::Level::DEBUG => Self::Debug,
            tracing::Level::TRACE => Self::Trace,
        }
    }
}

static INSTALLED: OnceLock<()> = OnceLock::new();

thread_local! {
    /// True while this thread is inside the app's sink.
    static IN_SINK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

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
            .with_level(false)
            .with_writer(Lines { sink });
        let installed = tracing_subscriber::registry()
            .with(layer)
            .with(filter)
            .try_init();
        if let Err(e) = installed {
            result = Err(MentraError::Internal {
                reason: format!("another logger is already installed: {e}"),
            });
        }
        install_panic_hook();
    });
    result
}

/// Logs every panic, redacted, then lets the previous hook run (UniFFI turns the unwind into
/// an exception; the text would otherwise be lost with it).
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(target: "mentra_bridge_ffi", "panic{place}: {}", redact_text(message));
        previous(info);
    }));
}

/// Hands each formatted line, redacted, to the sink or the platform log.
#[derive(Clone)]
struct Lines {
    sink: Option<Arc<dyn LogSink>>,
}

struct Line {
    target: Lines,
    level: LogLevel,
    buf: Vec<u8>,
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        self.line(LogLevel::Info)
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Line {
        self.line(LogLevel::of(meta.level()))
    }
}

impl Lines {
    fn line(&self, level: LogLevel) -> Line {
        Line {
            target: self.clone(),
            level,
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
            // A line logged while the sink runs (the sink itself logging, or a panic inside it
            // reaching the panic hook) goes to the platform log: re-entering the sink could
            // recurse, and a panic inside a panic aborts the process.
            Some(sink) if !IN_SINK.with(std::cell::Cell::get) => {
                IN_SINK.with(|s| s.set(true));
                // App code, called from inside the bridge: an exception (or a panic) must not
                // unwind through the bridge's run loop.
                let level = self.level;
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    sink.log(level, line.clone())
                }));
                IN_SINK.with(|s| s.set(false));
            }
            _ => platform_log(self.level, &line),
        }
    }
}

#[cfg(target_os = "android")]
fn platform_log(level: LogLevel, line: &str) {
    static LOGCAT: OnceLock<()> = OnceLock::new();
    LOGCAT.get_or_init(|| {
        android_logger::init_once(
            android_logger::Config::default()
                .with_tag("MentraBridge")
                .with_max_level(log::LevelFilter::Trace),
        );
    });
    let level = match level {
        LogLevel::Error => log::Level::Error,
        LogLevel::Warn => log::Level::Warn,
        LogLevel::Info => log::Level::Info,
        LogLevel::Debug => log::Level::Debug,
        LogLevel::Trace => log::Level::Trace,
    };
    log::log!(level, "{line}");
}

#[cfg(all(target_vendor = "apple", feature = "oslog"))]
fn platform_log(level: LogLevel, line: &str) {
    static OSLOG: OnceLock<oslog::OsLog> = OnceLock::new();
    let level = match level {
        LogLevel::Error => oslog::Level::Error,
        LogLevel::Warn => oslog::Level::Default,
        LogLevel::Info => oslog::Level::Info,
        LogLevel::Debug | LogLevel::Trace => oslog::Level::Debug,
    };
    OSLOG
        .get_or_init(|| oslog::OsLog::new("glass.mentra.bridge", "bridge"))
        .with_level(level, line);
}

#[cfg(not(any(target_os = "android", all(target_vendor = "apple", feature = "oslog"))))]
fn platform_log(level: LogLevel, line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{level:?} {line}");
}
