-- lethe search pack: full-text search over turns.content with SQLite's FTS5.
--
-- Apply it after sql/schema.sql, once or as often as you like (idempotent):
--   sqlite3 agents.db < sql/search.sql          (or .read sql/search.sql)
-- It creates
--   turns_fts           an FTS5 index of turns.content. It is an external
--                       content table: it stores the index only, the text
--                       stays in turns, and turns_fts.rowid = turns.rowid.
--   turns_fts_ai/_ad/_au triggers that keep it in sync with every INSERT,
--                       DELETE and UPDATE of turns: lethe's upserts (a
--                       re-sent turn replaces its indexed text), deletes by
--                       hand and ON DELETE CASCADE from sessions.
--   turn_search         a view: each indexed turn with its rank, a snippet
--                       and the turn's columns (see the queries at the end).
-- and indexes the turns that already exist: when the index does not cover
-- every row of turns (first application, or rows written while the triggers
-- were missing) it is rebuilt from turns.
--
-- Needs SQLite built with FTS5 (Debian's sqlite3, libsqlite3, python3 and
-- better-sqlite3 all are). Tokenizer: unicode61 with diacritics removed and
-- the Porter stemmer, so 'export' also finds 'exports' and 'exported', and
-- 'resume' finds 'résumé'.
--
-- Caveats:
-- - Rows removed by INSERT OR REPLACE (not something lethe does) fire the
--   delete trigger only with PRAGMA recursive_triggers = ON.
-- - Needs PRAGMA trusted_schema = ON (SQLite's default): FTS5 is not
--   "innocuous", so with it OFF the triggers can't write turns_fts and every
--   write to turns fails, lethe_ingest's included ("unsafe use of virtual
--   table turns_fts"). Every program that writes turns needs FTS5.
-- - To remove the pack, drop all of it: DROP VIEW turn_search; DROP TRIGGER
--   turns_fts_ai; DROP TRIGGER turns_fts_ad; DROP TRIGGER turns_fts_au;
--   DROP TABLE turns_fts; (triggers left without turns_fts make every write
--   to turns fail).

SAVEPOINT lethe_search_pack;

CREATE VIRTUAL TABLE IF NOT EXISTS turns_fts USING fts5(
  content,
  content = 'turns',
  content_rowid = 'rowid',
  tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Recreated on every application so that a newer version of this file
-- replaces older definitions.
DROP TRIGGER IF EXISTS turns_fts_ai;
DROP TRIGGER IF EXISTS turns_fts_ad;
DROP TRIGGER IF EXISTS turns_fts_au;

CREATE TRIGGER turns_fts_ai AFTER INSERT ON turns BEGIN
  INSERT INTO turns_fts (rowid, content) VALUES (NEW.rowid, NEW.content);
END;

CREATE TRIGGER turns_fts_ad AFTER DELETE ON turns BEGIN
  INSERT INTO turns_fts (turns_fts, rowid, content)
  VALUES ('delete', OLD.rowid, OLD.content);
END;

-- An upsert rewrites every column of a turn; only a change of the text (or
-- of the rowid) touches the index, so re-sending a batch costs no FTS work.
CREATE TRIGGER turns_fts_au AFTER UPDATE ON turns
WHEN OLD.content IS NOT NEW.content OR OLD.rowid IS NOT NEW.rowid
BEGIN
  INSERT INTO turns_fts (turns_fts, rowid, content)
  VALUES ('delete', OLD.rowid, OLD.content);
  INSERT INTO turns_fts (rowid, content) VALUES (NEW.rowid, NEW.content);
END;

-- Index the rows that existed before: FTS5 keeps one row in turns_fts_docsize
-- per indexed row, so a count that differs from turns' means the index is
-- missing rows (always so on the first application to a non-empty database).
INSERT INTO turns_fts (turns_fts)
SELECT 'rebuild'
WHERE (SELECT count(*) FROM turns_fts_docsize) <> (SELECT count(*) FROM turns);

DROP VIEW IF EXISTS turn_search;
CREATE VIEW turn_search AS
SELECT
  turns_fts AS query,                  -- WHERE query MATCH '...'
  bm25(turns_fts) AS rank,             -- lower is better: ORDER BY rank
  snippet(turns_fts, 0, '[', ']', '…', 12) AS snippet,
  t.owner, t.tool, t.host, t.session_id, t.turn_id, t.seq, t.role,
  t.timestamp, t.model, t.content
FROM turns_fts
JOIN turns AS t ON t.rowid = turns_fts.rowid;

RELEASE lethe_search_pack;

-- Example queries. Times are stored as UTC text 'YYYY-MM-DDTHH:MM:SS.sssZ',
-- so a range is a text comparison; strftime('%Y-%m-%dT%H:%M:%fZ', x) turns
-- any time SQLite understands (with an offset) into that form.
--
-- Ranked search with a highlighted snippet, through the view:
--
--   SELECT rank, tool, session_id, turn_id, timestamp, snippet
--   FROM turn_search
--   WHERE query MATCH 'csv writer' AND owner = 'ana'
--   ORDER BY rank LIMIT 20;
--
-- The same directly on the index, every filter optional (bind NULL to skip
-- one), FTS5 query syntax in :q ('csv AND comma', '"rate limit"', 'auth*',
-- 'NEAR(token refresh, 5)'):
--
--   SELECT bm25(turns_fts) AS rank,
--          snippet(turns_fts, 0, '[', ']', '…', 12) AS snippet,
--          t.owner, t.tool, t.host, t.session_id, t.turn_id, t.timestamp
--   FROM turns_fts JOIN turns AS t ON t.rowid = turns_fts.rowid
--   WHERE turns_fts MATCH :q
--     AND t.owner = :owner
--     AND (:tool IS NULL OR t.tool = :tool)
--     AND (:host IS NULL OR t.host = :host)
--     AND (:from IS NULL OR t.timestamp >= strftime('%Y-%m-%dT%H:%M:%fZ', :from))
--     AND (:to   IS NULL OR t.timestamp <  strftime('%Y-%m-%dT%H:%M:%fZ', :to))
--   ORDER BY rank
--   LIMIT 20;
--
-- For example, Ana's Claude Code turns on her laptop in March 2026 that
-- mention a comma:
--
--   SELECT rank, turn_id, snippet FROM turn_search
--   WHERE query MATCH 'comma' AND owner = 'ana' AND tool = 'claude-code'
--     AND host = 'laptop'
--     AND timestamp >= '2026-03-01' AND timestamp < '2026-04-01'
--   ORDER BY rank;
--
-- Whole sessions ranked by their best turn. bm25() and snippet() can't be
-- used inside an aggregate ("unable to use function bm25 in the requested
-- context"): compute them in a MATERIALIZED CTE first, then group:
--
--   WITH hits AS MATERIALIZED (
--     SELECT owner, tool, host, session_id, rank FROM turn_search
--     WHERE query MATCH 'auth' AND owner = 'ana')
--   SELECT owner, tool, host, session_id, min(rank) AS best, count(*) AS hits
--   FROM hits GROUP BY owner, tool, host, session_id ORDER BY best LIMIT 10;
--
-- Check the index against turns (an error means it is out of sync; then
-- INSERT INTO turns_fts (turns_fts) VALUES ('rebuild')):
--
--   INSERT INTO turns_fts (turns_fts, rank) VALUES ('integrity-check', 1);
