-- Method "json1-array": the pure-SQL route a user would write without lethe,
-- one statement over the file, nothing but SQLite's JSON1 functions:
--   * the batch becomes ONE JSON array: '[' || replace(lines, LF, ',') || ']'
--     (linear; a recursive CTE that splits on instr()/substr() is quadratic
--     on a 150 MB text), and json_each walks it;
--   * json_extract (->>) per field, strftime() normalizes the timestamps to
--     lethe's stored form ('%Y-%m-%dT%H:%M:%fZ'), so the rows written are the
--     same as lethe's (bench/run checks this with sha3 of both tables);
--   * a TEMP view + INSTEAD OF trigger does the same two upserts as
--     sql/schema.sql's trigger (sessions MIN/MAX/coalesce, turns last write
--     wins), so each line is parsed once (json_extract caches the parse of a
--     text across calls) and both upserts see it in input order.
-- No validation: one malformed line fails the whole batch; blank lines and
-- CRLF are not handled. Holds the whole array and its parse in memory.
-- bench/run substitutes @CORPUS@ and @SQL_DIR@ (bench/sql).
.mode list
SELECT 'T0', (julianday('now') - 2440587.5) * 86400.0;
BEGIN;
.read @SQL_DIR@/json1_sink.sql
INSERT INTO sink (j)
  SELECT value FROM json_each(
    '[' || replace(rtrim(CAST(readfile('@CORPUS@') AS TEXT), char(10)), char(10), ',') || ']');
COMMIT;
SELECT 'T1', (julianday('now') - 2440587.5) * 86400.0;
