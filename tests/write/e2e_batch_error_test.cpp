// Batch errors (wire contract v1, section 6): the statement fails with an
// SQLite error whose message starts "lethe_ingest:" and names the cause, the
// database is left exactly as it was (same rows, same file bytes, intact),
// and once the cause is gone the same call succeeds.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/e2e_support.hpp"

using namespace lethe_test;
namespace fs = std::filesystem;

namespace {

// --- helpers ---------------------------------------------------------------

// File databases keep their journal, but skip fsync: the tests are about
// what SQLite and lethe undo, not about power loss, and must stay fast.
void fast(Db& db) { db.must("PRAGMA synchronous = OFF"); }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// n valid lines spread over a few sessions; content pads each line.
std::string many_lines(int n, std::size_t content_bytes = 0, const std::string& prefix = "m") {
  std::vector<std::string> lines;
  lines.reserve(n);
  const std::string content(content_bytes, 'c');
  for (int i = 0; i < n; ++i) {
    std::string extra = "\"seq\":" + std::to_string(i);
    if (content_bytes > 0) extra += ",\"content\":\"" + content + "\"";
    lines.push_back(
        line(extra, prefix + std::to_string(i % 13), prefix + "-t" + std::to_string(i)));
  }
  return join_lines(lines);
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto where = text.find(from);
  if (where == std::string::npos) throw std::runtime_error("schema text has no: " + from);
  return text.replace(where, from.size(), to);
}

std::string schema_text() { return read_file(source_path("sql/schema.sql")); }

bool table_exists(Db& db, const std::string& name) {
  return db.count("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '" + name +
                  "'") > 0;
}

// What "the database as before" means: the rows of sessions and turns (when
// they exist), and for a file database the file's bytes.
struct Snapshot {
  std::map<std::string, std::vector<Row>> tables;
  std::string file;
};

Snapshot snapshot(Db& db, const fs::path& file = {}) {
  Snapshot s;
  for (const char* table : {"sessions", "turns"}) {
    if (table_exists(db, table)) s.tables[table] = dump(db, table);
  }
  s.tables["schema"] = db.query("SELECT type, name, sql FROM sqlite_schema ORDER BY name").rows;
  if (!file.empty()) s.file = read_file(file);
  return s;
}

// The file's bytes, but for the header's file change counter (offset 24) and
// version-valid-for number (offset 92): undoing a call with ROLLBACK TO +
// RELEASE commits an empty transaction, which bumps them; every page's
// content must still be identical.
bool same_file(std::string a, std::string b) {
  for (std::string* f : {&a, &b}) {
    if (f->size() >= 100) {
      f->replace(24, 4, 4, '\0');
      f->replace(92, 4, 4, '\0');
    }
  }
  return a == b;
}

void expect_unchanged(Db& db, const Snapshot& before, const fs::path& file = {}) {
  const Snapshot after = snapshot(db, file);
  EXPECT_EQ(after.tables, before.tables) << "rows changed";
  if (!file.empty()) {
    EXPECT_EQ(after.file.size(), before.file.size()) << "file size changed";
    EXPECT_TRUE(same_file(after.file, before.file)) << "file bytes changed";
  }
  EXPECT_EQ(db.scalar("PRAGMA integrity_check"), Value("ok"));
  EXPECT_EQ(sqlite3_get_autocommit(db.handle()), 1) << "a transaction was left open";
}

// The statement failed, its message starts "lethe_ingest:" and names the
// cause with one of `words` (case-insensitive).
void expect_batch_error(const Result& r, const std::vector<std::string>& words) {
  ASSERT_FALSE(r.ok()) << "the call succeeded";
  EXPECT_EQ(r.error.rfind("lethe_ingest:", 0), 0u) << r.error;
  bool named = false;
  for (const auto& w : words) named = named || lower(r.error).find(lower(w)) != std::string::npos;
  EXPECT_TRUE(named) << "message does not name the cause: " << r.error;
}

Result call(Db& db, const std::string& owner, const std::string& batch) {
  return db.query("SELECT * FROM lethe_ingest(?1, ?2)", owner, batch);
}

Result call(Db& db, const std::string& owner, const std::string& batch,
            const std::string& options) {
  return db.query("SELECT * FROM lethe_ingest(?1, ?2, ?3)", owner, batch, options);
}

// Counts rows inserted into main.turns, through a TEMP trigger (so the file
// is untouched) and a C function (so the count survives rollbacks): proof
// that a failing call had written before it failed.
struct Probe {
  std::int64_t rows = 0;
  static void bump(sqlite3_context* ctx, int, sqlite3_value**) {
    ++static_cast<Probe*>(sqlite3_user_data(ctx))->rows;
    sqlite3_result_null(ctx);
  }
  void install(Db& db) {
    ASSERT_EQ(
        sqlite3_create_function_v2(db.handle(), "test_probe", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS,
                                   this, bump, nullptr, nullptr, nullptr),
        SQLITE_OK);
    db.must(
        "CREATE TEMP TRIGGER test_probe_turns AFTER INSERT ON main.turns "
        "BEGIN SELECT test_probe(); END;");
  }
};

// A file database with the schema and some rows a failing call could touch.
fs::path seeded_file(const std::string& name = "lethe.db") {
  const fs::path path = temp_dir() / name;
  Db db(path.string());
  fast(db);
  db.apply_schema();
  db.must("CREATE TABLE notes(x)");
  Result r = call(db, "alice", many_lines(20, 10));
  EXPECT_TRUE(r.ok() && r.rows.empty()) << r.error;
  return path;
}

// --- arguments -------------------------------------------------------------

TEST(BatchArguments, BadOwnerNullNdjsonAndBadOptions) {
  const fs::path path = seeded_file();
  Db db(path.string());
  fast(db);
  const std::string batch = many_lines(5, 0, "n");
  const Snapshot before = snapshot(db, path);
  const std::string sql3 = "SELECT * FROM lethe_ingest(?1, ?2, ?3)";
  struct Case {
    const char* name;
    Result result;
    std::vector<std::string> words;
  };
  std::vector<Case> cases;
  cases.push_back({"NULL owner", db.query(sql3, nullptr, batch, nullptr), {"owner"}});
  cases.push_back({"empty owner", db.query(sql3, "", batch, nullptr), {"owner"}});
  cases.push_back({"numeric owner", db.query(sql3, 42, batch, nullptr), {"owner"}});
  cases.push_back({"long owner", db.query(sql3, std::string(257, 'o'), batch, nullptr), {"owner"}});
  cases.push_back({"control owner", db.query(sql3, "al\tice", batch, nullptr), {"owner"}});
  cases.push_back({"NULL ndjson", db.query(sql3, "alice", nullptr, nullptr), {"null"}});
  cases.push_back({"unknown option", db.query(sql3, "alice", batch, "{\"nope\":1}"), {"nope"}});
  // lethe_sync's internal "already scanned" flag is never a call's option.
  cases.push_back(
      {"internal option",
       db.query(sql3, "alice", batch, "{\"lines_scanned\":true,\"format\":\"opencode\"}"),
       {"lines_scanned"}});
  cases.push_back({"negative max_errors",
                   db.query(sql3, "alice", batch, "{\"max_errors\":-1}"),
                   {"max_errors"}});
  cases.push_back(
      {"dry_run not bool", db.query(sql3, "alice", batch, "{\"dry_run\":\"yes\"}"), {"dry_run"}});
  cases.push_back({"options not an object", db.query(sql3, "alice", batch, "[1]"), {"options"}});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    expect_batch_error(c.result, c.words);
  }
  expect_unchanged(db, before, path);

  // Cause removed: the same batch goes in.
  Result ok = db.query(sql3, "alice", batch, "{\"max_errors\":0}");
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_TRUE(ok.rows.empty());
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE turn_id LIKE 'n-t%'"), 5);
}

// --- schema ----------------------------------------------------------------

struct SchemaCase {
  const char* name;
  std::string setup;  // run on a fresh file database
};

std::vector<SchemaCase> schema_cases() {
  const std::string full = schema_text();
  return {
      {"no schema", ""},
      {"sessions missing", full + "DROP TABLE sessions;"},
      {"turns missing", full + "DROP TABLE turns;"},
      {"lethe_sink missing", full + "DROP VIEW lethe_sink;"},
      {"turns without model", replace_once(full, "  model       TEXT,\n", "")},
      {"sessions without metadata",
       replace_once(full, "  metadata    TEXT,\n  PRIMARY KEY (owner, tool, host, session_id)\n",
                    "  PRIMARY KEY (owner, tool, host, session_id)\n")},
      {"turns is a view", full + "DROP TABLE turns; CREATE VIEW turns AS SELECT 1 AS x;"},
  };
}

void repair_schema(Db& db) {
  Result objects = db.query(
      "SELECT type, name FROM sqlite_schema WHERE name IN ('lethe_sink', 'turns', 'sessions') "
      "AND type IN ('table', 'view') ORDER BY name = 'sessions'");
  ASSERT_TRUE(objects.ok()) << objects.error;
  for (const Row& o : objects.rows) {
    db.must("DROP " + lower(o[0].value()) + " " + o[1].value());
  }
  db.apply_schema();
}

TEST(BatchSchema, MissingOrReshapedTablesNameSchemaSql) {
  for (const SchemaCase& c : schema_cases()) {
    SCOPED_TRACE(c.name);
    const fs::path path = temp_dir() / "schema.db";
    Db db(path.string());
    fast(db);
    if (!c.setup.empty()) db.must(c.setup);
    const Snapshot before = snapshot(db, path);
    const std::string batch = many_lines(3);
    expect_batch_error(call(db, "alice", batch), {"sql/schema.sql"});
    expect_unchanged(db, before, path);
    repair_schema(db);
    Result ok = call(db, "alice", batch);
    ASSERT_TRUE(ok.ok()) << ok.error;
    EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 3);
  }
}

// The same, when the schema changes under a connection that has already
// ingested (and so holds a prepared write statement).
TEST(BatchSchema, ReshapedAfterAnEarlierCallNamesSchemaSql) {
  const std::vector<std::pair<const char*, std::string>> changes = {
      {"turns dropped", "DROP TABLE turns;"},
      {"turns without model",
       "DROP TABLE turns; CREATE TABLE turns(owner TEXT NOT NULL, tool TEXT NOT NULL,"
       " host TEXT NOT NULL, session_id TEXT NOT NULL, turn_id TEXT NOT NULL,"
       " seq INTEGER NOT NULL, role TEXT NOT NULL, timestamp TEXT NOT NULL, content TEXT,"
       " tokens_in INTEGER, tokens_out INTEGER, cost_usd REAL, tool_calls TEXT,"
       " metadata TEXT, PRIMARY KEY (owner, tool, host, session_id, turn_id)) STRICT;"},
      {"lethe_sink dropped", "DROP VIEW lethe_sink;"},
  };
  for (const auto& [name, change] : changes) {
    SCOPED_TRACE(name);
    const fs::path path = seeded_file();
    Db db(path.string());
    fast(db);
    Result first = call(db, "alice", many_lines(2, 0, "first"));
    ASSERT_TRUE(first.ok()) << first.error;
    db.must(change);
    const Snapshot before = snapshot(db, path);
    expect_batch_error(call(db, "alice", many_lines(3)), {"sql/schema.sql"});
    expect_unchanged(db, before, path);
    repair_schema(db);
    Result ok = call(db, "alice", many_lines(3));
    ASSERT_TRUE(ok.ok()) << ok.error;
    EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 3);
  }
}

// --- read-only -------------------------------------------------------------

TEST(BatchReadOnly, ReadOnlyConnection) {
  const fs::path path = seeded_file();
  const std::string batch = many_lines(1500);
  {
    Db db(path.string(), true, SQLITE_OPEN_READONLY);
    fast(db);
    const Snapshot before = snapshot(db, path);
    Result r = call(db, "alice", batch);
    expect_batch_error(r, {"readonly", "read-only"});
    EXPECT_EQ(r.rc, SQLITE_READONLY) << "in autocommit mode the real code is returned";
    expect_unchanged(db, before, path);
    // And inside the caller's (read) transaction.
    db.must("BEGIN");
    expect_batch_error(call(db, "alice", batch), {"readonly", "read-only"});
    db.must("COMMIT");
    expect_unchanged(db, before, path);
  }
  Db writable(path.string());
  fast(writable);
  Result ok = call(writable, "alice", batch);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(writable.count("SELECT count(*) FROM turns WHERE turn_id LIKE 'm-t%'"), 1500);
}

TEST(BatchReadOnly, QueryOnlyPragma) {
  const fs::path path = seeded_file();
  Db db(path.string());
  fast(db);
  const std::string batch = many_lines(1500, 0, "q");
  db.must("PRAGMA query_only = ON");
  const Snapshot before = snapshot(db, path);
  expect_batch_error(call(db, "alice", batch), {"readonly", "read-only", "query_only"});
  expect_unchanged(db, before, path);
  db.must("PRAGMA query_only = OFF");
  Result ok = call(db, "alice", batch);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE turn_id LIKE 'q-t%'"), 1500);
}

// --- SQLITE_FULL -----------------------------------------------------------

// 3000 lines of ~300 bytes (three chunks), and a page budget that holds the
// first chunk but not the batch.
const int kFullLines = 3000;
std::string full_batch() { return many_lines(kFullLines, 300, "f"); }

std::int64_t page_budget(Db& db) {
  // Pages the batch needs, measured on a copy of the database in memory.
  Db copy;
  copy.apply_schema();
  const std::int64_t empty = copy.count("PRAGMA page_count");
  Result r = call(copy, "alice", full_batch());
  EXPECT_TRUE(r.ok()) << r.error;
  const std::int64_t needed = copy.count("PRAGMA page_count") - empty;
  return db.count("PRAGMA page_count") + needed / 2;
}

TEST(BatchFull, AutocommitWritesNothing) {
  const fs::path path = seeded_file();
  Db db(path.string());
  fast(db);
  Probe probe;
  probe.install(db);
  const std::int64_t budget = page_budget(db);
  db.must("PRAGMA max_page_count = " + std::to_string(budget));
  const Snapshot before = snapshot(db, path);
  Result r = call(db, "alice", full_batch());
  expect_batch_error(r, {"full"});
  EXPECT_EQ(r.rc, SQLITE_FULL) << "in autocommit mode the real code is returned";
  EXPECT_GT(probe.rows, 1024) << "test setup: the call failed before a chunk was written";
  expect_unchanged(db, before, path);

  db.must("PRAGMA max_page_count = 1073741823");
  Result ok = call(db, "alice", full_batch());
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE turn_id LIKE 'f-t%'"), kFullLines);
}

TEST(BatchFull, InsideCallerTransactionKeepsCallersWork) {
  const fs::path path = seeded_file();
  {
    Db db(path.string());
    fast(db);
    Probe probe;
    probe.install(db);
    const std::int64_t budget = page_budget(db);
    db.must("PRAGMA max_page_count = " + std::to_string(budget));
    const Snapshot before = snapshot(db);
    db.must("BEGIN; INSERT INTO notes VALUES ('mine');");
    Result r = call(db, "alice", full_batch());
    expect_batch_error(r, {"full"});
    EXPECT_EQ(r.rc, SQLITE_ERROR) << "FULL inside a transaction is reported as SQLITE_ERROR";
    EXPECT_GT(probe.rows, 1024) << "test setup: the call failed before a chunk was written";
    ASSERT_EQ(sqlite3_get_autocommit(db.handle()), 0) << "the caller's transaction is gone";
    EXPECT_EQ(db.count("SELECT count(*) FROM notes"), 1);
    EXPECT_EQ(snapshot(db).tables, before.tables);
    db.must("INSERT INTO notes VALUES ('after')");
    db.must("COMMIT");
    EXPECT_EQ(db.count("SELECT count(*) FROM notes"), 2);
    expect_unchanged(db, before);

    db.must("PRAGMA max_page_count = 1073741823");
    db.must("BEGIN");
    Result ok = call(db, "alice", full_batch());
    ASSERT_TRUE(ok.ok()) << ok.error;
    db.must("COMMIT");
  }
  Db reopened(path.string());
  EXPECT_EQ(reopened.count("SELECT count(*) FROM notes"), 2);
  EXPECT_EQ(reopened.count("SELECT count(*) FROM turns WHERE turn_id LIKE 'f-t%'"), kFullLines);
  EXPECT_EQ(reopened.scalar("PRAGMA integrity_check"), Value("ok"));
}

// --- max_errors ------------------------------------------------------------

TEST(BatchMaxErrors, ExceededAfterWrittenChunksWritesNothing) {
  const fs::path path = seeded_file();
  Db db(path.string());
  fast(db);
  Probe probe;
  probe.install(db);
  // The bad lines come after the first two chunks (1024 and 2048 lines).
  const std::string batch = many_lines(3500, 0, "e") + "bad 1\nbad 2\nbad 3\n";
  for (const char* mode : {"autocommit", "BEGIN", "INSERT ... SELECT"}) {
    SCOPED_TRACE(mode);
    probe.rows = 0;
    const Snapshot before = snapshot(db, path);
    Result r;
    if (std::string(mode) == "INSERT ... SELECT") {
      db.must("CREATE TABLE IF NOT EXISTS rejects(line, byte_offset, code, field, message)");
      const Snapshot with_rejects = snapshot(db, path);
      r = db.query("INSERT INTO rejects SELECT * FROM lethe_ingest(?1, ?2, '{\"max_errors\":2}')",
                   "alice", batch);
      expect_batch_error(r, {"max_errors"});
      EXPECT_EQ(db.count("SELECT count(*) FROM rejects"), 0);
      expect_unchanged(db, with_rejects, path);
      continue;
    }
    const bool txn = std::string(mode) == "BEGIN";
    if (txn) db.must("BEGIN");
    r = call(db, "alice", batch, "{\"max_errors\":2}");
    expect_batch_error(r, {"max_errors"});
    EXPECT_GE(probe.rows, 3072) << "test setup: no chunk was written before the failure";
    if (txn) {
      EXPECT_EQ(sqlite3_get_autocommit(db.handle()), 0);
      db.must("COMMIT");
    }
    expect_unchanged(db, before, path);
  }
  Result ok = call(db, "alice", batch, "{\"max_errors\":3}");
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok.rows.size(), 3u);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE turn_id LIKE 'e-t%'"), 3500);
}

// The message names the earliest rejected line, whichever stage refused it:
// here the database refuses line 1 while line 2 was rejected by the parser
// first (a chunk's parse rejects are known before its writes).
TEST(BatchMaxErrors, TheMessageNamesTheEarliestRejectedLine) {
  Db db;
  db.apply_schema();
  db.must(
      "CREATE TRIGGER refuse BEFORE INSERT ON turns WHEN NEW.turn_id = 'refuse-me' "
      "BEGIN SELECT RAISE(ABORT, 'refused'); END");
  const std::string batch = line("", "s1", "refuse-me") + "\nnot json\n";
  const Result r = call(db, "alice", batch, "{\"max_errors\":1}");
  expect_batch_error(r, {"max_errors"});
  EXPECT_NE(r.error.find("; line 1: DB_"), std::string::npos) << r.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
}

// --- interrupt -------------------------------------------------------------

// How the progress handler stops the call once it decides to:
enum class Stop {
  OneShot,  // returns non-zero once
  Sticky,   // keeps returning non-zero while a transaction is open (a deadline)
  Flag,     // calls sqlite3_interrupt() once and returns 0
};

struct InterruptCase {
  Stop stop;
  int ops;                  // VM steps between handler calls
  int calls;                // handler calls inside the call before it stops it
  std::int64_t after_rows;  // or, when >= 0: once the probe saw this many rows
};

// Decides when to stop: after `calls` handler calls made while a transaction
// is open (lethe's own, in autocommit mode: so the stop lands inside the
// call, never before it), or once the probe has seen `after_rows` rows.
struct Interrupter {
  sqlite3* db = nullptr;
  Probe* probe = nullptr;
  InterruptCase c;
  int seen = 0;
  bool fired = false;
  static int handler(void* arg) {
    auto* self = static_cast<Interrupter*>(arg);
    const bool in_txn = sqlite3_get_autocommit(self->db) == 0;
    if (self->fired) return self->c.stop == Stop::Sticky && in_txn ? 1 : 0;
    if (self->c.after_rows >= 0) {
      self->fired = self->probe->rows >= self->c.after_rows;
    } else if (in_txn) {
      self->fired = ++self->seen >= self->c.calls;
    }
    if (!self->fired) return 0;
    if (self->c.stop == Stop::Flag) {
      sqlite3_interrupt(self->db);
      return 0;
    }
    return 1;
  }
};

class BatchInterrupt : public ::testing::TestWithParam<InterruptCase> {};

TEST_P(BatchInterrupt, AutocommitWritesNothing) {
  const InterruptCase c = GetParam();
  const fs::path path = seeded_file();
  Db db(path.string());
  fast(db);
  Probe probe;
  probe.install(db);
  const std::string batch = many_lines(3000, 20, "i");
  const Snapshot before = snapshot(db, path);
  Interrupter interrupter{db.handle(), &probe, c};
  sqlite3_progress_handler(db.handle(), c.ops, Interrupter::handler, &interrupter);
  Result r = call(db, "alice", batch);
  sqlite3_progress_handler(db.handle(), 0, nullptr, nullptr);
  ASSERT_TRUE(interrupter.fired) << "test setup: the handler never fired";
  expect_batch_error(r, {"interrupt"});
  if (r.error.find("cleanup was interrupted too") != std::string::npos) {
    // Documented: when the interrupt also blocks lethe's own rollback, the
    // call reports SQLITE_IOERR, the one code that makes SQLite close the
    // transaction lethe opened.
    EXPECT_EQ(r.rc, SQLITE_IOERR);
  } else {
    EXPECT_EQ(r.rc, SQLITE_INTERRUPT) << "in autocommit mode the real code is returned";
  }
  expect_unchanged(db, before, path);
  if (sqlite3_get_autocommit(db.handle()) == 0) {
    // Say what was left open, then clean up so the retry below is meaningful.
    ADD_FAILURE() << "RELEASE lethe_ingest_call: "
                  << (db.query("RELEASE lethe_ingest_call").ok() ? "ok (savepoint left open)"
                                                                 : "failed");
    db.query("ROLLBACK");
  }

  Result ok = call(db, "alice", batch);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(sqlite3_get_autocommit(db.handle()), 1);
  Db other(path.string(), false);  // committed, not just visible to this connection
  EXPECT_EQ(other.count("SELECT count(*) FROM turns WHERE turn_id LIKE 'i-t%'"), 3000);
}

std::vector<InterruptCase> interrupt_cases() {
  std::vector<InterruptCase> cases;
  for (Stop stop : {Stop::OneShot, Stop::Sticky, Stop::Flag}) {
    for (InterruptCase c : {InterruptCase{stop, 1, 1, -1}, InterruptCase{stop, 1, 3, -1},
                            InterruptCase{stop, 1, 25, -1}, InterruptCase{stop, 10, 7, -1},
                            InterruptCase{stop, 100, 50, -1}, InterruptCase{stop, 1000, 40, -1},
                            InterruptCase{stop, 100, 0, 1}, InterruptCase{stop, 100, 0, 1100},
                            InterruptCase{stop, 100, 0, 2500}}) {
      cases.push_back(c);
    }
  }
  return cases;
}

std::string interrupt_case_label(const InterruptCase& c) {
  const char* stop = c.stop == Stop::OneShot  ? "OneShot"
                     : c.stop == Stop::Sticky ? "Sticky"
                                              : "Flag";
  return std::string(stop) + "_every" + std::to_string(c.ops) +
         (c.after_rows >= 0 ? "_afterRows" + std::to_string(c.after_rows)
                            : "_calls" + std::to_string(c.calls));
}

std::string interrupt_case_name(const ::testing::TestParamInfo<InterruptCase>& info) {
  return interrupt_case_label(info.param);
}

void PrintTo(const InterruptCase& c, std::ostream* os) { *os << interrupt_case_label(c); }

INSTANTIATE_TEST_SUITE_P(BatchInterruptSteps, BatchInterrupt,
                         ::testing::ValuesIn(interrupt_cases()), interrupt_case_name);

// Contract, section 1: the caller's own earlier work in its transaction is
// never touched, also when the call fails.
// An interrupt inside the caller's transaction: lethe keeps nothing of the
// call either way. Where the interrupt lands decides the rest: in one of
// lethe's own savepoint statements, lethe rolls back to its savepoint and the
// caller's transaction survives (reported as SQLITE_ERROR, so SQLite does not
// roll it back); in a write, SQLite itself rolls back the whole transaction
// (its documented behaviour), and lethe then returns SQLITE_INTERRUPT and says
// so. Several landing points are swept.
class BatchInterruptInTransaction : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(BatchInterruptInTransaction, CallKeepsNothingAndTheOutcomeIsReported) {
  const fs::path path = seeded_file();
  Db db(path.string());
  fast(db);
  Probe probe;
  probe.install(db);
  const std::string batch = many_lines(3000, 20, "i");
  const Snapshot before = snapshot(db);
  db.must("BEGIN; INSERT INTO notes VALUES ('mine');");
  Interrupter interrupter{db.handle(), &probe, InterruptCase{Stop::OneShot, 7, 0, GetParam()}};
  sqlite3_progress_handler(db.handle(), 7, Interrupter::handler, &interrupter);
  Result r = call(db, "alice", batch);
  sqlite3_progress_handler(db.handle(), 0, nullptr, nullptr);
  ASSERT_TRUE(interrupter.fired) << "test setup: the handler never fired";
  expect_batch_error(r, {"interrupt"});
  if (sqlite3_get_autocommit(db.handle()) == 0) {
    EXPECT_EQ(r.rc, SQLITE_ERROR) << "inside a transaction that survives, not a rolling-back code";
    EXPECT_EQ(db.count("SELECT count(*) FROM notes"), 1) << "the caller's row is gone";
    db.must("COMMIT");
    Snapshot after = snapshot(db);
    after.tables.erase("notes");
    Snapshot expected = before;
    expected.tables.erase("notes");
    EXPECT_EQ(after.tables, expected.tables) << "the call's writes stayed";
  } else {
    EXPECT_EQ(r.rc, SQLITE_INTERRUPT);
    EXPECT_NE(r.error.find("rolled back the whole transaction"), std::string::npos) << r.error;
    EXPECT_EQ(snapshot(db).tables, before.tables) << "the call's writes stayed";
  }
  EXPECT_EQ(db.scalar("PRAGMA integrity_check"), Value("ok"));
}

INSTANTIATE_TEST_SUITE_P(LandingPoints, BatchInterruptInTransaction,
                         ::testing::Values(1, 500, 1024, 1100, 2047, 2999));

// --- busy ------------------------------------------------------------------

class BatchBusy : public ::testing::TestWithParam<const char*> {};

TEST_P(BatchBusy, OtherWriterHoldsTheLock) {
  const std::string journal = GetParam();
  const fs::path path = seeded_file();
  {
    Db setup(path.string(), false);
    fast(setup);
    setup.must("PRAGMA journal_mode = " + journal);
  }
  Db db(path.string());
  fast(db);
  Db other(path.string(), false);
  sqlite3_busy_timeout(db.handle(), 0);
  const std::string batch = many_lines(1500, 0, "b");
  other.must("BEGIN IMMEDIATE; INSERT INTO notes VALUES ('other');");
  const Snapshot before = snapshot(db, path);
  for (bool txn : {false, true}) {
    SCOPED_TRACE(txn ? "inside BEGIN" : "autocommit");
    if (txn) db.must("BEGIN");
    Result r = call(db, "alice", batch);
    expect_batch_error(r, {"busy", "locked"});
    EXPECT_EQ(r.rc, SQLITE_BUSY);
    if (txn) db.must("ROLLBACK");
    expect_unchanged(db, before, path);
  }
  other.must("COMMIT");
  Result ok = call(db, "alice", batch);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE turn_id LIKE 'b-t%'"), 1500);
  EXPECT_EQ(db.count("SELECT count(*) FROM notes"), 1);
}

INSTANTIATE_TEST_SUITE_P(BatchBusyJournal, BatchBusy, ::testing::Values("DELETE", "WAL"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
