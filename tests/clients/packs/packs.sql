-- Golden test of the SQL packs (sql/search.sql, sql/usage.sql) on the demo
-- data: examples/demo.ndjson ingested as owner 'ana'. Run by run_packs.sh
-- (TZ set to Sydney's rules, UTC+11 in March); output compared with
-- packs.expected.
.bail on
.load LETHE_MODULE
.mode list
.headers on
PRAGMA foreign_keys = ON;

.print '## 1. Data first, packs after: search.sql indexes the rows that exist'
.read LETHE_ROOT/sql/schema.sql
SELECT count(*) AS rejected FROM lethe_ingest('ana', readfile('LETHE_ROOT/examples/demo.ndjson'));
.read LETHE_ROOT/sql/search.sql
.read LETHE_ROOT/sql/usage.sql
SELECT (SELECT count(*) FROM turns) AS turns, (SELECT count(*) FROM turn_text_fts_docsize) AS indexed;
SELECT round(rank, 4) AS rank, turn_id, snippet FROM turn_search
WHERE query MATCH 'comma' AND owner = 'ana' ORDER BY rank;
INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1);

.print ''
.print '## 2. Usage views'
SELECT * FROM session_summary ORDER BY started_at;
SELECT * FROM usage_by_day ORDER BY day, tool, model;
SELECT * FROM usage_by_month ORDER BY month, tool, model;
.print '# local days: TZ rules (Sydney, UTC+11 in March) and a fixed offset'
SELECT date(timestamp, 'localtime') AS local_day, tool, count(*) AS turns,
       sum(tokens_in) AS tokens_in, round(total(cost_usd), 6) AS cost_usd
FROM turn_usage GROUP BY 1, 2 ORDER BY 1, 2;
SELECT date(timestamp, '-05:00') AS day_utc_minus_5, tool, count(*) AS turns
FROM turn_usage GROUP BY 1, 2 ORDER BY 1, 2;

.print ''
.print '## 3. Search: ranked, with snippets, filtered by owner, tool, host, time'
SELECT round(rank, 4) AS rank, tool, turn_id, snippet FROM turn_search
WHERE query MATCH 'auth OR csv OR invoice' AND owner = 'ana' ORDER BY rank;
SELECT turn_id, snippet FROM turn_search
WHERE query MATCH 'auth OR csv OR invoice' AND owner = 'ana' AND tool = 'codex';
SELECT turn_id, snippet FROM turn_search
WHERE query MATCH 'auth OR csv OR invoice' AND owner = 'ana' AND host = 'laptop' ORDER BY rank;
SELECT turn_id, timestamp FROM turn_search
WHERE query MATCH 'auth OR csv OR invoice' AND owner = 'ana'
  AND timestamp >= strftime('%Y-%m-%dT%H:%M:%fZ', '2026-03-03T00:00:00+01:00')
  AND timestamp <  strftime('%Y-%m-%dT%H:%M:%fZ', '2026-03-04T00:00:00+01:00');
.print '# sessions ranked by their best turn (rank computed before grouping)'
WITH hits AS MATERIALIZED (
  SELECT owner, tool, host, session_id, rank FROM turn_search
  WHERE query MATCH 'invoice OR auth OR csv' AND owner = 'ana')
SELECT owner, tool, host, session_id, round(min(rank), 4) AS best, count(*) AS hits
FROM hits GROUP BY owner, tool, host, session_id ORDER BY best LIMIT 10;
.print '# the direct form on turn_text_fts, bound parameters (NULL skips a filter)'
.parameter set :q '"csv writer" OR comma'
.parameter set :owner 'ana'
.parameter set :tool NULL
.parameter set :host 'laptop'
.parameter set :from '2026-03-02'
.parameter set :to NULL
SELECT round(bm25(turn_text_fts), 4) AS rank,
       snippet(turn_text_fts, 0, '[', ']', '…', 64) AS snippet,
       t.tool, t.turn_id, t.timestamp
FROM turn_text_fts JOIN turns AS t ON t.rowid = turn_text_fts.rowid
WHERE turn_text_fts MATCH :q
  AND t.owner = :owner
  AND (:tool IS NULL OR t.tool = :tool)
  AND (:host IS NULL OR t.host = :host)
  AND (:from IS NULL OR t.timestamp >= strftime('%Y-%m-%dT%H:%M:%fZ', :from))
  AND (:to   IS NULL OR t.timestamp <  strftime('%Y-%m-%dT%H:%M:%fZ', :to))
ORDER BY rank LIMIT 20;
.parameter clear
.print '# no stemming: "export" finds "export", "exporter", "export.py" (substrings),'
.print '# "exported" finds only itself'
SELECT turn_id FROM turn_search WHERE query MATCH 'export' ORDER BY turn_id;
SELECT count(*) AS exported_hits FROM turn_search WHERE query MATCH 'exported';

.print ''
.print '## 4. Re-ingesting the same batch, re-applying the packs: no total changes'
CREATE TEMP TABLE totals_before AS
SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM turns) AS turns,
       (SELECT sum(turns) FROM session_summary) AS summary_turns,
       (SELECT sum(tokens_in) || '/' || sum(tokens_out) || '/' || round(sum(cost_usd), 6) FROM usage_by_day) AS by_day,
       (SELECT sum(tokens_in) || '/' || sum(tokens_out) || '/' || round(sum(cost_usd), 6) FROM usage_by_month) AS by_month,
       (SELECT count(*) FROM turn_text_fts_docsize) AS indexed,
       (SELECT count(*) FROM turn_search WHERE query MATCH 'comma') AS comma_hits;
SELECT * FROM totals_before;
SELECT count(*) AS rejected FROM lethe_ingest('ana', readfile('LETHE_ROOT/examples/demo.ndjson'));
.read LETHE_ROOT/sql/search.sql
.read LETHE_ROOT/sql/usage.sql
SELECT count(*) AS rejected FROM lethe_ingest('ana', readfile('LETHE_ROOT/examples/demo.ndjson'));
SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM turns) AS turns,
       (SELECT sum(turns) FROM session_summary) AS summary_turns,
       (SELECT sum(tokens_in) || '/' || sum(tokens_out) || '/' || round(sum(cost_usd), 6) FROM usage_by_day) AS by_day,
       (SELECT sum(tokens_in) || '/' || sum(tokens_out) || '/' || round(sum(cost_usd), 6) FROM usage_by_month) AS by_month,
       (SELECT count(*) FROM turn_text_fts_docsize) AS indexed,
       (SELECT count(*) FROM turn_search WHERE query MATCH 'comma') AS comma_hits;
SELECT CASE WHEN count(*) = 1 THEN 'unchanged' ELSE 'CHANGED' END AS totals FROM (
  SELECT * FROM totals_before
  UNION
  SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM turns),
         (SELECT sum(turns) FROM session_summary),
         (SELECT sum(tokens_in) || '/' || sum(tokens_out) || '/' || round(sum(cost_usd), 6) FROM usage_by_day),
         (SELECT sum(tokens_in) || '/' || sum(tokens_out) || '/' || round(sum(cost_usd), 6) FROM usage_by_month),
         (SELECT count(*) FROM turn_text_fts_docsize),
         (SELECT count(*) FROM turn_search WHERE query MATCH 'comma'));
INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1);

.print ''
.print '## 5. An upserted turn is found by its new words, not by its old ones'
SELECT turn_id, snippet FROM turn_search WHERE query MATCH 'minutes';
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"codex","host":"workstation","session_id":"rollout-2026-03-02-b7","turn_id":"2","seq":1,"role":"user","timestamp":"2026-03-02T14:01:12Z","content":"Why is the settlement export so slow?"}');
SELECT turn_id, content FROM turns WHERE tool = 'codex' AND turn_id = '2';
SELECT count(*) AS old_words FROM turn_search WHERE query MATCH 'minutes OR nightly OR reconcile';
SELECT turn_id, snippet FROM turn_search WHERE query MATCH 'settlement';
SELECT tool, turn_id FROM turn_search WHERE query MATCH 'export' ORDER BY tool;
.print '# a content set to null leaves the index too'
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"codex","host":"workstation","session_id":"rollout-2026-03-02-b7","turn_id":"2","seq":1,"role":"user","timestamp":"2026-03-02T14:01:12Z","content":null}');
SELECT count(*) AS settlement_hits FROM turn_search WHERE query MATCH 'settlement';
INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1);

.print ''
.print '## 6. Another owner: filters keep owners apart'
SELECT count(*) AS rejected FROM lethe_ingest('bob', readfile('LETHE_ROOT/examples/demo.ndjson'));
SELECT owner, count(*) AS comma_hits FROM turn_search WHERE query MATCH 'comma' GROUP BY owner;
SELECT owner, count(*) AS sessions, sum(turns) AS turns, round(sum(cost_usd), 6) AS cost_usd
FROM session_summary GROUP BY owner;
SELECT month, owner, sum(turns) AS turns, round(sum(cost_usd), 6) AS cost_usd
FROM usage_by_month GROUP BY month, owner;

.print ''
.print '## 7. Deleting: by hand and by ON DELETE CASCADE, the index follows'
SELECT owner, count(*) AS hits FROM turn_search WHERE query MATCH 'invoice OR auth' GROUP BY owner;
DELETE FROM turns WHERE owner = 'bob' AND tool = 'codex';
DELETE FROM sessions WHERE owner = 'bob' AND tool = 'gemini-cli';
SELECT owner, count(*) AS hits FROM turn_search WHERE query MATCH 'invoice OR auth' GROUP BY owner;
SELECT (SELECT count(*) FROM turns) AS turns, (SELECT count(*) FROM turn_text_fts_docsize) AS indexed;
INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1);

.print ''
.print '## 8. Packs first, data after: the triggers index new rows'
.open
.load LETHE_MODULE
PRAGMA foreign_keys = ON;
.read LETHE_ROOT/sql/schema.sql
.read LETHE_ROOT/sql/search.sql
.read LETHE_ROOT/sql/usage.sql
SELECT (SELECT count(*) FROM turns) AS turns, (SELECT count(*) FROM turn_text_fts_docsize) AS indexed;
SELECT count(*) AS rejected FROM lethe_ingest('ana', readfile('LETHE_ROOT/examples/demo.ndjson'));
SELECT (SELECT count(*) FROM turns) AS turns, (SELECT count(*) FROM turn_text_fts_docsize) AS indexed;
SELECT round(rank, 4) AS rank, turn_id, snippet FROM turn_search
WHERE query MATCH 'comma' AND owner = 'ana' ORDER BY rank;
SELECT tool, turns, tokens_in, tokens_out, cost_usd FROM session_summary ORDER BY tool;
INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1);

.print ''
.print '## 9. Rows written while the triggers were missing are indexed on re-apply'
DROP TRIGGER turns_text_fts_ai;
SELECT count(*) AS rejected FROM lethe_ingest('cy', readfile('LETHE_ROOT/examples/demo.ndjson'));
SELECT (SELECT count(*) FROM turns) AS turns, (SELECT count(*) FROM turn_text_fts_docsize) AS indexed;
.read LETHE_ROOT/sql/search.sql
SELECT (SELECT count(*) FROM turns) AS turns, (SELECT count(*) FROM turn_text_fts_docsize) AS indexed;
SELECT owner, count(*) AS comma_hits FROM turn_search WHERE query MATCH 'comma' GROUP BY owner;
INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1);

.print ''
.print '## 10. A line the database refuses (DB_CONSTRAINT) leaves nothing in the index'
CREATE TEMP TRIGGER no_secrets BEFORE INSERT ON turns WHEN NEW.content LIKE '%password%'
BEGIN SELECT RAISE(ABORT, 'no secrets in transcripts'); END;
.print '# as a plain SELECT (lethe uses savepoints)'
SELECT line, code, message FROM lethe_ingest('dee',
  '{"tool":"t","host":"h","session_id":"s","turn_id":"1","seq":0,"role":"user","timestamp":"2026-03-05T10:00:00Z","content":"alpha wolf"}' || char(10) ||
  '{"tool":"t","host":"h","session_id":"s","turn_id":"2","seq":1,"role":"user","timestamp":"2026-03-05T10:00:01Z","content":"my password is wolf"}' || char(10) ||
  '{"tool":"t","host":"h","session_id":"s","turn_id":"3","seq":2,"role":"user","timestamp":"2026-03-05T10:00:02Z","content":"gamma wolf"}');
SELECT turn_id, snippet FROM turn_search WHERE query MATCH 'wolf' AND owner = 'dee' ORDER BY turn_id;
.print '# inside a writing statement (no savepoints: lethe re-runs its one statement)'
CREATE TEMP TABLE rejects AS SELECT line, code FROM lethe_ingest('eve',
  '{"tool":"t","host":"h","session_id":"s","turn_id":"1","seq":0,"role":"user","timestamp":"2026-03-05T10:00:00Z","content":"alpha wolf"}' || char(10) ||
  '{"tool":"t","host":"h","session_id":"s","turn_id":"2","seq":1,"role":"user","timestamp":"2026-03-05T10:00:01Z","content":"my password is wolf"}' || char(10) ||
  '{"tool":"t","host":"h","session_id":"s","turn_id":"3","seq":2,"role":"user","timestamp":"2026-03-05T10:00:02Z","content":"gamma wolf"}');
SELECT * FROM rejects;
SELECT turn_id, snippet FROM turn_search WHERE query MATCH 'wolf' AND owner = 'eve' ORDER BY turn_id;
SELECT count(*) AS password_hits FROM turn_search WHERE query MATCH 'password';
SELECT (SELECT count(*) FROM turns) AS turns, (SELECT count(*) FROM turn_text_fts_docsize) AS indexed;
INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1);
.print ''
.print '## 11. Usage that is right: cache tokens, one count per API response, prices'
.print '# usage_fixture.ndjson: Claude Code response msg_A in a session and in its'
.print '# sub-agent copy, msg_B in a continued session (a partial copy, 8 tokens out),'
.print '# msg_C synced from a second machine; codex and gemini turns with cache reads;'
.print '# a model with no price.'
.open
.load LETHE_MODULE
.read LETHE_ROOT/sql/schema.sql
.read LETHE_ROOT/sql/usage.sql
SELECT count(*) AS rejected FROM lethe_ingest('ana', readfile('LETHE_ROOT/tests/clients/packs/usage_fixture.ndjson'));
SELECT host, session_id, turn_id, model, tokens_in, tokens_out, cache_read_tokens AS cr,
       cache_write_tokens AS cw, counted, cost_source, price_model, unpriced,
       CASE WHEN cost_usd IS NOT NULL THEN printf('%.8f', cost_usd) END AS cost_usd
FROM turn_usage WHERE role = 'assistant' ORDER BY tool, timestamp, host, session_id;
.print '# hand-computed costs, USD per million tokens from model_prices:'
.print '#  msg_A sonnet-4-5: (1000 x 3 + 5000 x 0.30 + 200 x 3.75 + 300 x 15) / 1e6 = 0.00975'
.print '#  msg_D sonnet-4-5: (500 x 3 + 100 x 15) / 1e6 = 0.003'
.print '#  msg_B opus-4-5: (2000 x 5 + 1000 x 25) / 1e6 = 0.035'
.print '#  r1 gpt-5.1-codex: (2000 x 1.25 + 8000 x 0.125 + 500 x 10) / 1e6 = 0.0085'
.print '#  m1 gemini-2.5-flash: (3000 x 0.30 + 1000 x 0.03 + 200 x 2.50) / 1e6 = 0.00143'
SELECT turn_id, round(cost_usd, 8) = CASE turn_id WHEN 'msg_A' THEN 0.00975 WHEN 'msg_D' THEN 0.003
         WHEN 'msg_B' THEN 0.035 WHEN 'r1' THEN 0.0085 WHEN 'm1' THEN 0.00143
         WHEN 'msg_C' THEN 0.5 WHEN 'msg_E' THEN 0.01 END AS cost_ok
FROM turn_usage WHERE counted AND cost_source IS NOT NULL ORDER BY turn_id;
SELECT * FROM usage_by_day ORDER BY tool, model;
SELECT owner, tool, host, session_id, turns, tokens_in, tokens_out, cost_usd,
       cache_read_tokens, cache_write_tokens, unpriced_turns
FROM session_summary ORDER BY tool, host, session_id;
.print '# all Claude Code usage of the day: every response once'
SELECT day, sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out,
       sum(cache_read_tokens) AS cache_read, sum(cache_write_tokens) AS cache_write,
       sum(turns) AS turns, sum(unpriced_turns) AS unpriced
FROM usage_by_day WHERE tool = 'claude-code' GROUP BY day;
.print '# 5-hour blocks: 09:00 (msg_B at 13:30 is 4.5 h after the start), 14:00'
.print '# (msg_C at 14:10 is over 5 h after 09:00; msg_E at 19:00 exactly 5 h after'
.print '# 14:00 stays), 23:00 (msg_F, an unknown price)'
SELECT owner, block_start, block_end, first_turn, last_turn, turns, tokens_in, tokens_out,
       cache_read_tokens, cache_write_tokens, cost_usd, unpriced_turns, models, is_active
FROM usage_blocks ORDER BY block_start;
.print '# local days: name the offset once'
SELECT * FROM usage_settings;
SELECT local_day, tool, model, turns, tokens_out, cost_usd FROM usage_by_local_day ORDER BY 1, 2, 3;
UPDATE usage_settings SET value = '+09:00' WHERE name = 'local_day_modifier';
SELECT local_day, tool, model, turns, tokens_out, cost_usd FROM usage_by_local_day ORDER BY 1, 2, 3;
UPDATE usage_settings SET value = 'localtime' WHERE name = 'local_day_modifier';
SELECT local_day, count(*) AS turns FROM turn_usage GROUP BY 1 ORDER BY 1;

.print ''
.print '## 12. model_prices: prices the user set survive re-applying the pack'
SELECT model, input_usd_per_mtok, output_usd_per_mtok, cache_read_usd_per_mtok,
       cache_write_usd_per_mtok, source
FROM model_prices WHERE model IN ('claude-opus-4-5', 'claude-haiku-4-5', 'gemini-2.5-pro') ORDER BY model;
SELECT count(*) AS pack_rows FROM model_prices WHERE source = 'lethe 2026-12-01';
UPDATE model_prices SET input_usd_per_mtok = 4 WHERE model = 'claude-opus-4-5';
INSERT OR REPLACE INTO model_prices (model, input_usd_per_mtok, output_usd_per_mtok,
  cache_read_usd_per_mtok, cache_write_usd_per_mtok) VALUES ('claude-unknown-9', 1, 2, 0.1, 1.25);
.print '# a row an older pack wrote is refreshed; a deleted pack row comes back'
UPDATE model_prices SET output_usd_per_mtok = 99, source = 'lethe 2020-01-01' WHERE model = 'claude-haiku-4-5';
DELETE FROM model_prices WHERE model = 'gemini-2.5-pro';
SELECT model, input_usd_per_mtok, output_usd_per_mtok, source FROM model_prices
WHERE model IN ('claude-opus-4-5', 'claude-unknown-9', 'claude-haiku-4-5', 'gemini-2.5-pro') ORDER BY model;
.read LETHE_ROOT/sql/usage.sql
SELECT model, input_usd_per_mtok, output_usd_per_mtok, source FROM model_prices
WHERE model IN ('claude-opus-4-5', 'claude-unknown-9', 'claude-haiku-4-5', 'gemini-2.5-pro') ORDER BY model;
.print '# msg_B now (2000 x 4 + 1000 x 25) / 1e6 = 0.033; msg_F (10 x 1 + 10 x 2) / 1e6 = 0.00003'
SELECT turn_id, printf('%.8f', cost_usd) AS cost_usd, cost_source, unpriced FROM turn_usage
WHERE turn_id IN ('msg_B', 'msg_F') AND counted ORDER BY turn_id;
SELECT block_start, turns, cost_usd, unpriced_turns FROM usage_blocks ORDER BY block_start;
.print ''
.print '## 13. Search across everything: tool calls, tool output, machine and project'
.open
.load LETHE_MODULE
PRAGMA foreign_keys = ON;
.read LETHE_ROOT/sql/schema.sql
SELECT count(*) AS rejected FROM lethe_ingest('ana', readfile('LETHE_ROOT/examples/demo.ndjson'));
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"claude-code","host":"desk","session_id":"s9","turn_id":"a1","seq":1,"role":"assistant","timestamp":"2026-03-04T10:00:00Z","content":"Running the checkout tests.","tool_calls":[{"id":"toolu_9","name":"Bash","input":{"command":"pytest -k flaky_checkout tests/","description":"R\u00e9sum\u00e9 run"}}],"metadata":{"thinking":"maybe zanzibar is the culprit"},"session_meta":{"working_dir":"/home/ana/src/till"}}' || char(10) ||
  '{"tool":"claude-code","host":"desk","session_id":"s9","turn_id":"t2","seq":2,"role":"tool","timestamp":"2026-03-04T10:00:05Z","content":"E   AssertionError: 10.005 != 10.01","metadata":{"tool_use_ids":["toolu_9"],"is_error":true}}');
.read LETHE_ROOT/sql/search.sql
SELECT (SELECT count(*) FROM turns WHERE tool_calls IS NOT NULL) AS with_tool_calls,
       (SELECT count(*) FROM tool_call_text) AS texts,
       (SELECT count(*) FROM tool_call_text_fts_docsize) AS indexed;
SELECT turn_rowid, content FROM tool_call_text ORDER BY turn_rowid;
.print '# what the agent ran: a command, a tool name, a path, unicode folded'
SELECT host, project, turn_id, snippet FROM tool_call_search WHERE query MATCH 'flaky' AND owner = 'ana';
SELECT host, project, tool, turn_id, snippet FROM tool_call_search WHERE query MATCH 'grep OR rg' ORDER BY tool;
.print '# a text of two characters is below the index (3): a scan finds it'
SELECT t.tool, t.turn_id FROM turns AS t JOIN tool_call_text AS x ON x.turn_rowid = t.rowid
WHERE instr(lower(x.content), lower('rg')) ORDER BY t.tool;
SELECT turn_id FROM tool_call_search WHERE query MATCH '"résumé"' AND tool = 'claude-code' ORDER BY rank;
SELECT count(*) AS resume_hits FROM tool_call_search WHERE query MATCH 'resume';
.print '# tool output is content: found by turn_search, with machine and project'
SELECT host, project, role, turn_id, snippet FROM turn_search WHERE query MATCH 'assertionerror';
.print '# thinking is not searched'
SELECT (SELECT count(*) FROM turn_search WHERE query MATCH 'zanzibar')
     + (SELECT count(*) FROM tool_call_search WHERE query MATCH 'zanzibar') AS thinking_hits;
.print '# both at once'
WITH hits AS MATERIALIZED (
  SELECT 'said' AS matched, rank, host, project, tool, session_id, turn_id, snippet
  FROM turn_search WHERE query MATCH 'checkout OR csv' AND owner = 'ana'
  UNION ALL
  SELECT 'ran', rank, host, project, tool, session_id, turn_id, snippet
  FROM tool_call_search WHERE query MATCH 'checkout OR csv' AND owner = 'ana')
SELECT matched, host, project, tool, turn_id, snippet FROM hits ORDER BY rank, turn_id;
.print '# a re-sent turn with other tool calls: old words leave, new ones come'
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"claude-code","host":"desk","session_id":"s9","turn_id":"a1","seq":1,"role":"assistant","timestamp":"2026-03-04T10:00:00Z","content":"Running the checkout tests.","tool_calls":[{"id":"toolu_9","name":"Bash","input":{"command":"make lint"}}]}');
SELECT (SELECT count(*) FROM tool_call_search WHERE query MATCH 'flaky') AS flaky,
       (SELECT count(*) FROM tool_call_search WHERE query MATCH 'lint') AS lint;
INSERT INTO tool_call_text_fts (tool_call_text_fts, rank) VALUES ('integrity-check', 1);
.print '# re-applying the pack changes nothing; tool_calls that are not JSON are skipped'
.read LETHE_ROOT/sql/search.sql
SELECT (SELECT count(*) FROM tool_call_text) AS texts, (SELECT count(*) FROM tool_call_text_fts_docsize) AS indexed;
UPDATE turns SET tool_calls = 'not json' WHERE turn_id = 'a1';
SELECT (SELECT count(*) FROM tool_call_text) AS texts, (SELECT count(*) FROM tool_call_text_fts_docsize) AS indexed,
       (SELECT count(*) FROM tool_call_search WHERE query MATCH 'lint') AS lint;
INSERT INTO tool_call_text_fts (tool_call_text_fts, rank) VALUES ('integrity-check', 1);
.print '# deleting a session (ON DELETE CASCADE) empties its part of both indexes'
DELETE FROM sessions WHERE owner = 'ana' AND tool = 'codex';
SELECT (SELECT count(*) FROM tool_call_text) AS texts, (SELECT count(*) FROM tool_call_text_fts_docsize) AS indexed,
       (SELECT count(*) FROM tool_call_search WHERE query MATCH 'rg') AS rg;
INSERT INTO tool_call_text_fts (tool_call_text_fts, rank) VALUES ('integrity-check', 1);
INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1);
.print '# done'
