-- Method "lethe": lethe_ingest through the real sqlite3 shell.
-- bench/run substitutes @EXT@ (build-bench/lethe) and @CORPUS@, and runs it
-- as `sqlite3 DB < this` on a fresh DB that already has sql/schema.sql.
-- T0/T1 bracket the work (BEGIN .. COMMIT, readfile included); wall time
-- also counts the process start and .load.
.load @EXT@
.mode list
SELECT 'T0', (julianday('now') - 2440587.5) * 86400.0;
BEGIN;
SELECT 'REJECTED', count(*) FROM lethe_ingest('bench', readfile('@CORPUS@'));
COMMIT;
SELECT 'T1', (julianday('now') - 2440587.5) * 86400.0;
SELECT 'SUMMARY', lethe_last_ingest();
