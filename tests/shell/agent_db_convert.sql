-- What Goose's and Crush's exports (tests/fixtures/native/{goose,crush}: the
-- lines lethe_agent_export gives for the fixtures' databases, checked by
-- tests/sync) become, in the real sqlite3 shell: lethe_convert's rows, the
-- turns and the problems, compared with agent_db_convert.expected.
.bail on
.load LETHE_MODULE
.mode list
.headers on
.parameter set :options '{"format":"auto","host":"laptop"}'
SELECT 'goose/' || f.name AS fixture, c.line, c.code, c.field,
       json_extract(c.wire, '$.session_id') AS session, json_extract(c.wire, '$.turn_id') AS turn,
       json_extract(c.wire, '$.role') AS role, json_extract(c.wire, '$.tokens_in') AS tokens_in,
       json_extract(c.wire, '$.tokens_out') AS tokens_out, json_extract(c.wire, '$.cost_usd') AS cost,
       json_extract(c.wire, '$.model') AS model,
       substr(replace(json_extract(c.wire, '$.content'), char(10), ' '), 1, 40) AS content
FROM (SELECT 'sessions.jsonl' AS name UNION ALL SELECT 'hostile.jsonl') f,
     lethe_convert(readfile('tests/fixtures/native/goose/' || f.name), :options) c;
SELECT 'crush/' || f.name AS fixture, c.line, c.code, c.field,
       json_extract(c.wire, '$.session_id') AS session, json_extract(c.wire, '$.turn_id') AS turn,
       json_extract(c.wire, '$.role') AS role, json_extract(c.wire, '$.tokens_in') AS tokens_in,
       json_extract(c.wire, '$.tokens_out') AS tokens_out, json_extract(c.wire, '$.cost_usd') AS cost,
       json_extract(c.wire, '$.model') AS model,
       substr(replace(json_extract(c.wire, '$.content'), char(10), ' '), 1, 40) AS content
FROM (SELECT 'sessions.jsonl' AS name UNION ALL SELECT 'hostile.jsonl') f,
     lethe_convert(readfile('tests/fixtures/native/crush/' || f.name), :options) c;
