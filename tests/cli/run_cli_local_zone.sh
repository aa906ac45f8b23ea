#!/usr/bin/env bash
# The local days' cache follows the machine's zone: `lethe sync` under a zone
# (TZ) computes the cached local-day sums for it, and `lethe daily` there
# reads them (the cache is tampered with to see it read, no timing); under
# another zone the figures are that zone's, computed from the grain (never
# the other zone's cache), until a sync there. Every figure equals --tz's
# computation from the grain, daylight saving time applied per turn.
# Usage: run_cli_local_zone.sh <lethe> <sqlite3> <repository root> <python3>
source "$(dirname "$0")/common.sh"
python3="${4:?python3}"
db="$default_db"

TZ=UTC run sync --owner ana --host laptop
expect_rc 0 "the first sync"
# Turns on both sides of Paris's (29 March, 01:00 UTC) and New York's
# (8 March, 07:00 UTC) change to summer time, priced and at odd hours.
n=0
for at in 2026-03-08T04:30:00Z 2026-03-09T04:30:00Z 2026-03-28T23:30:00Z 2026-03-29T22:30:00Z \
          2026-03-29T15:10:00Z; do
  n=$((n + 1))
  line='{"tool":"claude-code","host":"laptop","session_id":"s-dst-'$n'","turn_id":"t1","seq":1,"role":"assistant","timestamp":"'$at'","model":"claude-sonnet-4-5","tokens_in":'$((1000 * n))',"tokens_out":'$((10 * n))'}'
  "$lethe" sql "SELECT count(*) FROM lethe_ingest('ana', '$line')" >/dev/null
done

setting() { "$shell" "$db" "SELECT value FROM usage_settings WHERE name = '$1'"; }
sums_fresh() { "$shell" "$db" "SELECT sums_fresh FROM usage_cache_status"; }
tampered() { "$python3" -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["totals"]["outputTokens"] >= 1000000 else 1)'; }
days_of() { "$python3" -c 'import json,sys; print(" ".join(d["date"] for d in json.load(sys.stdin)["daily"]))'; }
# The cached local days' output tokens, raised by $1: a report that shows
# the raised figure read the cache.
tamper() {
  "$shell" "$db" "UPDATE usage_sums_cache SET tokens_out = tokens_out + ($1)
                  WHERE period_kind = 'local_day' AND grain = 'all'"
}
daily_json() {  # daily_json <TZ> [ARGS...]: lethe daily --json in that zone, into $out
  local zone="$1"; shift
  TZ="$zone" run daily --json "$@"
  expect_rc 0 "TZ=$zone lethe daily --json $*"
}

# 1. References, computed from the grain: the database's local days are
# UTC's (the first sync's), so --tz never reads the local days' cache.
daily_json UTC --tz +09:00;          tokyo_ref="$out"
daily_json UTC --tz Europe/Paris;    paris_ref="$out"
daily_json UTC --tz America/New_York; york_ref="$out"
paris_days="$(days_of <<<"$paris_ref")"
york_days="$(days_of <<<"$york_ref")"
# 2026-03-29T22:30Z is 00:30 on the 30th in Paris (summer time, +02:00),
# 2026-03-28T23:30Z 00:30 on the 29th (winter time, +01:00);
# 2026-03-09T04:30Z is 00:30 on the 9th in New York (-04:00), 2026-03-08T04:30Z
# 23:30 on the 7th (-05:00).
[[ "$paris_days" == *"2026-03-29 2026-03-30"* && "$paris_days" != *"2026-03-28"* ]] ||
  fail "Paris's days miss the change to summer time: $paris_days"
[[ "$york_days" == *"2026-03-07"*"2026-03-09"* && "$york_days" != *"2026-03-08"* ]] ||
  fail "New York's days miss the change to summer time: $york_days"
pass "the references from the grain: Paris $paris_days; New York $york_days"

# 2. A sync in Tokyo: the settings name Tokyo, the cache is fresh for it, and
# daily reads it (same figures as --tz +09:00; a tampered cache shows).
TZ=Asia/Tokyo run sync --owner ana --host laptop
expect_rc 0 "TZ=Asia/Tokyo lethe sync"
[[ "$out" == *"lethe sync: local days: Asia/Tokyo, were UTC (their sums computed again for this machine's zone)"* ]] ||
  fail "the sync in Tokyo does not say the local days changed zone: $out"
[[ "$(setting local_day_modifier) $(setting local_zone) $(sums_fresh)" == "localtime Asia/Tokyo 1" ]] ||
  fail "after a sync in Tokyo: $(setting local_day_modifier) $(setting local_zone) fresh=$(sums_fresh)"
daily_json Asia/Tokyo
[[ "$out" == "$tokyo_ref" ]] || fail "Tokyo's days from the cache differ from --tz +09:00's: $out vs $tokyo_ref"
sha="$(sha256sum <"$db")"
tamper 1000000
daily_json Asia/Tokyo
tampered <<<"$out" || fail "daily in Tokyo did not read the local days' cache: $out"
# 3. The same archive in New York: New York's figures, not Tokyo's cache.
daily_json America/New_York
[[ "$out" == "$york_ref" ]] || fail "daily in New York read Tokyo's cache or erred: $out vs $york_ref"
tamper -1000000
[[ "$(sha256sum <"$db")" != "$sha" ]] || fail "the tampering changed nothing"
pass "Tokyo: the sync caches Tokyo's days, daily reads them; New York computes its own"

# 4. A sync in New York: the sums are computed again for it, fresh, read.
TZ=America/New_York run sync --owner ana --host laptop
expect_rc 0 "TZ=America/New_York lethe sync"
[[ "$out" == *"local days: America/New_York, were Asia/Tokyo"* ]] || fail "no note of the change: $out"
TZ=America/New_York run sync --owner ana --host laptop
[[ "$out" != *"local days:"* ]] || fail "a second sync in the same zone says it changed: $out"
[[ "$(setting local_zone) $(sums_fresh)" == "America/New_York 1" ]] ||
  fail "after a sync in New York: $(setting local_zone) fresh=$(sums_fresh)"
daily_json America/New_York
[[ "$out" == "$york_ref" ]] || fail "New York's days from the cache: $out vs $york_ref"
sha="$(sha256sum <"$db")"
daily_json Asia/Tokyo
[[ "$out" == "$tokyo_ref" ]] || fail "Tokyo's days after New York's sync: $out vs $tokyo_ref"
[[ "$(sha256sum <"$db")" == "$sha" ]] || fail "a report in another zone wrote to the database"
tamper 1000000
daily_json America/New_York
tampered <<<"$out" || fail "daily in New York did not read the cache: $out"
tamper -1000000
pass "New York: a sync there computes its days once, daily reads them"

# 5. Paris, summer time on the 29th: the cache equals the grain's days.
TZ=Europe/Paris run sync --owner ana --host laptop
expect_rc 0 "TZ=Europe/Paris lethe sync"
[[ "$(setting local_zone) $(sums_fresh)" == "Europe/Paris 1" ]] ||
  fail "after a sync in Paris: $(setting local_zone) fresh=$(sums_fresh)"
daily_json Europe/Paris
[[ "$out" == "$paris_ref" ]] || fail "Paris's days from the cache: $out vs $paris_ref"
daily_json UTC --tz Europe/Paris
[[ "$out" == "$paris_ref" ]] || fail "--tz Europe/Paris from a UTC process: $out vs $paris_ref"
tamper 1000000
daily_json UTC --tz Europe/Paris
tampered <<<"$out" || fail "--tz Europe/Paris did not read Paris's cache: $out"
daily_json UTC --tz +01:00
! tampered <<<"$out" || fail "--tz +01:00 read Paris's cache"
tamper -1000000
pass "Paris: the cache keeps summer time per turn; --tz Europe/Paris reads it"

# 6. A zone named only by /etc/localtime's link, or by a TZ rule: a name
# recorded all the same (TZ unset falls back to the machine's link).
env -u TZ "$lethe" sync --owner ana --host laptop >/dev/null 2>&1 || fail "a sync with TZ unset"
[[ -n "$(setting local_zone)" && "$(sums_fresh)" == 1 ]] ||
  fail "with TZ unset: zone '$(setting local_zone)' fresh=$(sums_fresh)"
TZ='JST-9' run sync --owner ana --host laptop
expect_rc 0 "TZ=JST-9 lethe sync"
[[ "$(setting local_zone) $(sums_fresh)" == "JST-9 1" ]] || fail "TZ=JST-9: $(setting local_zone)"
daily_json 'JST-9'
[[ "$out" == "$tokyo_ref" ]] || fail "TZ=JST-9's days: $out vs $tokyo_ref"
pass "zones named by a link or a rule"

# 7. SQL alone: 'localtime' whose zone is not named is never read from the cache.
"$shell" "$db" "UPDATE usage_settings SET value = NULL WHERE name = 'local_zone'"
[[ "$(sums_fresh)" == 0 ]] || fail "'localtime' with no local_zone is read from the cache"
pass "an unnamed 'localtime' is never read from the cache"

# 8. An archive whose packs predate local_zone, opened by a report in Tokyo:
# the upgrade names the zone it computes the caches in, and they are read.
"$shell" "$db" "DELETE FROM usage_settings WHERE name = 'local_zone'" \
  "UPDATE usage_settings SET value = '+00:00' WHERE name = 'local_day_modifier'" \
  "UPDATE usage_cache_state SET computed_by = 'older', sums_local_day_modifier = '+00:00'" \
  "UPDATE lethe_meta SET value = 'older' WHERE name = 'sql_sha256'"
daily_json Asia/Tokyo
[[ "$out" == "$tokyo_ref" ]] || fail "Tokyo's days after the upgrade: $out vs $tokyo_ref"
[[ "$(setting local_day_modifier) $(setting local_zone) $(sums_fresh)" == "localtime Asia/Tokyo 1" ]] ||
  fail "after the upgrade: $(setting local_day_modifier) $(setting local_zone) fresh=$(sums_fresh)"
tamper 1000000
daily_json Asia/Tokyo
tampered <<<"$out" || fail "daily in Tokyo did not read the upgraded cache: $out"
tamper -1000000
pass "the upgrade of an archive from before local_zone"

# 9. merge refreshes the caches for its machine's zone too.
other="$work/desk.db"
TZ=UTC run sync --db "$other" --host desk --owner ana
expect_rc 0 "sync into desk.db"
TZ=Europe/Paris run sync --owner ana --host laptop
TZ=Asia/Tokyo run merge "$other"
expect_rc 0 "TZ=Asia/Tokyo lethe merge"
[[ "$out" == *"lethe merge: local days: Asia/Tokyo, were Europe/Paris"* ]] || fail "merge's note: $out"
[[ "$(setting local_zone) $(sums_fresh)" == "Asia/Tokyo 1" ]] ||
  fail "after a merge in Tokyo: $(setting local_zone) fresh=$(sums_fresh)"
daily_json Asia/Tokyo
merged_cache="$out"
daily_json UTC --tz +09:00
[[ "$out" == "$merged_cache" ]] || fail "the merged archive's Tokyo days: $merged_cache vs $out"
pass "merge computes the local days for its machine's zone"
