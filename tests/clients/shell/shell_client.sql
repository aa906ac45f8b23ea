-- The sqlite3 shell as a lethe client (run by run_shell_client.sh in a
-- scratch folder; output compared with shell_client.expected).
.bail on
.read LETHE_ROOT/sql/schema.sql
.load LETHE_MODULE
.mode list
.headers on

.print '# readfile(): one batch, one rejected line'
SELECT * FROM lethe_ingest('ana', readfile('inbox/laptop.ndjson'));
SELECT owner, tool, host, session_id, started_at, ended_at, working_dir FROM sessions;
SELECT owner, session_id, turn_id, seq, role, timestamp, content, tokens_out, cost_usd
FROM turns ORDER BY turn_id;
DELETE FROM sessions;
DELETE FROM turns;

.print ''
.print '# fsdir(): every *.ndjson of a folder (and its subfolders) in one statement'
SELECT f.name, e.* FROM fsdir('inbox') f, lethe_ingest('me', f.data) e WHERE f.name LIKE '%.ndjson';
SELECT owner, tool, session_id, count(*) AS turns FROM turns GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
.print '(notes.txt and README were never read: no rejected rows for them)'

.print ''
.print "# fsdir(): files in name order (LIMIT -1 keeps the subquery's ORDER BY)"
SELECT f.name, e.*
FROM (SELECT name, data FROM fsdir('ordered') WHERE name LIKE '%.ndjson'
      ORDER BY name LIMIT -1) f,
     lethe_ingest('me', f.data) e;
SELECT content AS "ascending: the last file wins" FROM turns WHERE tool = 't';
SELECT f.name, e.*
FROM (SELECT name, data FROM fsdir('ordered') WHERE name LIKE '%.ndjson'
      ORDER BY name DESC LIMIT -1) f,
     lethe_ingest('me', f.data) e;
SELECT content AS "descending: the last file wins" FROM turns WHERE tool = 't';

.print ''
.print '# fsdir(): a TEMP view may hold the statement (lethe_ingest and fsdir are DIRECTONLY)'
CREATE TEMP VIEW ingest_inbox AS
SELECT f.name, e.* FROM fsdir('inbox') f, lethe_ingest('me', f.data) e WHERE f.name LIKE '%.ndjson';
SELECT * FROM ingest_inbox;
SELECT count(*) AS turns FROM turns;
.print ''
.print '# fsdir(): only rows with data (a folder named *.ndjson has none)'
SELECT f.name, e.* FROM fsdir('tricky') f, lethe_ingest('me', f.data) e
WHERE f.name LIKE '%.ndjson' AND f.data IS NOT NULL;

.print ''
.print '# Errors (the shell prints them on stderr, below)'
.bail off
.print '# a view in the database file may not hold the statement'
CREATE VIEW ingest_inbox_main AS
SELECT f.name, e.* FROM fsdir('inbox') f, lethe_ingest('me', f.data) e WHERE f.name LIKE '%.ndjson';
SELECT * FROM ingest_inbox_main;
DROP VIEW ingest_inbox_main;
.print '# without the data filter, the folder tricky/folder.ndjson is a batch error'
SELECT f.name, e.* FROM fsdir('tricky') f, lethe_ingest('me', f.data) e WHERE f.name LIKE '%.ndjson';
.print '# readfile() of a missing file'
SELECT * FROM lethe_ingest('ana', readfile('inbox/no-such-file.ndjson'));
.print '# done'
