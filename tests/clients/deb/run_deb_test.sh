#!/usr/bin/env bash
# The Debian package as a user gets it: build lethe_<version>_<arch>.deb with
# CPack, install it with dpkg -i, then from a folder that is not the checkout
#   - `sqlite3 :memory: '.load lethe' 'SELECT lethe_version()'` (no path),
#   - Python's load_extension("lethe"),
#   - examples/demo.sql with `.load lethe` and the installed SQL files
#     (/usr/share/lethe/sql), against the demo's golden output,
#   - the command /usr/bin/lethe: README's cron line, verbatim, in cron's
#     environment on a fixture home; `lethe sql` with the installed module;
#     the systemd user units in /usr/lib/systemd/user, unmodified, through
#     systemd-analyze verify --user (when it is here),
# and remove it with dpkg -r, which must leave none of its files. The package
# is removed whatever happens (trap), and the test refuses to run when a lethe
# package is already installed (it would replace and then remove it).
#
# It installs into the system, so it needs root (CI runs as root); as another
# user it is skipped (exit 77). One run at a time on the machine (flock).
#
# Usage: run_deb_test.sh <cpack> <build dir> <version> <sqlite3> <python3> <repository root>
set -euo pipefail
cpack="${1:?cpack}"
build="${2:?build dir}"
version="${3:?version}"
shell="${4:?sqlite3 shell}"
python3="${5:?python3}"
root="${6:?repository root}"

fail() { echo "FAIL: $*" >&2; exit 1; }
if [[ "$(id -u)" != 0 ]]; then
  echo "SKIP: the Debian package test installs into the system and needs root (CI runs as root)"
  exit 77
fi
for tool in dpkg dpkg-deb dpkg-query flock; do
  command -v "$tool" >/dev/null || fail "$tool not found: this test needs Debian's dpkg"
done

lockfile=/run/lock/lethe-deb-test.lock
[[ -d /run/lock && -w /run/lock ]] || lockfile=/tmp/lethe-deb-test.lock
exec 9>"$lockfile"
flock 9

installed_version() {
  { dpkg-query -W -f='${Status} ${Version}' lethe 2>/dev/null || true; } | sed -n 's/^install ok installed //p'
}
already="$(installed_version)"
[[ -z "$already" ]] ||
  fail "a lethe package ($already) is already installed; this test would replace and remove it: run dpkg -r lethe first"

work="$(mktemp -d)"
we_installed=0
we_touched_dpkg=0
cleanup() {
  if ((we_installed)); then
    dpkg -r lethe >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log" >&2; echo "FAIL: dpkg -r lethe failed" >&2; }
  fi
  # dpkg -r keeps the package's record ("rc": it has a postrm); forget it.
  ((we_touched_dpkg)) && dpkg -P lethe >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# dpkg does not wait for its lock: retry while another dpkg or apt runs.
dpkg_retry() {
  local try
  for try in $(seq 30); do
    if "$@" >"$work/dpkg.log" 2>&1; then return 0; fi
    grep -q "lock" "$work/dpkg.log" || break
    sleep 2
  done
  cat "$work/dpkg.log" >&2
  return 1
}

arch="$(dpkg --print-architecture)"
multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")"
deb="$work/pkg/lethe_${version}_${arch}.deb"

# cmake and cpack are not instrumented: no preloaded sanitizer runtime.
env -u LD_PRELOAD "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" \
  >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
[[ -f "$deb" ]] || fail "cpack made no $(basename "$deb"): $(ls "$work/pkg")"
echo "built $(basename "$deb")"

module="/usr/lib/$multiarch/lethe.so"
sqldir="/usr/share/lethe/sql"
cli="/usr/bin/lethe"
units="/usr/lib/systemd/user"
contents="$(dpkg-deb -c "$deb")"
for f in ".$module" ".$sqldir/schema.sql" ".$sqldir/search.sql" ".$sqldir/usage.sql" ".$cli" \
         ".$units/lethe-sync.service" ".$units/lethe-sync.timer"; do
  grep -q " $f\$" <<<"$contents" || fail "the package has no $f:"$'\n'"$contents"
done

# Before the install nothing answers to the bare name, or the checks below
# would prove nothing.
if out="$(cd / && env -u LD_LIBRARY_PATH -u LD_PRELOAD "$shell" :memory: '.load lethe' 2>&1)"; then
  fail "'.load lethe' already works before the package is installed: another lethe.so is where the loader looks"
fi
[[ ! -e "$cli" ]] || fail "$cli exists before the package is installed"

we_touched_dpkg=1
dpkg_retry dpkg -i "$deb" || fail "dpkg -i $(basename "$deb") failed"
we_installed=1
[[ "$(installed_version)" == "$version" ]] || fail "dpkg reports lethe '$(installed_version)' installed, not $version"
for f in schema.sql search.sql usage.sql; do
  cmp -s "$sqldir/$f" "$root/sql/$f" || fail "$sqldir/$f differs from sql/$f"
done

# From a folder that is not the checkout, with nothing pointing at the build.
elsewhere="$work/elsewhere"
mkdir -p "$elsewhere"
cd "$elsewhere"
plain() { env -u LD_LIBRARY_PATH -u LD_PRELOAD "$@"; }

out="$(plain "$shell" :memory: '.load lethe' 'SELECT lethe_version()' 2>&1)" ||
  fail "sqlite3 :memory: '.load lethe' 'SELECT lethe_version()' failed: $out"
[[ "$out" == "$version" ]] || fail "'.load lethe' then lethe_version() gave '$out', expected $version"
echo "sqlite3: .load lethe -> lethe_version() = $out"

out="$(plain "$python3" -c '
import sqlite3
db = sqlite3.connect(":memory:")
db.enable_load_extension(True)
db.load_extension("lethe")
print(db.execute("SELECT lethe_version()").fetchone()[0])' 2>&1)" ||
  fail "Python's load_extension(\"lethe\") failed: $out"
[[ "$out" == "$version" ]] || fail "Python: lethe_version() gave '$out', expected $version"
echo "python3: load_extension(\"lethe\") -> $out"

# README's demo, with the installed module and schema instead of the checkout's.
sed -e "s|^\.read sql/schema\.sql\$|.read $sqldir/schema.sql|" -e 's|^\.load \./build/lethe$|.load lethe|' \
    -e "s|readfile('examples/demo\.ndjson')|readfile('$root/examples/demo.ndjson')|" \
    "$root/examples/demo.sql" >demo.sql
grep -q "^\.read $sqldir/schema\.sql\$" demo.sql && grep -q '^\.load lethe$' demo.sql ||
  fail "examples/demo.sql no longer has the lines this test rewrites (.read sql/schema.sql, .load ./build/lethe)"
plain "$shell" demo.db <demo.sql >demo.out 2>&1 || true
source "$root/tests/golden.sh"
golden_compare "the demo with the installed package" "$root/tests/shell/example_demo.expected" demo.out ""

# The command, as README's cron line runs it: cron's environment (PATH
# /usr/bin:/bin), a fixture home, no terminal, stdin closed.
home="$work/home"
cp -r "$root/tests/clients/sync/home" "$home"
cron_line="$(grep -E '^0 \* \* \* \* ' "$root/README.md" | head -1)"
[[ -n "$cron_line" ]] || fail "README.md has no cron line"
env -i HOME="$home" LOGNAME="$(id -un)" SHELL=/bin/sh PATH=/usr/bin:/bin \
  setsid sh -c "$(cut -d' ' -f6- <<<"$cron_line")" </dev/null >"$work/cron.mail" 2>&1 ||
  fail "README's cron line failed with the package: $(cat "$work/cron.mail")"
grep -q " lethe sync: home=$home .* files=4 read=4 .* failed=0 " "$home/.lethe-sync.log" ||
  fail "the cron line did not log a sync of the fixture home: $(cat "$home/.lethe-sync.log" 2>&1)"
echo "cron line: $(cat "$home/.lethe-sync.log")"
out="$(plain env HOME="$home" "$cli" sql "SELECT lethe_version(), count(*) FROM turns" 2>&1)" ||
  fail "lethe sql with the package failed: $out"
[[ "$out" == "$version|18" ]] || fail "lethe sql with the package gave '$out', expected '$version|18'"
echo "lethe sql: the installed module -> $out"
if command -v systemd-analyze >/dev/null; then
  mkdir -m 700 "$work/run"
  out="$(XDG_RUNTIME_DIR="$work/run" systemd-analyze verify --user "$units/lethe-sync.service" \
    "$units/lethe-sync.timer" 2>&1)" || fail "systemd-analyze verify of the installed units: $out"
  [[ -z "$out" ]] || fail "systemd-analyze verify warns about the installed units: $out"
  echo "systemd-analyze verify --user: the installed units, ExecStart=lethe found in /usr/bin"
fi

# Removed: none of its files stays, and `.load lethe` no longer finds it.
cd "$work"
dpkg_retry dpkg -r lethe || fail "dpkg -r lethe failed"
we_installed=0
[[ -z "$(installed_version)" ]] || fail "lethe is still installed after dpkg -r"
for f in "$module" "$sqldir/schema.sql" "$sqldir/search.sql" "$sqldir/usage.sql" "$cli" \
         "$units/lethe-sync.service" "$units/lethe-sync.timer"; do
  [[ ! -e "$f" ]] || fail "$f is still there after dpkg -r lethe"
done
if out="$(plain "$shell" :memory: '.load lethe' 2>&1)"; then
  fail "'.load lethe' still works after dpkg -r lethe"
fi
echo "dpkg -r lethe: files gone, '.load lethe' fails as it should"
echo "Debian package: built, installed, loaded without a path, demo golden, removed"
