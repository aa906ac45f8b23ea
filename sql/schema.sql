-- lethe schema: docs/reference/contract.md section 8. Safe to apply again to a
-- database that has it: the tables are created only when missing, and
-- lethe's write path (the view and trigger at the end) is replaced by this
-- version's, which is how a database reaches a new release's write path.
--
-- Times are TEXT in the one form lethe writes, 'YYYY-MM-DDTHH:MM:SS.sssZ'
-- (UTC, always 24 characters), so they sort as text in time order and work
-- with SQLite's date functions.
--
-- The text of each CREATE below is generated from ext/write/write_path.cpp (one
-- table of columns and merge rules) and checked by tests/unit_write_path_test:
-- lethe compares the stored text with its own before it writes.

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

-- lethe's write path (not meant to be written by hand). Inside a caller's
-- writing statement (INSERT ... SELECT), where SQLite refuses SAVEPOINT, and
-- wherever user triggers or constraints could see how lines are grouped,
-- lethe writes with ONE statement,
--   INSERT INTO lethe_sink (row_index) SELECT row_index FROM lethe_sink_rows(?)
-- and this trigger does both upserts of each row, in input order. A
-- statement is atomic in every context SQLite has.
--
-- Only the row's index passes through the view: the values stay in lethe's
-- memory and the trigger fetches them with lethe_sink_value(k), k numbered
-- as enum FeedColumn in ext/write/write_path.hpp. lethe_sink_row(i) selects row i
-- and records how far the statement got, so a failed statement names the
-- line at fault. A call refuses to write when the stored view or trigger is
-- not exactly this text (an older release's, one that ALTER TABLE rewrote,
-- or one written by hand): apply this file again.
DROP VIEW IF EXISTS lethe_sink;
CREATE VIEW lethe_sink AS SELECT NULL AS row_index WHERE 0;

CREATE TRIGGER lethe_sink_write
INSTEAD OF INSERT ON lethe_sink
BEGIN
  -- lethe write path 2, generated from ext/write_path.cpp: apply sql/schema.sql to update it.
  SELECT lethe_sink_row(NEW.row_index);
  INSERT INTO sessions (owner, tool, host, session_id, started_at, ended_at, working_dir, source_file, metadata)
  VALUES (lethe_sink_value(0), lethe_sink_value(1), lethe_sink_value(2), lethe_sink_value(3), lethe_sink_value(15), lethe_sink_value(19), lethe_sink_value(16), lethe_sink_value(17), lethe_sink_value(18))
  ON CONFLICT (owner, tool, host, session_id) DO UPDATE SET
    started_at = min(started_at, excluded.started_at),
    ended_at = max(ended_at, excluded.ended_at),
    working_dir = coalesce(working_dir, excluded.working_dir),
    source_file = coalesce(source_file, excluded.source_file),
    metadata = coalesce(metadata, excluded.metadata);
  INSERT INTO turns (owner, tool, host, session_id, turn_id, seq, role, timestamp, content, model, tokens_in, tokens_out, cost_usd, tool_calls, metadata)
  VALUES (lethe_sink_value(0), lethe_sink_value(1), lethe_sink_value(2), lethe_sink_value(3), lethe_sink_value(4), lethe_sink_value(5), lethe_sink_value(6), lethe_sink_value(7), lethe_sink_value(8), lethe_sink_value(9), lethe_sink_value(10), lethe_sink_value(11), lethe_sink_value(12), lethe_sink_value(13), lethe_sink_value(14))
  ON CONFLICT (owner, tool, host, session_id, turn_id) DO UPDATE SET
    seq = excluded.seq,
    role = excluded.role,
    timestamp = excluded.timestamp,
    content = excluded.content,
    model = excluded.model,
    tokens_in = excluded.tokens_in,
    tokens_out = excluded.tokens_out,
    cost_usd = excluded.cost_usd,
    tool_calls = excluded.tool_calls,
    metadata = excluded.metadata;
END;
