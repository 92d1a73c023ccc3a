//! The flight recorder's memory at its bound: a bridge streams for 15 minutes of virtual time
//! with stats ten times a second (more than any firmware sends), a keep-alive every 15 s and a
//! glasses drop every 3 minutes, so the ring fills to its 5,000 entries; then prints the
//! entries kept, the bytes they hold, and the size of the export.
//! Run with `cargo bench -p mentra-bridge --bench recorder`.

#![allow(clippy::expect_used)] // a benchmark that cannot set up has nothing to measure

use std::time::Duration;

use mentra_bridge::bridge::spawn;
use mentra_bridge::cloud::CloudConfig;
use mentra_bridge::{BridgeConfig, Redacted};
use mentra_sim::cloud::{CloudSim, CloudSimConfig, StartSpec, keep_alive_command, start_command};
use mentra_sim::glasses::{GlassesSimConfig, spawn_glasses};
use mentra_sim::link::{SimLinkConfig, sim_link};

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let (cloud, connector) = CloudSim::in_memory(CloudSimConfig::default());
        let (phone_end, glasses_end, link) = sim_link(SimLinkConfig::default());
        let _glasses = spawn_glasses(
            GlassesSimConfig {
                stats_interval: Duration::from_millis(100),
                ..Default::default()
            },
            glasses_end,
        );
        let config = BridgeConfig {
            cloud: CloudConfig {
                url: cloud.url(),
                token: Redacted::new("bench-token".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let bridge = spawn(config, Box::new(phone_end), connector).expect("the bridge starts");
        assert!(cloud.wait_connected(Duration::from_secs(10)).await);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let start = StartSpec {
            stream_id: "sbench".into(),
            url: "rtmps://ingest.example.com/live/bench-key".into(),
            app_id: "bench".into(),
            telemetry: Some(true),
            ..Default::default()
        };
        cloud.send(&start_command(&start, cloud.generation())).await;
        let mut peak = 0;
        for i in 0..60u32 {
            tokio::time::sleep(Duration::from_secs(15)).await;
            cloud
                .send(&keep_alive_command("sbench", &format!("k{i}")))
                .await;
            if i % 12 == 11 {
                link.disconnect("bench: out of range");
                tokio::time::sleep(Duration::from_secs(2)).await;
                link.connect();
            }
            peak = peak.max(bridge.diagnostics_memory());
        }
        let export = bridge.export_diagnostics();
        let entries = export.lines().count() - 1;
        let memory = bridge.diagnostics_memory();
        println!("flight recorder after 15 min of virtual time (bound: 5,000 entries or 10 min):");
        println!("  entries kept        {entries}");
        println!(
            "  memory held         {memory} bytes ({:.0} KiB), peak {peak} bytes",
            memory as f64 / 1024.0
        );
        println!("  per entry           {} bytes", memory / entries.max(1));
        println!(
            "  export (JSON Lines) {} bytes ({:.0} KiB)",
            export.len(),
            export.len() as f64 / 1024.0
        );
        bridge.shutdown().await;
    });
}
