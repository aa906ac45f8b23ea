#!/usr/bin/env bash
# Makes docs/images/lethe-report.png, README's picture of `lethe report`: a
# fixture archive of two weeks of three agents (report_fixture.py, fixed
# seed), its page, and a screenshot of the page's top by headless Chromium
# (tests/cli/report_browser.js, which also checks the page loads cleanly).
# Usage: docs/images/make_report_png.sh [build folder, default build]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$root/docs/images/report_fixture.py" >"$work/fixture.ndjson"
"$build/bin/lethe" sql --db "$work/agents.db" \
  "SELECT count(*) FROM lethe_ingest('ana', readfile('$work/fixture.ndjson'))" >/dev/null
"$build/bin/lethe" sql --db "$work/agents.db" "INSERT INTO usage_refresh DEFAULT VALUES" >/dev/null
"$build/bin/lethe" report --db "$work/agents.db" --tz UTC --out "$work/report.html"
node "$root/tests/cli/report_browser.js" "$(command -v chromium)" "$work/report.html" \
  "$work/seen.json" "$root/docs/images/lethe-report.png" 1000 760
python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["problems"]; sys.exit("problems: %s" % p if p else 0)' \
  "$work/seen.json"
ls -l "$root/docs/images/lethe-report.png"
