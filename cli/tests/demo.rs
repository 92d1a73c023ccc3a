//! The demo command, as a newcomer runs it: it must finish the scripted stream with exit code
//! 0 and print each state with the stream id.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::process::Command;

fn demo(args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["demo"];
    all.extend_from_slice(args);
    cli(&all)
}

#[test]
fn demo_streams_end_to_end_and_exits_zero() {
    let (ok, stdout, stderr) = demo(&[
        "--mtu",
        "23",
        "--keep-alives",
        "2",
        "--interval",
        "0.2",
        "--duration",
        "0",
    ]);
    assert!(ok, "demo failed:\n{stdout}\n{stderr}");
    // A managed WHIP stream through a 2026 cloud.
    for needle in [
        "glasses    connected",
        "→ start_stream m4k2q7xa1bc",
        "m4k2q7xa1bc initializing",
        "m4k2q7xa1bc streaming",
        "→ keep_stream_alive m4k2q7xa1bc ack a0002",
        "ack a0002 acknowledged",
        "→ stop_stream m4k2q7xa1bc",
        "m4k2q7xa1bc stopped",
        "2 keep-alives acked",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    assert!(
        !stdout.contains("9f8e7d6c5b4a"),
        "the live-input key in the WHIP URL is never printed"
    );
}

#[test]
fn bad_flags_are_refused_with_a_clear_message() {
    let (ok, _, stderr) = demo(&["--interval=-1"]);
    assert!(!ok);
    assert!(stderr.contains("--interval"), "{stderr}");
}

#[test]
fn every_failure_scenario_plays_to_the_end_and_says_why() {
    let out = Command::new(env!("CARGO_BIN_EXE_mentra-bridge"))
        .args(["demo", "--list-scenarios"])
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    let list = String::from_utf8_lossy(&out.stdout).into_owned();
    let names: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for required in [
        "no-wifi",
        "overheat",
        "low-battery",
        "glasses-link-drop",
        "cloud-link-drop",
        "camera-busy",
        "start-timeout",
        "srt-unmanaged",
        "cloud-2025",
    ] {
        assert!(
            names.contains(&required),
            "{required} missing from:\n{list}"
        );
    }
    for name in names {
        let (ok, stdout, stderr) = demo(&["--scenario", name]);
        assert!(ok, "scenario {name} failed:\n{stdout}\n{stderr}");
        let seen = stdout
            .lines()
            .find(|l| l.contains("user sees"))
            .unwrap_or_else(|| panic!("{name}: no reason printed:\n{stdout}"));
        assert!(seen.len() > 40, "{name}: a sentence, not a code: {seen}");
    }
}

#[test]
fn an_unknown_scenario_is_a_clear_error() {
    let (ok, _, stderr) = demo(&["--scenario", "meteor-strike"]);
    assert!(!ok);
    assert!(stderr.contains("--list-scenarios"), "{stderr}");
}

#[test]
fn scan_without_bluetooth_says_so_and_exits_non_zero() {
    let out = Command::new(env!("CARGO_BIN_EXE_mentra-bridge"))
        .args(["scan", "--seconds", "1"])
        // No system bus at all, whatever this machine has.
        .env(
            "DBUS_SYSTEM_BUS_ADDRESS",
            "unix:path=/nonexistent/mentra-test-no-bus",
        )
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no Bluetooth available"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && stderr.lines().count() <= 2,
        "{stderr}"
    );
}

fn cli(args: &[&str]) -> (bool, String, String) {
    cli_with_path(args, None)
}

fn cli_with_path(args: &[&str], path: Option<&str>) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mentra-bridge"));
    command.args(args);
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let out = command.output().expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn glasses_commands_work_without_a_cloud() {
    let (ok, stdout, stderr) = cli(&["status", "--link", "sim"]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("glasses    connected") && stdout.contains("wifi       on sim-wifi"));

    let (ok, stdout, stderr) = cli(&["wifi", "scan", "--link", "sim"]);
    assert!(ok && stdout.contains("sim-wifi"), "{stdout}\n{stderr}");

    // The bridge keeps a local stream alive and enforces its duration itself.
    let (ok, stdout, stderr) = cli(&[
        "stream",
        "start",
        "--link",
        "sim",
        "--url",
        "rtmp://127.0.0.1/live/STREAMKEY",
        "--duration",
        "2",
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("streaming") && stdout.contains("duration_limit"),
        "{stdout}"
    );
    assert!(!stdout.contains("STREAMKEY") && !stderr.contains("STREAMKEY"));
}

#[test]
fn unreachable_glasses_are_a_clear_error() {
    let (ok, _, stderr) = cli(&[
        "status",
        "--link",
        "tcp://127.0.0.1:1",
        "--connect-timeout",
        "2",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("could not connect to the glasses"),
        "{stderr}"
    );
    let (ok, _, stderr) = cli(&["status", "--link", "carrier-pigeon"]);
    assert!(!ok && stderr.contains("expected sim | ble"), "{stderr}");
}

#[test]
fn demo_real_video_prints_a_watchable_hls_url_and_leaves_nothing_running() {
    if let Err(why) = mentra_sim::video::RealVideoTools::find() {
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
        return;
    }
    let (ok, stdout, stderr) = demo(&[
        "--real-video",
        "--keep-alives",
        "1",
        "--interval",
        "0.5",
        "--duration",
        "6",
    ]);
    assert!(ok, "demo failed:\n{stdout}\n{stderr}");
    for needle in [
        "real video: ffmpeg in the glasses simulator",
        "watch it now: http://127.0.0.1:",
        "/hls/m4k2q7xa1bc.m3u8",
        "m4k2q7xa1bc stopped",
        "ffmpeg ended with the stream",
        "RTMP server stopped",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("warning"), "{stdout}");
}

#[test]
fn demo_real_video_without_ffmpeg_says_what_to_install_and_falls_back() {
    let (ok, stdout, stderr) = cli_with_path(
        &[
            "demo",
            "--real-video",
            "--keep-alives",
            "1",
            "--interval",
            "0.2",
            "--duration",
            "0",
        ],
        Some("/nonexistent"),
    );
    assert!(ok, "falls back and still streams:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("missing: ffmpeg")
            && stdout.contains("apt-get install ffmpeg nginx libnginx-mod-rtmp"),
        "{stdout}"
    );
    assert!(
        stdout.contains("falling back to simulated video"),
        "{stdout}"
    );
    assert!(stdout.contains("m4k2q7xa1bc stopped"), "{stdout}");
}
