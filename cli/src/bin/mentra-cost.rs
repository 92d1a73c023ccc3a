//! `mentra-cost`: what a connected bridge costs the phone, measured from outside. Runs a
//! release bridge in a process of its own (this binary with `--bridge`, nothing else in it),
//! connected to a quiet MentraOS cloud simulator on a loopback WebSocket (in this process) and
//! to the glasses simulator over TCP (`mentra-glasses-sim`, a third process); samples the
//! bridge process's context switches (every thread), CPU time and RSS from /proc over a
//! window, idle (connected, no stream) and then streaming (stats at 1 Hz, a keep-alive every
//! 15 s, as the cloud sends them); prints per second and per hour.
//!
//! cargo build --release -p mentra-cli -p mentra-sim && target/release/mentra-cost --seconds 60

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clap::Parser;
use mentra_bridge::cloud::CloudConfig;
use mentra_bridge::glasses::{Dialect, TcpLink, TcpLinkConfig};
use mentra_bridge::{Bridge, BridgeConfig, Redacted};
use mentra_sim::cloud::{CloudSim, CloudSimConfig, StartSpec, keep_alive_command, start_command};

/// Measures a connected bridge's wakeups, CPU time and memory, idle and streaming.
#[derive(Debug, Parser)]
#[command(name = "mentra-cost")]
struct Args {
    /// Seconds each window lasts.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Worker threads of the bridge's runtime (`BridgeConfig.worker_threads`: 1 or 2).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
    workers: u8,
    /// What the glasses speak: mentra-proto (our schema) or mentra-live (today's Mentra Live
    /// firmware, 2026: Wire v2, heartbeats every 30 s, a controller probe every 2 s while
    /// streaming).
    #[arg(long, default_value = "mentra-proto")]
    dialect: Dialect,
    /// Internal: be the bridge process (cloud URL, glasses address, workers, dialect).
    #[arg(long, num_args = 4, value_names = ["CLOUD", "GLASSES", "WORKERS", "DIALECT"], hide = true)]
    bridge: Option<Vec<String>>,
}

const TOKEN: &str = "cost-bench-token";

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if let Some(targets) = &args.bridge {
        let workers = targets[2].parse().unwrap_or(2);
        let dialect = targets[3].parse().unwrap_or_default();
        return be_the_bridge(&targets[0], &targets[1], workers, dialect);
    }
    match measure(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The bridge process: the library and nothing else, until killed.
fn be_the_bridge(
    cloud: &str,
    glasses: &str,
    workers: usize,
    dialect: Dialect,
) -> std::process::ExitCode {
    let config = BridgeConfig {
        worker_threads: workers,
        cloud: CloudConfig {
            url: cloud.into(),
            token: Redacted::new(TOKEN.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let link = TcpLink::new(TcpLinkConfig {
        dialect,
        ..TcpLinkConfig::new(glasses)
    });
    let bridge = match Bridge::start(config, Box::new(link)) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: the bridge did not start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    loop {
        std::thread::park();
        let _ = &bridge;
    }
}

/// Kills a child process when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sibling(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe.with_file_name(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: cargo build --release -p mentra-sim",
            path.display()
        ))
    }
}

/// One sample of a process: wakeups over all its threads (and per thread name), preemptions,
/// CPU time, RSS.
///
/// Threads that exit within a window take their counts with them (the bridge's runtime keeps
/// its threads; nothing here uses the blocking pool).
///
/// A wakeup is a voluntary context switch: the thread slept (on epoll, a futex, a timer) and
/// something woke it, which is what costs a phone battery. An involuntary switch is a
/// running thread preempted; here that is mostly our own peers, which share this machine's
/// two cores (on a phone they are across the radio), so it is counted apart.
#[derive(Debug, Clone)]
struct Sample {
    switches: u64,
    preemptions: u64,
    ticks: u64,
    /// CPU time in ns over every thread (`schedstat`), finer than ticks when present.
    cpu_ns: Option<u64>,
    rss_kib: u64,
    by_thread: std::collections::BTreeMap<String, u64>,
}

fn sample(pid: u32) -> Result<Sample, String> {
    let mut switches = 0;
    let mut preemptions = 0;
    let mut cpu_ns = Some(0);
    let mut by_thread = std::collections::BTreeMap::new();
    let tasks =
        std::fs::read_dir(format!("/proc/{pid}/task")).map_err(|e| format!("/proc: {e}"))?;
    for task in tasks.flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        let mut own = 0;
        let on_cpu = std::fs::read_to_string(task.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok());
        cpu_ns = match (cpu_ns, on_cpu) {
            (Some(total), Some(t)) => Some(total + t),
            _ => None,
        };
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("voluntary_ctxt_switches:") {
                own += v.trim().parse::<u64>().unwrap_or(0);
            } else if let Some(v) = line.strip_prefix("nonvoluntary_ctxt_switches:") {
                preemptions += v.trim().parse::<u64>().unwrap_or(0);
            }
        }
        switches += own;
        let tid = task.file_name().to_string_lossy().into_owned();
        *by_thread
            .entry(format!("{} (tid {tid})", name.trim()))
            .or_insert(0) += own;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // Fields after the command name (which may hold spaces, in parentheses).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are the 14th and 15th fields; `rest` starts at the 3rd.
    let ticks = field(11) + field(12);
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    Ok(Sample {
        switches,
        preemptions,
        ticks,
        cpu_ns,
        rss_kib,
        by_thread,
    })
}

fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

fn report(label: &str, a: &Sample, b: &Sample, seconds: f64, hz: u64) {
    let wakeups = b.switches.saturating_sub(a.switches) as f64 / seconds;
    let preempted = b.preemptions.saturating_sub(a.preemptions) as f64 / seconds;
    // schedstat resolves ns but only counts the threads alive at each sample; the process's
    // ticks (10 ms) also hold threads that exited in the window. The larger of the two.
    let by_ticks = b.ticks.saturating_sub(a.ticks) as f64 / hz as f64;
    let cpu = match (a.cpu_ns, b.cpu_ns) {
        (Some(x), Some(y)) => (y.saturating_sub(x) as f64 / 1e9).max(by_ticks),
        _ => by_ticks,
    };
    println!(
        "{label:<10} {wakeups:>6.2} wakeups/s ({:>7.0}/h)   CPU {:>6.4} % of a core ({:>5.2} s/h)   RSS {:.1} MiB   (preempted {preempted:.2}/s)",
        wakeups * 3600.0,
        cpu / seconds * 100.0,
        cpu / seconds * 3600.0,
        b.rss_kib as f64 / 1024.0
    );
    // The profile: which threads woke.
    for (name, n) in &b.by_thread {
        let delta = n.saturating_sub(a.by_thread.get(name).copied().unwrap_or(0));
        if delta > 0 {
            println!("           {:>6.2}/s  {name}", delta as f64 / seconds);
        }
    }
}

fn measure(args: &Args) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let cloud = CloudSim::start(CloudSimConfig {
            token: Some(TOKEN.into()),
            ..Default::default()
        })
        .await
        .map_err(|e| format!("the cloud simulator: {e}"))?;
        let mut glasses = Command::new(sibling("mentra-glasses-sim")?)
            .args(["--tcp", "127.0.0.1:0", "--dialect", &args.dialect.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("mentra-glasses-sim: {e}"))?;
        let mut line = String::new();
        {
            use std::io::BufRead;
            let out = glasses.stdout.take().ok_or("no glasses output")?;
            std::io::BufReader::new(out)
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
        }
        let _glasses = Killed(glasses);
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("unexpected glasses output: {line:?}"))?
            .to_owned();
        let bridge = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
            .args([
                "--bridge",
                &cloud.url(),
                &address,
                &args.workers.to_string(),
                &args.dialect.to_string(),
            ])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("the bridge process: {e}"))?;
        let pid = bridge.id();
        let _bridge = Killed(bridge);
        if !cloud.wait_connected(Duration::from_secs(20)).await {
            return Err("the bridge did not reach the cloud".into());
        }
        // Let the connection settle (hello, first reports) before measuring.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let hz = clock_ticks();
        let window = Duration::from_secs(args.seconds.max(5));
        println!(
            "bridge process {pid} ({} worker threads): connected to the cloud simulator (pings every 10 s) and {} glasses over TCP; {} s per window",
            args.workers,
            args.dialect,
            window.as_secs()
        );
        let a = sample(pid)?;
        tokio::time::sleep(window).await;
        let b = sample(pid)?;
        report("idle", &a, &b, window.as_secs_f64(), hz);

        let start = StartSpec {
            stream_id: "scost".into(),
            url: "rtmps://ingest.example.com/live/cost-key".into(),
            app_id: "cost".into(),
            telemetry: Some(true),
            ..Default::default()
        };
        cloud.send(&start_command(&start, cloud.generation())).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let a = sample(pid)?;
        let end = tokio::time::Instant::now() + window;
        let mut n = 0;
        while tokio::time::Instant::now() < end {
            let left = end.saturating_duration_since(tokio::time::Instant::now());
            tokio::time::sleep(left.min(Duration::from_secs(15))).await;
            n += 1;
            cloud.send(&keep_alive_command("scost", &format!("c{n}"))).await;
        }
        let b = sample(pid)?;
        report("streaming", &a, &b, window.as_secs_f64(), hz);
        Ok(())
    })
}
