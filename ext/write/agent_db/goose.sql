-- Goose (aaif-goose/goose, sessions/sessions.db, schema 15 or later: the
-- version that added usage_ledger). Runs on a read-only connection and
-- returns (session, line): per session, one "session" line, its
-- "message" lines in the order Goose stores them (messages.id), then its
-- "usage" lines (one per model request, usage_ledger.id order); the session
-- line carries the session's accumulated totals and its ledger's sums. Each line
-- is one JSON object, read by ext/native/goose.cpp
-- (docs/reference/adapters.md, "Goose").
--
-- A text column that should hold JSON but doesn't is passed on as a string
-- (json() would fail the whole query): the reader reports that row.
-- Times become RFC 3339 here: messages.created_timestamp is Unix seconds
-- (Goose reads a value above 10^10 as milliseconds, and so do we);
-- sessions.created_at/updated_at are SQLite TIMESTAMP text.
WITH
  message_rows AS (
    SELECT m.session_id AS session, 1 AS part, m.id AS row_order,
           json_object(
             'record', 'message',
             'row', m.id,
             'message_id', m.message_id,
             'role', m.role,
             'time', strftime('%Y-%m-%dT%H:%M:%fZ',
                              CASE WHEN m.created_timestamp > 10000000000
                                   THEN m.created_timestamp / 1000.0
                                   ELSE m.created_timestamp END, 'unixepoch'),
             'content', iif(json_valid(m.content_json), json(m.content_json), m.content_json),
             'metadata', iif(json_valid(m.metadata_json), json(m.metadata_json), m.metadata_json)
           ) AS line
    FROM messages AS m
  ),
  usage_rows AS (
    SELECT u.session_id AS session, 2 AS part, u.id AS row_order,
           json_object(
             'record', 'usage',
             'row', u.id,
             'time', strftime('%Y-%m-%dT%H:%M:%fZ',
                              CASE WHEN u.created_timestamp > 10000000000
                                   THEN u.created_timestamp / 1000.0
                                   ELSE u.created_timestamp END, 'unixepoch'),
             'model', u.model,
             'input_tokens', u.input_tokens,
             'output_tokens', u.output_tokens,
             'total_tokens', u.total_tokens,
             'cache_read_tokens', u.cache_read_tokens,
             'cache_write_tokens', u.cache_write_tokens,
             'cost', u.cost,
             'cost_source', u.cost_source,
             'is_compaction', u.is_compaction
           ) AS line
    FROM usage_ledger AS u
  ),
  -- What the ledger counted per session, so that the reader finds what the
  -- session's totals hold beyond it from the session line alone (total():
  -- a hostile counter must not fail the query with an integer overflow).
  ledger AS (
    SELECT session_id,
           CAST(total(input_tokens) AS INTEGER) AS input_tokens,
           CAST(total(output_tokens) AS INTEGER) AS output_tokens,
           iif(count(cost) > 0, total(cost), NULL) AS cost,
           count(*) AS requests
    FROM usage_ledger
    GROUP BY session_id
  ),
  session_rows AS (
    SELECT s.id AS session, 0 AS part, 0 AS row_order,
           json_object(
             'record', 'session',
             'agent', 'goose',
             'id', s.id,
             'session_type', s.session_type,
             'working_dir', s.working_dir,
             'created_at', strftime('%Y-%m-%dT%H:%M:%fZ', s.created_at),
             'updated_at', strftime('%Y-%m-%dT%H:%M:%fZ', s.updated_at),
             'provider_name', s.provider_name,
             'model_config', iif(json_valid(s.model_config_json), json(s.model_config_json),
                                 s.model_config_json),
             'parent_session_id', s.parent_session_id,
             'schedule_id', s.schedule_id,
             'accumulated', json_object(
               'input_tokens', s.accumulated_input_tokens,
               'output_tokens', s.accumulated_output_tokens,
               'total_tokens', s.accumulated_total_tokens,
               'cache_read_tokens', s.accumulated_cache_read_tokens,
               'cache_write_tokens', s.accumulated_cache_write_tokens,
               'cost', s.accumulated_cost),
             'ledger', json_object(
               'requests', coalesce(l.requests, 0),
               'input_tokens', coalesce(l.input_tokens, 0),
               'output_tokens', coalesce(l.output_tokens, 0),
               'cost', l.cost)
           ) AS line
    FROM sessions AS s LEFT JOIN ledger AS l ON l.session_id = s.id
  )
SELECT session, line
FROM (SELECT * FROM session_rows
      UNION ALL SELECT * FROM message_rows
      UNION ALL SELECT * FROM usage_rows)
ORDER BY session, part, row_order;
