"""Every Kotlin and Swift block in README.md and docs/mobile-lifecycle.md is an excerpt of an
example file CI compiles (android/examples/*.kt, with kotlinc) or parses (ios/Examples/*.swift,
with tree-sitter-swift): its lines appear there, in order. So the docs show code that builds.

Prints `N passed, N failed`.
"""

import glob
import re
import sys

DOCS = ["README.md", "docs/mobile-lifecycle.md"]
SOURCES = {"kotlin": "android/examples/*.kt", "swift": "ios/Examples/*.swift"}


def lines_of(paths):
    out = []
    for path in sorted(paths):
        with open(path, encoding="utf-8") as f:
            out.extend(line.strip() for line in f)
    return [l for l in out if l]


def is_excerpt(block, source):
    """True when the block's lines occur in `source` in order (each once)."""
    at = 0
    for line in block:
        try:
            at = source.index(line, at) + 1
        except ValueError:
            return False, line
    return True, None


def main():
    sources = {lang: lines_of(glob.glob(pattern)) for lang, pattern in SOURCES.items()}
    passed = failed = 0
    for doc in DOCS:
        with open(doc, encoding="utf-8") as f:
            text = f.read()
        for m in re.finditer(r"```(kotlin|swift)\n(.*?)```", text, re.S):
            lang, body = m.group(1), m.group(2)
            block = [l.strip() for l in body.splitlines() if l.strip()]
            ok, missing = is_excerpt(block, sources[lang])
            where = f"{doc}:{text[:m.start()].count(chr(10)) + 1}"
            if ok:
                passed += 1
                print(f"ok     {where} ({lang}, {len(block)} lines)")
            else:
                failed += 1
                print(f"FAILED {where}: not in {SOURCES[lang]} (in order): {missing!r}")
    print(f"readme snippets: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
