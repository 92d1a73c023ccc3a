#!/usr/bin/env bash
# Builds libmentra_bridge_ffi.so for the Android ABIs with cargo-ndk (release-mobile profile:
# size-optimised, panic = unwind) into src/main/jniLibs, then regenerates the Kotlin bindings
# from the unstripped host library. Gradle runs it before every build (preBuild) with
# ANDROID_NDK_HOME set to the pinned NDK; by hand, set it yourself. Needs
# `cargo install cargo-ndk`. Neither the NDK nor cargo-ndk exists on our CI machines.
#
# No btleplug on Android: the app's own BLE stack is the link there (withHostLink), so the
# library is built without the `ble` feature and LinkSpec.Ble fails at once with a sentence.
# 16 KB pages: NDK r28+ links with max-page-size=16384 by default; the flag below keeps older
# NDKs honest too.
# `rustc --crate-type cdylib`, not `build`: a build makes the rlib and the staticlib in the
# same rustc run, and that cdylib comes out about 750 KB larger (bindings/size-report.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
: "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to an NDK r28 or newer (Gradle does, from ndkVersion)}"
for t in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
  rustup target add "$t" >/dev/null
done
RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,-z,max-page-size=16384" \
  cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$here/src/main/jniLibs" \
  rustc --profile release-mobile -p mentra-bridge-ffi --lib --crate-type cdylib \
  --no-default-features --features tls
bindings/generate.sh app
