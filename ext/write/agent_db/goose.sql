-- Goose's database (sessions/sessions.db, schema 15 or later: the version
-- that added usage_ledger; an older one is UNKNOWN_SCHEMA). Two statements
-- (ext/write/agent_db.hpp): the sessions with what identifies their version,
-- then the export, one JSON line per row, read by ext/native/goose.cpp
-- (docs/reference/adapters.md, "Goose"). messages.created_timestamp and
-- usage_ledger.created_timestamp are Unix seconds (goose reads a value above
-- 10^10 as milliseconds, and so does this file); sessions.created_at and
-- updated_at are SQLite TIMESTAMP text.
--
-- No value can fail the statement or make a line that isn't JSON: a JSON
-- column that is not valid JSON reaches the reader as a string, which it
-- reports; a BLOB (which json_object refuses) and an infinite REAL (which it
-- writes as Inf) become strings saying what they were, which the reader
-- reports like any value of the wrong kind.

-- 1. The sessions: every session row, and any session id that only its
-- messages or usage rows name. Goose appends messages and usage rows and
-- rewrites a conversation by deleting and inserting its messages again (new
-- ids): the count, the latest time and the total of the row ids move when
-- anything of the session changes.
WITH message_facts AS (
  SELECT session_id,
         max(CASE WHEN created_timestamp > 10000000000 THEN created_timestamp
                  ELSE created_timestamp * 1000 END) AS changed,
         count(*) AS n, total(id) AS ids
  FROM messages GROUP BY session_id
),
usage_facts AS (
  SELECT session_id,
         max(CASE WHEN created_timestamp > 10000000000 THEN created_timestamp
                  ELSE created_timestamp * 1000 END) AS changed,
         count(*) AS n, total(id) AS ids
  FROM usage_ledger GROUP BY session_id
),
-- Every session id: of the session rows and of the groups above (one row
-- each, not every message and usage row).
ids(id) AS (
  SELECT id FROM sessions
  UNION
  SELECT session_id FROM message_facts
  UNION
  SELECT session_id FROM usage_facts
)
SELECT ids.id AS session,
       -- At most the year 2262 (lethe_sync keeps it in nanoseconds): a hostile
       -- time (a BLOB, an infinite REAL) can't overflow it.
       CAST(min(max(coalesce(CAST(strftime('%s', s.updated_at) AS INTEGER) * 1000, 0),
                    coalesce(m.changed, 0), coalesce(u.changed, 0)),
                9223372036854) AS INTEGER) AS changed_ms,
       (s.id IS NOT NULL) + coalesce(m.n, 0) + coalesce(u.n, 0) AS rows,
       CAST(coalesce(m.ids, 0) + 7 * coalesce(u.ids, 0)
            + coalesce(CAST(strftime('%s', s.updated_at) AS INTEGER), 0) AS INTEGER) AS checksum
FROM ids
LEFT JOIN sessions AS s ON s.id = ids.id
LEFT JOIN message_facts AS m ON m.session_id = ids.id
LEFT JOIN usage_facts AS u ON u.session_id = ids.id
ORDER BY ids.id;

-- 2. The export: the session record (first, naming the agent, with the
-- session's accumulated totals and its ledger's sums, so that any prefix of
-- the lines agrees on what the totals hold beyond the ledger; total(): a
-- hostile counter must not fail the statement with an integer overflow),
-- then its messages in goose's own order (messages.id), then its usage rows
-- (one per model request, usage_ledger.id order). Message and usage lines
-- name their session, for a session whose row is missing. The wanted
-- sessions are joined to the rows (not `:session IS NULL OR ...`), so that
-- each session's rows are found through goose's indexes. A message's two
-- JSON columns are handed out raw (json_columns = 2) and put into its line
-- as "content" and "metadata" by write/agent_db.cpp: as they are when they
-- are JSON (checked there by lethe's own scanner, not by json_valid and a
-- concatenation of the line here), else as JSON strings.
WITH wanted(id) AS (
  SELECT :session WHERE :session IS NOT NULL
  UNION ALL
  SELECT id FROM (SELECT id FROM sessions UNION SELECT session_id FROM messages
                  UNION SELECT session_id FROM usage_ledger)
  WHERE :session IS NULL
)
SELECT session, line, json_columns, content AS content, metadata AS metadata FROM (
  SELECT s.id AS session, 0 AS k1, 0 AS k2,
         json_object(
             'record',
               'session',
             'agent',
               'goose',
             'id',
               CASE typeof(s.id) WHEN 'blob' THEN '(a BLOB of ' || length(s.id) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.id) = 9e999, '(an infinite number)', s.id)
                 ELSE s.id END,
             'session_type',
               CASE typeof(s.session_type) WHEN 'blob' THEN '(a BLOB of ' || length(s.session_type) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.session_type) = 9e999, '(an infinite number)', s.session_type)
                 ELSE s.session_type END,
             'working_dir',
               CASE typeof(s.working_dir) WHEN 'blob' THEN '(a BLOB of ' || length(s.working_dir) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.working_dir) = 9e999, '(an infinite number)', s.working_dir)
                 ELSE s.working_dir END,
             'created_at',
               strftime('%Y-%m-%dT%H:%M:%fZ', s.created_at),
             'updated_at',
               strftime('%Y-%m-%dT%H:%M:%fZ', s.updated_at),
             'provider_name',
               CASE typeof(s.provider_name) WHEN 'blob' THEN '(a BLOB of ' || length(s.provider_name) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.provider_name) = 9e999, '(an infinite number)', s.provider_name)
                 ELSE s.provider_name END,
             'model_config',
               CASE WHEN typeof(s.model_config_json) = 'text' AND json_valid(s.model_config_json) THEN json(s.model_config_json)
                 WHEN typeof(s.model_config_json) = 'blob' THEN '(a BLOB of ' || length(s.model_config_json) || ' bytes)'
                 ELSE s.model_config_json END,
             'parent_session_id',
               CASE typeof(s.parent_session_id) WHEN 'blob' THEN '(a BLOB of ' || length(s.parent_session_id) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.parent_session_id) = 9e999, '(an infinite number)', s.parent_session_id)
                 ELSE s.parent_session_id END,
             'schedule_id',
               CASE typeof(s.schedule_id) WHEN 'blob' THEN '(a BLOB of ' || length(s.schedule_id) || ' bytes)'
                 WHEN 'real' THEN iif(abs(s.schedule_id) = 9e999, '(an infinite number)', s.schedule_id)
                 ELSE s.schedule_id END,
             'accumulated',
               json_object(
                 'input_tokens',
                   CASE typeof(s.accumulated_input_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(s.accumulated_input_tokens) || ' bytes)'
                     WHEN 'real' THEN iif(abs(s.accumulated_input_tokens) = 9e999, '(an infinite number)', s.accumulated_input_tokens)
                     ELSE s.accumulated_input_tokens END,
                 'output_tokens',
                   CASE typeof(s.accumulated_output_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(s.accumulated_output_tokens) || ' bytes)'
                     WHEN 'real' THEN iif(abs(s.accumulated_output_tokens) = 9e999, '(an infinite number)', s.accumulated_output_tokens)
                     ELSE s.accumulated_output_tokens END,
                 'total_tokens',
                   CASE typeof(s.accumulated_total_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(s.accumulated_total_tokens) || ' bytes)'
                     WHEN 'real' THEN iif(abs(s.accumulated_total_tokens) = 9e999, '(an infinite number)', s.accumulated_total_tokens)
                     ELSE s.accumulated_total_tokens END,
                 'cache_read_tokens',
                   CASE typeof(s.accumulated_cache_read_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(s.accumulated_cache_read_tokens) || ' bytes)'
                     WHEN 'real' THEN iif(abs(s.accumulated_cache_read_tokens) = 9e999, '(an infinite number)', s.accumulated_cache_read_tokens)
                     ELSE s.accumulated_cache_read_tokens END,
                 'cache_write_tokens',
                   CASE typeof(s.accumulated_cache_write_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(s.accumulated_cache_write_tokens) || ' bytes)'
                     WHEN 'real' THEN iif(abs(s.accumulated_cache_write_tokens) = 9e999, '(an infinite number)', s.accumulated_cache_write_tokens)
                     ELSE s.accumulated_cache_write_tokens END,
                 'cost',
                   CASE typeof(s.accumulated_cost) WHEN 'blob' THEN '(a BLOB of ' || length(s.accumulated_cost) || ' bytes)'
                     WHEN 'real' THEN iif(abs(s.accumulated_cost) = 9e999, '(an infinite number)', s.accumulated_cost)
                     ELSE s.accumulated_cost END),
             'ledger',
               (SELECT json_object(
                 'requests', count(*),
                 'input_tokens', CAST(total(u.input_tokens) AS INTEGER),
                 'output_tokens', CAST(total(u.output_tokens) AS INTEGER),
                 'cost', iif(count(u.cost) = 0, NULL,
                             iif(abs(total(u.cost)) = 9e999, '(an infinite number)',
                                 total(u.cost))))
               FROM usage_ledger AS u WHERE u.session_id = s.id)) AS line,
         0 AS json_columns, NULL AS content, NULL AS metadata
  FROM wanted JOIN sessions AS s ON s.id = wanted.id
  UNION ALL
  SELECT m.session_id, 1, m.id,
         json_object(
             'record',
               'message',
             'session',
               CASE typeof(m.session_id) WHEN 'blob' THEN '(a BLOB of ' || length(m.session_id) || ' bytes)'
                 WHEN 'real' THEN iif(abs(m.session_id) = 9e999, '(an infinite number)', m.session_id)
                 ELSE m.session_id END,
             'row',
               m.id,
             'message_id',
               CASE typeof(m.message_id) WHEN 'blob' THEN '(a BLOB of ' || length(m.message_id) || ' bytes)'
                 WHEN 'real' THEN iif(abs(m.message_id) = 9e999, '(an infinite number)', m.message_id)
                 ELSE m.message_id END,
             'role',
               CASE typeof(m.role) WHEN 'blob' THEN '(a BLOB of ' || length(m.role) || ' bytes)'
                 WHEN 'real' THEN iif(abs(m.role) = 9e999, '(an infinite number)', m.role)
                 ELSE m.role END,
             'time',
               strftime('%Y-%m-%dT%H:%M:%fZ',
                 CASE WHEN m.created_timestamp > 10000000000 THEN m.created_timestamp / 1000.0 ELSE m.created_timestamp END, 'unixepoch')),
         2, m.content_json, m.metadata_json
  FROM wanted JOIN messages AS m ON m.session_id = wanted.id
  UNION ALL
  SELECT u.session_id, 2, u.id,
         json_object(
             'record',
               'usage',
             'session',
               CASE typeof(u.session_id) WHEN 'blob' THEN '(a BLOB of ' || length(u.session_id) || ' bytes)'
                 WHEN 'real' THEN iif(abs(u.session_id) = 9e999, '(an infinite number)', u.session_id)
                 ELSE u.session_id END,
             'row',
               u.id,
             'time',
               strftime('%Y-%m-%dT%H:%M:%fZ',
                 CASE WHEN u.created_timestamp > 10000000000 THEN u.created_timestamp / 1000.0 ELSE u.created_timestamp END, 'unixepoch'),
             'model',
               CASE typeof(u.model) WHEN 'blob' THEN '(a BLOB of ' || length(u.model) || ' bytes)'
                 WHEN 'real' THEN iif(abs(u.model) = 9e999, '(an infinite number)', u.model)
                 ELSE u.model END,
             'input_tokens',
               CASE typeof(u.input_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(u.input_tokens) || ' bytes)'
                 WHEN 'real' THEN iif(abs(u.input_tokens) = 9e999, '(an infinite number)', u.input_tokens)
                 ELSE u.input_tokens END,
             'output_tokens',
               CASE typeof(u.output_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(u.output_tokens) || ' bytes)'
                 WHEN 'real' THEN iif(abs(u.output_tokens) = 9e999, '(an infinite number)', u.output_tokens)
                 ELSE u.output_tokens END,
             'total_tokens',
               CASE typeof(u.total_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(u.total_tokens) || ' bytes)'
                 WHEN 'real' THEN iif(abs(u.total_tokens) = 9e999, '(an infinite number)', u.total_tokens)
                 ELSE u.total_tokens END,
             'cache_read_tokens',
               CASE typeof(u.cache_read_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(u.cache_read_tokens) || ' bytes)'
                 WHEN 'real' THEN iif(abs(u.cache_read_tokens) = 9e999, '(an infinite number)', u.cache_read_tokens)
                 ELSE u.cache_read_tokens END,
             'cache_write_tokens',
               CASE typeof(u.cache_write_tokens) WHEN 'blob' THEN '(a BLOB of ' || length(u.cache_write_tokens) || ' bytes)'
                 WHEN 'real' THEN iif(abs(u.cache_write_tokens) = 9e999, '(an infinite number)', u.cache_write_tokens)
                 ELSE u.cache_write_tokens END,
             'cost',
               CASE typeof(u.cost) WHEN 'blob' THEN '(a BLOB of ' || length(u.cost) || ' bytes)'
                 WHEN 'real' THEN iif(abs(u.cost) = 9e999, '(an infinite number)', u.cost)
                 ELSE u.cost END,
             'cost_source',
               CASE typeof(u.cost_source) WHEN 'blob' THEN '(a BLOB of ' || length(u.cost_source) || ' bytes)'
                 WHEN 'real' THEN iif(abs(u.cost_source) = 9e999, '(an infinite number)', u.cost_source)
                 ELSE u.cost_source END,
             'is_compaction',
               CASE typeof(u.is_compaction) WHEN 'blob' THEN '(a BLOB of ' || length(u.is_compaction) || ' bytes)'
                 WHEN 'real' THEN iif(abs(u.is_compaction) = 9e999, '(an infinite number)', u.is_compaction)
                 ELSE u.is_compaction END),
         0, NULL, NULL
  FROM wanted JOIN usage_ledger AS u ON u.session_id = wanted.id
)
ORDER BY session, k1, k2;
