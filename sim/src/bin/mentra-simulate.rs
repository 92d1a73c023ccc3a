//! `mentra-simulate`: runs the whole-bridge deterministic simulation over many seeds and
//! prints seeds/s, virtual time per seed, and every violation with a one-line replay command
//! and the trace up to it. Exit code 1 when any seed broke an invariant.
//!
//! ```text
//! cargo run --release -p mentra-sim --bin mentra-simulate -- --seeds 10000
//! cargo run --release -p mentra-sim --bin mentra-simulate -- --seed 4242 --trace
//! ```

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clap::Parser;
use mentra_sim::world::{Outcome, draw, run};

/// Whole-bridge deterministic simulation: seeded worlds, injected faults, checked invariants.
#[derive(Debug, Parser)]
#[command(name = "mentra-simulate", version, about)]
struct Args {
    /// How many seeds to run.
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 1)]
    from: u64,
    /// Run this one seed (and print its trace on failure, or always with --trace).
    #[arg(long, conflicts_with_all = ["seeds", "from"])]
    seed: Option<u64>,
    /// Minutes of faults and commands per seed (the world then settles for 150 s).
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Threads (each runs its seeds on its own single-threaded runtime).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print the whole trace of every seed run.
    #[arg(long)]
    trace: bool,
    /// With --seed: write the bridge's flight recorder of a failing run to FILE (what a user
    /// would attach to a bug report; `mentra-bridge diagnose FILE` reads it).
    #[arg(long, value_name = "FILE", requires = "seed")]
    export_trace: Option<std::path::PathBuf>,
    /// Lines of trace shown before a violation.
    #[arg(long, default_value_t = 80)]
    tail: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // `RUST_LOG=debug` shows the bridge's own logs for a replayed seed.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    if !(args.minutes.is_finite() && args.minutes > 0.0 && args.minutes <= 600.0) {
        eprintln!("error: --minutes must be between 0 and 600");
        return ExitCode::FAILURE;
    }
    let active = Duration::from_secs_f64(args.minutes * 60.0);
    let (first, count) = match args.seed {
        Some(s) => (s, 1),
        None => (args.from, args.seeds),
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 64);
    let next = Arc::new(AtomicU64::new(first));
    let done = Arc::new(AtomicUsize::new(0));
    let virtual_ms = Arc::new(AtomicU64::new(0));
    let failed: Arc<Mutex<Vec<Outcome>>> = Arc::new(Mutex::new(Vec::new()));
    let wall = Instant::now();
    // What each thread runs, and since when: a seed that never finishes (the bridge spinning
    // without virtual time passing) is named and ends the run instead of hanging it.
    let running: Arc<Mutex<Vec<Running>>> = Arc::new(Mutex::new(vec![None; jobs]));
    let workers: Vec<_> = (0..jobs)
        .map(|job| {
            let (next, done, virtual_ms, failed, running) = (
                Arc::clone(&next),
                Arc::clone(&done),
                Arc::clone(&virtual_ms),
                Arc::clone(&failed),
                Arc::clone(&running),
            );
            let trace = args.trace;
            std::thread::spawn(move || {
                let mark = |now: Running| {
                    running.lock().unwrap_or_else(PoisonError::into_inner)[job] = now;
                };
                loop {
                    let seed = next.fetch_add(1, Ordering::SeqCst);
                    if seed >= first + count {
                        mark(None);
                        return;
                    }
                    mark(Some((seed, Instant::now())));
                    let outcome = run(&draw(seed, active));
                    virtual_ms
                        .fetch_add(outcome.virtual_time.as_millis() as u64, Ordering::Relaxed);
                    if trace {
                        for line in &outcome.trace {
                            println!("{seed:>6} {line}");
                        }
                    }
                    if !outcome.violations.is_empty() {
                        failed
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(outcome);
                    }
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    if n % 1000 == 0 {
                        eprintln!("  {n} seeds…");
                    }
                }
            })
        })
        .collect();
    while !workers.iter().all(|w| w.is_finished()) {
        std::thread::sleep(Duration::from_millis(200));
        let stuck = running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .flatten()
            .find(|(_, since)| since.elapsed() > STUCK_AFTER)
            .copied();
        if let Some((seed, _)) = stuck {
            println!(
                "seed {seed}: VIOLATION [no livelock] still running after {} s of wall time\n  replay: cargo run --release -p mentra-sim --bin mentra-simulate -- --seed {seed} --minutes {}",
                STUCK_AFTER.as_secs(),
                args.minutes
            );
            return ExitCode::FAILURE;
        }
    }
    for w in workers {
        if w.join().is_err() {
            eprintln!("error: a simulation thread panicked outside a world");
            return ExitCode::FAILURE;
        }
    }
    let elapsed = wall.elapsed().as_secs_f64();
    let ran = done.load(Ordering::SeqCst).max(1);
    let mut failed = std::mem::take(&mut *failed.lock().unwrap_or_else(PoisonError::into_inner));
    failed.sort_by_key(|o| o.seed);
    for o in &failed {
        println!();
        for v in &o.violations {
            println!(
                "seed {}: VIOLATION [{}] at {:.3} s: {}",
                o.seed,
                v.rule,
                v.at.as_secs_f64(),
                v.what
            );
        }
        println!(
            "  replay: cargo run --release -p mentra-sim --bin mentra-simulate -- --seed {} --minutes {} --trace",
            o.seed, args.minutes
        );
        if let (Some(path), Some(export)) = (&args.export_trace, &o.diagnostics) {
            match std::fs::write(path, export) {
                Ok(()) => println!("  the bridge's flight recorder: {}", path.display()),
                Err(e) => eprintln!("error: cannot write {}: {e}", path.display()),
            }
        }
        if !args.trace {
            let cut = o.trace.len().saturating_sub(args.tail);
            println!(
                "  trace (last {} of {} lines):",
                o.trace.len() - cut,
                o.trace.len()
            );
            for line in &o.trace[cut..] {
                println!("    {line}");
            }
        }
    }
    let per_seed = virtual_ms.load(Ordering::Relaxed) as f64 / ran as f64 / 1000.0;
    println!(
        "\n{ran} seeds from {first} in {elapsed:.1} s ({:.1} seeds/s, {jobs} threads), {:.0} s of virtual time per seed: {} with violations",
        ran as f64 / elapsed.max(1e-9),
        per_seed,
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The seed a thread runs, and since when (`None`: idle).
type Running = Option<(u64, Instant)>;

/// A seed runs in well under a second of wall time; one still running after this is stuck.
const STUCK_AFTER: Duration = Duration::from_secs(30);
