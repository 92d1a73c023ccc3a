"""Parses the hand-written Swift (the wrapper, Package.swift, the examples) with
tree-sitter-swift and fails on any syntax error node: our machines have no Swift compiler, so
this is the check that the Swift an app team gets is at least well-formed.

Usage: python3 bindings/tests/swift/parse.py FILE...   (prints `N passed, N failed`)
"""

import sys

import tree_sitter
import tree_sitter_swift


def errors(node, found):
    if node.type == "ERROR" or node.is_missing:
        found.append(node)
    for child in node.children:
        errors(child, found)
    return found


def main(paths):
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
    passed = failed = 0
    for path in paths:
        with open(path, "rb") as f:
            tree = parser.parse(f.read())
        found = errors(tree.root_node, [])
        if found:
            failed += 1
            for node in found[:5]:
                line, col = node.start_point
                kind = "missing " + node.type if node.is_missing else "syntax error"
                print(f"FAILED {path}:{line + 1}:{col + 1}: {kind}")
        else:
            passed += 1
            print(f"ok     {path}")
    print(f"swift parse: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
