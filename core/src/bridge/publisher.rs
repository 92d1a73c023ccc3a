//! Fan-out of events to subscribers: each subscriber first gets a snapshot, then every event
//! in order; one that falls more than the buffer behind gets a fresh snapshot instead of a gap.
//! Every event, and whatever the run loop records besides, also goes into the flight recorder,
//! under the same lock.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::broadcast;

use super::event::{BridgeEvent, CloudConnectionState, GlassesConnectionState, StopCause};
use super::state::BridgeState;
use crate::diag::{Entry, Header, Recorder, RecorderConfig, What};

#[derive(Debug)]
struct Inner {
    state: BridgeState,
    /// `None` once the bridge has stopped: subscriptions then end.
    tx: Option<broadcast::Sender<BridgeEvent>>,
    recorder: Recorder,
}

#[derive(Debug)]
pub(crate) struct Publisher {
    inner: Mutex<Inner>,
    capacity: usize,
    /// The bridge's start: entries are stamped with the time since (tokio's clock, so a
    /// simulation's trace is in its virtual time).
    t0: tokio::time::Instant,
    /// The same moment on the wall clock, for the export's header.
    started_unix_ms: u64,
}

impl Publisher {
    #[cfg(test)]
    pub(crate) fn new(capacity: usize) -> Arc<Self> {
        Self::with_recorder(capacity, RecorderConfig::default())
    }

    pub(crate) fn with_recorder(capacity: usize, recorder: RecorderConfig) -> Arc<Self> {
        let capacity = capacity.max(1);
        let (tx, _) = broadcast::channel(capacity);
        Arc::new(Self {
            inner: Mutex::new(Inner {
                state: BridgeState::default(),
                tx: Some(tx),
                recorder: Recorder::new(recorder),
            }),
            capacity,
            t0: tokio::time::Instant::now(),
            started_unix_ms: crate::diag::unix_ms_now(),
        })
    }

    fn t_ms(&self) -> u64 {
        u64::try_from(self.t0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Records something the run loop saw (a message in or out, a timer).
    pub(crate) fn record(&self, what: What) {
        let t = self.t_ms();
        self.lock().recorder.record(t, what);
    }

    /// Never records `secret` (scrubbed by value from every string from now on).
    pub(crate) fn forget(&self, secret: &str) {
        self.lock().recorder.forget(secret);
    }

    /// The flight recorder as JSON Lines. The entries are copied under the lock and written
    /// out after it, so a large export never holds up the run loop.
    pub(crate) fn export_diagnostics(&self) -> String {
        let (entries, dropped) = {
            let inner = self.lock();
            let entries: Vec<Entry> = inner.recorder.entries().cloned().collect();
            (entries, inner.recorder.dropped())
        };
        let header = Header {
            dropped,
            started_unix_ms: self.started_unix_ms,
            exported_unix_ms: crate::diag::unix_ms_now(),
            ..Header::default()
        };
        crate::diag::write_jsonl(&header, entries.iter())
    }

    /// Entries from sequence number `from` on, and the next sequence number.
    pub(crate) fn diagnostics_since(&self, from: u64) -> (Vec<Entry>, u64) {
        self.lock().recorder.since(from)
    }

    /// Bytes the flight recorder holds now.
    pub(crate) fn diagnostics_memory(&self) -> usize {
        self.lock().recorder.memory_bytes()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The state is plain data: a panic elsewhere cannot leave it half-written.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies the event to the snapshot and sends it, under one lock, so a concurrent
    /// subscriber sees either the old snapshot and the event, or the new snapshot alone.
    /// Subscribers receive on their own threads; no subscriber code runs under this lock.
    pub(crate) fn publish(&self, event: BridgeEvent) {
        let t = self.t_ms();
        let mut inner = self.lock();
        if let Some(what) = recorded(&inner.state, &event) {
            inner.recorder.record(t, what);
        }
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

/// What the recorder keeps of an event, given the picture before it: state changes, not the
/// stats that repeat a state; readings when they change.
fn recorded(before: &BridgeState, event: &BridgeEvent) -> Option<What> {
    let word = |s: &str| s.to_owned();
    match event {
        BridgeEvent::Stream(u) => {
            let same = before.streams.iter().any(|s| {
                s.stream_id == u.stream_id && s.state == u.state && s.problem == u.problem
            });
            (!same).then(|| What::Stream {
                stream_id: u.stream_id.clone(),
                state: u.state.word().to_owned(),
                problem: u.problem.map(|p| p.code().to_owned()),
                sentence: u.problem.map(|p| p.message().to_owned()),
            })
        }
        BridgeEvent::Cloud(c) => Some(match c {
            CloudConnectionState::Connecting => What::Connection {
                peer: word("cloud"),
                state: word("connecting"),
                reason: None,
            },
            CloudConnectionState::Connected => What::Connection {
                peer: word("cloud"),
                state: word("connected"),
                reason: None,
            },
            CloudConnectionState::Disconnected { reason, retry_in } => What::Connection {
                peer: word("cloud"),
                state: word("disconnected"),
                reason: Some(format!(
                    "{reason}; retrying in {:.1} s",
                    retry_in.as_secs_f64()
                )),
            },
        }),
        BridgeEvent::Glasses(g) => Some(match g {
            GlassesConnectionState::Disconnected { reason } => What::Connection {
                peer: word("glasses"),
                state: word("disconnected"),
                reason: reason.clone(),
            },
            GlassesConnectionState::Connecting => What::Connection {
                peer: word("glasses"),
                state: word("connecting"),
                reason: None,
            },
            GlassesConnectionState::Connected {
                model,
                firmware,
                mtu,
            } => What::Connection {
                peer: word("glasses"),
                state: word("connected"),
                reason: Some(format!("{model}, firmware {firmware}, MTU {mtu}")),
            },
        }),
        BridgeEvent::Warning(w) => Some(What::Warning {
            code: w.code.to_owned(),
            message: w.message.clone(),
        }),
        BridgeEvent::Battery(b) => {
            let changed = before.battery.is_none_or(|old| {
                old.level_percent != b.level_percent || old.active_charging != b.active_charging
            });
            changed.then(|| What::Health {
                what: format!(
                    "battery {} %{}",
                    b.level_percent,
                    if b.active_charging { ", charging" } else { "" }
                ),
            })
        }
        BridgeEvent::Temperature(t) => {
            let changed = before
                .temperature
                .is_none_or(|old| (old.celsius - t.celsius).abs() >= 1.0 || old.level != t.level);
            changed.then(|| What::Health {
                what: format!("temperature {:.1} °C ({:?})", t.celsius, t.level),
            })
        }
        BridgeEvent::Stopped(cause) => Some(What::Stopped {
            reason: match cause {
                StopCause::Shutdown => None,
                StopCause::Fatal(why) => Some(why.clone()),
            },
        }),
        BridgeEvent::Snapshot(_)
        | BridgeEvent::KeepAliveAcked { .. }
        | BridgeEvent::Wifi(_)
        | BridgeEvent::LinkQuality(_) => None,
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
