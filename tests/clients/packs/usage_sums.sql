-- Issue 19, item 1: the sums people want, where an unknown price makes the
-- total unknown and a row that cannot have a cost says NULL, never 0.
-- Run by run_packs.sh (usage_sums); output compared with usage_sums.expected.
.bail on
.load LETHE_MODULE
.mode list
.headers on
.read LETHE_ROOT/sql/schema.sql
.read LETHE_ROOT/sql/usage.sql
.print '# 1 April: a prompt, and an answer by a model no price is known for;'
.print '# 2 April: a prompt, an answer by a priced model, an answer without usage;'
.print '# 3 April: an answer by a model priced at 0 (a local model): a known 0.'
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"claude-code","host":"laptop","session_id":"s1","turn_id":"u1","seq":0,"role":"user","timestamp":"2026-04-01T10:00:00Z","content":"hi"}' || char(10) ||
  '{"tool":"claude-code","host":"laptop","session_id":"s1","turn_id":"a1","seq":1,"role":"assistant","timestamp":"2026-04-01T10:00:05Z","model":"claude-mystery-1","tokens_in":1000,"tokens_out":100,"metadata":{"message_id":"a1"}}' || char(10) ||
  '{"tool":"codex","host":"laptop","session_id":"r1","turn_id":"u2","seq":0,"role":"user","timestamp":"2026-04-02T10:00:00Z","content":"go"}' || char(10) ||
  '{"tool":"codex","host":"laptop","session_id":"r1","turn_id":"a2","seq":1,"role":"assistant","timestamp":"2026-04-02T10:00:05Z","model":"gpt-5","tokens_in":2000,"tokens_out":100}' || char(10) ||
  '{"tool":"codex","host":"laptop","session_id":"r1","turn_id":"a3","seq":2,"role":"assistant","timestamp":"2026-04-02T10:00:09Z","model":"gpt-5","content":"(usage lost)"}' || char(10) ||
  '{"tool":"gemini-cli","host":"laptop","session_id":"g1","turn_id":"a4","seq":0,"role":"assistant","timestamp":"2026-04-03T10:00:00Z","model":"my-local-model","tokens_in":500,"tokens_out":50}');
INSERT INTO model_prices (model, input_usd_per_mtok, output_usd_per_mtok,
  cache_read_usd_per_mtok, cache_write_usd_per_mtok) VALUES ('my-local-model', 0, 0, 0, 0);

.print ''
.print '## What a user types on 1 April: the day total is unknown, not $0.00'
SELECT day, round(sum(cost_usd), 6) AS cost_usd, sum(unpriced_turns) AS unpriced_turns
FROM usage_by_day GROUP BY day ORDER BY day;

.print ''
.print '## Turns: user turns and an answer without usage carry no cost (NULL)'
SELECT turn_id, role, model, billable, unpriced, cost_source, cost_usd FROM turn_usage
ORDER BY timestamp;

.print ''
.print '## All agents together, per day, per local day, per month'
SELECT * FROM usage_daily ORDER BY day;
UPDATE usage_settings SET value = '-12:00' WHERE name = 'local_day_modifier';
SELECT local_day, sessions, turns, billable_turns, unpriced_turns, cost_usd, priced_cost_usd
FROM usage_local_daily ORDER BY local_day;
UPDATE usage_settings SET value = '+00:00' WHERE name = 'local_day_modifier';
SELECT * FROM usage_monthly;

.print ''
.print '## By agent, and by agent and model'
SELECT * FROM usage_daily_by_agent ORDER BY day, tool;
SELECT * FROM usage_daily_by_model ORDER BY day, tool, model;
SELECT month, tool, cost_usd, priced_cost_usd, unpriced_turns FROM usage_monthly_by_agent ORDER BY tool;
SELECT month, tool, model, cost_usd, priced_cost_usd, unpriced_turns FROM usage_monthly_by_model
ORDER BY tool, model;
SELECT local_day, tool, cost_usd FROM usage_local_daily_by_agent ORDER BY 1, 2;
SELECT local_day, tool, model, cost_usd FROM usage_local_daily_by_model ORDER BY 1, 2, 3;

.print ''
.print '## Sessions, and each session by model'
SELECT tool, session_id, turns, billable_turns, unpriced_turns, cost_usd, priced_cost_usd
FROM session_summary ORDER BY tool;
SELECT * FROM session_usage_by_model ORDER BY tool, session_id, model;

.print ''
.print '## The per-tool rows: a row with no billable turn says NULL'
SELECT day, tool, model, turns, billable_turns, cost_usd FROM usage_by_day ORDER BY day, tool, model;

.print ''
.print '## Blocks (Claude Code): the block of the unknown model is unknown'
SELECT block_start, turns, cost_usd, priced_cost_usd, unpriced_turns FROM usage_blocks;
SELECT block_start, model, turns, cost_usd, unpriced_turns FROM usage_block_models;

.print ''
.print '## A price for the mystery model: every sum becomes known'
INSERT INTO model_prices (model, input_usd_per_mtok, output_usd_per_mtok,
  cache_read_usd_per_mtok, cache_write_usd_per_mtok) VALUES ('claude-mystery-1', 1, 10, 0.1, 1.25);
SELECT day, cost_usd, unpriced_turns FROM usage_daily ORDER BY day;
SELECT block_start, cost_usd FROM usage_blocks;
