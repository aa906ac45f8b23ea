-- Issue 19, item 2: 1-hour cache writes, each provider's cached input, and
-- prices that depend on the size of a request's prompt. Run by run_packs.sh
-- (usage_prices); output compared with usage_prices.expected.
.bail on
.load LETHE_MODULE
.mode list
.headers on
.read LETHE_ROOT/sql/schema.sql
.read LETHE_ROOT/sql/usage.sql
.print '# A Claude Code 2.1.38 file read by the claude-code reader: one response whose cache'
.print '# writes are 1,000 5-minute and 4,000 1-hour tokens (usage.cache_creation),'
.print '# a 250k-token prompt (over the 200k tier of Sonnet 4.5), one of exactly 200k,'
.print '# and an Opus 4.6 prompt of 310k (no tier: the whole window at the base price).'
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  readfile('LETHE_ROOT/tests/clients/packs/fixtures/claude_1h.jsonl'), '{"format":"claude-code","host":"laptop"}');
SELECT turn_id, json_extract(metadata, '$.cache_write_tokens') AS cache_write_tokens,
       json_extract(metadata, '$.usage.cache_creation') AS stored_split
FROM turns WHERE role = 'assistant' ORDER BY timestamp;
.print '# Codex: gpt-5.4 turns; one sums 3 requests (600k prompt tokens, 200k a'
.print '# request: base price), one is a single 300k request (over 272k: the tier).'
.print '# Gemini: a 2.5 Pro prompt of 300k (over 200k), a 2.5 Flash one (no tier).'
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"codex","host":"desk","session_id":"r54","turn_id":"t1","seq":0,"role":"assistant","timestamp":"2026-05-04T10:00:00Z","model":"gpt-5.4","tokens_in":600000,"tokens_out":3000,"metadata":{"cache_read_tokens":500000,"requests":3}}' || char(10) ||
  '{"tool":"codex","host":"desk","session_id":"r54","turn_id":"t2","seq":1,"role":"assistant","timestamp":"2026-05-04T10:05:00Z","model":"gpt-5.4","tokens_in":300000,"tokens_out":1000,"metadata":{"cache_read_tokens":200000,"requests":1}}' || char(10) ||
  '{"tool":"gemini-cli","host":"laptop","session_id":"g25","turn_id":"m1","seq":0,"role":"assistant","timestamp":"2026-05-04T11:00:00Z","model":"gemini-2.5-pro","tokens_in":300000,"tokens_out":2000,"metadata":{"cache_read_tokens":100000}}' || char(10) ||
  '{"tool":"gemini-cli","host":"laptop","session_id":"g25","turn_id":"m2","seq":1,"role":"assistant","timestamp":"2026-05-04T11:01:00Z","model":"gemini-2.5-flash","tokens_in":300000,"tokens_out":2000,"metadata":{"cache_read_tokens":100000}}');

.print ''
.print '## Each turn: its tier, its 1-hour writes, its cost'
SELECT turn_id, model, price_model, price_tier, tokens_in, tokens_out, cache_read_tokens AS cr,
       cache_write_tokens AS cw, cache_write_1h_tokens AS cw_1h, printf('%.6f', cost_usd) AS cost_usd
FROM turn_usage WHERE billable ORDER BY timestamp;
.print '# by hand, USD per million tokens:'
.print '#  msg_1h   sonnet-4-5: (100 x 3 + 10000 x 0.30 + 1000 x 3.75 + 4000 x 3 x 2 + 200 x 15) / 1e6 = 0.034050'
.print '#           (all writes at the 5-minute price: 0.025050, 26 % low)'
.print '#  msg_long sonnet-4-5 over 200k: (50000 x 6 + 200000 x 0.60 + 1000 x 22.50) / 1e6 = 0.442500'
.print '#  msg_edge exactly 200k, base: (100000 x 3 + 100000 x 0.30 + 1000 x 15) / 1e6 = 0.345000'
.print '#  msg_opus opus-4-6 310k, base: (300000 x 5 + 10000 x 5 x 2 + 100 x 25) / 1e6 = 1.602500'
.print '#  t1 gpt-5.4, 200k a request: (100000 x 2.50 + 500000 x 0.25 + 3000 x 15) / 1e6 = 0.420000'
.print '#  t2 gpt-5.4 over 272k: (100000 x 5 + 200000 x 0.50 + 1000 x 22.50) / 1e6 = 0.622500'
.print '#  m1 gemini-2.5-pro over 200k: (200000 x 2.50 + 100000 x 0.25 + 2000 x 15) / 1e6 = 0.555000'
.print '#  m2 gemini-2.5-flash: (200000 x 0.30 + 100000 x 0.03 + 2000 x 2.50) / 1e6 = 0.068000'
SELECT turn_id, round(cost_usd, 6) = CASE turn_id WHEN 'msg_1h' THEN 0.03405 WHEN 'msg_long' THEN 0.4425
         WHEN 'msg_edge' THEN 0.345 WHEN 'msg_opus' THEN 1.6025 WHEN 't1' THEN 0.42
         WHEN 't2' THEN 0.6225 WHEN 'm1' THEN 0.555 WHEN 'm2' THEN 0.068 END AS cost_ok
FROM turn_usage WHERE billable ORDER BY timestamp;

.print ''
.print '## The sums carry the 1-hour writes'
SELECT day, tool, model, cache_write_tokens, cache_write_1h_tokens, cost_usd
FROM usage_daily_by_model ORDER BY tool, model;
SELECT tool, session_id, cache_write_tokens, cache_write_1h_tokens, cost_usd FROM session_summary
ORDER BY tool;

.print ''
.print '## The tiers, with their dated source; yours survive the pack'
SELECT model, above_input_tokens, input_usd_per_mtok, output_usd_per_mtok,
       cache_read_usd_per_mtok, cache_write_usd_per_mtok, source
FROM model_price_tiers ORDER BY model;
UPDATE model_price_tiers SET output_usd_per_mtok = 20 WHERE model = 'gpt-5.4';
INSERT INTO model_price_tiers (model, above_input_tokens, input_usd_per_mtok, output_usd_per_mtok,
  cache_read_usd_per_mtok, cache_write_usd_per_mtok)
VALUES ('gemini-2.5-flash', 200000, 0.60, 5.00, 0.06, NULL);
.read LETHE_ROOT/sql/usage.sql
SELECT model, above_input_tokens, output_usd_per_mtok, source FROM model_price_tiers
WHERE model IN ('gpt-5.4', 'gemini-2.5-flash') ORDER BY model;
SELECT turn_id, price_tier, printf('%.6f', cost_usd) AS cost_usd FROM turn_usage
WHERE turn_id IN ('t2', 'm2') ORDER BY turn_id;
.print '# the 1-hour multiplier is a setting'
SELECT name, value FROM usage_settings ORDER BY name;
UPDATE usage_settings SET value = '1.25' WHERE name = 'cache_write_1h_multiplier';
SELECT turn_id, printf('%.6f', cost_usd) AS cost_usd FROM turn_usage WHERE turn_id = 'msg_1h';
