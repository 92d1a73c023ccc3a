#!/usr/bin/env bash
# Generates the bindings from the unstripped host library (a stripped one has no UniFFI
# metadata):
#   - Swift for ios/ and Kotlin for android/ from the app build (no simulators);
#   - Python and Kotlin for the binding tests from the `simulators` build, into target/.
# Usage: bindings/generate.sh [app|test|all|--print-lib-name]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
bindgen() { cargo run --quiet -p uniffi-bindgen -- generate --no-format "$@"; }

# The host library's file name: .dylib on macOS (where most app developers build), .dll on
# Windows, .so elsewhere. MENTRA_UNAME overrides `uname -s` (the naming test uses it).
libfile() {
  case "${MENTRA_UNAME:-$(uname -s)}" in
    Darwin) echo "lib$1.dylib" ;;
    MINGW*|MSYS*|CYGWIN*|Windows*) echo "$1.dll" ;;
    *) echo "lib$1.so" ;;
  esac
}
if [ "$what" = --print-lib-name ]; then
  libfile mentra_bridge_ffi
  exit 0
fi

if [ "$what" = app ] || [ "$what" = all ]; then
  cargo build --quiet -p mentra-bridge-ffi
  lib=target/debug/$(libfile mentra_bridge_ffi)
  bindgen "$lib" --language swift --out-dir ios/Sources/MentraBridgeFFI
  mkdir -p ios/Sources/MentraBridge
  mv ios/Sources/MentraBridgeFFI/MentraBridgeFFI.swift ios/Sources/MentraBridge/MentraBridgeGenerated.swift
  bindgen "$lib" --language kotlin --out-dir android/src/main/kotlin
  echo "app bindings: ios/Sources, android/src/main/kotlin"
fi

if [ "$what" = test ] || [ "$what" = all ]; then
  CARGO_TARGET_DIR=target/ffi-sim cargo build --quiet -p mentra-bridge-ffi --features simulators
  lib=target/ffi-sim/debug/$(libfile mentra_bridge_ffi)
  out=target/bindings-test
  rm -rf "$out" && mkdir -p "$out/python" "$out/kotlin"
  bindgen "$lib" --language python --out-dir "$out/python"
  bindgen "$lib" --language kotlin --out-dir "$out/kotlin"
  cp "$lib" "$out/python/"
  echo "test bindings: $out"
fi
