-- lethe sync: archive every Claude Code, Codex and Gemini CLI transcript of
-- a home folder into the database, reading only the files that changed since
-- the last run. A script for the sqlite3 shell (it uses dot-commands):
--
--   LETHE_HOME=/home/ana sqlite3 agents.db -cmd '.load lethe' \
--     -cmd '.parameter set @host laptop' -cmd '.parameter set @owner ana' \
--     < sql/sync.sql
--
-- Apply sql/schema.sql to the database once before (and the packs you
-- want: search.sql indexes what sync writes as it goes).
--
-- Inputs, all optional:
--   LETHE_HOME      environment variable: the home folder to read (default
--                   $HOME). An environment variable and not a parameter
--                   because fsdir() fails on a folder that does not exist
--                   and the shell has no "if": the folders that exist are
--                   found by a shell command (.import '|...'), and a shell
--                   command sees the environment, not the shell's
--                   parameters.
--   @host           the host of every turn (default: the machine's name,
--                   lethe_ingest's own default)
--   @owner          the owner (default: the home folder's name, 'ana' for
--                   /home/ana)
--
-- What it reads (lethe_ingest with format claude-code, codex or gemini-cli;
-- docs/reference/adapters.md):
--   Claude Code  $LETHE_HOME/.claude/projects/**/*.jsonl (sub-agents too)
--   Codex        $LETHE_HOME/.codex/sessions/**/*.jsonl
--   Gemini CLI   $LETHE_HOME/.gemini/tmp/**/chats/**/*.json and *.jsonl
-- A folder that does not exist is skipped.
--
-- What it keeps, in tables of its own:
--   lethe_sync_runs      one row per run: when, which home, host and owner,
--                        files seen, read, their problems, files gone
--   lethe_sync_files     one row per file ever read: host, path, format,
--                        mtime (seconds, from fsdir()), size (bytes read),
--                        read_at (unix seconds), last_seen_run, problems
--   lethe_sync_problems  the rejected lines of each file's last read
--
-- A file is read again when fsdir() shows another mtime than the last read
-- saw, or when it was modified in the second the last read happened (mtime
-- has whole seconds: an append in that same second would not change it).
-- fsdir() gives no size without reading the file, so the size is recorded
-- when a file is read, not used to decide. A changed file is read whole:
-- lethe's native readers converge (docs/reference/adapters.md, section 2),
-- so reading a file again after an agent appended to it leaves exactly what
-- one full first run leaves. A file
-- that disappeared (Claude Code deletes transcripts after 30 days) keeps its
-- turns and its row; last_seen_run says which run last saw it.
--
-- One transaction: a run that fails leaves the database as it was, and the
-- next run does its work.

.bail on
-- Another run (cron and a manual one) may hold the database for a while.
.timeout 60000

CREATE TABLE IF NOT EXISTS lethe_sync_runs (
  run        INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,      -- UTC
  home       TEXT,
  host       TEXT NOT NULL,      -- @host ('' for lethe_ingest's default)
  owner      TEXT,
  files_seen INTEGER, files_read INTEGER, problems INTEGER, files_gone INTEGER
);
CREATE TABLE IF NOT EXISTS lethe_sync_files (
  host          TEXT NOT NULL,   -- as in lethe_sync_runs
  path          TEXT NOT NULL,
  format        TEXT NOT NULL,
  mtime         INTEGER,         -- fsdir() mtime when it was last read
  size          INTEGER,         -- bytes read then
  read_at       INTEGER,         -- unix seconds of that read
  last_seen_run INTEGER,         -- the last run that saw it
  problems      INTEGER,         -- rejected lines of that read
  PRIMARY KEY (host, path)
);
CREATE TABLE IF NOT EXISTS lethe_sync_problems (
  host TEXT NOT NULL, path TEXT NOT NULL, line INTEGER, byte_offset INTEGER,
  code TEXT, field TEXT, message TEXT
);

-- The agents' folders that exist, and the home folder, from the shell:
-- records 'kind<US>path<RS>'.
DROP TABLE IF EXISTS temp.lethe_sync_root;
CREATE TEMP TABLE lethe_sync_root (format TEXT, path TEXT);
.import --ascii '|h="${LETHE_HOME:-$HOME}"; h="${h%/}"; printf "home\037%s\036" "$h"; for r in claude-code:.claude/projects codex:.codex/sessions gemini-cli:.gemini/tmp; do [ -d "$h/${r#*:}" ] && printf "%s\037%s\036" "${r%%:*}" "$h/${r#*:}"; done; true' lethe_sync_root

BEGIN;

INSERT INTO lethe_sync_runs (started_at, home, host, owner)
SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), path, coalesce(@host, ''),
       coalesce(@owner, replace(path, rtrim(path, replace(path, '/', '')), ''))
FROM temp.lethe_sync_root WHERE format = 'home';

CREATE TEMP TABLE lethe_sync_run AS
SELECT run, host, owner, CAST(strftime('%s', started_at) AS INTEGER) AS now
FROM lethe_sync_runs WHERE run = last_insert_rowid();

-- Every transcript file under the roots, with its mtime (no file is read).
CREATE TEMP TABLE lethe_sync_seen AS
SELECT r.format, f.name AS path, f.mtime
FROM temp.lethe_sync_root AS r, fsdir(r.path) AS f
WHERE r.format <> 'home'
  AND f.mode & 61440 = 32768        -- a regular file (S_IFREG)
  AND CASE r.format
        WHEN 'gemini-cli' THEN f.name GLOB '*/chats/*.json' OR f.name GLOB '*/chats/*.jsonl'
        ELSE f.name GLOB '*.jsonl' END;

-- The ones to read: new, another mtime, or modified in the second of the
-- last read.
CREATE TEMP TABLE lethe_sync_todo AS
SELECT s.format, s.path, s.mtime
FROM temp.lethe_sync_seen AS s
LEFT JOIN lethe_sync_files AS k
  ON k.host = (SELECT host FROM temp.lethe_sync_run) AND k.path = s.path
WHERE k.path IS NULL OR k.mtime IS NOT s.mtime OR s.mtime >= k.read_at - 1;

DELETE FROM lethe_sync_problems
WHERE host = (SELECT host FROM temp.lethe_sync_run)
  AND path IN (SELECT path FROM temp.lethe_sync_todo);

-- Read and ingest them, one lethe_ingest call per file (each atomic); the
-- rejected lines are kept. A file gone since fsdir() saw it reads as empty.
INSERT INTO lethe_sync_problems (host, path, line, byte_offset, code, field, message)
SELECT run.host, t.path, i.line, i.byte_offset, i.code, i.field, i.message
FROM temp.lethe_sync_run AS run, temp.lethe_sync_todo AS t,
     lethe_ingest(run.owner, coalesce(readfile(t.path), ''),
                  CASE WHEN run.host = ''
                       THEN json_object('format', t.format, 'source_file', t.path)
                       ELSE json_object('format', t.format, 'source_file', t.path,
                                        'host', run.host) END) AS i;

INSERT INTO lethe_sync_files (host, path, format, mtime, size, read_at, last_seen_run, problems)
SELECT run.host, t.path, t.format, t.mtime, length(readfile(t.path)), run.now, run.run,
       (SELECT count(*) FROM lethe_sync_problems AS p
        WHERE p.host = run.host AND p.path = t.path)
FROM temp.lethe_sync_run AS run, temp.lethe_sync_todo AS t
WHERE true
ON CONFLICT (host, path) DO UPDATE SET
  format = excluded.format, mtime = excluded.mtime, size = excluded.size,
  read_at = excluded.read_at, last_seen_run = excluded.last_seen_run,
  problems = excluded.problems;

UPDATE lethe_sync_files SET last_seen_run = (SELECT run FROM temp.lethe_sync_run)
WHERE host = (SELECT host FROM temp.lethe_sync_run)
  AND path IN (SELECT path FROM temp.lethe_sync_seen);

-- What this run did.
UPDATE lethe_sync_runs SET
  files_seen = (SELECT count(*) FROM temp.lethe_sync_seen),
  files_read = (SELECT count(*) FROM temp.lethe_sync_todo),
  problems = (SELECT count(*) FROM lethe_sync_problems AS p
              WHERE p.host = lethe_sync_runs.host
                AND p.path IN (SELECT path FROM temp.lethe_sync_todo)),
  files_gone = (SELECT count(*) FROM lethe_sync_files AS f
                WHERE f.host = lethe_sync_runs.host
                  AND f.last_seen_run < lethe_sync_runs.run)
WHERE run = (SELECT run FROM temp.lethe_sync_run);
SELECT files_seen, files_read, problems, files_gone
FROM lethe_sync_runs WHERE run = (SELECT run FROM temp.lethe_sync_run);

COMMIT;

DROP TABLE temp.lethe_sync_run;
DROP TABLE temp.lethe_sync_seen;
DROP TABLE temp.lethe_sync_todo;
DROP TABLE temp.lethe_sync_root;
