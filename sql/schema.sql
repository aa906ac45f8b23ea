-- lethe schema, wire contract v1 section 8. Idempotent: safe to apply to a
-- database that already has it.
--
-- Times are TEXT in the one form lethe writes, 'YYYY-MM-DDTHH:MM:SS.sssZ'
-- (UTC, always 24 characters), so they sort as text in time order and work
-- with SQLite's date functions.

CREATE TABLE IF NOT EXISTS sessions (
  owner       TEXT NOT NULL,
  tool        TEXT NOT NULL,
  host        TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  ended_at    TEXT NOT NULL,
  working_dir TEXT,
  source_file TEXT,
  metadata    TEXT,
  PRIMARY KEY (owner, tool, host, session_id)
) STRICT;

CREATE TABLE IF NOT EXISTS turns (
  owner       TEXT NOT NULL,
  tool        TEXT NOT NULL,
  host        TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  turn_id     TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  role        TEXT NOT NULL,
  timestamp   TEXT NOT NULL,
  content     TEXT,
  model       TEXT,
  tokens_in   INTEGER,
  tokens_out  INTEGER,
  cost_usd    REAL,
  tool_calls  TEXT,
  metadata    TEXT,
  PRIMARY KEY (owner, tool, host, session_id, turn_id),
  FOREIGN KEY (owner, tool, host, session_id)
    REFERENCES sessions (owner, tool, host, session_id) ON DELETE CASCADE
) STRICT;

-- "The turns of one session in seq order."
CREATE INDEX IF NOT EXISTS turns_by_session_seq
  ON turns (owner, tool, host, session_id, seq);

-- lethe's write path (not meant to be written by hand). lethe_ingest writes
-- each chunk of a batch with ONE statement, `INSERT INTO lethe_sink SELECT
-- ... FROM lethe_sink_rows(?)`, and this trigger does both upserts of each
-- row. A statement is atomic in every context SQLite has (even nested inside
-- a caller's INSERT ... SELECT, where SAVEPOINT is refused), which is what
-- makes a line, and a call, all-or-nothing. `lethe_sink_row(i)` records how
-- far the statement got, so a failed statement names the line at fault; the
-- row with a NULL owner is lethe's end-of-chunk sentinel and writes nothing.
CREATE VIEW IF NOT EXISTS lethe_sink AS
  SELECT
    NULL AS owner, NULL AS tool, NULL AS host, NULL AS session_id,
    NULL AS turn_id, NULL AS seq, NULL AS role, NULL AS timestamp,
    NULL AS content, NULL AS model, NULL AS tokens_in, NULL AS tokens_out,
    NULL AS cost_usd, NULL AS tool_calls, NULL AS metadata,
    NULL AS started_at, NULL AS working_dir, NULL AS source_file,
    NULL AS session_metadata, NULL AS row_index
  WHERE 0;

CREATE TRIGGER IF NOT EXISTS lethe_sink_write
INSTEAD OF INSERT ON lethe_sink
BEGIN
  SELECT lethe_sink_row(NEW.row_index);

  -- Session: start = MIN, end = MAX, descriptive columns first non-null wins.
  INSERT INTO sessions (owner, tool, host, session_id, started_at, ended_at,
                        working_dir, source_file, metadata)
  SELECT NEW.owner, NEW.tool, NEW.host, NEW.session_id,
         coalesce(NEW.started_at, NEW.timestamp), NEW.timestamp,
         NEW.working_dir, NEW.source_file, NEW.session_metadata
  WHERE NEW.owner IS NOT NULL
  ON CONFLICT (owner, tool, host, session_id) DO UPDATE SET
    started_at  = min(started_at, excluded.started_at),
    ended_at    = max(ended_at, excluded.ended_at),
    working_dir = coalesce(working_dir, excluded.working_dir),
    source_file = coalesce(source_file, excluded.source_file),
    metadata    = coalesce(metadata, excluded.metadata);

  -- Turn: last write wins, every non-key column, NULLs included.
  INSERT INTO turns (owner, tool, host, session_id, turn_id, seq, role,
                     timestamp, content, model, tokens_in, tokens_out,
                     cost_usd, tool_calls, metadata)
  SELECT NEW.owner, NEW.tool, NEW.host, NEW.session_id, NEW.turn_id, NEW.seq,
         NEW.role, NEW.timestamp, NEW.content, NEW.model, NEW.tokens_in,
         NEW.tokens_out, NEW.cost_usd, NEW.tool_calls, NEW.metadata
  WHERE NEW.owner IS NOT NULL
  ON CONFLICT (owner, tool, host, session_id, turn_id) DO UPDATE SET
    seq = excluded.seq, role = excluded.role, timestamp = excluded.timestamp,
    content = excluded.content, model = excluded.model,
    tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out,
    cost_usd = excluded.cost_usd, tool_calls = excluded.tool_calls,
    metadata = excluded.metadata;
END;
