//! The machines speak the bridge's own types (DESIGN §3): `stream/` and `health/` import
//! nothing from `cloud/` and name no message of either cloud generation, so a new cloud
//! generation is one translator in `cloud/`, not a change to the contract's code. Read from
//! the sources, so a stray `use crate::cloud` fails here, not in review.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("cannot read {}", dir.display());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn machine_sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["stream", "health"] {
        sources(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "found the machine sources: {files:?}");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{e}"));
            (p, text)
        })
        .collect()
}

#[test]
fn stream_and_health_import_nothing_from_cloud() {
    for (path, text) in machine_sources() {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for forbidden in [
                "crate::cloud",
                "super::super::cloud",
                "mentra_bridge::cloud",
            ] {
                assert!(
                    !code.contains(forbidden),
                    "{}:{}: `{}` uses {forbidden}",
                    path.display(),
                    n + 1,
                    line.trim()
                );
            }
        }
    }
}

#[test]
fn stream_and_health_name_no_cloud_message() {
    for (path, text) in machine_sources() {
        for (n, line) in text.lines().enumerate() {
            for name in [
                "\"start_stream\"",
                "\"start_rtmp_stream\"",
                "\"stop_stream\"",
                "\"stop_rtmp_stream\"",
                "\"keep_stream_alive\"",
                "\"keep_rtmp_stream_alive\"",
                "\"stream_status\"",
                "\"rtmp_stream_status\"",
                "\"keep_alive_ack\"",
            ] {
                assert!(
                    !line.contains(name),
                    "{}:{}: the machine names the cloud message {name}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
}
