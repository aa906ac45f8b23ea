#!/usr/bin/env bash
# `cmake --install` into a scratch prefix: lethe.so lands in the library
# directory and schema.sql, search.sql and usage.sql in share/lethe/sql; then
# the installed module and SQL files work together in the sqlite3 shell.
# Usage: run_install_test.sh <cmake> <build dir> <libdir> <datadir> <sqlite3>
#   (libdir and datadir relative to the prefix, as CMake's GNUInstallDirs
#   CMAKE_INSTALL_LIBDIR and CMAKE_INSTALL_DATADIR)
set -euo pipefail
cmake="${1:?cmake}"
build="${2:?build dir}"
libdir="${3:?libdir}"
datadir="${4:?datadir}"
shell="${5:?sqlite3 shell}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# cmake is not instrumented: keep a preloaded sanitizer runtime away from it.
env -u LD_PRELOAD -u ASAN_OPTIONS "$cmake" --install "$build" --prefix "$prefix" ||
  fail "cmake --install $build --prefix $prefix failed"

echo "installed files:"
(cd "$prefix" && find . -type f | sort | sed 's|^\./|  |')

module="$prefix/$libdir/lethe.so"
sqldir="$prefix/$datadir/lethe/sql"
[[ -f "$module" ]] || fail "$module is missing"
for f in schema.sql search.sql usage.sql; do
  [[ -f "$sqldir/$f" ]] || fail "$sqldir/$f is missing"
  cmp -s "$sqldir/$f" "$root/sql/$f" || fail "$sqldir/$f differs from sql/$f"
done

# The installed pieces work together.
out="$(cd "$prefix" && "$shell" :memory: 2>&1 <<SQL
.bail on
.load $prefix/$libdir/lethe
.read $sqldir/schema.sql
.read $sqldir/search.sql
.read $sqldir/usage.sql
SELECT count(*) FROM lethe_ingest('ana', readfile('$root/examples/demo.ndjson'));
SELECT count(*) FROM turn_search WHERE query MATCH 'comma' AND owner = 'ana';
SELECT sum(turns) FROM session_summary;
SQL
)" || fail "the installed module and SQL files did not work: $out"
expected=$'4\n2\n9'
[[ "$out" == "$expected" ]] || fail "unexpected output from the installed module: $out (expected ${expected//$'\n'/ })"
echo "cmake --install: lethe.so in $libdir, schema.sql, search.sql and usage.sql in $datadir/lethe/sql, and they work"
