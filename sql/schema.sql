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
-- each chunk of a batch with ONE statement,
--   INSERT INTO lethe_sink (row_index) SELECT row_index FROM lethe_sink_rows(?)
-- and this trigger does both upserts of each row. A statement is atomic in
-- every context SQLite has (even nested inside a caller's INSERT ... SELECT,
-- where SAVEPOINT is refused), which is what makes a line, and a call,
-- all-or-nothing.
--
-- Only the row's index passes through the view: SQLite copies the rows of an
-- INSERT into a view into a temporary table before the trigger runs, so the
-- values stay in lethe's memory and the trigger fetches them with
-- lethe_sink_value(k). lethe_sink_row(i) selects row i and records how far
-- the statement got, so a failed statement names the line at fault.
-- Value indexes: 0 owner, 1 tool, 2 host, 3 session_id, 4 turn_id, 5 seq,
-- 6 role, 7 timestamp, 8 content, 9 model, 10 tokens_in, 11 tokens_out,
-- 12 cost_usd, 13 tool_calls, 14 metadata, 15 session_meta.started_at,
-- 16 working_dir, 17 source_file, 18 session_meta.metadata.
CREATE VIEW IF NOT EXISTS lethe_sink AS SELECT NULL AS row_index WHERE 0;

CREATE TRIGGER IF NOT EXISTS lethe_sink_write
INSTEAD OF INSERT ON lethe_sink
BEGIN
  SELECT lethe_sink_row(NEW.row_index);

  -- Session: start = MIN, end = MAX, descriptive columns first non-null wins.
  INSERT INTO sessions (owner, tool, host, session_id, started_at, ended_at,
                        working_dir, source_file, metadata)
  VALUES (lethe_sink_value(0), lethe_sink_value(1), lethe_sink_value(2),
          lethe_sink_value(3), coalesce(lethe_sink_value(15), lethe_sink_value(7)),
          lethe_sink_value(7), lethe_sink_value(16), lethe_sink_value(17),
          lethe_sink_value(18))
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
  VALUES (lethe_sink_value(0), lethe_sink_value(1), lethe_sink_value(2),
          lethe_sink_value(3), lethe_sink_value(4), lethe_sink_value(5),
          lethe_sink_value(6), lethe_sink_value(7), lethe_sink_value(8),
          lethe_sink_value(9), lethe_sink_value(10), lethe_sink_value(11),
          lethe_sink_value(12), lethe_sink_value(13), lethe_sink_value(14))
  ON CONFLICT (owner, tool, host, session_id, turn_id) DO UPDATE SET
    seq = excluded.seq, role = excluded.role, timestamp = excluded.timestamp,
    content = excluded.content, model = excluded.model,
    tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out,
    cost_usd = excluded.cost_usd, tool_calls = excluded.tool_calls,
    metadata = excluded.metadata;
END;
