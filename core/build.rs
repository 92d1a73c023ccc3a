//! Generates the glasses wire types (`mentra.glasses.v1`) from `proto/` with prost-build.
//! Uses the protoc shipped by `protoc-bin-vendored`, so no system protoc is needed.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest.join("../proto");
    let schema = proto_root.join("mentra/glasses/v1/glasses.proto");
    println!("cargo:rerun-if-changed={}", schema.display());

    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    // Messages holding secrets get a hand-written, redacting Debug (src/wire/secrets.rs).
    config.skip_debug([
        ".mentra.glasses.v1.StartStream",
        ".mentra.glasses.v1.SetWifiCredentials",
    ]);
    config.compile_protos(&[schema], &[proto_root])?;
    Ok(())
}
