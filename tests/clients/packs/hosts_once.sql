-- Issue 19, item 3: a session synced from two machines (a shared or copied
-- home, or one machine under two host labels) is one session in every view
-- a person reads, with the hosts it was seen on; the stored rows keep their
-- hosts. Run by run_packs.sh (hosts_once); compared with hosts_once.expected.
.bail on
.load LETHE_MODULE
.mode list
.headers on
.read LETHE_ROOT/sql/schema.sql
.read LETHE_ROOT/sql/search.sql
.read LETHE_ROOT/sql/usage.sql
.print '# Session s1 synced from the laptop, then from the desk, where it went on'
.print '# one turn further (a4); the desk copy has no working_dir. Session s2 is on'
.print '# the laptop only. A Codex session r1 under two host labels of one machine.'
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"claude-code","host":"laptop","session_id":"s1","turn_id":"u1","seq":0,"role":"user","timestamp":"2026-06-01T09:00:00Z","content":"Why does the invoice total drift?","session_meta":{"working_dir":"/home/ana/shop"}}' || char(10) ||
  '{"tool":"claude-code","host":"laptop","session_id":"s1","turn_id":"a1","seq":1,"role":"assistant","timestamp":"2026-06-01T09:00:05Z","model":"claude-sonnet-4-5","tokens_in":1000,"tokens_out":100,"content":"The rounding drifts.","tool_calls":[{"id":"t1","name":"Grep","input":{"pattern":"round_half"}}],"metadata":{"message_id":"msg_a1"},"session_meta":{"working_dir":"/home/ana/shop"}}' || char(10) ||
  '{"tool":"claude-code","host":"laptop","session_id":"s2","turn_id":"u1","seq":0,"role":"user","timestamp":"2026-06-01T10:00:00Z","content":"Another invoice question.","session_meta":{"working_dir":"/home/ana/shop"}}' || char(10) ||
  '{"tool":"codex","host":"ana-laptop","session_id":"r1","turn_id":"u1","seq":0,"role":"user","timestamp":"2026-06-01T11:00:00Z","content":"invoice export","session_meta":{"working_dir":"/srv/pay"}}' || char(10) ||
  '{"tool":"codex","host":"ana-laptop.local","session_id":"r1","turn_id":"u1","seq":0,"role":"user","timestamp":"2026-06-01T11:00:00Z","content":"invoice export","session_meta":{"working_dir":"/srv/pay"}}');
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"claude-code","host":"desk","session_id":"s1","turn_id":"u1","seq":0,"role":"user","timestamp":"2026-06-01T09:00:00Z","content":"Why does the invoice total drift?"}' || char(10) ||
  '{"tool":"claude-code","host":"desk","session_id":"s1","turn_id":"a1","seq":1,"role":"assistant","timestamp":"2026-06-01T09:00:05Z","model":"claude-sonnet-4-5","tokens_in":1000,"tokens_out":100,"content":"The rounding drifts.","tool_calls":[{"id":"t1","name":"Grep","input":{"pattern":"round_half"}}],"metadata":{"message_id":"msg_a1"}}' || char(10) ||
  '{"tool":"claude-code","host":"desk","session_id":"s1","turn_id":"a4","seq":2,"role":"assistant","timestamp":"2026-06-01T09:30:00Z","model":"claude-sonnet-4-5","tokens_in":2000,"tokens_out":200,"content":"Fixed the invoice rounding.","metadata":{"message_id":"msg_a4"}}');

.print ''
.print '## The stored rows keep their hosts'
SELECT tool, host, session_id, working_dir FROM sessions ORDER BY tool, session_id, host;
SELECT tool, count(*) AS stored_turns FROM turns GROUP BY tool ORDER BY tool;

.print ''
.print '## session_summary: one row per session, with its hosts'
SELECT tool, session_id, host, hosts, host_count, project, turns, user_turns, tokens_in,
       tokens_out, cost_usd
FROM session_summary ORDER BY tool, session_id;

.print ''
.print '## The usage views count each session and each turn once'
SELECT day, sessions, turns, billable_turns, tokens_in, tokens_out, cost_usd FROM usage_daily;
SELECT day, tool, model, project, sessions, turns, tokens_in FROM usage_by_day
ORDER BY tool, model;
SELECT month, tool, sessions, turns FROM usage_monthly_by_agent ORDER BY tool;
SELECT turn_id, host, first_copy, counted FROM turn_usage WHERE tool = 'claude-code'
ORDER BY session_id, turn_id, host;

.print ''
.print '## A search hit is one turn, with its hosts and project'
SELECT tool, session_id, turn_id, host, hosts, project, snippet FROM turn_search
WHERE query MATCH 'invoice' ORDER BY tool, session_id, turn_id;
SELECT session_id, turn_id, host, hosts, project FROM tool_call_search WHERE query MATCH 'round_half';
.print '# a copy whose text differs is its own hit'
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"claude-code","host":"desk","session_id":"s1","turn_id":"u1","seq":0,"role":"user","timestamp":"2026-06-01T09:00:00Z","content":"Why does the invoice total drift? (edited)"}');
SELECT turn_id, host, hosts, snippet FROM turn_search WHERE query MATCH 'drift'
ORDER BY host, turn_id;
