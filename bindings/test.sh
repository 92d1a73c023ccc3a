#!/usr/bin/env bash
# Binding tests: generates the test bindings, then runs the Python tests (and the Kotlin/JVM
# tests when kotlinc, JNA and JUnit are installed; .ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
bindings/generate.sh test
echo "== python binding tests"
(cd target/bindings-test/python && cp ../../../bindings/tests/python/test_bridge.py . && python3 test_bridge.py)
if [ -x bindings/tests/kotlin/run.sh ]; then
  bindings/tests/kotlin/run.sh
fi
