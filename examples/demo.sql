-- The demo of README's first command: ingest examples/demo.ndjson into a
-- database file and show what was rejected and what was stored.
-- Run from the repository root: sqlite3 demo.db < examples/demo.sql
.bail on
.read sql/schema.sql
.load ./build/lethe
.mode list
SELECT 'lethe ' || lethe_version() || ', demo';

.mode box --wrap 72 --wordwrap on

.print ''
.print 'Rejected lines:'
SELECT line, code, field, message
FROM lethe_ingest('ana', readfile('examples/demo.ndjson'));

.print ''
.print 'The call:'
SELECT json_extract(s, '$.lines') AS lines, json_extract(s, '$.accepted') AS accepted,
       json_extract(s, '$.rejected') AS rejected, json_extract(s, '$.bytes') AS bytes
FROM (SELECT lethe_last_ingest() AS s);

.print ''
.print 'Sessions stored:'
SELECT owner, tool, host, session_id, started_at, ended_at, working_dir,
       (SELECT count(*) FROM turns t WHERE t.owner = s.owner AND t.tool = s.tool
          AND t.host = s.host AND t.session_id = s.session_id) AS turns,
       (SELECT round(sum(cost_usd), 4) FROM turns t WHERE t.owner = s.owner
          AND t.tool = s.tool AND t.host = s.host AND t.session_id = s.session_id) AS cost_usd
FROM sessions s ORDER BY started_at;
