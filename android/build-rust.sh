#!/usr/bin/env bash
# Builds libmentra_bridge_ffi.so for the Android ABIs with cargo-ndk (release-mobile profile:
# size-optimised, panic = unwind) into src/main/jniLibs, then regenerates the Kotlin bindings
# from the unstripped host library. Needs the Android NDK (ANDROID_NDK_HOME) and
# `cargo install cargo-ndk`; neither is available on our CI machines.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
for t in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
  rustup target add "$t" >/dev/null
done
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$here/src/main/jniLibs" \
  build --profile release-mobile -p mentra-bridge-ffi
bindings/generate.sh app
