-- Crush's database (<project>/.crush/crush.db; charmbracelet/crush
-- internal/db/migrations up to 20260127000000). Two statements
-- (ext/write/agent_db.hpp): the sessions with what identifies their version,
-- then the export, one JSON line per row, read by ext/native/crush.cpp
-- (docs/reference/adapters.md, "Crush"). Times are Unix seconds (the first
-- migration's comments say milliseconds: a value above 10^10 is read as
-- such).
--
-- No value can fail the statement or make a line that isn't JSON: a JSON
-- column that is not valid JSON reaches the reader as a string, which it
-- reports; a BLOB (which json_object refuses) and an infinite REAL (which it
-- writes as Inf) become strings saying what they were, which the reader
-- reports like any value of the wrong kind.
--
-- Columns later migrations added (sessions.summary_message_id 2025-05,
-- messages.provider 2025-06, messages.is_summary_message 2025-08) are read
-- through a correlated subquery: when the table lacks the column, the name
-- falls back to the NULL of `absent`, so one file reads every version.

-- 1. The sessions: every session row, and any session id that only its
-- messages name. Crush rewrites a message row in place while it streams
-- (parts, finished_at, updated_at in seconds): the count, the latest time
-- and the total of the times move when anything of the session changes.
WITH message_facts AS (
  SELECT session_id,
         max(CASE WHEN updated_at > 10000000000 THEN updated_at ELSE updated_at * 1000 END)
           AS changed,
         count(*) AS n, total(updated_at) + total(coalesce(finished_at, 0)) AS times
  FROM messages GROUP BY session_id
),
-- Every session id: of the session rows and of the groups above (one row
-- each, not every message).
ids(id) AS (
  SELECT id FROM sessions
  UNION
  SELECT session_id FROM message_facts
)
SELECT ids.id AS session,
       -- At most the year 2262 (lethe_sync keeps it in nanoseconds): a hostile
       -- time (a BLOB, an infinite REAL) can't overflow it.
       CAST(min(max(coalesce(CASE WHEN s.updated_at > 10000000000 THEN s.updated_at
                                  ELSE s.updated_at * 1000 END, 0),
                    coalesce(m.changed, 0)),
                9223372036854) AS INTEGER) AS changed_ms,
       (s.id IS NOT NULL) + coalesce(m.n, 0) AS rows,
       CAST(coalesce(m.times, 0) + total(s.updated_at) + total(s.prompt_tokens)
            + total(s.completion_tokens) AS INTEGER) AS checksum
FROM ids
LEFT JOIN sessions AS s ON s.id = ids.id
LEFT JOIN message_facts AS m ON m.session_id = ids.id
GROUP BY ids.id
ORDER BY ids.id;

-- 2. The export: the session record (first, naming the agent, with the
-- session's counters), then its messages in Crush's own order (created_at,
-- then insertion order; milliseconds and seconds compared as such). Message
-- lines name their session, for a session whose row is missing. The wanted
-- sessions are joined to the rows (not `:session IS NULL OR ...`), so that
-- each session's messages are found through Crush's index. A message's
-- parts column is handed out raw (json_columns = 1) and put into its line
-- as "parts" by write/agent_db.cpp: as it is when it is JSON (checked there
-- by lethe's own scanner, not by json_valid and a concatenation of the
-- line here), else as a JSON string.
WITH absent AS (
  SELECT NULL AS provider, NULL AS is_summary_message, NULL AS summary_message_id
),
wanted(id) AS (
  SELECT :session WHERE :session IS NOT NULL
  UNION ALL
  SELECT id FROM (SELECT id FROM sessions UNION SELECT session_id FROM messages)
  WHERE :session IS NULL
)
SELECT session, line, json_columns, parts AS parts FROM (
  SELECT s.id AS session, 0 AS k1, 0 AS k2, 0 AS k3,
         json_object(
             'record',
               'session',
             'agent',
               'crush',
             'id',
               CASE typeof(s.id) WHEN 'blob' THEN '(a BLOB of ' || length(s.id) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.id) = 9e999, '(an infinite number)', s.id)
                 ELSE s.id END,
             'parent_session_id',
               CASE typeof(s.parent_session_id) WHEN 'blob' THEN '(a BLOB of ' || length(s.parent_session_id) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.parent_session_id) = 9e999, '(an infinite number)', s.parent_session_id)
                 ELSE s.parent_session_id END,
             'message_count',
               CASE typeof(s.message_count) WHEN 'blob' THEN '(a BLOB of ' || length(s.message_count) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.message_count) = 9e999, '(an infinite number)', s.message_count)
                 ELSE s.message_count END,
             'prompt_tokens',
               CASE typeof(s.prompt_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(s.prompt_tokens) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.prompt_tokens) = 9e999, '(an infinite number)', s.prompt_tokens)
                 ELSE s.prompt_tokens END,
             'completion_tokens',
               CASE typeof(s.completion_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(s.completion_tokens) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.completion_tokens) = 9e999, '(an infinite number)', s.completion_tokens)
                 ELSE s.completion_tokens END,
             'cost',
               CASE typeof(s.cost) WHEN 'blob' THEN '(a BLOB of ' || length(s.cost) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.cost) = 9e999, '(an infinite number)', s.cost)
                 ELSE s.cost END,
             'summary_message_id',
               (SELECT CASE typeof(summary_message_id) WHEN 'blob' THEN '(a BLOB of ' || length(summary_message_id) || ' bytes)'
                         WHEN 'real' THEN iif(abs(summary_message_id) = 9e999, '(an infinite number)', summary_message_id)
                         ELSE summary_message_id END
                FROM sessions AS x WHERE x.rowid = s.rowid),
             'created_at',
               strftime('%Y-%m-%dT%H:%M:%fZ',
                 CASE WHEN s.created_at > 10000000000 THEN s.created_at / 1000.0 ELSE s.created_at END, 'unixepoch'),
             'updated_at',
               strftime('%Y-%m-%dT%H:%M:%fZ',
                 CASE WHEN s.updated_at > 10000000000 THEN s.updated_at / 1000.0 ELSE s.updated_at END, 'unixepoch')) AS line,
         0 AS json_columns, NULL AS parts
  FROM wanted JOIN sessions AS s ON s.id = wanted.id, absent
  UNION ALL
  SELECT m.session_id, 1,
         CASE WHEN m.created_at > 10000000000 THEN m.created_at ELSE m.created_at * 1000 END,
         m.rowid,
         json_object(
             'record',
               'message',
             'session',
               CASE typeof(m.session_id) WHEN 'blob' THEN '(a BLOB of ' || length(m.session_id) || ' bytes)'
                 WHEN 'real' THEN iif(abs(m.session_id) = 9e999, '(an infinite number)', m.session_id)
                 ELSE m.session_id END,
             'id',
               CASE typeof(m.id) WHEN 'blob' THEN '(a BLOB of ' || length(m.id) || ' bytes)'
                 WHEN 'real' THEN iif(abs(m.id) = 9e999, '(an infinite number)', m.id)
                 ELSE m.id END,
             'role',
               CASE typeof(m.role) WHEN 'blob' THEN '(a BLOB of ' || length(m.role) || ' bytes)'
                 WHEN 'real' THEN iif(abs(m.role) = 9e999, '(an infinite number)', m.role)
                 ELSE m.role END,
             'time',
               strftime('%Y-%m-%dT%H:%M:%fZ',
                 CASE WHEN m.created_at > 10000000000 THEN m.created_at / 1000.0 ELSE m.created_at END, 'unixepoch'),
             'finished',
               strftime('%Y-%m-%dT%H:%M:%fZ',
                 CASE WHEN m.finished_at > 10000000000 THEN m.finished_at / 1000.0 ELSE m.finished_at END, 'unixepoch'),
             'model',
               CASE typeof(m.model) WHEN 'blob' THEN '(a BLOB of ' || length(m.model) || ' bytes)'
                 WHEN 'real' THEN iif(abs(m.model) = 9e999, '(an infinite number)', m.model)
                 ELSE m.model END,
             'provider',
               (SELECT CASE typeof(provider) WHEN 'blob' THEN '(a BLOB of ' || length(provider) || ' bytes)'
                         WHEN 'real' THEN iif(abs(provider) = 9e999, '(an infinite number)', provider)
                         ELSE provider END
                FROM messages AS x WHERE x.rowid = m.rowid),
             'is_summary',
               (SELECT CASE typeof(is_summary_message) WHEN 'blob' THEN '(a BLOB of ' || length(is_summary_message) || ' bytes)'
                         WHEN 'real' THEN iif(abs(is_summary_message) = 9e999, '(an infinite number)', is_summary_message)
                         ELSE is_summary_message END
                FROM messages AS x WHERE x.rowid = m.rowid)),
         1, m.parts
  FROM wanted JOIN messages AS m ON m.session_id = wanted.id, absent
)
ORDER BY session, k1, k2, k3;
