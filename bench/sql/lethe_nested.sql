-- Method "lethe_refused5_nested": lethe_ingest as the source of the caller's
-- own write, INSERT INTO rejects SELECT * FROM lethe_ingest(...), where SQLite
-- refuses SAVEPOINT and lethe writes through the sink statement (see
-- ext/write/call_scope.cpp, write_range_keeping_prefixes). Same brackets as lethe.sql.
.load @EXT@
.mode list
SELECT 'T0', (julianday('now') - 2440587.5) * 86400.0;
BEGIN;
INSERT INTO rejects SELECT * FROM lethe_ingest('bench', readfile('@CORPUS@'));
SELECT 'REJECTED', count(*) FROM rejects;
COMMIT;
SELECT 'T1', (julianday('now') - 2440587.5) * 86400.0;
SELECT 'SUMMARY', lethe_last_ingest();
