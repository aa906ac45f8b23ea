-- The user guide's three one-statement archives of the agents' own folders
-- (docs/guide/agents.md), run in the real sqlite3 shell over
-- tests/fixtures/native/home, a tree laid out
-- like a home folder (~/.claude/projects, ~/.codex/sessions, ~/.gemini/tmp).
-- The statements are the guide's, verbatim (tests/shell/readme_statements.sh
-- checks that); only :home differs. Output is compared with
-- native_archive.expected.
.bail on
.read sql/schema.sql
.load LETHE_MODULE
.mode list
.headers on
.parameter set :home 'tests/fixtures/native/home'
SELECT f.name, e.* FROM fsdir(:home || '/.claude/projects') f, lethe_ingest('ana', f.data, json_object('format', 'auto', 'source_file', f.name)) e WHERE f.name LIKE '%.jsonl';
SELECT f.name, e.* FROM fsdir(:home || '/.codex/sessions') f, lethe_ingest('ana', f.data, json_object('format', 'auto', 'source_file', f.name)) e WHERE f.name LIKE '%.jsonl';
SELECT f.name, e.* FROM fsdir(:home || '/.gemini/tmp') f, lethe_ingest('ana', f.data, json_object('format', 'auto', 'source_file', f.name)) e WHERE f.name LIKE '%/chats/%.json' OR f.name LIKE '%/chats/%.jsonl';
-- What the archive holds: one row per session, tokens counted once per request.
SELECT tool, session_id, count(*) AS turns, sum(tokens_in + tokens_out) AS tokens,
       started_at, ended_at, working_dir
FROM turns JOIN sessions USING (owner, tool, host, session_id)
GROUP BY tool, session_id ORDER BY tool, session_id;
SELECT source_file FROM sessions ORDER BY source_file;
-- Archiving again (the files grew, or not) changes nothing that is the same.
SELECT count(*) AS rejects_again FROM fsdir(:home || '/.claude/projects') f, lethe_ingest('ana', f.data, json_object('format', 'auto', 'source_file', f.name)) e WHERE f.name LIKE '%.jsonl';
SELECT count(*) AS turns FROM turns;
-- What one file becomes, without writing.
SELECT line, json_extract(wire, '$.turn_id') AS turn_id, json_extract(wire, '$.role') AS role, code
FROM lethe_convert(readfile(:home || '/.codex/sessions/2026/03/02/rollout-2026-03-02T11-00-00-019c0000-0000-7000-8000-0000000c0d01.jsonl'));
