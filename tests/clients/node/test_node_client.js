// Node.js with better-sqlite3 as a lethe client.
//
// Usage: node test_node_client.js <lethe module path> <repository root>
// (run_node_client.sh installs better-sqlite3 first, then runs this).
//
// better-sqlite3 bundles its own SQLite, newer than Debian's: this also
// checks lethe and the SQL packs against that build.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const Database = require('better-sqlite3');

const [modulePath, root] = process.argv.slice(2);
if (!modulePath || !root) {
  console.error('usage: node test_node_client.js <lethe module path> <repository root>');
  process.exit(2);
}
const read = (...parts) => fs.readFileSync(path.join(root, ...parts));
const batch = read('tests', 'clients', 'fixtures', 'batch.ndjson'); // a Buffer: bound as a BLOB
const lines = batch.toString('utf8').split('\n');
const offsetOfLine = (n) => lines.slice(0, n - 1).reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0);

function open() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-node-'));
  const file = path.join(dir, 'agents.db');
  const db = new Database(file);
  db.loadExtension(modulePath);
  db.exec(read('sql', 'schema.sql').toString('utf8'));
  return {
    db,
    file,
    ingest: (owner, ndjson) => db.prepare('SELECT * FROM lethe_ingest(?, ?)').all(owner, ndjson),
    count: (table) => db.prepare(`SELECT count(*) AS n FROM ${table}`).get().n,
    close: () => { db.close(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

function checkStored(db) {
  assert.deepEqual(
    db.prepare('SELECT owner, tool, host, session_id, started_at, ended_at, working_dir FROM sessions').all(),
    [{ owner: 'ana', tool: 'claude-code', host: 'laptop', session_id: 's-1',
       started_at: '2026-03-04T09:00:00.000Z', ended_at: '2026-03-04T09:00:05.000Z',
       working_dir: '/home/ana/src/lethe' }]);
  assert.deepEqual(
    db.prepare(`SELECT turn_id, seq, role, timestamp, content, model, tokens_in, tokens_out, cost_usd
                FROM turns ORDER BY seq`).all(),
    [{ turn_id: 'u1', seq: 0, role: 'user', timestamp: '2026-03-04T09:00:00.000Z',
       content: 'Draft the release notes \u2014 kurz & b\u00fcndig \u2713', model: null,
       tokens_in: null, tokens_out: null, cost_usd: null },
     { turn_id: 'a2', seq: 1, role: 'assistant', timestamp: '2026-03-04T09:00:05.000Z',
       content: 'Here is a shorter draft.', model: 'claude-sonnet-4-5',
       tokens_in: 1200, tokens_out: 120, cost_usd: 0.0054 }]);
}

test('versions', () => {
  const t = open();
  try {
    const { version, sqlite } = t.db.prepare('SELECT lethe_version() AS version, sqlite_version() AS sqlite').get();
    assert.match(version, /^\d+\.\d+\.\d+$/);
    const bs3 = require('better-sqlite3/package.json').version;
    console.log(`node ${process.version}, better-sqlite3 ${bs3}, SQLite ${sqlite}, lethe ${version}`);
    assert.equal(bs3.split('.')[0], '12', 'better-sqlite3 must be version 12');
    // better-sqlite3 bundles its own SQLite: lethe_debug() says which one
    // lethe runs on, whatever it was built against.
    const debug = t.db.prepare('SELECT lethe_debug() AS d').get().d;
    assert.ok(debug.includes(`running ${sqlite}\n`), debug);
  } finally { t.close(); }
});

test('a batch with a bad line: one rejected row, the rest stored', () => {
  const t = open();
  try {
    const rejects = t.ingest('ana', batch);
    assert.equal(rejects.length, 1, JSON.stringify(rejects));
    const [r] = rejects;
    assert.deepEqual([r.line, r.byte_offset, r.code, r.field], [3, offsetOfLine(3), 'INVALID_FIELD', 'seq']);
    assert.equal(r.byte_offset, 497);
    assert.match(r.message, /"2"/);
    checkStored(t.db);
    const stats = JSON.parse(t.db.prepare('SELECT lethe_last_ingest() AS s').get().s);
    assert.deepEqual([stats.lines, stats.accepted, stats.rejected], [4, 3, 1]);
    // Committed (autocommit): another connection sees it.
    const other = new Database(t.file, { readonly: true });
    try { assert.equal(other.prepare('SELECT count(*) AS n FROM turns').get().n, 2); } finally { other.close(); }
  } finally { t.close(); }
});

test('text and blob arguments ingest the same; re-ingesting changes nothing', () => {
  const t = open();
  try {
    const first = t.ingest('ana', batch.toString('utf8'));
    const before = t.db.prepare('SELECT * FROM turns ORDER BY turn_id').all();
    assert.deepEqual(t.ingest('ana', batch), first);
    assert.deepEqual(t.db.prepare('SELECT * FROM turns ORDER BY turn_id').all(), before);
    checkStored(t.db);
  } finally { t.close(); }
});

test('inside db.transaction(): a throw rolls the ingest back', () => {
  const t = open();
  try {
    const run = t.db.transaction((fail) => {
      const rejects = t.ingest('ana', batch);
      if (fail) throw new Error('abandon');
      return rejects;
    });
    assert.throws(() => run(true), /abandon/);
    assert.equal(t.count('turns'), 0);
    assert.equal(run(false).length, 1);
    checkStored(t.db);
  } finally { t.close(); }
});

test('lethe_sync of a home folder inside db.transaction(), host and owner as JSON', () => {
  const t = open();
  try {
    const home = path.join(path.dirname(t.file), 'home');
    fs.cpSync(path.join(root, 'tests', 'clients', 'sync', 'home'), home, { recursive: true });
    const options = JSON.stringify({ host: '007', owner: 'ana' });
    const sync = t.db.transaction((fail) => {
      const rows = t.db.prepare('SELECT format, code FROM lethe_sync(?, ?)').all(home, options);
      if (fail) throw new Error('abandon');
      return rows;
    });
    assert.throws(() => sync(true), /abandon/);
    assert.equal(t.count('turns'), 0);
    const rows = sync(false);
    assert.equal(rows.length, 4);
    assert.ok(rows.every((r) => r.code === 'READ'), JSON.stringify(rows));
    assert.deepEqual(t.db.prepare('SELECT DISTINCT host, typeof(host) AS type FROM turns').all(),
                     [{ host: '007', type: 'text' }]);
  } finally { t.close(); }
});

test('a batch error throws a SqliteError and writes nothing', () => {
  const t = open();
  try {
    assert.throws(() => t.ingest('ana', null), (e) => e.code === 'SQLITE_ERROR' && /lethe_ingest: ndjson is NULL/.test(e.message));
    assert.throws(() => t.db.prepare('SELECT * FROM lethe_ingest(?, ?, ?)').all('ana', batch, '{"max_errors": 0}'),
                  /lethe_ingest:/);
    assert.equal(t.count('turns'), 0);
  } finally { t.close(); }
});

test('the SQL packs work in better-sqlite3\'s SQLite', () => {
  const t = open();
  try {
    t.ingest('ana', batch);
    t.db.exec(read('sql', 'search.sql').toString('utf8'));   // after the data: indexes it
    t.db.exec(read('sql', 'usage.sql').toString('utf8'));
    const search = t.db.prepare(
      'SELECT turn_id, snippet FROM turn_search WHERE query MATCH ? AND owner = ? ORDER BY rank');
    assert.deepEqual(search.all('b\u00fcndig', 'ana'),
                     [{ turn_id: 'u1', snippet: 'Draft the release notes \u2014 kurz & [b\u00fcndig] \u2713' }]);
    assert.deepEqual(search.all('draft', 'ana').map((r) => r.turn_id).sort(), ['a2', 'u1']);
    assert.deepEqual(search.all('first', 'ana'), []);
    t.ingest('ana', '{"tool":"claude-code","host":"laptop","session_id":"s-1","turn_id":"a2","seq":1,' +
             '"role":"assistant","timestamp":"2026-03-04T09:00:05Z","content":"A haiku instead."}');
    assert.deepEqual(search.all('haiku', 'ana').map((r) => r.turn_id), ['a2']);
    assert.deepEqual(search.all('shorter', 'ana'), []);
    assert.deepEqual(
      t.db.prepare('SELECT session_id, project, duration_s, turns, tokens_in, tokens_out, cost_usd FROM session_summary').all(),
      [{ session_id: 's-1', project: '/home/ana/src/lethe', duration_s: 5, turns: 2,
         tokens_in: 0, tokens_out: 0, cost_usd: null }]);   // nothing to cost: NULL, not 0
    // better-sqlite3 enables foreign keys: deleting the session cascades to
    // its turns, and the index follows.
    t.db.prepare('DELETE FROM sessions').run();
    assert.deepEqual(search.all('haiku', 'ana'), []);
    t.db.prepare("INSERT INTO turn_text_fts (turn_text_fts, rank) VALUES ('integrity-check', 1)").run();
  } finally { t.close(); }
});
