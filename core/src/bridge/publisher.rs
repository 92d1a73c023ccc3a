//! Fan-out of events to subscribers: each subscriber first gets a snapshot, then every event
//! in order; one that falls more than the buffer behind gets a fresh snapshot instead of a gap.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::broadcast;

use super::event::BridgeEvent;
use super::state::BridgeState;

#[derive(Debug)]
struct Inner {
    state: BridgeState,
    /// `None` once the bridge has stopped: subscriptions then end.
    tx: Option<broadcast::Sender<BridgeEvent>>,
}

#[derive(Debug)]
pub(crate) struct Publisher {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl Publisher {
    pub(crate) fn new(capacity: usize) -> Arc<Self> {
        let capacity = capacity.max(1);
        let (tx, _) = broadcast::channel(capacity);
        Arc::new(Self {
            inner: Mutex::new(Inner {
                state: BridgeState::default(),
                tx: Some(tx),
            }),
            capacity,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The state is plain data: a panic elsewhere cannot leave it half-written.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies the event to the snapshot and sends it, under one lock, so a concurrent
    /// subscriber sees either the old snapshot and the event, or the new snapshot alone.
    /// Subscribers receive on their own threads; no subscriber code runs under this lock.
    pub(crate) fn publish(&self, event: BridgeEvent) {
        let mut inner = self.lock();
        inner.state.apply(&event);
        if let Some(tx) = &inner.tx {
            let _ = tx.send(event);
        }
    }

    /// Ends every subscription once its buffered events are read.
    pub(crate) fn close(&self) {
        self.lock().tx = None;
    }

    pub(crate) fn state(&self) -> BridgeState {
        self.lock().state.clone()
    }

    pub(crate) fn subscribe(self: &Arc<Self>) -> Subscription {
        let inner = self.lock();
        let rx = match &inner.tx {
            Some(tx) => tx.subscribe(),
            // Stopped: a receiver whose sender is already gone yields the snapshot, then ends.
            None => broadcast::channel(self.capacity).1,
        };
        Subscription {
            snapshot: Some(inner.state.clone()),
            rx,
            publisher: Arc::clone(self),
        }
    }
}

/// A stream of [`BridgeEvent`]s that starts with a [`BridgeEvent::Snapshot`].
#[derive(Debug)]
pub struct Subscription {
    snapshot: Option<BridgeState>,
    rx: broadcast::Receiver<BridgeEvent>,
    publisher: Arc<Publisher>,
}

impl Subscription {
    /// The next event; `None` once the bridge has stopped and every event was delivered.
    pub async fn next(&mut self) -> Option<BridgeEvent> {
        if let Some(s) = self.snapshot.take() {
            return Some(BridgeEvent::Snapshot(Box::new(s)));
        }
        let received = self.rx.recv().await;
        self.settle(received)
    }

    /// Like [`Subscription::next`], blocking the calling thread. Never call it from async code.
    pub fn blocking_next(&mut self) -> Option<BridgeEvent> {
        if let Some(s) = self.snapshot.take() {
            return Some(BridgeEvent::Snapshot(Box::new(s)));
        }
        let received = self.rx.blocking_recv();
        self.settle(received)
    }

    fn settle(
        &mut self,
        received: Result<BridgeEvent, broadcast::error::RecvError>,
    ) -> Option<BridgeEvent> {
        match received {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(_)) => {
                self.rx = self.rx.resubscribe();
                Some(BridgeEvent::Snapshot(Box::new(self.publisher.state())))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::event::{BatteryReading, CloudConnectionState};

    fn battery(level: u32) -> BridgeEvent {
        BridgeEvent::Battery(BatteryReading {
            level_percent: level,
            charging: false,
            active_charging: false,
            voltage_mv: 0,
        })
    }

    #[test]
    fn late_subscriber_gets_the_snapshot_first_then_events() {
        let p = Publisher::new(8);
        p.publish(BridgeEvent::Cloud(CloudConnectionState::Connected));
        let mut sub = p.subscribe();
        p.publish(battery(50));
        let Some(BridgeEvent::Snapshot(s)) = sub.blocking_next() else {
            panic!("snapshot first");
        };
        assert_eq!(s.cloud, CloudConnectionState::Connected);
        assert_eq!(s.battery, None);
        assert_eq!(sub.blocking_next(), Some(battery(50)));
        p.close();
        assert_eq!(sub.blocking_next(), None);
    }

    #[test]
    fn a_lagging_subscriber_is_resynced_with_a_snapshot() {
        let p = Publisher::new(2);
        let mut sub = p.subscribe();
        let _ = sub.blocking_next();
        for level in 0..10 {
            p.publish(battery(level));
        }
        let Some(BridgeEvent::Snapshot(s)) = sub.blocking_next() else {
            panic!("expected a resync snapshot");
        };
        assert_eq!(s.battery.map(|b| b.level_percent), Some(9));
    }
}
