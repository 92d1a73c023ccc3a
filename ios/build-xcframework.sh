#!/usr/bin/env bash
# Builds MentraBridgeFFIC.xcframework: the release-mobile static library for iOS devices and
# both simulators (arm64 + x86_64, joined with lipo), with the generated C header and module
# map. Needs macOS with Xcode; our CI machines cannot run it (no Apple toolchain).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
for t in "${targets[@]}"; do
  rustup target add "$t" >/dev/null
  cargo build --profile release-mobile -p mentra-bridge-ffi --target "$t"
done
out=target/xcframework
rm -rf "$out" && mkdir -p "$out/headers" "$out/sim"
# Headers and module map come from the generated bindings (bindings/generate.sh app).
cp ios/Sources/MentraBridgeFFI/MentraBridgeFFIC.h "$out/headers/"
cp ios/Sources/MentraBridgeFFI/MentraBridgeFFIC.modulemap "$out/headers/module.modulemap"
lipo -create \
  target/aarch64-apple-ios-sim/release-mobile/libmentra_bridge_ffi.a \
  target/x86_64-apple-ios/release-mobile/libmentra_bridge_ffi.a \
  -output "$out/sim/libmentra_bridge_ffi.a"
rm -rf ios/MentraBridgeFFIC.xcframework
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release-mobile/libmentra_bridge_ffi.a -headers "$out/headers" \
  -library "$out/sim/libmentra_bridge_ffi.a" -headers "$out/headers" \
  -output ios/MentraBridgeFFIC.xcframework
echo "ios/MentraBridgeFFIC.xcframework ready"
