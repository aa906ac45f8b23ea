-- Issue 19, item 5: search takes plain text, matches names exactly, finds
-- words inside Chinese text, says session, time, agent, host and project of
-- a hit; the pack upgrades a database indexed by its first version (word
-- index, Porter stemmer) and stays idempotent. Run by run_packs.sh
-- (search_plain); compared with search_plain.expected.
.bail on
.load LETHE_MODULE
.mode list
.headers on
.read LETHE_ROOT/sql/schema.sql
.print '# A database with the first search pack (fixtures/search_v1.sql: the'
.print '# word index turns_fts), then data, then this pack applied over it.'
.read LETHE_ROOT/tests/clients/packs/fixtures/search_v1.sql
SELECT count(*) AS rejected FROM lethe_ingest('ana',
  '{"tool":"claude-code","host":"laptop","session_id":"s1","turn_id":"u1","seq":0,"role":"user","timestamp":"2026-07-01T09:00:00Z","content":"Bump the version in go.mod and go.sum, please.","session_meta":{"working_dir":"/home/ana/api"}}' || char(10) ||
  '{"tool":"claude-code","host":"laptop","session_id":"s1","turn_id":"a1","seq":1,"role":"assistant","timestamp":"2026-07-01T09:00:05Z","content":"The a-b test flag is read in config.go; I changed \"retry_limit\" to 5.","tool_calls":[{"id":"t1","name":"Edit","input":{"file_path":"/home/ana/api/go.mod"}}],"session_meta":{"working_dir":"/home/ana/api"}}' || char(10) ||
  '{"tool":"codex","host":"desk","session_id":"r1","turn_id":"u1","seq":0,"role":"user","timestamp":"2026-07-02T10:00:00Z","content":"Rename the Vibe Coding Tracker to Vibe Code Tracker everywhere.","session_meta":{"working_dir":"/srv/vct"}}' || char(10) ||
  '{"tool":"codex","host":"desk","session_id":"r1","turn_id":"a1","seq":1,"role":"assistant","timestamp":"2026-07-02T10:00:09Z","content":"Only README mentions the Vibe Coding Tracker.","session_meta":{"working_dir":"/srv/vct"}}' || char(10) ||
  '{"tool":"gemini-cli","host":"laptop","session_id":"g1","turn_id":"m1","seq":0,"role":"user","timestamp":"2026-07-03T08:00:00Z","content":"数据库连接超时了","session_meta":{"working_dir":"/home/ana/shop"}}' || char(10) ||
  '{"tool":"gemini-cli","host":"laptop","session_id":"g1","turn_id":"m2","seq":1,"role":"assistant","timestamp":"2026-07-03T08:00:04Z","content":"请检查数据库的连接池配置，缓存也可能过期了。","session_meta":{"working_dir":"/home/ana/shop"}}' || char(10) ||
  '{"tool":"gemini-cli","host":"laptop","session_id":"g1","turn_id":"m3","seq":2,"role":"user","timestamp":"2026-07-03T08:01:00Z","content":"我们的主数据库和备用数据库都在同一个机房","session_meta":{"working_dir":"/home/ana/shop"}}' || char(10) ||
  '{"tool":"gemini-cli","host":"laptop","session_id":"g1","turn_id":"m4","seq":3,"role":"assistant","timestamp":"2026-07-03T08:01:05Z","content":"把数据库迁移到新集群之前先备份","session_meta":{"working_dir":"/home/ana/shop"}}' || char(10) ||
  '{"tool":"gemini-cli","host":"laptop","session_id":"g1","turn_id":"m5","seq":4,"role":"user","timestamp":"2026-07-03T08:02:00Z","content":"清理缓存之后数据库负载下降","session_meta":{"working_dir":"/home/ana/shop"}}' || char(10) ||
  '{"tool":"gemini-cli","host":"laptop","session_id":"g1","turn_id":"m6","seq":5,"role":"assistant","timestamp":"2026-07-03T08:02:09Z","content":"分布式数据库","session_meta":{"working_dir":"/home/ana/shop"}}');
.print '# what the first pack found: go.mod is a syntax error there, stemming'
.print '# matches the wrong name, and a Chinese word inside a run is missed'
SELECT count(*) AS old_vibe_code_hits FROM turns_fts WHERE turns_fts MATCH 'vibe code tracker';
SELECT count(*) AS old_cjk_hits FROM turns_fts WHERE turns_fts MATCH '数据库';
.read LETHE_ROOT/sql/search.sql

.print ''
.print '## The upgrade: the word index and its triggers are gone, the new one covers every turn'
SELECT type, name FROM sqlite_schema
WHERE name LIKE '%fts%' AND name NOT LIKE '%\_data' ESCAPE '\' AND name NOT LIKE '%\_idx' ESCAPE '\'
  AND name NOT LIKE '%\_config' ESCAPE '\' AND name NOT LIKE '%\_docsize' ESCAPE '\'
ORDER BY type, name;
SELECT (SELECT count(*) FROM turns) AS turns, (SELECT count(*) FROM turn_text_fts_docsize) AS indexed,
       (SELECT count(*) FROM tool_call_text_fts_docsize) AS tool_calls_indexed;
INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1);
INSERT INTO tool_call_text_fts (tool_call_text_fts, rank) VALUES ('integrity-check', 1);

.print ''
.print '## Plain text, as typed, in double quotes: every character counts, case does not'
.print '# go.mod (the dot was a syntax error)'
SELECT tool, session_id, turn_id, timestamp, host, hosts, project, snippet FROM turn_search
WHERE query MATCH '"go.mod"' ORDER BY timestamp;
SELECT turn_id, snippet FROM tool_call_search WHERE query MATCH '"go.mod"';
.print '# a-b, and a text with double quotes in it (doubled inside the quotes)'
SELECT turn_id, snippet FROM turn_search WHERE query MATCH '"a-b"';
SELECT turn_id, snippet FROM turn_search WHERE query MATCH '"""retry_limit"""';
.print '# any text, bound: the one expression'
.parameter set :text '"retry_limit" to 5'
SELECT turn_id, snippet FROM turn_search WHERE query MATCH '"' || replace(:text, '"', '""') || '"';
.parameter clear
.print '# an exact name matches exactly: "Vibe Code Tracker" is not "Vibe Coding Tracker"'
SELECT session_id, turn_id, snippet FROM turn_search WHERE query MATCH '"Vibe Code Tracker"';
SELECT turn_id FROM turn_search WHERE query MATCH '"vibe coding tracker"' ORDER BY turn_id;
.print '# no stemming: "change" finds "changed" (a substring); "changes" finds nothing'
SELECT turn_id FROM turn_search WHERE query MATCH '"change"';
SELECT count(*) AS changes_hits FROM turn_search WHERE query MATCH '"changes"';

.print ''
.print '## Chinese: a word inside a run of text (all 6 turns that hold it)'
SELECT turn_id, snippet FROM turn_search WHERE query MATCH '"数据库"' ORDER BY turn_id;
.print '# two characters are below the index (3): instr() over the turns finds them'
SELECT turn_id FROM turns WHERE instr(lower(content), lower('缓存')) ORDER BY turn_id;

.print ''
.print '## Idempotent: applying the pack again changes nothing and rebuilds nothing'
CREATE TEMP TABLE before AS SELECT count(*) AS n, sum(length(block)) AS bytes FROM turn_text_fts_data;
.read LETHE_ROOT/sql/search.sql
SELECT CASE WHEN (SELECT count(*) FROM turn_text_fts_data) = (SELECT n FROM before)
             AND (SELECT sum(length(block)) FROM turn_text_fts_data) = (SELECT bytes FROM before)
            THEN 'unchanged' ELSE 'CHANGED' END AS index_after_reapply;
SELECT count(*) AS hits FROM turn_search WHERE query MATCH '"数据库"';

.print ''
.print '## lethe_rank: bm25 without its idf, so bm25 / lethe_rank is one number per'
.print '## phrase (the idf) and one phrase is ranked in the same order'
SELECT 'rejected: ' || count(*) FROM lethe_ingest('ana',
  '{"tool":"codex","host":"desk","session_id":"rk","turn_id":"t1","seq":1,"role":"assistant","timestamp":"2026-07-04T08:00:00Z","content":"cache"}' || char(10) ||
  '{"tool":"codex","host":"desk","session_id":"rk","turn_id":"t2","seq":2,"role":"assistant","timestamp":"2026-07-04T08:00:01Z","content":"the cache, the cache and the cache again"}' || char(10) ||
  '{"tool":"codex","host":"desk","session_id":"rk","turn_id":"t3","seq":3,"role":"assistant","timestamp":"2026-07-04T08:00:02Z","content":"a much longer turn that names the cache only once, among many other words about nothing in particular"}' || char(10) ||
  '{"tool":"codex","host":"desk","session_id":"rk","turn_id":"t4","seq":4,"role":"assistant","timestamp":"2026-07-04T08:00:03Z","content":"Cache CACHE cache"}');
SELECT turn_id, round(lethe_rank(query), 6) AS lethe_rank, round(rank, 9) AS bm25,
       round(rank / lethe_rank(query), 9) AS idf
FROM turn_search WHERE query MATCH '"cache"' ORDER BY lethe_rank(query), turn_id;
SELECT group_concat(turn_id, ' ') AS by_bm25 FROM (
  SELECT turn_id FROM turn_search WHERE query MATCH '"cache"' ORDER BY rank, turn_id);
SELECT group_concat(turn_id, ' ') AS by_lethe_rank FROM (
  SELECT turn_id FROM turn_search WHERE query MATCH '"cache"' ORDER BY lethe_rank(query), turn_id);
.print '# two phrases: each adds its own term (no idf weighs them); no match, no row'
SELECT turn_id, round(lethe_rank(query), 6) AS lethe_rank FROM turn_search
WHERE query MATCH '"cache" OR "again"' ORDER BY lethe_rank(query), turn_id;
SELECT count(*) AS rows FROM turn_search WHERE query MATCH '"cache" "rollback"';
.print '# outside an FTS5 query it is an error, as bm25 is'
SELECT lethe_rank(1);
