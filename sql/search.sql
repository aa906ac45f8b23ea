-- lethe search pack: full-text search over turns with SQLite's FTS5: what
-- was said (turns.content: user, assistant and system text, and the output
-- of tools, which lethe stores as the content of role 'tool' turns) and what
-- the agent ran (turns.tool_calls: tool names and arguments, commands,
-- paths, patterns). Never thinking: metadata is not indexed.
--
-- Apply it after sql/schema.sql, once or as often as you like (idempotent):
--   sqlite3 agents.db < sql/search.sql          (or .read sql/search.sql)
-- It creates
--   turn_text_fts       an FTS5 index of turns.content, of every three
--                       characters (the trigram tokenizer): a text is found
--                       wherever it occurs, as written. It is an external
--                       content table: it stores the index only, the text
--                       stays in turns, and turn_text_fts.rowid = turns.rowid.
--   turns_text_fts_ai/_ad/_au triggers that keep it in sync with every
--                       INSERT, DELETE and UPDATE of turns: lethe's upserts
--                       (a re-sent turn replaces its indexed text), deletes
--                       by hand and ON DELETE CASCADE from sessions.
--   turn_search         a view: each indexed turn with its rank (FTS5's rank
--                       column, bm25: ORDER BY rank is done by FTS5), a snippet,
--                       the turn's columns, its machine (host), the machines
--                       its session was seen on (hosts) and its project (the
--                       session's working_dir); a turn stored on two
--                       machines is one hit.
--   tool_call_text      the text of each turn's tool_calls: every JSON
--                       string in it (tool names, arguments), in document
--                       order, as the view turn_tool_text computes it. A
--                       table, kept by triggers, because FTS5 cannot read an
--                       external-content view that calls json_tree.
--   tool_call_text_fts  the same kind of index of tool_call_text (rowid =
--                       turns.rowid; its column is named content).
--   turns_tool_text_fts_ai/_ad/_au triggers that keep both in sync with turns.
--   tool_call_search    the same view as turn_search for hits in tool calls.
--   sessions_by_session_id  an index of sessions by (owner, tool,
--                       session_id, host): the hosts of a session.
-- (To search both at once, see the queries at the end: two views, because
-- SQLite 3.40 cannot always push MATCH into a UNION view.)
-- and indexes the turns that already exist: when the index does not cover
-- every row of turns (first application, or rows written while the triggers
-- were missing) it is rebuilt from turns. A database with the first
-- version's word indexes (turns_fts, tool_calls_fts) gets these instead.
--
-- Plain text. Search for a text as you would type it, in double quotes (a
-- double quote inside doubled): every character counts, case does not.
--   WHERE query MATCH '"go.mod"'        WHERE query MATCH '"a-b"'
--   WHERE query MATCH '"Vibe Code Tracker"'   (not "Vibe Coding Tracker")
--   WHERE query MATCH '"' || replace(:text, '"', '""') || '"'   (any text)
-- Newest first: ORDER BY turn_rowid DESC LIMIT n reads only as far as it
-- needs, when the query does not read rank. Ranked: rank is bm25, which
-- counts every turn that matches before it scores any (0.1 to 1 s over
-- millions of turns for a frequent text or a phrase); lethe search ranks
-- the newest 1,000 matches with lethe_rank(query), bm25 without that count
-- (lethe's FTS5 function: the same order for one phrase), in under 50 ms:
-- the query is in docs/guide/packs.md ("Ranked, fast").
-- Several texts: '"csv" "writer"' (both), '"csv" OR "tsv"'. Chinese,
-- Japanese and other text without spaces is found inside a run of it. A
-- text needs 3 characters or more to use the index: for one or two, scan
-- the turns, WHERE instr(lower(content), lower(:text)) (slower).
-- No stemming ('export' finds 'exporter' and 'export.py' as substrings, not
-- 'exported'), and no diacritic folding ('resume' does not find 'résumé';
-- the trigram tokenizer folds them from SQLite 3.45 only).
--
-- Needs SQLite 3.34 or later built with FTS5 (Debian's sqlite3, libsqlite3,
-- python3 and better-sqlite3 all are).
--
-- Caveats:
-- - Rows removed by INSERT OR REPLACE (not something lethe does) fire the
--   delete trigger only with PRAGMA recursive_triggers = ON.
-- - Needs PRAGMA trusted_schema = ON (SQLite's default): FTS5 is not
--   "innocuous", so with it OFF the triggers can't write turn_text_fts and
--   every write to turns fails, lethe_ingest's included ("unsafe use of
--   virtual table turn_text_fts"). Every program that writes turns needs
--   FTS5.
-- - The index holds every three characters: it is about as large as the
--   text it indexes, or larger.
-- - To remove the pack, drop all of it: DROP VIEW turn_search; DROP VIEW
--   tool_call_search; DROP TRIGGER turns_text_fts_ai; DROP TRIGGER
--   turns_text_fts_ad; DROP TRIGGER turns_text_fts_au; DROP TRIGGER
--   turns_tool_text_fts_ai; DROP TRIGGER turns_tool_text_fts_ad; DROP
--   TRIGGER turns_tool_text_fts_au; DROP TABLE turn_text_fts; DROP TABLE
--   tool_call_text_fts; DROP TABLE tool_call_text; DROP VIEW turn_tool_text;
--   DROP INDEX sessions_by_session_id; (triggers left without their index
--   make every write to turns fail).

SAVEPOINT lethe_search_pack;

-- The first version of this pack indexed words (unicode61 with the Porter
-- stemmer) in turns_fts and tool_calls_fts. Its triggers and tables go:
-- SQL can't re-create a table only when its tokenizer is the old one, so the
-- substring indexes have names of their own and are built once below.
DROP TRIGGER IF EXISTS turns_fts_ai;
DROP TRIGGER IF EXISTS turns_fts_ad;
DROP TRIGGER IF EXISTS turns_fts_au;
DROP TRIGGER IF EXISTS turns_tool_fts_ai;
DROP TRIGGER IF EXISTS turns_tool_fts_ad;
DROP TRIGGER IF EXISTS turns_tool_fts_au;
DROP TABLE IF EXISTS turns_fts;
DROP TABLE IF EXISTS tool_calls_fts;

CREATE VIRTUAL TABLE IF NOT EXISTS turn_text_fts USING fts5(
  content,
  content = 'turns',
  content_rowid = 'rowid',
  tokenize = 'trigram case_sensitive 0'
);

-- Recreated on every application so that a newer version of this file
-- replaces older definitions.
DROP TRIGGER IF EXISTS turns_text_fts_ai;
DROP TRIGGER IF EXISTS turns_text_fts_ad;
DROP TRIGGER IF EXISTS turns_text_fts_au;

CREATE TRIGGER turns_text_fts_ai AFTER INSERT ON turns BEGIN
  INSERT INTO turn_text_fts (rowid, content) VALUES (NEW.rowid, NEW.content);
END;

CREATE TRIGGER turns_text_fts_ad AFTER DELETE ON turns BEGIN
  INSERT INTO turn_text_fts (turn_text_fts, rowid, content)
  VALUES ('delete', OLD.rowid, OLD.content);
END;

-- An upsert rewrites every column of a turn; only a change of the text (or
-- of the rowid) touches the index, so re-sending a batch costs no FTS work.
CREATE TRIGGER turns_text_fts_au AFTER UPDATE ON turns
WHEN OLD.content IS NOT NEW.content OR OLD.rowid IS NOT NEW.rowid
BEGIN
  INSERT INTO turn_text_fts (turn_text_fts, rowid, content)
  VALUES ('delete', OLD.rowid, OLD.content);
  INSERT INTO turn_text_fts (rowid, content) VALUES (NEW.rowid, NEW.content);
END;

-- Index the rows that existed before: FTS5 keeps one row in turn_text_fts_docsize
-- per indexed row, so a count that differs from turns' means the index is
-- missing rows (always so on the first application to a non-empty database).
INSERT INTO turn_text_fts (turn_text_fts)
SELECT 'rebuild'
WHERE (SELECT count(*) FROM turn_text_fts_docsize) <> (SELECT count(*) FROM turns);

-- Tool calls: their text, one definition.
DROP VIEW IF EXISTS turn_tool_text;
CREATE VIEW turn_tool_text AS
SELECT rowid AS turn_rowid,
       coalesce((SELECT group_concat(j.value, ' ') FROM json_tree(turns.tool_calls) AS j
                 WHERE j.type = 'text'), '') AS content
FROM turns
WHERE json_valid(tool_calls);

CREATE TABLE IF NOT EXISTS tool_call_text (
  turn_rowid INTEGER PRIMARY KEY,   -- turns.rowid
  content    TEXT NOT NULL
);

CREATE VIRTUAL TABLE IF NOT EXISTS tool_call_text_fts USING fts5(
  content,
  content = 'tool_call_text',
  content_rowid = 'turn_rowid',
  tokenize = 'trigram case_sensitive 0'
);

DROP TRIGGER IF EXISTS turns_tool_text_fts_ai;
DROP TRIGGER IF EXISTS turns_tool_text_fts_ad;
DROP TRIGGER IF EXISTS turns_tool_text_fts_au;

-- The index always deletes the text that tool_call_text holds, which is the
-- text it was given.
CREATE TRIGGER turns_tool_text_fts_ai AFTER INSERT ON turns
WHEN json_valid(NEW.tool_calls)
BEGIN
  INSERT OR REPLACE INTO tool_call_text (turn_rowid, content)
  SELECT turn_rowid, content FROM turn_tool_text WHERE turn_rowid = NEW.rowid;
  INSERT INTO tool_call_text_fts (rowid, content)
  SELECT turn_rowid, content FROM tool_call_text WHERE turn_rowid = NEW.rowid;
END;

CREATE TRIGGER turns_tool_text_fts_ad AFTER DELETE ON turns BEGIN
  INSERT INTO tool_call_text_fts (tool_call_text_fts, rowid, content)
  SELECT 'delete', turn_rowid, content FROM tool_call_text WHERE turn_rowid = OLD.rowid;
  DELETE FROM tool_call_text WHERE turn_rowid = OLD.rowid;
END;

-- Like turns_text_fts_au: only a change of the tool calls touches the index, so
-- re-sending a batch costs no FTS work.
CREATE TRIGGER turns_tool_text_fts_au AFTER UPDATE ON turns
WHEN OLD.tool_calls IS NOT NEW.tool_calls OR OLD.rowid IS NOT NEW.rowid
BEGIN
  INSERT INTO tool_call_text_fts (tool_call_text_fts, rowid, content)
  SELECT 'delete', turn_rowid, content FROM tool_call_text WHERE turn_rowid = OLD.rowid;
  DELETE FROM tool_call_text WHERE turn_rowid = OLD.rowid;
  INSERT INTO tool_call_text (turn_rowid, content)
  SELECT turn_rowid, content FROM turn_tool_text WHERE turn_rowid = NEW.rowid;
  INSERT INTO tool_call_text_fts (rowid, content)
  SELECT turn_rowid, content FROM tool_call_text WHERE turn_rowid = NEW.rowid;
END;

-- Index the tool calls that exist: when tool_call_text is not exactly what
-- turn_tool_text says (first application, rows written while the triggers
-- were missing) or the index does not cover it, both are rebuilt.
CREATE TEMP TABLE lethe_tool_resync AS
SELECT EXISTS (SELECT turn_rowid, content FROM turn_tool_text
               EXCEPT SELECT turn_rowid, content FROM tool_call_text)
    OR EXISTS (SELECT turn_rowid, content FROM tool_call_text
               EXCEPT SELECT turn_rowid, content FROM turn_tool_text)
    OR (SELECT count(*) FROM tool_call_text_fts_docsize)
       <> (SELECT count(*) FROM tool_call_text) AS needed;
DELETE FROM tool_call_text WHERE (SELECT needed FROM temp.lethe_tool_resync);
INSERT INTO tool_call_text (turn_rowid, content)
SELECT turn_rowid, content FROM turn_tool_text
WHERE (SELECT needed FROM temp.lethe_tool_resync);
INSERT INTO tool_call_text_fts (tool_call_text_fts)
SELECT 'rebuild' WHERE (SELECT needed FROM temp.lethe_tool_resync);
DROP TABLE temp.lethe_tool_resync;

-- A session's copies on every host it was seen on, by id: the search views
-- show a turn once and say which hosts hold its session.
CREATE INDEX IF NOT EXISTS sessions_by_session_id ON sessions (owner, tool, session_id, host);

-- CROSS JOIN keeps the index the outer loop, so that MATCH always reaches
-- FTS5 (a plan starting from sessions, for a filter on tool or host, would
-- fail with "unable to use function MATCH in the requested context").
-- A session synced from two machines holds its turns twice: a hit is the
-- copy of the first host that has the turn with this text, and hosts lists
-- every host of its session; project is the session's first working_dir.
DROP VIEW IF EXISTS turn_search;
CREATE VIEW turn_search AS
SELECT
  turn_text_fts AS query,                  -- WHERE query MATCH '...'
  turn_text_fts.rank AS rank,        -- bm25, lower is better: ORDER BY rank
  snippet(turn_text_fts, 0, '[', ']', '…', 64) AS snippet,
  t.owner, t.tool, t.host, t.session_id, t.turn_id, t.seq, t.role,
  t.timestamp, t.model, t.content,
  coalesce(s.working_dir,
           (SELECT o.working_dir FROM sessions AS o
            WHERE o.owner = t.owner AND o.tool = t.tool AND o.session_id = t.session_id
              AND o.working_dir IS NOT NULL ORDER BY o.host LIMIT 1)) AS project,
  (SELECT group_concat(h.host, ',') FROM (
     SELECT o.host FROM sessions AS o
     WHERE o.owner = t.owner AND o.tool = t.tool AND o.session_id = t.session_id
     ORDER BY o.host) AS h) AS hosts,
  -- turns.rowid: ORDER BY turn_rowid DESC LIMIT n gives the last written
  -- hits first without ranking every match (fast for a frequent text).
  turn_text_fts.rowid AS turn_rowid
FROM turn_text_fts
CROSS JOIN turns AS t ON t.rowid = turn_text_fts.rowid
CROSS JOIN sessions AS s
  ON s.owner = t.owner AND s.tool = t.tool AND s.host = t.host
 AND s.session_id = t.session_id
WHERE NOT EXISTS (
  SELECT 1 FROM sessions AS o
  JOIN turns AS c
    ON c.owner = o.owner AND c.tool = o.tool AND c.host = o.host
   AND c.session_id = o.session_id AND c.turn_id = t.turn_id
  WHERE o.owner = t.owner AND o.tool = t.tool AND o.session_id = t.session_id
    AND o.host < t.host AND c.content IS t.content);

DROP VIEW IF EXISTS tool_call_search;
CREATE VIEW tool_call_search AS
SELECT
  tool_call_text_fts AS query,
  tool_call_text_fts.rank AS rank,   -- bm25, lower is better: ORDER BY rank
  snippet(tool_call_text_fts, 0, '[', ']', '…', 64) AS snippet,
  t.owner, t.tool, t.host, t.session_id, t.turn_id, t.seq, t.role,
  t.timestamp, t.model, t.content,
  coalesce(s.working_dir,
           (SELECT o.working_dir FROM sessions AS o
            WHERE o.owner = t.owner AND o.tool = t.tool AND o.session_id = t.session_id
              AND o.working_dir IS NOT NULL ORDER BY o.host LIMIT 1)) AS project,
  t.tool_calls,
  (SELECT group_concat(h.host, ',') FROM (
     SELECT o.host FROM sessions AS o
     WHERE o.owner = t.owner AND o.tool = t.tool AND o.session_id = t.session_id
     ORDER BY o.host) AS h) AS hosts,
  tool_call_text_fts.rowid AS turn_rowid
FROM tool_call_text_fts
CROSS JOIN turns AS t ON t.rowid = tool_call_text_fts.rowid
CROSS JOIN sessions AS s
  ON s.owner = t.owner AND s.tool = t.tool AND s.host = t.host
 AND s.session_id = t.session_id
WHERE NOT EXISTS (
  SELECT 1 FROM sessions AS o
  JOIN turns AS c
    ON c.owner = o.owner AND c.tool = o.tool AND c.host = o.host
   AND c.session_id = o.session_id AND c.turn_id = t.turn_id
  WHERE o.owner = t.owner AND o.tool = t.tool AND o.session_id = t.session_id
    AND o.host < t.host AND c.tool_calls IS t.tool_calls);

RELEASE lethe_search_pack;

-- Example queries. Times are stored as UTC text 'YYYY-MM-DDTHH:MM:SS.sssZ',
-- so a range is a text comparison; strftime('%Y-%m-%dT%H:%M:%fZ', x) turns
-- any time SQLite understands (with an offset) into that form.
--
-- Ranked search with a highlighted snippet, through the view:
--
--   SELECT rank, tool, session_id, turn_id, timestamp, snippet
--   FROM turn_search
--   WHERE query MATCH '"csv writer"' AND owner = 'ana'
--   ORDER BY rank LIMIT 20;
--
-- The same directly on the index, every filter optional (bind NULL to skip
-- one), the text as typed in :text:
--
--   SELECT bm25(turn_text_fts) AS rank,
--          snippet(turn_text_fts, 0, '[', ']', '…', 64) AS snippet,
--          t.owner, t.tool, t.host, t.session_id, t.turn_id, t.timestamp
--   FROM turn_text_fts JOIN turns AS t ON t.rowid = turn_text_fts.rowid
--   WHERE turn_text_fts MATCH '"' || replace(:text, '"', '""') || '"'
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
-- Everything at once: what was said (tool output included) and what was
-- run, each hit with its machine and project. MATCH each view on its own
-- (each is one FTS5 table), then merge; bm25 ranks of the two indexes are
-- computed separately and compare only roughly:
--
--   WITH hits AS MATERIALIZED (
--     SELECT 'said' AS matched, rank, host, project, tool, session_id, turn_id,
--            snippet FROM turn_search WHERE query MATCH :q AND owner = :owner
--     UNION ALL
--     SELECT 'ran', rank, host, project, tool, session_id, turn_id, snippet
--     FROM tool_call_search WHERE query MATCH :q AND owner = :owner)
--   SELECT * FROM hits ORDER BY rank LIMIT 20;
--
-- Check the index against turns (an error means it is out of sync; then
-- INSERT INTO turn_text_fts (turn_text_fts) VALUES ('rebuild')):
--
--   INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1);
--   INSERT INTO tool_call_text_fts (tool_call_text_fts, rank) VALUES ('integrity-check', 1);
