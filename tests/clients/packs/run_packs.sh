#!/usr/bin/env bash
# Golden test of the SQL packs: runs NAME.sql (default packs.sql) in the real
# sqlite3 shell and compares its output (stdout, then stderr) with
# NAME.expected.
# Usage: run_packs.sh <sqlite3> <lethe module path> [NAME] [--update]
set -euo pipefail
shell="${1:?path to the sqlite3 shell}"
module="${2:?path to the built lethe module}"
name=packs
mode=""
for arg in "${@:3}"; do
  if [[ "$arg" == "--update" ]]; then mode=--update; else name="$arg"; fi
done
module="$(cd "$(dirname "$module")" && pwd)/$(basename "$module")"   # the shell runs elsewhere
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
expected="$here/$name.expected"
[[ -x "$shell" ]] || { echo "FAIL: the sqlite3 shell was not found ('$shell')" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# 'localtime' follows TZ: Sydney's rules as a POSIX string (needs no tzdata),
# UTC+11 in March (daylight saving time).
export TZ='AEST-10AEDT,M10.1.0,M4.1.0/3'
sed -e "s|LETHE_MODULE|${module%.so}|" -e "s|LETHE_ROOT|$root|g" "$here/$name.sql" \
  | (cd "$work" && "$shell" :memory: >"$work/stdout" 2>"$work/stderr") || true
{ cat "$work/stdout"; echo "--- stderr"; cat "$work/stderr"; } >"$work/actual"

source "$root/tests/golden.sh"
golden_compare "SQL packs ($name)" "$expected" "$work/actual" "$mode"
