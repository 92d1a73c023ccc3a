#!/usr/bin/env bash
# Binding tests: generates the test bindings, then runs the Python tests, the Kotlin/JVM
# tests (when kotlinc, JNA and JUnit are installed), the Swift syntax check (when
# tree-sitter-swift is in target/tools/py), the README-snippet check and the library-naming
# check of generate.sh. .ci/run installs what they need.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== generate.sh names the host library per platform"
bindings/tests/generate_naming.sh
echo "== README examples are the compiled/parsed example files"
python3 bindings/tests/readme_snippets.py
if PYTHONPATH=target/tools/py python3 -c "import tree_sitter_swift" 2>/dev/null; then
  echo "== hand-written Swift parses (tree-sitter-swift)"
  PYTHONPATH=target/tools/py python3 bindings/tests/swift/parse.py \
    ios/Package.swift ios/Sources/MentraBridge/MentraBridgeClient.swift ios/Examples/*.swift
else
  echo "skipped: Swift syntax check (pip install --target target/tools/py tree-sitter tree-sitter-swift)"
fi
bindings/generate.sh test
echo "== python binding tests"
(cd target/bindings-test/python && cp ../../../bindings/tests/python/test_bridge.py . && python3 test_bridge.py)
if [ -x bindings/tests/kotlin/run.sh ]; then
  bindings/tests/kotlin/run.sh
fi
