#!/usr/bin/env bash
# `lethe show SESSION` (issue 19): the show pack's Markdown of a session of
# each agent, parsed by cmark (CommonMark's reference parser) to check that
# every turn is its own heading whatever the turns hold; a session synced
# from two machines shown once; an id found by its start; an ambiguous or
# unknown id refused with the candidates or a way to find ids; hostile bytes
# (NUL, escape sequences, bytes that are not UTF-8) never reach the terminal.
# Usage: run_cli_show.sh <lethe> <sqlite3> <repository root>
source "$(dirname "$0")/common.sh"
command -v cmark >/dev/null ||
  fail "cmark is not installed (apt-get install cmark): it checks the transcripts' structure"

run show 5e55
expect_rc 2 "lethe show without an archive"
[[ "$err" == *"run \`lethe sync\` first"* ]] || fail "show without an archive: $err"

# The fixture home from two machines (a copied home): the same sessions
# under two hosts.
run sync --host laptop --owner ana
expect_rc 0 "sync as laptop"
cp -r "$fixtures" "$work/desk-home"
run sync --home "$work/desk-home" --host desk --owner ana
expect_rc 0 "sync as desk"

claude=5e551011-0000-4000-8000-0000000000a1
codex=019c1d2e-0000-7000-8000-0000000000c1
gemini=7b2e4c91-0d3a-4f5e-8b6c-9a1d2e3f4a5b
# turns SESSION: how many distinct turns the session has.
turns() { "$shell" "$default_db" "SELECT count(DISTINCT turn_id) FROM turns WHERE session_id = '$1'"; }
# headings LEVEL: the <hN> elements cmark makes of $out.
headings() { cmark <<<"$out" | grep -c "<h$1>" || true; }

for id in "$claude" "$codex" "$gemini" "$claude:agent-x1"; do
  run show "$id"
  expect_rc 0 "lethe show $id"
  [[ "$out" == "# Session \`$id\`"* ]] || fail "show $id: no title: $out"
  [[ "$(headings 1)" == 1 ]] || fail "show $id: not one title"
  [[ "$(headings 3)" == "$(turns "$id")" ]] ||
    fail "show $id: $(headings 3) turn headings for $(turns "$id") turns: $out"
  grep -qx -- '- Hosts: `desk, laptop`' <<<"$out" || fail "show $id: the hosts are not both named: $out"
done
pass "show: one heading per turn for Claude Code, its sub-agent, Codex and Gemini CLI; two hosts once"

run show "$claude"
for line in '> Why does the checkout total round wrong?' \
            '### Assistant · 2026-03-02 09:00:02 · `claude-sonnet-4-5-20250929` · 12,004 in (10,000 cached) / 167 out' \
            '**Tool call** `Bash` `toolu_01`' \
            '{"command":"pytest -k rounding","description":"Run the rounding tests"}' \
            'Result of `Bash` `toolu_01` (**error**):' \
            'FAILED test_rounding - AssertionError: 10.005 != 10.01' \
            '<details><summary>Reasoning</summary>' \
            '- Tokens: 30,320 in (27,000 cached) / 517 out'; do
  grep -qxF -- "$line" <<<"$out" || fail "show $claude lacks the line: $line"$'\n'"$out"
done
html="$(cmark <<<"$out")"
[[ "$html" == *'<pre><code class="language-text">FAILED test_rounding'* ]] ||
  fail "the tool result is not a code block: $html"
run show "$codex"
grep -qxF 'Result of `shell` `call_synthetic0001`:' <<<"$out" || fail "codex: the result is not paired: $out"
run show "$gemini"
grep -qxF 'Result of `read_file` `read_file-synthetic-0001`:' <<<"$out" ||
  fail "gemini: the result is not paired: $out"
pass "show: prompts, answers, tokens, reasoning, tool calls paired with their results"

# An id by its start; ambiguous and unknown ids.
run show 019c
expect_rc 0 "show by a unique start"
[[ "$out" == "# Session \`$codex\`"* ]] || fail "show 019c: $out"
run show "$claude"
expect_rc 0 "a full id that is also the start of another"
run show 5e55
expect_rc 2 "an ambiguous start"
[[ "$err" == *"'5e55' matches 2 sessions; give more of the id:"* || "$err" == *"5e55 matches 2 sessions; give more of the id:"* ]] ||
  fail "ambiguous: $err"
grep -qF "  $claude  claude-code  desk,laptop  2026-03-02T09:00:00.000Z" <<<"$err" || fail "ambiguous: no candidate line: $err"
grep -qF "  $claude:agent-x1  claude-code  desk,laptop  2026-03-03T10:00:00.000Z" <<<"$err" ||
  fail "ambiguous: no candidate line for the sub-agent: $err"
[[ -z "$out" ]] || fail "ambiguous: printed something: $out"
run show nothing-like-this
expect_rc 2 "an unknown id"
[[ "$err" == *"no session has the id nothing-like-this or an id that starts with it"*'`lethe session`'*'`lethe search TEXT`'* ]] ||
  fail "unknown: $err"
run show
expect_rc 2 "no id"
run show a b
expect_rc 2 "two ids"
run show --help
expect_rc 0 "--help"
[[ "$out" == "Usage: lethe show SESSION"* ]] || fail "--help: $out"
run --help
[[ "$out" == *"  show      a session as a Markdown transcript"* ]] || fail "lethe --help does not list show: $out"
pass "show: an id by its start; ambiguous and unknown ids say what to do"

# One id under two agents: --agent picks.
run sql --db "$default_db" "SELECT count(*) FROM lethe_ingest('ana', '{\"tool\":\"codex\",\"host\":\"laptop\",\"session_id\":\"$gemini\",\"turn_id\":\"u1\",\"seq\":1,\"role\":\"user\",\"timestamp\":\"2026-05-01T08:00:00Z\",\"content\":\"same id\"}')"
expect_rc 0 "ingest a codex session with gemini's id"
run show "$gemini"
expect_rc 2 "an id of two agents"
[[ "$err" == *"several agents have a session of this id: add --agent NAME"*"gemini-cli"*"codex"* ]] ||
  fail "an id of two agents: $err"
run show "$gemini" --agent codex
expect_rc 0 "--agent codex"
grep -qxF '> same id' <<<"$out" || fail "--agent codex: $out"
run show 7b2e --agent gemini-cli
expect_rc 0 "a start and --agent"
[[ "$out" == *"- Agent: gemini-cli"* ]] || fail "--agent gemini-cli: $out"
pass "show: an id two agents share needs --agent"

# Hostile bytes: NUL, escape sequences, a byte that is not UTF-8, fences.
run sql --db "$default_db" "SELECT count(*) FROM lethe_ingest('ana', '{\"tool\":\"codex\",\"host\":\"laptop\",\"session_id\":\"hostile\",\"turn_id\":\"u1\",\"seq\":1,\"role\":\"user\",\"timestamp\":\"2026-05-01T08:00:00Z\",\"content\":\"\`\`\`\\n# inside\\n<script>x</script>\"}' || char(10) || '{\"tool\":\"codex\",\"host\":\"laptop\",\"session_id\":\"hostile\",\"turn_id\":\"a1\",\"seq\":2,\"role\":\"assistant\",\"timestamp\":\"2026-05-01T08:00:01Z\",\"content\":\"ok\",\"tool_calls\":[{\"id\":\"k1\",\"name\":\"shell\",\"input\":{\"command\":\"cat\"}}]}' || char(10) || '{\"tool\":\"codex\",\"host\":\"laptop\",\"session_id\":\"hostile\",\"turn_id\":\"k1:output\",\"seq\":3,\"role\":\"tool\",\"timestamp\":\"2026-05-01T08:00:02Z\",\"content\":\"x\"}' || char(10) || '{\"tool\":\"codex\",\"host\":\"laptop\",\"session_id\":\"hostile\",\"turn_id\":\"s1\",\"seq\":4,\"role\":\"system\",\"timestamp\":\"2026-05-01T08:00:03Z\",\"content\":\"<pre>\"}')"
expect_rc 0 "ingest a hostile session"
run sql --db "$default_db" "UPDATE turns SET content = CAST(x'6f75743a001b5b33316d72656402ff0d0a6060606060600a7e7e7e0a3c2f7072653e' AS TEXT) WHERE session_id = 'hostile' AND turn_id = 'k1:output'"
expect_rc 0 "odd bytes into a tool output"
set +e
"$lethe" show hostile >"$work/hostile.md" 2>"$work/err"
rc=$?
set -e
expect_rc 0 "show hostile"
LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$work/hostile.md" && fail "show hostile wrote a control character: $(cat -v "$work/hostile.md")"
iconv -f UTF-8 -t UTF-8 "$work/hostile.md" >/dev/null || fail "show hostile wrote bytes that are not UTF-8"
out="$(cat "$work/hostile.md")"
grep -qF 'out:\x00\x1b[31mred\x02\xff' <<<"$out" || fail "show hostile: the odd bytes are not written as \\xNN: $out"
[[ "$(headings 3)" == 4 ]] || fail "show hostile: $(headings 3) turn headings for 4 turns: $out"
[[ "$(cmark <<<"$out" | grep -c '<pre><code')" == 3 ]] || fail "show hostile: the code blocks are not 3: $(cmark <<<"$out")"
pass "show: hostile bytes are escaped and no turn breaks the document"

# --json: one object, whatever the bytes.
run show hostile --json
expect_rc 0 "show --json"
python3 - "$work/out" <<'PY' || fail "show --json: $out"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["tool"] == "codex" and doc["session_id"] == "hostile" and doc["hosts"] == ["laptop"], doc
assert "\u0000\\x1b[31mred\\x02\ufffd" in doc["markdown"], doc["markdown"]
PY
run show "$claude" --json
python3 - "$work/out" <<'PY' || fail "show --json of two hosts: $out"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["hosts"] == ["desk", "laptop"] and doc["markdown"].startswith("# Session"), doc
PY
pass "show --json: one JSON object with hosts and markdown"
