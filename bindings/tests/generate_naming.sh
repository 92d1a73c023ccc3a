#!/usr/bin/env bash
# bindings/generate.sh names the host library as each desktop does: .dylib on macOS, .so on
# Linux, .dll on Windows. Prints `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0 failed=0
check() {
  local uname=$1 want=$2 got
  got=$(MENTRA_UNAME=$uname bindings/generate.sh --print-lib-name)
  if [ "$got" = "$want" ]; then passed=$((passed + 1)); echo "ok     $uname → $got"
  else failed=$((failed + 1)); echo "FAILED $uname: want $want, got $got"; fi
}
check Darwin libmentra_bridge_ffi.dylib
check Linux libmentra_bridge_ffi.so
check MINGW64_NT-10.0 mentra_bridge_ffi.dll
echo "generate.sh naming: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
