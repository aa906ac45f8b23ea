-- Issue 19, fast sums: the usage views read caches while nothing changed
-- since usage_refresh, and compute from turns otherwise. Every view must
-- show the same rows either way, after any change and its refresh. Run by
-- run_packs.sh (usage_cache); compared with usage_cache.expected.
.bail on
.load LETHE_MODULE
.mode list
.headers on
.read LETHE_ROOT/sql/schema.sql
.read LETHE_ROOT/sql/search.sql
.read LETHE_ROOT/sql/usage.sql
SELECT fresh, mode, stale, changed_sessions FROM usage_cache_status;
SELECT count(*) AS rejected FROM lethe_ingest('ana', readfile('LETHE_ROOT/examples/demo.ndjson'));
SELECT count(*) AS rejected FROM lethe_ingest('ana', readfile('LETHE_ROOT/tests/clients/packs/usage_fixture.ndjson'));
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  readfile('LETHE_ROOT/tests/clients/packs/fixtures/claude_1h.jsonl'), '{"format":"claude-code","host":"laptop"}');
.print '# written: the views compute (fresh = 0)'
SELECT fresh, stale, changed_sessions FROM usage_cache_status;

-- Every view a person reads, as a list of rows, computed now (live).
CREATE TEMP VIEW everything AS
SELECT 'usage_daily' AS v, json_array(day, owner, sessions, turns, billable_turns, unpriced_turns, cost_usd, priced_cost_usd, tokens_in, tokens_out, input_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, total_tokens) AS r FROM usage_daily
UNION ALL SELECT 'usage_daily_by_model', json_array(day, owner, tool, model, sessions, turns, billable_turns, unpriced_turns, cost_usd, priced_cost_usd, tokens_in, tokens_out, cache_write_1h_tokens) FROM usage_daily_by_model
UNION ALL SELECT 'usage_local_daily_by_agent', json_array(local_day, owner, tool, sessions, turns, cost_usd) FROM usage_local_daily_by_agent
UNION ALL SELECT 'usage_monthly', json_array(month, owner, sessions, turns, cost_usd, tokens_in, tokens_out) FROM usage_monthly
UNION ALL SELECT 'usage_by_period', json_array(period_kind, period, owner, tool, model, project, sessions, turns, tokens_in, tokens_out, cost_usd, cache_read_tokens, cache_write_tokens, unpriced_turns, billable_turns, priced_cost_usd, cache_write_1h_tokens) FROM usage_by_period
UNION ALL SELECT 'session_summary', json_array(owner, tool, host, session_id, project, started_at, ended_at, turns, user_turns, tokens_in, tokens_out, cost_usd, source_file, cache_read_tokens, cache_write_tokens, unpriced_turns, billable_turns, priced_cost_usd, cache_write_1h_tokens, hosts, host_count) FROM session_summary
UNION ALL SELECT 'session_usage_by_model', json_array(owner, tool, session_id, model, turns, cost_usd, tokens_in) FROM session_usage_by_model
UNION ALL SELECT 'usage_blocks', json_array(owner, block_start, block_end, first_turn, last_turn, turns, tokens_in, tokens_out, cost_usd, unpriced_turns, priced_cost_usd) FROM usage_blocks
UNION ALL SELECT 'usage_block_models', json_array(owner, block_start, model, turns, cost_usd) FROM usage_block_models
UNION ALL SELECT 'usage_daily_by_project', json_array(day, owner, project, agents, turns, billable_turns, unpriced_turns, cost_usd, priced_cost_usd, input_tokens, total_tokens) FROM usage_daily_by_project
UNION ALL SELECT 'usage_local_daily_by_project', json_array(local_day, owner, project, turns, cost_usd, total_tokens) FROM usage_local_daily_by_project
UNION ALL SELECT 'usage_cache_savings', json_array(owner, day, local_day, tool, model, turns, cache_read_tokens, unpriced_turns, saved_usd, priced_saved_usd) FROM usage_cache_savings
UNION ALL SELECT 'turn_usage', json_array(owner, tool, host, session_id, turn_id, tokens_in, tokens_out, cost_usd, local_day, cache_read_tokens, cache_write_tokens, counted, cost_source, price_model, unpriced, billable, cache_write_1h_tokens, price_tier, first_copy, quarter) FROM turn_usage;
CREATE TEMP TABLE live AS SELECT * FROM everything;

-- After a refresh: the caches, and the same rows.
CREATE TEMP VIEW check_cache AS
SELECT (SELECT fresh FROM usage_cache_status) AS fresh,
       (SELECT count(*) FROM live) AS rows,
       (SELECT count(*) FROM (SELECT v, r FROM everything EXCEPT SELECT v, r FROM live)) AS only_cached,
       (SELECT count(*) FROM (SELECT v, r FROM live EXCEPT SELECT v, r FROM everything)) AS only_live;

.print '## 1. The first refresh'
INSERT INTO usage_refresh DEFAULT VALUES;
SELECT * FROM check_cache;
SELECT (SELECT count(*) FROM usage_turn_cache) AS cached_turns, (SELECT count(*) FROM turns) AS turns,
       (SELECT count(*) FROM usage_grain_cache) AS grain_rows;

.print '## 2. A better copy of a response in another session (msg_B: 8 -> 2000 tokens out'
.print '##    in c2): the copy that counts moves from p1 to c2, both sessions change'
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"claude-code","host":"laptop","session_id":"c2","turn_id":"msg_B","seq":5,"role":"assistant","timestamp":"2026-03-10T13:29:00Z","model":"claude-opus-4-5","tokens_in":2000,"tokens_out":2000,"metadata":{"message_id":"msg_B"},"session_meta":{"working_dir":"/home/ana/src/shop"}}');
SELECT fresh, changed_sessions FROM usage_cache_status;
DELETE FROM live; INSERT INTO live SELECT * FROM everything;
INSERT INTO usage_refresh DEFAULT VALUES;
SELECT * FROM check_cache;
SELECT session_id, turn_id, counted FROM turn_usage WHERE turn_id = 'msg_B' ORDER BY session_id;

.print '## 3. A session deleted (its turns go with it), a working_dir given late'
PRAGMA foreign_keys = ON;
DELETE FROM sessions WHERE session_id = 'p1:agent-x';
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"gemini-cli","host":"laptop","session_id":"g-1","turn_id":"m9","seq":12,"role":"user","timestamp":"2026-03-10T11:05:00Z","content":"and now?","session_meta":{"working_dir":"/home/ana/late"}}');
SELECT fresh, changed_sessions FROM usage_cache_status;
DELETE FROM live; INSERT INTO live SELECT * FROM everything;
INSERT INTO usage_refresh DEFAULT VALUES;
SELECT * FROM check_cache;

.print '## 4. A price changes: the whole cache is stale until the refresh'
UPDATE model_prices SET output_usd_per_mtok = 30 WHERE model = 'claude-opus-4-5';
SELECT fresh, stale FROM usage_cache_status;
DELETE FROM live; INSERT INTO live SELECT * FROM everything;
INSERT INTO usage_refresh DEFAULT VALUES;
SELECT * FROM check_cache;
.print '# the local day follows the setting without a refresh'
UPDATE usage_settings SET value = '+09:00' WHERE name = 'local_day_modifier';
SELECT fresh FROM usage_cache_status;
SELECT local_day, tool, cost_usd FROM usage_local_daily_by_agent ORDER BY 1, 2;

.print '## 5. The same session from a second machine: one session still'
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"codex","host":"other","session_id":"rollout-1","turn_id":"r1","seq":10,"role":"assistant","timestamp":"2026-03-10T10:00:00Z","model":"gpt-5.1-codex","tokens_in":10000,"tokens_out":500,"metadata":{"cache_read_tokens":8000},"session_meta":{"working_dir":"/srv/pay"}}');
DELETE FROM live; INSERT INTO live SELECT * FROM everything;
INSERT INTO usage_refresh DEFAULT VALUES;
SELECT * FROM check_cache;
SELECT tool, session_id, hosts, turns FROM session_summary WHERE tool = 'codex';

.print '## 6. Applying the pack again, the same file: nothing is computed again'
.print '# (a marker row in the cache survives), the same rows'
INSERT INTO usage_turn_cache (turn_rowid, owner) VALUES (-1, 'marker');
.read LETHE_ROOT/sql/usage.sql
SELECT count(*) AS marker_kept FROM usage_turn_cache WHERE turn_rowid = -1;
DELETE FROM usage_turn_cache WHERE turn_rowid = -1;
SELECT * FROM check_cache;
.print '# definitions that changed (an older release): everything again'
UPDATE usage_cache_state SET computed_by = 'an older release';
INSERT INTO usage_turn_cache (turn_rowid, owner) VALUES (-1, 'marker');
.read LETHE_ROOT/sql/usage.sql
SELECT count(*) AS marker_kept FROM usage_turn_cache WHERE turn_rowid = -1;
SELECT * FROM check_cache;

.print '## 7. localtime: the local days are read from the cache only for the zone local_zone names'
UPDATE usage_settings SET value = 'localtime' WHERE name = 'local_day_modifier';
INSERT INTO usage_refresh DEFAULT VALUES;
DELETE FROM live; INSERT INTO live SELECT * FROM everything;
.print '# unnamed: computed, never read from the cache'
SELECT fresh, sums_fresh FROM usage_cache_status;
UPDATE usage_settings SET value = 'Australia/Sydney' WHERE name = 'local_zone';
SELECT fresh, stale, sums_fresh FROM usage_cache_status;
INSERT INTO usage_refresh DEFAULT VALUES;
.print '# named and refreshed: read from the cache, the same local days'
SELECT fresh, sums_fresh FROM usage_cache_status;
SELECT * FROM check_cache;
.print '# another zone named: not read (no stale cache, nothing else computed again)'
UPDATE usage_settings SET value = 'Asia/Tokyo' WHERE name = 'local_zone';
SELECT fresh, stale, sums_fresh FROM usage_cache_status;
SELECT * FROM check_cache;
UPDATE usage_settings SET value = 'Australia/Sydney' WHERE name = 'local_zone';
SELECT sums_fresh FROM usage_cache_status;
.print '# a zone named with a fixed offset changes nothing'
UPDATE usage_settings SET value = '+09:00' WHERE name = 'local_day_modifier';
SELECT sums_fresh FROM usage_cache_status;
DELETE FROM live; INSERT INTO live SELECT * FROM everything;
INSERT INTO usage_refresh DEFAULT VALUES;
UPDATE usage_settings SET value = 'Asia/Tokyo' WHERE name = 'local_zone';
SELECT sums_fresh FROM usage_cache_status;

.print '## 8. An archive from before local_zone: the setting added, its caches read again'
DELETE FROM usage_settings WHERE name = 'local_zone';
UPDATE usage_cache_state SET computed_by = 'a release before local_zone';
.read LETHE_ROOT/sql/usage.sql
SELECT name, value FROM usage_settings WHERE name LIKE 'local%' ORDER BY 1;
SELECT fresh, sums_fresh FROM usage_cache_status;
SELECT * FROM check_cache;
.print '# with localtime set by hand before the upgrade: never read until local_zone names it'
UPDATE usage_settings SET value = 'localtime' WHERE name = 'local_day_modifier';
DELETE FROM usage_settings WHERE name = 'local_zone';
DELETE FROM live; INSERT INTO live SELECT * FROM everything;
UPDATE usage_cache_state SET computed_by = 'a release before local_zone',
                             sums_local_day_modifier = 'localtime';
.read LETHE_ROOT/sql/usage.sql
SELECT fresh, sums_fresh FROM usage_cache_status;
SELECT * FROM check_cache;
