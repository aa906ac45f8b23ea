-- Method "json1-import": the same JSON1 work as json1_array.sql, but the
-- lines come through a helper table: the shell's .import in ascii mode with
-- LF as the row separator and an unused byte (0x1F, which JSON text never
-- holds raw) as the column separator loads one line per row into a TEMP
-- table, streaming, without CSV quote handling. Then json_extract (->>) per
-- field, strftime() for the timestamps, and the same TEMP view + INSTEAD OF
-- trigger doing sql/schema.sql's two upserts. No validation. This is the
-- fastest JSON1 route we found (bench/README.md); .import is a shell command,
-- so it is "SQL plus the shell", not one SQL statement.
-- bench/run substitutes @CORPUS@.
.mode list
SELECT 'T0', (julianday('now') - 2440587.5) * 86400.0;
BEGIN;
CREATE TEMP TABLE lines (j TEXT);
.mode ascii
.separator "\037" "\n"
.import "@CORPUS@" lines
.mode list
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
INSERT INTO sink (j) SELECT j FROM temp.lines ORDER BY rowid;
COMMIT;
SELECT 'T1', (julianday('now') - 2440587.5) * 86400.0;
