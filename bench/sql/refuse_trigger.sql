-- Method "lethe_refused": the database refuses about 1 % of the lines (every
-- turn whose seq ends in 37), as a user's trigger or CHECK would. lethe then
-- rolls back the group of rows the line was in and writes it line by line
-- (see ext/write/call_scope.cpp, CallScope::write_in_groups). Applied after sql/schema.sql.
CREATE TRIGGER bench_refuse BEFORE INSERT ON turns WHEN NEW.seq % 100 = 37
BEGIN
  SELECT RAISE(ABORT, 'refused by the benchmark');
END;
