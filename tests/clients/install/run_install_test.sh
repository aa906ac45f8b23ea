#!/usr/bin/env bash
# `cmake --install` into a scratch prefix: lethe.so lands in the library
# directory and schema.sql, search.sql and usage.sql in share/lethe/sql; then
# the installed module and SQL files work together in the sqlite3 shell. The
# command lands in bin/ and the systemd user units in lib/systemd/user; the
# installed command syncs a fixture home and `lethe sql` finds the installed
# module.
# Usage: run_install_test.sh <cmake> <build dir> <libdir> <datadir> <sqlite3> [<bindir>]
#   (libdir, datadir and bindir relative to the prefix, as CMake's
#   GNUInstallDirs CMAKE_INSTALL_LIBDIR, CMAKE_INSTALL_DATADIR and
#   CMAKE_INSTALL_BINDIR)
set -euo pipefail
cmake="${1:?cmake}"
build="${2:?build dir}"
libdir="${3:?libdir}"
datadir="${4:?datadir}"
shell="${5:?sqlite3 shell}"
bindir="${6:-bin}"
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

# The command, away from the build tree: it finds the installed module only.
cli="$prefix/$bindir/lethe"
[[ -x "$cli" ]] || fail "$cli is missing"
for unit in lethe-sync.service lethe-sync.timer; do
  cmp -s "$prefix/lib/systemd/user/$unit" "$root/deploy/systemd/$unit" ||
    fail "$prefix/lib/systemd/user/$unit is missing or differs from deploy/systemd/$unit"
done
home="$prefix/home"
cp -r "$root/tests/clients/sync/home" "$home"
as_user() { (cd "$prefix" && env -u LETHE_DB -u XDG_DATA_HOME HOME="$home" "$@"); }
out="$(as_user "$cli" sync 2>&1)" || fail "the installed lethe sync failed: $out"
[[ "$out" == *" lethe sync: home=$home "*" files=4 read=4 "*" failed=0 "* ]] ||
  fail "the installed lethe sync did not read the fixture home: $out"
version="$(as_user "$cli" --version)"
out="$(as_user "$cli" sql "SELECT lethe_version(), count(*) FROM turns" 2>&1)" ||
  fail "the installed lethe sql failed: $out"
[[ "$out" == "$version|18" ]] || fail "the installed lethe sql gave '$out', expected '$version|18'"
echo "cmake --install: lethe.so in $libdir, schema.sql, search.sql and usage.sql in $datadir/lethe/sql, and they work"
echo "cmake --install: the command in $bindir syncs a home and loads the installed module; the systemd units in lib/systemd/user"
