-- The sink both JSON1 methods write through (json1_array.sql and
-- json1_import.sql .read it inside their transaction): a TEMP view whose
-- INSTEAD OF trigger does the same two upserts as sql/schema.sql's trigger
-- (sessions MIN/MAX/coalesce, turns last write wins), reading each field of
-- the line with ->> (json_extract caches the parse of a text across calls)
-- and normalizing the times with strftime() to lethe's stored form.
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
