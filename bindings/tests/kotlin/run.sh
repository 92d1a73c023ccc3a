#!/usr/bin/env bash
# Kotlin/JVM binding tests: compiles the generated test bindings, the android/ wrapper (its
# JVM-compatible part), the README's example (android/examples) and BridgeTest.kt with
# kotlinc, runs the tests with JUnit 5 on JNA, and
# prints `N passed, N failed`. Needs target/tools/node_modules/kotlin-compiler (npm),
# /usr/share/java/jna.jar (libjna-java) and JUnit 5 (junit5); .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")/../../.."
KT=target/tools/node_modules/kotlin-compiler
J=/usr/share/java
for need in "$KT/bin/kotlinc" "$J/jna.jar" "$J/junit-platform-console-standalone.jar"; do
  if [ ! -e "$need" ]; then
    echo "skipped: Kotlin binding tests ($need missing)"
    exit 0
  fi
done
out=target/kotlin-test
rm -rf "$out" && mkdir -p "$out"
CP="$J/jna.jar:$KT/lib/kotlinx-coroutines-core-jvm.jar"
TESTCP="$CP:$J/junit-jupiter-api.jar:$J/apiguardian-api.jar:$J/opentest4j.jar"
echo "== kotlin binding tests: compiling"
"$KT/bin/kotlinc" -nowarn \
  target/bindings-test/kotlin/glass/mentra/bridge/ffi/mentra_bridge.kt \
  android/src/main/kotlin/glass/mentra/bridge/MentraBridgeClient.kt \
  android/examples/HostLinkExample.kt \
  bindings/tests/kotlin/BridgeTest.kt \
  -cp "$TESTCP" -d "$out/test.jar" 2>&1 | grep -v "^warning" || true
[ -f "$out/test.jar" ] || { echo "0 passed, 1 failed"; exit 1; }
echo "== kotlin binding tests: running"
set +e
java -Djna.library.path=target/ffi-sim/debug \
  -jar "$J/junit-platform-console-standalone.jar" \
  -cp "$out/test.jar:$TESTCP:$KT/lib/kotlin-stdlib.jar" \
  --select-class BridgeTest --disable-banner --details=tree > "$out/junit.log" 2>&1
status=$?
set -e
grep -vE "^\s*$" "$out/junit.log" | grep -vE "^\s+at |RUST_BACKTRACE|stack backtrace|^\s+[0-9]+: " | tail -25
passed=$(grep -Eo '[0-9]+ tests successful' "$out/junit.log" | grep -Eo '^[0-9]+' || echo 0)
failed=$(grep -Eo '[0-9]+ tests failed' "$out/junit.log" | grep -Eo '^[0-9]+' || echo 0)
echo "kotlin: ${passed} passed, ${failed} failed"
exit $status
