-- Crush's database (<project>/.crush/crush.db; charmbracelet/crush
-- internal/db/migrations up to 20260127000000). Two statements
-- (ext/write/agent_db.hpp): the sessions with what identifies their version,
-- then the export, one JSON line per row, read by ext/native/crush.cpp
-- (docs/reference/adapters.md, "Crush"). A JSON column that is not valid
-- JSON reaches the reader as a string, which it reports: one bad row never
-- fails the statement. Times are Unix seconds (the first migration's
-- comments say milliseconds: a value above 10^10 is read as such).
--
-- Columns later migrations added (sessions.summary_message_id 2025-05,
-- messages.provider 2025-06, messages.is_summary_message 2025-08) are read
-- through a correlated subquery: when the table lacks the column, the name
-- falls back to the NULL of `absent`, so one file reads every version.

-- 1. The sessions: every session row, and any session id that only its
-- messages name. Crush rewrites a message row in place while it streams
-- (parts, finished_at, updated_at in seconds): the count, the latest time
-- and the total of the times move when anything of the session changes.
WITH ids(id) AS (
  SELECT id FROM sessions
  UNION
  SELECT session_id FROM messages
),
message_facts AS (
  SELECT session_id,
         max(CASE WHEN updated_at > 10000000000 THEN updated_at ELSE updated_at * 1000 END)
           AS changed,
         count(*) AS n, total(updated_at) + total(coalesce(finished_at, 0)) AS times
  FROM messages GROUP BY session_id
)
SELECT ids.id AS session,
       max(coalesce(CASE WHEN s.updated_at > 10000000000 THEN s.updated_at
                         ELSE s.updated_at * 1000 END, 0),
           coalesce(m.changed, 0)) AS changed_ms,
       (s.id IS NOT NULL) + coalesce(m.n, 0) AS rows,
       CAST(coalesce(m.times, 0) + coalesce(s.updated_at, 0) + coalesce(s.prompt_tokens, 0)
            + coalesce(s.completion_tokens, 0) AS INTEGER) AS checksum
FROM ids
LEFT JOIN sessions AS s ON s.id = ids.id
LEFT JOIN message_facts AS m ON m.session_id = ids.id
ORDER BY ids.id;

-- 2. The export: the session record (first, naming the agent, with the
-- session's counters), then its messages in Crush's own order (created_at,
-- then insertion order; milliseconds and seconds compared as such). Message
-- lines name their session, for a session whose row is missing.
WITH absent AS (
  SELECT NULL AS provider, NULL AS is_summary_message, NULL AS summary_message_id
)
SELECT session, line FROM (
  SELECT s.id AS session, 0 AS k1, 0 AS k2, 0 AS k3,
         json_object(
           'record', 'session', 'agent', 'crush', 'id', s.id,
           'parent_session_id', s.parent_session_id, 'message_count', s.message_count,
           'prompt_tokens', s.prompt_tokens, 'completion_tokens', s.completion_tokens,
           'cost', s.cost,
           'summary_message_id',
             (SELECT summary_message_id FROM sessions AS x WHERE x.rowid = s.rowid),
           'created_at', strftime('%Y-%m-%dT%H:%M:%fZ',
                                  CASE WHEN s.created_at > 10000000000 THEN s.created_at / 1000.0
                                       ELSE s.created_at END, 'unixepoch'),
           'updated_at', strftime('%Y-%m-%dT%H:%M:%fZ',
                                  CASE WHEN s.updated_at > 10000000000 THEN s.updated_at / 1000.0
                                       ELSE s.updated_at END, 'unixepoch')) AS line
  FROM sessions AS s, absent
  WHERE :session IS NULL OR s.id = :session
  UNION ALL
  SELECT m.session_id, 1,
         CASE WHEN m.created_at > 10000000000 THEN m.created_at ELSE m.created_at * 1000 END,
         m.rowid,
         json_object(
           'record', 'message', 'session', m.session_id, 'id', m.id, 'role', m.role,
           'time', strftime('%Y-%m-%dT%H:%M:%fZ',
                            CASE WHEN m.created_at > 10000000000 THEN m.created_at / 1000.0
                                 ELSE m.created_at END, 'unixepoch'),
           'finished', strftime('%Y-%m-%dT%H:%M:%fZ',
                                CASE WHEN m.finished_at > 10000000000 THEN m.finished_at / 1000.0
                                     ELSE m.finished_at END, 'unixepoch'),
           'model', m.model,
           'provider', (SELECT provider FROM messages AS x WHERE x.rowid = m.rowid),
           'is_summary', (SELECT is_summary_message FROM messages AS x WHERE x.rowid = m.rowid),
           'parts', CASE WHEN typeof(m.parts) = 'text' AND json_valid(m.parts)
                         THEN json(m.parts) ELSE CAST(m.parts AS TEXT) END)
  FROM messages AS m, absent
  WHERE :session IS NULL OR m.session_id = :session
)
ORDER BY session, k1, k2, k3;
