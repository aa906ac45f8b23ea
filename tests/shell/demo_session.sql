-- Drives the real sqlite3 shell the way the README does: .load, readfile(),
-- rejects, stored rows. Output is compared with demo_session.expected.
.bail on
.read sql/schema.sql
.load LETHE_MODULE
.mode list
.headers on
SELECT lethe_version() GLOB '[0-9]*.[0-9]*.[0-9]*' AS version_ok;
SELECT line, byte_offset, code, field FROM lethe_ingest('ana', readfile('examples/demo.ndjson'));
SELECT json_extract(lethe_last_ingest(), '$.lines') AS lines,
       json_extract(lethe_last_ingest(), '$.accepted') AS accepted,
       json_extract(lethe_last_ingest(), '$.rejected') AS rejected;
SELECT owner, tool, host, session_id, started_at, ended_at, working_dir, source_file, metadata
FROM sessions ORDER BY 1, 2, 3, 4;
SELECT owner, tool, session_id, turn_id, seq, role, timestamp, model, tokens_in, tokens_out,
       cost_usd, tool_calls, metadata, length(content)
FROM turns ORDER BY 1, 2, 3, 4, 5;
-- Re-ingesting the same batch changes nothing.
SELECT count(*) AS rejects_again FROM lethe_ingest('ana', readfile('examples/demo.ndjson'));
SELECT count(*) AS sessions FROM sessions;
SELECT count(*) AS turns FROM turns;
-- A mistyped path: readfile() returns NULL, a batch error says so.
.bail off
SELECT * FROM lethe_ingest('ana', readfile('examples/no-such-file.ndjson'));
