//! Subscriptions: the app implements [`BridgeListener`]; `subscribe` hands back a
//! [`TaskHandle`] whose release (or `cancel`) ends the subscription. Every subscription ends
//! with one `on_closed`, so a Kotlin Flow or a Swift AsyncStream built on it completes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

use crate::error::MentraError;
use crate::records::BridgeUpdate;

/// Receives the bridge's updates: first a `Snapshot`, then every change in order. Called on a
/// bridge thread (never under a lock); hop to your UI thread. `on_closed` comes once, last —
/// with two exceptions: a subscription made after the bridge closed gets it at once, on the
/// subscribing thread; and when the bridge has to close while an `on_update` is still
/// blocked in app code (2 s after shutdown), `on_closed` may run while that call returns.
#[uniffi::export(with_foreign)]
pub trait BridgeListener: Send + Sync {
    /// One update. An exception thrown here is logged and the subscription goes on.
    fn on_update(&self, update: BridgeUpdate) -> Result<(), MentraError>;
    /// The subscription ended (the bridge closed, or it was cancelled); nothing follows.
    /// Called once.
    fn on_closed(&self) -> Result<(), MentraError>;
}

/// Says `on_closed` to a listener when dropped: however its subscription task ends (the bridge
/// stopped, the handle was cancelled, the runtime went), the app hears it once.
pub(crate) struct ClosesOnDrop {
    listener: Arc<dyn BridgeListener>,
    said: AtomicBool,
}

impl ClosesOnDrop {
    pub(crate) fn new(listener: Arc<dyn BridgeListener>) -> Self {
        Self {
            listener,
            said: AtomicBool::new(false),
        }
    }
}

impl Drop for ClosesOnDrop {
    fn drop(&mut self) {
        if !self.said.swap(true, Ordering::SeqCst) {
            let listener = &self.listener;
            // App code: whatever it does, the bridge goes on.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| listener.on_closed())) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!("a listener threw from onClosed: {e}"),
                Err(_) => tracing::warn!("a listener panicked in onClosed"),
            }
        }
    }
}

/// A running subscription. Dropping it, or calling `cancel`, ends it.
#[derive(Debug, uniffi::Object)]
pub struct TaskHandle {
    task: Mutex<Option<JoinHandle<()>>>,
}

impl TaskHandle {
    pub(crate) fn new(task: JoinHandle<()>) -> Self {
        Self {
            task: Mutex::new(Some(task)),
        }
    }

    /// A subscription that ended before it began (the bridge had closed).
    pub(crate) fn finished() -> Self {
        Self {
            task: Mutex::new(None),
        }
    }
}

#[uniffi::export]
impl TaskHandle {
    /// Ends the subscription now. Safe to call twice.
    pub fn cancel(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            task.abort();
        }
    }

    /// True once the subscription has ended.
    pub fn is_finished(&self) -> bool {
        self.task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}
