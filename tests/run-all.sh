#!/usr/bin/env bash
# The whole test suite, as README's second command and CI run it: a normal
# build and an AddressSanitizer + UndefinedBehaviorSanitizer build, each with
# every test (unit, end-to-end through a real SQLite connection, the real
# sqlite3 shell, other clients).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc 2>/dev/null || echo 2)"

run_suite() {
  local dir="$1"; shift
  echo "=== $dir: configure and build ($*)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "=== $dir: tests"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs"
}

run_suite build
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-sanitize -DLETHE_SANITIZE=ON
echo "=== all suites passed"
