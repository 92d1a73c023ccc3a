#!/usr/bin/env bash
# Prints the library sizes the mobile apps ship, and what makes them up:
#   - the stripped release-mobile cdylib for x86_64 (the host proxy; budget < 3 MB), built as
#     the phones build it: `cargo rustc --crate-type cdylib`, a cdylib alone. (A plain
#     `cargo build` also makes the rlib and the staticlib in the same rustc run, and that
#     cdylib comes out about 750 KB larger: more relocations, unwind tables and code.)
#     Once per feature set, so what each feature adds is visible: the host link alone, + tls
#     (what phones ship: on Android the app's BLE stack moves the bytes through the host link),
#     + ble (btleplug, whose Linux backend brings libdbus, bluez-async and an XML parser that
#     no phone carries);
#   - the largest crates in the phone library, from `cargo bloat` (installed here when
#     missing) on examples/size_probe, the same library as a cdylib-only target;
#   - with --phones: the release-mobile staticlibs for aarch64-linux-android and
#     aarch64-apple-ios, built without TLS and os_log (their C parts need the NDK / Xcode,
#     which our machines lack), so those two figures are lower bounds.
set -euo pipefail
cd "$(dirname "$0")/.."
so=target/release-mobile/libmentra_bridge_ffi.so
measure() { # label, cargo feature args…
  local label=$1; shift
  cargo rustc --quiet -p mentra-bridge-ffi --lib --crate-type cdylib --profile release-mobile "$@"
  strip -o target/release-mobile/libmentra_bridge_ffi.stripped.so "$so"
  local bytes
  bytes=$(stat -c %s target/release-mobile/libmentra_bridge_ffi.stripped.so)
  awk -v b="$bytes" -v l="$label" -v prev="${last:-0}" 'BEGIN {
    printf "x86_64 cdylib, release-mobile, stripped, %-38s %8d bytes (%.2f MB)", l ":", b, b / 1000000
    if (prev > 0) printf "   %+5d KB", (b - prev) / 1000
    printf "\n" }'
  last=$bytes
}
last=0
measure "host link only (no features)" --no-default-features
measure "+ tls: the phone library (budget 3 MB)" --no-default-features --features tls
phone=$last
measure "+ ble (btleplug with BlueZ)" --no-default-features --features tls,ble

if ! cargo bloat --version >/dev/null 2>&1; then
  cargo install cargo-bloat --locked --quiet
fi
echo "largest crates in the phone library (cargo bloat, .text; the rest is data, unwind tables, relocations):"
cargo bloat -p mentra-bridge-ffi --example size_probe --profile release-mobile \
  --no-default-features --features tls --crates --no-relative-size -n 16 | sed 's/^/  /'

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

# Last, so an over-budget run still prints what makes the library up.
awk -v b="$phone" 'BEGIN { printf "phone library: %.2f MB of a 3 MB budget: %s\n", b / 1000000, (b < 3000000 ? "within" : "OVER"); exit (b < 3000000 ? 0 : 1) }'
