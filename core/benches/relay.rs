//! Relay overhead: a cloud frame in (JSON text) → the glasses packets out, through the real
//! parser, stream supervisor, session and framer, in memory (no sockets). Prints p50/p99 from
//! individually timed relays, then runs criterion for the means.
//! Budget (DESIGN §7): p99 < 100 µs. Run with `cargo bench --bench relay`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use mentra_bridge::cloud::{Incoming, parse_incoming};
use mentra_bridge::glasses::{Session, SessionConfig, SessionInput, SessionOutput};
use mentra_bridge::stream::{StreamConfig, StreamInput, StreamOutput, StreamSupervisor};
use mentra_bridge::wire::proto::{
    Ack, Capabilities, GlassesToPhone, StreamState, StreamStatus, glasses_to_phone::Body as G,
};
use mentra_bridge::wire::{Framer, PROTOCOL_VERSION, encode};

const START: &str = r#"{"type":"start_stream","sessionId":"u-5f2a9c","streamUrl":"rtmps://live.cloudflare.com:443/live/4f8e2b6c9d1a7e3f5b0c8d2e6a4f1b9c7e3d5a8f2b6c0e4d9a1f7b3c5e8d2a6f","appId":"MANAGED_STREAM","streamId":"sm4k2q7xa1b","video":{"width":1280,"height":720,"bitrate":2000000,"frameRate":30},"audio":{"bitrate":64000,"sampleRate":44100,"echoCancellation":false,"noiseSuppression":false},"stream":{"durationLimit":600},"timestamp":"2026-11-25T10:00:00.000Z"}"#;
const KEEP_ALIVE: &str =
    r#"{"type":"keep_stream_alive","streamId":"sm4k2q7xa1b","ackId":"a1x9zq"}"#;

/// The bridge's machines with a glasses peer that has finished the hello.
struct Rig {
    session: Session,
    supervisor: StreamSupervisor,
    peer: Framer,
    peer_id: u32,
    now: Instant,
}

impl Rig {
    fn new(mtu: u16) -> Self {
        let now = Instant::now();
        let mut rig = Self {
            session: Session::new(SessionConfig::default(), now).unwrap_or_else(|e| panic!("{e}")),
            supervisor: StreamSupervisor::new(StreamConfig::default(), now)
                .unwrap_or_else(|e| panic!("{e}")),
            peer: Framer::new(mtu, 4096).unwrap_or_else(|e| panic!("{e}")),
            peer_id: 1,
            now,
        };
        rig.session.handle_input(now, SessionInput::LinkUp { mtu });
        while rig.session.poll_output().is_some() {}
        rig.glasses_say(
            1,
            G::Capabilities(Capabilities {
                protocol_version: PROTOCOL_VERSION,
                max_message_size: 4096,
                ..Default::default()
            }),
        );
        rig.supervisor.handle_input(
            now,
            StreamInput::GlassesReady {
                limits: Default::default(),
                transports: vec![],
            },
        );
        while rig.supervisor.poll_output().is_some() {}
        rig
    }

    fn glasses_say(&mut self, reply_to: u32, body: G) {
        let bytes = encode(&GlassesToPhone {
            message_id: self.peer_id,
            reply_to,
            body: Some(body),
        });
        self.peer_id += 1;
        let packets: Vec<Vec<u8>> = self
            .peer
            .split(&bytes)
            .unwrap_or_else(|e| panic!("{e}"))
            .collect();
        for p in packets {
            self.session.handle_input(self.now, SessionInput::Packet(p));
        }
        while self.session.poll_output().is_some() {}
    }

    /// The measured path. Returns the message id sent to the glasses.
    fn relay(&mut self, frame: &str) -> u32 {
        let Ok(Incoming::Command { command, .. }) = parse_incoming(frame) else {
            panic!("bench frame does not parse");
        };
        self.supervisor
            .handle_input(self.now, StreamInput::Cloud(command.into()));
        let mut id = 0;
        while let Some(out) = self.supervisor.poll_output() {
            if let StreamOutput::ToGlasses(cmd) = out {
                id = self
                    .session
                    .send(self.now, cmd.body)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
        while let Some(out) = self.session.poll_output() {
            if let SessionOutput::ToGlasses(packet) = out {
                black_box(packet);
            }
        }
        id
    }

    /// Untimed: the glasses answer, so nothing piles up between iterations.
    fn settle(&mut self, id: u32, stopped: bool) {
        self.glasses_say(id, G::Ack(Ack {}));
        if stopped {
            self.supervisor.handle_input(
                self.now,
                StreamInput::GlassesStatus(StreamStatus {
                    stream_id: "sm4k2q7xa1b".into(),
                    state: StreamState::Stopped as i32,
                    ..Default::default()
                }),
            );
            while self.supervisor.poll_output().is_some() {}
        }
    }
}

fn timed(rig: &mut Rig, frame: &str, restart: bool) -> Duration {
    let t = Instant::now();
    let id = rig.relay(frame);
    let elapsed = t.elapsed();
    rig.settle(id, restart);
    elapsed
}

fn percentiles() {
    println!("relay: cloud frame in → glasses packets out (in memory), 20000 relays each");
    println!(
        "{:<34} {:>9} {:>9} {:>9}",
        "frame / MTU", "p50 µs", "p99 µs", "max µs"
    );
    for mtu in [247u16, 23] {
        for (name, frame, restart) in [
            ("start_stream", START, true),
            ("keep_stream_alive", KEEP_ALIVE, false),
        ] {
            let mut rig = Rig::new(mtu);
            if !restart {
                let id = rig.relay(START);
                rig.settle(id, false);
            }
            for _ in 0..2000 {
                timed(&mut rig, frame, restart);
            }
            let mut samples: Vec<Duration> = (0..20_000)
                .map(|_| timed(&mut rig, frame, restart))
                .collect();
            samples.sort();
            let at =
                |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
            println!(
                "{:<34} {:>9.2} {:>9.2} {:>9.2}",
                format!("{name} / {mtu}"),
                at(0.50),
                at(0.99),
                at(1.0)
            );
        }
    }
}

fn main() {
    percentiles();
    let mut c = Criterion::default().configure_from_args();
    for (name, frame, restart) in [
        ("relay_start_mtu247", START, true),
        ("relay_keep_alive_mtu247", KEEP_ALIVE, false),
    ] {
        let mut rig = Rig::new(247);
        if !restart {
            let id = rig.relay(START);
            rig.settle(id, false);
        }
        c.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| timed(&mut rig, frame, restart)).sum())
        });
    }
    c.final_summary();
}
