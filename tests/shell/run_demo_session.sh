#!/usr/bin/env bash
# Runs tests/shell/demo_session.sql in the real sqlite3 shell and compares its
# output (stdout and stderr) with the golden file. Usage: run_demo_session.sh
# <lethe module path> [--update]
set -euo pipefail
module="${1:?path to the built lethe module}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
expected="$here/demo_session.expected"
actual="$(mktemp)"
trap 'rm -f "$actual"' EXIT
cd "$root"
sed "s|LETHE_MODULE|${module%.so}|" "$here/demo_session.sql" | sqlite3 :memory: >"$actual" 2>&1 || true
if [[ "${2:-}" == "--update" ]]; then
  cp "$actual" "$expected"
  echo "updated $expected"
  exit 0
fi
if diff -u "$expected" "$actual"; then
  echo "shell demo session: output matches $expected"
else
  echo "shell demo session: output differs from $expected" >&2
  exit 1
fi
