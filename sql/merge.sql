-- lethe merge pack: a view that turns the stored sessions and turns back into
-- wire-v1 lines, so that one machine's database can be merged into another
-- (a central one) with lethe_ingest itself.
--
-- Apply it to the database you merge FROM (the laptop's), once or as often as
-- you like (idempotent; it only creates a view and needs neither lethe nor
-- JSON1 beyond json_quote, which every SQLite since 3.38 has):
--   sqlite3 laptop.db < sql/merge.sql
-- Then, in the central database, with lethe loaded:
--   ATTACH 'laptop.db' AS laptop;
--   SELECT * FROM lethe_ingest('ana',
--     (SELECT group_concat(line, char(10)) FROM laptop.lethe_wire_lines
--      WHERE owner = 'ana'));
--   DETACH laptop;
-- The owner is not part of a line (wire-v1: the caller decides whose data it
-- is), so merge one owner per call and filter the view by owner.
--
--   lethe_wire_lines(owner, tool, host, session_id, turn_id, line)
--     one row per stored turn; `line` is its wire-v1 line (for one turn of a
--     session whose end outlives its turns, two lines: see "ended_at"
--     below). Rows may be concatenated in any order.
--
-- What a line carries: every field of wire-v1 section 3 with the stored value
-- of its turn, and session_meta with the stored session's started_at,
-- working_dir, source_file and metadata. The JSON columns (tool_calls,
-- metadata, sessions.metadata) are embedded as the exact bytes stored, not
-- re-encoded: 1.10 stays 1.10, 123456789012345678901234567890 keeps every
-- digit, keys keep their order and \u escapes stay as written. Text fields
-- are JSON strings from json_quote (an embedded U+0000 in content becomes
-- \u0000 and is stored again as U+0000). Times are the stored UTC form, which
-- lethe accepts and stores unchanged. cost_usd is written with the shortest
-- of 15 or 17 significant digits that reads back as the same double.
--
-- Why merging gives what ingesting everything in one database gives
-- (wire-v1 section 7; tested as a property in tests/e2e_merge_test.cpp):
-- - turns: last write wins, and each line carries every column of its turn;
-- - sessions: started_at is a MIN, and every line says session_meta.started_at
--   = the stored start; working_dir, source_file and metadata keep the first
--   non-null value, and every line carries the stored one;
-- - ended_at is a MAX over the timestamps a session's lines ever had. When a
--   turn was re-sent with an earlier timestamp, the stored ended_at is later
--   than every stored turn. Then the row of the session's first turn (lowest
--   turn_id) holds two lines: that turn with timestamp = ended_at, then the
--   turn's real line, which overwrites it (same key, the later line wins)
--   and leaves ended_at behind. Both are in one value, because SQLite does
--   not promise the order in which group_concat sees a view's rows (an
--   automatic index can reorder them).
-- - a session with no turns (deleted by hand) has no line and is not merged.
--
-- Merging twice, or merging a database into itself, changes nothing. Merging
-- A then B, or B then A, gives the same sessions' starts and ends, and the
-- same turns wherever a turn key was not written on both machines (where it
-- was, the later merge wins, as the later batch would).
--
-- Size: a group_concat value is limited by SQLite's SQLITE_MAX_LENGTH
-- (1,000,000,000 bytes by default). For a larger database merge in pieces,
-- for example per tool or per month:
--   SELECT * FROM lethe_ingest('ana', (SELECT group_concat(line, char(10))
--     FROM laptop.lethe_wire_lines WHERE owner = 'ana' AND tool = 'codex'));

SAVEPOINT lethe_merge_pack;

DROP VIEW IF EXISTS lethe_wire_lines;
CREATE VIEW lethe_wire_lines AS
WITH
  -- Sessions whose ended_at no stored turn reaches: their first turn (by
  -- turn_id) carries the end.
  late_end AS (
    SELECT s.owner, s.tool, s.host, s.session_id, s.ended_at,
           (SELECT min(t.turn_id) FROM turns AS t
             WHERE t.owner = s.owner AND t.tool = s.tool AND t.host = s.host
               AND t.session_id = s.session_id) AS turn_id
    FROM sessions AS s
    WHERE s.ended_at > (SELECT max(t.timestamp) FROM turns AS t
                         WHERE t.owner = s.owner AND t.tool = s.tool
                           AND t.host = s.host AND t.session_id = s.session_id)
  ),
  -- A turn's line without its timestamp: head || timestamp || tail.
  parts AS (
    SELECT
      t.owner, t.tool, t.host, t.session_id, t.turn_id, t.timestamp,
      l.ended_at AS late_end,
      '{"tool":' || json_quote(t.tool) ||
      ',"host":' || json_quote(t.host) ||
      ',"session_id":' || json_quote(t.session_id) ||
      ',"turn_id":' || json_quote(t.turn_id) ||
      ',"seq":' || t.seq ||
      ',"role":' || json_quote(t.role) ||
      ',"timestamp":' AS head,
      ',"content":' || json_quote(t.content) ||
      ',"model":' || json_quote(t.model) ||
      ',"tokens_in":' || coalesce(t.tokens_in, 'null') ||
      ',"tokens_out":' || coalesce(t.tokens_out, 'null') ||
      ',"cost_usd":' || CASE
          WHEN t.cost_usd IS NULL THEN 'null'
          WHEN CAST(CAST(t.cost_usd AS TEXT) AS REAL) = t.cost_usd
            THEN CAST(t.cost_usd AS TEXT)
          ELSE printf('%!.17g', t.cost_usd) END ||
      ',"tool_calls":' || coalesce(t.tool_calls, 'null') ||
      ',"metadata":' || coalesce(t.metadata, 'null') ||
      ',"session_meta":{"started_at":' || json_quote(s.started_at) ||
      ',"working_dir":' || json_quote(s.working_dir) ||
      ',"source_file":' || json_quote(s.source_file) ||
      ',"metadata":' || coalesce(s.metadata, 'null') || '}}' AS tail
    FROM turns AS t
    JOIN sessions AS s
      ON s.owner = t.owner AND s.tool = t.tool AND s.host = t.host
     AND s.session_id = t.session_id
    LEFT JOIN late_end AS l
      ON l.owner = t.owner AND l.tool = t.tool AND l.host = t.host
     AND l.session_id = t.session_id AND l.turn_id = t.turn_id
  )
SELECT
  owner, tool, host, session_id, turn_id,
  -- The carrier of a late end is written first and overwritten by the real
  -- line right after it, inside the same value: no row order is relied on.
  CASE WHEN late_end IS NULL THEN ''
       ELSE head || json_quote(late_end) || tail || char(10) END ||
  head || json_quote(timestamp) || tail AS line
FROM parts;

RELEASE lethe_merge_pack;
