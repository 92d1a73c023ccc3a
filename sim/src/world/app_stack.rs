//! A fake app BLE stack for host-link worlds: the app's `HostTransport` writes into the
//! simulated link, and a pump reports the link's events through the `HostLinkHandle`, as an
//! Android or iOS app would. Its write can be made to throw (panic) once, as app code does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mentra_bridge::glasses::{
    Dialect, GlassesLink, HostLink, HostLinkHandle, HostTransport, LinkEvent,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::link::SimLink;

/// The panic message of a simulated app exception (the simulation does not count it as the
/// bridge's own panic).
pub const APP_THROWS: &str = "simulated app exception in HostTransport.write";

/// The app's side: what the bridge calls.
#[derive(Debug)]
pub struct AppStack {
    writes: mpsc::Sender<Vec<u8>>,
    reconnects: mpsc::Sender<()>,
    throw_next: AtomicBool,
}

impl AppStack {
    /// The next write throws.
    pub fn throw_on_next_write(&self) {
        self.throw_next.store(true, Ordering::SeqCst);
    }
}

impl HostTransport for AppStack {
    fn write(&self, packet: Vec<u8>) -> Result<(), String> {
        if self.throw_next.swap(false, Ordering::SeqCst) {
            panic!("{APP_THROWS}");
        }
        self.writes
            .try_send(packet)
            .map_err(|_| "the app's write queue is full".to_owned())
    }

    fn reconnect(&self) -> Result<(), String> {
        self.reconnects
            .try_send(())
            .map_err(|_| "a reconnect is already under way".to_owned())
    }
}

/// Wraps the phone end of a simulated link as an app-owned BLE stack; returns the link the
/// bridge gets, the app's handle (to make it throw) and the pump task. `dialect` is what the
/// app says it found at each connection (`None`: it says nothing).
pub fn app_stack(
    mut phone_end: SimLink,
    dialect: Option<Dialect>,
) -> (HostLink, Arc<AppStack>, JoinHandle<()>) {
    let (writes_tx, mut writes) = mpsc::channel::<Vec<u8>>(1024);
    let (reconnects_tx, mut reconnects) = mpsc::channel::<()>(4);
    let app = Arc::new(AppStack {
        writes: writes_tx,
        reconnects: reconnects_tx,
        throw_next: AtomicBool::new(false),
    });
    let (link, handle) =
        mentra_bridge::glasses::host_link(Arc::clone(&app) as Arc<dyn HostTransport>);
    let pump = tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                event = phone_end.next_event() => match event {
                    Some(e) => report(&handle, e, dialect),
                    None => return,
                },
                Some(packet) = writes.recv() => {
                    let _ = phone_end.send(packet).await;
                }
                Some(()) = reconnects.recv() => {
                    let _ = phone_end.recycle().await;
                }
                else => return,
            }
        }
    });
    (link, app, pump)
}

fn report(handle: &HostLinkHandle, event: LinkEvent, dialect: Option<Dialect>) {
    let _ = match event {
        LinkEvent::Up { mtu } => match dialect {
            Some(d) => handle.connected_as(mtu, d),
            None => handle.connected(mtu),
        },
        LinkEvent::Packet(p) => handle.received(p),
        LinkEvent::Down { reason } => handle.disconnected(reason),
        LinkEvent::MtuChanged { mtu } => handle.mtu_changed(mtu),
    };
}
