-- Crush (charmbracelet/crush, <project>/.crush/crush.db; migrations
-- internal/db/migrations up to 20260127000000). Runs on a read-only
-- connection and returns (session, line): per session, one "session" line,
-- then its "message" lines in Crush's own order (created_at, then insertion
-- order). Each line is one JSON object, read by ext/native/crush.cpp
-- (docs/reference/adapters.md, "Crush").
--
-- Columns later migrations added (messages.provider 2025-06,
-- messages.is_summary_message 2025-08, sessions.summary_message_id 2025-05)
-- are read through a correlated subquery whose name falls back to the
-- NULL of `absent` when the table lacks the column, so one query reads
-- every version. A text column that should hold JSON but doesn't is passed
-- on as a string (json() would fail the whole query): the reader reports
-- that row. Times are Unix seconds (a value above 10^10 is read as
-- milliseconds: the first migration's comments say milliseconds).
WITH
  absent AS (
    SELECT NULL AS provider, NULL AS is_summary_message, NULL AS summary_message_id
  ),
  message_rows AS (
    SELECT m.session_id AS session, 1 AS part, m.created_at AS row_time, m.rowid AS row_order,
           json_object(
             'record', 'message',
             'id', m.id,
             'role', m.role,
             'time', strftime('%Y-%m-%dT%H:%M:%fZ',
                              CASE WHEN m.created_at > 10000000000 THEN m.created_at / 1000.0
                                   ELSE m.created_at END, 'unixepoch'),
             'finished', strftime('%Y-%m-%dT%H:%M:%fZ',
                                  CASE WHEN m.finished_at > 10000000000 THEN m.finished_at / 1000.0
                                       ELSE m.finished_at END, 'unixepoch'),
             'model', m.model,
             'provider', (SELECT provider FROM messages AS x WHERE x.rowid = m.rowid),
             'is_summary', (SELECT is_summary_message FROM messages AS x WHERE x.rowid = m.rowid),
             'parts', iif(json_valid(m.parts), json(m.parts), m.parts)
           ) AS line
    FROM messages AS m, absent
  ),
  session_rows AS (
    SELECT s.id AS session, 0 AS part, 0 AS row_time, 0 AS row_order,
           json_object(
             'record', 'session',
             'agent', 'crush',
             'id', s.id,
             'parent_session_id', s.parent_session_id,
             'message_count', s.message_count,
             'prompt_tokens', s.prompt_tokens,
             'completion_tokens', s.completion_tokens,
             'cost', s.cost,
             'summary_message_id',
               (SELECT summary_message_id FROM sessions AS x WHERE x.rowid = s.rowid),
             'created_at', strftime('%Y-%m-%dT%H:%M:%fZ',
                                    CASE WHEN s.created_at > 10000000000 THEN s.created_at / 1000.0
                                         ELSE s.created_at END, 'unixepoch'),
             'updated_at', strftime('%Y-%m-%dT%H:%M:%fZ',
                                    CASE WHEN s.updated_at > 10000000000 THEN s.updated_at / 1000.0
                                         ELSE s.updated_at END, 'unixepoch')
           ) AS line
    FROM sessions AS s, absent
  )
SELECT session, line
FROM (SELECT * FROM session_rows UNION ALL SELECT * FROM message_rows)
ORDER BY session, part, row_time, row_order;
