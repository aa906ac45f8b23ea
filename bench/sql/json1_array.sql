-- Method "json1-array": the pure-SQL route a user would write without lethe,
-- one statement over the file, nothing but SQLite's JSON1 functions:
--   * the batch becomes ONE JSON array: '[' || replace(lines, LF, ',') || ']'
--     (linear; a recursive CTE that splits on instr()/substr() is quadratic
--     on a 150 MB text), and json_each walks it;
--   * json_extract (->>) per field, strftime() normalizes the timestamps to
--     lethe's stored form ('%Y-%m-%dT%H:%M:%fZ'), so the rows written are the
--     same as lethe's (bench/run checks this with sha3 of both tables);
--   * a TEMP view + INSTEAD OF trigger does the same two upserts as
--     sql/schema.sql's trigger (sessions MIN/MAX/coalesce, turns last write
--     wins), so each line is parsed once (json_extract caches the parse of a
--     text across calls) and both upserts see it in input order.
-- No validation: one malformed line fails the whole batch; blank lines and
-- CRLF are not handled. Holds the whole array and its parse in memory.
-- bench/run substitutes @CORPUS@.
.mode list
SELECT 'T0', (julianday('now') - 2440587.5) * 86400.0;
BEGIN;
CREATE TEMP VIEW sink AS SELECT NULL AS j WHERE 0;
CREATE TEMP TRIGGER sink_write INSTEAD OF INSERT ON sink
BEGIN
  INSERT INTO sessions (owner, tool, host, session_id, started_at, ended_at,
                        working_dir, source_file, metadata)
  SELECT 'bench', NEW.j ->> 'tool', NEW.j ->> 'host', NEW.j ->> 'session_id',
         strftime('%Y-%m-%dT%H:%M:%fZ',
                  coalesce(NEW.j ->> '$.session_meta.started_at', NEW.j ->> 'timestamp')),
         strftime('%Y-%m-%dT%H:%M:%fZ', NEW.j ->> 'timestamp'),
         NEW.j ->> '$.session_meta.working_dir', NEW.j ->> '$.session_meta.source_file',
         NEW.j ->> '$.session_meta.metadata'
  WHERE true
  ON CONFLICT (owner, tool, host, session_id) DO UPDATE SET
    started_at  = min(started_at, excluded.started_at),
    ended_at    = max(ended_at, excluded.ended_at),
    working_dir = coalesce(working_dir, excluded.working_dir),
    source_file = coalesce(source_file, excluded.source_file),
    metadata    = coalesce(metadata, excluded.metadata);
  INSERT INTO turns (owner, tool, host, session_id, turn_id, seq, role,
                     timestamp, content, model, tokens_in, tokens_out,
                     cost_usd, tool_calls, metadata)
  SELECT 'bench', NEW.j ->> 'tool', NEW.j ->> 'host', NEW.j ->> 'session_id',
         NEW.j ->> 'turn_id', NEW.j ->> 'seq', NEW.j ->> 'role',
         strftime('%Y-%m-%dT%H:%M:%fZ', NEW.j ->> 'timestamp'),
         NEW.j ->> 'content', NEW.j ->> 'model', NEW.j ->> 'tokens_in',
         NEW.j ->> 'tokens_out', NEW.j ->> 'cost_usd', NEW.j ->> 'tool_calls',
         NEW.j ->> 'metadata'
  WHERE true
  ON CONFLICT (owner, tool, host, session_id, turn_id) DO UPDATE SET
    seq = excluded.seq, role = excluded.role, timestamp = excluded.timestamp,
    content = excluded.content, model = excluded.model,
    tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out,
    cost_usd = excluded.cost_usd, tool_calls = excluded.tool_calls,
    metadata = excluded.metadata;
END;
INSERT INTO sink (j)
  SELECT value FROM json_each(
    '[' || replace(rtrim(CAST(readfile('@CORPUS@') AS TEXT), char(10)), char(10), ',') || ']');
COMMIT;
SELECT 'T1', (julianday('now') - 2440587.5) * 86400.0;
