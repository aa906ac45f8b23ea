-- OpenCode's database (opencode.db, since OpenCode 1.x): what lethe reads of
-- it. Two statements (ext/write/agent_db.hpp): the sessions with what
-- identifies their version, then the export, one JSON line per row. A JSON
-- column that is not valid JSON reaches the reader as a string (a BLOB as
-- its size), which it reports, and an infinite REAL (which this SQLite's
-- json_object would write as Inf, not JSON) as null: one bad row never
-- fails the statement or its line.

-- 1. The sessions: every session row, and any session id that only its
-- messages or parts name. OpenCode rewrites message and part rows in place and sets
-- their time_updated: the latest time, the row count and the total of the
-- times move when anything of the session changes.
WITH messages AS (
  SELECT session_id, max(time_updated) AS changed, count(*) AS n, total(time_updated) AS times
  FROM message GROUP BY session_id
),
parts AS (
  SELECT session_id, max(time_updated) AS changed, count(*) AS n, total(time_updated) AS times
  FROM part GROUP BY session_id
),
-- Every session id: of the session rows and of the groups above (one row
-- each, not every message and part: a third of the statement's cost).
ids(id) AS (
  SELECT id FROM session
  UNION
  SELECT session_id FROM messages
  UNION
  SELECT session_id FROM parts
)
SELECT ids.id AS session,
       max(coalesce(s.time_updated, 0), coalesce(m.changed, 0), coalesce(p.changed, 0))
         AS changed_ms,
       (s.id IS NOT NULL) + coalesce(m.n, 0) + coalesce(p.n, 0) AS rows,
       CAST(coalesce(s.time_updated, 0) + coalesce(m.times, 0) + coalesce(p.times, 0) AS INTEGER)
         AS checksum
FROM ids
LEFT JOIN session AS s ON s.id = ids.id
LEFT JOIN messages AS m ON m.session_id = ids.id
LEFT JOIN parts AS p ON p.session_id = ids.id
ORDER BY ids.id;

-- 2. The export: the session record (first, naming the agent), then each
-- message in OpenCode's own order (time_created, id) followed by its parts
-- in id order (OpenCode's ids ascend in time). A part whose message row is
-- missing comes after the messages, for the reader to report. The wanted
-- sessions are joined to the rows (not `:session IS NULL OR ...`), so that
-- each session's rows are found through OpenCode's indexes. A message's or
-- part's data column is handed out raw (json_columns = 1) and put into its
-- line as "data" by write/agent_db.cpp: as it is when it is JSON (checked
-- there by lethe's own scanner, not by json_valid and a concatenation of
-- the line here, which cost a third of the export), else as a JSON
-- string, for the reader to report.
WITH wanted(id) AS (
  SELECT :session WHERE :session IS NOT NULL
  UNION ALL
  SELECT id FROM (SELECT id FROM session UNION SELECT session_id FROM message
                  UNION SELECT session_id FROM part)
  WHERE :session IS NULL
)
SELECT session, line, json_columns, data AS data FROM (
  SELECT s.id AS session, 0 AS k1, 0 AS k2, '' AS k3, 0 AS k4, '' AS k5,
         json_object(
           'record', 'session', 'agent', 'opencode', 'id', s.id,
           'parent_id', s.parent_id, 'project_id', s.project_id, 'title', s.title,
           'directory', s.directory, 'version', s.version,
           'time_created', nullif(nullif(s.time_created, 9e999), -9e999),
           'time_updated', nullif(nullif(s.time_updated, 9e999), -9e999),
           'cost', nullif(nullif(s.cost, 9e999), -9e999), 'tokens_input', nullif(nullif(s.tokens_input, 9e999), -9e999),
           'tokens_output', nullif(nullif(s.tokens_output, 9e999), -9e999),
           'tokens_reasoning', nullif(nullif(s.tokens_reasoning, 9e999), -9e999),
           'tokens_cache_read', nullif(nullif(s.tokens_cache_read, 9e999), -9e999),
           'tokens_cache_write', nullif(nullif(s.tokens_cache_write, 9e999), -9e999), 'agent_name', s.agent,
           'model', CASE WHEN typeof(s.model) = 'text' AND json_valid(s.model)
                         THEN json(s.model)
                        WHEN typeof(s.model) = 'blob' THEN '(a BLOB of ' || length(s.model) || ' bytes)'
                        ELSE s.model END) AS line,
         0 AS json_columns, NULL AS data
  FROM wanted JOIN session AS s ON s.id = wanted.id
  UNION ALL
  SELECT m.session_id, 1, m.time_created, m.id, 0, '',
         json_object(
           'record', 'message', 'id', m.id, 'session', m.session_id,
           'time_created', nullif(nullif(m.time_created, 9e999), -9e999),
           'time_updated', nullif(nullif(m.time_updated, 9e999), -9e999)),
         1, m.data
  FROM wanted JOIN message AS m ON m.session_id = wanted.id
  UNION ALL
  SELECT p.session_id, CASE WHEN m.id IS NULL THEN 2 ELSE 1 END,
         coalesce(m.time_created, 0), p.message_id, 1, p.id,
         json_object(
           'record', 'part', 'id', p.id, 'session', p.session_id, 'message', p.message_id,
           'time_created', nullif(nullif(p.time_created, 9e999), -9e999),
           'time_updated', nullif(nullif(p.time_updated, 9e999), -9e999)),
         1, p.data
  FROM wanted JOIN part AS p ON p.session_id = wanted.id
  LEFT JOIN message AS m ON m.id = p.message_id
)
ORDER BY session, k1, k2, k3, k4, k5;
