#!/usr/bin/env bash
# The whole test suite, as README's second command and CI run it: a normal
# build and an AddressSanitizer + UndefinedBehaviorSanitizer build, each with
# every test (unit, end-to-end through a real SQLite connection, the real
# sqlite3 shell, other clients, fault injection, property and concurrency
# tests), then a 60-second smoke of each libFuzzer target. Before that, the
# formatting and clang-tidy gates (tests/lint.sh); after it, a ThreadSanitizer
# build of the tests that parse on a second thread.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc 2>/dev/null || echo 2)"
passed=0
failed=0

run_suite() {
  local dir="$1"; shift
  echo "=== $dir: configure and build ($*)"
  # LETHE_TESTS is off by default: README's first command builds only lethe.so.
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLETHE_TESTS=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "=== $dir: tests"
  local log="$dir/ctest.log" status=0
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" 2>&1 | tee "$log" || status=$?
  local total fail
  total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  fail=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -n 1)
  passed=$((passed + ${total:-0} - ${fail:-0}))
  failed=$((failed + ${fail:-0}))
  return "$status"
}

bash tests/lint.sh build
run_suite build
# lethe on a three-node dqlite cluster (deploy/dqlite/README.md), when its packages are installed.
bash deploy/dqlite/test.sh --skip-if-missing build/lethe.so
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-sanitize -DLETHE_SANITIZE=ON
# Batches of 4 MiB or more, and a sync's files, hand chunks from a parsing
# thread to the writer: these tests reach that path; any ThreadSanitizer
# report fails them.
tsan_tests='Pipeline.*:Concurrency.*:HostileInput.TenMegabyteLine:Sync.ReadsEveryAgentFolder*:Sync.TwoSyncsAtOnceEqualOne:Sync.AnyInterleaving*:SyncAgentDb.*'
echo "=== build-tsan: configure and build (-DLETHE_TSAN=ON), then $tsan_tests"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLETHE_TESTS=ON -DLETHE_TSAN=ON >/dev/null
cmake --build build-tsan -j"$jobs" --target lethe e2e_threaded_tests
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/e2e_threaded_tests --gtest_filter="$tsan_tests" \
  --gtest_brief=1 | tee build-tsan/tests.log
tsan_passed=$(sed -n 's/.*PASSED.* \([0-9]*\) tests\?\./\1/p' build-tsan/tests.log)
((${tsan_passed:-0} >= 12)) || { echo "build-tsan: expected at least 12 tests to run"; exit 1; }
passed=$((passed + tsan_passed))
bash tests/fuzz/smoke.sh "${LETHE_FUZZ_SECONDS:-60}"
echo "=== all suites passed"
echo "tests: $passed passed, $failed failed"
