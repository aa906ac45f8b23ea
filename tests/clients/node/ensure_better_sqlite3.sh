#!/usr/bin/env bash
# Makes sure better-sqlite3 12 is installed in tests/clients/node/node_modules
# (from package-lock.json, with `npm ci`) and loads in this node. Used by the
# Node.js client test and by the documentation snippets test (js blocks).
#
# Idempotent and offline-safe: when node_modules already holds the locked
# better-sqlite3 version and it loads in this node, npm is not run at all.
# A missing node or npm is a failure, not a skip (CI installs both).
#
# Usage: ensure_better_sqlite3.sh <node> <npm>
set -euo pipefail
node="${1:-}"
npm="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"

fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -n "$node" && -x "$node" ]] ||
  fail "node was not found ('$node'). Install Node.js 20 (or newer) with npm, then re-run cmake."
[[ -n "$npm" && -x "$npm" ]] ||
  fail "npm was not found ('$npm'). Install npm with Node.js, then re-run cmake."

# npm, node-gyp and the compiler are not instrumented: keep a sanitizer
# runtime preloaded for the test (see CMakeLists.txt) away from them.
plain() { env -u LD_PRELOAD -u ASAN_OPTIONS "$@"; }

installed() {
  (cd "$here" && plain "$node" -e '
    const want = require("./package-lock.json").packages["node_modules/better-sqlite3"].version;
    const have = require("better-sqlite3/package.json").version;
    if (have !== want) { console.error(`better-sqlite3 ${have} installed, ${want} locked`); process.exit(1); }
    new (require("better-sqlite3"))(":memory:").close();   // the native addon loads in this node
  ' 2>/dev/null)
}

if ! installed; then
  echo "installing better-sqlite3 into $here/node_modules (npm ci)"
  # One install at a time (ctest -j, two build trees share node_modules).
  (
    flock 9
    if ! installed; then
      cd "$here"
      plain "$npm" ci --no-audit --no-fund ||
        fail "npm ci failed in $here (it needs the npm registry, and a C++ toolchain or a prebuilt binary for better-sqlite3)"
    fi
  ) 9<"$here/package.json"
  installed || fail "better-sqlite3 is still not loadable from $here/node_modules after npm ci"
fi
