//! A simulated glasses link: two ends joined by channels, with per-packet latency, seeded
//! loss, duplication and reordering, a fixed MTU, and a control handle to drop and restore the
//! connection or make it silent (packets vanish, no event: the radio is gone but nobody said
//! so). Packets sent on a connection never arrive on a later one.

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mentra_bridge::glasses::{BoxFuture, GlassesLink, LinkError, LinkEvent};
use mentra_bridge::rng::SeededRng;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

/// Knobs of a simulated link.
#[derive(Debug, Clone)]
pub struct SimLinkConfig {
    /// ATT MTU reported on connect. Default 247.
    pub mtu: u16,
    /// Delay of every packet, each way. Default 2 ms.
    pub latency: Duration,
    /// Probability that a packet is lost, each way. Default 0.
    pub loss: f64,
    /// Seed for the loss draws. Default 1.
    pub seed: u64,
}

impl Default for SimLinkConfig {
    fn default() -> Self {
        Self {
            mtu: 247,
            latency: Duration::from_millis(2),
            loss: 0.0,
            seed: 1,
        }
    }
}

/// What the glasses end of the link sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortEvent {
    /// A phone connected with this MTU.
    Connected {
        /// ATT MTU.
        mtu: u16,
    },
    /// A packet from the phone.
    Packet(Vec<u8>),
    /// The phone is gone.
    Disconnected,
    /// The ATT MTU changed on the live connection (both ends use it from now on).
    MtuChanged {
        /// The new ATT MTU.
        mtu: u16,
    },
}

/// The link's faults, changed on the fly through [`LinkControl`].
#[derive(Debug)]
struct Faults {
    rng: SeededRng,
    loss: f64,
    duplicate: f64,
    reorder: f64,
    latency: Duration,
    /// Packets vanish both ways, no event is reported.
    silent: bool,
    /// What the phone writes is lost (a suspended app, as the glasses see it).
    phone_muted: bool,
    /// A packet held back per direction, sent after the next one (a reordering).
    held_to_glasses: Option<Vec<u8>>,
    held_to_phone: Option<Vec<u8>>,
}

/// What happens to one packet on its way.
enum Fate {
    Lost,
    /// Deliver these packets, in order, with this latency.
    Deliver(Vec<Vec<u8>>, Duration),
}

#[derive(Debug)]
struct Shared {
    up: AtomicBool,
    generation: AtomicU64,
    mtu: AtomicU16,
    faults: Mutex<Faults>,
}

impl Shared {
    fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Draws what happens to `packet` going `to_glasses` (or to the phone).
    fn fate(&self, packet: Vec<u8>, to_glasses: bool) -> Fate {
        let mut f = self.faults();
        if f.silent
            || (to_glasses && f.phone_muted)
            || (f.loss > 0.0 && {
                let p = f.loss;
                f.rng.chance(p)
            })
        {
            return Fate::Lost;
        }
        let latency = f.latency;
        let dup = f.duplicate > 0.0 && {
            let p = f.duplicate;
            f.rng.chance(p)
        };
        let swap = f.reorder > 0.0 && {
            let p = f.reorder;
            f.rng.chance(p)
        };
        let held = if to_glasses {
            &mut f.held_to_glasses
        } else {
            &mut f.held_to_phone
        };
        if swap && held.is_none() {
            *held = Some(packet);
            return Fate::Deliver(Vec::new(), latency);
        }
        let mut out = vec![packet];
        if dup {
            out.push(out[0].clone());
        }
        if let Some(p) = held.take() {
            out.push(p);
        }
        Fate::Deliver(out, latency)
    }

    /// Drops held-back packets (a reconnect starts clean).
    fn clear_held(&self) {
        let mut f = self.faults();
        f.held_to_glasses = None;
        f.held_to_phone = None;
    }
}

type Timed<T> = (Instant, u64, T);

/// Channel bound per direction: generous, but bounded.
const QUEUE: usize = 4096;

/// Creates a connected link: the phone end (a [`GlassesLink`]), the glasses end, and a control.
pub fn sim_link(config: SimLinkConfig) -> (SimLink, GlassesPort, LinkControl) {
    let shared = Arc::new(Shared {
        up: AtomicBool::new(false),
        generation: AtomicU64::new(0),
        mtu: AtomicU16::new(config.mtu),
        faults: Mutex::new(Faults {
            rng: SeededRng::new(config.seed),
            loss: config.loss,
            duplicate: 0.0,
            reorder: 0.0,
            latency: config.latency,
            silent: false,
            phone_muted: false,
            held_to_glasses: None,
            held_to_phone: None,
        }),
    });
    let (to_phone, phone_rx) = mpsc::channel(QUEUE);
    let (to_glasses, glasses_rx) = mpsc::channel(QUEUE);
    let control = LinkControl {
        shared: Arc::clone(&shared),
        to_phone: to_phone.clone(),
        to_glasses: to_glasses.clone(),
    };
    control.connect();
    (
        SimLink {
            shared: Arc::clone(&shared),
            rx: phone_rx,
            to_glasses,
            held: None,
            control: control.clone(),
        },
        GlassesPort {
            shared,
            rx: glasses_rx,
            to_phone,
            held: None,
        },
        control,
    )
}

/// Drops and restores the simulated connection, and changes loss on the fly.
#[derive(Debug, Clone)]
pub struct LinkControl {
    shared: Arc<Shared>,
    to_phone: mpsc::Sender<Timed<LinkEvent>>,
    to_glasses: mpsc::Sender<Timed<PortEvent>>,
}

impl LinkControl {
    /// Drops the connection (both ends are told at once). Does nothing if already down.
    pub fn disconnect(&self, reason: &str) {
        if self.shared.up.swap(false, Ordering::SeqCst) {
            self.shared.clear_held();
            let generation = self.shared.generation.fetch_add(1, Ordering::SeqCst) + 1;
            let now = Instant::now();
            let _ = self.to_phone.try_send((
                now,
                generation,
                LinkEvent::Down {
                    reason: reason.to_owned(),
                },
            ));
            let _ = self
                .to_glasses
                .try_send((now, generation, PortEvent::Disconnected));
        }
    }

    /// Restores the connection. Does nothing if already up.
    pub fn connect(&self) {
        if !self.shared.up.swap(true, Ordering::SeqCst) {
            let generation = self.shared.generation.fetch_add(1, Ordering::SeqCst) + 1;
            let now = Instant::now();
            let mtu = self.shared.mtu.load(Ordering::SeqCst);
            // The glasses hear of the connection first, so they are ready for the hello.
            let _ = self
                .to_glasses
                .try_send((now, generation, PortEvent::Connected { mtu }));
            let _ = self
                .to_phone
                .try_send((now, generation, LinkEvent::Up { mtu }));
        }
    }

    /// Renegotiates the ATT MTU on the live connection: both ends hear of it, nothing else
    /// changes (Android's `requestMtu` mid-connection). Later connections use it too.
    pub fn set_mtu(&self, mtu: u16) {
        self.shared.mtu.store(mtu, Ordering::SeqCst);
        if self.shared.up.load(Ordering::SeqCst) {
            let generation = self.shared.generation.load(Ordering::SeqCst);
            let now = Instant::now();
            let _ = self
                .to_glasses
                .try_send((now, generation, PortEvent::MtuChanged { mtu }));
            let _ = self
                .to_phone
                .try_send((now, generation, LinkEvent::MtuChanged { mtu }));
        }
    }

    /// True while connected.
    pub fn is_up(&self) -> bool {
        self.shared.up.load(Ordering::SeqCst)
    }

    /// Sets the loss probability, each way.
    pub fn set_loss(&self, p: f64) {
        self.shared.faults().loss = p;
    }

    /// Sets the probability that a packet arrives twice, each way.
    pub fn set_duplicate(&self, p: f64) {
        self.shared.faults().duplicate = p;
    }

    /// Sets the probability that a packet is overtaken by the next one, each way.
    pub fn set_reorder(&self, p: f64) {
        self.shared.faults().reorder = p;
    }

    /// Sets the delay of every packet, each way.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.faults().latency = latency;
    }

    /// While silent, every packet vanishes both ways and neither end is told: the glasses
    /// walked out of range and the link has not noticed yet.
    pub fn set_silent(&self, silent: bool) {
        self.shared.faults().silent = silent;
    }

    /// While muted, everything the phone writes is lost and the glasses still reach the
    /// phone: an app that stopped answering (suspended, as the glasses see it).
    pub fn set_phone_muted(&self, muted: bool) {
        self.shared.faults().phone_muted = muted;
    }
}

/// Receives the next timed item whose generation is current, honouring its delivery time.
/// Cancel-safe: an item taken from the channel waits in `held` until delivered.
async fn next_timed<T>(
    shared: &Shared,
    rx: &mut mpsc::Receiver<Timed<T>>,
    held: &mut Option<Timed<T>>,
) -> Option<T> {
    loop {
        if held.is_none() {
            *held = Some(rx.recv().await?);
        }
        let at = held.as_ref().map(|h| h.0)?;
        sleep_until(at).await;
        let (_, generation, item) = held.take()?;
        if generation == shared.generation.load(Ordering::SeqCst) {
            return Some(item);
        }
    }
}

/// The phone end: what the bridge is given as its [`GlassesLink`].
#[derive(Debug)]
pub struct SimLink {
    shared: Arc<Shared>,
    rx: mpsc::Receiver<Timed<LinkEvent>>,
    to_glasses: mpsc::Sender<Timed<PortEvent>>,
    held: Option<Timed<LinkEvent>>,
    control: LinkControl,
}

impl GlassesLink for SimLink {
    fn describe(&self) -> String {
        format!("sim (mtu {})", self.shared.mtu.load(Ordering::SeqCst))
    }

    fn send(&mut self, packet: Vec<u8>) -> BoxFuture<'_, Result<(), LinkError>> {
        Box::pin(async move {
            if !self.shared.up.load(Ordering::SeqCst) {
                return Err(LinkError::NotConnected);
            }
            let Fate::Deliver(packets, latency) = self.shared.fate(packet, true) else {
                return Ok(());
            };
            let generation = self.shared.generation.load(Ordering::SeqCst);
            let at = Instant::now() + latency;
            for p in packets {
                self.to_glasses
                    .send((at, generation, PortEvent::Packet(p)))
                    .await
                    .map_err(|_| LinkError::Closed)?;
            }
            Ok(())
        })
    }

    fn next_event(&mut self) -> BoxFuture<'_, Option<LinkEvent>> {
        Box::pin(next_timed(&self.shared, &mut self.rx, &mut self.held))
    }

    fn recycle(&mut self) -> BoxFuture<'_, Result<(), LinkError>> {
        Box::pin(async move {
            self.control.disconnect("recycled by the bridge");
            self.control.connect();
            Ok(())
        })
    }
}

/// The glasses end, driven by the glasses simulator.
#[derive(Debug)]
pub struct GlassesPort {
    shared: Arc<Shared>,
    rx: mpsc::Receiver<Timed<PortEvent>>,
    to_phone: mpsc::Sender<Timed<LinkEvent>>,
    held: Option<Timed<PortEvent>>,
}

impl GlassesPort {
    /// Sends a packet to the phone; silently lost while disconnected (as over the air).
    pub async fn send(&mut self, packet: Vec<u8>) {
        if !self.shared.up.load(Ordering::SeqCst) {
            return;
        }
        let Fate::Deliver(packets, latency) = self.shared.fate(packet, false) else {
            return;
        };
        let generation = self.shared.generation.load(Ordering::SeqCst);
        let at = Instant::now() + latency;
        for p in packets {
            let _ = self
                .to_phone
                .send((at, generation, LinkEvent::Packet(p)))
                .await;
        }
    }

    /// The next event; `None` when the phone end is gone. Cancel-safe.
    pub async fn next(&mut self) -> Option<PortEvent> {
        next_timed(&self.shared, &mut self.rx, &mut self.held).await
    }
}
