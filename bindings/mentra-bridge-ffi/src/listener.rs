//! Subscriptions: the app implements [`BridgeListener`]; `subscribe` hands back a
//! [`TaskHandle`] whose release (or `cancel`) ends the subscription.

use std::sync::Mutex;

use tokio::task::JoinHandle;

use crate::records::BridgeUpdate;

/// Receives the bridge's updates: first a `Snapshot`, then every change in order. Called on a
/// bridge thread (never the app's main thread, never under a lock); hop to your UI thread.
#[uniffi::export(with_foreign)]
pub trait BridgeListener: Send + Sync {
    /// One update.
    fn on_update(&self, update: BridgeUpdate);
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
