//! `mentra-bridge diagnose FILE` as support runs it on a user's export: a clean recording
//! (the demo's, through `--record`) shows its timeline and passes; a trace that contains an
//! orphan stream is flagged at the entry where it shows, and the command exits 1.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::process::Command;

fn bridge(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mentra-bridge"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mentra-diagnose-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_recorded_demo_reads_back_as_a_timeline_and_passes_the_contract() {
    let file = temp("demo.jsonl");
    let path = file.to_str().unwrap();
    let (ok, stdout, stderr) = bridge(&[
        "demo",
        "--keep-alives",
        "2",
        "--interval",
        "0.2",
        "--duration",
        "0",
        "--record",
        path,
    ]);
    assert!(ok, "demo failed:\n{stdout}\n{stderr}");
    assert!(stderr.contains("diagnostics:"), "{stderr}");
    let (ok, stdout, stderr) = bridge(&["diagnose", path]);
    assert!(ok, "a clean run is flagged:\n{stdout}\n{stderr}");
    for needle in [
        "stream m4k2q7xa1bc",
        "streaming for",
        "stopped",
        "contract: no violation found",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    let recorded = std::fs::read_to_string(&file).unwrap();
    assert!(
        !recorded.contains("demo-core-token"),
        "the core token never reaches a recording"
    );
}

#[test]
fn an_orphan_stream_in_a_trace_is_flagged_at_its_entry() {
    let trace = [
        r#"{"format":"mentra-bridge-diagnostics","version":1,"bridge_version":"0.1.0"}"#,
        r#"{"t_ms":0,"kind":"cloud_in","msg":"start_stream","stream_id":"s1"}"#,
        r#"{"t_ms":10,"kind":"stream","stream_id":"s1","state":"initializing"}"#,
        r#"{"t_ms":900,"kind":"glasses_in","msg":"stream_status","message_id":4,"reply_to":0,"size":30,"stream_id":"s1","state":"streaming"}"#,
        r#"{"t_ms":910,"kind":"stream","stream_id":"s1","state":"streaming"}"#,
        r#"{"t_ms":5000,"kind":"cloud_in","msg":"stop_stream","stream_id":"s1"}"#,
        r#"{"t_ms":15100,"kind":"stream","stream_id":"s1","state":"stopped","problem":"glasses_no_answer"}"#,
        r#"{"t_ms":16000,"kind":"glasses_in","msg":"stream_status","message_id":9,"reply_to":0,"size":30,"stream_id":"s1","state":"streaming"}"#,
        r#"{"t_ms":32000,"kind":"glasses_in","msg":"stream_status","message_id":25,"reply_to":0,"size":30,"stream_id":"s1","state":"streaming"}"#,
    ];
    let file = temp("orphan.jsonl");
    std::fs::write(&file, trace.join("\n") + "\n").unwrap();
    let (ok, stdout, _) = bridge(&["diagnose", file.to_str().unwrap()]);
    assert!(!ok, "an orphan must fail the check:\n{stdout}");
    assert!(stdout.contains("no orphan stream"), "{stdout}");
    assert!(
        stdout.contains("at 32.0 s (entry 8)"),
        "points at the entry:\n{stdout}"
    );
}

#[test]
fn a_file_that_is_not_an_export_is_one_clear_error() {
    let file = temp("not-an-export.txt");
    std::fs::write(&file, "hello\n").unwrap();
    let (ok, _, stderr) = bridge(&["diagnose", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("not a Mentra Bridge diagnostics export"),
        "{stderr}"
    );
}
