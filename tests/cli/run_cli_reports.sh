#!/usr/bin/env bash
# lethe daily | monthly | session | blocks on the synced fixture home: every
# figure is the usage pack's (each JSON row equals its view's row), the JSON
# has ccusage's shape, an unknown price is null/"unknown" and never $0, --tz
# groups days in a zone without writing the database, --since/--until
# filter, and an archive of two owners asks which one.
# Usage: run_cli_reports.sh <lethe> <sqlite3> <repository root> <python3>
source "$(dirname "$0")/common.sh"
python3="${4:?python3}"

run sync --owner ana --host laptop
expect_rc 0 "sync"
db="$default_db"
view_sha="$(sha256sum <"$db")"

# 1. Each report's JSON against the pack's views (python3 compares them).
check_json() {  # check_json <verb> [ARGS...]: stdout JSON checked by the python below
  local verb="$1"; shift
  run "$verb" --json "$@"
  expect_rc 0 "lethe $verb --json $*"
  printf '%s' "$out" >"$work/$verb.json"
  "$python3" - "$verb" "$work/$verb.json" "$db" <<'PY' || fail "lethe $verb --json differs from the views (above)"
import json, sqlite3, sys
verb, path, db = sys.argv[1:4]
report = json.load(open(path))
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
def rows(sql): return con.execute(sql).fetchall()
def same(label, got, want):
    if got != want and not (isinstance(got, float) and want is not None and abs(got - want) < 1e-9):
        sys.exit(f"{verb}: {label}: the command says {got!r}, the view {want!r}")
usage_keys = ["inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens"]
usage_cols = "input_tokens, tokens_out, cache_write_tokens, cache_read_tokens, total_tokens, cost_usd, unpriced_turns, priced_cost_usd"
def check_usage(label, obj, row, cost_key):
    for key, value in zip(usage_keys + [cost_key, "unpricedTurns", "pricedCost"], row):
        same(f"{label} {key}", obj[key], value)
if verb in ("daily", "monthly"):
    col, view = ("day", "usage_daily") if verb == "daily" else ("month", "usage_monthly")
    key = "date" if verb == "daily" else "month"
    want = rows(f"SELECT {col}, {usage_cols} FROM {view} WHERE owner = 'ana' ORDER BY {col}")
    same("periods", [r[key] for r in report[verb]], [w[0] for w in want])
    for r, w in zip(report[verb], want):
        check_usage(r[key], r, w[1:], "totalCost")
        assert set(r) >= {"modelsUsed", "modelBreakdowns"}, r
        parts = rows(f"SELECT tool, model, {usage_cols} FROM {view}_by_model WHERE owner = 'ana' AND {col} = '{w[0]}' AND (model IS NOT NULL OR billable_turns > 0) ORDER BY tool, model")
        same(f"{r[key]} breakdowns", [(b["agent"], b["modelName"]) for b in r["modelBreakdowns"]], [p[:2] for p in parts])
        for b, p in zip(r["modelBreakdowns"], parts):
            check_usage(f"{r[key]} {p[1]}", b, p[2:], "cost")
    assert set(report["totals"]) >= set(usage_keys + ["totalCost"]), report["totals"]
elif verb == "session":
    want = rows(f"SELECT session_id, tool, project, ended_at, tokens_in - cache_read_tokens - cache_write_tokens, tokens_out, cache_write_tokens, cache_read_tokens, tokens_in + tokens_out, cost_usd, unpriced_turns, priced_cost_usd FROM session_summary WHERE owner = 'ana' ORDER BY ended_at, tool, session_id")
    same("sessions", [(s["sessionId"], s["agent"], s["projectPath"], s["lastActivity"]) for s in report["sessions"]], [w[:4] for w in want])
    for s, w in zip(report["sessions"], want):
        check_usage(s["sessionId"], s, w[4:], "totalCost")
elif verb == "blocks":
    want = rows("SELECT block_start, block_end, last_turn, is_active, turns, input_tokens, tokens_out, cache_write_tokens, cache_read_tokens, total_tokens, cost_usd FROM usage_blocks WHERE owner = 'ana' ORDER BY block_start")
    same("blocks", [(b["startTime"], b["endTime"], b["actualEndTime"], int(b["isActive"]), b["entries"]) for b in report["blocks"]], [w[:5] for w in want])
    for b, w in zip(report["blocks"], want):
        got = [b["tokenCounts"][k] for k in ("inputTokens", "outputTokens", "cacheCreationInputTokens", "cacheReadInputTokens")] + [b["totalTokens"], b["costUSD"]]
        same(b["startTime"], got, list(w[5:]))
        assert b["isGap"] is False and "models" in b, b
PY
}
for verb in daily monthly session blocks; do
  check_json "$verb" --tz UTC
  pass "$verb --json: every figure is the view's"
done

# 2. The text reports: a row per period and a total; --breakdown adds rows.
run daily --tz UTC
expect_rc 0 "lethe daily"
[[ "$out" == *"Date"*"Models"*"Input"*"Output"*"Cache Create"*"Cache Read"*"Total Tokens"*"Cost (USD)"* ]] ||
  fail "lethe daily has other columns: $out"
grep -q '^2026-03-02 ' <<<"$out" && grep -q '^Total ' <<<"$out" || fail "lethe daily lacks a day or the total: $out"
plain_lines="$(wc -l <<<"$out")"
run daily --tz UTC --breakdown
grep -q '^ *claude-code claude-sonnet-4-5' <<<"$out" && (( $(wc -l <<<"$out") > plain_lines )) ||
  fail "--breakdown adds no agent and model rows: $out"
for verb in monthly session blocks; do
  run "$verb" --tz UTC
  expect_rc 0 "lethe $verb"
  grep -q 'Cost (USD)' <<<"$out" || fail "lethe $verb has no table: $out"
done
pass "text reports, with and without --breakdown"

# 3. --tz: the late turn of 3 March (UTC) is on 4 March in Tokyo; the
# database is not written (its own setting stays UTC).
run daily --json --tz UTC
utc_days="$("$python3" -c 'import json,sys; print(" ".join(d["date"] for d in json.load(sys.stdin)["daily"]))' <<<"$out")"
run daily --json --tz Asia/Tokyo
tokyo_days="$("$python3" -c 'import json,sys; print(" ".join(d["date"] for d in json.load(sys.stdin)["daily"]))' <<<"$out")"
[[ "$utc_days" == "2026-03-02 2026-03-03" && "$tokyo_days" == *"2026-03-04"* ]] ||
  fail "--tz does not move the days: UTC $utc_days, Tokyo $tokyo_days"
run daily --json --tz +09:00
[[ "$("$python3" -c 'import json,sys; print(" ".join(d["date"] for d in json.load(sys.stdin)["daily"]))' <<<"$out")" == "$tokyo_days" ]] ||
  fail "--tz +09:00 differs from Asia/Tokyo in March"
TZ=Asia/Tokyo run daily --json
[[ "$("$python3" -c 'import json,sys; print(" ".join(d["date"] for d in json.load(sys.stdin)["daily"]))' <<<"$out")" == "$tokyo_days" ]] ||
  fail "without --tz, the days are not in the process's zone (TZ)"
[[ "$(sha256sum <"$db")" == "$view_sha" ]] || fail "a report wrote to the database"
run daily --tz Mars/Olympus_Mons
expect_rc 2 "an unknown zone"
[[ "$err" == *"unknown time zone 'Mars/Olympus_Mons'"* ]] || fail "an unknown zone: $err"
pass "--tz: UTC $utc_days; Tokyo $tokyo_days; the database untouched"

# 4. --since / --until.
run daily --json --tz UTC --since 20260303
[[ "$("$python3" -c 'import json,sys; print(" ".join(d["date"] for d in json.load(sys.stdin)["daily"]))' <<<"$out")" == "2026-03-03" ]] ||
  fail "--since 20260303: $out"
run daily --json --tz UTC --until 2026-03-02
[[ "$("$python3" -c 'import json,sys; print(" ".join(d["date"] for d in json.load(sys.stdin)["daily"]))' <<<"$out")" == "2026-03-02" ]] ||
  fail "--until 2026-03-02: $out"
run daily --since 20260230
expect_rc 2 "--since 20260230"
[[ "$err" == *"--since must be a day, YYYYMMDD or YYYY-MM-DD, not '20260230'"* ]] || fail "a bad day: $err"
run daily --since 20260305 --until 20260301
expect_rc 2 "--since after --until"
pass "--since and --until"

# 5. A model with no price: unknown, never $0; the rest still shown.
line='{"tool":"claude-code","host":"laptop","session_id":"s-unpriced","turn_id":"t1","seq":1,"role":"assistant","timestamp":"2026-03-02T12:00:00Z","model":"mystery-model-9","tokens_in":1000,"tokens_out":500}'
"$lethe" sql "SELECT count(*) FROM lethe_ingest('ana', '$line')" >/dev/null
check_json daily --tz UTC
"$python3" - "$work/daily.json" <<'PY' || fail "the unpriced day (above)"
import json, sys
report = json.load(open(sys.argv[1]))
day = next(d for d in report["daily"] if d["date"] == "2026-03-02")
assert day["totalCost"] is None and day["unpricedTurns"] == 1 and day["pricedCost"] > 0, day
model = next(b for b in day["modelBreakdowns"] if b["modelName"] == "mystery-model-9")
assert model["cost"] is None and model["unpricedTurns"] == 1, model
assert report["totals"]["totalCost"] is None and report["totals"]["unpricedTurns"] == 1, report["totals"]
PY
run daily --tz UTC
grep -q '^2026-03-02 .* unknown$' <<<"$out" && grep -q '^Total .* unknown$' <<<"$out" ||
  fail "the unpriced day does not say unknown: $out"
[[ "$out" == *"unknown: 1 turn has no price: mystery-model-9 (1)"* ]] || fail "no note on the unknown cost: $out"
if grep '^2026-03-02 ' <<<"$out" | grep -q '\$0\.00'; then fail "an unknown cost shows as \$0.00: $out"; fi
pass "an unknown price is null / unknown, with its turns counted"

# 6. Two owners: the report asks which one.
"$lethe" sync --home "$fixtures" --db "$work/two.db" --owner ana >/dev/null
"$lethe" sync --home "$HOME" --db "$work/two.db" --owner ben >/dev/null
run daily --db "$work/two.db"
expect_rc 2 "daily over two owners"
[[ "$err" == *"the sessions of ana, ben: choose one with --owner NAME"* ]] || fail "two owners: $err"
run daily --db "$work/two.db" --owner ben --tz UTC
expect_rc 0 "daily --owner ben"
run daily --db "$work/two.db" --owner zed
expect_rc 2 "daily --owner of nobody"
[[ "$err" == *"no sessions of owner zed (its owners: ana, ben)"* ]] || fail "--owner zed: $err"
pass "two owners: --owner chooses"
echo "PASS: the usage reports"
