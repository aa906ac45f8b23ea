-- Issue 19: a session as a Markdown transcript (sql/show.sql), over real-
-- shaped files of three agents (the sync test's home: Claude Code with a
-- sub-agent, Codex, Gemini CLI), a session stored from two hosts, and
-- hostile text. Run by run_packs.sh (show_transcript); compared with
-- show_transcript.expected. tests/cli/run_cli_show.sh renders the same
-- kinds of transcript with cmark and checks their structure.
.bail on
.load LETHE_MODULE
.mode list
.headers off
.read LETHE_ROOT/sql/schema.sql
.read LETHE_ROOT/sql/show.sql
.print '# The three agents, read from their own files on the laptop; the Claude'
.print '# Code session also from the desk (a copied home), which has one more turn.'
SELECT 'rejected: ' || count(*) FROM lethe_ingest('ana',
  readfile('LETHE_ROOT/tests/clients/sync/home/.claude/projects/-home-ana-shop/5e551011-0000-4000-8000-0000000000a1.jsonl'),
  '{"format": "claude-code", "host": "laptop"}');
SELECT 'rejected: ' || count(*) FROM lethe_ingest('ana',
  readfile('LETHE_ROOT/tests/clients/sync/home/.claude/projects/-home-ana-shop/5e551011-0000-4000-8000-0000000000a1/subagents/agent-x1.jsonl'),
  '{"format": "claude-code", "host": "laptop"}');
SELECT 'rejected: ' || count(*) FROM lethe_ingest('ana',
  readfile('LETHE_ROOT/tests/clients/sync/home/.codex/sessions/2026/03/02/rollout-2026-03-02T10-20-11-019c1d2e-0000-7000-8000-0000000000c1.jsonl'),
  '{"format": "codex", "host": "laptop"}');
SELECT 'rejected: ' || count(*) FROM lethe_ingest('ana',
  readfile('LETHE_ROOT/tests/clients/sync/home/.gemini/tmp/9f2c/chats/session-2026-03-04T08-00-g1.jsonl'),
  '{"format": "gemini-cli", "host": "laptop"}');
SELECT 'rejected: ' || count(*) FROM lethe_ingest('ana',
  readfile('LETHE_ROOT/tests/clients/sync/home/.claude/projects/-home-ana-shop/5e551011-0000-4000-8000-0000000000a1.jsonl'),
  '{"format": "claude-code", "host": "desk"}');
SELECT 'rejected: ' || count(*) FROM lethe_ingest('ana',
  '{"tool":"claude-code","host":"desk","session_id":"5e551011-0000-4000-8000-0000000000a1","turn_id":"desk-only","seq":1772582400000000,"role":"user","timestamp":"2026-03-04T00:00:00Z","content":"Typed on the desk only."}');

.print ''
.print '## One row per session, the hosts it was seen on'
.headers on
SELECT owner, tool, session_id, hosts, host_count, started_at, ended_at, project
FROM transcript_sessions ORDER BY tool, session_id;
SELECT count(*) AS transcripts, count(DISTINCT tool || session_id) AS sessions FROM session_transcript;
.headers off

.print ''
.print '## Claude Code, stored from two hosts: each turn once'
SELECT markdown FROM session_transcript
WHERE tool = 'claude-code' AND session_id = '5e551011-0000-4000-8000-0000000000a1';
.print '## its sub-agent names its parent'
SELECT markdown FROM session_transcript
WHERE tool = 'claude-code' AND session_id = '5e551011-0000-4000-8000-0000000000a1:agent-x1';
.print '## Codex'
SELECT markdown FROM session_transcript WHERE tool = 'codex';
.print '## Gemini CLI'
SELECT markdown FROM session_transcript WHERE tool = 'gemini-cli';

.print ''
.print '## Hostile text: fences, HTML, control characters, backticks in names,'
.print '## a system turn, a turn cut at ingest, a result whose call is unknown'
SELECT 'rejected: ' || count(*) FROM lethe_ingest('ana',
  '{"tool":"codex","host":"laptop","session_id":"h`1","turn_id":"u1","seq":1,"role":"user","timestamp":"2026-05-01T08:00:00Z","content":"Why?\r\n```python\nunclosed fence\n# not a heading of the transcript\n<script>alert(1)</script>\n<pre>\nstill open","session_meta":{"working_dir":"/srv/`odd`|dir"}}' || char(10) ||
  '{"tool":"codex","host":"laptop","session_id":"h`1","turn_id":"s1","seq":2,"role":"system","timestamp":"2026-05-01T08:00:01Z","content":"<environment_context>cwd</environment_context>"}' || char(10) ||
  '{"tool":"codex","host":"laptop","session_id":"h`1","turn_id":"c1","seq":3,"role":"assistant","timestamp":"2026-05-01T08:00:02Z","model":"gpt-`5`","tokens_in":1234567,"tokens_out":0,"content":"</details>\n> quoted\n","tool_calls":[{"id":"c``1","name":"we`ird","input":"raw ``` text\n````\n"},{"id":"c2","name":"shell","input":{"command":"printf ```"}},{"name":"no_id_no_input"}],"metadata":{"reasoning":"think ``````` hard","thinking":["a","b"],"cache_read_tokens":1000000}}' || char(10) ||
  '{"tool":"codex","host":"laptop","session_id":"h`1","turn_id":"c``1:output","seq":4,"role":"tool","timestamp":"2026-05-01T08:00:03Z","content":"```\n````\nESC[\u001b[31mred\u001b[0m] BEL\u0007 CR\rDEL\u007f tab\tend\n~~~\n","metadata":{"is_error":true}}' || char(10) ||
  '{"tool":"codex","host":"laptop","session_id":"h`1","turn_id":"c2:output","seq":5,"role":"tool","timestamp":"2026-05-01T08:00:04Z","content":null}' || char(10) ||
  '{"tool":"codex","host":"laptop","session_id":"h`1","turn_id":"orphan","seq":6,"role":"tool","timestamp":"2026-05-01T08:00:05Z","content":"a result of no known call","metadata":{"truncated":{"field":"content","bytes":2097152},"rewound":true}}');
SELECT markdown FROM session_transcript WHERE session_id = 'h`1';

.print ''
.print '## A 3 MB tool output is kept whole, in one code block'
SELECT 'rejected: ' || count(*) FROM lethe_ingest('ana',
  '{"tool":"codex","host":"laptop","session_id":"big","turn_id":"o1","seq":1,"role":"tool","timestamp":"2026-05-02T08:00:00Z","content":"' ||
  replace(hex(zeroblob(1500000)), '00', 'x' || '\n') || 'END"}');
SELECT length(markdown) - 3000003 AS markdown_beyond_the_output,
       instr(markdown, 'x' || char(10) || 'END' || char(10) || '```') > 0 AS ends_in_it,
       substr(markdown, instr(markdown, '### Tool result'), 60) AS head
FROM session_transcript WHERE session_id = 'big';
