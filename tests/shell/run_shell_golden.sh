#!/usr/bin/env bash
# Runs an SQL script in the real sqlite3 shell, from the repository root, on a
# fresh database file, and compares its output (stdout and stderr) with a
# golden file. In the script, LETHE_MODULE and ./build/lethe (what README's
# commands load) both become the module under test.
#
#   run_shell_golden.sh <lethe module path> <script.sql> <expected> [--update]
set -euo pipefail
module="${1:?path to the built lethe module}"
script="${2:?SQL script}"
expected="${3:?golden file}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
sed -e "s|LETHE_MODULE|${module%.so}|" -e "s|\./build/lethe|${module%.so}|" "$script" |
  sqlite3 "$work/demo.db" >"$work/actual" 2>&1 || true
source "$root/tests/golden.sh"
golden_compare "$(basename "$script")" "$expected" "$work/actual" "${4:-}"
