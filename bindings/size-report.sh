#!/usr/bin/env bash
# Prints the library sizes the mobile apps ship:
#   - the stripped release-mobile cdylib for x86_64 (the host proxy; budget < 3 MB);
#   - with --phones: the release-mobile staticlibs for aarch64-linux-android and
#     aarch64-apple-ios, built without TLS and os_log (their C parts need the NDK / Xcode,
#     which our machines lack), so those two figures are lower bounds.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p mentra-bridge-ffi --profile release-mobile
so=target/release-mobile/libmentra_bridge_ffi.so
strip -o target/release-mobile/libmentra_bridge_ffi.stripped.so "$so"
bytes=$(stat -c %s target/release-mobile/libmentra_bridge_ffi.stripped.so)
printf 'x86_64 cdylib, release-mobile, stripped: %d bytes (%.2f MB; budget 3 MB)\n' "$bytes" "$(echo "$bytes/1000000" | bc -l)"
if [ "${1:-}" = "--phones" ]; then
  for t in aarch64-linux-android aarch64-apple-ios; do
    if rustup target add "$t" >/dev/null 2>&1; then
      cargo rustc --quiet -p mentra-bridge-ffi --lib --no-default-features --profile release-mobile \
        --target "$t" --crate-type staticlib
      a=target/$t/release-mobile/libmentra_bridge_ffi.a
      printf '%s staticlib, release-mobile, no TLS/os_log: %d bytes\n' "$t" "$(stat -c %s "$a")"
    else
      echo "$t: skipped: target unavailable"
    fi
  done
fi
