-- Method "json1-import": the same JSON1 work as json1_array.sql, but the
-- lines come through a helper table: the shell's .import in ascii mode with
-- LF as the row separator and an unused byte (0x1F, which JSON text never
-- holds raw) as the column separator loads one line per row into a TEMP
-- table, streaming, without CSV quote handling. Then json_extract (->>) per
-- field, strftime() for the timestamps, and the same TEMP view + INSTEAD OF
-- trigger doing sql/schema.sql's two upserts. No validation. This is the
-- fastest JSON1 route we found (bench/README.md); .import is a shell command,
-- so it is "SQL plus the shell", not one SQL statement.
-- bench/run substitutes @CORPUS@ and @SQL_DIR@ (bench/sql).
.mode list
SELECT 'T0', (julianday('now') - 2440587.5) * 86400.0;
BEGIN;
CREATE TEMP TABLE lines (j TEXT);
.mode ascii
.separator "\037" "\n"
.import "@CORPUS@" lines
.mode list
.read @SQL_DIR@/json1_sink.sql
INSERT INTO sink (j) SELECT j FROM temp.lines ORDER BY rowid;
COMMIT;
SELECT 'T1', (julianday('now') - 2440587.5) * 86400.0;
