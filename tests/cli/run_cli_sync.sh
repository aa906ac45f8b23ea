#!/usr/bin/env bash
# `lethe sync` over a fixture home (tests/clients/sync/home: Claude Code with a
# sub-agent, Codex, Gemini CLI, and two files that are not transcripts):
# where the database goes, the log line, a second run that changes nothing,
# files it cannot read (status 1, one line each, the rest stored), a home
# with no agents (status 2, nothing stored), the home's first host and owner
# kept, two syncs at once, a busy database waited for, and the progress line
# on a terminal only.
# Usage: run_cli_sync.sh <lethe> <sqlite3> <repository root>
source "$(dirname "$0")/common.sh"

# 1. The first run: the default database, its folders created, one log line.
run sync
expect_rc 0 "the first lethe sync"
[[ -f "$default_db" ]] || fail "the first sync did not create $default_db"
[[ -z "$err" ]] || fail "the first sync wrote to stderr: $err"
[[ "$(wc -l <<<"$out")" == 1 && "$out" =~ $log_line_re ]] || fail "the log line has another shape: $out"
[[ "$out" == *" home=$HOME "* && "$out" == *" db=$default_db "* && "$out" == *" files=4 read=4 "* &&
   "$out" == *" failed=0 gone=0 "* ]] || fail "the log line does not say what the run did: $out"
[[ "$out" == *" host=$(hostname) "* && "$out" == *" owner=$(id -un) "* ]] ||
  fail "the defaults are not this machine's name and the login name: $out"
first="$(rows "$default_db")"
once="$(counts "$default_db")"
[[ "$once" != "0 0" ]] || fail "the first sync stored nothing"
pass "first run: $out"

# 2. Again, from another folder, the home written another way: nothing changes.
refreshed="$("$shell" "$default_db" "SELECT refreshed_at || '/' || fresh FROM usage_cache_status")"
cd /
run sync --home "$HOME/"
cd - >/dev/null
expect_rc 0 "a second lethe sync from another folder"
[[ "$out" == *" home=$HOME "* && "$out" == *" read=0 unchanged=4 "* ]] ||
  fail "a run from another folder read files again, or named the home otherwise: $out"
run sync --home "$HOME/."
expect_rc 0 "a second lethe sync"
[[ "$out" == *" home=$HOME "* && "$out" == *" read=0 unchanged=4 "* ]] ||
  fail "a second run read files again, or named the home otherwise: $out"
[[ "$(rows "$default_db")" == "$first" ]] || fail "a second run changed sessions or turns"
# A refresh recomputes the usage sums whole (seconds on a big archive): a run
# that read nothing leaves the fresh caches as they were.
[[ "$("$shell" "$default_db" "SELECT refreshed_at || '/' || fresh FROM usage_cache_status")" == "$refreshed" &&
   "$refreshed" == */1 ]] || fail "an unchanged run refreshed the usage caches ($refreshed)"
pass "second run: nothing read, nothing changed, no refresh of the usage caches"

# 3. Where the database is: --db, else LETHE_DB, else XDG_DATA_HOME.
XDG_DATA_HOME="$work/xdg" run sync
expect_rc 0 "sync with XDG_DATA_HOME"
[[ -f "$work/xdg/lethe/agents.db" && "$out" == *" db=$work/xdg/lethe/agents.db "* ]] ||
  fail "XDG_DATA_HOME does not place the database: $out"
LETHE_DB="$work/env.db" XDG_DATA_HOME="$work/xdg" run sync
[[ -f "$work/env.db" && "$out" == *" db=$work/env.db "* ]] || fail "LETHE_DB does not name the database: $out"
LETHE_DB="$work/env.db" run sync --db "$work/option.db"
[[ -f "$work/option.db" && "$out" == *" db=$work/option.db "* ]] || fail "--db does not win over LETHE_DB: $out"
run sync --db "$work/no/such/folder/a.db"
expect_rc 2 "--db in a folder that does not exist"
[[ "$err" == *"failed: cannot create the database $work/no/such/folder/a.db: the folder $work/no/such/folder does not exist (create it first)"* ]] ||
  fail "--db in a missing folder: $err"
[[ ! -e "$work/no" ]] || fail "--db created folders it was not asked to"
cd "$work"
run sync --db relative.db
cd - >/dev/null
[[ -f "$work/relative.db" && "$out" == *" db=$work/relative.db "* ]] || fail "a relative --db is not logged as a full path: $out"
pass "--db, LETHE_DB, XDG_DATA_HOME, and the default"

# 4. Files it cannot read: status 1, one line each on stderr, the rest stored.
project="$HOME/.claude/projects/-home-ana-shop"
ln -s "$work/nowhere" "$project/broken.jsonl"
ln -s "$work/nowhere" "$project/bad-"$'\xff'".jsonl"
run sync
expect_rc 1 "a sync with two broken links"
[[ "$out" =~ $log_line_re && "$out" == *" failed=2 "* ]] || fail "the log line does not count the failures: $out"
[[ "$(grep -c ' lethe sync: BROKEN_LINK ' <<<"$err")" == 2 ]] || fail "not one stderr line per unread file: $err"
grep -q "BROKEN_LINK $project/broken.jsonl: " <<<"$err" || fail "the unread file is not named: $err"
grep -qF "BROKEN_LINK $project/bad-\\xff.jsonl: " <<<"$err" ||
  fail "a name that is not UTF-8 is not written with \\x escapes: $err"
[[ "$(rows "$default_db")" == "$first" ]] || fail "a run with unread files lost what it had"
run sync
expect_rc 1 "the next run, links still broken"
rm "$project/broken.jsonl" "$project/bad-"$'\xff'".jsonl"
run sync
expect_rc 0 "the run after the links were removed"
pass "unread files: status 1, named on stderr, the rest stored"

# 5. A home with no agent folders (a typo, ~/.claude): status 2, a timestamped
# line naming what it looked for, nothing written.
before="$(sha256sum <"$default_db")"
check_refused() {  # check_refused <home> <what the message must say>
  run sync --home "$1"
  expect_rc 2 "sync --home $1"
  [[ -z "$out" && "$err" =~ ^[0-9T:-]+Z\ lethe\ sync:\ failed:\  && "$err" == *"$2"* ]] ||
    fail "sync --home $1 does not fail clearly: stdout $out; stderr $err"
}
check_refused "$work/typo" "home '$work/typo' is not a folder"
check_refused "$HOME/.claude" ".claude/projects"
[[ "$(sha256sum <"$default_db")" == "$before" ]] || fail "a failed sync wrote to the database"
pass "a home without agents: status 2, nothing written ($err)"

# 6. The home's first host and owner are kept; another one is refused.
db="$work/named.db"
run sync --db "$db" --host laptop --owner ana
expect_rc 0 "sync --host laptop --owner ana"
run sync --db "$db"
[[ "$out" == *" host=laptop owner=ana "* ]] || fail "a later run does not keep the first host and owner: $out"
run sync --db "$db" --host desk
expect_rc 2 "sync with another host"
[[ "$err" == *"'laptop'"*"rename"* ]] || fail "another host is not refused with how to rename: $err"
[[ "$("$shell" "$db" "SELECT group_concat(DISTINCT host) || '/' || group_concat(DISTINCT owner) FROM sessions")" == "laptop/ana" ]] ||
  fail "sessions were stored under another host or owner"
pass "the first host and owner are kept"

# 7. Two syncs at once into a new database: one copy of everything.
db="$work/twice.db"
"$lethe" sync --db "$db" >"$work/a.log" 2>&1 &
first_pid=$!
"$lethe" sync --db "$db" >"$work/b.log" 2>&1 || fail "one of two syncs at once failed: $(cat "$work/b.log")"
wait "$first_pid" || fail "one of two syncs at once failed: $(cat "$work/a.log")"
[[ "$(counts "$db")" == "$once" ]] || fail "two syncs at once stored $(counts "$db"), one stores $once"
pass "two syncs at once: $once"

# 8. A busy database is waited for: another connection holds the write lock
# for 3 seconds; the sync waits, then runs, and on a terminal it shows its
# progress, cleared at the end.
db="$work/busy.db"
run sync --db "$db"
hold_lock() {
  rm -f "$work/locked"
  "$shell" "$db" "BEGIN IMMEDIATE" ".shell touch $work/locked" ".shell sleep 3" "COMMIT" &
  holder=$!
  for _ in $(seq 100); do [[ -e "$work/locked" ]] && return; sleep 0.05; done
  fail "the sqlite3 shell did not take the lock"
}
hold_lock
start=$SECONDS
run sync --db "$db"
wait "$holder"
expect_rc 0 "a sync while another connection writes"
(( SECONDS - start >= 2 )) || fail "the sync did not wait for the lock: $out"
[[ "$err" != *$'\r'* ]] || fail "the progress line was written where no terminal is: $err"
pass "a busy database is waited for ($((SECONDS - start)) s), no progress line off a terminal"

if command -v script >/dev/null; then
  hold_lock
  script -qfec "$lethe sync --db $db" "$work/typescript" >/dev/null </dev/null
  wait "$holder"
  grep -q $'\r\e\\[Klethe sync: 1s' "$work/typescript" || fail "no progress line on a terminal: $(cat -v "$work/typescript")"
  tail -c 300 "$work/typescript" | grep -q $'\r\e\\[K[0-9]' ||
    fail "the progress line is not cleared before the log line: $(cat -v "$work/typescript")"
  pass "on a terminal, the progress line: $(grep -ao 'lethe sync: [0-9]s[^'$'\r'']*' "$work/typescript" | tail -1)"
else
  echo "note: no script(1) here (util-linux): the terminal's progress line is not checked"
fi
echo "PASS: lethe sync"
