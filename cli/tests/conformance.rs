//! `mentra-bridge conformance` as a firmware engineer runs it: against glasses listening on
//! TCP (the simulator, in this test's process, on 127.0.0.1), it prints PASS per check, the
//! closing counts, writes the JSON report and exits 0; against glasses with a broken rule it
//! names the check, shows the evidence and exits 1.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::time::Duration;

use mentra_sim::glasses::{Defects, GlassesSimConfig, TcpGlassesPort, spawn_glasses};
use tokio::process::Command;

/// Runs the command against simulated glasses on a fresh TCP port; (exit ok, stdout, stderr).
async fn conformance_over_tcp(config: GlassesSimConfig, extra: &[&str]) -> (bool, String, String) {
    let (port, address) = TcpGlassesPort::bind("127.0.0.1:0").await.unwrap();
    let _glasses = spawn_glasses(config, port);
    let link = format!("tcp://{address}");
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new(env!("CARGO_BIN_EXE_mentra-bridge"))
            .args(["conformance", "--link", &link, "--connect-timeout", "10"])
            // The simulator accepts any ingest; real glasses need one they reach.
            .env(
                "MENTRA_CONFORMANCE_INGEST",
                "rtmp://127.0.0.1/live/secret-key-123",
            )
            .args(extra)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the kit finishes by itself")
    .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_glasses_simulator_passes_every_check_over_tcp_and_the_report_says_so() {
    let dir = std::env::temp_dir().join(format!("mentra-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("report.json");
    let config = GlassesSimConfig {
        transports: vec![mentra_bridge::wire::proto::StreamTransport::Rtmp],
        ..Default::default()
    };
    let (ok, stdout, stderr) =
        conformance_over_tcp(config, &["--json", json.to_str().unwrap()]).await;
    assert!(ok, "the kit failed:\n{stdout}\n{stderr}");
    let total = mentra_sim::conformance::checks().len();
    assert!(
        stdout.contains(&format!("{total} passed, 0 failed")),
        "{stdout}"
    );
    for name in [
        "PASS hello.capabilities",
        "PASS framing.sequence_wrap",
        "PASS stream.watchdog",
    ] {
        assert!(stdout.contains(name), "missing {name:?} in:\n{stdout}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["failed"], 0);
    assert_eq!(report["passed"], total);
    assert_eq!(report["mtu"], 515, "TCP carries 512-byte packets");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_rule_is_named_with_its_evidence_and_the_kit_exits_1() {
    let config = GlassesSimConfig {
        defects: Defects {
            forgets_command_ids: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let (ok, stdout, stderr) = conformance_over_tcp(config, &[]).await;
    assert!(!ok, "a failing check must fail the command:\n{stdout}");
    assert!(
        stdout.contains("FAIL ids.repeat_answered_not_acted"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAILED: a repeated id must not be acted on again"),
        "{stdout}"
    );
    assert!(stdout.contains(", 1 failed"), "{stdout}");
    assert!(
        !stdout.contains("secret-key-123"),
        "the ingest's key is never printed"
    );
    assert!(stderr.contains("1 of"), "{stderr}");
}
