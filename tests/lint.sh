#!/usr/bin/env bash
# The gates run-all.sh passes before it builds anything: every C++ file of
# ext/, tests/ and bench/ formatted as .clang-format says, and the
# extension's sources clean under .clang-tidy (every warning is an error).
# A finding is fixed, or silenced on its line with NOLINT(check) and the
# reason beside it.
#
#   bash tests/lint.sh [build folder for compile_commands.json, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
jobs="$(nproc 2>/dev/null || echo 2)"
for tool in clang-format clang-tidy; do
  command -v "$tool" >/dev/null || { echo "lint: $tool is missing (apt-get install $tool)"; exit 1; }
done

# node_modules may hold a client's own C++ sources; build folders hold
# generated ones.
mapfile -t cxx_files < <(
  { find ext tests -path '*/node_modules' -prune -o -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print
    find bench -maxdepth 1 -type f -name '*.cpp'; } | sort)
echo "=== lint: clang-format over ${#cxx_files[@]} files"
if ! clang-format --dry-run --Werror "${cxx_files[@]}"; then
  echo "lint: formatting differs from .clang-format; run: clang-format -i <the files above>"
  exit 1
fi

# clang-tidy needs the compile commands of a configured build (configuring
# takes a second; nothing is compiled).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
mapfile -t ext_sources < <(find ext -type f -name '*.cpp' | sort)
echo "=== lint: clang-tidy over the ${#ext_sources[@]} sources of ext/"
# (Its "N warnings generated." counts system headers' warnings it hides.)
if ! printf '%s\n' "${ext_sources[@]}" |
  xargs -P "$jobs" -n 1 clang-tidy -p "$build" --quiet --warnings-as-errors='*' 2>&1 |
  sed '/^[0-9]* warnings* generated\.$/d'; then
  echo "lint: clang-tidy found problems (above); fix them or NOLINT(check) with a reason"
  exit 1
fi
echo "=== lint: clean"
