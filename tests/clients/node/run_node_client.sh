#!/usr/bin/env bash
# Node.js client test: make sure better-sqlite3 12 is installed in
# tests/clients/node/node_modules (ensure_better_sqlite3.sh), then run
# test_node_client.js. A missing node or npm is a failure, not a skip.
#
# Usage: run_node_client.sh <node> <npm> <lethe module path> <repository root>
set -euo pipefail
node="${1:-}"
npm="${2:-}"
module="${3:?path to the built lethe module}"
root="${4:?repository root}"
here="$(cd "$(dirname "$0")" && pwd)"

bash "$here/ensure_better_sqlite3.sh" "$node" "$npm"
cd "$here"
exec "$node" --test-reporter=spec test_node_client.js "$module" "$root"
