//! Relay through the shells: a cloud frame written on a real loopback WebSocket into a running
//! bridge (the cloud client task, the run loop, the supervisor, the session, the framer, the
//! link task) until the resulting write on the glasses link, timed at the link. Each command
//! is timed twice: from the frame written on the socket (the simulator's write returned: from
//! there it is the kernel's and the bridge's; the budget's figure), and from the simulator's
//! `send` call (adding the simulator's own queueing, JSON and write, for reference). The link is the
//! simulated one with its delay set to zero, wrapped to stamp each packet the bridge writes;
//! the glasses simulator answers behind it. Prints p50/p99/max for start, keep-alive and stop
//! (budget, issue 16: p99 ≤ 200 µs), then for the controller-probe answer of 2026 Mentra Live
//! glasses on Wire v2: from the link handing the bridge a probe packet to the bridge's write of
//! the answer packet (budget p99 ≤ 100 µs; the glasses end a stream 10 s after the phone last
//! answered). Run with `cargo bench -p mentra-bridge --bench relay_shells`.

#![allow(clippy::expect_used)] // a benchmark that cannot set up has nothing to measure

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mentra_bridge::bridge::spawn;
use mentra_bridge::cloud::CloudCommand;
use mentra_bridge::cloud::{CloudConfig, TcpConnector};
use mentra_bridge::glasses::{BoxFuture, Dialect, GlassesLink, LinkError, LinkEvent};
use mentra_bridge::wire::proto::phone_to_glasses::Body as P;
use mentra_bridge::wire::{Reassembled, Reassembler, decode_phone};
use mentra_bridge::{BridgeConfig, Redacted};
use mentra_sim::cloud::{
    CloudSim, CloudSimConfig, StartSpec, keep_alive_command, start_command, stop_command,
};
use mentra_sim::glasses::{
    GlassesSimConfig, LiveFirmware, LiveSimConfig, spawn_glasses, spawn_live_glasses,
};
use mentra_sim::link::{SimLink, SimLinkConfig, sim_link};

const ROUNDS: usize = 200;

/// What the bridge wrote (or read), and when.
type Writes = Arc<Mutex<Vec<(Instant, Vec<u8>)>>>;

/// The phone end of the simulated link, stamping every packet the bridge writes and every
/// packet the link hands it.
struct Stamped {
    inner: SimLink,
    writes: Writes,
    reads: Writes,
}

impl GlassesLink for Stamped {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn send(&mut self, packet: Vec<u8>) -> BoxFuture<'_, Result<(), LinkError>> {
        if let Ok(mut w) = self.writes.lock() {
            w.push((Instant::now(), packet.clone()));
        }
        self.inner.send(packet)
    }

    fn next_event(&mut self) -> BoxFuture<'_, Option<LinkEvent>> {
        let reads = Arc::clone(&self.reads);
        let next = self.inner.next_event();
        Box::pin(async move {
            let event = next.await;
            if let Some(LinkEvent::Packet(p)) = &event {
                if let Ok(mut r) = reads.lock() {
                    r.push((Instant::now(), p.clone()));
                }
            }
            event
        })
    }
}

/// One command of a round: the frame, how long to let it settle (ms), and which phone
/// message it becomes.
type Round = (CloudCommand, u64, fn(&P) -> bool);

/// The time from `sent` to the first write after it carrying a `want` command.
fn relay_time(
    writes: &Writes,
    from: usize,
    sent: Instant,
    want: fn(&P) -> bool,
) -> Option<Duration> {
    let writes = writes.lock().ok()?;
    let mut reassembler = Reassembler::new(65_535, Duration::from_secs(2));
    let mut first_packet_at = None;
    for (at, packet) in writes.iter().skip(from) {
        if first_packet_at.is_none() {
            first_packet_at = Some(*at);
        }
        reassembler.handle_packet(*at, packet);
        while let Some(out) = reassembler.poll_output() {
            if let Reassembled::Message(bytes) = out {
                if let Ok(m) = decode_phone(&bytes) {
                    if m.body.as_ref().is_some_and(want) {
                        // The message's first packet is when it left; one that left before
                        // the clock started is no sample (the clock started too late).
                        return first_packet_at
                            .filter(|t| *t >= sent)
                            .map(|t| t.duration_since(sent));
                    }
                }
            }
            first_packet_at = None;
        }
    }
    None
}

fn print(label: &str, mut times: Vec<Duration>) {
    if times.is_empty() {
        println!("{label:<11} no samples");
        return;
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "    {label:<11} n={:<4} p50 {:>7.1} µs   p99 {:>7.1} µs   max {:>7.1} µs",
        times.len(),
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e6
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    // The benchmark's own steps run as tasks on the bridge's worker, as the peers' would on
    // their side of a network: a step on `block_on`'s thread would add a cross-thread wakeup
    // of the worker to every round, which is the harness, not the bridge.
    runtime.block_on(async {
        tokio::spawn(commands()).await.expect("the command rounds");
        tokio::spawn(probes()).await.expect("the probe rounds");
    });
}

/// Start, keep-alive and stop, from the cloud's frame to the glasses link.
async fn commands() {
    {
        let cloud = CloudSim::start(CloudSimConfig::default())
            .await
            .expect("the cloud simulator");
        let (phone_end, glasses_end, _control) = sim_link(SimLinkConfig {
            latency: Duration::ZERO,
            ..Default::default()
        });
        let _glasses = spawn_glasses(
            GlassesSimConfig {
                start_delay: Duration::from_millis(5),
                stop_delay: Duration::from_millis(5),
                ..Default::default()
            },
            glasses_end,
        );
        let writes: Writes = Arc::default();
        let link = Stamped {
            inner: phone_end,
            writes: Arc::clone(&writes),
            reads: Writes::default(),
        };
        let config = BridgeConfig {
            cloud: CloudConfig {
                url: cloud.url(),
                token: Redacted::new("bench".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        // The bridge on this runtime, as an app's would run on its own.
        let bridge = spawn(config, Box::new(link), Arc::new(TcpConnector)).expect("the bridge");
        assert!(cloud.wait_connected(Duration::from_secs(10)).await);
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Per command: (from the socket write, from the send call).
        let mut times: [(Vec<Duration>, Vec<Duration>); 3] = Default::default();
        for i in 0..ROUNDS {
            let id = format!("srelay{i}");
            let spec = StartSpec {
                stream_id: id.clone(),
                url: format!("rtmps://ingest.example.com/live/{id}-key"),
                app_id: "bench".into(),
                ..Default::default()
            };
            let rounds: [Round; 3] = [
                (start_command(&spec, cloud.generation()), 30, |b| {
                    matches!(b, P::StartStream(_))
                }),
                (keep_alive_command(&id, &format!("k{i}")), 20, |b| {
                    matches!(b, P::KeepStreamAlive(_))
                }),
                (stop_command(&id, "bench"), 30, |b| {
                    matches!(b, P::StopStream(_))
                }),
            ];
            for (k, (command, settle_ms, want)) in rounds.into_iter().enumerate() {
                let mark = writes.lock().map(|w| w.len()).unwrap_or(0);
                let called = Instant::now();
                cloud.send(&command).await;
                tokio::time::sleep(Duration::from_millis(settle_ms)).await;
                let written = cloud.last_text_written().filter(|t| *t >= called);
                if let (Some(a), Some(b)) = (
                    written.and_then(|w| relay_time(&writes, mark, w, want)),
                    relay_time(&writes, mark, called, want),
                ) {
                    times[k].0.push(a);
                    times[k].1.push(b);
                }
            }
        }
        println!(
            "cloud frame on a loopback WebSocket → the bridge's write on the glasses link ({ROUNDS} rounds):"
        );
        println!("  from the frame written on the bridge's socket (budget p99 ≤ 200 µs):");
        for (label, (from_socket, _)) in ["start", "keep-alive", "stop"].iter().zip(&times) {
            print(label, from_socket.clone());
        }
        println!("  from the simulator's send call (its queue, JSON and write added):");
        for (label, (_, from_call)) in ["start", "keep-alive", "stop"].iter().zip(&times) {
            print(label, from_call.clone());
        }
        bridge.shutdown().await;
    }
}

/// Probes of 2026 Mentra Live glasses on Wire v2 while a stream runs, each to its answer.
async fn probes() {
    const PROBES: usize = 500;
    let cloud = CloudSim::start(CloudSimConfig::default())
        .await
        .expect("the cloud simulator");
    // An MTU that holds a probe and its answer in one packet each, so each is stamped whole.
    let (phone_end, glasses_end, _control) = sim_link(SimLinkConfig {
        latency: Duration::ZERO,
        mtu: 512,
        ..Default::default()
    });
    let live = LiveSimConfig {
        firmware: LiveFirmware::Y2026,
        probe_interval: Duration::from_millis(20),
        ..Default::default()
    };
    let _glasses = spawn_live_glasses(GlassesSimConfig::default(), live, glasses_end);
    let (writes, reads) = (Writes::default(), Writes::default());
    let link = Stamped {
        inner: phone_end,
        writes: Arc::clone(&writes),
        reads: Arc::clone(&reads),
    };
    let config = BridgeConfig {
        cloud: CloudConfig {
            url: cloud.url(),
            token: Redacted::new("bench".into()),
            ..Default::default()
        },
        dialect: Some(Dialect::MentraLive),
        ..Default::default()
    };
    let bridge = spawn(config, Box::new(link), Arc::new(TcpConnector)).expect("the bridge");
    assert!(cloud.wait_connected(Duration::from_secs(10)).await);
    // Readiness, versions and the v2 switch.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let spec = StartSpec {
        stream_id: "sprobe".into(),
        url: "rtmps://ingest.example.com/live/probe-key".into(),
        app_id: "bench".into(),
        ..Default::default()
    };
    cloud.send(&start_command(&spec, cloud.generation())).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut times = Vec::new();
    while times.len() < PROBES && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        times = probe_times(&reads, &writes);
    }
    assert!(
        times.len() >= PROBES / 2,
        "only {} probes were answered: is the stream up?",
        times.len()
    );
    println!("a Mentra Live controller probe in → the bridge's answer out (Wire v2, MTU 512):");
    print("probe", times);
    cloud.send(&stop_command("sprobe", "bench")).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    bridge.shutdown().await;
}

/// For each probe read, the time to the first write answering it (matched by its probe id,
/// which travels verbatim on both wires).
fn probe_times(reads: &Writes, writes: &Writes) -> Vec<Duration> {
    let (Ok(reads), Ok(writes)) = (reads.lock(), writes.lock()) else {
        return Vec::new();
    };
    let probe_id = |packet: &[u8], kind: &[u8]| -> Option<Vec<u8>> {
        find(packet, kind)?;
        let key = b"\"probeId\":\"";
        let at = find(packet, key)? + key.len();
        let end = packet[at..].iter().position(|&b| b == b'"')?;
        Some(packet[at..at + end].to_vec())
    };
    let answers: Vec<(Instant, Vec<u8>)> = writes
        .iter()
        .filter_map(|(at, p)| Some((*at, probe_id(p, b"stream_controller_response")?)))
        .collect();
    reads
        .iter()
        .filter_map(|(at, p)| {
            let id = probe_id(p, b"stream_controller_probe")?;
            let (answered, _) = answers.iter().find(|(t, a)| *a == id && t >= at)?;
            Some(answered.saturating_duration_since(*at))
        })
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
