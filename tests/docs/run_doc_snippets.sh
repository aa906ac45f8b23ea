#!/usr/bin/env bash
# ctest's doc_snippets: every fenced code block of README.md, ARCHITECTURE.md
# and docs/**/*.md, run as written (see run_doc_snippets.py). Installs
# better-sqlite3 for the js blocks first, as the Node.js client test does.
#
# Usage: run_doc_snippets.sh <sqlite3> <python3> <node> <npm> <lethe module> <repository root>
set -euo pipefail
sqlite3="${1:?sqlite3}"
python3="${2:?python3}"
node="${3:-}"
npm="${4:-}"
module="${5:?lethe module}"
root="${6:?repository root}"
bash "$root/tests/clients/node/ensure_better_sqlite3.sh" "$node" "$npm"
exec "$python3" "$root/tests/docs/run_doc_snippets.py" --root "$root" --module "$module" \
  --sqlite3 "$sqlite3" --python3 "$python3" --node "$node" \
  --node-modules "$root/tests/clients/node/node_modules" "${@:7}"
