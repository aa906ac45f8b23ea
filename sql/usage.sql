-- lethe usage pack: views over sessions and turns to query directly.
--
-- Apply it after sql/schema.sql, once or as often as you like (idempotent;
-- re-applying replaces the views with this file's definitions):
--   sqlite3 agents.db < sql/usage.sql          (or .read sql/usage.sql)
--
--   session_summary  one row per session: project, start, end, duration,
--                    turns, tokens in/out, cost, models
--   turn_usage       one row per turn with its session's project and its
--                    UTC day and month: the base of the two below, and of
--                    your own groupings (local days, weeks, hosts, ...)
--   usage_by_day     per UTC day, owner, tool, model and project
--   usage_by_month   per UTC month, owner, tool, model and project
--
-- The project is the session's working_dir (session_meta.working_dir), NULL
-- when no line of the session gave one. The model is a turn's model: user,
-- tool and system turns usually have none, so their rows have model NULL
-- (and, as a rule, no tokens or cost). Tokens sum to 0 and cost to 0.0 when
-- no turn of a row has one; cost is rounded to 6 decimals (micro-dollars).
--
-- Totals only count what is stored, and lethe stores a turn once (its key is
-- (owner, tool, host, session_id, turn_id); a re-sent line overwrites it), so
-- ingesting the same batch again changes no total.
--
-- Days and months are UTC: times are stored in UTC as
-- 'YYYY-MM-DDTHH:MM:SS.sssZ', and day = date(timestamp). To count in local
-- days instead, group turn_usage by a local date yourself:
--
--   -- the time zone of the process running SQLite (TZ variable; daylight
--   -- saving time is applied to each turn's own date):
--   SELECT date(timestamp, 'localtime') AS day, owner, tool,
--          count(*) AS turns, sum(tokens_in) AS tokens_in,
--          sum(tokens_out) AS tokens_out, round(total(cost_usd), 6) AS cost_usd
--   FROM turn_usage GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
--
--   -- a fixed offset (here UTC-05:00; no daylight saving time):
--   SELECT date(timestamp, '-05:00') AS day, ... FROM turn_usage GROUP BY 1, ...;
--
--   -- local months: strftime('%Y-%m', timestamp, 'localtime')
--   -- local weeks starting on Monday: strftime('%Y-W%W', timestamp, 'localtime')
--
-- Example queries:
--
--   -- Ana's ten most expensive sessions:
--   SELECT tool, session_id, project, started_at, duration_s, turns, cost_usd
--   FROM session_summary WHERE owner = 'ana' ORDER BY cost_usd DESC LIMIT 10;
--
--   -- What each model cost per month, all owners:
--   SELECT month, model, sum(tokens_in), sum(tokens_out), round(sum(cost_usd), 6)
--   FROM usage_by_month WHERE model IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2;
--
--   -- Cost per project in March 2026:
--   SELECT project, round(sum(cost_usd), 6) AS cost_usd FROM usage_by_day
--   WHERE day BETWEEN '2026-03-01' AND '2026-03-31' GROUP BY project
--   ORDER BY cost_usd DESC;

SAVEPOINT lethe_usage_pack;

DROP VIEW IF EXISTS session_summary;
CREATE VIEW session_summary AS
SELECT
  s.owner, s.tool, s.host, s.session_id,
  s.working_dir AS project,
  s.started_at,                  -- session_meta.started_at, else its first turn
  s.ended_at,                    -- its last turn
  round((julianday(s.ended_at) - julianday(s.started_at)) * 86400.0, 3)
    AS duration_s,
  count(t.turn_id) AS turns,
  count(CASE WHEN t.role = 'user' THEN 1 END) AS user_turns,
  coalesce(sum(t.tokens_in), 0) AS tokens_in,
  coalesce(sum(t.tokens_out), 0) AS tokens_out,
  round(total(t.cost_usd), 6) AS cost_usd,
  group_concat(DISTINCT t.model) AS models,
  s.source_file
FROM sessions AS s
LEFT JOIN turns AS t
  ON t.owner = s.owner AND t.tool = s.tool AND t.host = s.host
 AND t.session_id = s.session_id
GROUP BY s.owner, s.tool, s.host, s.session_id;

DROP VIEW IF EXISTS turn_usage;
CREATE VIEW turn_usage AS
SELECT
  t.owner, t.tool, t.host, t.session_id, t.turn_id, t.role,
  t.timestamp,
  date(t.timestamp) AS day,              -- UTC
  substr(t.timestamp, 1, 7) AS month,    -- UTC, 'YYYY-MM'
  t.model,
  s.working_dir AS project,
  t.tokens_in, t.tokens_out, t.cost_usd
FROM turns AS t
JOIN sessions AS s
  ON s.owner = t.owner AND s.tool = t.tool AND s.host = t.host
 AND s.session_id = t.session_id;

-- sessions counts the sessions with at least one turn in the row. The
-- separator char(31) cannot occur in host or session_id (the wire contract
-- forbids control characters there), so distinct pairs stay distinct.
DROP VIEW IF EXISTS usage_by_day;
CREATE VIEW usage_by_day AS
SELECT
  day, owner, tool, model, project,
  count(DISTINCT host || char(31) || session_id) AS sessions,
  count(*) AS turns,
  coalesce(sum(tokens_in), 0) AS tokens_in,
  coalesce(sum(tokens_out), 0) AS tokens_out,
  round(total(cost_usd), 6) AS cost_usd
FROM turn_usage
GROUP BY day, owner, tool, model, project;

DROP VIEW IF EXISTS usage_by_month;
CREATE VIEW usage_by_month AS
SELECT
  month, owner, tool, model, project,
  count(DISTINCT host || char(31) || session_id) AS sessions,
  count(*) AS turns,
  coalesce(sum(tokens_in), 0) AS tokens_in,
  coalesce(sum(tokens_out), 0) AS tokens_out,
  round(total(cost_usd), 6) AS cost_usd
FROM turn_usage
GROUP BY month, owner, tool, model, project;

RELEASE lethe_usage_pack;
