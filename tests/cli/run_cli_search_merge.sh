#!/usr/bin/env bash
# `lethe search` with ordinary text (punctuation, quotes, FTS5's own operator
# words), and `lethe merge` of another machine's archive: one call per owner,
# OTHER.db never written, merging twice changes nothing, and the result is
# what syncing everything into one database gives.
# Usage: run_cli_search_merge.sh <lethe> <sqlite3> <repository root>
source "$(dirname "$0")/common.sh"

run sync --host laptop --owner ana
expect_rc 0 "sync"

# 1. search: plain text as one phrase.
hits() {  # hits ARGS...: `lethe search ARGS`, the number of hits in $n
  run search "$@"
  expect_rc 0 "lethe search $*"
  n="$(grep -c '^[0-9]' <<<"$out" || true)"
}
hits 'src/cart.py'; [[ "$n" == 1 ]] || fail "search src/cart.py: $out"
[[ "$out" == *"claude-code  laptop  /home/ana/shop  session 5e551011-0000-4000-8000-0000000000a1:agent-x1"* ]] ||
  fail "a hit does not show agent, host, project and session: $out"
[[ "$out" =~ ^20[0-9-]+T[0-9:.]+Z\  ]] || fail "a hit does not start with its time: $out"
grep -qF '    Three calls, all in [src/cart.py].' <<<"$out" || fail "the snippet does not mark the hit: $out"
hits "banker's"; [[ "$n" == 1 ]] || fail "search banker's: $out"
hits '10.005 != 10.01'; [[ "$n" == 1 ]] || fail "search 10.005 != 10.01: $out"
hits 'test_rounding - AssertionError'; [[ "$n" == 1 ]] || fail "search test_rounding - AssertionError: $out"
hits 'ROUND_HALF_UP'; [[ "$n" == 1 ]] || fail "search ROUND_HALF_UP: $out"
hits 'tests'; [[ "$n" -ge 3 ]] || fail "search tests finds too little: $out"
hits 'tests' --limit 2; [[ "$n" == 2 ]] || fail "--limit 2 does not limit: $out"
for text in 'say "hi"' '"' 'round AND' 'NEAR(a b)' '*' 'col:x' '-v'; do
  hits -- "$text"; [[ "$n" == 0 ]] || fail "search $text found something: $out"
  [[ "$err" == "lethe search: nothing matches "* ]] || fail "search $text: $err"
done
pass "search: punctuation, quotes and operator words are plain text"

# Best first: bm25's order (more occurrences in a shorter turn first), among
# the newest 1,000 matches (lethe search --help); an archive of their own.
rank_db="$work/rank.db"
line() {  # line SESSION TURN SEQ TEXT: one wire line, as SQL text
  printf "'{\"tool\":\"codex\",\"host\":\"laptop\",\"session_id\":\"%s\",\"turn_id\":\"%s\",\"seq\":%s,\"role\":\"user\",\"timestamp\":\"2026-05-01T08:00:00Z\",\"content\":\"%s\"}'" "$@"
}
run sql --db "$rank_db" "SELECT count(*) FROM lethe_ingest('ana', $(line best t1 1 'zebra zebra, a zebra') || char(10) || $(line long t2 2 'one zebra in a turn that goes on about other things for a good while longer') || char(10) || $(line mid t3 3 'a zebra here'))"
expect_rc 0 "ingest the zebras"
run search zebra --db "$rank_db"
expect_rc 0 "search zebra"
[[ "$(grep -o 'session [a-z]*' <<<"$out" | tr '\n' ' ')" == "session best session mid session long " ]] ||
  fail "search zebra is not best first: $out"
# 1,100 plain matches written after the best one: it is not among the newest
# 1,000 any more, and the best of those comes first.
run sql --db "$rank_db" "SELECT count(*) FROM lethe_ingest('ana', $(line old o1 1 'quagga quagga quagga'))"
run sql --db "$rank_db" "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1100) SELECT count(*) FROM lethe_ingest('ana', (SELECT group_concat('{\"tool\":\"codex\",\"host\":\"laptop\",\"session_id\":\"many\",\"turn_id\":\"m' || i || '\",\"seq\":' || i || ',\"role\":\"user\",\"timestamp\":\"2026-05-01T09:00:00Z\",\"content\":\"' || CASE WHEN i = 1050 THEN 'quagga quagga' ELSE 'one quagga among a few more words' END || ' ' || i || '\"}', char(10)) FROM k))"
expect_rc 0 "ingest 1,100 quaggas"
run search quagga --limit 3 --db "$rank_db"
expect_rc 0 "search quagga"
! grep -qF 'session old' <<<"$out" || fail "search quagga: a match older than the newest 1,000 is shown: $out"
[[ "$(sed -n 2p <<<"$out")" == '    [quagga] quagga 1050' ]] || fail "search quagga: the best newest hit is not first: $out"
run search 'quagga quagga quagga' --db "$rank_db"
[[ "$out" == *"session old"* ]] || fail "search 'quagga quagga quagga' does not find the old turn: $out"
pass "search: best first, among the newest 1,000 matches"

# 2. merge: another machine's archive (two owners), read-only.
home2="$work/home2"
cp -r "$fixtures" "$home2"
other="$work/desk.db"
run sync --db "$other" --host desk --owner ana
expect_rc 0 "sync into desk.db"
run sync --db "$other" --home "$home2" --host desk --owner ben
expect_rc 0 "sync of a second home into desk.db"
chmod a-w "$other"
other_sum="$(sha256sum <"$other")"
before="$(counts "$default_db")"
run merge "$other"
expect_rc 0 "lethe merge desk.db"
[[ "$(grep -c '^lethe merge: owner=' <<<"$out")" == 2 && "$out" == *"owner=ana lines=18 stored=18 refused=0"* &&
   "$out" == *"owner=ben lines=18 stored=18 refused=0"* ]] || fail "merge does not report each owner: $out"
after="$(counts "$default_db")"
[[ "$out" == *"sessions ${before% *} -> ${after% *}, turns ${before#* } -> ${after#* }" ]] ||
  fail "merge does not report the archive before and after ($before -> $after): $out"
[[ "$(sha256sum <"$other")" == "$other_sum" ]] || fail "merge wrote to $other"
merged="$(rows "$default_db")"
pass "merge: $(tail -1 <<<"$out")"

run merge "$other"
expect_rc 0 "merging again"
[[ "$(rows "$default_db")" == "$merged" ]] || fail "merging again changed the archive"
run merge "$other" --owner ben
expect_rc 0 "merge --owner ben"
[[ "$(grep -c '^lethe merge: owner=' <<<"$out")" == 1 && "$out" == *"owner=ben "* ]] ||
  fail "merge --owner ben merged others too: $out"
[[ "$(rows "$default_db")" == "$merged" ]] || fail "merging ben again changed the archive"
pass "merging again changes nothing"

# The same as syncing everything into one database.
one="$work/one.db"
"$lethe" sync --db "$one" --host laptop --owner ana >/dev/null
"$lethe" sync --db "$one" --home "$home2" --host desk --owner ben >/dev/null
cp -r "$fixtures" "$work/home3"
find "$work/home3" -exec touch -h -d '2026-03-05 10:00:00 UTC' {} +
"$lethe" sync --db "$one" --home "$work/home3" --host desk --owner ana >/dev/null
norm() {  # the rows, with the home folder each was read from made the same
  "$shell" "$1" "SELECT * FROM sessions ORDER BY 1, 2, 3, 4" "SELECT * FROM turns ORDER BY 1, 2, 3, 4, 5" |
    sed -e "s|$work/home[23]\?|HOME|g"
}
diff <(norm "$default_db") <(norm "$one") >"$work/diff" ||
  fail "merging differs from syncing into one database: $(head -20 "$work/diff")"
pass "merging gives what one database given everything gives"

# 3. What merge refuses.
run merge "$default_db"
expect_rc 2 "merging the archive into itself"
[[ "$err" == *"is the archive itself"* ]] || fail "merging into itself: $err"
"$shell" "$work/plain.db" "CREATE TABLE t(x)"
run merge "$work/plain.db"
expect_rc 2 "merging a database that is not lethe's"
[[ "$err" == *"is not a lethe archive"* ]] || fail "merging a plain database: $err"
run merge "$work/missing.db"
expect_rc 2 "merging a missing file"
[[ "$err" == *"there is no database file $work/missing.db"* && ! -e "$work/missing.db" ]] ||
  fail "merging a missing file: $err"
run merge "$other" --owner zed
expect_rc 2 "merge --owner of nobody"
[[ "$err" == *"has no sessions of owner zed"* ]] || fail "merge --owner zed: $err"
[[ "$(rows "$default_db")" == "$merged" ]] || fail "a refused merge changed the archive"
pass "merge refuses itself, other databases, missing files and unknown owners"
echo "PASS: lethe search and lethe merge"
