// Every promise of a call (docs/reference/contract.md section 1), tried the hard way:
// a schema that is missing or changed under the caller, an interrupt at every
// statement lethe runs, max_errors inside a writing statement, a call reached
// from inside another one, a write path that drifted or was replaced, user
// triggers and CHECKs that could see how lines are grouped, a caller with
// deferred foreign-key violations pending, and objects that shadow lethe's.
// Each test here failed on 8c666b9 (issue 8), named by the item it covers.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>
#include <string>
#include <vector>

#include "support/call_contexts.hpp"
#include "support/e2e_support.hpp"

using namespace lethe_test;

namespace {

std::string many_lines(int n, const std::string& session_prefix = "s", int sessions = 7) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += line("\"seq\":" + std::to_string(i) +
                    ",\"timestamp\":\"2025-03-01T10:" + std::to_string(10 + i % 50) + ":00Z\"",
                session_prefix + std::to_string(i % sessions), "t" + std::to_string(i)) +
           "\n";
  }
  return out;
}

bool in_transaction(Db& db) { return sqlite3_get_autocommit(db.handle()) == 0; }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The caller's own work before the call: a note in a table of its own.
void begin_with_note(Db& db) {
  db.must("CREATE TABLE IF NOT EXISTS notes(x)");
  db.must("BEGIN; INSERT INTO notes VALUES ('mine')");
}

void expect_callers_work_kept(Db& db) {
  ASSERT_TRUE(in_transaction(db)) << "the caller's transaction is gone";
  EXPECT_EQ(db.count("SELECT count(*) FROM notes"), 1);
  db.must("COMMIT");
  EXPECT_EQ(db.count("SELECT count(*) FROM notes"), 1);
}

// --- item 1: a schema problem inside the caller's transaction ---------------

TEST(CallPromises, SchemaMissingInsideTransactionKeepsTheCallersTransaction) {
  Db db;
  begin_with_note(db);
  Result r = db.query("SELECT * FROM lethe_ingest('ana', ?1)", line());
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error, "sql/schema.sql")) << r.error;
  EXPECT_FALSE(contains(r.error, "SQLITE_IOERR")) << r.error;
  expect_callers_work_kept(db);
}

TEST(CallPromises, SchemaBrokenAfterAnAutocommitCallKeepsTheCallersTransaction) {
  // The stale-state variant: an autocommit call first, then the view goes.
  Db db;
  db.apply_schema();
  ASSERT_TRUE(ingest(db, "ana", line()).ok());
  db.must("DROP VIEW lethe_sink");
  begin_with_note(db);
  Result r = db.query("SELECT * FROM lethe_ingest('ana', ?1)", line("", "s2"));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error, "sql/schema.sql")) << r.error;
  expect_callers_work_kept(db);
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 1);
}

TEST(CallPromises, ReshapedTableInsideTransactionKeepsTheCallersTransaction) {
  Db db;
  db.must("CREATE TABLE sessions(owner, tool); CREATE TABLE turns(x)");
  begin_with_note(db);
  Result r = db.query("SELECT * FROM lethe_ingest('ana', ?1)", line());
  EXPECT_FALSE(r.ok());
  expect_callers_work_kept(db);
}

// sqlite3_interrupt() from inside the argument: the flag is set before the
// call runs its first statement.
void interrupt_then(sqlite3_context* ctx, int, sqlite3_value** argv) {
  sqlite3_interrupt(sqlite3_context_db_handle(ctx));
  sqlite3_result_value(ctx, argv[0]);
}

TEST(CallPromises, InterruptBeforeTheSavepointKeepsTheCallersTransaction) {
  Db db;
  db.apply_schema();
  ASSERT_TRUE(ingest(db, "ana", line()).ok());  // a call in autocommit first
  sqlite3_create_function(db.handle(), "interrupt_then", 1, SQLITE_UTF8, nullptr, interrupt_then,
                          nullptr, nullptr);
  begin_with_note(db);
  Result r =
      db.query("SELECT * FROM lethe_ingest('ana', interrupt_then(?1))", line("", "s2", "t2"));
  EXPECT_FALSE(r.ok());
  if (in_transaction(db)) {
    expect_callers_work_kept(db);
  } else {
    EXPECT_TRUE(contains(r.error, "whole transaction")) << r.error;
  }
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE session_id = 's2'"), 0);
}

// --- item 2: an interrupt at every statement of a call ----------------------

// Interrupts the connection when the n-th statement lethe runs starts.
struct InterruptAt {
  sqlite3* db = nullptr;
  int countdown = -1;  // statements still to let through; -1: never
  int seen = 0;
};

int interrupt_on_statement(unsigned type, void* context, void*, void* x) {
  auto* at = static_cast<InterruptAt*>(context);
  if (type != SQLITE_TRACE_STMT) return 0;
  // SQLite prefixes "-- " to a statement run while another one runs (all of
  // lethe's), and traces a trigger and each statement of its program as
  // "-- ...": count lethe's own statements only.
  std::string text = x == nullptr ? "" : static_cast<const char*>(x);
  if (text.rfind("-- ", 0) == 0) text.erase(0, 3);
  if (text.empty() || text.rfind("--", 0) == 0) return 0;
  ++at->seen;
  if (at->countdown == 0) sqlite3_interrupt(at->db);
  if (at->countdown >= 0) --at->countdown;
  return 0;
}

// The call of this file's tests, in a context: ana's batch, bound as ?1.
std::string ana_call(CallContext c) { return call_sql(c, "'ana', ?1"); }

// The first chunk's lines (ext/call/ingest.hpp kChunkRows); the test below
// checks it against what lethe_debug() says.
constexpr int kFirstChunkLines = 1024;

TEST(CallPromises, AnInterruptAtAnyStatementLeavesAllOrNothingAndATrueMessage) {
  {
    Db db;
    ASSERT_TRUE(contains(db.scalar("SELECT lethe_debug()").value_or(""),
                         "Chunk: " + std::to_string(kFirstChunkLines) + " lines, then twice"));
  }
  // Three chunks (1,024 and 2,048 lines, then 13), one line of the small
  // last chunk refused by a user trigger so that the per-line fallback runs
  // too. A refusal makes its chunk go again one line at a time, so it is
  // in the small chunk: every one of its statements is a point to interrupt
  // at, and each point costs a whole call.
  const int total_turns = kFirstChunkLines + 2 * kFirstChunkLines + 12;
  std::string batch = many_lines(total_turns);
  batch += line("", "s1", "refuse-me") + "\n";
  for (CallContext context :
       {CallContext::Autocommit, CallContext::BeginCommit, CallContext::SavepointRelease,
        CallContext::InsertSelect, CallContext::InsertSelectInBegin}) {
    // How many statements a whole call runs, traced once without interrupting.
    int statements = 0;
    {
      Db db;
      db.apply_schema();
      db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
      db.must(
          "CREATE TRIGGER refuse BEFORE INSERT ON turns WHEN NEW.turn_id = 'refuse-me' "
          "BEGIN SELECT RAISE(ABORT, 'refused'); END");
      InterruptAt at{db.handle()};
      sqlite3_trace_v2(db.handle(), SQLITE_TRACE_STMT, interrupt_on_statement, &at);
      ASSERT_TRUE(db.query(ana_call(context), batch).ok());
      statements = at.seen;
    }
    ASSERT_GT(statements, 3);
    for (int k = 0; k < statements; ++k) {
      SCOPED_TRACE(std::string(context_name(context)) + ", interrupt at statement " +
                   std::to_string(k));
      Db db;
      db.apply_schema();
      db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
      db.must(
          "CREATE TRIGGER refuse BEFORE INSERT ON turns WHEN NEW.turn_id = 'refuse-me' "
          "BEGIN SELECT RAISE(ABORT, 'refused'); END");
      db.must("CREATE TABLE notes(x)");
      if (caller_has_transaction(context)) {
        db.must(std::string(open_sql(context)) + "; INSERT INTO notes VALUES ('mine')");
      }
      InterruptAt at{db.handle(), k};
      sqlite3_trace_v2(db.handle(), SQLITE_TRACE_STMT, interrupt_on_statement, &at);
      Result r = db.query(ana_call(context), batch);
      sqlite3_trace_v2(db.handle(), 0, nullptr, nullptr);
      const std::int64_t turns = db.count("SELECT count(*) FROM turns");
      if (r.ok()) {
        EXPECT_EQ(turns, total_turns);
      } else {
        EXPECT_EQ(turns, 0) << "part of a failed call stayed: " << r.error;
        EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 0) << r.error;
        // Statement 0 is the caller's own: SQLite stops it before lethe runs.
        const bool lethe_ran = r.error.rfind("lethe_ingest:", 0) == 0;
        EXPECT_TRUE(lethe_ran || k == 0) << r.error;
        if (caller_has_transaction(context) && lethe_ran) {
          const bool kept = in_transaction(db);
          if (kept) {
            EXPECT_EQ(db.count("SELECT count(*) FROM notes"), 1) << r.error;
            EXPECT_FALSE(contains(r.error, "rolled back the whole transaction")) << r.error;
          } else {
            EXPECT_TRUE(contains(r.error, "whole transaction")) << r.error << " rc " << r.rc;
            EXPECT_EQ(db.count("SELECT count(*) FROM notes"), 0);
          }
        }
      }
      if (in_transaction(db)) db.must("COMMIT");
      EXPECT_FALSE(in_transaction(db));
      // What is in the tables after COMMIT is what the call promised.
      const std::int64_t committed = db.count("SELECT count(*) FROM turns");
      EXPECT_TRUE(committed == 0 || committed == total_turns) << committed;
    }
  }
}

// --- item 3: max_errors inside a writing statement --------------------------

TEST(CallPromises, MaxErrorsInsideAWritingStatementWritesNothing) {
  const std::string batch =
      line("", "s1", "t1") + "\n" + line("", "s1", "bad") + "\n" + line("", "s1", "t3") + "\n";
  const char* statements[] = {
      "INSERT INTO rejects SELECT * FROM lethe_ingest('ana', ?1, '{\"max_errors\": 0}')",
      "UPDATE inbox SET n = (SELECT count(*) FROM lethe_ingest('ana', ?1, "
      "'{\"max_errors\": 0}'))",
  };
  for (const char* sql : statements) {
    for (bool in_begin : {true, false}) {
      SCOPED_TRACE(std::string(sql) + (in_begin ? " in BEGIN" : " in autocommit"));
      Db db;
      db.apply_schema();
      db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
      db.must("CREATE TABLE inbox(n); INSERT INTO inbox VALUES (0)");
      db.must(
          "CREATE TRIGGER refuse BEFORE INSERT ON turns WHEN NEW.turn_id = 'bad' "
          "BEGIN SELECT RAISE(ABORT, 'bad turn'); END");
      if (in_begin) db.must("BEGIN");
      Result r = db.query(sql, batch);
      EXPECT_FALSE(r.ok());
      EXPECT_TRUE(contains(r.error, "max_errors")) << r.error;
      EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
      EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 0);
      if (in_begin) {
        ASSERT_TRUE(in_transaction(db));
        db.must("COMMIT");
      }
      EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
    }
  }
}

// --- item 4: calls don't nest ---------------------------------------------

TEST(CallPromises, ACallFromATempTriggerFailsCleanly) {
  for (bool self_firing : {false, true}) {
    SCOPED_TRACE(self_firing ? "a trigger that fires itself" : "a trigger on turns");
    sqlite3* raw = nullptr;
    {
      Db db;
      db.apply_schema();
      const std::string inner = self_firing ? line("", "inner", "again") : line("", "inner", "i1");
      db.must(
          "CREATE TEMP TRIGGER nested AFTER INSERT ON main.turns BEGIN "
          "SELECT count(*) FROM lethe_ingest('ana', '" +
          inner + "'); END");
      Result r = db.query("SELECT * FROM lethe_ingest('ana', ?1)", line());
      EXPECT_FALSE(r.ok());
      EXPECT_TRUE(contains(r.error, "nest")) << r.error;
      EXPECT_FALSE(in_transaction(db)) << "a transaction was left open";
      EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
      // The connection is usable, and a call without the trigger works.
      db.must("DROP TRIGGER nested");
      EXPECT_TRUE(ingest(db, "ana", line()).ok());
      EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 1);
      raw = db.handle();
      (void)raw;
    }
  }
}

TEST(CallPromises, ANestedCallInsideTheCallersTransactionKeepsItsWork) {
  Db db;
  db.apply_schema();
  db.must(
      "CREATE TEMP TRIGGER nested AFTER INSERT ON main.turns BEGIN "
      "SELECT count(*) FROM lethe_ingest('ana', '" +
      line("", "inner", "i1") + "'); END");
  begin_with_note(db);
  Result r = db.query("SELECT * FROM lethe_ingest('ana', ?1)", line());
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error, "nest")) << r.error;
  expect_callers_work_kept(db);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
}

TEST(CallPromises, CloseSucceedsAfterANestedCallWasRefused) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
  ASSERT_EQ(sqlite3_load_extension(db, LETHE_EXTENSION_PATH, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, read_file(source_path("sql/schema.sql")).c_str(), nullptr, nullptr, nullptr),
      SQLITE_OK);
  const std::string trigger =
      "CREATE TEMP TRIGGER nested AFTER INSERT ON main.turns BEGIN SELECT count(*) FROM "
      "lethe_ingest('ana', '" +
      line("", "inner", "i1") + "'); END";
  ASSERT_EQ(sqlite3_exec(db, trigger.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  const std::string call = "SELECT * FROM lethe_ingest('ana', '" + line() + "')";
  EXPECT_NE(sqlite3_exec(db, call.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_get_autocommit(db), 1);
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

// --- item 5: the write path is versioned -----------------------------------

TEST(CallPromises, ReapplyingTheSchemaAfterARenameRepairsTheWritePath) {
  Db db;
  db.apply_schema();
  db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
  ASSERT_TRUE(ingest(db, "ana", line("", "old", "o1")).ok());
  db.must("ALTER TABLE turns RENAME TO turns_2024");
  db.apply_schema();
  ASSERT_TRUE(ingest(db, "ana", line("", "plain", "p1")).ok());
  Result nested =
      db.query("INSERT INTO rejects SELECT * FROM lethe_ingest('ana', ?1)", line("", "nest", "n1"));
  ASSERT_TRUE(nested.ok()) << nested.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 2);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns_2024"), 1);
}

TEST(CallPromises, AWritePathThatIsNotThisVersionsIsRefused) {
  struct Replacement {
    const char* sql;
    bool schema_repairs_it;
  };
  const Replacement replacements[] = {
      // does nothing: lines would be reported accepted and never written
      {"DROP TRIGGER lethe_sink_write; CREATE TRIGGER lethe_sink_write INSTEAD OF INSERT ON "
       "lethe_sink BEGIN SELECT 1; END",
       true},
      // an older text of the same trigger (a comment changed)
      {"DROP TRIGGER lethe_sink_write; CREATE TRIGGER lethe_sink_write INSTEAD OF INSERT ON "
       "lethe_sink BEGIN SELECT lethe_sink_row(NEW.row_index); END",
       true},
      // a second trigger on the view, beside lethe's
      {"CREATE TRIGGER extra INSTEAD OF INSERT ON lethe_sink BEGIN SELECT 1; END", false},
      // the view gone and made a table
      {"DROP VIEW lethe_sink; CREATE TABLE lethe_sink(row_index)", false},
  };
  for (const Replacement& replacement : replacements) {
    const char* replace = replacement.sql;
    SCOPED_TRACE(replace);
    Db db;
    db.apply_schema();
    db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
    db.must(replace);
    for (const char* sql : {"SELECT * FROM lethe_ingest('ana', ?1)",
                            "INSERT INTO rejects SELECT * FROM lethe_ingest('ana', ?1)"}) {
      Result r = db.query(sql, line());
      EXPECT_FALSE(r.ok()) << sql;
      EXPECT_TRUE(contains(r.error, "sql/schema.sql")) << r.error;
      EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
    }
    if (!replacement.schema_repairs_it) continue;
    db.apply_schema();  // re-applying repairs it
    Result r = db.query("INSERT INTO rejects SELECT * FROM lethe_ingest('ana', ?1)", line());
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 1);
  }
}

// --- item 6: lines apply one by one, in input order -------------------------

struct Differential {
  const char* name;
  const char* setup;
};

// Rows of every table that tells what happened, for comparison.
std::vector<Row> observed(Db& db) {
  std::vector<Row> all;
  for (const char* table : {"sessions", "turns"}) {
    for (Row& row : dump(db, table)) all.push_back(std::move(row));
  }
  Result log = db.query("SELECT * FROM fired ORDER BY rowid");
  for (Row& row : log.rows) all.push_back(std::move(row));
  return all;
}

TEST(CallPromises, OneBatchWritesWhatOneCallPerLineWrites) {
  // Lines of two sessions; working_dir comes only on some lines, ended_at
  // grows, one line is a later duplicate of a turn.
  std::vector<std::string> lines;
  for (int i = 0; i < 12; ++i) {
    const std::string session = i % 3 == 0 ? "a" : "b";
    std::string extra = "\"seq\":" + std::to_string(i) +
                        ",\"timestamp\":\"2025-03-01T10:" + std::to_string(10 + i) + ":00Z\"";
    if (i % 4 == 2) extra += ",\"session_meta\":{\"working_dir\":\"/w" + std::to_string(i) + "\"}";
    lines.push_back(line(extra, session, "t" + std::to_string(i % 10)));
  }
  const Differential setups[] = {
      {"a trigger refusing a session without working_dir",
       "CREATE TRIGGER need_dir BEFORE INSERT ON sessions WHEN NEW.working_dir IS NULL "
       "BEGIN SELECT RAISE(ABORT, 'no dir'); END"},
      {"triggers that count upserts of sessions",
       "CREATE TRIGGER log_insert AFTER INSERT ON sessions BEGIN "
       "INSERT INTO fired VALUES ('insert', NEW.session_id, NEW.ended_at); END;"
       "CREATE TRIGGER log_update AFTER UPDATE ON sessions BEGIN "
       "INSERT INTO fired VALUES ('update', NEW.session_id, NEW.ended_at); END"},
      {"a turn trigger that reads its session",
       "CREATE TRIGGER read_session AFTER INSERT ON turns BEGIN "
       "INSERT INTO fired SELECT 'turn', NEW.turn_id, ended_at FROM sessions "
       "WHERE session_id = NEW.session_id; END"},
      {"a CHECK-like trigger on ended_at",
       "CREATE TRIGGER late BEFORE UPDATE ON sessions WHEN NEW.ended_at > "
       "'2025-03-01T10:18:00.000Z' BEGIN SELECT RAISE(ABORT, 'too late'); END"},
      {"a unique index on sessions.ended_at", "CREATE UNIQUE INDEX one_end ON sessions(ended_at)"},
      // Nothing observes the order: the set-based path, each group in key
      // order (stable: the re-sent turn t1 of session b still ends as its
      // later line says).
      {"lethe's schema alone", "CREATE TABLE unrelated(x)"},
  };
  for (const Differential& d : setups) {
    for (CallContext context :
         {CallContext::Autocommit, CallContext::BeginCommit, CallContext::InsertSelect}) {
      SCOPED_TRACE(std::string(d.name) + ", " + context_name(context));
      auto prepare = [&](Db& db) {
        db.apply_schema();
        db.must(
            "CREATE TABLE fired(what, id, at); CREATE TABLE rejects(line, byte_offset, code,"
            " field, message)");
        db.must(d.setup);
      };
      Db one_by_one;
      prepare(one_by_one);
      std::vector<bool> refused_alone;
      for (const std::string& l : lines) {
        Ingest r = ingest(one_by_one, "ana", l);
        ASSERT_TRUE(r.ok()) << r.error;
        refused_alone.push_back(!r.rejects.empty());
      }
      Db batch;
      prepare(batch);
      batch.must(open_sql(context));
      std::string joined;
      for (const std::string& l : lines) joined += l + "\n";
      // INSERT ... SELECT is compared on a database of its own below; this
      // one takes a plain call.
      Result r = batch.query(
          ana_call(context == CallContext::InsertSelect ? CallContext::Autocommit : context),
          joined);
      if (context == CallContext::InsertSelect) {
        r = Result{};
        Db nested;
        prepare(nested);
        r = nested.query(ana_call(CallContext::InsertSelect), joined);
        ASSERT_TRUE(r.ok()) << r.error;
        EXPECT_EQ(observed(nested), observed(one_by_one));
        std::vector<bool> refused_nested(lines.size(), false);
        for (const Row& row : nested.query("SELECT line FROM rejects").rows) {
          refused_nested[std::stoul(*row[0]) - 1] = true;
        }
        EXPECT_EQ(refused_nested, refused_alone);
        continue;
      }
      ASSERT_TRUE(r.ok()) << r.error;
      batch.must(close_sql(context));
      EXPECT_EQ(observed(batch), observed(one_by_one));
      std::vector<bool> refused_batch(lines.size(), false);
      for (const Row& row : r.rows) refused_batch[std::stoul(*row[0]) - 1] = true;
      EXPECT_EQ(refused_batch, refused_alone);
    }
  }
}

// Lethe writes a group of lines in key order only where no unique index on
// turns could tell: here line 1 takes a seq that turn a holds until line 2
// moves it, so in input order line 1 is refused, and in key order (a before
// b) it would not be.
TEST(CallPromises, AUniqueIndexOnTurnsKeepsTheInputOrder) {
  for (CallContext context : {CallContext::Autocommit, CallContext::BeginCommit}) {
    SCOPED_TRACE(context_name(context));
    Db db;
    db.apply_schema();
    db.must("CREATE UNIQUE INDEX one_seq ON turns(owner, tool, host, session_id, seq)");
    ASSERT_TRUE(ingest(db, "ana", line("\"seq\":1", "s1", "a")).rejects.empty());
    db.must(open_sql(context));
    const Ingest r =
        ingest(db, "ana", line("\"seq\":1", "s1", "b") + "\n" + line("\"seq\":2", "s1", "a"));
    ASSERT_TRUE(r.ok()) << r.error;
    db.must(close_sql(context));
    ASSERT_EQ(r.rejects.size(), 1u);
    EXPECT_EQ(r.rejects[0].line, 1);
    EXPECT_EQ(r.rejects[0].code, "DB_CONSTRAINT");
    EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE turn_id = 'b'"), 0);
    EXPECT_EQ(db.count("SELECT seq FROM turns WHERE turn_id = 'a'"), 2);
  }
}

// Issue 12: lethe never changes a connection setting of its caller, not even
// the ones that would make it faster (docs/guide/performance.md lists them): a call
// over several chunks leaves every one as the caller set it.
TEST(CallPromises, TheCallersConnectionSettingsStayAsTheyWere) {
  const char* settings[] = {
      "cache_size",   "temp_store",         "cache_spill",        "synchronous", "journal_mode",
      "foreign_keys", "defer_foreign_keys", "recursive_triggers", "page_size",   "locking_mode"};
  std::string batch;
  for (int i = 0; i < 3000; ++i) {
    batch +=
        line("\"seq\":" + std::to_string(i), "s" + std::to_string(i % 7), "t" + std::to_string(i)) +
        "\n";
  }
  for (CallContext context : {CallContext::Autocommit, CallContext::BeginCommit}) {
    SCOPED_TRACE(context_name(context));
    Db db;
    db.apply_schema();
    db.must(
        "PRAGMA cache_size = -1234; PRAGMA temp_store = FILE; PRAGMA cache_spill = 77; "
        "PRAGMA synchronous = NORMAL; PRAGMA defer_foreign_keys = ON; "
        "PRAGMA recursive_triggers = ON");
    auto values = [&] {
      std::vector<Row> rows;
      for (const char* name : settings) {
        Result r = db.query(std::string("PRAGMA ") + name);
        EXPECT_TRUE(r.ok()) << name << ": " << r.error;
        for (Row& row : r.rows) rows.push_back(std::move(row));
      }
      return rows;
    };
    const std::vector<Row> before = values();
    db.must(open_sql(context));
    const Ingest r = ingest(db, "ana", batch);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_TRUE(r.rejects.empty());
    db.must(close_sql(context));
    EXPECT_EQ(values(), before);
    EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 3000);
  }
}

// --- item 9: deferred foreign-key violations already pending -----------------

TEST(CallPromises, PendingDeferredViolationsAreRefusedClearly) {
  Db db;
  db.apply_schema();
  db.must("PRAGMA foreign_keys = ON");
  db.must(
      "CREATE TABLE parent(id PRIMARY KEY);"
      "CREATE TABLE child(p REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)");
  db.must("BEGIN; INSERT INTO child VALUES ('orphan')");
  Result r = db.query("SELECT * FROM lethe_ingest('ana', ?1)", line());
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error, "deferred")) << r.error;
  ASSERT_TRUE(in_transaction(db));
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
  db.must("INSERT INTO parent VALUES ('orphan')");  // the caller fixes its own
  db.must("COMMIT");
}

// --- item 10: an object that shadows lethe's feed ----------------------------

TEST(CallPromises, AnObjectNamedLikeTheFeedIsNamedInTheError) {
  for (const char* shadow :
       {"CREATE TABLE lethe_sink_rows(x)", "CREATE VIEW lethe_sink_rows AS SELECT 1 AS x",
        "CREATE TEMP TABLE lethe_sink_rows(x)"}) {
    SCOPED_TRACE(shadow);
    Db db;
    db.apply_schema();
    db.must(shadow);
    Result r = db.query("SELECT * FROM lethe_ingest('ana', ?1)", line());
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.error, "lethe_sink_rows")) << r.error;
    EXPECT_TRUE(contains(r.error, "rename") || contains(r.error, "drop")) << r.error;
  }
}

// --- item 11: trusted_schema ----------------------------------------------

TEST(CallPromises, TrustedSchemaOffSaysWhatIsRefused) {
  Db db;
  db.apply_schema();
  db.must(read_file(source_path("sql/search.sql")));
  db.must("PRAGMA trusted_schema = OFF");
  Ingest r = ingest(db, "ana", line("\"content\":\"hello\""));
  if (r.ok()) {
    EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 1);
  } else {
    EXPECT_TRUE(contains(r.error, "trusted_schema")) << r.error;
    EXPECT_FALSE(contains(r.error, "missing")) << r.error;
  }
}

}  // namespace

namespace {

// --- the replicated-database guard (issue 11) ------------------------------

TEST(CallPromises, TheReplicatedEntryRefusesATransactionOfItsOwn) {
  Db db(":memory:", false);
  sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
  char* error = nullptr;
  ASSERT_EQ(sqlite3_load_extension(db.handle(), LETHE_EXTENSION_PATH,
                                   "sqlite3_lethe_replicated_init", &error),
            SQLITE_OK)
      << (error ? error : "");
  db.apply_schema();
  db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
  // Forbidden: an autocommit SELECT would open lethe's own transaction.
  Ingest refused = ingest(db, "ana", line("", "s1", "t1"));
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error, "BEGIN")) << refused.error;
  EXPECT_FALSE(in_transaction(db));
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
  // Allowed: inside BEGIN ... COMMIT, and as INSERT ... SELECT.
  db.must("BEGIN");
  EXPECT_TRUE(ingest(db, "ana", line("", "s1", "t2")).ok());
  db.must("COMMIT");
  EXPECT_TRUE(
      db.query("INSERT INTO rejects SELECT * FROM lethe_ingest('ana', ?1)", line("", "s1", "t3"))
          .ok());
  // A dry run writes nothing, so it needs no transaction.
  EXPECT_TRUE(ingest(db, "ana", line("", "s1", "t4"), "{\"dry_run\": true}").ok());
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 2);
}

}  // namespace

namespace {

// --- item 7: inside a writing statement, refused lines cost linear work -----

// Counts every row a BEFORE INSERT trigger on turns sees, including the rows
// of runs that were then undone: the work the sink statement did.
void count_row(sqlite3_context* ctx, int, sqlite3_value**) {
  ++*static_cast<std::int64_t*>(sqlite3_user_data(ctx));
  sqlite3_result_null(ctx);
}

TEST(CallPromises, RefusedLinesInsideAWritingStatementCostLinearWork) {
  // 2,000 lines, every 20th refused: re-running the batch after each refusal
  // (8c666b9) made the trigger see about 100 runs of ~1,000 rows.
  std::string batch;
  for (int i = 0; i < 2000; ++i) {
    batch += line("\"seq\":" + std::to_string(i), "s" + std::to_string(i % 13),
                  (i % 20 == 7 ? "bad" : "t") + std::to_string(i)) +
             "\n";
  }
  for (bool in_begin : {false, true}) {
    Db db;
    db.apply_schema();
    std::int64_t rows_seen = 0;
    sqlite3_create_function(db.handle(), "count_row", 0, SQLITE_UTF8, &rows_seen, count_row,
                            nullptr, nullptr);
    db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
    db.must(
        "CREATE TEMP TRIGGER seen BEFORE INSERT ON main.turns BEGIN SELECT count_row(); END;"
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.turns WHEN NEW.turn_id LIKE 'bad%' "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END");
    if (in_begin) db.must("BEGIN");
    Result r = db.query("INSERT INTO rejects SELECT * FROM lethe_ingest('ana', ?1)", batch);
    ASSERT_TRUE(r.ok()) << r.error;
    if (in_begin) db.must("COMMIT");
    EXPECT_EQ(db.count("SELECT count(*) FROM rejects"), 100);
    EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 1900);
    EXPECT_LT(rows_seen, 3 * 2000) << "rows run through the sink for 2,000 lines";
  }
}

}  // namespace
