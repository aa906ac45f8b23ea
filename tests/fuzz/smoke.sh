#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in their own build
# directory and runs each for N seconds (default 60), both at once with one
# job each (the CI machines have two cores).
#
#   bash tests/fuzz/smoke.sh [SECONDS] [BUILD_DIR]
#
# Seeds come from tests/fuzz/corpus/<target>; what a run learns goes to
# BUILD_DIR/fuzz-corpus/<target> (kept between runs, never into the source
# tree). A crash or a broken invariant stops the target, leaves the input in
# BUILD_DIR/fuzz-artifacts/ and fails the script: minimize it with
#   BUILD_DIR/tests/reliability/fuzz/fuzz_<target> -minimize_crash=1 -runs=10000 <crash-file>
# then add it to tests/fuzz/regressions/<target>/ (replayed by every build's
# ctest) and write a test for the fix.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
build="${2:-build-fuzz}"

CC=clang CXX=clang++ cmake -S . -B "$build" -DLETHE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target fuzz_wire fuzz_ingest \
  fuzz_claude fuzz_codex fuzz_gemini fuzz_qwen fuzz_copilot fuzz_cursor fuzz_opencode \
  fuzz_goose fuzz_crush

fuzz_dir="$build/tests/reliability/fuzz"

# One target: runs it, prints its stats, and leaves its exit status in a file.
run_target() {
  local target="$1"
  local seconds="${2:-$seconds}"
  local dict=tests/fuzz/native.dict
  [[ "$target" == wire || "$target" == ingest ]] && dict=tests/fuzz/wire.dict
  local corpus="$build/fuzz-corpus/$target"
  local artifacts="$build/fuzz-artifacts/$target-"
  mkdir -p "$corpus" "$(dirname "$artifacts")"
  "$fuzz_dir/fuzz_$target" -max_total_time="$seconds" -max_len=8192 -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -dict="$dict" \
    -artifact_prefix="$artifacts" "$corpus" "tests/fuzz/corpus/$target" \
    "tests/fuzz/regressions/$target" 2>"$build/fuzz-$target.log"
  echo $? >"$build/fuzz-$target.status"
}

# Both targets at once, one job each: the machines have two cores.
echo "=== fuzz_wire and fuzz_ingest: ${seconds}s each, concurrently"
run_target wire &
run_target ingest &
wait
# The native readers, two at a time (two cores), a ninth of the time each.
native_seconds=$(( (seconds + 8) / 9 ))
echo "=== fuzz_claude, fuzz_codex, fuzz_gemini, fuzz_qwen, fuzz_copilot, fuzz_cursor, fuzz_opencode, fuzz_goose, fuzz_crush: ${native_seconds}s each, two at once"
run_target claude "$native_seconds" &
run_target codex "$native_seconds" &
wait
run_target gemini "$native_seconds" &
run_target qwen "$native_seconds" &
wait
run_target copilot "$native_seconds" &
run_target cursor "$native_seconds" &
wait
run_target opencode "$native_seconds" &
run_target goose "$native_seconds" &
wait
run_target crush "$native_seconds"

status=0
for target in wire ingest claude codex gemini qwen copilot cursor opencode goose crush; do
  if [[ "$(cat "$build/fuzz-$target.status")" != 0 ]]; then
    tail -n 60 "$build/fuzz-$target.log"
    echo "=== fuzz_$target FAILED: input saved under $build/fuzz-artifacts/"
    status=1
    continue
  fi
  echo "=== fuzz_$target: no crash, leak or timeout"
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
    "$build/fuzz-$target.log" || true
done
exit "$status"
