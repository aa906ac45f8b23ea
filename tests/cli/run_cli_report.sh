#!/usr/bin/env bash
# lethe report, checked in a real headless Chromium (report_browser.js): the
# page loads nothing and logs no problem, runs no script (a project named
# <script>alert(1)</script> shows as text), each chart has a bar per day of
# `lethe daily --json`, and every figure on it equals the figure of `lethe
# daily --json` (and of `lethe session --json`, `lethe blocks --json`, the
# pack's views) it names; a page with one figure changed fails the check.
# Chromium missing is a failure, not a skip (CI installs it: .ci/run).
# Usage: run_cli_report.sh <lethe> <sqlite3> <repository root> <python3> <node> <chromium>
source "$(dirname "$0")/common.sh"
python3="${4:?python3}"
node="${5:-}"
chromium="${6:-}"
[[ -n "$node" && -x "$node" ]] || fail "node was not found ('$node'): install nodejs, then re-run cmake"
[[ -n "$chromium" && -x "$chromium" ]] ||
  fail "chromium was not found ('$chromium'): apt-get install chromium (as .ci/run does), then re-run cmake"
here="$(cd "$(dirname "$0")" && pwd)"

run sync --owner ana --host laptop
expect_rc 0 "sync"
db="$default_db"
# Hostile names and an unknown price: a project that is a script, a model
# whose name is markup, a model without a price (its cost unknown, never $0).
ingest() { "$lethe" sql "SELECT count(*) FROM lethe_ingest('ana', readfile('$1'))" >/dev/null; }
cat >"$work/hostile.ndjson" <<'EOF'
{"tool":"claude-code","host":"laptop","session_id":"s-<b>x</b>","turn_id":"u1","seq":0,"role":"user","timestamp":"2026-03-02T12:00:00Z","content":"hi","session_meta":{"working_dir":"<script>alert(1)</script>"}}
{"tool":"claude-code","host":"laptop","session_id":"s-<b>x</b>","turn_id":"a1","seq":1,"role":"assistant","timestamp":"2026-03-02T12:00:05Z","model":"mystery-model-9","tokens_in":1000,"tokens_out":500,"metadata":{"cache_read_tokens":400}}
{"tool":"codex","host":"laptop","session_id":"s-quote","turn_id":"a1","seq":1,"role":"assistant","timestamp":"2026-03-03T08:00:00Z","model":"m\"&'<i>y</i>","tokens_in":70,"tokens_out":30,"session_meta":{"working_dir":"/home/ana/a&b \"q\""}}
EOF
ingest "$work/hostile.ndjson"
"$lethe" sql "INSERT INTO usage_refresh DEFAULT VALUES" >/dev/null

# check <label> <page> [report args...]: the page in the browser against the
# JSON reports and the views of the same range and zone.
check() {
  local label="$1" page="$2"; shift 2
  local dir="$work/$label"
  mkdir -p "$dir"
  for verb in daily session blocks; do
    run "$verb" --json "$@"
    expect_rc 0 "lethe $verb --json $*"
    printf '%s' "$out" >"$dir/$verb.json"
  done
  # Node.js and Chromium are not instrumented: a sanitizer runtime preloaded
  # for the sanitizer build (tests/cli/CMakeLists.txt) stays away from them.
  env -u LD_PRELOAD -u ASAN_OPTIONS "$node" "$here/report_browser.js" "$chromium" "$page" "$dir/seen.json" ||
    fail "$label: the browser could not open the page (above)"
  "$python3" "$here/check_report_page.py" "$dir/seen.json" "$dir" "$db" "$@"
}

# 1. UTC, the whole archive.
run report --tz UTC --out "$work/page.html"
expect_rc 0 "lethe report"
[[ "$out" == "lethe report: wrote $work/page.html (2 days, 2026-03-02 to 2026-03-03)" ]] ||
  fail "lethe report's line: $out"
check utc "$work/page.html" --tz UTC || fail "the page in UTC (above)"
"$python3" - "$work/utc/seen.json" <<'PY' || fail "the names from the archive (above)"
import json, sys
text = json.load(open(sys.argv[1]))["text"]
for name in ["<script>alert(1)</script>", "m\"&'<i>y</i>", "s-<b>x</b>", '/home/ana/a&b "q"']:
    assert name in text, f"{name!r} is not shown as text"
PY
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$work/page.html" || fail "the project name is not escaped"
pass "UTC: no problem in the browser, a bar per day, every figure the reports', names as text"

# 2. A wrong figure fails the check: the total tokens, one more.
"$python3" - "$work/page.html" "$work/wrong.html" <<'PY'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
def one_more(m):
    return m.group(1) + f"{int(m.group(2).replace(',', '')) + 1:,}"
wrong, n = re.subn(r"""(data-f='\["totals","totalTokens"\]'>)([0-9,]+)""",
                   one_more, page, count=1)
assert n == 1, "no total tokens to change"
open(sys.argv[2], "w", encoding="utf-8").write(wrong)
PY
if check wrong "$work/wrong.html" --tz UTC 2>"$work/wrong.err"; then
  fail "a page with a wrong total passed the check"
fi
grep -q "\['totals', 'totalTokens'\]: the page shows" "$work/wrong.err" || fail "the wrong figure is not the one named: $(cat "$work/wrong.err")"
pass "a wrong figure fails the check: $(tail -n 1 "$work/wrong.err")"

# A page that loads something, or runs a script, fails it too (the browser's
# reports are caught: here the Content-Security-Policy refuses both).
sed 's|</footer>|<img src="https://example.invalid/x.png"><script>console.error("boom")</script></footer>|' \
  "$work/page.html" >"$work/loads.html"
if check loads "$work/loads.html" --tz UTC 2>"$work/loads.err"; then
  fail "a page with a script and an image from the network passed the check"
fi
grep -q 'the browser reported: .*example.invalid' "$work/loads.err" ||
  fail "the browser's report is not named: $(cat "$work/loads.err")"
pass "a page that loads or runs something fails the check"

# 3. Local days (Tokyo: the late turn of 3 March is on 4 March), a range, an
# empty range: the same checks.
run report --tz Asia/Tokyo --out "$work/tokyo.html"
expect_rc 0 "lethe report --tz Asia/Tokyo"
check tokyo "$work/tokyo.html" --tz Asia/Tokyo || fail "the page in Tokyo's days (above)"
run report --tz UTC --since 20260303 --out "$work/since.html"
check since "$work/since.html" --tz UTC --since 20260303 || fail "the page from 3 March (above)"
run report --tz UTC --since 2030-01-01 --out "$work/empty.html"
expect_rc 0 "an empty range"
check empty "$work/empty.html" --tz UTC --since 2030-01-01 || fail "the page of an empty range (above)"
pass "--tz Asia/Tokyo, --since, an empty range"

# 4. --out - is the page on stdout; a page that can't be written is an error
# that leaves nothing behind; the database is never written.
sha="$(sha256sum <"$db")"
run report --tz UTC --out -
expect_rc 0 "--out -"
[[ "$out" == "<!DOCTYPE html>"* && "$out" == *"</html>" ]] || fail "--out - is not the page: ${out:0:200}"
run report --tz UTC --out "$work/no/such/folder/r.html"
expect_rc 2 "--out in a missing folder"
[[ "$err" == "lethe: could not write $work/no/such/folder/r.html: No such file or directory" ]] ||
  fail "--out in a missing folder: $err"
run report --tz Asia/Tokyo --out "$work/again.html"
[[ "$(sha256sum <"$db")" == "$sha" ]] || fail "lethe report wrote to the database"
run report --tz UTC --out "$work/x.html" extra
expect_rc 2 "an extra argument"
run report --help
expect_rc 0 "--help"
[[ "$out" == *"--out FILE"* && "$out" == *"Cache savings"* ]] || fail "--help: $out"
pass "--out -, a folder that does not exist, --help; the database untouched"
echo "PASS: lethe report in a browser"
