#!/usr/bin/env bash
# Builds MentraBridgeFFIC.xcframework with a slice for every platform Package.swift declares:
# iOS devices, the iOS simulator (arm64 + x86_64, joined with lipo) and macOS (arm64 + x86_64,
# joined with lipo), from the release-mobile static library. The C header and module map are
# regenerated from this very build (bindings/generate.sh app) and namespaced under
# Headers/MentraBridgeFFIC/, so the framework's module.modulemap never collides with another
# UniFFI framework's. Needs macOS with Xcode; our CI machines cannot run it (no Apple
# toolchain).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
# Keep in step with Package.swift's platforms.
export IPHONEOS_DEPLOYMENT_TARGET=15.0
export MACOSX_DEPLOYMENT_TARGET=12.0
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
for t in "${targets[@]}"; do
  rustup target add "$t" >/dev/null
  # The staticlib alone, as bindings/size-report.sh measures it (a plain build also makes the
  # cdylib and the rlib in the same rustc run, which costs size).
  cargo rustc --profile release-mobile -p mentra-bridge-ffi --lib --crate-type staticlib --target "$t"
done
# The Swift and the header from the library just built (the host build's metadata is the same
# code): what is packaged always matches what the Swift calls.
bindings/generate.sh app
out=target/xcframework
rm -rf "$out" && mkdir -p "$out/headers/MentraBridgeFFIC" "$out/ios-sim" "$out/macos"
cp ios/Sources/MentraBridgeFFI/MentraBridgeFFIC.h "$out/headers/MentraBridgeFFIC/"
cp ios/Sources/MentraBridgeFFI/MentraBridgeFFIC.modulemap "$out/headers/MentraBridgeFFIC/module.modulemap"
lib=libmentra_bridge_ffi.a
lipo -create target/aarch64-apple-ios-sim/release-mobile/$lib target/x86_64-apple-ios/release-mobile/$lib \
  -output "$out/ios-sim/$lib"
lipo -create target/aarch64-apple-darwin/release-mobile/$lib target/x86_64-apple-darwin/release-mobile/$lib \
  -output "$out/macos/$lib"
rm -rf ios/MentraBridgeFFIC.xcframework
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release-mobile/$lib -headers "$out/headers" \
  -library "$out/ios-sim/$lib" -headers "$out/headers" \
  -library "$out/macos/$lib" -headers "$out/headers" \
  -output ios/MentraBridgeFFIC.xcframework
echo "ios/MentraBridgeFFIC.xcframework ready (iOS, iOS simulator, macOS)"
