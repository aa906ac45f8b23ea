#!/usr/bin/env bash
# Runs the unit and end-to-end suites, the out-of-memory sweep, the
# no-worker-thread test and the fuzz corpus replays under valgrind memcheck, on a normal (not sanitized) build.
# Exit status: 1 when memcheck found an error or a definite leak (in any
# process, forked children included), else 2 when only tests failed (a test
# failure is the suites' business, shown but told apart), else 0.
#
#   bash tests/reliability/valgrind.sh [BUILD_DIR] [-- extra gtest args]
#
# Slow (valgrind runs code ~30x slower): the e2e suite takes minutes. The
# fault-injection sweeps are run on a sample of their points
# (LETHE_FAULT_SAMPLE); pass a --gtest_filter after -- to narrow further.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
shift || true
[[ "${1:-}" == "--" ]] && shift
extra=("$@")

command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 2; }
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLETHE_SANITIZE=OFF -DLETHE_TESTS=ON >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)"

logs="$build/valgrind"
rm -rf "$logs"
mkdir -p "$logs"
vg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-origins=yes
    --num-callers=30 --trace-children=no
    # nomem_test replaces operator new to inject failures: let it.
    --soname-synonyms=somalloc=nouserintercepts)
export LETHE_FAULT_SAMPLE="${LETHE_FAULT_SAMPLE:-25}"

status=0
run() {
  local name="$1"; shift
  local start=$SECONDS rc=0
  "${vg[@]}" --log-file="$logs/$name.%p.log" "$@" >"$logs/$name.out" 2>&1 || rc=$?
  local errors
  errors=$(grep -l -E "ERROR SUMMARY: [1-9]|definitely lost: [1-9]" "$logs/$name".*.log || true)
  if [[ -n "$errors" ]]; then
    echo "MEMCHECK FAIL $name ($((SECONDS - start))s): $errors"
    grep -h -A30 -E "Invalid|uninitialised|definitely lost: [1-9]|Mismatched" $errors | head -80 || true
    status=1
  elif ((rc != 0)); then
    echo "memcheck clean, but tests failed: $name ($((SECONDS - start))s):"
    grep -E "^\[  FAILED  \]" "$logs/$name.out" | sort -u | head -20 || tail -n 20 "$logs/$name.out"
    ((status == 1)) || status=2
  else
    echo "PASS $name ($((SECONDS - start))s)"
  fi
}

run unit_tests "$build/tests/unit_tests" "${extra[@]}"
run e2e_tests "$build/tests/e2e_tests" "${extra[@]}"
if [[ -x "$build/tests/reliability/reliability_nomem" ]]; then
  run reliability_nomem "$build/tests/reliability/reliability_nomem" "${extra[@]}"
  run reliability_nothread "$build/tests/reliability/reliability_nothread" "${extra[@]}"
  run fuzz_replay_wire "$build/tests/reliability/fuzz_replay_wire" tests/fuzz/corpus/wire tests/fuzz/regressions/wire
  run fuzz_replay_ingest "$build/tests/reliability/fuzz_replay_ingest" tests/fuzz/corpus/ingest tests/fuzz/regressions/ingest
fi
echo "memcheck over $(ls "$logs"/*.log | wc -l) processes:"
grep -h "ERROR SUMMARY" "$logs"/*.log | sed 's/^==[0-9]*== //' | sort | uniq -c
exit "$status"
