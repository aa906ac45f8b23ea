-- Methods native_claude, native_codex, native_gemini, native_qwen, native_copilot,
-- native_cursor: lethe_ingest on
-- an agent's own transcript through the real sqlite3 shell. bench/run
-- substitutes @EXT@, @CORPUS@ and @FORMAT@ as for lethe.sql.
.load @EXT@
.mode list
SELECT 'T0', (julianday('now') - 2440587.5) * 86400.0;
BEGIN;
SELECT 'REJECTED', count(*) FROM lethe_ingest('bench', readfile('@CORPUS@'), json_object('format', '@FORMAT@', 'host', 'bench'));
COMMIT;
SELECT 'T1', (julianday('now') - 2440587.5) * 86400.0;
SELECT 'SUMMARY', lethe_last_ingest();
