-- lethe show pack: a session as a readable Markdown transcript, the one
-- place it is made (`lethe show SESSION` prints this view's markdown).
--
-- Apply it after sql/schema.sql, once or as often as you like (idempotent):
--   sqlite3 agents.db < sql/show.sql          (or .read sql/show.sql)
-- It creates
--   transcript_sessions  one row per session (owner, tool, session_id),
--                        however many machines (hosts) it was synced from:
--                        hosts, started_at, ended_at, project (the first
--                        host's working_dir), turns.
--   session_transcript   the same rows with markdown: the whole session as
--                        Markdown. Read it for one session:
--     SELECT markdown FROM session_transcript
--     WHERE tool = 'claude-code' AND session_id = :id;
--
-- What the Markdown holds: a header (agent, hosts, project, start and end,
-- turns by role, tokens, models, parent session), then every turn in seq
-- order, each under a heading with its role and time (UTC):
--   user prompts and assistant answers, quoted ("> " on every line);
--   an assistant turn's model and tokens (in, cached, out) in its heading,
--     its reasoning (metadata thinking, thoughts, reasoning_summary,
--     reasoning) folded in a <details> block, and each tool call with its
--     name, id and arguments (JSON, or the raw text when the agent wrote
--     text);
--   tool results, headed with the name and id of the call they answer
--     (found by id: metadata.tool_use_ids, call_ids, call_id or
--     tool_use_id, or the turn_id '<call id>:output' or
--     '<message id>:<call id>'), as a code
--     block, marked when the agent said it failed;
--   system turns (what the agent or the CLI wrote itself: notifications,
--     compaction summaries, environment context), quoted under "System".
-- A session stored from two hosts is one transcript: each turn once, the
-- copy of the first host (by name) that has it.
--
-- Nothing in a turn can break the document's structure: text a person or a
-- model wrote is inside its quote, where an unclosed ``` fence or HTML block
-- ends with the quote; reasoning, arguments and tool output are in code
-- blocks whose fence is longer than any run of backticks in them; names and
-- ids are code spans the same way. Control characters other than newline and
-- tab are written as \xNN (a terminal shows them, never obeys them), and
-- CRLF becomes LF; but NUL, which SQLite's replace() cannot find: the
-- command (lethe show) writes it as \x00, and any byte that is not UTF-8
-- as \xNN. HTML a model wrote stays HTML inside its quote: a
-- Markdown viewer shows it as it shows any HTML (GitHub strips scripts).
-- Nothing is cut: the transcript holds every turn in full (lethe_ingest
-- already bounds each text at max_field_bytes, 1 MiB by default, and a turn
-- cut there says so).
--
-- Cost: one session's transcript reads that session's turns (index
-- turns_by_session_seq) and scans sessions once; never the whole archive.
-- Needs SQLite 3.38 or later (printf's ',' flag, the ->> operator).

SAVEPOINT lethe_show_pack;

DROP VIEW IF EXISTS session_transcript;
DROP VIEW IF EXISTS transcript_sessions;

CREATE VIEW transcript_sessions AS
SELECT owner, tool, session_id,
       group_concat(host, ',') AS hosts, count(*) AS host_count,
       min(started_at) AS started_at, max(ended_at) AS ended_at,
       substr(min(CASE WHEN working_dir IS NOT NULL THEN host || char(31) || working_dir END),
              length(min(CASE WHEN working_dir IS NOT NULL THEN host END)) + 2) AS project,
       substr(min(CASE WHEN metadata IS NOT NULL THEN host || char(31) || metadata END),
              length(min(CASE WHEN metadata IS NOT NULL THEN host END)) + 2) AS metadata
FROM (SELECT * FROM sessions ORDER BY owner, tool, session_id, host)
GROUP BY owner, tool, session_id;

-- How the text is made safe, once for the whole document: control
-- characters but LF and TAB as \xNN, CRLF as LF.
CREATE VIEW session_transcript AS
SELECT s.owner, s.tool, s.session_id, s.hosts, s.host_count, s.started_at, s.ended_at,
       s.project,
       (WITH
          -- The session's turns, each once: the copy of the first host.
          copies AS (
            SELECT t.*, row_number() OVER (PARTITION BY t.turn_id ORDER BY t.host) AS copy
            FROM turns AS t
            WHERE t.owner = s.owner AND t.tool = s.tool AND t.session_id = s.session_id
              AND t.host IN (SELECT o.host FROM sessions AS o
                             WHERE o.owner = s.owner AND o.tool = s.tool
                               AND o.session_id = s.session_id)),
          tt AS MATERIALIZED (
            SELECT turn_id, seq, role, timestamp, content, model, tokens_in, tokens_out,
                   CASE WHEN json_valid(tool_calls) AND json_type(tool_calls) = 'array'
                        THEN tool_calls END AS calls,
                   CASE WHEN json_valid(metadata) AND json_type(metadata) = 'object'
                        THEN metadata END AS meta
            FROM copies WHERE copy = 1),
          -- Every tool call of the session, with the id a result names.
          calls AS MATERIALIZED (
            SELECT tt.turn_id, c.value ->> '$.id' AS id, c.value ->> '$.name' AS name
            FROM tt, json_each(tt.calls) AS c),
          -- The ids of the calls each tool turn answers, as each agent
          -- records them.
          result_ids(turn_id, id) AS (
            SELECT r.turn_id, j.value FROM tt AS r, json_each(r.meta, '$.tool_use_ids') AS j
            WHERE r.role = 'tool'
            UNION SELECT r.turn_id, j.value FROM tt AS r, json_each(r.meta, '$.call_ids') AS j
            WHERE r.role = 'tool'
            UNION SELECT turn_id, meta ->> '$.call_id' FROM tt WHERE role = 'tool'
            UNION SELECT turn_id, meta ->> '$.tool_use_id' FROM tt WHERE role = 'tool'
            UNION SELECT turn_id, substr(turn_id, 1, length(turn_id) - 7) FROM tt
            WHERE role = 'tool' AND substr(turn_id, -7) = ':output'
            UNION SELECT turn_id, substr(turn_id, instr(turn_id, ':') + 1) FROM tt
            WHERE role = 'tool' AND instr(turn_id, ':') > 0),
          -- Each result with the name of the call it answers. Windows and
          -- unions, never a join of two of these CTEs: inside the view's
          -- per-session subquery SQLite would compute the inner one again
          -- for every row of the outer (seconds for a few hundred turns).
          answers AS (
            SELECT turn_id, id, name FROM (
              SELECT turn_id, id,
                     max(name) OVER (PARTITION BY id) AS name,
                     max(turn_id IS NULL) OVER (PARTITION BY id) AS called
              FROM (SELECT NULL AS turn_id, id, name FROM calls WHERE id IS NOT NULL
                    UNION ALL SELECT turn_id, id, NULL FROM result_ids WHERE id IS NOT NULL))
            WHERE turn_id IS NOT NULL AND called),
          -- Each turn once, with the calls its result answers (one pass).
          labelled AS (
            SELECT turn_id, max(seq) AS seq, max(role) AS role, max(timestamp) AS timestamp,
                   max(content) AS content, max(model) AS model, max(tokens_in) AS tokens_in,
                   max(tokens_out) AS tokens_out, max(calls) AS calls, max(meta) AS meta,
                   group_concat(label, ', ') AS answered
            FROM (SELECT turn_id, seq, role, timestamp, content, model, tokens_in, tokens_out,
                         calls, meta, NULL AS label FROM tt
                  UNION ALL
                  SELECT a.turn_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                         (WITH RECURSIVE f(d) AS (SELECT '`' UNION ALL SELECT d || d FROM f WHERE instr(coalesce(a.name, '?'), d) > 0)
               SELECT CASE WHEN length(max(d)) = 1 THEN '`' || coalesce(a.name, '?') || '`'
                           ELSE max(d) || ' ' || coalesce(a.name, '?') || ' ' || max(d) END FROM f) || ' ' || (WITH RECURSIVE f(d) AS (SELECT '`' UNION ALL SELECT d || d FROM f WHERE instr(a.id, d) > 0)
               SELECT CASE WHEN length(max(d)) = 1 THEN '`' || a.id || '`'
                           ELSE max(d) || ' ' || a.id || ' ' || max(d) END FROM f)
                  FROM answers AS a)
            GROUP BY turn_id),
          -- Each part of a turn's text as it will be written, with the
          -- fence or code-span delimiter its text needs.
          parts AS (
            SELECT tt.*,
                   (WITH RECURSIVE f(d) AS (
                      SELECT '```' UNION ALL SELECT d || d FROM f WHERE instr(tt.content, d) > 0)
                    SELECT max(d) FROM f) AS content_fence,
                   (SELECT group_concat(
                             CASE r.type
                               WHEN 'object' THEN
                                 coalesce(r.value ->> '$.subject' || ': ', '') ||
                                 coalesce(r.value ->> '$.description', r.value ->> '$.text',
                                          r.value)
                               ELSE r.value END, char(10) || char(10))
                    FROM (SELECT value, type FROM json_each(tt.meta, '$.thinking')
                          UNION ALL SELECT value, type FROM json_each(tt.meta, '$.thoughts')
                          UNION ALL SELECT value, type FROM json_each(tt.meta, '$.reasoning_summary')
                          UNION ALL SELECT value, type FROM json_each(tt.meta, '$.reasoning')) AS r
                    WHERE r.type NOT IN ('null', 'array')) AS reasoning,
                   (SELECT group_concat(md, '') FROM (
                      SELECT (WITH RECURSIVE
f(d) AS (SELECT '```' UNION ALL SELECT d || d FROM f
                                      WHERE instr(CASE json_type(c.value, '$.input') WHEN 'text' THEN (c.value ->> '$.input')
                                                  ELSE coalesce((c.value -> '$.input'), c.value) END, d) > 0)
                           SELECT '**Tool call** ' ||
                                  (WITH RECURSIVE f(d) AS (SELECT '`' UNION ALL SELECT d || d FROM f WHERE instr(coalesce((c.value ->> '$.name'), '?'), d) > 0)
               SELECT CASE WHEN length(max(d)) = 1 THEN '`' || coalesce((c.value ->> '$.name'), '?') || '`'
                           ELSE max(d) || ' ' || coalesce((c.value ->> '$.name'), '?') || ' ' || max(d) END FROM f) ||
                                  coalesce(' ' || (WITH RECURSIVE f(d) AS (SELECT '`' UNION ALL SELECT d || d FROM f WHERE instr((c.value ->> '$.id'), d) > 0)
               SELECT CASE WHEN length(max(d)) = 1 THEN '`' || (c.value ->> '$.id') || '`'
                           ELSE max(d) || ' ' || (c.value ->> '$.id') || ' ' || max(d) END FROM f), '') ||
                                  char(10) || char(10) || max(d) ||
                                  CASE json_type(c.value, '$.input') WHEN 'text' THEN 'text' || char(10) || (c.value ->> '$.input')
                                       ELSE 'json' || char(10) || coalesce((c.value -> '$.input'), c.value) END ||
                                  char(10) || max(d) || char(10) || char(10) FROM f) AS md
                      FROM json_each(tt.calls) AS c ORDER BY c.key)) AS call_md
            FROM labelled AS tt),
          blocks AS (
            SELECT seq, turn_id,
              '### ' ||
              CASE role WHEN 'user' THEN 'User' WHEN 'assistant' THEN 'Assistant'
                        WHEN 'tool' THEN 'Tool result' ELSE 'System' END ||
              ' · ' || replace(substr(timestamp, 1, 19), 'T', ' ') ||
              CASE WHEN role = 'assistant' AND model IS NOT NULL
                   THEN ' · ' || (WITH RECURSIVE f(d) AS (SELECT '`' UNION ALL SELECT d || d FROM f WHERE instr(model, d) > 0)
               SELECT CASE WHEN length(max(d)) = 1 THEN '`' || model || '`'
                           ELSE max(d) || ' ' || model || ' ' || max(d) END FROM f)
                   ELSE '' END ||
              CASE WHEN tokens_in IS NOT NULL OR tokens_out IS NOT NULL
                   THEN ' · ' || coalesce(printf('%,d', tokens_in), '?') || ' in' ||
                        CASE WHEN meta ->> '$.cache_read_tokens' IS NOT NULL
                             THEN printf(' (%,d cached)', meta ->> '$.cache_read_tokens') ELSE '' END ||
                        ' / ' || coalesce(printf('%,d', tokens_out), '?') || ' out'
                   ELSE '' END ||
              char(10) || char(10) ||
              -- What the turn is, when its heading can't say it all.
              CASE WHEN role = 'tool' THEN
                coalesce('Result of ' || answered,
                         'Result of a call this session does not hold') ||
                CASE WHEN meta ->> '$.is_error' THEN ' (**error**)' ELSE '' END ||
                ':' || char(10) || char(10)
              ELSE '' END ||
              CASE WHEN meta ->> '$.rewound' THEN '*(rewound: not in the conversation''s final state)*' || char(10) || char(10) ELSE '' END ||
              CASE WHEN meta -> '$.truncated' IS NOT NULL
                   THEN printf('*(cut when stored: it was %,d bytes long)*', meta ->> '$.truncated.bytes') || char(10) || char(10)
                   ELSE '' END ||
              -- Reasoning, folded.
              CASE WHEN reasoning IS NOT NULL AND reasoning <> '' THEN
                (WITH RECURSIVE f(d) AS (
                   SELECT '```' UNION ALL SELECT d || d FROM f WHERE instr(reasoning, d) > 0)
                 SELECT '<details><summary>Reasoning</summary>' || char(10) || char(10) ||
                        max(d) || 'text' || char(10) || reasoning || char(10) || max(d) ||
                        char(10) || char(10) || '</details>' || char(10) || char(10) FROM f)
              ELSE '' END ||
              -- The text: tool output as a code block, anything else quoted.
              CASE
                WHEN content IS NULL OR content = '' THEN
                  CASE WHEN role = 'tool' THEN '*(no output)*' || char(10) || char(10)
                       WHEN calls IS NULL THEN '*(no text)*' || char(10) || char(10)
                       ELSE '' END
                WHEN role = 'tool' THEN
                  content_fence || 'text' || char(10) || content || char(10) || content_fence ||
                  char(10) || char(10)
                ELSE '> ' || replace(replace(content, char(13) || char(10), char(10)),
                                     char(10), char(10) || '> ') || char(10) || char(10)
              END ||
              -- Tool calls, each with its arguments.
              coalesce(call_md, '')
              AS block
            FROM parts AS p),
          doc(x) AS (
          SELECT
            '# Session ' ||
            (WITH RECURSIVE f(d) AS (SELECT '`' UNION ALL SELECT d || d FROM f WHERE instr(s.session_id, d) > 0)
               SELECT CASE WHEN length(max(d)) = 1 THEN '`' || s.session_id || '`'
                           ELSE max(d) || ' ' || s.session_id || ' ' || max(d) END FROM f) || char(10) || char(10) ||
            '- Agent: ' || s.tool || char(10) ||
            '- Host' || CASE WHEN s.host_count > 1 THEN 's' ELSE '' END || ': ' ||
              (WITH RECURSIVE f(d) AS (SELECT '`' UNION ALL SELECT d || d FROM f WHERE instr(replace(s.hosts, ',', ', '), d) > 0)
               SELECT CASE WHEN length(max(d)) = 1 THEN '`' || replace(s.hosts, ',', ', ') || '`'
                           ELSE max(d) || ' ' || replace(s.hosts, ',', ', ') || ' ' || max(d) END FROM f) || char(10) ||
            coalesce('- Project: ' ||
                     (WITH RECURSIVE f(d) AS (SELECT '`' UNION ALL SELECT d || d FROM f WHERE instr(replace(s.project, char(10), ' '), d) > 0)
               SELECT CASE WHEN length(max(d)) = 1 THEN '`' || replace(s.project, char(10), ' ') || '`'
                           ELSE max(d) || ' ' || replace(s.project, char(10), ' ') || ' ' || max(d) END FROM f)
                     || char(10), '') ||
            coalesce('- Parent session: ' ||
                     CASE WHEN json_valid(s.metadata) THEN
                     (WITH RECURSIVE f(d) AS (SELECT '`' UNION ALL SELECT d || d FROM f WHERE instr((s.metadata ->> '$.parent_session_id'), d) > 0)
               SELECT CASE WHEN length(max(d)) = 1 THEN '`' || (s.metadata ->> '$.parent_session_id') || '`'
                           ELSE max(d) || ' ' || (s.metadata ->> '$.parent_session_id') || ' ' || max(d) END FROM f) END
                     || char(10), '') ||
            '- Started: ' || replace(substr(s.started_at, 1, 19), 'T', ' ') || ' UTC' || char(10) ||
            '- Ended: ' || replace(substr(s.ended_at, 1, 19), 'T', ' ') || ' UTC' || char(10) ||
            (SELECT '- Turns: ' || count(*) || ' (' || sum(role = 'user') || ' user, ' ||
                    sum(role = 'assistant') || ' assistant, ' || sum(role = 'tool') || ' tool, ' ||
                    sum(role = 'system') || ' system)' || char(10) ||
                    '- Tokens: ' ||
                    CASE WHEN count(tokens_in) + count(tokens_out) = 0 THEN 'none recorded'
                         ELSE printf('%,d in', total(tokens_in)) ||
                              CASE WHEN count(meta ->> '$.cache_read_tokens') > 0
                                   THEN printf(' (%,d cached)', sum(meta ->> '$.cache_read_tokens'))
                                   ELSE '' END ||
                              printf(' / %,d out', total(tokens_out)) END || char(10)
             FROM tt) ||
            coalesce((SELECT '- Models: ' || group_concat(m, ', ') || char(10) FROM (
                        SELECT (WITH RECURSIVE f(d) AS (SELECT '`' UNION ALL SELECT d || d FROM f WHERE instr(model, d) > 0)
               SELECT CASE WHEN length(max(d)) = 1 THEN '`' || model || '`'
                           ELSE max(d) || ' ' || model || ' ' || max(d) END FROM f) AS m
                        FROM tt WHERE model IS NOT NULL GROUP BY model ORDER BY min(seq), model)), '') ||
            char(10) || '---' || char(10) || char(10) ||
            coalesce((SELECT group_concat(block, '') FROM (SELECT block FROM blocks ORDER BY seq, turn_id)), '')),
          -- Control characters but LF and TAB as \xNN (127 is step 32), CRLF as
          -- LF. Not NUL: replace() can't find it (lethe show writes it as \x00).
          clean(i, x) AS (
            SELECT 1, replace(x, char(13) || char(10), char(10)) FROM doc
            UNION ALL
            SELECT i + 1, CASE WHEN i IN (9, 10) THEN x
                               ELSE replace(x, char(iif(i = 32, 127, i)),
                                            printf('\x%02x', iif(i = 32, 127, i))) END
            FROM clean WHERE i <= 32)
        SELECT x FROM clean WHERE i = 33
       ) AS markdown
FROM transcript_sessions AS s;

RELEASE lethe_show_pack;
