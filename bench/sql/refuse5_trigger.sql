-- Methods "lethe_refused5" and "lethe_refused5_nested": the database refuses
-- 5 % of the lines (every turn whose seq % 20 = 7), as a user's trigger would.
-- Applied after sql/schema.sql.
CREATE TRIGGER bench_refuse5 BEFORE INSERT ON turns WHEN NEW.seq % 20 = 7
BEGIN
  SELECT RAISE(ABORT, 'refused by the benchmark');
END;
CREATE TABLE rejects(line, byte_offset, code, field, message);
