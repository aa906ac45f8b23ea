#!/usr/bin/env bash
# The command's surface: --help on every verb, --version is the module's
# lethe_version(), bad arguments are a clear message and exit status 2 (never
# a crash), every SQL file of sql/ is compiled in and recorded in lethe_meta,
# a changed pack upgrades the database, and `lethe sql` finds the module next
# to the command or says where it looked.
# Usage: run_cli_basics.sh <lethe> <sqlite3> <repository root> <lethe.so>
source "$(dirname "$0")/common.sh"
module="${4:?lethe.so}"

verbs=(sync search merge sql daily monthly session blocks)
for verb in "${verbs[@]}"; do
  run "$verb" --help
  expect_rc 0 "lethe $verb --help"
  [[ "$out" == "Usage: lethe $verb"* ]] || fail "lethe $verb --help does not start with its usage: $out"
done
run --help
expect_rc 0 "lethe --help"
for verb in "${verbs[@]}"; do
  grep -q "^  $verb " <<<"$out" || fail "lethe --help does not list $verb"
done
pass "--help on every verb"

run --version
expect_rc 0 "lethe --version"
want="$("$shell" :memory: ".load ${module%.so}" 'SELECT lethe_version()')"
[[ "$out" == "$want" ]] || fail "lethe --version says '$out', the module's lethe_version() '$want'"
pass "--version = lethe_version() ($out)"

# Bad arguments: a message naming what to do, status 2, no database created.
check_usage() {  # check_usage <expected text> ARGS...
  local text="$1"; shift
  run "$@"
  expect_rc 2 "lethe $*"
  [[ "$err" == *"$text"* ]] || fail "lethe $*: stderr does not say '$text': $err"
}
check_usage "unknown verb 'frobnicate'" frobnicate
check_usage "unknown option --hme (see: lethe sync --help)" sync --hme x
check_usage "--db needs a value" sync --db
check_usage "--db is given twice" sync --db a --db b
check_usage "unexpected argument 'x'" sync x
check_usage "what to search for is missing" search
check_usage "--limit must be a whole number from 1 to 1000000, not '-3'" search x --limit=-3
check_usage "--limit must be a whole number" search x --limit 12abc
check_usage "the query is empty" search '  '
check_usage "name one database to merge from" merge
check_usage "--host must be UTF-8 text" sync --host $'\xff'
check_usage "--owner must be UTF-8 text" sync --owner $'a\xc3'
run
expect_rc 2 "lethe without a verb"
[[ "$err" == "Usage: lethe VERB"* ]] || fail "lethe without a verb does not print its usage: $err"
[[ ! -e "$default_db" ]] || fail "a bad command line created $default_db"
pass "bad arguments: a message and status 2"

# A verb that reads needs an archive, and says how to make one.
run search anything
expect_rc 2 "lethe search without an archive"
[[ "$err" == *"there is no archive at $default_db yet: run \`lethe sync\` first"* ]] ||
  fail "search without an archive: $err"
[[ ! -e "$default_db" ]] || fail "lethe search created $default_db"
pass "a verb that reads says to run lethe sync first"

# Every SQL file of sql/ is compiled in, in the order it is applied.
db="$work/meta.db"
run sql --db "$db" "SELECT value FROM lethe_meta WHERE name = 'sql_files'"
expect_rc 0 "lethe sql on a new database"
for f in "$root"/sql/*.sql; do
  [[ " $out " == *" $(basename "$f") "* ]] || fail "sql/$(basename "$f") is not compiled into the command (lethe_meta: $out)"
done
[[ "$out" == "schema.sql "* ]] || fail "schema.sql is not applied first: $out"
for view in turn_search usage_by_day lethe_wire_lines lethe_sink; do
  [[ "$("$shell" "$db" "SELECT count(*) FROM sqlite_schema WHERE name = '$view'")" == 1 ]] ||
    fail "the new database has no $view"
done
pass "sql/ is compiled in and applied: $out"

# A database whose record differs (an older lethe's packs) is brought up to
# date: what the packs create is back, and the record is this build's.
sha="$("$shell" "$db" "SELECT value FROM lethe_meta WHERE name = 'sql_sha256'")"
"$shell" "$db" "DROP VIEW turn_search" "UPDATE lethe_meta SET value = 'older' WHERE name = 'sql_sha256'"
run sql --db "$db" "SELECT count(*) FROM sqlite_schema WHERE name = 'turn_search'"
expect_rc 0 "lethe sql on an older database"
[[ "$out" == 1 ]] || fail "the packs were not applied again to a database that recorded others"
[[ "$("$shell" "$db" "SELECT value FROM lethe_meta WHERE name = 'sql_sha256'")" == "$sha" ]] ||
  fail "lethe_meta does not record this build's SQL after the upgrade"
# ...and a current one is left alone: nothing is applied or written.
applied="$("$shell" "$db" "SELECT value FROM lethe_meta WHERE name = 'applied_at'")"
before="$(sha256sum <"$db")"
run sql --db "$db" "SELECT count(*) FROM turns"
expect_rc 0 "lethe sql on a current database"
[[ "$("$shell" "$db" "SELECT value FROM lethe_meta WHERE name = 'applied_at'")" == "$applied" &&
   "$(sha256sum <"$db")" == "$before" ]] || fail "the packs were applied again to a current database"
pass "a database is upgraded when the packs change, and only then"

# lethe sql: the module next to the command, or a message naming both places.
run sql --db "$db" "SELECT lethe_version()"
expect_rc 0 "lethe sql SELECT lethe_version()"
[[ "$out" == "$want" ]] || fail "lethe sql did not load lethe: $out"
mkdir -p "$work/alone/bin"
cp "$lethe" "$work/alone/bin/lethe"
set +e
"$work/alone/bin/lethe" sql --db "$db" "SELECT 1" >"$work/out" 2>"$work/err"
rc=$?
set -e
err="$(cat "$work/err")"
[[ "$rc" == 2 && "$err" == *"the loadable module lethe.so is neither at $work/alone/lib/"*"lethe.so (installed) nor at $work/alone/lethe.so (build tree)"* ]] ||
  fail "lethe sql without a module: status $rc, $err"
set +e
PATH=/nonexistent "$lethe" sql --db "$db" "SELECT 1" >"$work/out" 2>"$work/err"
rc=$?
set -e
[[ "$rc" == 2 && "$(cat "$work/err")" == *"the sqlite3 shell is not installed (apt-get install sqlite3)"* ]] ||
  fail "lethe sql without sqlite3: status $rc, $(cat "$work/err")"
pass "lethe sql loads the module, or names where it looked, or says sqlite3 is missing"
echo "PASS: the command's basics"
