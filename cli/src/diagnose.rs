//! `mentra-bridge diagnose FILE`: reads a diagnostics export (from `--record FILE`, or an app's
//! `exportDiagnostics()`), prints its timeline — per stream, each state with the time spent in
//! it and every error with its sentence — and checks it against the behaviour contract with the
//! invariant code the whole-bridge simulation uses, pointing at the first violation of each
//! rule. Exit 1 when the trace breaks the contract, 2 when the file cannot be read.

use std::path::PathBuf;

use clap::Args;
use mentra_bridge::diag::{TraceChecker, parse_jsonl, render_timeline};

/// Options of `diagnose`.
#[derive(Debug, Args)]
pub(crate) struct DiagnoseArgs {
    /// The export (JSON Lines).
    file: PathBuf,
}

/// Reads and checks the export: `Ok(true)` when it keeps the contract, `Ok(false)` when it
/// breaks it, `Err` when it cannot be read.
pub(crate) fn run(args: &DiagnoseArgs) -> Result<bool, String> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let (header, entries) =
        parse_jsonl(&text).map_err(|e| format!("{}: {e}", args.file.display()))?;
    println!(
        "{}: {} entries, recorded by mentra-bridge {}",
        args.file.display(),
        entries.len(),
        header.bridge_version
    );
    if header.dropped > 0 {
        println!(
            "(the recorder's bounds had dropped {} older entries: the start of the story is missing)",
            header.dropped
        );
    }
    print!("{}", render_timeline(&entries));
    // Without its start, what was live before the first entry is unknown.
    let checker = if header.dropped > 0 {
        TraceChecker::for_partial_trace()
    } else {
        TraceChecker::new()
    };
    let violations = TraceChecker::check_with(checker, &entries);
    if violations.is_empty() {
        println!("\ncontract: no violation found");
        return Ok(true);
    }
    println!("\ncontract: {} rule(s) broken", violations.len());
    for v in &violations {
        println!(
            "  at {:.1} s (entry {}): {}: {}",
            v.t_ms as f64 / 1000.0,
            v.index + 1,
            v.rule,
            v.what
        );
    }
    Err(format!(
        "{} breaks the behaviour contract",
        args.file.display()
    ))
}

/// Writes the bridge's flight recorder to `path` (for `--record FILE`), saying so.
pub(crate) fn save(handle: &mentra_bridge::BridgeHandle, path: Option<&std::path::Path>) {
    let Some(path) = path else { return };
    let export = handle.export_diagnostics();
    let entries = export.lines().count().saturating_sub(1);
    match std::fs::write(path, export) {
        Ok(()) => eprintln!(
            "diagnostics: {} ({entries} entries; read it with `mentra-bridge diagnose {}`)",
            path.display(),
            path.display()
        ),
        Err(e) => eprintln!("error: cannot write {}: {e}", path.display()),
    }
}
