-- lethe merge pack: a view that turns the stored sessions and turns back into
-- wire-v1 lines, so that one machine's database can be merged into another
-- (a central one) with lethe_ingest itself.
--
-- Apply it to the database you merge FROM (the laptop's), once or as often as
-- you like (idempotent; it only creates two views and needs neither lethe
-- nor JSON1 beyond json_quote, which every SQLite since 3.38 has):
--   sqlite3 laptop.db < sql/merge.sql
-- Then, in the central database, with lethe loaded:
--   ATTACH 'laptop.db' AS laptop;
--   SELECT * FROM lethe_ingest('ana',
--     (SELECT group_concat(line, char(10)) FROM laptop.lethe_wire_lines
--      WHERE owner = 'ana'));
--   DETACH laptop;
-- The owner is not part of a line (wire-v1: the caller decides whose data it
-- is), so merge one owner per call and filter the view by owner.
--
--   lethe_wire_lines(owner, tool, host, session_id, turn_id, line)
--     one row per stored turn; `line` is its wire-v1 line (for one turn of a
--     session whose end outlives its turns, two lines: see "ended_at"
--     below). Rows may be concatenated in any order.
--
-- What a line carries: every field of wire-v1 section 3 with the stored value
-- of its turn, and session_meta with the stored session's started_at,
-- working_dir, source_file and metadata. The JSON columns (tool_calls,
-- metadata, sessions.metadata) are embedded as the exact bytes stored, not
-- re-encoded: 1.10 stays 1.10, 123456789012345678901234567890 keeps every
-- digit, keys keep their order and \u escapes stay as written. Text fields
-- are JSON strings from json_quote (an embedded U+0000 in content becomes
-- \u0000 and is stored again as U+0000). Times are the stored UTC form, which
-- lethe accepts and stores unchanged. cost_usd is written with digits that
-- read back as exactly the stored double (lethe_cost_text below).
--
-- Why merging gives what ingesting everything in one database gives
-- (wire-v1 section 7; tested as a property in tests/e2e_merge_test.cpp):
-- - turns: last write wins, and each line carries every column of its turn;
-- - sessions: started_at is a MIN, and every line says session_meta.started_at
--   = the stored start; working_dir, source_file and metadata keep the first
--   non-null value, and every line carries the stored one;
-- - ended_at is a MAX over the timestamps a session's lines ever had. When a
--   turn was re-sent with an earlier timestamp, the stored ended_at is later
--   than every stored turn. Then the row of the session's first turn (lowest
--   turn_id) holds two lines: that turn with timestamp = ended_at, then the
--   turn's real line, which overwrites it (same key, the later line wins)
--   and leaves ended_at behind. Both are in one value, because SQLite does
--   not promise the order in which group_concat sees a view's rows (an
--   automatic index can reorder them).
-- - a session with no turns (deleted by hand) has no line and is not merged.
--
-- Merging twice, or merging a database into itself, changes nothing. Merging
-- A then B, or B then A, gives the same sessions' starts and ends, and the
-- same turns wherever a turn key was not written on both machines (where it
-- was, the later merge wins, as the later batch would).
--
-- Size: a group_concat value is limited by SQLite's SQLITE_MAX_LENGTH
-- (1,000,000,000 bytes by default). For a larger database merge in pieces,
-- for example per tool or per month:
--   SELECT * FROM lethe_ingest('ana', (SELECT group_concat(line, char(10))
--     FROM laptop.lethe_wire_lines WHERE owner = 'ana' AND tool = 'codex'));

SAVEPOINT lethe_merge_pack;

-- lethe_cost_text(x, text): each distinct cost_usd of turns and the JSON
-- number that reads back as exactly that double. SQLite's own conversions
-- can't be trusted for this: its printf makes the 16th and 17th digits with
-- long double arithmetic (printf('%!.17g', 1.7976931348623157e308) says
-- ...156e+308, one ulp low) and its text-to-number conversion is not
-- correctly rounded either, so no check made with them proves a text right.
-- This view computes with what IEEE doubles do exactly instead: from the
-- double x it finds D, an 18-digit integer within 1 of |x| * 10^k, with
-- double-double arithmetic (a table of 10^k as two doubles, Dekker's exact
-- product); 18 digits leave at least 5.5 units of the last digit between x
-- and the middle to its neighbouring doubles, so D * 10^-k reads back as x
-- in any correctly rounded parser (lethe's std::from_chars). Then it writes
-- the fewest digits of D that still keep 1 unit away from that middle:
-- 0.1 stays 0.1, and only a few values get a digit more than the shortest.
DROP VIEW IF EXISTS lethe_cost_text;
CREATE VIEW lethe_cost_text AS
WITH RECURSIVE
  -- 10^k = (h + l) * 2^s with h in [1, 2): a double-double, good to about
  -- 2^-100 (a few ulps of 2^-106 lost a step). Two steps per power up: the
  -- product by ten (h*8 and h*2 are exact; FastTwoSum gives the rounding
  -- error of their sum exactly), then the renormalization.
  up(k, phase, a, b, s) AS (
    SELECT 0, 0, 1.0, 0.0, 0
    UNION ALL
    SELECT CASE phase WHEN 0 THEN k ELSE k + 1 END, 1 - phase,
           CASE phase WHEN 0 THEN a * 8.0 + a * 2.0
                ELSE (a + b) / CASE WHEN a + b >= 16.0 THEN 16.0 ELSE 8.0 END END,
           CASE phase WHEN 0 THEN a * 2.0 - ((a * 8.0 + a * 2.0) - a * 8.0) + b * 10.0
                ELSE (b - ((a + b) - a)) / CASE WHEN a + b >= 16.0 THEN 16.0 ELSE 8.0 END END,
           s + CASE phase WHEN 0 THEN 0 WHEN 1 THEN CASE WHEN a + b >= 16.0 THEN 4 ELSE 3 END END
    FROM up WHERE k < 345
  ),
  -- Three steps per power down: q1 = h / 10; q2 = (h - 10 q1 + l) / 10,
  -- with 10 q1 = p + e exactly as above; then the renormalization.
  down(k, phase, a, b, c, s) AS (
    SELECT 0, 0, 1.0, 0.0, NULL, 0
    UNION ALL
    SELECT CASE phase WHEN 2 THEN k - 1 ELSE k END, (phase + 1) % 3,
           CASE phase WHEN 0 THEN a WHEN 1 THEN c
                ELSE (a + b) * CASE WHEN (a + b) * 8.0 >= 1.0 THEN 8.0 ELSE 16.0 END END,
           CASE phase WHEN 0 THEN b
                WHEN 1 THEN ((a - (c * 8.0 + c * 2.0))
                             - (c * 2.0 - ((c * 8.0 + c * 2.0) - c * 8.0)) + b) / 10.0
                ELSE (b - ((a + b) - a)) * CASE WHEN (a + b) * 8.0 >= 1.0 THEN 8.0 ELSE 16.0 END END,
           CASE phase WHEN 0 THEN a / 10.0 END,
           s - CASE phase WHEN 2 THEN CASE WHEN (a + b) * 8.0 >= 1.0 THEN 3 ELSE 4 END ELSE 0 END
    FROM down WHERE k > -300
  ),
  two(n, v) AS (SELECT 0, 1.0 UNION ALL SELECT n + 1, v * 2.0 FROM two WHERE n < 600),
  half(n, v) AS (SELECT 1, 0.5 UNION ALL SELECT n + 1, v / 2.0 FROM half WHERE n < 600),
  pow2(n, v) AS (SELECT n, v FROM two UNION ALL SELECT -n, v FROM half),
  pow10 AS MATERIALIZED (
    SELECT t.k, t.h, t.l, a.v AS g1, b.v AS g2
    FROM (SELECT k, a AS h, b AS l, s FROM up WHERE phase = 0
          UNION ALL SELECT k, a, b, s FROM down WHERE phase = 0 AND k < 0) AS t
    JOIN pow2 AS a ON a.n = t.s / 2
    JOIN pow2 AS b ON b.n = t.s - t.s / 2),
  digits(f) AS MATERIALIZED (
    SELECT 100000000000000000 UNION ALL SELECT f / 10 FROM digits WHERE f > 10),
  cost AS (
    SELECT x, abs(x) AS a,
           17 - CASE WHEN instr(t, 'e') > 0 THEN CAST(substr(t, instr(t, 'e') + 1) AS INTEGER)
                     WHEN substr(t, 1, 2) = '0.'
                       THEN -1 - (length(substr(t, 3)) - length(ltrim(substr(t, 3), '0')))
                     ELSE instr(t || '.', '.') - 2 END AS k
    FROM (SELECT DISTINCT cost_usd AS x, CAST(abs(cost_usd) AS TEXT) AS t FROM turns
          WHERE cost_usd <> 0 AND cost_usd - cost_usd = 0)),
  scaled AS (
    SELECT c.x, j.j, c.k + j.j AS k, c.a * w.g1 * w.g2 AS xs, w.h, w.l
    FROM cost AS c
    CROSS JOIN (SELECT 0 AS j UNION ALL SELECT 1) AS j
    JOIN pow10 AS w ON w.k = c.k + j.j),
  split AS (
    SELECT x, j, k, xs, h, l, xs * h AS p,
           134217729.0 * xs - (134217729.0 * xs - xs) AS xh,
           134217729.0 * h - (134217729.0 * h - h) AS hh
    FROM scaled),
  product AS (
    SELECT x, j, k, p,
           (((xh * hh - p) + xh * (h - hh) + (xs - xh) * hh) + (xs - xh) * (h - hh)) + xs * l AS e,
           ((xs + xs * 1.1113332476497816e-16) - xs) / xs / 2.0 AS rel
    FROM split),
  whole AS MATERIALIZED (
    SELECT x, j, k, CAST(p AS INTEGER) + CAST(e AS INTEGER) - (CAST(e AS INTEGER) > e) AS d, rel
    FROM product),
  picked AS (
    SELECT w.x, w.k, w.d, w.rel FROM whole AS w
    WHERE w.j = CASE WHEN (SELECT z.d FROM whole AS z WHERE z.x = w.x AND z.j = 0)
                          >= 100000000000000000 THEN 0 ELSE 1 END),
  eighteen AS (
    SELECT x, k - (d >= 1000000000000000000) AS k,
           CASE WHEN d >= 1000000000000000000 THEN d / 10 ELSE d END AS d, rel
    FROM picked),
  shortest AS MATERIALIZED (
    SELECT n.x, n.k, n.d,
      (SELECT max(g.f) FROM digits AS g
       WHERE abs(((n.d + g.f / 2) / g.f) * g.f - n.d) + 1.01
             < CASE WHEN ((n.d + g.f / 2) / g.f) * g.f >= n.d THEN n.d * n.rel
                    WHEN n.rel = 5.551115123125783e-17 THEN n.d * n.rel / 2.0
                    ELSE n.d * n.rel END) AS f
    FROM eighteen AS n),
  cut AS (
    SELECT x, CAST(CASE WHEN f IS NULL THEN d ELSE (d + f / 2) / f END AS TEXT) AS c,
           -k + CASE WHEN f IS NULL THEN 0 ELSE length(f) - 1 END AS t
    FROM shortest),
  trimmed AS (
    SELECT x, rtrim(c, '0') AS s, t + length(c) - length(rtrim(c, '0')) AS t FROM cut)
SELECT x,
  CASE WHEN x < 0 THEN '-' ELSE '' END ||
  CASE WHEN t + length(s) - 1 BETWEEN -6 AND 20 THEN
         CASE WHEN t >= 0 THEN s || substr('000000000000000000000', 1, t)
              WHEN length(s) + t > 0 THEN substr(s, 1, length(s) + t) || '.' || substr(s, length(s) + t + 1)
              ELSE '0.' || substr('000000000000000000000', 1, -(length(s) + t)) || s END
       ELSE substr(s, 1, 1) || CASE WHEN length(s) > 1 THEN '.' || substr(s, 2) ELSE '' END
            || 'e' || (t + length(s) - 1) END AS text
FROM trimmed
UNION ALL
SELECT DISTINCT cost_usd, '0' FROM turns WHERE cost_usd = 0;

DROP VIEW IF EXISTS lethe_wire_lines;
CREATE VIEW lethe_wire_lines AS
WITH
  -- Sessions whose ended_at no stored turn reaches: their first turn (by
  -- turn_id) carries the end.
  late_end AS (
    SELECT s.owner, s.tool, s.host, s.session_id, s.ended_at,
           (SELECT min(t.turn_id) FROM turns AS t
             WHERE t.owner = s.owner AND t.tool = s.tool AND t.host = s.host
               AND t.session_id = s.session_id) AS turn_id
    FROM sessions AS s
    WHERE s.ended_at > (SELECT max(t.timestamp) FROM turns AS t
                         WHERE t.owner = s.owner AND t.tool = s.tool
                           AND t.host = s.host AND t.session_id = s.session_id)
  ),
  -- A turn's line without its timestamp: head || timestamp || tail.
  parts AS (
    SELECT
      t.owner, t.tool, t.host, t.session_id, t.turn_id, t.timestamp,
      l.ended_at AS late_end,
      '{"tool":' || json_quote(t.tool) ||
      ',"host":' || json_quote(t.host) ||
      ',"session_id":' || json_quote(t.session_id) ||
      ',"turn_id":' || json_quote(t.turn_id) ||
      ',"seq":' || t.seq ||
      ',"role":' || json_quote(t.role) ||
      ',"timestamp":' AS head,
      ',"content":' || json_quote(t.content) ||
      ',"model":' || json_quote(t.model) ||
      ',"tokens_in":' || coalesce(t.tokens_in, 'null') ||
      ',"tokens_out":' || coalesce(t.tokens_out, 'null') ||
      ',"cost_usd":' || CASE
          WHEN t.cost_usd IS NULL THEN 'null'
          ELSE coalesce(c.text, printf('%!.17g', t.cost_usd)) END ||
      ',"tool_calls":' || coalesce(t.tool_calls, 'null') ||
      ',"metadata":' || coalesce(t.metadata, 'null') ||
      ',"session_meta":{"started_at":' || json_quote(s.started_at) ||
      ',"working_dir":' || json_quote(s.working_dir) ||
      ',"source_file":' || json_quote(s.source_file) ||
      ',"metadata":' || coalesce(s.metadata, 'null') || '}}' AS tail
    FROM turns AS t
    JOIN sessions AS s
      ON s.owner = t.owner AND s.tool = t.tool AND s.host = t.host
     AND s.session_id = t.session_id
    LEFT JOIN late_end AS l
      ON l.owner = t.owner AND l.tool = t.tool AND l.host = t.host
     AND l.session_id = t.session_id AND l.turn_id = t.turn_id
    LEFT JOIN lethe_cost_text AS c ON c.x = t.cost_usd
  )
SELECT
  owner, tool, host, session_id, turn_id,
  -- The carrier of a late end is written first and overwritten by the real
  -- line right after it, inside the same value: no row order is relied on.
  CASE WHEN late_end IS NULL THEN ''
       ELSE head || json_quote(late_end) || tail || char(10) END ||
  head || json_quote(timestamp) || tail AS line
FROM parts;

RELEASE lethe_merge_pack;
