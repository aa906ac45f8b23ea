-- OpenCode's database (opencode.db, since OpenCode 1.x): what lethe reads of
-- it. Two statements (ext/write/agent_db.hpp): the sessions with what
-- identifies their version, then the export, one JSON line per row. A JSON
-- column that is not valid JSON reaches the reader as a string, which it
-- reports: one bad row never fails the statement.

-- 1. The sessions: every session row, and any session id that only its
-- messages name. OpenCode rewrites message and part rows in place and sets
-- their time_updated: the latest time, the row count and the total of the
-- times move when anything of the session changes.
WITH ids(id) AS (
  SELECT id FROM session
  UNION
  SELECT session_id FROM message
),
messages AS (
  SELECT session_id, max(time_updated) AS changed, count(*) AS n, total(time_updated) AS times
  FROM message GROUP BY session_id
),
parts AS (
  SELECT session_id, max(time_updated) AS changed, count(*) AS n, total(time_updated) AS times
  FROM part GROUP BY session_id
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
-- missing comes after the messages, for the reader to report.
SELECT session, line FROM (
  SELECT s.id AS session, 0 AS k1, 0 AS k2, '' AS k3, 0 AS k4, '' AS k5,
         json_object(
           'record', 'session', 'agent', 'opencode', 'id', s.id,
           'parent_id', s.parent_id, 'project_id', s.project_id, 'title', s.title,
           'directory', s.directory, 'version', s.version,
           'time_created', s.time_created, 'time_updated', s.time_updated,
           'cost', s.cost, 'tokens_input', s.tokens_input, 'tokens_output', s.tokens_output,
           'tokens_reasoning', s.tokens_reasoning, 'tokens_cache_read', s.tokens_cache_read,
           'tokens_cache_write', s.tokens_cache_write, 'agent_name', s.agent,
           'model', CASE WHEN typeof(s.model) = 'text' AND json_valid(s.model)
                         THEN json(s.model) ELSE CAST(s.model AS TEXT) END) AS line
  FROM session AS s
  WHERE :session IS NULL OR s.id = :session
  UNION ALL
  SELECT m.session_id, 1, m.time_created, m.id, 0, '',
         json_object(
           'record', 'message', 'id', m.id, 'session', m.session_id,
           'time_created', m.time_created, 'time_updated', m.time_updated,
           'data', CASE WHEN typeof(m.data) = 'text' AND json_valid(m.data)
                        THEN json(m.data) ELSE CAST(m.data AS TEXT) END)
  FROM message AS m
  WHERE :session IS NULL OR m.session_id = :session
  UNION ALL
  SELECT p.session_id, CASE WHEN m.id IS NULL THEN 2 ELSE 1 END,
         coalesce(m.time_created, 0), p.message_id, 1, p.id,
         json_object(
           'record', 'part', 'id', p.id, 'session', p.session_id, 'message', p.message_id,
           'time_created', p.time_created, 'time_updated', p.time_updated,
           'data', CASE WHEN typeof(p.data) = 'text' AND json_valid(p.data)
                        THEN json(p.data) ELSE CAST(p.data AS TEXT) END)
  FROM part AS p LEFT JOIN message AS m ON m.id = p.message_id
  WHERE :session IS NULL OR p.session_id = :session
)
ORDER BY session, k1, k2, k3, k4, k5;
