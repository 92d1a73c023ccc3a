#!/usr/bin/env bash
# Prints the library sizes the mobile apps ship:
#   - the stripped release-mobile cdylib for x86_64 (the host proxy; budget < 3 MB), as the
#     phones build it (TLS, no Linux BLE stack: on Android the app's BLE stack moves the bytes
#     through the host link) and with everything (TLS + btleplug, whose Linux backend brings
#     libdbus, bluez-async and an XML parser that no phone carries);
#   - with --phones: the release-mobile staticlibs for aarch64-linux-android and
#     aarch64-apple-ios, built without TLS and os_log (their C parts need the NDK / Xcode,
#     which our machines lack), so those two figures are lower bounds.
set -euo pipefail
cd "$(dirname "$0")/.."
measure() { # label, cargo feature args…
  local label=$1; shift
  cargo build --quiet -p mentra-bridge-ffi --profile release-mobile "$@"
  strip -o target/release-mobile/libmentra_bridge_ffi.stripped.so target/release-mobile/libmentra_bridge_ffi.so
  local bytes
  bytes=$(stat -c %s target/release-mobile/libmentra_bridge_ffi.stripped.so)
  awk -v b="$bytes" -v l="$label" 'BEGIN { printf "x86_64 cdylib, release-mobile, stripped, %s: %d bytes (%.2f MB; budget 3 MB)\n", l, b, b / 1000000 }'
}
measure "phone features (tls, host link)" --no-default-features --features tls
measure "all features (tls, btleplug with BlueZ)"
if [ "${1:-}" = "--phones" ]; then
  for t in aarch64-linux-android aarch64-apple-ios; do
    if rustup target add "$t" >/dev/null 2>&1; then
      cargo rustc --quiet -p mentra-bridge-ffi --lib --no-default-features --features ble --profile release-mobile \
        --target "$t" --crate-type staticlib
      a=target/$t/release-mobile/libmentra_bridge_ffi.a
      printf '%s staticlib, release-mobile, btleplug, no TLS/os_log: %d bytes\n' "$t" "$(stat -c %s "$a")"
    else
      echo "$t: skipped: target unavailable"
    fi
  done
fi
