#!/usr/bin/env bash
# lethe checked against a peer: ccusage 18.0.11, the tool Claude Code users
# run today, on the same Claude Code files (tests/clients/sync/home). It is
# installed with npm into <install dir> (the first run needs the npm
# registry; later runs reuse it) and run offline with CLAUDE_CONFIG_DIR
# pointed at the fixture. Its per-day input, output, cache-creation and
# cache-read tokens and cost are compared with lethe's (lethe_sync(), then
# sql/usage.sql), in UTC days and in Tokyo's days (TZ for ccusage, the
# '+09:00' local_day_modifier for lethe). Every difference must be one that
# is explained below; output compared with ccusage.expected.
# Usage: run_ccusage.sh <sqlite3> <lethe module> <node> <npm> <install dir> [--update]
set -euo pipefail
shell="${1:?path to the sqlite3 shell}"
module="${2:?path to the built lethe module}"
node="${3:?path to node}"
npm="${4:?path to npm}"
prefix="${5:?folder to install ccusage into}"
module="$(cd "$(dirname "$module")" && pwd)/$(basename "$module")"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
for p in "$shell" "$node" "$npm"; do
  [[ -x "$p" ]] || { echo "FAIL: '$p' not found (needs sqlite3, node and npm)" >&2; exit 1; }
done
version=18.0.11
mkdir -p "$prefix"
ccusage="$prefix/node_modules/ccusage/package.json"
if [[ ! -f "$ccusage" ]] || ! grep -q "\"version\": \"$version\"" "$ccusage"; then
  # npm and node are not instrumented: keep a preloaded sanitizer runtime
  # (see the root CMakeLists.txt) away from them.
  env -u LD_PRELOAD -u ASAN_OPTIONS "$npm" install --prefix "$prefix" --no-audit --no-fund --no-save "ccusage@$version" >&2 \
    || { echo "FAIL: npm could not install ccusage@$version into $prefix" >&2; exit 1; }
fi
bin="$prefix/node_modules/.bin/ccusage"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$here/home" "$work/home"
# More Claude Code files for this comparison only (home/ is also sync_home's):
# 1-hour cache writes, a prompt over 200k tokens, a model nobody prices.
cp -r "$here/ccusage_home/." "$work/home/"
"$shell" "$work/agents.db" ".read $root/sql/schema.sql" ".read $root/sql/usage.sql"
"$shell" "$work/agents.db" -cmd ".load ${module%.so}" \
  "SELECT count(*) FROM lethe_sync('$work/home', '{\"host\": \"laptop\", \"owner\": \"ana\"}')" > /dev/null
CLAUDE_CONFIG_DIR="$work/home/.claude" TZ=UTC env -u LD_PRELOAD -u ASAN_OPTIONS "$node" "$bin" daily --json --offline > "$work/utc.json"
CLAUDE_CONFIG_DIR="$work/home/.claude" TZ=Asia/Tokyo env -u LD_PRELOAD -u ASAN_OPTIONS "$node" "$bin" daily --json --offline > "$work/tokyo.json"

# One comparison: ccusage's JSON against a lethe grouping of Claude Code's
# counted turns, and the differences that are explained.
compare() {   # <ccusage json> <lethe day expression> <title>
  "$shell" "$work/agents.db" -cmd '.headers on' <<SQL
.print '## $3'
WITH
  peer AS (
    SELECT d.value ->> '\$.date' AS day, m.key AS measure, m.value AS value
    FROM json_each(readfile('$1'), '\$.daily') AS d,
         json_each(json_object(
           'input', d.value ->> '\$.inputTokens', 'output', d.value ->> '\$.outputTokens',
           'cache_creation', d.value ->> '\$.cacheCreationTokens',
           'cache_read', d.value ->> '\$.cacheReadTokens',
           'cost', round(d.value ->> '\$.totalCost', 6))) AS m),
  mine AS (
    SELECT day, m.key AS measure, m.value AS value
    FROM (SELECT $2 AS day,
                 sum(tokens_in - coalesce(cache_read_tokens, 0) - coalesce(cache_write_tokens, 0)) AS input,
                 sum(tokens_out) AS output, sum(cache_write_tokens) AS cache_creation,
                 sum(cache_read_tokens) AS cache_read,
                 -- a day with a turn of unknown price has an unknown cost
                 CASE WHEN sum(unpriced) = 0 THEN round(total(cost_usd), 6) END AS cost
          FROM turn_usage WHERE tool = 'claude-code' AND counted AND tokens_in IS NOT NULL
          GROUP BY 1) AS t,
         json_each(json_object('input', t.input, 'output', t.output,
                               'cache_creation', t.cache_creation,
                               'cache_read', t.cache_read, 'cost', t.cost)) AS m),
  -- lethe minus ccusage, and why (NULL: lethe's figure is unknown, NULL):
  -- msg_01 was streamed into three records with 8, 8 and 167 output tokens.
  --   ccusage 18.0.11 keeps the first record of a message (8); lethe keeps
  --   the one with the largest output (167), as ccusage itself does since
  --   May 2026: +159 tokens, +159 x \$15 / 1e6 = +0.002385 USD (sonnet-4-5).
  -- msg_04 is claude-sonnet-5-5, a model ccusage 18.0.11's offline prices
  --   do not know: it costs it \$0. lethe prices it (1000 x \$2 + 100 x \$10)
  --   / 1e6 = +0.003 USD.
  -- msg_1h wrote 3,000 of its 4,000 cache tokens for an hour: ccusage 18.0.11
  --   prices every cache write at the 5-minute price (1.25 x input, since
  --   20.0.8 it prices them too); lethe at 2 x input: 3000 x (\$6 - \$3.75)
  --   / 1e6 = +0.00675 USD.
  -- msg_long's prompt is 210,010 tokens (150k cache reads, 60k writes): over
  --   Sonnet 4.5's 200k threshold, where Anthropic prices every token of the
  --   request higher. ccusage 18.0.11 splits each token kind at 200k on its
  --   own (none is over), lethe prices the request at the tier: (10 x (6 - 3)
  --   + 150000 x (0.60 - 0.30) + 60000 x (7.50 - 3.75) + 100 x (22.50 - 15))
  --   / 1e6 = +0.27078 USD.
  -- msg_mystery is a model neither knows: ccusage costs it \$0, lethe says
  --   the day's cost is unknown (NULL; unpriced_turns 1).
  explained (local_msg, measure, diff, why) AS (VALUES
    ('msg_01', 'output', 159, 'split message: 18.0.11 keeps the first record, lethe the largest output'),
    ('msg_01', 'cost', 0.002385, 'the same 159 output tokens of sonnet-4-5 at 15 USD per million'),
    ('msg_04', 'cost', 0.003, 'claude-sonnet-5-5 is unknown to 18.0.11 offline: 0 USD there'),
    ('msg_1h', 'cost', 0.00675, '1-hour cache writes: 2 x input in lethe, the 5-minute 1.25 x in 18.0.11'),
    ('msg_long', 'cost', 0.27078, 'a 210k prompt: lethe prices the request at the 200k tier, 18.0.11 each kind under 200k at base'),
    ('msg_mystery', 'cost', NULL, 'a model nobody prices: 0 USD in ccusage, unknown (NULL) in lethe')),
  explained_by_day AS (
    SELECT $2 AS day, e.measure, sum(e.diff) AS diff, count(*) - count(e.diff) AS unknown,
           group_concat(e.why, '; ') AS why
    FROM explained AS e JOIN turn_usage AS u ON u.turn_id = e.local_msg AND u.counted
    GROUP BY 1, 2)
SELECT p.day, p.measure, p.value AS ccusage, m.value AS lethe,
       round(m.value - p.value, 6) AS difference,
       CASE WHEN m.value IS NULL AND x.unknown > 0 THEN 'as explained: ' || x.why
            WHEN m.value IS NULL THEN 'UNEXPECTED'
            WHEN coalesce(x.unknown, 0) > 0 THEN 'UNEXPECTED'
            WHEN round(m.value - p.value, 6) = round(coalesce(x.diff, 0), 6)
            THEN coalesce('as explained: ' || x.why, 'equal')
            ELSE 'UNEXPECTED' END AS verdict
FROM peer AS p
LEFT JOIN mine AS m ON m.day = p.day AND m.measure = p.measure
LEFT JOIN explained_by_day AS x ON x.day = p.day AND x.measure = p.measure
ORDER BY p.day, p.measure;
SELECT count(*) AS days_only_one_side FROM (
  SELECT DISTINCT value ->> '\$.date' FROM json_each(readfile('$1'), '\$.daily')
  EXCEPT SELECT DISTINCT $2 FROM turn_usage WHERE tool = 'claude-code' AND counted AND tokens_in IS NOT NULL
  UNION ALL
  SELECT DISTINCT $2 FROM turn_usage WHERE tool = 'claude-code' AND counted AND tokens_in IS NOT NULL
  EXCEPT SELECT DISTINCT value ->> '\$.date' FROM json_each(readfile('$1'), '\$.daily'));
SQL
}

{
"$shell" "$work/agents.db" -cmd '.headers on' \
  "SELECT '$version' AS ccusage_version, json_extract(readfile('$prefix/node_modules/ccusage/package.json'), '\$.version') AS installed"
compare "$work/utc.json" "day" "UTC days (TZ=UTC for ccusage, usage day for lethe)"
"$shell" "$work/agents.db" "UPDATE usage_settings SET value = '+09:00' WHERE name = 'local_day_modifier'"
compare "$work/tokyo.json" "local_day" "Tokyo days (TZ=Asia/Tokyo for ccusage, local_day_modifier +09:00 for lethe)"
} > "$work/actual" 2>&1 || { cat "$work/actual"; echo "FAIL: a step failed" >&2; exit 1; }

if grep -q UNEXPECTED "$work/actual"; then
  echo "FAIL: lethe and ccusage differ in a way that is not explained:" >&2
  grep UNEXPECTED "$work/actual" >&2
  exit 1
fi
source "$root/tests/golden.sh"
golden_compare "ccusage $version vs lethe" "$here/ccusage.expected" "$work/actual" "${6:-}"
