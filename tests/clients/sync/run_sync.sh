#!/usr/bin/env bash
# Golden test of lethe_sync() through the real sqlite3 shell: a home folder
# with Claude Code (a session and its sub-agent), Codex and Gemini CLI
# transcripts and two files that are not transcripts. The first run sees the
# files cut short (agents append while they run), the second the whole
# files, the third nothing new; the result must equal one full run. Then a
# file disappears and keeps its turns. Output compared with sync.expected.
# Usage: run_sync.sh <sqlite3> <lethe module path> [--update]
set -euo pipefail
shell="${1:?path to the sqlite3 shell}"
module="${2:?path to the built lethe module}"
module="$(cd "$(dirname "$module")" && pwd)/$(basename "$module")"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
[[ -x "$shell" ]] || { echo "FAIL: the sqlite3 shell was not found ('$shell')" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$here/home" "$work/home"
full="$work/full"          # the whole files, for later
cp -r "$here/home" "$full"
claude="$work/home/.claude/projects/-home-ana-shop/5e551011-0000-4000-8000-0000000000a1.jsonl"
codex="$(echo "$work"/home/.codex/sessions/2026/03/02/*.jsonl)"
gemini="$(echo "$work"/home/.gemini/tmp/9f2c/chats/*.jsonl)"
at() { find "$work/home" -type f -exec touch -d "$1" {} +; }

sync_home() {   # <db> <home> <host>: one run, owner ana
  "$shell" "$1" -cmd ".load ${module%.so}" -cmd '.headers on' \
    "SELECT replace(path, '$2/', '~/') AS path, format, code, lines, rejected
     FROM lethe_sync('$2', json_object('host', '$3', 'owner', 'ana'))" \
    "SELECT files_seen, files_read, files_unchanged, files_failed, problems, files_gone
     FROM lethe_sync_runs ORDER BY run DESC LIMIT 1"
}
sync() { sync_home "$1" "$work/home" laptop; }
report() {
  "$shell" "$1" -cmd '.headers on' \
    "SELECT replace(path, '$work/home/', '~/') AS path, format, size, problems,
            datetime(mtime, 'unixepoch') AS mtime FROM lethe_sync_files ORDER BY path" \
    "SELECT tool, host, owner, count(*) AS turns, sum(tokens_in) AS tokens_in,
            sum(tokens_out) AS tokens_out FROM turns GROUP BY 1, 2, 3"
}
new_db() { "$shell" "$1" ".read $root/sql/schema.sql" ".read $root/sql/search.sql" ".read $root/sql/usage.sql"; }
dump() { "$shell" "$1" "SELECT * FROM sessions ORDER BY 1, 2, 3, 4" "SELECT * FROM turns ORDER BY 1, 2, 3, 4, 5"; }

{
echo "## 1. First run: the agents' files cut short (as they are while agents write)"
head -n "$(cat "$here/claude_first_sync_lines.txt")" "$full/.claude/projects/-home-ana-shop/5e551011-0000-4000-8000-0000000000a1.jsonl" > "$claude"
head -n 8 "$full/.codex/sessions/2026/03/02/$(basename "$codex")" > "$codex"
head -n 3 "$full/.gemini/tmp/9f2c/chats/$(basename "$gemini")" > "$gemini"
at '2026-03-05 10:00:00 UTC'
new_db "$work/agents.db"
sync "$work/agents.db"
report "$work/agents.db"

echo; echo "## 2. The agents appended: only the three grown files are read"
cp "$full/.claude/projects/-home-ana-shop/5e551011-0000-4000-8000-0000000000a1.jsonl" "$claude"
cp "$full/.codex/sessions/2026/03/02/$(basename "$codex")" "$codex"
cp "$full/.gemini/tmp/9f2c/chats/$(basename "$gemini")" "$gemini"
touch -d '2026-03-05 11:00:00 UTC' "$claude" "$codex" "$gemini"
sync "$work/agents.db"
report "$work/agents.db"

echo; echo "## 3. Nothing changed: nothing is read"
sync "$work/agents.db"

echo; echo "## 4. The same tables as one full run on the whole files"
new_db "$work/once.db"
sync "$work/once.db" > /dev/null
if cmp -s <(dump "$work/agents.db") <(dump "$work/once.db"); then
  echo "sessions and turns: identical"
else
  echo "sessions and turns: DIFFERENT"; diff <(dump "$work/agents.db") <(dump "$work/once.db") | head -20
fi
"$shell" "$work/agents.db" "INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1)" \
  "INSERT INTO tool_call_text_fts (tool_call_text_fts, rank) VALUES ('integrity-check', 1)" \
  "SELECT 'search finds: ' || group_concat(turn_id, ' ') FROM tool_call_search WHERE query MATCH 'rounding'"

echo; echo "## 5. A file disappears (Claude Code's 30-day cleanup): its turns stay"
rm "$work/home/.claude/projects/-home-ana-shop/5e551011-0000-4000-8000-0000000000a1/subagents/agent-x1.jsonl"
sync "$work/agents.db"
"$shell" "$work/agents.db" -cmd '.headers on' \
  "SELECT session_id, count(*) AS turns FROM turns WHERE tool = 'claude-code' GROUP BY 1 ORDER BY 1" \
  "SELECT replace(path, '$work/home/', '~/') AS path, last_seen_run, (SELECT max(run) FROM lethe_sync_runs) AS last_run FROM lethe_sync_files WHERE path LIKE '%agent-x1%'"

echo; echo "## 6. Usage of the archive"
echo "# by hand, USD per million tokens of sql/usage.sql's model_prices:"
echo "#  msg_01 (the record with 167 output tokens of three) + msg_02, sonnet-4-5:"
echo "#   (4 x 3 + 10000 x 0.30 + 2000 x 3.75 + 167 x 15 + 6 x 3 + 12000 x 0.30 + 300 x 3.75 + 50 x 15) / 1e6 = 0.01851"
echo "#  msg_03 opus-4-5: (10 x 5 + 5000 x 0.50 + 200 x 25) / 1e6 = 0.00755"
echo "#  msg_s1 (sub-agent) sonnet-4-5: (5 x 3 + 3000 x 0.30 + 100 x 3.75 + 40 x 15) / 1e6 = 0.00189"
echo "#  msg_04 sonnet-5-5: (1000 x 2 + 100 x 10) / 1e6 = 0.003"
echo "#  codex gpt-5.1-codex: (1674 x 1.25 + 14976 x 0.125 + 238 x 10) / 1e6 = 0.0063445"
echo "#  gemini-2.5-pro: (11083 x 1.25 + 9870 x 0.125 + 173 x 10) / 1e6 = 0.0168175"
"$shell" "$work/agents.db" -cmd '.headers on' \
  "SELECT day, tool, model, turns, tokens_in, tokens_out, cache_read_tokens, cache_write_tokens, cost_usd, unpriced_turns
   FROM usage_by_day WHERE model IS NOT NULL ORDER BY day, tool, model"

echo; echo "## 7. A home folder without agents: an error that names the folders looked for"
mkdir "$work/empty"
"$shell" "$work/agents.db" -cmd ".load ${module%.so}" "SELECT * FROM lethe_sync('$work/empty')" 2>&1 \
  | sed "s|$work/||g" || true

echo; echo "## 8. Two machines into one archive (sql/merge.sql, the statement of docs/guide/packs.md)"
new_db "$work/desk.db"
sync_home "$work/desk.db" "$full" desk > /dev/null
merge_all() {
  "$shell" "$work/central.db" -cmd ".load ${module%.so}" \
    "ATTACH '$work/agents.db' AS laptop" \
    "SELECT * FROM lethe_ingest('ana', (SELECT group_concat(line, char(10)) FROM laptop.lethe_wire_lines WHERE owner = 'ana'))" \
    "DETACH laptop" \
    "ATTACH '$work/desk.db' AS desk" \
    "SELECT * FROM lethe_ingest('ana', (SELECT group_concat(line, char(10)) FROM desk.lethe_wire_lines WHERE owner = 'ana'))"
}
"$shell" "$work/agents.db" < "$root/sql/merge.sql"
"$shell" "$work/desk.db" < "$root/sql/merge.sql"
new_db "$work/central.db"
merge_all
"$shell" "$work/central.db" -cmd '.headers on' \
  "SELECT host, tool, count(*) AS turns FROM turns GROUP BY 1, 2 ORDER BY 1, 2"
if cmp -s <("$shell" "$work/central.db" "SELECT * FROM sessions WHERE host = 'laptop' ORDER BY 1, 2, 3, 4" "SELECT * FROM turns WHERE host = 'laptop' ORDER BY 1, 2, 3, 4, 5") \
          <(dump "$work/agents.db"); then
  echo "laptop's rows in the archive: identical to laptop.db"
else
  echo "laptop's rows in the archive: DIFFERENT"
fi
dump "$work/central.db" > "$work/central.before"
merge_all
if cmp -s "$work/central.before" <(dump "$work/central.db"); then echo "merging again: nothing changed"; else echo "merging again: CHANGED"; fi
echo "# the same home synced on two machines: each response counted once (Claude Code by message id, the others by session and turn)"
"$shell" "$work/central.db" -cmd '.headers on' \
  "SELECT tool, count(*) AS turns, sum(counted) AS counted, sum(tokens_out) AS tokens_out
   FROM turn_usage WHERE role = 'assistant' GROUP BY tool ORDER BY tool"
} >"$work/actual" 2>&1 || { cat "$work/actual"; echo "FAIL: a step failed" >&2; exit 1; }

source "$root/tests/golden.sh"
golden_compare "lethe_sync" "$here/sync.expected" "$work/actual" "${3:-}"
