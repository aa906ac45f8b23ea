#!/usr/bin/env bash
# The sqlite3 shell as a lethe client: readfile() and one statement that
# ingests every *.ndjson of a folder with the shell's fsdir(). Runs
# shell_client.sql in a scratch folder holding an inbox, and compares the
# shell's output (stdout and stderr) with shell_client.expected.
# Usage: run_shell_client.sh <sqlite3> <lethe module path> [--update]
set -euo pipefail
shell="${1:?path to the sqlite3 shell}"
module="${2:?path to the built lethe module}"
module="$(cd "$(dirname "$module")" && pwd)/$(basename "$module")"   # the shell runs elsewhere
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
expected="$here/shell_client.expected"
if [[ ! -x "$shell" ]]; then
  echo "FAIL: the sqlite3 shell was not found ('$shell'); install Debian's sqlite3 package" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
batch="$root/tests/clients/fixtures/batch.ndjson"
demo="$root/examples/demo.ndjson"

# The inbox: two batches (one in a subfolder: fsdir walks the whole tree),
# and files that are not NDJSON, which the statement must never read.
mkdir -p "$work/inbox/desktop"
cp "$batch" "$work/inbox/laptop.ndjson"
sed -n 6,8p "$demo" >"$work/inbox/desktop/codex.ndjson"   # codex session, all lines good
printf 'not json at all\n' >"$work/inbox/notes.txt"
printf '{"broken":\n' >"$work/inbox/README"
# Two files that write the same turn: which one wins depends on the order
# the files are read in.
mkdir -p "$work/ordered"
for n in 1 2; do
  printf '{"tool":"t","host":"h","session_id":"s","turn_id":"x","seq":0,"role":"user","timestamp":"2026-01-01T00:00:00Z","content":"from file %s"}\n' "$n" \
    >"$work/ordered/$n.ndjson"
done
# A folder named like a batch.
mkdir -p "$work/tricky/folder.ndjson"
cp "$batch" "$work/tricky/good.ndjson"

# stdout and stderr are kept apart (stdout is buffered, so interleaving them
# would depend on buffering); the shell's errors name the script's line.
actual="$work/actual"
sed -e "s|LETHE_MODULE|${module%.so}|" -e "s|LETHE_ROOT|$root|g" "$here/shell_client.sql" \
  | (cd "$work" && "$shell" :memory: >"$work/stdout" 2>"$work/stderr") || true
{ cat "$work/stdout"; echo "--- stderr"; cat "$work/stderr"; } >"$actual"

source "$root/tests/golden.sh"
golden_compare "sqlite3 shell client" "$expected" "$actual" "${3:-}"
