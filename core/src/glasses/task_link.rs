//! The shape the owned links (BLE, TCP) share: a task owns the connection and is started on
//! first use, on the bridge's runtime; the link handle talks to it through bounded channels.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use tokio::sync::mpsc;

use super::dialect::Dialect;
use super::error::LinkError;
use super::link::{BoxFuture, LinkEvent};

/// What the handle asks of the connection task.
pub(crate) enum Control {
    /// Write this packet.
    Packet(Vec<u8>),
    /// Drop the connection and reconnect.
    Recycle,
}

/// The channels a connection task works with.
pub(crate) struct TaskEnds {
    /// True while the connection is up (the task sets it).
    pub(crate) up: Arc<AtomicBool>,
    /// The dialect of the current connection (the task sets it before `Up`; 0 = unknown).
    pub(crate) dialect: Arc<AtomicU8>,
    pub(crate) control: mpsc::Receiver<Control>,
    pub(crate) events: mpsc::Sender<LinkEvent>,
}

type Start = Box<dyn FnOnce(TaskEnds) -> BoxFuture<'static, ()> + Send>;

/// The link handle: forwards sends and recycles to the task, hands its events out.
pub(crate) struct TaskLink {
    pub(crate) describe: String,
    /// What the transport itself says of encryption (`Some(false)` for plain TCP).
    pub(crate) encrypted: Option<bool>,
    up: Arc<AtomicBool>,
    dialect: Arc<AtomicU8>,
    control: mpsc::Sender<Control>,
    events: mpsc::Receiver<LinkEvent>,
    /// The task and its channel ends, until it is started.
    pending: Option<(Start, TaskEnds)>,
}

impl TaskLink {
    pub(crate) fn new(describe: String, start: Start) -> Self {
        let (control, control_rx) = mpsc::channel(256);
        let (events_tx, events) = mpsc::channel(1024);
        let up = Arc::new(AtomicBool::new(false));
        let dialect = Arc::new(AtomicU8::new(0));
        let ends = TaskEnds {
            up: Arc::clone(&up),
            dialect: Arc::clone(&dialect),
            control: control_rx,
            events: events_tx,
        };
        Self {
            describe,
            encrypted: None,
            up,
            dialect,
            control,
            events,
            pending: Some((start, ends)),
        }
    }

    pub(crate) fn send(&mut self, packet: Vec<u8>) -> BoxFuture<'_, Result<(), LinkError>> {
        Box::pin(async move {
            if !self.up.load(Ordering::SeqCst) {
                return Err(LinkError::NotConnected);
            }
            self.control
                .send(Control::Packet(packet))
                .await
                .map_err(|_| LinkError::Closed)
        })
    }

    pub(crate) fn next_event(&mut self) -> BoxFuture<'_, Option<LinkEvent>> {
        if let Some((start, ends)) = self.pending.take() {
            tokio::spawn(start(ends));
        }
        Box::pin(self.events.recv())
    }

    pub(crate) fn dialect(&self) -> Option<Dialect> {
        Dialect::from_u8(self.dialect.load(Ordering::SeqCst))
    }

    pub(crate) fn recycle(&mut self) -> BoxFuture<'_, Result<(), LinkError>> {
        Box::pin(async move {
            self.control
                .send(Control::Recycle)
                .await
                .map_err(|_| LinkError::Closed)
        })
    }
}

/// Implements [`super::GlassesLink`] for a newtype over [`TaskLink`] (field `inner`).
macro_rules! task_link_impl {
    ($link:ty) => {
        impl $crate::glasses::GlassesLink for $link {
            fn describe(&self) -> String {
                self.inner.describe.clone()
            }

            fn send(
                &mut self,
                packet: Vec<u8>,
            ) -> $crate::glasses::BoxFuture<'_, Result<(), $crate::glasses::LinkError>> {
                self.inner.send(packet)
            }

            fn next_event(
                &mut self,
            ) -> $crate::glasses::BoxFuture<'_, Option<$crate::glasses::LinkEvent>> {
                self.inner.next_event()
            }

            fn recycle(
                &mut self,
            ) -> $crate::glasses::BoxFuture<'_, Result<(), $crate::glasses::LinkError>> {
                self.inner.recycle()
            }

            fn dialect(&self) -> Option<$crate::glasses::Dialect> {
                self.inner.dialect()
            }

            fn link_encrypted(&self) -> Option<bool> {
                self.inner.encrypted
            }
        }
    };
}
pub(crate) use task_link_impl;
