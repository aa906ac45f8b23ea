-- lethe usage pack: views over sessions and turns to query directly, and a
-- price list to cost the turns that carry no cost of their own.
--
-- Apply it after sql/schema.sql, once or as often as you like (idempotent;
-- re-applying replaces the views with this file's definitions and never
-- overwrites a price you set, see model_prices below):
--   sqlite3 agents.db < sql/usage.sql          (or .read sql/usage.sql)
--
--   usage_daily, usage_local_daily, usage_monthly
--                    per owner and UTC day / local day / UTC month, all
--                    agents together
--   usage_daily_by_agent, usage_local_daily_by_agent, usage_monthly_by_agent
--                    the same per agent (tool)
--   usage_daily_by_model, usage_local_daily_by_model, usage_monthly_by_model
--                    the same per agent and model
--   usage_daily_by_project, usage_local_daily_by_project
--                    the same per project, all agents together
--   usage_cache_savings  what reading the cache saved, per day, agent and
--                    model (see at its definition)
--   session_summary  one row per session: project, start, end, duration,
--                    turns, tokens in/out, cache read/write, cost, models
--   session_usage_by_model  a session's usage per model
--   usage_blocks     Claude Code's 5-hour billing blocks, per owner, with
--                    ccusage's rule (see below); usage_block_models: per model
--   turn_usage       one row per turn with its session's project, its UTC
--                    day and month, its local day, its cache tokens and its
--                    cost: the base of the views below and of your own
--                    groupings (weeks, hosts, ...)
--   usage_by_day     per UTC day, owner, tool, model and project
--   usage_by_local_day  the same per local day (see "Local days")
--   usage_by_month   per UTC month, owner, tool, model and project
--   usage_by_period  the three above in one: period_kind ('day',
--                    'local_day', 'month') and period, then their columns
--   usage_sums       every grouped sum above in one (period_kind, grain)
--   usage_grain      the grain they are all made of: per owner, tool,
--                    session, model and UTC quarter hour
--   usage_refresh    INSERT INTO usage_refresh DEFAULT VALUES: brings the
--                    caches the views read up to date ("Fast sums" below;
--                    (reason) VALUES ('full'): all of them again);
--                    usage_cache_status says whether they are
--   model_prices     USD per million tokens of each model: input, output,
--                    cache read, cache write; yours to edit
--   model_price_tiers  the prices of requests whose prompt is over a size
--   usage_settings   name/value settings: local_day_modifier,
--                    cache_write_1h_multiplier
--
-- The project is the session's working_dir (session_meta.working_dir), NULL
-- when no line of the session gave one. The model is a turn's model: user,
-- tool and system turns usually have none, so their rows have model NULL
-- (and, as a rule, no tokens or cost). Tokens sum to 0 when no turn of a row
-- has any.
--
-- Tokens (lethe's one meaning for every tool, docs/reference/adapters.md):
-- tokens_in is every prompt token of the request, cache reads and cache
-- writes included; tokens_out every generated token. cache_read_tokens and cache_write_tokens
-- come from the turn's metadata (metadata.cache_read_tokens,
-- metadata.cache_write_tokens, as lethe's native readers write them; NULL
-- when the turn has none). So the uncached input is tokens_in minus both.
--
-- Counted once per API response. Claude Code writes the same response into
-- more than one session (a sub-agent's file and its parent's, a continued
-- session that replays the one before): the turns share
-- metadata.message_id. And the same session can reach the archive from two
-- machines (a home folder copied to a new laptop, or shared): the turns
-- share their session_id and turn_id under two hosts. turn_usage counts
-- each (owner, tool, message_id), and each (owner, tool, session_id,
-- turn_id) of a turn without a message_id, once: the copy in a session that
-- is not a sub-agent's (no session metadata.parent_session_id) first, then
-- the one with the most output tokens, then the earliest. Its other copies
-- keep their row with counted = 0 and NULL tokens, cache tokens and cost,
-- so no sum counts them.
--
-- Cost. A turn's cost_usd is its own (the line's cost_usd: cost_source
-- 'turn'); else, when it has tokens, the price of its model (cost_source
-- 'model_prices'):
--   (uncached input * input + cache reads * cache_read
--    + 5-minute cache writes * cache_write
--    + 1-hour cache writes * input * cache_write_1h_multiplier
--    + tokens_out * output) / 1,000,000
-- The 1-hour writes are Claude Code's usage.cache_creation.
-- ephemeral_1h_input_tokens (kept in metadata.usage); the multiplier is a
-- row of usage_settings (2: Anthropic's price of a 1-hour write is twice the
-- input's). OpenAI and Gemini report their cached input inside the input
-- tokens: it is the cache reads here, at the cached-input price, and they
-- report no writes. The prices are the request's: model_prices, or the row
-- of model_price_tiers whose threshold its prompt exceeds (long prompts
-- cost more for some models; a Codex turn sums several requests, and their
-- mean prompt decides). price_tier says which.
-- A model that model_prices does not know, or a price left NULL where the
-- turn has such tokens, gives an unknown cost: NULL, never 0 (unpriced = 1).
-- A model matches its row exactly, or with a date suffix
-- ('claude-sonnet-4-5-20250929' uses 'claude-sonnet-4-5',
-- 'gpt-4.1-2025-04-14' uses 'gpt-4.1'). Batch, flex, priority and regional
-- prices are not modelled.
-- Sums. A turn is billable when it is counted (see above) and has tokens
-- or a cost of its own; only billable turns can have a cost. In every
-- grouped view:
--   cost_usd         the sum of the costs rounded to 6 decimals; NULL when
--                    a billable turn of the row has an unknown cost (a
--                    total that leaves it out would be wrong), and NULL
--                    when the row has no billable turn (user, tool and
--                    system turns, an answer whose usage was lost): never a
--                    0 that means "unknown" or "nothing to cost". A 0.0 is
--                    a real 0 (a model you priced at 0).
--   unpriced_turns   how many billable turns have an unknown cost
--   billable_turns   how many turns can have a cost
--   priced_cost_usd  the sum of the costs that are known (NULL when none
--                    is): what was spent at least, when unpriced_turns > 0
--   input_tokens     the uncached input (tokens_in minus cache reads and
--                    writes), total_tokens = tokens_in + tokens_out: the
--                    figures ccusage calls inputTokens and totalTokens
-- So a day's total is a row of usage_daily, not a sum() over usage_by_day:
-- sum() skips NULLs and would turn "unknown" back into a number.

-- Totals only count what is stored, and lethe stores a turn once (its key is
-- (owner, tool, host, session_id, turn_id); a re-sent line overwrites it), so
-- ingesting the same batch again changes no total.
--
-- model_prices is filled with the published prices of current Claude, GPT
-- and Gemini models (sources and dates below, at the INSERT). Edit it as you
-- like:
--   INSERT OR REPLACE INTO model_prices (model, input_usd_per_mtok,
--     output_usd_per_mtok, cache_read_usd_per_mtok, cache_write_usd_per_mtok)
--   VALUES ('my-model', 1.0, 4.0, 0.1, 1.25);
--   UPDATE model_prices SET output_usd_per_mtok = 12 WHERE model = 'gpt-5';
-- A row's source says where it came from: the pack's rows say
-- 'lethe <date>'; every row you insert or change says 'user' (an UPDATE of
-- a price marks the row 'user' by itself). Re-applying this file refreshes
-- only rows still marked 'lethe ...', so your prices stay. (A pack row you
-- DELETE comes back on the next application: to make a model unknown, set
-- its prices to NULL instead.)
--
-- Days. day and month are UTC: times are stored in UTC as
-- 'YYYY-MM-DDTHH:MM:SS.sssZ', and day = date(timestamp).
-- Local days: local_day = date(timestamp, <local_day_modifier>), where the
-- modifier is the value of usage_settings 'local_day_modifier' (default
-- '+00:00', i.e. UTC). Name your offset once, and usage_by_local_day and
-- turn_usage.local_day follow it (the grouped views take the local day of
-- each UTC quarter hour: the same day for every offset that is a multiple
-- of 15 minutes, which every time zone in use today is):
--   UPDATE usage_settings SET value = '+09:00' WHERE name = 'local_day_modifier';
--   UPDATE usage_settings SET value = '-05:00' WHERE name = 'local_day_modifier';
--   -- the time zone of the process running SQLite (TZ variable; daylight
--   -- saving time applied to each turn's own date), named in local_zone:
--   UPDATE usage_settings SET value = 'localtime' WHERE name = 'local_day_modifier';
--   UPDATE usage_settings SET value = 'Europe/Paris' WHERE name = 'local_zone';
-- The local days' sums are cached for one modifier, and with 'localtime'
-- for one local_zone: a process whose zone is not local_zone must not read
-- or refresh the caches (its local days would be another zone's). While
-- 'localtime' has no local_zone the cache is never read (right, slower).
-- `lethe sync` and `lethe merge` set both to their machine's zone ('localtime'
-- and its IANA name; on a UTC machine local_zone 'UTC' only).
-- Any other grouping works on turn_usage the same way:
--   SELECT date(timestamp, '-05:00') AS day, owner, tool,
--          count(*) AS turns, sum(tokens_in) AS tokens_in,
--          sum(tokens_out) AS tokens_out,
--          CASE WHEN sum(unpriced) = 0 AND sum(billable) > 0
--               THEN round(total(cost_usd), 6) END AS cost_usd
--   FROM turn_usage GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
--   -- local months: strftime('%Y-%m', timestamp, 'localtime')
--   -- local weeks starting on Monday: strftime('%Y-W%W', timestamp, 'localtime')
--
-- Billing blocks (usage_blocks), the rule of ccusage's `blocks` report
-- (ryoppippi/ccusage, src/_session-blocks.ts, identifySessionBlocks): take
-- an owner's counted Claude Code turns that have tokens, in time order. The
-- first starts a block at its time floored to the UTC hour; a turn more than
-- 5 hours after its block's start, or more than 5 hours after the turn
-- before it, starts a new block the same way. A block ends 5 hours after its
-- start. (ccusage's "gap" rows between blocks hold no usage and are not
-- listed.) is_active: the block's end is still ahead and its last turn less
-- than 5 hours ago. lethe's blocks cover every machine of the owner.
--
-- Example queries:
--
--   -- Ana's ten most expensive sessions:
--   SELECT tool, session_id, project, started_at, duration_s, turns, cost_usd
--   FROM session_summary WHERE owner = 'ana' ORDER BY cost_usd DESC LIMIT 10;
--
--   -- Ana's days, all agents together (cost_usd NULL: a price is missing):
--   SELECT day, sessions, turns, cost_usd, unpriced_turns, priced_cost_usd
--   FROM usage_daily WHERE owner = 'ana' ORDER BY day DESC LIMIT 14;
--
--   -- What each agent and model cost per month:
--   SELECT month, tool, model, tokens_in, tokens_out, cost_usd
--   FROM usage_monthly_by_model WHERE owner = 'ana' ORDER BY 1, 2, 3;
--
--   -- Cost per project in March 2026 (a missing price makes it NULL):
--   SELECT project, CASE WHEN sum(unpriced_turns) = 0 AND sum(billable_turns) > 0
--                        THEN round(total(cost_usd), 6) END AS cost_usd
--   FROM usage_by_day WHERE day BETWEEN '2026-03-01' AND '2026-03-31'
--   GROUP BY project ORDER BY cost_usd DESC;
--
--   -- Models used that have no price yet:
--   SELECT DISTINCT model FROM turn_usage WHERE unpriced;

SAVEPOINT lethe_usage_pack;

-- The state of the caches (see "Fast sums" below); first, since the
-- triggers an earlier application left on the price tables write it.
-- (A release that changes the columns of this table or of a cache below
-- gives it a new name: SQL can't add a column only when it is missing.)
CREATE TABLE IF NOT EXISTS usage_cache_state (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  mode         TEXT NOT NULL DEFAULT 'all',  -- 'refresh-...' inside usage_refresh only
  stale        INTEGER NOT NULL DEFAULT 1,   -- 1: everything is computed again
  refreshed_at TEXT,
  computed_by  TEXT,  -- the definitions the caches were computed with
  -- the local days of usage_sums_cache: local_day_modifier, and for
  -- 'localtime' the zone it meant (usage_local_day_key)
  sums_local_day_modifier TEXT
);
INSERT OR IGNORE INTO usage_cache_state (id) VALUES (1);
UPDATE usage_cache_state SET mode = 'all';

-- Settings: inserted once, never overwritten.
CREATE TABLE IF NOT EXISTS usage_settings (
  name  TEXT PRIMARY KEY,
  value TEXT
);
INSERT OR IGNORE INTO usage_settings (name, value) VALUES ('local_day_modifier', '+00:00');
-- What 'localtime' (or 'utc') in local_day_modifier means: the zone of the
-- processes that refresh and read the caches ('Asia/Tokyo'). NULL: unnamed,
-- then the local days' cache is never read (see "Local days" above).
INSERT OR IGNORE INTO usage_settings (name, value) VALUES ('local_zone', NULL);
-- What a 1-hour cache write costs, times the input price of its request's
-- tier: 2, Anthropic's multiplier for every Claude model (5-minute writes
-- are model_prices.cache_write_usd_per_mtok, 1.25 times the input price).
-- A setting, not a column of model_prices: a column a later pack adds could
-- not be added to an existing table by SQL alone, and no other provider
-- reports 1-hour writes.
INSERT OR IGNORE INTO usage_settings (name, value) VALUES ('cache_write_1h_multiplier', '2');

CREATE TABLE IF NOT EXISTS model_prices (
  model                    TEXT PRIMARY KEY,
  input_usd_per_mtok       REAL,  -- uncached input tokens
  output_usd_per_mtok      REAL,  -- output tokens, reasoning included
  cache_read_usd_per_mtok  REAL,  -- cache hits
  cache_write_usd_per_mtok REAL,  -- cache writes (5-minute writes for Claude)
  source                   TEXT NOT NULL DEFAULT 'user'
);

-- A price changed by UPDATE without naming a source becomes the user's, so
-- that re-applying the pack leaves it alone.
DROP TRIGGER IF EXISTS model_prices_edited;
CREATE TRIGGER model_prices_edited AFTER UPDATE ON model_prices
WHEN NEW.source = OLD.source AND NEW.source <> 'user'
 AND (NEW.input_usd_per_mtok IS NOT OLD.input_usd_per_mtok
   OR NEW.output_usd_per_mtok IS NOT OLD.output_usd_per_mtok
   OR NEW.cache_read_usd_per_mtok IS NOT OLD.cache_read_usd_per_mtok
   OR NEW.cache_write_usd_per_mtok IS NOT OLD.cache_write_usd_per_mtok)
BEGIN
  UPDATE model_prices SET source = 'user' WHERE model = NEW.model;
END;

-- The published prices, USD per million tokens, looked up on 2026-12-01:
-- * Anthropic: https://platform.claude.com/docs/en/about-claude/pricing
--   ("Model pricing": base input, 5m cache writes, cache hits, output).
--   Opus 5.5 and Sonnet 5.5 from the models overview
--   (https://platform.claude.com/docs/about-claude/models/whats-new-opus-5:
--   $4/$20 and $2/$10) with the pricing page's cache rates (cache hits
--   0.05x input; Sonnet 5.5 cache hits cut to $0.10 on 2026-10-07; 5m cache
--   writes 1.25x input). Haiku 5.5: the tier of prompts up to 100k tokens;
--   Sonnet 4.x: prompts up to 200k tokens.
-- * OpenAI: https://developers.openai.com/api/docs/pricing and the model
--   pages (https://developers.openai.com/api/docs/models/gpt-5-codex):
--   input, cached input, output. OpenAI charges no extra for writing its
--   cache, so cache_write = input.
-- * Google: https://ai.google.dev/gemini-api/docs/pricing (paid tier,
--   prompts up to 200k tokens): input, context caching, output. Gemini bills
--   cache storage by the hour, not by token written: cache_write is NULL
--   (Gemini CLI turns have no cache writes).
INSERT INTO model_prices (model, input_usd_per_mtok, output_usd_per_mtok,
                          cache_read_usd_per_mtok, cache_write_usd_per_mtok, source)
SELECT column1, column2, column3, column4, column5, 'lethe 2026-12-01'
FROM (VALUES
  ('claude-fable-5-1',      10.00, 50.00, 0.25,  12.50),
  ('claude-fable-5',        10.00, 50.00, 1.00,  12.50),
  ('claude-opus-5-5',        4.00, 20.00, 0.20,   5.00),
  ('claude-opus-5',          5.00, 25.00, 0.50,   6.25),
  ('claude-opus-4-8',        5.00, 25.00, 0.50,   6.25),
  ('claude-opus-4-7',        5.00, 25.00, 0.50,   6.25),
  ('claude-opus-4-6',        5.00, 25.00, 0.50,   6.25),
  ('claude-opus-4-5',        5.00, 25.00, 0.50,   6.25),
  ('claude-opus-4-1',       15.00, 75.00, 1.50,  18.75),
  ('claude-opus-4',         15.00, 75.00, 1.50,  18.75),
  ('claude-sonnet-5-5',      2.00, 10.00, 0.10,   2.50),
  ('claude-sonnet-5',        2.00, 10.00, 0.20,   2.50),
  ('claude-sonnet-4-6',      3.00, 15.00, 0.30,   3.75),
  ('claude-sonnet-4-5',      3.00, 15.00, 0.30,   3.75),
  ('claude-sonnet-4',        3.00, 15.00, 0.30,   3.75),
  ('claude-3-7-sonnet',      3.00, 15.00, 0.30,   3.75),
  ('claude-haiku-5-5',       0.10,  0.50, 0.01,   0.125),
  ('claude-haiku-4-5',       1.00,  5.00, 0.10,   1.25),
  ('claude-3-5-haiku',       0.80,  4.00, 0.08,   1.00),
  ('gpt-5.5',                5.00, 30.00, 0.50,   5.00),
  ('gpt-5.4',                2.50, 15.00, 0.25,   2.50),
  ('gpt-5.4-mini',           0.75,  4.50, 0.075,  0.75),
  ('gpt-5.4-nano',           0.20,  1.25, 0.02,   0.20),
  ('gpt-5.3-codex',          1.75, 14.00, 0.175,  1.75),
  ('gpt-5.2',                1.75, 14.00, 0.175,  1.75),
  ('gpt-5.2-codex',          1.75, 14.00, 0.175,  1.75),
  ('gpt-5.1',                1.25, 10.00, 0.125,  1.25),
  ('gpt-5.1-codex',          1.25, 10.00, 0.125,  1.25),
  ('gpt-5.1-codex-max',      1.25, 10.00, 0.125,  1.25),
  ('gpt-5',                  1.25, 10.00, 0.125,  1.25),
  ('gpt-5-codex',            1.25, 10.00, 0.125,  1.25),
  ('gpt-5-mini',             0.25,  2.00, 0.025,  0.25),
  ('gpt-5-nano',             0.05,  0.40, 0.005,  0.05),
  ('gemini-3-pro-preview',   2.00, 12.00, 0.20,   NULL),
  ('gemini-3-flash-preview', 0.50,  3.00, 0.05,   NULL),
  ('gemini-2.5-pro',         1.25, 10.00, 0.125,  NULL),
  ('gemini-2.5-flash',       0.30,  2.50, 0.03,   NULL),
  ('gemini-2.5-flash-lite',  0.10,  0.40, 0.01,   NULL))
WHERE true
ON CONFLICT (model) DO UPDATE SET
  input_usd_per_mtok       = excluded.input_usd_per_mtok,
  output_usd_per_mtok      = excluded.output_usd_per_mtok,
  cache_read_usd_per_mtok  = excluded.cache_read_usd_per_mtok,
  cache_write_usd_per_mtok = excluded.cache_write_usd_per_mtok,
  source                   = excluded.source
WHERE model_prices.source LIKE 'lethe %';

-- Prices that depend on the size of a request's prompt. A request whose
-- prompt (tokens_in: input, cache reads and cache writes) exceeds
-- above_input_tokens pays that row's prices for every token of it (the row
-- with the highest such threshold); other requests pay model_prices. Kept
-- like model_prices: the pack's rows say 'lethe <date>', yours 'user', and
-- applying the pack again refreshes only the pack's rows.
CREATE TABLE IF NOT EXISTS model_price_tiers (
  model                    TEXT NOT NULL,     -- a model of model_prices
  above_input_tokens       INTEGER NOT NULL,
  input_usd_per_mtok       REAL,
  output_usd_per_mtok      REAL,
  cache_read_usd_per_mtok  REAL,
  cache_write_usd_per_mtok REAL,              -- 5-minute writes for Claude
  source                   TEXT NOT NULL DEFAULT 'user',
  PRIMARY KEY (model, above_input_tokens)
);

DROP TRIGGER IF EXISTS model_price_tiers_edited;
CREATE TRIGGER model_price_tiers_edited AFTER UPDATE ON model_price_tiers
WHEN NEW.source = OLD.source AND NEW.source <> 'user'
 AND (NEW.input_usd_per_mtok IS NOT OLD.input_usd_per_mtok
   OR NEW.output_usd_per_mtok IS NOT OLD.output_usd_per_mtok
   OR NEW.cache_read_usd_per_mtok IS NOT OLD.cache_read_usd_per_mtok
   OR NEW.cache_write_usd_per_mtok IS NOT OLD.cache_write_usd_per_mtok)
BEGIN
  UPDATE model_price_tiers SET source = 'user'
  WHERE model = NEW.model AND above_input_tokens = NEW.above_input_tokens;
END;

-- The published long-prompt prices, looked up on 2026-12-06:
-- * Anthropic, https://platform.claude.com/docs/en/about-claude/pricing
--   ("Long context pricing"): Claude Sonnet 4 and 4.5 with the 1M-token
--   context, requests over 200k input tokens (cache reads and writes
--   included): 2x input, 1.5x output, the cache prices scaled with the
--   input. Sonnet and Opus 4.6 and later bill the whole window at their
--   base price (no row).
-- * OpenAI, https://developers.openai.com/api/docs/models/gpt-5.4: prompts
--   over 272k input tokens at 2x input and 1.5x output.
-- * Google, https://ai.google.dev/gemini-api/docs/pricing: Gemini 2.5 Pro
--   and 3 Pro, prompts over 200k tokens (input, output, context caching).
-- Not here: Claude Haiku 5.5's price above 100k tokens (the pack's row is
-- its tier up to 100k; no published figure found), Gemini's 128k tiers of
-- older models.
INSERT INTO model_price_tiers (model, above_input_tokens, input_usd_per_mtok,
  output_usd_per_mtok, cache_read_usd_per_mtok, cache_write_usd_per_mtok, source)
SELECT column1, column2, column3, column4, column5, column6, 'lethe 2026-12-06'
FROM (VALUES
  ('claude-sonnet-4-5',    200000, 6.00, 22.50, 0.60, 7.50),
  ('claude-sonnet-4',      200000, 6.00, 22.50, 0.60, 7.50),
  ('gpt-5.4',              272000, 5.00, 22.50, 0.50, 5.00),
  ('gemini-2.5-pro',       200000, 2.50, 15.00, 0.25, NULL),
  ('gemini-3-pro-preview', 200000, 4.00, 18.00, 0.40, NULL))
WHERE true
ON CONFLICT (model, above_input_tokens) DO UPDATE SET
  input_usd_per_mtok       = excluded.input_usd_per_mtok,
  output_usd_per_mtok      = excluded.output_usd_per_mtok,
  cache_read_usd_per_mtok  = excluded.cache_read_usd_per_mtok,
  cache_write_usd_per_mtok = excluded.cache_write_usd_per_mtok,
  source                   = excluded.source
WHERE model_price_tiers.source LIKE 'lethe %';


-- Fast sums. Reading every turn, with the JSON of its metadata, for every
-- sum takes seconds on a large archive; the sums are served from a cache
-- instead, kept right this way:
--   usage_turn_cache, usage_grain_cache  turn_usage and usage_grain as of
--                       the last refresh (computed again from nothing when
--                       the pack's definitions change); usage_savings_cache
--                       the cache savings of the same grain
--   usage_changed_sessions  the sessions written since then: triggers on
--                       turns and sessions note them (one lookup and at most
--                       one insert a row; not INSERT OR IGNORE, which a
--                       writer's own conflict clause would override), and a
--                       change of model_prices, model_price_tiers
--                       or cache_write_1h_multiplier marks the whole cache
--                       stale
--   usage_cache_status  fresh = 1 when nothing changed since the last
--                       refresh: then every view reads the caches; else
--                       every view computes from turns, right but slower
--   usage_refresh       INSERT INTO usage_refresh DEFAULT VALUES brings the
--                       caches up to date: the changed sessions, and every
--                       session that shares a response (message id) with
--                       one of them, are computed again, then the sums
--                       they are in (usage_dirty_quarters, _periods);
--                       everything when the cache is stale, or with
--                       INSERT INTO usage_refresh (reason) VALUES ('full').
--                       Applying the pack ends with it.
-- Run the refresh after a sync or a large ingest; between a write
-- and the refresh the views are right, only slower.

CREATE TABLE IF NOT EXISTS usage_changed_sessions (
  owner      TEXT NOT NULL,
  tool       TEXT NOT NULL,
  session_id TEXT NOT NULL,
  PRIMARY KEY (owner, tool, session_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS usage_refresh_scope (
  owner      TEXT NOT NULL,
  tool       TEXT NOT NULL,
  session_id TEXT NOT NULL,
  PRIMARY KEY (owner, tool, session_id)
) WITHOUT ROWID;
DELETE FROM usage_refresh_scope;

-- What the local days' sums depend on: the modifier, and when it depends on
-- the process's zone ('localtime', 'utc') the zone it names (local_zone);
-- NULL when that zone is unnamed, which no cache matches.
DROP VIEW IF EXISTS usage_local_day_key;
CREATE VIEW usage_local_day_key AS
SELECT CASE WHEN lower(m) IN ('localtime', 'utc') THEN m || char(10) || z ELSE m END AS key
FROM (SELECT (SELECT value FROM usage_settings WHERE name = 'local_day_modifier') AS m,
             (SELECT value FROM usage_settings WHERE name = 'local_zone') AS z);

DROP VIEW IF EXISTS usage_cache_status;
CREATE VIEW usage_cache_status AS
SELECT mode = 'all' AND stale = 0
         AND NOT EXISTS (SELECT 1 FROM usage_changed_sessions) AS fresh,
       mode, stale, refreshed_at,
       (SELECT count(*) FROM usage_changed_sessions) AS changed_sessions,
       -- usage_sums_cache's local days were computed for these settings
       mode = 'all' AND stale = 0
         AND NOT EXISTS (SELECT 1 FROM usage_changed_sessions)
         AND coalesce(sums_local_day_modifier = (SELECT key FROM usage_local_day_key), 0)
         AS sums_fresh
FROM usage_cache_state;

-- The caches keep their rows when the pack is applied again: they are
-- computed again only if the definitions they come from changed (see the
-- end of the file).
CREATE TABLE IF NOT EXISTS usage_turn_cache (
  turn_rowid INTEGER PRIMARY KEY,   -- turns.rowid
  dkey TEXT, owner TEXT, tool TEXT, host TEXT, session_id TEXT, turn_id TEXT, role TEXT,
  timestamp TEXT, day TEXT, month TEXT, model TEXT, project TEXT, tokens_in INTEGER,
  tokens_out INTEGER, cost_usd REAL, cache_read_tokens INTEGER, cache_write_tokens INTEGER,
  message_id TEXT, counted INTEGER, cost_source TEXT, price_model TEXT, unpriced INTEGER,
  billable INTEGER, cache_write_1h_tokens INTEGER, price_tier INTEGER, first_copy INTEGER,
  quarter TEXT
);
CREATE INDEX IF NOT EXISTS usage_turn_cache_by_session ON usage_turn_cache (owner, tool, session_id);
CREATE INDEX IF NOT EXISTS usage_turn_cache_by_response ON usage_turn_cache (owner, tool, dkey);

CREATE TABLE IF NOT EXISTS usage_grain_cache (
  owner TEXT, tool TEXT, session_id TEXT, model TEXT, quarter TEXT, at_quarter_start INTEGER,
  project TEXT, turns INTEGER, user_turns INTEGER, billable_turns INTEGER,
  unpriced_turns INTEGER, known_cost REAL, tokens_in INTEGER, tokens_out INTEGER,
  cache_read_tokens INTEGER, cache_write_tokens INTEGER, cache_write_1h_tokens INTEGER,
  first_billable TEXT, last_billable TEXT
);
CREATE INDEX IF NOT EXISTS usage_grain_cache_by_session ON usage_grain_cache (owner, tool, session_id);

-- What reading the cache saved, per grain (usage_cache_savings below).
CREATE TABLE IF NOT EXISTS usage_savings_cache (
  owner TEXT, tool TEXT, session_id TEXT, model TEXT, quarter TEXT, turns INTEGER,
  cache_read_tokens INTEGER, unpriced_turns INTEGER, known_saving REAL
);
CREATE INDEX IF NOT EXISTS usage_savings_cache_by_session
  ON usage_savings_cache (owner, tool, session_id);

-- The sums the views read, computed from usage_grain_cache by each refresh
-- (those of the changed grain; all of them takes seconds for millions of
-- turns).
CREATE TABLE IF NOT EXISTS usage_sums_cache (
  period_kind TEXT, grain TEXT, period TEXT, owner TEXT, tool TEXT, model TEXT,
  project TEXT, sessions INTEGER, turns INTEGER, billable_turns INTEGER,
  unpriced_turns INTEGER, cost_usd REAL, priced_cost_usd REAL, tokens_in INTEGER,
  tokens_out INTEGER, input_tokens INTEGER, cache_read_tokens INTEGER,
  cache_write_tokens INTEGER, cache_write_1h_tokens INTEGER, total_tokens INTEGER,
  agents TEXT, models TEXT
);
CREATE INDEX IF NOT EXISTS usage_sums_cache_by_kind ON usage_sums_cache (period_kind, grain);
-- The same sums per bucket of sessions: usage_sums_cache's rows are the
-- sums of these, so a refresh after a change of a few sessions computes
-- again the buckets they are in (a 64th of a period's grain) and then the
-- period's totals from at most 64 rows a row, however many sessions the
-- period holds. A session's bucket is a mix of the first and last three
-- characters of its id (SQL has no hash function; ids are random or start
-- with a time, at one end or the other): every copy of a session, on any
-- host, is in the same bucket, so its sessions add up. agents and models
-- are JSON arrays here (usage_sums_compute merges them).
CREATE TABLE IF NOT EXISTS usage_bucket_sums_cache (
  period_kind TEXT, grain TEXT, period TEXT, owner TEXT, bucket INTEGER, tool TEXT, model TEXT,
  project TEXT, sessions INTEGER, turns INTEGER, billable_turns INTEGER,
  unpriced_turns INTEGER, known_cost REAL, tokens_in INTEGER, tokens_out INTEGER,
  cache_read_tokens INTEGER, cache_write_tokens INTEGER, cache_write_1h_tokens INTEGER,
  agents TEXT, models TEXT
);
-- In bucket order within each row of usage_sums_cache: its total is summed
-- in the same order by a full and by a partial refresh.
CREATE INDEX IF NOT EXISTS usage_bucket_sums_cache_by_period
  ON usage_bucket_sums_cache (period_kind, owner, period, grain, tool, model, project, bucket);
CREATE TABLE IF NOT EXISTS usage_session_sums_cache (
  owner TEXT, tool TEXT, session_id TEXT, model TEXT, turns INTEGER, user_turns INTEGER,
  billable_turns INTEGER, unpriced_turns INTEGER, known_cost REAL, tokens_in INTEGER,
  tokens_out INTEGER, cache_read_tokens INTEGER, cache_write_tokens INTEGER,
  cache_write_1h_tokens INTEGER
);
CREATE TABLE IF NOT EXISTS usage_claude_units_cache (
  owner TEXT, quarter TEXT, at_quarter_start INTEGER, model TEXT, first_billable TEXT,
  last_billable TEXT, billable_turns INTEGER, unpriced_turns INTEGER, known_cost REAL,
  tokens_in INTEGER, tokens_out INTEGER, cache_read_tokens INTEGER,
  cache_write_tokens INTEGER, cache_write_1h_tokens INTEGER
);
-- What a refresh recomputes of the three above, when not all of them: the
-- rows whose grain changed. usage_dirty_quarters holds each (owner, UTC
-- quarter hour) the refreshed sessions had a grain row in, before or after;
-- usage_dirty_periods the days, local days and months those make up, each
-- with the range of quarters [lo, hi) that holds every quarter of it.
CREATE TABLE IF NOT EXISTS usage_dirty_quarters (
  owner   TEXT NOT NULL,
  quarter TEXT NOT NULL,
  PRIMARY KEY (owner, quarter)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_dirty_periods (
  period_kind TEXT NOT NULL,
  owner       TEXT NOT NULL,
  period      TEXT NOT NULL,
  lo          TEXT NOT NULL,
  hi          TEXT NOT NULL,
  PRIMARY KEY (period_kind, owner, period)
) WITHOUT ROWID;
-- The same per bucket of sessions (usage_bucket_sums_cache): each (owner,
-- UTC quarter hour, bucket) the refreshed sessions had grain in, and the
-- periods those make up, per bucket.
CREATE TABLE IF NOT EXISTS usage_dirty_slots (
  owner   TEXT NOT NULL,
  quarter TEXT NOT NULL,
  bucket  INTEGER NOT NULL,
  PRIMARY KEY (owner, quarter, bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_dirty_bucket_periods (
  period_kind TEXT NOT NULL,
  owner       TEXT NOT NULL,
  period      TEXT NOT NULL,
  bucket      INTEGER NOT NULL,
  lo          TEXT NOT NULL,
  hi          TEXT NOT NULL,
  PRIMARY KEY (period_kind, owner, period, bucket)
) WITHOUT ROWID;
DELETE FROM usage_dirty_quarters;
DELETE FROM usage_dirty_periods;
DELETE FROM usage_dirty_slots;
DELETE FROM usage_dirty_bucket_periods;
CREATE INDEX IF NOT EXISTS usage_grain_cache_by_quarter ON usage_grain_cache (owner, quarter);
-- Each refreshed session's bucket (usage_bucket_sums_cache), and each
-- session's bucket and UTC days in the caches: the grain rows of a bucket
-- in a period are found through the bucket's sessions of those days (for
-- a month of one session, its bucket's sessions, a 64th of the month; for
-- a day, the few of that day). (The same expression as
-- usage_bucket_sums_compute's; SQLite 3.40 can't search an index on it by
-- another table's column.)
DROP VIEW IF EXISTS usage_refresh_scope_buckets;
CREATE VIEW usage_refresh_scope_buckets AS
SELECT r.owner, r.tool, r.session_id,
  ((unicode(substr(r.session_id, 1, 1) || ' ') + 3 * unicode(substr(r.session_id, 2, 1) || ' ')
      + 9 * unicode(substr(r.session_id, 3, 1) || ' ') + 27 * unicode(substr(r.session_id, -1, 1) || ' ')
      + 81 * unicode(substr(r.session_id, -2, 1) || ' ') + 243 * unicode(substr(r.session_id, -3, 1) || ' ')) % 64) AS bucket
FROM usage_refresh_scope AS r;
CREATE TABLE IF NOT EXISTS usage_session_days (
  owner      TEXT NOT NULL,
  bucket     INTEGER NOT NULL,
  day        TEXT NOT NULL,
  tool       TEXT NOT NULL,
  session_id TEXT NOT NULL,
  PRIMARY KEY (owner, bucket, day, tool, session_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_session_days_by_session
  ON usage_session_days (owner, tool, session_id);
CREATE INDEX IF NOT EXISTS usage_sums_cache_by_period
  ON usage_sums_cache (period_kind, owner, period);
CREATE INDEX IF NOT EXISTS usage_session_sums_cache_by_session
  ON usage_session_sums_cache (owner, tool, session_id);
CREATE INDEX IF NOT EXISTS usage_claude_units_cache_by_quarter
  ON usage_claude_units_cache (owner, quarter);

DROP TRIGGER IF EXISTS usage_turns_ai;
DROP TRIGGER IF EXISTS usage_turns_au;
DROP TRIGGER IF EXISTS usage_turns_ad;
DROP TRIGGER IF EXISTS usage_sessions_ai;
DROP TRIGGER IF EXISTS usage_sessions_au;
DROP TRIGGER IF EXISTS usage_sessions_ad;
CREATE TRIGGER usage_turns_ai AFTER INSERT ON turns BEGIN
  INSERT INTO usage_changed_sessions SELECT NEW.owner, NEW.tool, NEW.session_id
  WHERE NOT EXISTS (SELECT 1 FROM usage_changed_sessions AS c WHERE c.owner = NEW.owner
                      AND c.tool = NEW.tool AND c.session_id = NEW.session_id);
END;
CREATE TRIGGER usage_turns_au AFTER UPDATE ON turns BEGIN
  INSERT INTO usage_changed_sessions SELECT NEW.owner, NEW.tool, NEW.session_id
  WHERE NOT EXISTS (SELECT 1 FROM usage_changed_sessions AS c WHERE c.owner = NEW.owner
                      AND c.tool = NEW.tool AND c.session_id = NEW.session_id);
  INSERT INTO usage_changed_sessions SELECT OLD.owner, OLD.tool, OLD.session_id
  WHERE NOT EXISTS (SELECT 1 FROM usage_changed_sessions AS c WHERE c.owner = OLD.owner
                      AND c.tool = OLD.tool AND c.session_id = OLD.session_id);
END;
CREATE TRIGGER usage_turns_ad AFTER DELETE ON turns BEGIN
  INSERT INTO usage_changed_sessions SELECT OLD.owner, OLD.tool, OLD.session_id
  WHERE NOT EXISTS (SELECT 1 FROM usage_changed_sessions AS c WHERE c.owner = OLD.owner
                      AND c.tool = OLD.tool AND c.session_id = OLD.session_id);
END;
CREATE TRIGGER usage_sessions_ai AFTER INSERT ON sessions BEGIN
  INSERT INTO usage_changed_sessions SELECT NEW.owner, NEW.tool, NEW.session_id
  WHERE NOT EXISTS (SELECT 1 FROM usage_changed_sessions AS c WHERE c.owner = NEW.owner
                      AND c.tool = NEW.tool AND c.session_id = NEW.session_id);
END;
-- lethe's upsert sets a session's start and end on every line; only what
-- the sums read (its working_dir, its metadata, its key) marks it.
CREATE TRIGGER usage_sessions_au AFTER UPDATE ON sessions
WHEN OLD.working_dir IS NOT NEW.working_dir OR OLD.metadata IS NOT NEW.metadata
  OR OLD.owner IS NOT NEW.owner OR OLD.tool IS NOT NEW.tool OR OLD.host IS NOT NEW.host
  OR OLD.session_id IS NOT NEW.session_id
BEGIN
  INSERT INTO usage_changed_sessions SELECT NEW.owner, NEW.tool, NEW.session_id
  WHERE NOT EXISTS (SELECT 1 FROM usage_changed_sessions AS c WHERE c.owner = NEW.owner
                      AND c.tool = NEW.tool AND c.session_id = NEW.session_id);
  INSERT INTO usage_changed_sessions SELECT OLD.owner, OLD.tool, OLD.session_id
  WHERE NOT EXISTS (SELECT 1 FROM usage_changed_sessions AS c WHERE c.owner = OLD.owner
                      AND c.tool = OLD.tool AND c.session_id = OLD.session_id);
END;
CREATE TRIGGER usage_sessions_ad AFTER DELETE ON sessions BEGIN
  INSERT INTO usage_changed_sessions SELECT OLD.owner, OLD.tool, OLD.session_id
  WHERE NOT EXISTS (SELECT 1 FROM usage_changed_sessions AS c WHERE c.owner = OLD.owner
                      AND c.tool = OLD.tool AND c.session_id = OLD.session_id);
END;

-- A price or a setting the costs read: everything is computed again.
DROP TRIGGER IF EXISTS usage_prices_ai;
DROP TRIGGER IF EXISTS usage_prices_au;
DROP TRIGGER IF EXISTS usage_prices_ad;
DROP TRIGGER IF EXISTS usage_tiers_ai;
DROP TRIGGER IF EXISTS usage_tiers_au;
DROP TRIGGER IF EXISTS usage_tiers_ad;
DROP TRIGGER IF EXISTS usage_settings_ai;
DROP TRIGGER IF EXISTS usage_settings_au;
DROP TRIGGER IF EXISTS usage_settings_ad;
CREATE TRIGGER usage_prices_ai AFTER INSERT ON model_prices BEGIN
  UPDATE usage_cache_state SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER usage_prices_au AFTER UPDATE ON model_prices
WHEN NEW.input_usd_per_mtok IS NOT OLD.input_usd_per_mtok
  OR NEW.output_usd_per_mtok IS NOT OLD.output_usd_per_mtok
  OR NEW.cache_read_usd_per_mtok IS NOT OLD.cache_read_usd_per_mtok
  OR NEW.cache_write_usd_per_mtok IS NOT OLD.cache_write_usd_per_mtok
  OR NEW.model IS NOT OLD.model
BEGIN
  UPDATE usage_cache_state SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER usage_prices_ad AFTER DELETE ON model_prices BEGIN
  UPDATE usage_cache_state SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER usage_tiers_ai AFTER INSERT ON model_price_tiers BEGIN
  UPDATE usage_cache_state SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER usage_tiers_au AFTER UPDATE ON model_price_tiers
WHEN NEW.input_usd_per_mtok IS NOT OLD.input_usd_per_mtok
  OR NEW.output_usd_per_mtok IS NOT OLD.output_usd_per_mtok
  OR NEW.cache_read_usd_per_mtok IS NOT OLD.cache_read_usd_per_mtok
  OR NEW.cache_write_usd_per_mtok IS NOT OLD.cache_write_usd_per_mtok
  OR NEW.model IS NOT OLD.model OR NEW.above_input_tokens IS NOT OLD.above_input_tokens
BEGIN
  UPDATE usage_cache_state SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER usage_tiers_ad AFTER DELETE ON model_price_tiers BEGIN
  UPDATE usage_cache_state SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER usage_settings_ai AFTER INSERT ON usage_settings
WHEN NEW.name NOT IN ('local_day_modifier', 'local_zone') BEGIN
  UPDATE usage_cache_state SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER usage_settings_au AFTER UPDATE ON usage_settings
WHEN (NEW.name NOT IN ('local_day_modifier', 'local_zone')
      OR OLD.name NOT IN ('local_day_modifier', 'local_zone'))
 AND (NEW.name IS NOT OLD.name OR NEW.value IS NOT OLD.value) BEGIN
  UPDATE usage_cache_state SET stale = 1 WHERE stale = 0;
END;
CREATE TRIGGER usage_settings_ad AFTER DELETE ON usage_settings
WHEN OLD.name NOT IN ('local_day_modifier', 'local_zone') BEGIN
  UPDATE usage_cache_state SET stale = 1 WHERE stale = 0;
END;

-- The price row of a model: its own, else the one its name is with a date
-- suffix (-YYYYMMDD as Anthropic writes it, -YYYY-MM-DD as OpenAI does).
-- (usage_turn_live applies the same rule to the models it reads.)
DROP VIEW IF EXISTS model_price_match;
CREATE VIEW model_price_match AS
SELECT x.model, p.model AS price_model, p.input_usd_per_mtok,
       p.output_usd_per_mtok, p.cache_read_usd_per_mtok, p.cache_write_usd_per_mtok
FROM (
  SELECT t.model,
         -- The exact name is longer than any name it extends: longest first.
         (SELECT m.model FROM model_prices AS m
          WHERE m.model = t.model
             OR (substr(t.model, 1, length(m.model) + 1) = m.model || '-'
                 AND (substr(t.model, length(m.model) + 2)
                        GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
                   OR substr(t.model, length(m.model) + 2)
                        GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'))
          ORDER BY length(m.model) DESC
          LIMIT 1) AS price_model
  FROM (SELECT DISTINCT model FROM turns WHERE model IS NOT NULL) AS t
) AS x
JOIN model_prices AS p ON p.model = x.price_model;

-- The computation of turn_usage (see "Fast sums"): every turn of turns
-- while the cache is not up to date, the sessions of usage_refresh_scope
-- while usage_refresh updates it, none otherwise. Its columns are
-- usage_turn_cache's.
DROP VIEW IF EXISTS usage_turn_live;
CREATE VIEW usage_turn_live AS
WITH
  -- A session as people see it: (owner, tool, session_id), whatever hosts it
  -- was seen on. Its project is the first working_dir given (hosts in
  -- order), and it is a sub-agent's when any copy says so.
  sess AS (
    SELECT owner, tool, session_id,
           substr(min(CASE WHEN working_dir IS NOT NULL
                           THEN host || char(31) || working_dir END),
                  length(min(CASE WHEN working_dir IS NOT NULL THEN host END)) + 2) AS project,
           max(CASE WHEN json_valid(metadata)
                    THEN metadata ->> '$.parent_session_id' IS NOT NULL ELSE 0 END) AS sub_agent
    -- Every session while the caches don't serve; inside a refresh, the
    -- sessions it refreshes. Nothing to read while the caches serve (the
    -- turns below are gated the same way): SQLite builds this before it
    -- looks at the turns.
    FROM (SELECT o.* FROM (SELECT 1 AS open FROM usage_cache_status
                           WHERE mode = 'all' AND NOT fresh) AS g
          CROSS JOIN sessions AS o
          UNION ALL
          SELECT o.* FROM usage_refresh_scope AS r
          CROSS JOIN sessions AS o
            ON o.owner = r.owner AND o.tool = r.tool AND o.session_id = r.session_id
          WHERE (SELECT mode = 'refresh-turns' FROM usage_cache_state))
    GROUP BY owner, tool, session_id
  ),
  turn AS (
    SELECT
      t.turn_rowid, t.owner, t.tool, t.host, t.session_id, t.turn_id, t.role, t.timestamp,
      t.model, s.project, t.tokens_in, t.tokens_out,
      t.cost_usd AS own_cost,
      CASE WHEN json_valid(t.metadata) THEN t.metadata ->> '$.message_id' END
        AS message_id,
      CASE WHEN json_valid(t.metadata) THEN t.metadata ->> '$.cache_read_tokens' END
        AS cache_read,
      CASE WHEN json_valid(t.metadata) THEN t.metadata ->> '$.cache_write_tokens' END
        AS cache_write,
      -- Claude's usage as it came: the 1-hour part of the cache writes.
      CASE WHEN json_valid(t.metadata)
           THEN t.metadata ->> '$.usage.cache_creation.ephemeral_1h_input_tokens' END
        AS cache_write_1h,
      -- Codex: the requests a turn's usage sums (one user turn's).
      CASE WHEN json_valid(t.metadata) THEN t.metadata ->> '$.requests' END AS requests,
      s.sub_agent,
      -- The copy of the turn on the first host that has it: the one a
      -- count of turns counts.
      row_number() OVER (PARTITION BY t.owner, t.tool, t.session_id, t.turn_id
                         ORDER BY t.host) = 1 AS first_copy
    -- A gate row first: when it is absent, SQLite reads no turn at all.
    FROM (SELECT t.rowid AS turn_rowid, t.* FROM (SELECT 1 AS open FROM usage_cache_status
                                                    WHERE mode = 'all' AND NOT fresh) AS g
          CROSS JOIN turns AS t
          UNION ALL
          SELECT t.rowid, t.* FROM usage_refresh_scope AS r
          CROSS JOIN sessions AS o
            ON o.owner = r.owner AND o.tool = r.tool AND o.session_id = r.session_id
          CROSS JOIN turns AS t
            ON t.owner = o.owner AND t.tool = o.tool AND t.host = o.host
           AND t.session_id = o.session_id
          WHERE (SELECT mode = 'refresh-turns' FROM usage_cache_state)) AS t
    -- CROSS JOIN: the turns drive, each finds its session (an index on
    -- sess); driven by sess, SQLite would scan a tool's turns per session.
    CROSS JOIN sess AS s
      ON s.owner = t.owner AND s.tool = t.tool AND s.session_id = t.session_id
  ),
  keyed AS (
    -- The response a turn is a copy of: its message id, else the turn.
    SELECT *, CASE WHEN message_id IS NOT NULL THEN 'm' || message_id
                   ELSE 't' || session_id || char(31) || turn_id END AS dkey
    FROM turn
  ),
  ranked AS (
    SELECT *,
      row_number() OVER (
        PARTITION BY owner, tool, dkey
        ORDER BY sub_agent, tokens_out DESC NULLS LAST, timestamp,
                 host, session_id, turn_id) = 1 AS counted
    FROM keyed
  ),
  -- The price row of each model these turns use: model_price_match's rule,
  -- for these models only (model_price_match reads every turn's model).
  matched AS MATERIALIZED (
    SELECT x.model, p.model AS price_model, p.input_usd_per_mtok,
           p.output_usd_per_mtok, p.cache_read_usd_per_mtok, p.cache_write_usd_per_mtok
    FROM (
      SELECT t.model,
             (SELECT m.model FROM model_prices AS m
              WHERE m.model = t.model
                 OR (substr(t.model, 1, length(m.model) + 1) = m.model || '-'
                     AND (substr(t.model, length(m.model) + 2)
                            GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
                       OR substr(t.model, length(m.model) + 2)
                            GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'))
              ORDER BY length(m.model) DESC
              LIMIT 1) AS price_model
      FROM (SELECT DISTINCT model FROM turn WHERE model IS NOT NULL) AS t
    ) AS x
    JOIN model_prices AS p ON p.model = x.price_model
  ),
  -- The prices of each turn's request: its model's row of model_prices, or
  -- the tier of model_price_tiers its prompt falls in. A Codex turn sums
  -- the requests of one user turn: its mean prompt per request decides.
  rated AS (
    SELECT r.*, p.price_model, x.above_input_tokens AS price_tier,
      CASE WHEN x.model IS NULL THEN p.input_usd_per_mtok ELSE x.input_usd_per_mtok END
        AS input_price,
      CASE WHEN x.model IS NULL THEN p.output_usd_per_mtok ELSE x.output_usd_per_mtok END
        AS output_price,
      CASE WHEN x.model IS NULL THEN p.cache_read_usd_per_mtok
           ELSE x.cache_read_usd_per_mtok END AS read_price,
      CASE WHEN x.model IS NULL THEN p.cache_write_usd_per_mtok
           ELSE x.cache_write_usd_per_mtok END AS write_price,
      -- Of the cache writes, the 1-hour ones (never more than all of them).
      min(coalesce(r.cache_write_1h, 0), coalesce(r.cache_write, 0)) AS write_1h
    FROM ranked AS r
    LEFT JOIN matched AS p ON p.model = r.model
    LEFT JOIN model_price_tiers AS x
      ON x.model = p.price_model
     AND x.above_input_tokens = (
           SELECT max(y.above_input_tokens) FROM model_price_tiers AS y
           WHERE y.model = p.price_model
             AND y.above_input_tokens
                 < coalesce(r.tokens_in, 0) * 1.0 / max(coalesce(r.requests, 1), 1))
  ),
  priced AS (
    SELECT r.*,
      -- NULL when a token kind the turn has is not priced.
      CASE WHEN coalesce(r.tokens_in, 0) = 0 AND coalesce(r.tokens_out, 0) = 0
             THEN NULL
           ELSE (  CASE WHEN max(coalesce(r.tokens_in, 0) - coalesce(r.cache_read, 0)
                                 - coalesce(r.cache_write, 0), 0) = 0 THEN 0
                        ELSE max(coalesce(r.tokens_in, 0) - coalesce(r.cache_read, 0)
                                 - coalesce(r.cache_write, 0), 0) * r.input_price END
                 + CASE WHEN coalesce(r.cache_read, 0) = 0 THEN 0
                        ELSE r.cache_read * r.read_price END
                 + CASE WHEN coalesce(r.cache_write, 0) - r.write_1h = 0 THEN 0
                        ELSE (r.cache_write - r.write_1h) * r.write_price END
                 + CASE WHEN r.write_1h = 0 THEN 0
                        ELSE r.write_1h * r.input_price
                             * (SELECT CAST(value AS REAL) FROM usage_settings
                                WHERE name = 'cache_write_1h_multiplier') END
                 + CASE WHEN coalesce(r.tokens_out, 0) = 0 THEN 0
                        ELSE r.tokens_out * r.output_price END
                ) / 1000000.0
      END AS price_cost,
      -- A response that can have a cost: it has tokens, or a cost of its own.
      r.counted AND (coalesce(r.tokens_in, 0) > 0 OR coalesce(r.tokens_out, 0) > 0
                     OR r.own_cost IS NOT NULL) AS billable
    FROM rated AS r
  )
SELECT
  turn_rowid, dkey,
  owner, tool, host, session_id, turn_id, role,
  timestamp,
  date(timestamp) AS day,                -- UTC
  substr(timestamp, 1, 7) AS month,      -- UTC, 'YYYY-MM'
  model,
  project,
  CASE WHEN counted THEN tokens_in END AS tokens_in,
  CASE WHEN counted THEN tokens_out END AS tokens_out,
  CASE WHEN NOT counted THEN NULL
       WHEN own_cost IS NOT NULL THEN own_cost
       ELSE price_cost END AS cost_usd,
  CASE WHEN counted THEN cache_read END AS cache_read_tokens,
  CASE WHEN counted THEN cache_write END AS cache_write_tokens,
  message_id,
  counted,
  CASE WHEN NOT counted THEN NULL
       WHEN own_cost IS NOT NULL THEN 'turn'
       WHEN price_cost IS NOT NULL THEN 'model_prices' END AS cost_source,
  price_model,                           -- the model_prices row that matched
  billable AND own_cost IS NULL AND price_cost IS NULL AS unpriced,
  billable,
  CASE WHEN counted AND cache_write IS NOT NULL THEN write_1h END AS cache_write_1h_tokens,
  CASE WHEN counted THEN price_tier END AS price_tier,  -- model_price_tiers' threshold
  first_copy,
  -- The UTC quarter hour the turn falls in, 'YYYY-MM-DDTHH:MM': the grain
  -- of the sums below.
  substr(timestamp, 1, 14) || CASE WHEN substr(timestamp, 15, 2) < '15' THEN '00'
                                   WHEN substr(timestamp, 15, 2) < '30' THEN '15'
                                   WHEN substr(timestamp, 15, 2) < '45' THEN '30'
                                   ELSE '45' END AS quarter
FROM priced;

-- One row per stored turn: the cache while it is up to date, else computed.
DROP VIEW IF EXISTS turn_usage;
CREATE VIEW turn_usage AS
SELECT owner, tool, host, session_id, turn_id, role, timestamp, day, month, model, project,
       tokens_in, tokens_out, cost_usd,
       -- Added columns (after the ones above, which keep their places).
       date(timestamp, (SELECT value FROM usage_settings
                        WHERE name = 'local_day_modifier')) AS local_day,
       cache_read_tokens, cache_write_tokens, message_id, counted, cost_source, price_model,
       unpriced, billable, cache_write_1h_tokens, price_tier, first_copy, quarter
FROM (SELECT * FROM usage_turn_cache WHERE (SELECT fresh FROM usage_cache_status)
      UNION ALL
      SELECT * FROM usage_turn_live);

-- The grain every sum below is made of: per owner, tool, session, model and
-- UTC quarter hour. A day, a local day (every UTC offset in use is a
-- multiple of 15 minutes), a month or a 5-hour block is a set of quarter
-- hours, so each of them is a sum of these rows. at_quarter_start holds the
-- turns exactly at the quarter's first millisecond apart: a 5-hour block
-- ends at such an instant and keeps a turn made at it.
-- usage_grain computed: from usage_turn_live (every turn while the cache
-- is not up to date), or, inside usage_refresh, from the turn cache of the
-- sessions it refreshes. Its columns are usage_grain_cache's.
DROP VIEW IF EXISTS usage_grain_live;
CREATE VIEW usage_grain_live AS
SELECT
  owner, tool, session_id, model, quarter,
  substr(timestamp, 15, 2) IN ('00', '15', '30', '45')
    AND substr(timestamp, 18, 6) = '00.000' AS at_quarter_start,
  max(project) AS project,
  sum(first_copy) AS turns,
  count(CASE WHEN role = 'user' AND first_copy THEN 1 END) AS user_turns,
  sum(billable) AS billable_turns,
  sum(unpriced) AS unpriced_turns,
  -- The known costs (turns whose cost is known).
  total(CASE WHEN billable AND NOT unpriced THEN cost_usd END) AS known_cost,
  coalesce(sum(tokens_in), 0) AS tokens_in,
  coalesce(sum(tokens_out), 0) AS tokens_out,
  coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
  coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens,
  coalesce(sum(cache_write_1h_tokens), 0) AS cache_write_1h_tokens,
  min(CASE WHEN billable THEN timestamp END) AS first_billable,
  max(CASE WHEN billable THEN timestamp END) AS last_billable
FROM (SELECT c.* FROM usage_refresh_scope AS r
      CROSS JOIN usage_turn_cache AS c
        ON c.owner = r.owner AND c.tool = r.tool AND c.session_id = r.session_id
      WHERE (SELECT mode = 'refresh-grain' FROM usage_cache_state)
      UNION ALL
      SELECT * FROM usage_turn_live)
GROUP BY owner, tool, session_id, model, quarter, at_quarter_start;

DROP VIEW IF EXISTS usage_grain;
CREATE VIEW usage_grain AS
SELECT * FROM usage_grain_cache WHERE (SELECT fresh FROM usage_cache_status)
UNION ALL
SELECT * FROM usage_grain_live;

-- Every sum of the pack, once: per period (UTC day, local day, UTC month)
-- and grain ('all': all agents together; 'agent': per tool; 'model': per
-- tool and model; 'project': per tool, model and project). usage_sums is
-- its cache while fresh, its computation otherwise; the views below are its
-- slices (the cache's by an index).
--   cost_usd         the rounded sum of the costs; NULL when a turn of the
--                    row has tokens but no known cost (unpriced_turns says
--                    how many), and NULL when no turn of the row can have a
--                    cost at all (user and tool turns only): never a 0
--                    that means "unknown" or "nothing"
--   priced_cost_usd  the sum of the known costs, NULL when there is none:
--                    what is known to have been spent, a lower bound when
--                    unpriced_turns > 0
--   input_tokens     the uncached input: tokens_in minus cache reads and
--                    cache writes (ccusage's inputTokens)
--   total_tokens     tokens_in + tokens_out (ccusage's totalTokens)
-- The grain the computed sums read: usage_grain_cache inside usage_refresh
-- (mode 'refresh-sums') or while only the local day's offset changed since
-- it, the computation from turns while the cache is not up to date, nothing
-- otherwise (then every view reads the sums' caches).
-- Inside a refresh that recomputes only some sums (mode 'refresh-sums-part'),
-- the grain rows of the buckets of usage_dirty_bucket_periods: every row of
-- each of them (and some of other periods, whose sums are not kept).
DROP VIEW IF EXISTS usage_grain_for_sums;
CREATE VIEW usage_grain_for_sums AS
SELECT * FROM usage_grain_cache
WHERE (SELECT mode = 'refresh-sums' OR (fresh AND NOT sums_fresh) FROM usage_cache_status)
UNION ALL
SELECT * FROM usage_grain_cache
WHERE (SELECT mode = 'refresh-sums-part' FROM usage_cache_state)
  AND rowid IN (SELECT g.rowid FROM usage_cache_state AS s
                CROSS JOIN usage_dirty_bucket_periods AS d ON s.mode = 'refresh-sums-part'
                CROSS JOIN usage_session_days AS m
                  ON m.owner = d.owner AND m.bucket = d.bucket AND m.day >= d.lo AND m.day < d.hi
                CROSS JOIN usage_grain_cache AS g
                  ON g.owner = m.owner AND g.tool = m.tool AND g.session_id = m.session_id
                 -- (+: by the session, not by the quarters of every session)
                 AND +g.quarter >= d.lo AND +g.quarter < d.hi)
UNION ALL
SELECT * FROM usage_grain_live;

-- The same for the session and block sums (which no setting changes); in a
-- partial refresh, every grain row of the refreshed sessions and of the
-- changed quarter hours.
DROP VIEW IF EXISTS usage_grain_for_derived;
CREATE VIEW usage_grain_for_derived AS
SELECT * FROM usage_grain_cache WHERE (SELECT mode = 'refresh-sums' FROM usage_cache_state)
UNION ALL
SELECT * FROM usage_grain_cache
WHERE (SELECT mode = 'refresh-sums-part' FROM usage_cache_state)
  AND rowid IN (SELECT g.rowid FROM usage_refresh_scope AS r
                JOIN usage_grain_cache AS g
                  ON g.owner = r.owner AND g.tool = r.tool AND g.session_id = r.session_id
                UNION
                SELECT g.rowid FROM usage_dirty_quarters AS q
                JOIN usage_grain_cache AS g ON g.owner = q.owner AND g.quarter = q.quarter)
UNION ALL
SELECT * FROM usage_grain_live;

-- The sums per bucket of sessions (usage_bucket_sums_cache).
DROP VIEW IF EXISTS usage_bucket_sums_compute;
CREATE VIEW usage_bucket_sums_compute AS
SELECT
  k.period_kind, g.grain,
  CASE k.period_kind WHEN 'day' THEN substr(u.quarter, 1, 10)
                     WHEN 'month' THEN substr(u.quarter, 1, 7)
                     ELSE date(u.quarter, (SELECT value FROM usage_settings
                                           WHERE name = 'local_day_modifier')) END AS period,
  u.owner,
  u.bucket,
  CASE WHEN g.grain <> 'all' THEN u.tool END AS tool,
  CASE WHEN g.grain IN ('model', 'project') THEN u.model END AS model,
  CASE WHEN g.grain = 'project' THEN u.project END AS project,
  count(DISTINCT u.tool || char(31) || u.session_id) AS sessions,
  sum(u.turns) AS turns,
  sum(u.billable_turns) AS billable_turns,
  sum(u.unpriced_turns) AS unpriced_turns,
  total(u.known_cost) AS known_cost,
  sum(u.tokens_in) AS tokens_in,
  sum(u.tokens_out) AS tokens_out,
  sum(u.cache_read_tokens) AS cache_read_tokens,
  sum(u.cache_write_tokens) AS cache_write_tokens,
  sum(u.cache_write_1h_tokens) AS cache_write_1h_tokens,
  CASE WHEN g.grain = 'all' THEN json_group_array(DISTINCT u.tool) END AS agents,
  CASE WHEN g.grain IN ('all', 'agent')
       THEN json_group_array(DISTINCT u.model) FILTER (WHERE u.model IS NOT NULL) END AS models
FROM (SELECT 'day' AS period_kind UNION ALL SELECT 'local_day' UNION ALL SELECT 'month') AS k,
     -- Outside a refresh (a read while the caches don't serve) every row is
     -- in one bucket: the sums are computed once, as they are shown.
     (SELECT x.*,
             CASE WHEN (SELECT mode IN ('refresh-sums', 'refresh-sums-part')
                        FROM usage_cache_state)
             THEN ((unicode(substr(x.session_id, 1, 1) || ' ') + 3 * unicode(substr(x.session_id, 2, 1) || ' ')
                  + 9 * unicode(substr(x.session_id, 3, 1) || ' ') + 27 * unicode(substr(x.session_id, -1, 1) || ' ')
                  + 81 * unicode(substr(x.session_id, -2, 1) || ' ') + 243 * unicode(substr(x.session_id, -3, 1) || ' ')) % 64)
             ELSE 0 END AS bucket
      FROM usage_grain_for_sums AS x) AS u,
     (SELECT 'all' AS grain UNION ALL SELECT 'agent' UNION ALL SELECT 'model'
      UNION ALL SELECT 'project') AS g
-- In a partial refresh, only the changed periods and buckets of each row.
WHERE (SELECT mode <> 'refresh-sums-part' FROM usage_cache_state)
   OR EXISTS (SELECT 1 FROM usage_dirty_bucket_periods AS d
              WHERE d.period_kind = k.period_kind AND d.owner = u.owner
                AND d.bucket = u.bucket
                AND d.period = CASE k.period_kind
                                 WHEN 'day' THEN substr(u.quarter, 1, 10)
                                 WHEN 'month' THEN substr(u.quarter, 1, 7)
                                 ELSE date(u.quarter, (SELECT value FROM usage_settings
                                                       WHERE name = 'local_day_modifier')) END)
GROUP BY k.period_kind, g.grain, period, u.owner, u.bucket,
         CASE WHEN g.grain <> 'all' THEN u.tool END,
         CASE WHEN g.grain IN ('model', 'project') THEN u.model END,
         CASE WHEN g.grain = 'project' THEN u.project END;

-- The rows usage_sums_compute finishes, in the columns of
-- usage_bucket_sums_cache: inside a refresh once the buckets are cached
-- (modes 'refresh-totals', and 'refresh-totals-part' for the periods of
-- usage_dirty_periods), the buckets' sums per period (agents and models: a
-- JSON array of their arrays); otherwise their computation, in one bucket.
-- (No arm is a join or a grouping over a grouping: a reader's WHERE, such
-- as one period kind, reaches the computation only through arms that read
-- one table or view.)
DROP VIEW IF EXISTS usage_bucket_totals;
CREATE VIEW usage_bucket_totals AS
SELECT
  period_kind, grain, period, owner, 0 AS bucket, tool, model, project,
  sum(sessions) AS sessions,
  sum(turns) AS turns,
  sum(billable_turns) AS billable_turns,
  sum(unpriced_turns) AS unpriced_turns,
  total(known_cost) AS known_cost,
  sum(tokens_in) AS tokens_in,
  sum(tokens_out) AS tokens_out,
  sum(cache_read_tokens) AS cache_read_tokens,
  sum(cache_write_tokens) AS cache_write_tokens,
  sum(cache_write_1h_tokens) AS cache_write_1h_tokens,
  json_group_array(json(agents)) AS agents,
  json_group_array(json(models)) AS models
FROM usage_bucket_sums_cache
-- (a constant first: outside a refresh no row is read)
WHERE (SELECT mode IN ('refresh-totals', 'refresh-totals-part') FROM usage_cache_state)
  AND ((SELECT mode = 'refresh-totals' FROM usage_cache_state)
       OR (period_kind, owner, period) IN (SELECT period_kind, owner, period
                                           FROM usage_dirty_periods))
GROUP BY period_kind, owner, period, grain, tool, model, project
UNION ALL
SELECT * FROM usage_bucket_sums_compute
WHERE (SELECT mode NOT IN ('refresh-totals', 'refresh-totals-part') FROM usage_cache_state);

-- The sums as the views show them: a period's sessions are the sum of its
-- buckets' (a session is in one bucket), its agents and models the sorted
-- names of its buckets' lists.
DROP VIEW IF EXISTS usage_sums_compute;
CREATE VIEW usage_sums_compute AS
SELECT
  period_kind, grain, period, owner, tool, model, project, sessions, turns, billable_turns,
  unpriced_turns,
  CASE WHEN billable_turns = 0 OR unpriced_turns > 0 THEN NULL
       ELSE round(known_cost, 6) END AS cost_usd,
  CASE WHEN billable_turns > unpriced_turns THEN round(known_cost, 6) END AS priced_cost_usd,
  tokens_in, tokens_out,
  tokens_in - cache_read_tokens - cache_write_tokens AS input_tokens,
  cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
  tokens_in + tokens_out AS total_tokens,
  CASE WHEN grain = 'all'
       THEN (SELECT group_concat(value) FROM (SELECT DISTINCT value FROM json_tree(agents)
                                              WHERE type = 'text' ORDER BY value))
       ELSE tool END AS agents,
  CASE WHEN grain IN ('all', 'agent')
       THEN (SELECT group_concat(value) FROM (SELECT DISTINCT value FROM json_tree(models)
                                              WHERE type = 'text' ORDER BY value))
       ELSE model END AS models
FROM usage_bucket_totals;

DROP VIEW IF EXISTS usage_sums;
CREATE VIEW usage_sums AS
SELECT * FROM usage_sums_cache WHERE (SELECT sums_fresh FROM usage_cache_status)
UNION ALL
SELECT * FROM usage_sums_compute;

DROP VIEW IF EXISTS usage_daily;
CREATE VIEW usage_daily AS
SELECT period AS day, owner, sessions, turns, billable_turns, unpriced_turns, cost_usd,
       priced_cost_usd, tokens_in, tokens_out, input_tokens, cache_read_tokens,
       cache_write_tokens, cache_write_1h_tokens, total_tokens, agents, models
FROM usage_sums WHERE period_kind = 'day' AND grain = 'all';

DROP VIEW IF EXISTS usage_daily_by_agent;
CREATE VIEW usage_daily_by_agent AS
SELECT period AS day, owner, tool, sessions, turns, billable_turns, unpriced_turns, cost_usd,
       priced_cost_usd, tokens_in, tokens_out, input_tokens, cache_read_tokens,
       cache_write_tokens, cache_write_1h_tokens, total_tokens, models
FROM usage_sums WHERE period_kind = 'day' AND grain = 'agent';

DROP VIEW IF EXISTS usage_daily_by_model;
CREATE VIEW usage_daily_by_model AS
SELECT period AS day, owner, tool, model, sessions, turns, billable_turns, unpriced_turns,
       cost_usd, priced_cost_usd, tokens_in, tokens_out, input_tokens, cache_read_tokens,
       cache_write_tokens, cache_write_1h_tokens, total_tokens
FROM usage_sums WHERE period_kind = 'day' AND grain = 'model';

DROP VIEW IF EXISTS usage_local_daily;
CREATE VIEW usage_local_daily AS
SELECT period AS local_day, owner, sessions, turns, billable_turns, unpriced_turns, cost_usd,
       priced_cost_usd, tokens_in, tokens_out, input_tokens, cache_read_tokens,
       cache_write_tokens, cache_write_1h_tokens, total_tokens, agents, models
FROM usage_sums WHERE period_kind = 'local_day' AND grain = 'all';

DROP VIEW IF EXISTS usage_local_daily_by_agent;
CREATE VIEW usage_local_daily_by_agent AS
SELECT period AS local_day, owner, tool, sessions, turns, billable_turns, unpriced_turns,
       cost_usd, priced_cost_usd, tokens_in, tokens_out, input_tokens, cache_read_tokens,
       cache_write_tokens, cache_write_1h_tokens, total_tokens, models
FROM usage_sums WHERE period_kind = 'local_day' AND grain = 'agent';

DROP VIEW IF EXISTS usage_local_daily_by_model;
CREATE VIEW usage_local_daily_by_model AS
SELECT period AS local_day, owner, tool, model, sessions, turns, billable_turns,
       unpriced_turns, cost_usd, priced_cost_usd, tokens_in, tokens_out, input_tokens,
       cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, total_tokens
FROM usage_sums WHERE period_kind = 'local_day' AND grain = 'model';

DROP VIEW IF EXISTS usage_monthly;
CREATE VIEW usage_monthly AS
SELECT period AS month, owner, sessions, turns, billable_turns, unpriced_turns, cost_usd,
       priced_cost_usd, tokens_in, tokens_out, input_tokens, cache_read_tokens,
       cache_write_tokens, cache_write_1h_tokens, total_tokens, agents, models
FROM usage_sums WHERE period_kind = 'month' AND grain = 'all';

DROP VIEW IF EXISTS usage_monthly_by_agent;
CREATE VIEW usage_monthly_by_agent AS
SELECT period AS month, owner, tool, sessions, turns, billable_turns, unpriced_turns, cost_usd,
       priced_cost_usd, tokens_in, tokens_out, input_tokens, cache_read_tokens,
       cache_write_tokens, cache_write_1h_tokens, total_tokens, models
FROM usage_sums WHERE period_kind = 'month' AND grain = 'agent';

DROP VIEW IF EXISTS usage_monthly_by_model;
CREATE VIEW usage_monthly_by_model AS
SELECT period AS month, owner, tool, model, sessions, turns, billable_turns, unpriced_turns,
       cost_usd, priced_cost_usd, tokens_in, tokens_out, input_tokens, cache_read_tokens,
       cache_write_tokens, cache_write_1h_tokens, total_tokens
FROM usage_sums WHERE period_kind = 'month' AND grain = 'model';

-- usage_by_period holds the three summaries per tool, model and project at
-- once, with their first columns as they always were; usage_by_day,
-- usage_by_local_day and usage_by_month are its slices. sessions counts the
-- sessions with at least one turn in the row.
DROP VIEW IF EXISTS usage_by_period;
CREATE VIEW usage_by_period AS
SELECT period_kind, period, owner, tool, model, project, sessions, turns, tokens_in,
       tokens_out, cost_usd, cache_read_tokens, cache_write_tokens, unpriced_turns,
       -- Added columns.
       billable_turns, priced_cost_usd, cache_write_1h_tokens
FROM usage_sums WHERE grain = 'project';

DROP VIEW IF EXISTS usage_by_day;
CREATE VIEW usage_by_day AS
SELECT period AS day, owner, tool, model, project, sessions, turns, tokens_in, tokens_out,
       cost_usd, cache_read_tokens, cache_write_tokens, unpriced_turns, billable_turns,
       priced_cost_usd, cache_write_1h_tokens
FROM usage_by_period WHERE period_kind = 'day';

DROP VIEW IF EXISTS usage_by_local_day;
CREATE VIEW usage_by_local_day AS
SELECT period AS local_day, owner, tool, model, project, sessions, turns, tokens_in,
       tokens_out, cost_usd, cache_read_tokens, cache_write_tokens, unpriced_turns,
       billable_turns, priced_cost_usd, cache_write_1h_tokens
FROM usage_by_period WHERE period_kind = 'local_day';

DROP VIEW IF EXISTS usage_by_month;
CREATE VIEW usage_by_month AS
SELECT period AS month, owner, tool, model, project, sessions, turns, tokens_in, tokens_out,
       cost_usd, cache_read_tokens, cache_write_tokens, unpriced_turns, billable_turns,
       priced_cost_usd, cache_write_1h_tokens
FROM usage_by_period WHERE period_kind = 'month';

-- Per day and project, all agents and models together: usage_by_day's and
-- usage_by_local_day's rows summed by the rule of "Sums" (a project's cost
-- is unknown when one of its billable turns has no price). agents lists its
-- tools; the turns of a session without a working folder have project NULL.
DROP VIEW IF EXISTS usage_daily_by_project;
CREATE VIEW usage_daily_by_project AS
SELECT period AS day, owner, project, group_concat(DISTINCT tool) AS agents,
       sum(turns) AS turns, sum(billable_turns) AS billable_turns,
       sum(unpriced_turns) AS unpriced_turns,
       CASE WHEN sum(billable_turns) = 0 OR sum(unpriced_turns) > 0 THEN NULL
            ELSE round(total(cost_usd), 6) END AS cost_usd,
       CASE WHEN sum(billable_turns) > sum(unpriced_turns)
            THEN round(total(priced_cost_usd), 6) END AS priced_cost_usd,
       sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out,
       sum(input_tokens) AS input_tokens, sum(cache_read_tokens) AS cache_read_tokens,
       sum(cache_write_tokens) AS cache_write_tokens,
       sum(cache_write_1h_tokens) AS cache_write_1h_tokens, sum(total_tokens) AS total_tokens
FROM usage_sums WHERE period_kind = 'day' AND grain = 'project'
GROUP BY period, owner, project;

DROP VIEW IF EXISTS usage_local_daily_by_project;
CREATE VIEW usage_local_daily_by_project AS
SELECT period AS local_day, owner, project, group_concat(DISTINCT tool) AS agents,
       sum(turns) AS turns, sum(billable_turns) AS billable_turns,
       sum(unpriced_turns) AS unpriced_turns,
       CASE WHEN sum(billable_turns) = 0 OR sum(unpriced_turns) > 0 THEN NULL
            ELSE round(total(cost_usd), 6) END AS cost_usd,
       CASE WHEN sum(billable_turns) > sum(unpriced_turns)
            THEN round(total(priced_cost_usd), 6) END AS priced_cost_usd,
       sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out,
       sum(input_tokens) AS input_tokens, sum(cache_read_tokens) AS cache_read_tokens,
       sum(cache_write_tokens) AS cache_write_tokens,
       sum(cache_write_1h_tokens) AS cache_write_1h_tokens, sum(total_tokens) AS total_tokens
FROM usage_sums WHERE period_kind = 'local_day' AND grain = 'project'
GROUP BY period, owner, project;

-- Cache savings: what the cache reads would have cost at the input price,
-- minus what they cost at the cache-read price. Each counted turn that read
-- from a cache at the prices it was costed with (its model's row of
-- model_prices, or the row of model_price_tiers its prompt fell in:
-- turn_usage.price_model and price_tier), whether its cost came from those
-- prices or was its own. usage_savings_live sums them per grain (owner,
-- tool, session, model, UTC quarter hour: cached in usage_savings_cache by
-- usage_refresh, like usage_grain); usage_cache_savings per owner, UTC day,
-- local day, agent and model:
--   turns             the turns that read from a cache
--   saved_usd         sum of cache_read_tokens * (input - cache_read price)
--                     / 1,000,000, rounded to 6 decimals; NULL when a turn
--                     of the row has no input or cache-read price
--                     (unpriced_turns says how many), never a 0 that means
--                     "unknown"
--   priced_saved_usd  the same over the turns that have both prices (NULL
--                     when none has): what was saved at least
-- Cache writes cost more than the input they store; they are in cost_usd,
-- not here: this is what reading the cache saved.
DROP VIEW IF EXISTS usage_savings_live;
CREATE VIEW usage_savings_live AS
SELECT t.owner, t.tool, t.session_id, t.model, t.quarter,
       count(*) AS turns,
       sum(t.cache_read_tokens) AS cache_read_tokens,
       count(CASE WHEN (CASE WHEN t.price_tier IS NULL THEN p.input_usd_per_mtok
                             ELSE x.input_usd_per_mtok END) IS NULL
                    OR (CASE WHEN t.price_tier IS NULL THEN p.cache_read_usd_per_mtok
                             ELSE x.cache_read_usd_per_mtok END) IS NULL THEN 1 END)
         AS unpriced_turns,
       total(t.cache_read_tokens
             * ((CASE WHEN t.price_tier IS NULL THEN p.input_usd_per_mtok
                      ELSE x.input_usd_per_mtok END)
                - (CASE WHEN t.price_tier IS NULL THEN p.cache_read_usd_per_mtok
                        ELSE x.cache_read_usd_per_mtok END)) / 1000000.0) AS known_saving
FROM (SELECT c.* FROM usage_refresh_scope AS r
      CROSS JOIN usage_turn_cache AS c
        ON c.owner = r.owner AND c.tool = r.tool AND c.session_id = r.session_id
      WHERE (SELECT mode = 'refresh-grain' FROM usage_cache_state)
      UNION ALL
      SELECT * FROM usage_turn_live) AS t
LEFT JOIN model_prices AS p ON p.model = t.price_model
LEFT JOIN model_price_tiers AS x
  ON x.model = t.price_model AND x.above_input_tokens = t.price_tier
WHERE t.cache_read_tokens > 0
GROUP BY t.owner, t.tool, t.session_id, t.model, t.quarter;

DROP VIEW IF EXISTS usage_cache_savings;
CREATE VIEW usage_cache_savings AS
SELECT owner, substr(quarter, 1, 10) AS day,
       date(quarter, (SELECT value FROM usage_settings
                      WHERE name = 'local_day_modifier')) AS local_day,
       tool, model,
       sum(turns) AS turns,
       sum(cache_read_tokens) AS cache_read_tokens,
       sum(unpriced_turns) AS unpriced_turns,
       CASE WHEN sum(unpriced_turns) > 0 THEN NULL ELSE round(total(known_saving), 6) END
         AS saved_usd,
       CASE WHEN sum(turns) > sum(unpriced_turns) THEN round(total(known_saving), 6) END
         AS priced_saved_usd
FROM (SELECT * FROM usage_savings_cache WHERE (SELECT fresh FROM usage_cache_status)
      UNION ALL
      SELECT * FROM usage_savings_live)
GROUP BY owner, day, local_day, tool, model;

-- Each session's sums per model: cached while fresh, else computed.
DROP VIEW IF EXISTS usage_session_sums_compute;
CREATE VIEW usage_session_sums_compute AS
SELECT
  u.owner, u.tool, u.session_id, u.model,
  sum(u.turns) AS turns,
  sum(u.user_turns) AS user_turns,
  sum(u.billable_turns) AS billable_turns,
  sum(u.unpriced_turns) AS unpriced_turns,
  total(u.known_cost) AS known_cost,
  sum(u.tokens_in) AS tokens_in,
  sum(u.tokens_out) AS tokens_out,
  sum(u.cache_read_tokens) AS cache_read_tokens,
  sum(u.cache_write_tokens) AS cache_write_tokens,
  sum(u.cache_write_1h_tokens) AS cache_write_1h_tokens
FROM usage_grain_for_derived AS u
GROUP BY u.owner, u.tool, u.session_id, u.model;

DROP VIEW IF EXISTS usage_session_sums;
CREATE VIEW usage_session_sums AS
SELECT * FROM usage_session_sums_cache WHERE (SELECT fresh FROM usage_cache_status)
UNION ALL
SELECT * FROM usage_session_sums_compute;

-- One row per session as people see it, (owner, tool, session_id): a
-- session synced from two machines (a shared or copied home) is one row,
-- hosts says where it was seen, host is the first of them. Its start is the
-- earliest, its end the latest, its project and source file the first
-- given (hosts in order), its turns each turn once.
DROP VIEW IF EXISTS session_summary;
CREATE VIEW session_summary AS
WITH
  s AS (
    SELECT owner, tool, session_id, min(host) AS host,
           group_concat(host, ',') AS hosts, count(*) AS host_count,
           min(started_at) AS started_at, max(ended_at) AS ended_at,
           substr(min(CASE WHEN working_dir IS NOT NULL
                           THEN host || char(31) || working_dir END),
                  length(min(CASE WHEN working_dir IS NOT NULL THEN host END)) + 2) AS project,
           substr(min(CASE WHEN source_file IS NOT NULL
                           THEN host || char(31) || source_file END),
                  length(min(CASE WHEN source_file IS NOT NULL THEN host END)) + 2)
             AS source_file
    FROM (SELECT * FROM sessions ORDER BY owner, tool, session_id, host)
    GROUP BY owner, tool, session_id
  ),
  u AS MATERIALIZED (
    SELECT owner, tool, session_id,
           sum(turns) AS turns, sum(user_turns) AS user_turns,
           sum(billable_turns) AS billable_turns, sum(unpriced_turns) AS unpriced_turns,
           total(known_cost) AS known_cost,
           sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out,
           sum(cache_read_tokens) AS cache_read_tokens,
           sum(cache_write_tokens) AS cache_write_tokens,
           sum(cache_write_1h_tokens) AS cache_write_1h_tokens,
           group_concat(model) AS models
    FROM usage_session_sums
    GROUP BY owner, tool, session_id
  )
SELECT
  s.owner, s.tool, s.host, s.session_id,
  s.project,
  s.started_at,                  -- session_meta.started_at, else its first turn
  s.ended_at,                    -- its last turn
  round((julianday(s.ended_at) - julianday(s.started_at)) * 86400.0, 3)
    AS duration_s,
  coalesce(u.turns, 0) AS turns,
  coalesce(u.user_turns, 0) AS user_turns,
  coalesce(u.tokens_in, 0) AS tokens_in,
  coalesce(u.tokens_out, 0) AS tokens_out,
  CASE WHEN coalesce(u.billable_turns, 0) = 0 OR u.unpriced_turns > 0 THEN NULL
       ELSE round(u.known_cost, 6) END AS cost_usd,
  u.models,
  s.source_file,
  coalesce(u.cache_read_tokens, 0) AS cache_read_tokens,
  coalesce(u.cache_write_tokens, 0) AS cache_write_tokens,
  coalesce(u.unpriced_turns, 0) AS unpriced_turns,
  -- Added columns.
  coalesce(u.billable_turns, 0) AS billable_turns,
  CASE WHEN u.billable_turns > u.unpriced_turns THEN round(u.known_cost, 6) END
    AS priced_cost_usd,
  coalesce(u.cache_write_1h_tokens, 0) AS cache_write_1h_tokens,
  s.hosts,                       -- every host it was seen on, in order
  s.host_count
FROM s
LEFT JOIN u ON u.owner = s.owner AND u.tool = s.tool AND u.session_id = s.session_id;

-- A session's usage per model (its tool is the session's).
DROP VIEW IF EXISTS session_usage_by_model;
CREATE VIEW session_usage_by_model AS
SELECT
  owner, tool, session_id, model, turns, billable_turns, unpriced_turns,
  CASE WHEN billable_turns = 0 OR unpriced_turns > 0 THEN NULL
       ELSE round(known_cost, 6) END AS cost_usd,
  CASE WHEN billable_turns > unpriced_turns THEN round(known_cost, 6) END AS priced_cost_usd,
  tokens_in, tokens_out,
  tokens_in - cache_read_tokens - cache_write_tokens AS input_tokens,
  cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
  tokens_in + tokens_out AS total_tokens
FROM usage_session_sums;

-- The billable Claude Code usage of each quarter hour, per model: what the
-- billing blocks are made of (at_quarter_start: see usage_grain). Cached
-- while fresh, else computed.
DROP VIEW IF EXISTS usage_claude_units_compute;
CREATE VIEW usage_claude_units_compute AS
SELECT
  u.owner, u.quarter, u.at_quarter_start, u.model,
  min(u.first_billable) AS first_billable,
  max(u.last_billable) AS last_billable,
  sum(u.billable_turns) AS billable_turns,
  sum(u.unpriced_turns) AS unpriced_turns,
  total(u.known_cost) AS known_cost,
  sum(u.tokens_in) AS tokens_in,
  sum(u.tokens_out) AS tokens_out,
  sum(u.cache_read_tokens) AS cache_read_tokens,
  sum(u.cache_write_tokens) AS cache_write_tokens,
  sum(u.cache_write_1h_tokens) AS cache_write_1h_tokens
FROM usage_grain_for_derived AS u
WHERE u.tool = 'claude-code' AND u.billable_turns > 0
GROUP BY u.owner, u.quarter, u.at_quarter_start, u.model;

DROP VIEW IF EXISTS usage_claude_units;
CREATE VIEW usage_claude_units AS
SELECT * FROM usage_claude_units_cache WHERE (SELECT fresh FROM usage_cache_status)
UNION ALL
SELECT * FROM usage_claude_units_compute;

-- Billing blocks. The walk goes over the quarter hours that hold billable
-- Claude Code turns (the turns of a quarter are less than 5 hours apart and
-- a block starts and ends on whole hours, so only a turn exactly at a
-- quarter's first millisecond can end a block inside a quarter: it is kept
-- apart, at_quarter_start).
DROP VIEW IF EXISTS usage_block_walk;
CREATE VIEW usage_block_walk AS
WITH RECURSIVE
  unit AS MATERIALIZED (
    SELECT owner, quarter, at_quarter_start,
           unixepoch(min(first_billable)) * 1000
             + CAST(substr(min(first_billable), 21, 3) AS INTEGER) AS first_ms,
           unixepoch(max(last_billable)) * 1000
             + CAST(substr(max(last_billable), 21, 3) AS INTEGER) AS last_ms,
           row_number() OVER (PARTITION BY owner
                              ORDER BY quarter, at_quarter_start DESC) AS n
    FROM usage_claude_units
    GROUP BY owner, quarter, at_quarter_start
  ),
  -- One step per unit, carrying its block's start (ms since 1970, floored
  -- to the UTC hour).
  walk (owner, n, first_ms, last_ms, block_ms) AS (
    SELECT owner, n, first_ms, last_ms, first_ms - first_ms % 3600000 FROM unit WHERE n = 1
    UNION ALL
    SELECT u.owner, u.n, u.first_ms, u.last_ms,
           CASE WHEN u.first_ms - w.block_ms > 18000000 OR u.first_ms - w.last_ms > 18000000
                THEN u.first_ms - u.first_ms % 3600000 ELSE w.block_ms END
    FROM walk AS w
    JOIN unit AS u ON u.owner = w.owner AND u.n = w.n + 1
  ),
  -- Materialized: a query that joins this view to the units then finds a
  -- unit's block by (owner, quarter) through an index SQLite builds on it.
  unit_block AS MATERIALIZED (
    SELECT w.owner, u.quarter, u.at_quarter_start, w.block_ms, w.last_ms
    FROM walk AS w JOIN unit AS u ON u.owner = w.owner AND u.n = w.n
  )
SELECT owner, quarter, at_quarter_start, block_ms, last_ms FROM unit_block;

DROP VIEW IF EXISTS usage_blocks;
CREATE VIEW usage_blocks AS
SELECT
  c.owner,
  strftime('%Y-%m-%dT%H:%M:%fZ', b.block_ms / 1000, 'unixepoch') AS block_start,
  strftime('%Y-%m-%dT%H:%M:%fZ', b.block_ms / 1000 + 18000, 'unixepoch') AS block_end,
  min(c.first_billable) AS first_turn,
  max(c.last_billable) AS last_turn,
  sum(c.billable_turns) AS turns,
  sum(c.tokens_in) AS tokens_in,
  sum(c.tokens_out) AS tokens_out,
  sum(c.cache_read_tokens) AS cache_read_tokens,
  sum(c.cache_write_tokens) AS cache_write_tokens,
  CASE WHEN sum(c.unpriced_turns) > 0 THEN NULL ELSE round(total(c.known_cost), 6) END
    AS cost_usd,
  sum(c.unpriced_turns) AS unpriced_turns,
  group_concat(DISTINCT c.model) AS models,
  unixepoch('now') * 1000 < b.block_ms + 18000000
    AND unixepoch('now') * 1000 - max(b.last_ms) < 18000000 AS is_active,
  -- Added columns.
  CASE WHEN sum(c.billable_turns) > sum(c.unpriced_turns)
       THEN round(total(c.known_cost), 6) END AS priced_cost_usd,
  sum(c.tokens_in) - sum(c.cache_read_tokens) - sum(c.cache_write_tokens) AS input_tokens,
  sum(c.tokens_in) + sum(c.tokens_out) AS total_tokens,
  sum(c.cache_write_1h_tokens) AS cache_write_1h_tokens
FROM usage_block_walk AS b
JOIN usage_claude_units AS c
  ON c.owner = b.owner AND c.quarter = b.quarter AND c.at_quarter_start = b.at_quarter_start
GROUP BY c.owner, b.block_ms;

-- The blocks of usage_blocks per model.
DROP VIEW IF EXISTS usage_block_models;
CREATE VIEW usage_block_models AS
SELECT
  c.owner,
  strftime('%Y-%m-%dT%H:%M:%fZ', b.block_ms / 1000, 'unixepoch') AS block_start,
  c.model,
  sum(c.billable_turns) AS turns,
  sum(c.unpriced_turns) AS unpriced_turns,
  CASE WHEN sum(c.unpriced_turns) > 0 THEN NULL ELSE round(total(c.known_cost), 6) END
    AS cost_usd,
  CASE WHEN sum(c.billable_turns) > sum(c.unpriced_turns)
       THEN round(total(c.known_cost), 6) END AS priced_cost_usd,
  sum(c.tokens_in) AS tokens_in,
  sum(c.tokens_out) AS tokens_out,
  sum(c.tokens_in) - sum(c.cache_read_tokens) - sum(c.cache_write_tokens) AS input_tokens,
  sum(c.cache_read_tokens) AS cache_read_tokens,
  sum(c.cache_write_tokens) AS cache_write_tokens,
  sum(c.cache_write_1h_tokens) AS cache_write_1h_tokens,
  sum(c.tokens_in) + sum(c.tokens_out) AS total_tokens
FROM usage_block_walk AS b
JOIN usage_claude_units AS c
  ON c.owner = b.owner AND c.quarter = b.quarter AND c.at_quarter_start = b.at_quarter_start
GROUP BY c.owner, b.block_ms, c.model;

-- What usage_refresh computes again: the changed sessions, and every session
-- that holds a copy of a response one of them holds (before or after the
-- change), and so on: so that each response's copies are all counted again
-- together.
DROP VIEW IF EXISTS usage_refresh_closure;
CREATE VIEW usage_refresh_closure AS
WITH RECURSIVE
  reach (kind, owner, tool, x) AS (
    SELECT 's', owner, tool, session_id FROM usage_changed_sessions
    UNION
    -- the responses the changed sessions hold now
    SELECT 'k', t.owner, t.tool,
           CASE WHEN json_valid(t.metadata) AND t.metadata ->> '$.message_id' IS NOT NULL
                THEN 'm' || (t.metadata ->> '$.message_id')
                ELSE 't' || t.session_id || char(31) || t.turn_id END
    -- (CROSS JOIN: the changed sessions drive; SQLite would scan every turn)
    FROM usage_changed_sessions AS c
    CROSS JOIN sessions AS o
      ON o.owner = c.owner AND o.tool = c.tool AND o.session_id = c.session_id
    CROSS JOIN turns AS t
      ON t.owner = o.owner AND t.tool = o.tool AND t.host = o.host AND t.session_id = o.session_id
    UNION
    -- the responses a reached session held at the last refresh
    SELECT 'k', u.owner, u.tool, u.dkey FROM reach AS r
    JOIN usage_turn_cache AS u
      ON r.kind = 's' AND u.owner = r.owner AND u.tool = r.tool AND u.session_id = r.x
    UNION
    -- the sessions that held a reached response
    SELECT 's', u.owner, u.tool, u.session_id FROM reach AS r
    JOIN usage_turn_cache AS u
      ON r.kind = 'k' AND u.owner = r.owner AND u.tool = r.tool AND u.dkey = r.x
  )
SELECT DISTINCT owner, tool, x AS session_id FROM reach WHERE kind = 's';

-- Whether a refresh computes every sum again (from the whole grain cache):
-- when everything is computed again (stale), or when the local day's offset
-- changed since the sums were computed (every local day moves). Else it
-- computes again only the sums whose grain changed.
DROP VIEW IF EXISTS usage_refresh_all_sums;
CREATE VIEW usage_refresh_all_sums AS
SELECT stale OR sums_local_day_modifier IS NOT (SELECT key FROM usage_local_day_key) AS all_sums
FROM usage_cache_state;

-- INSERT INTO usage_refresh DEFAULT VALUES: the changed sessions' caches
-- and the sums they are in. INSERT INTO usage_refresh (reason) VALUES
-- ('full'): every cache computed again from the turns.
DROP VIEW IF EXISTS usage_refresh;
CREATE VIEW usage_refresh AS SELECT NULL AS reason WHERE 0;
DROP TRIGGER IF EXISTS usage_refresh_run;
CREATE TRIGGER usage_refresh_run INSTEAD OF INSERT ON usage_refresh BEGIN
  UPDATE usage_cache_state SET stale = 1 WHERE NEW.reason IS 'full';
  DELETE FROM usage_refresh_scope;
  DELETE FROM usage_dirty_quarters;
  DELETE FROM usage_dirty_periods;
  DELETE FROM usage_dirty_slots;
  DELETE FROM usage_dirty_bucket_periods;
  -- Stale: every session, from nothing.
  INSERT INTO usage_refresh_scope
  SELECT DISTINCT owner, tool, session_id FROM sessions
  WHERE (SELECT stale FROM usage_cache_state);
  -- (Driven by usage_cache_state's one row, so that nothing is scanned
  -- when it is not stale.)
  DELETE FROM usage_turn_cache
  WHERE rowid IN (SELECT c.rowid FROM usage_cache_state AS s
                  CROSS JOIN usage_turn_cache AS c WHERE s.stale);
  DELETE FROM usage_grain_cache
  WHERE rowid IN (SELECT c.rowid FROM usage_cache_state AS s
                  CROSS JOIN usage_grain_cache AS c WHERE s.stale);
  DELETE FROM usage_savings_cache
  WHERE rowid IN (SELECT c.rowid FROM usage_cache_state AS s
                  CROSS JOIN usage_savings_cache AS c WHERE s.stale);
  -- Else the changed sessions and those that share a response with them.
  INSERT OR IGNORE INTO usage_refresh_scope
  SELECT owner, tool, session_id FROM usage_refresh_closure
  WHERE NOT (SELECT stale FROM usage_cache_state);
  DELETE FROM usage_turn_cache
  WHERE (owner, tool, session_id) IN (SELECT owner, tool, session_id FROM usage_refresh_scope);
  UPDATE usage_cache_state SET mode = 'refresh-turns';
  INSERT INTO usage_turn_cache SELECT * FROM usage_turn_live;
  -- The quarter hours the scope's grain was in, before and after.
  INSERT OR IGNORE INTO usage_dirty_slots
  SELECT g.owner, g.quarter, r.bucket FROM usage_refresh_scope_buckets AS r
  JOIN usage_grain_cache AS g
    ON g.owner = r.owner AND g.tool = r.tool AND g.session_id = r.session_id
  WHERE NOT (SELECT all_sums FROM usage_refresh_all_sums);
  DELETE FROM usage_grain_cache
  WHERE (owner, tool, session_id) IN (SELECT owner, tool, session_id FROM usage_refresh_scope);
  UPDATE usage_cache_state SET mode = 'refresh-grain';
  INSERT INTO usage_grain_cache SELECT * FROM usage_grain_live;
  DELETE FROM usage_session_days WHERE (SELECT stale FROM usage_cache_state);
  DELETE FROM usage_session_days
  WHERE (owner, tool, session_id) IN (SELECT owner, tool, session_id FROM usage_refresh_scope);
  INSERT OR IGNORE INTO usage_session_days
  SELECT r.owner, r.bucket, substr(g.quarter, 1, 10), r.tool, r.session_id
  FROM usage_refresh_scope_buckets AS r
  JOIN usage_grain_cache AS g
    ON g.owner = r.owner AND g.tool = r.tool AND g.session_id = r.session_id;
  DELETE FROM usage_savings_cache
  WHERE (owner, tool, session_id) IN (SELECT owner, tool, session_id FROM usage_refresh_scope);
  INSERT INTO usage_savings_cache SELECT * FROM usage_savings_live;
  INSERT OR IGNORE INTO usage_dirty_slots
  SELECT g.owner, g.quarter, r.bucket FROM usage_refresh_scope_buckets AS r
  JOIN usage_grain_cache AS g
    ON g.owner = r.owner AND g.tool = r.tool AND g.session_id = r.session_id
  WHERE NOT (SELECT all_sums FROM usage_refresh_all_sums);
  INSERT OR IGNORE INTO usage_dirty_quarters SELECT owner, quarter FROM usage_dirty_slots;
  -- The periods and buckets those are in, each with a range of quarters
  -- that holds all of the period's own (a local day's are within a day of
  -- its UTC date: every offset in use is less than a day).
  INSERT OR IGNORE INTO usage_dirty_bucket_periods
  SELECT 'day', owner, substr(quarter, 1, 10), bucket, substr(quarter, 1, 10),
         substr(quarter, 1, 10) || 'U'
  FROM usage_dirty_slots;
  INSERT OR IGNORE INTO usage_dirty_bucket_periods
  SELECT 'month', owner, substr(quarter, 1, 7), bucket, substr(quarter, 1, 7),
         substr(quarter, 1, 7) || '.'
  FROM usage_dirty_slots;
  INSERT OR IGNORE INTO usage_dirty_bucket_periods
  SELECT 'local_day', owner, p, bucket, date(p, '-2 days'), date(p, '+3 days')
  FROM (SELECT owner, bucket, date(quarter, (SELECT value FROM usage_settings
                                             WHERE name = 'local_day_modifier')) AS p
        FROM usage_dirty_slots)
  WHERE p IS NOT NULL;
  INSERT OR IGNORE INTO usage_dirty_periods
  SELECT period_kind, owner, period, lo, hi FROM usage_dirty_bucket_periods;
  -- The sums the views read, from the grain's cache: all of them, or those
  -- of the changed periods, sessions and quarter hours.
  DELETE FROM usage_sums_cache
  WHERE rowid IN (SELECT c.rowid FROM usage_refresh_all_sums AS a
                  CROSS JOIN usage_sums_cache AS c WHERE a.all_sums);
  DELETE FROM usage_bucket_sums_cache
  WHERE rowid IN (SELECT c.rowid FROM usage_refresh_all_sums AS a
                  CROSS JOIN usage_bucket_sums_cache AS c WHERE a.all_sums);
  DELETE FROM usage_session_sums_cache
  WHERE rowid IN (SELECT c.rowid FROM usage_refresh_all_sums AS a
                  CROSS JOIN usage_session_sums_cache AS c WHERE a.all_sums);
  DELETE FROM usage_claude_units_cache
  WHERE rowid IN (SELECT c.rowid FROM usage_refresh_all_sums AS a
                  CROSS JOIN usage_claude_units_cache AS c WHERE a.all_sums);
  DELETE FROM usage_sums_cache
  WHERE (period_kind, owner, period) IN (SELECT period_kind, owner, period
                                         FROM usage_dirty_periods);
  DELETE FROM usage_bucket_sums_cache
  WHERE (period_kind, owner, period, bucket) IN (SELECT period_kind, owner, period, bucket
                                                 FROM usage_dirty_bucket_periods);
  DELETE FROM usage_session_sums_cache
  WHERE (owner, tool, session_id) IN (SELECT owner, tool, session_id FROM usage_refresh_scope);
  DELETE FROM usage_claude_units_cache
  WHERE (owner, quarter) IN (SELECT owner, quarter FROM usage_dirty_quarters);
  UPDATE usage_cache_state
  SET mode = CASE WHEN (SELECT all_sums FROM usage_refresh_all_sums) THEN 'refresh-sums'
                  ELSE 'refresh-sums-part' END;
  INSERT INTO usage_bucket_sums_cache
  SELECT * FROM usage_bucket_sums_compute AS c
  WHERE (SELECT mode = 'refresh-sums' FROM usage_cache_state)
     OR (c.period_kind, c.owner, c.period, c.bucket)
        IN (SELECT period_kind, owner, period, bucket FROM usage_dirty_bucket_periods);
  INSERT INTO usage_session_sums_cache
  SELECT * FROM usage_session_sums_compute AS c
  WHERE (SELECT mode = 'refresh-sums' FROM usage_cache_state)
     OR (c.owner, c.tool, c.session_id) IN (SELECT owner, tool, session_id
                                            FROM usage_refresh_scope);
  INSERT INTO usage_claude_units_cache
  SELECT * FROM usage_claude_units_compute AS c
  WHERE (SELECT mode = 'refresh-sums' FROM usage_cache_state)
     OR (c.owner, c.quarter) IN (SELECT owner, quarter FROM usage_dirty_quarters);
  -- Then the periods' sums from their buckets (usage_bucket_totals).
  UPDATE usage_cache_state
  SET mode = CASE mode WHEN 'refresh-sums' THEN 'refresh-totals' ELSE 'refresh-totals-part' END;
  INSERT INTO usage_sums_cache SELECT * FROM usage_sums_compute;
  DELETE FROM usage_refresh_scope;
  DELETE FROM usage_changed_sessions;
  DELETE FROM usage_dirty_quarters;
  DELETE FROM usage_dirty_periods;
  DELETE FROM usage_dirty_slots;
  DELETE FROM usage_dirty_bucket_periods;
  UPDATE usage_cache_state
  SET mode = 'all', stale = 0, refreshed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
      sums_local_day_modifier = (SELECT key FROM usage_local_day_key);
END;

-- The caches were computed with other definitions (an earlier release of
-- this file, or none yet): all of them again. Then bring them up to date.
UPDATE usage_cache_state SET stale = 1
WHERE computed_by IS NOT (SELECT group_concat(name || char(10) || sql, char(10))
                          FROM (SELECT name, sql FROM sqlite_schema
                                WHERE name IN ('usage_turn_live', 'usage_grain_live',
                                               'model_price_match', 'usage_refresh_run',
                                               'usage_refresh_all_sums',
                                               'usage_sums_compute', 'usage_bucket_sums_compute',
                                               'usage_bucket_totals', 'usage_refresh_scope_buckets',
                                               'usage_session_sums_compute',
                                               'usage_claude_units_compute', 'usage_savings_live')
                                ORDER BY name));
UPDATE usage_cache_state
SET computed_by = (SELECT group_concat(name || char(10) || sql, char(10))
                   FROM (SELECT name, sql FROM sqlite_schema
                         WHERE name IN ('usage_turn_live', 'usage_grain_live',
                                        'model_price_match', 'usage_refresh_run',
                                        'usage_refresh_all_sums',
                                        'usage_sums_compute', 'usage_session_sums_compute',
                                        'usage_bucket_sums_compute', 'usage_bucket_totals',
                                        'usage_refresh_scope_buckets',
                                        'usage_claude_units_compute', 'usage_savings_live')
                         ORDER BY name));
INSERT INTO usage_refresh DEFAULT VALUES;

RELEASE lethe_usage_pack;
