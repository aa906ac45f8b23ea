-- Goose's database (sessions/sessions.db, schema 15 or later: the version
-- that added usage_ledger; an older one is UNKNOWN_SCHEMA). Two statements
-- (ext/write/agent_db.hpp): the sessions with what identifies their version,
-- then the export, one JSON line per row, read by ext/native/goose.cpp
-- (docs/reference/adapters.md, "Goose"). A JSON column that is not valid
-- JSON reaches the reader as a string, which it reports: one bad row never
-- fails the statement. messages.created_timestamp and
-- usage_ledger.created_timestamp are Unix seconds (Goose reads a value above
-- 10^10 as milliseconds, and so does this file); sessions.created_at and
-- updated_at are SQLite TIMESTAMP text.

-- 1. The sessions: every session row, and any session id that only its
-- messages or usage rows name. Goose appends messages and usage rows and
-- rewrites a conversation by deleting and inserting its messages again (new
-- ids): the count, the latest time and the total of the row ids move when
-- anything of the session changes.
WITH ids(id) AS (
  SELECT id FROM sessions
  UNION
  SELECT session_id FROM messages
  UNION
  SELECT session_id FROM usage_ledger
),
message_facts AS (
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
)
SELECT ids.id AS session,
       max(coalesce(CAST(strftime('%s', s.updated_at) AS INTEGER) * 1000, 0),
           coalesce(m.changed, 0), coalesce(u.changed, 0)) AS changed_ms,
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
-- the lines agrees on what the totals hold beyond the ledger), then its
-- messages in Goose's own order (messages.id), then its usage rows (one per
-- model request, usage_ledger.id order). Message and usage lines name their
-- session, for a session whose row is missing.
SELECT session, line FROM (
  SELECT s.id AS session, 0 AS k1, 0 AS k2,
         json_object(
           'record', 'session', 'agent', 'goose', 'id', s.id,
           'session_type', s.session_type, 'working_dir', s.working_dir,
           'created_at', strftime('%Y-%m-%dT%H:%M:%fZ', s.created_at),
           'updated_at', strftime('%Y-%m-%dT%H:%M:%fZ', s.updated_at),
           'provider_name', s.provider_name,
           'model_config', CASE WHEN typeof(s.model_config_json) = 'text'
                                     AND json_valid(s.model_config_json)
                                THEN json(s.model_config_json)
                                ELSE CAST(s.model_config_json AS TEXT) END,
           'parent_session_id', s.parent_session_id, 'schedule_id', s.schedule_id,
           'accumulated', json_object(
             'input_tokens', s.accumulated_input_tokens,
             'output_tokens', s.accumulated_output_tokens,
             'total_tokens', s.accumulated_total_tokens,
             'cache_read_tokens', s.accumulated_cache_read_tokens,
             'cache_write_tokens', s.accumulated_cache_write_tokens,
             'cost', s.accumulated_cost),
           -- total(): a hostile counter must not fail the statement with an
           -- integer overflow.
           'ledger', (SELECT json_object(
                               'requests', count(*),
                               'input_tokens', CAST(total(u.input_tokens) AS INTEGER),
                               'output_tokens', CAST(total(u.output_tokens) AS INTEGER),
                               'cost', iif(count(u.cost) > 0, total(u.cost), NULL))
                      FROM usage_ledger AS u WHERE u.session_id = s.id)) AS line
  FROM sessions AS s
  WHERE :session IS NULL OR s.id = :session
  UNION ALL
  SELECT m.session_id, 1, m.id,
         json_object(
           'record', 'message', 'session', m.session_id, 'row', m.id,
           'message_id', m.message_id, 'role', m.role,
           'time', strftime('%Y-%m-%dT%H:%M:%fZ',
                            CASE WHEN m.created_timestamp > 10000000000
                                 THEN m.created_timestamp / 1000.0
                                 ELSE m.created_timestamp END, 'unixepoch'),
           'content', CASE WHEN typeof(m.content_json) = 'text' AND json_valid(m.content_json)
                           THEN json(m.content_json) ELSE CAST(m.content_json AS TEXT) END,
           'metadata', CASE WHEN typeof(m.metadata_json) = 'text' AND json_valid(m.metadata_json)
                            THEN json(m.metadata_json) ELSE CAST(m.metadata_json AS TEXT) END)
  FROM messages AS m
  WHERE :session IS NULL OR m.session_id = :session
  UNION ALL
  SELECT u.session_id, 2, u.id,
         json_object(
           'record', 'usage', 'session', u.session_id, 'row', u.id,
           'time', strftime('%Y-%m-%dT%H:%M:%fZ',
                            CASE WHEN u.created_timestamp > 10000000000
                                 THEN u.created_timestamp / 1000.0
                                 ELSE u.created_timestamp END, 'unixepoch'),
           'model', u.model,
           'input_tokens', u.input_tokens, 'output_tokens', u.output_tokens,
           'total_tokens', u.total_tokens, 'cache_read_tokens', u.cache_read_tokens,
           'cache_write_tokens', u.cache_write_tokens,
           'cost', u.cost, 'cost_source', u.cost_source, 'is_compaction', u.is_compaction)
  FROM usage_ledger AS u
  WHERE :session IS NULL OR u.session_id = :session
)
ORDER BY session, k1, k2;
