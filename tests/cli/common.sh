# Sourced by the tests of the `lethe` command (tests/cli/run_*.sh). Each test
# runs in a scratch folder whose home is a copy of a fixture home, with every
# variable that picks the database unset: the user's own home and archive are
# never read or written.
#
#   source common.sh <lethe> <sqlite3> <repository root>
set -euo pipefail
lethe="$(cd "$(dirname "${1:?lethe}")" && pwd)/$(basename "$1")"
shell="${2:?sqlite3}"
root="$(cd "${3:?repository root}" && pwd)"
[[ -x "$lethe" ]] || { echo "FAIL: the lethe command was not built ($lethe)" >&2; exit 1; }
[[ -x "$shell" ]] || { echo "FAIL: the sqlite3 shell was not found ('$shell')" >&2; exit 1; }

work="$(mktemp -d)"
trap 'chmod -R u+rwX "$work" 2>/dev/null; rm -rf "$work"' EXIT
unset LETHE_DB XDG_DATA_HOME
export HOME="$work/home"
fixtures="$root/tests/clients/sync/home"
cp -r "$fixtures" "$HOME"
# Files an agent last wrote a while ago: lethe_sync reads a file again when
# it changed within 2 s of its last read (file times are coarse), so freshly
# copied files would be read by two runs in a row.
find "$HOME" -exec touch -h -d '2026-03-05 10:00:00 UTC' {} +
default_db="$HOME/.local/share/lethe/agents.db"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# `lethe ARGS...` with its stdout, stderr and exit status in $out, $err, $rc.
run() {
  set +e
  "$lethe" "$@" >"$work/out" 2>"$work/err" </dev/null
  rc=$?
  set -e
  out="$(cat "$work/out")"
  err="$(cat "$work/err")"
}
expect_rc() {  # expect_rc <status> <what>
  [[ "$rc" == "$1" ]] || fail "$2: exit status $rc, expected $1; stdout: $out; stderr: $err"
}

# "sessions turns" of a database, and a digest of their rows, to compare runs.
counts() { "$shell" "$1" "SELECT (SELECT count(*) FROM sessions) || ' ' || (SELECT count(*) FROM turns)"; }
rows() {
  "$shell" "$1" "SELECT * FROM sessions ORDER BY 1, 2, 3, 4" "SELECT * FROM turns ORDER BY 1, 2, 3, 4, 5" |
    sha256sum | cut -d' ' -f1
}

# The shape of sync's log line (lethe sync --help).
log_line_re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z lethe sync: home=[^ ]+ host=[^ ]+ owner=[^ ]+ files=[0-9]+ read=[0-9]+ unchanged=[0-9]+ failed=[0-9]+ gone=[0-9]+ lines=[0-9]+ rejected=[0-9]+ db=[^ ]+ [0-9]+\.[0-9]{2}s$'
