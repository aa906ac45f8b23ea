// Atomicity of lethe_ingest (wire contract v1, sections 1 and 5): in every
// context a client uses, a line the database refuses leaves none of its
// writes and every other line is stored; foreign-key and value-size refusals
// get their own codes; the caller's earlier work is never touched; and the
// function can't be reached from views or triggers (SQLITE_VTAB_DIRECTONLY).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cctype>
#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "support/call_contexts.hpp"
#include "support/e2e_support.hpp"

using namespace lethe_test;

namespace {

// --- helpers ---------------------------------------------------------------

// File databases keep their journal, but skip fsync: the tests are about
// what SQLite and lethe undo, not about power loss, and must stay fast.
void fast(Db& db) { db.must("PRAGMA synchronous = OFF"); }

std::string at(const std::string& hhmm) { return "\"timestamp\":\"2025-03-01T" + hhmm + ":00Z\""; }
std::string stored(const std::string& hhmm) { return "2025-03-01T" + hhmm + ":00.000Z"; }

std::string schema_text() { return read_file(source_path("sql/schema.sql")); }

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto where = text.find(from);
  if (where == std::string::npos) throw std::runtime_error("schema text has no: " + from);
  return text.replace(where, from.size(), to);
}

// sql/schema.sql with a CHECK on sessions that refuses working_dir '/forbidden'.
std::string schema_with_session_check() {
  return replace_once(schema_text(), "  PRIMARY KEY (owner, tool, host, session_id)\n) STRICT;",
                      "  PRIMARY KEY (owner, tool, host, session_id),\n"
                      "  CHECK (working_dir IS NOT '/forbidden')\n) STRICT;");
}

// sql/schema.sql where sessions.owner references owners(name).
std::string schema_with_owner_fk() {
  return replace_once(schema_text(), "owner       TEXT NOT NULL,",
                      "owner       TEXT NOT NULL REFERENCES owners (name),");
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// 0-based offset of the first byte of 1-based line `n`.
std::int64_t offset_of_line(const std::string& batch, int n) {
  std::size_t pos = 0;
  for (int i = 1; i < n; ++i) pos = batch.find('\n', pos) + 1;
  return static_cast<std::int64_t>(pos);
}

std::string integrity(Db& db) { return db.scalar("PRAGMA integrity_check").value_or("?"); }

bool in_transaction(Db& db) { return sqlite3_get_autocommit(db.handle()) == 0; }

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<Reject> rejects_of_table(Db& db, const std::string& table) {
  return to_ingest(db.query("SELECT line, byte_offset, code, field, message FROM " + table +
                            " ORDER BY rowid"))
      .rejects;
}

// --- the refusals ----------------------------------------------------------

enum class Refusal {
  TurnTriggerNewSession,     // RAISE(ABORT) on turns; the line is its session's only line
  TurnTriggerLaterTurn,      // RAISE(ABORT) on turns; a later turn of an existing session
  SessionTriggerNewSession,  // a CHECK-like trigger on sessions; only line of its session
  SessionCheckLaterTurn,     // a real CHECK on sessions, hit by the update of an existing one
  TurnRaiseFailNewSession,   // RAISE(FAIL): SQLite keeps the statement's earlier changes
  TurnRaiseFailLaterTurn,
};

const char* refusal_name(Refusal r) {
  switch (r) {
    case Refusal::TurnTriggerNewSession:
      return "TurnTriggerNewSession";
    case Refusal::TurnTriggerLaterTurn:
      return "TurnTriggerLaterTurn";
    case Refusal::SessionTriggerNewSession:
      return "SessionTriggerNewSession";
    case Refusal::SessionCheckLaterTurn:
      return "SessionCheckLaterTurn";
    case Refusal::TurnRaiseFailNewSession:
      return "TurnRaiseFailNewSession";
    case Refusal::TurnRaiseFailLaterTurn:
      return "TurnRaiseFailLaterTurn";
  }
  return "?";
}

bool later_turn(Refusal r) {
  return r == Refusal::TurnTriggerLaterTurn || r == Refusal::SessionCheckLaterTurn ||
         r == Refusal::TurnRaiseFailLaterTurn;
}

std::string schema_for(Refusal r) {
  return r == Refusal::SessionCheckLaterTurn ? schema_with_session_check() : schema_text();
}

std::string triggers_for(Refusal r) {
  switch (r) {
    case Refusal::TurnTriggerNewSession:
    case Refusal::TurnTriggerLaterTurn:
      return "CREATE TRIGGER refuse_bad BEFORE INSERT ON turns WHEN NEW.turn_id = 'bad' "
             "BEGIN SELECT RAISE(ABORT, 'no'); END;";
    case Refusal::SessionTriggerNewSession:
      return "CREATE TRIGGER refuse_dir BEFORE INSERT ON sessions "
             "WHEN NEW.working_dir = '/forbidden' BEGIN SELECT RAISE(ABORT, 'no'); END;";
    case Refusal::SessionCheckLaterTurn:
      return "";
    case Refusal::TurnRaiseFailNewSession:
    case Refusal::TurnRaiseFailLaterTurn:
      return "CREATE TRIGGER refuse_bad BEFORE INSERT ON turns WHEN NEW.turn_id = 'bad' "
             "BEGIN SELECT RAISE(FAIL, 'no'); END;";
  }
  return "";
}

// The refused line. A later turn carries a later timestamp, an earlier
// started_at and a working_dir: if any of its session writes stayed, the
// existing session s1 would show it.
std::string bad_line(Refusal r) {
  switch (r) {
    case Refusal::TurnTriggerNewSession:
    case Refusal::TurnRaiseFailNewSession:
      return line(at("11:00") + ",\"session_meta\":{\"working_dir\":\"/w\"}", "sx", "bad");
    case Refusal::SessionTriggerNewSession:
      return line(at("11:00") + ",\"session_meta\":{\"working_dir\":\"/forbidden\"}", "sx", "t1");
    case Refusal::TurnTriggerLaterTurn:
    case Refusal::TurnRaiseFailLaterTurn:
      return line(at("12:00") +
                      ",\"session_meta\":{\"started_at\":\"2025-02-01T00:00:00Z\","
                      "\"working_dir\":\"/w\"}",
                  "s1", "bad");
    case Refusal::SessionCheckLaterTurn:
      return line(at("12:00") +
                      ",\"session_meta\":{\"started_at\":\"2025-02-01T00:00:00Z\","
                      "\"working_dir\":\"/forbidden\"}",
                  "s1", "t9");
  }
  return "";
}

std::string bad_session(Refusal r) { return later_turn(r) ? "s1" : "sx"; }
std::string bad_turn(Refusal r) {
  switch (r) {
    case Refusal::SessionTriggerNewSession:
      return "t1";
    case Refusal::SessionCheckLaterTurn:
      return "t9";
    default:
      return "bad";
  }
}

const char* kOwner = "alice";
constexpr int kBadLine = 3;

std::string seed_line() { return line(at("10:00"), "s1", "t1"); }

// Good lines around the refused line 3; s1 gets turns before and after it.
std::string batch_with(const std::string& line3) {
  return join_lines({line(at("10:01"), "s1", "t2"), line(at("10:02"), "s2", "t1"), line3,
                     line(at("10:03"), "s1", "t3"), line(at("10:04"), "s3", "t1")});
}

// The other inbox rows of the staging-table context.
std::string carol_batch() {
  return join_lines({line(at("09:00"), "c1", "t1"), line(at("09:01"), "c1", "t2")});
}
std::string dave_batch() { return join_lines({line(at("09:30"), "d1", "t1")}); }

// --- the contexts ----------------------------------------------------------

// Readable parameters in gtest's output (CallContext prints itself).
void PrintTo(Refusal r, std::ostream* os) { *os << refusal_name(r); }

struct Outcome {
  int rc = SQLITE_OK;
  std::string error;
  std::vector<Reject> rejects;
  bool count_only = false;  // SELECT count(*): only `count` is known
  std::int64_t count = 0;
  // What the database should hold beyond the seed: (owner, batch) pairs in
  // the order they apply, with the refused line blanked.
  std::vector<std::pair<std::string, std::string>> applied;
};

// The staging-table context: alice's batch between carol's and dave's in an
// inbox, one statement calling lethe_ingest for each row.
Outcome run_staging_join(Db& db, const std::string& batch, const std::string& good_batch) {
  Outcome out;
  db.must(kStagingTableSql);
  db.query("INSERT INTO inbox VALUES (1, 'carol', ?1), (2, ?2, ?3), (3, 'dave', ?4)", carol_batch(),
           kOwner, batch, dave_batch());
  Result r = db.query(call_sql(CallContext::StagingJoin));
  out.rc = r.rc;
  out.error = r.error;
  for (Row& row : r.rows) {
    EXPECT_EQ(row.at(0).value_or("?"), "2") << "reject attributed to the wrong inbox row";
    row.erase(row.begin());
  }
  out.rejects = to_ingest(r).rejects;
  out.applied = {{"carol", carol_batch()}, {kOwner, good_batch}, {"dave", dave_batch()}};
  return out;
}

Outcome run_in_context(Db& db, CallContext context, const std::string& batch,
                       const std::string& good_batch) {
  if (context == CallContext::StagingJoin) return run_staging_join(db, batch, good_batch);
  const bool insert_select =
      context == CallContext::InsertSelect || context == CallContext::InsertSelectInBegin;
  if (insert_select) db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
  db.must(open_sql(context));
  const Result r = db.query(call_sql(context), kOwner, batch);
  db.must(close_sql(context));
  Outcome out;
  out.rc = r.rc;
  out.error = r.error;
  if (!undone_by_caller(context)) out.applied = {{kOwner, good_batch}};
  if (context == CallContext::CountStar) {
    out.count_only = true;
    if (r.ok() && !r.rows.empty()) out.count = std::stoll(r.rows[0][0].value_or("-1"));
  } else if (in_writing_statement(context)) {
    // The rejects are in the caller's table (which CREATE TABLE ... AS
    // makes only when it succeeds).
    if (insert_select || r.ok()) out.rejects = rejects_of_table(db, "rejects");
  } else {
    out.rejects = to_ingest(r).rejects;
  }
  return out;
}

// What the tables hold when exactly the given batches were applied after the
// seed, computed on a clean in-memory database without any refusal.
std::pair<std::vector<Row>, std::vector<Row>> reference_state(
    const std::string& schema, const std::vector<std::pair<std::string, std::string>>& applied) {
  Db ref;
  ref.must(schema);
  Ingest seeded = ingest(ref, kOwner, seed_line());
  EXPECT_TRUE(seeded.ok() && seeded.rejects.empty()) << seeded.error;
  for (const auto& [owner, batch] : applied) {
    Ingest r = ingest(ref, owner, batch);
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_TRUE(r.rejects.empty()) << "reference batch has rejects";
  }
  return {dump(ref, "sessions"), dump(ref, "turns")};
}

// --- contexts x refusals ---------------------------------------------------

class AtomicityContext : public ::testing::TestWithParam<std::tuple<CallContext, Refusal>> {};

TEST_P(AtomicityContext, RefusedLineLeavesNothingAndOthersAreStored) {
  const auto [context, refusal] = GetParam();
  const auto path = temp_dir() / "atomic.db";
  Db db(path.string());
  fast(db);
  const std::string schema = schema_for(refusal);
  db.must(schema);
  Ingest seeded = ingest(db, kOwner, seed_line());
  ASSERT_TRUE(seeded.ok() && seeded.rejects.empty()) << seeded.error;
  const std::string triggers = triggers_for(refusal);
  if (!triggers.empty()) db.must(triggers);

  const std::string batch = batch_with(bad_line(refusal));
  const std::string good_batch = batch_with("");  // line 3 blank: same numbering
  Outcome out = run_in_context(db, context, batch, good_batch);
  ASSERT_EQ(out.rc, SQLITE_OK) << out.error;
  EXPECT_FALSE(in_transaction(db)) << "the call left a transaction open";

  // The refused line is reported as DB_CONSTRAINT at line 3.
  if (out.count_only) {
    EXPECT_EQ(out.count, 1);
    EXPECT_EQ(db.scalar("SELECT lethe_last_ingest() ->> '$.rejected'").value_or("?"), "1");
  } else {
    ASSERT_EQ(out.rejects.size(), 1u);
    const Reject& r = out.rejects[0];
    EXPECT_EQ(r.line, kBadLine);
    EXPECT_EQ(r.byte_offset, offset_of_line(batch, kBadLine));
    EXPECT_EQ(r.code, "DB_CONSTRAINT") << r.message;
    EXPECT_FALSE(r.field.has_value());
    EXPECT_FALSE(r.message.empty());
  }

  // Documented limit: inside a caller's writing statement SQLite refuses
  // savepoints, and RAISE(FAIL) keeps the failed statement's earlier changes
  // by definition, so the refused line's session write (made before its turn
  // write failed) may stay. Its turn must not, and every other line is
  // stored exactly as elsewhere.
  const bool fail_keeps_session_write =
      in_writing_statement(context) &&
      (refusal == Refusal::TurnRaiseFailNewSession || refusal == Refusal::TurnRaiseFailLaterTurn);
  if (fail_keeps_session_write) {
    EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE session_id = '" + bad_session(refusal) +
                       "' AND turn_id = '" + bad_turn(refusal) + "'"),
              0);
    const auto [sessions, turns] = reference_state(schema, out.applied);
    EXPECT_EQ(dump(db, "turns"), turns);
    EXPECT_EQ(integrity(db), "ok");
    return;
  }

  // None of the refused line's writes stayed.
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE session_id = '" + bad_session(refusal) +
                     "' AND turn_id = '" + bad_turn(refusal) + "'"),
            0);
  if (later_turn(refusal)) {
    const bool undone = out.applied.empty();
    Result s1 = db.query(
        "SELECT started_at, ended_at, working_dir FROM sessions "
        "WHERE owner = 'alice' AND session_id = 's1'");
    ASSERT_TRUE(s1.ok()) << s1.error;
    ASSERT_EQ(s1.rows.size(), 1u);
    EXPECT_EQ(s1.rows[0][0], Value(stored("10:00"))) << "started_at moved";
    EXPECT_EQ(s1.rows[0][1], Value(stored(undone ? "10:00" : "10:03"))) << "ended_at moved";
    EXPECT_EQ(s1.rows[0][2], Value()) << "working_dir filled by the refused line";
  } else {
    EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE session_id = 'sx'"), 0)
        << "the refused line's session row stayed";
  }

  // Every other line is stored (or, for the undoing contexts, nothing is).
  const auto [sessions, turns] = reference_state(schema, out.applied);
  EXPECT_EQ(dump(db, "sessions"), sessions);
  EXPECT_EQ(dump(db, "turns"), turns);
  EXPECT_EQ(integrity(db), "ok");
}

INSTANTIATE_TEST_SUITE_P(
    AtomicContexts, AtomicityContext,
    ::testing::Combine(
        ::testing::Values(CallContext::Autocommit, CallContext::BeginCommit,
                          CallContext::BeginRollback, CallContext::SavepointRollbackTo,
                          CallContext::SavepointRelease, CallContext::StagingJoin,
                          CallContext::InsertSelect, CallContext::InsertSelectInBegin,
                          CallContext::CreateTableAs, CallContext::CreateTableAsInBegin,
                          CallContext::Limit1, CallContext::CountStar),
        ::testing::Values(Refusal::TurnTriggerNewSession, Refusal::TurnTriggerLaterTurn,
                          Refusal::SessionTriggerNewSession, Refusal::SessionCheckLaterTurn,
                          Refusal::TurnRaiseFailNewSession, Refusal::TurnRaiseFailLaterTurn)),
    [](const ::testing::TestParamInfo<std::tuple<CallContext, Refusal>>& info) {
      return std::string(context_name(std::get<0>(info.param))) + "_" +
             refusal_name(std::get<1>(info.param));
    });

// The line numbers of a call's rejects, each of which must be DB_CONSTRAINT.
std::vector<std::int64_t> constraint_refused_lines(const Ingest& r) {
  std::vector<std::int64_t> lines;
  for (const Reject& x : r.rejects) {
    lines.push_back(x.line);
    EXPECT_EQ(x.code, "DB_CONSTRAINT") << "line " << x.line;
  }
  return lines;
}

// Several refused lines in one chunk, one in each of two chunks, and the
// refused line first and last: each is retried out without losing others.
TEST(AtomicRefusal, SeveralRefusedLinesAcrossChunks) {
  const auto path = temp_dir() / "several.db";
  Db db(path.string());
  fast(db);
  db.apply_schema();
  db.must(triggers_for(Refusal::TurnTriggerNewSession));
  std::vector<std::string> lines;
  std::vector<std::int64_t> refused;
  const int n = 2100;
  for (int i = 1; i <= n; ++i) {
    const bool bad = i == 1 || i == 500 || i == 501 || i == 1500 || i == n;
    if (bad) {
      refused.push_back(i);
      lines.push_back(line(at("11:00"), "bad-" + std::to_string(i), "bad"));
    } else {
      lines.push_back(line(at("10:00"), "s" + std::to_string(i % 7), "t" + std::to_string(i)));
    }
  }
  Ingest r = ingest(db, kOwner, join_lines(lines));
  ASSERT_TRUE(r.ok()) << r.error;
  const std::vector<std::int64_t> got = constraint_refused_lines(r);
  EXPECT_EQ(got, refused);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), n - static_cast<int>(refused.size()));
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE session_id LIKE 'bad-%'"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 7);
}

// After a refusal lethe writes a chunk in smaller groups of rows (so that
// fewer rows go line by line) and grows them back while lines are accepted.
// Whatever the density of refusals, the outcome must be that of one call
// per line (contract section 7: lines apply in input order). Refused lines
// carry a later timestamp, so a refused line that leaked into its session
// would move ended_at; some refusals and acceptances hit a turn written
// before (the upsert path, through an UPDATE trigger).
TEST(AtomicRefusal, RefusalsOfEveryDensityGiveTheOutcomeOfOneCallPerLine) {
  const std::string triggers =
      "CREATE TRIGGER refuse_insert BEFORE INSERT ON turns WHEN NEW.content = 'refuse' "
      "BEGIN SELECT RAISE(ABORT, 'refused'); END;"
      "CREATE TRIGGER refuse_update BEFORE UPDATE ON turns WHEN NEW.content = 'refuse' "
      "BEGIN SELECT RAISE(ABORT, 'refused'); END;";
  auto refused = [](int i) {
    return (i >= 1200 && i < 1300) ||                 // a dense run
           (i >= 2000 && i < 3500 && i % 37 == 0) ||  // sparse
           i == 4800 || i == 4801 ||                  // a pair after a long clean stretch
           (i >= 5000 && i % 3 == 0);                 // the tail: a third of the lines
  };
  std::vector<std::string> lines;
  const int n = 6200;
  for (int i = 1; i <= n; ++i) {
    // Every 10th line rewrites the turn of the line 5 before it.
    const int turn = i % 10 == 0 ? i - 5 : i;
    const std::string content = refused(i) ? "refuse" : "line " + std::to_string(i);
    lines.push_back(line(at(refused(i) ? "23:00" : "10:" + std::to_string(10 + i % 40)) +
                             ",\"content\":\"" + content + "\"",
                         "s" + std::to_string(i % 11), "t" + std::to_string(turn)));
  }

  Db grouped(":memory:");
  grouped.apply_schema();
  grouped.must(triggers);
  Ingest r = ingest(grouped, kOwner, join_lines(lines));
  ASSERT_TRUE(r.ok()) << r.error;
  const std::vector<std::int64_t> got = constraint_refused_lines(r);

  Db per_line(":memory:");
  per_line.apply_schema();
  per_line.must(triggers);
  std::vector<std::int64_t> expected;
  for (int i = 1; i <= n; ++i) {
    Ingest one = ingest(per_line, kOwner, lines[static_cast<std::size_t>(i - 1)]);
    ASSERT_TRUE(one.ok()) << one.error;
    if (!one.rejects.empty()) expected.push_back(i);
    EXPECT_EQ(one.rejects.empty(), !refused(i)) << "line " << i;
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(dump(grouped, "sessions"), dump(per_line, "sessions"));
  EXPECT_EQ(dump(grouped, "turns"), dump(per_line, "turns"));
  EXPECT_EQ(grouped.count("SELECT count(*) FROM turns WHERE content = 'refuse'"), 0);
}

// A trigger's RAISE(ROLLBACK) undoes the whole transaction SQLite has open,
// which is the call's own in autocommit mode. The call must still be atomic:
// either the line is refused and the others are stored, or the call fails
// and nothing at all stays.
TEST(AtomicRefusal, RaiseRollbackInAutocommitKeepsTheCallAtomic) {
  const auto path = temp_dir() / "raise-rollback.db";
  Db db(path.string());
  fast(db);
  db.apply_schema();
  Ingest seeded = ingest(db, kOwner, seed_line());
  ASSERT_TRUE(seeded.ok()) << seeded.error;
  db.must(
      "CREATE TRIGGER refuse_bad BEFORE INSERT ON turns WHEN NEW.turn_id = 'bad' "
      "BEGIN SELECT RAISE(ROLLBACK, 'no'); END;");
  const auto before_sessions = dump(db, "sessions");
  const auto before_turns = dump(db, "turns");
  const std::string batch = batch_with(bad_line(Refusal::TurnTriggerNewSession));
  Ingest r = ingest(db, kOwner, batch);
  EXPECT_FALSE(in_transaction(db));
  if (r.ok()) {
    ASSERT_EQ(r.rejects.size(), 1u);
    EXPECT_EQ(r.rejects[0].line, kBadLine);
    EXPECT_EQ(r.rejects[0].code, "DB_CONSTRAINT");
    const auto [sessions, turns] = reference_state(schema_text(), {{kOwner, batch_with("")}});
    EXPECT_EQ(dump(db, "sessions"), sessions);
    EXPECT_EQ(dump(db, "turns"), turns);
  } else {
    EXPECT_TRUE(starts_with(r.error, "lethe_ingest:")) << r.error;
    EXPECT_EQ(dump(db, "sessions"), before_sessions) << "batch error, yet lines were written";
    EXPECT_EQ(dump(db, "turns"), before_turns) << "batch error, yet lines were written";
  }
  EXPECT_EQ(integrity(db), "ok");
}

// --- DB_FOREIGN_KEY --------------------------------------------------------

// foreign_keys=ON, sessions.owner REFERENCES owners(name), owners = {alice},
// and a child table turn_labels(label REFERENCES labels) that a trigger on
// turns fills from metadata.label; labels = {ok}.
void make_fk_db(Db& db, bool deferred_child = false) {
  db.must("PRAGMA foreign_keys = ON");
  db.must("CREATE TABLE owners(name TEXT PRIMARY KEY); INSERT INTO owners VALUES ('alice');");
  db.must(schema_with_owner_fk());
  ASSERT_EQ(db.count("SELECT count(*) FROM pragma_foreign_key_list('sessions') "
                     "WHERE \"table\" = 'owners' AND \"from\" = 'owner'"),
            1);
  db.must(
      "CREATE TABLE labels(name TEXT PRIMARY KEY); INSERT INTO labels VALUES ('ok');"
      "CREATE TABLE turn_labels(turn_id TEXT, label TEXT REFERENCES labels (name)" +
      std::string(deferred_child ? " DEFERRABLE INITIALLY DEFERRED" : "") +
      ");"
      "CREATE TRIGGER label_turns AFTER INSERT ON turns BEGIN "
      "  INSERT INTO turn_labels VALUES (NEW.turn_id, NEW.metadata ->> '$.label'); END;");
  Ingest seeded = ingest(db, kOwner, seed_line());
  ASSERT_TRUE(seeded.ok() && seeded.rejects.empty()) << seeded.error;
}

std::string labelled(const std::string& hhmm, const std::string& label, const std::string& session,
                     const std::string& turn) {
  return line(at(hhmm) + ",\"metadata\":{\"label\":\"" + label + "\"}", session, turn);
}

// Lines 2 and 4 point at a label that doesn't exist; 2 is its session's only
// line, 4 is a later turn of the existing session s1.
std::string mixed_fk_batch() {
  return join_lines({labelled("10:01", "ok", "s1", "t2"), labelled("11:00", "nope", "sx", "t1"),
                     line(at("10:02"), "s2", "t1"), labelled("12:00", "nope", "s1", "t4"),
                     labelled("10:03", "ok", "s3", "t1")});
}

TEST(AtomicForeignKey, EveryLineOfAnUnknownOwnerIsRefused) {
  for (int n : {3, 1030}) {
    SCOPED_TRACE("lines: " + std::to_string(n));
    Db db((temp_dir() / "fk.db").string());
    fast(db);
    make_fk_db(db);
    const auto before_sessions = dump(db, "sessions");
    const auto before_turns = dump(db, "turns");
    std::vector<std::string> lines;
    for (int i = 0; i < n; ++i) {
      lines.push_back(line(at("10:00"), "b" + std::to_string(i % 5), "t" + std::to_string(i)));
    }
    lines.push_back("not json");
    Ingest r = ingest(db, "bob", join_lines(lines));
    ASSERT_TRUE(r.ok()) << r.error;
    ASSERT_EQ(r.rejects.size(), static_cast<std::size_t>(n + 1));
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(r.rejects[i].line, i + 1);
      EXPECT_EQ(r.rejects[i].code, "DB_FOREIGN_KEY") << r.rejects[i].message;
    }
    EXPECT_EQ(r.rejects[n].code, "INVALID_JSON");
    EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE owner = 'bob'"), 0);
    EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner = 'bob'"), 0);
    EXPECT_EQ(dump(db, "sessions"), before_sessions);
    EXPECT_EQ(dump(db, "turns"), before_turns);
    EXPECT_EQ(db.count("SELECT count(*) FROM pragma_foreign_key_check"), 0);
  }
}

void child_table_failure_refuses_only_its_lines(bool deferred) {
  for (CallContext context :
       {CallContext::Autocommit, CallContext::BeginCommit, CallContext::SavepointRelease}) {
    SCOPED_TRACE(context_name(context));
    Db db((temp_dir() / "fk-mixed.db").string());
    fast(db);
    make_fk_db(db, deferred);
    Outcome out;
    try {
      out = run_in_context(db, context, mixed_fk_batch(), "");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the caller's own statement failed: " << e.what();
      continue;
    }
    if (out.rc != SQLITE_OK) {
      ADD_FAILURE() << "the call failed: " << out.error;
      continue;
    }
    ASSERT_EQ(out.rejects.size(), 2u);
    EXPECT_EQ(out.rejects[0].line, 2);
    EXPECT_EQ(out.rejects[0].code, "DB_FOREIGN_KEY") << out.rejects[0].message;
    EXPECT_EQ(out.rejects[1].line, 4);
    EXPECT_EQ(out.rejects[1].code, "DB_FOREIGN_KEY") << out.rejects[1].message;
    EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE session_id = 'sx'"), 0);
    EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE turn_id = 't4'"), 0);
    EXPECT_EQ(db.scalar("SELECT ended_at FROM sessions WHERE session_id = 's1'"),
              Value(stored("10:01")));
    EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 4);  // seed t1 + lines 1, 3, 5
    EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 3);
    EXPECT_EQ(db.scalar("SELECT group_concat(label, ',') FROM "
                        "(SELECT coalesce(label, '-') AS label FROM turn_labels ORDER BY rowid)"),
              Value("-,ok,-,ok"));
    EXPECT_EQ(db.count("SELECT count(*) FROM pragma_foreign_key_check"), 0);
  }
}

TEST(AtomicForeignKey, ChildTableFailureRefusesOnlyItsLines) {
  child_table_failure_refuses_only_its_lines(false);
}

// The same with the child's foreign key DEFERRABLE INITIALLY DEFERRED: SQLite
// then reports the violation only at COMMIT, yet it is still the line's.
TEST(AtomicForeignKey, DeferredChildTableFailureRefusesOnlyItsLines) {
  child_table_failure_refuses_only_its_lines(true);
}

// Inside a caller's writing statement a foreign-key failure can't be pinned
// on a line: the call fails as a batch error and writes nothing.
TEST(AtomicForeignKey, InsideAWritingStatementIsABatchError) {
  struct Case {
    const char* name;
    std::string owner;
    std::string batch;
  };
  const Case cases[] = {{"unknown owner", "bob", join_lines({line(), line("", "s2")})},
                        {"child table", kOwner, mixed_fk_batch()}};
  const char* statements[] = {"INSERT INTO rejects SELECT * FROM lethe_ingest(?1, ?2)",
                              "CREATE TABLE rejects2 AS SELECT * FROM lethe_ingest(?1, ?2)"};
  for (const Case& c : cases) {
    for (const char* sql : statements) {
      for (bool txn : {false, true}) {
        SCOPED_TRACE(std::string(c.name) + " | " + sql + (txn ? " | in BEGIN" : ""));
        Db db((temp_dir() / "fk-batch.db").string());
        fast(db);
        make_fk_db(db);
        db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
        db.must("CREATE TABLE notes(x)");
        const auto before_sessions = dump(db, "sessions");
        const auto before_turns = dump(db, "turns");
        if (txn) db.must("BEGIN; INSERT INTO notes VALUES ('mine');");
        Result r = db.query(sql, c.owner, c.batch);
        EXPECT_FALSE(r.ok()) << "the call did not fail";
        EXPECT_TRUE(starts_with(r.error, "lethe_ingest:")) << r.error;
        EXPECT_NE(lower(r.error).find("foreign key"), std::string::npos) << r.error;
        if (txn) {
          EXPECT_TRUE(in_transaction(db)) << "the caller's transaction was rolled back";
          EXPECT_EQ(db.count("SELECT count(*) FROM notes"), 1);
          db.must("COMMIT");
        }
        EXPECT_EQ(db.count("SELECT count(*) FROM notes"), txn ? 1 : 0);
        EXPECT_EQ(db.count("SELECT count(*) FROM rejects"), 0);
        EXPECT_EQ(db.count("SELECT count(*) FROM sqlite_schema WHERE name = 'rejects2'"), 0);
        EXPECT_EQ(dump(db, "sessions"), before_sessions);
        EXPECT_EQ(dump(db, "turns"), before_turns);
        EXPECT_EQ(db.count("SELECT count(*) FROM turn_labels"), 1);  // the seed's
        EXPECT_EQ(integrity(db), "ok");
      }
    }
  }
}

// --- DB_UPSERT -------------------------------------------------------------

// SQLITE_LIMIT_LENGTH applies to the bound batch as well (SQLite refuses a
// parameter longer than the limit before lethe sees it), and the batch holds
// the too-big line. So the limit is lowered once the call is running: a
// progress handler does it as soon as the connection is inside the call's
// transaction (autocommit mode, where lethe's SAVEPOINT opens it).
struct LimitLowerer {
  sqlite3* db = nullptr;
  int limit = 0;
  bool lowered = false;
};

int lower_limit_inside_call(void* arg) {
  auto* l = static_cast<LimitLowerer*>(arg);
  if (!l->lowered && sqlite3_get_autocommit(l->db) == 0) {
    sqlite3_limit(l->db, SQLITE_LIMIT_LENGTH, l->limit);
    l->lowered = true;
  }
  return 0;
}

Ingest ingest_with_length_limit(Db& db, const std::string& owner, const std::string& batch,
                                int limit) {
  sqlite3* h = db.handle();
  const int old_limit = sqlite3_limit(h, SQLITE_LIMIT_LENGTH, -1);
  LimitLowerer lowerer{h, limit};
  sqlite3_progress_handler(h, 1, lower_limit_inside_call, &lowerer);
  Ingest r = ingest(db, owner, batch);
  sqlite3_progress_handler(h, 0, nullptr, nullptr);
  sqlite3_limit(h, SQLITE_LIMIT_LENGTH, old_limit);
  EXPECT_TRUE(lowerer.lowered) << "test setup: the limit was never lowered";
  return r;
}

TEST(AtomicUpsert, ValueTooBigRefusesOnlyItsLine) {
  Db db((temp_dir() / "toobig.db").string());
  fast(db);
  db.apply_schema();
  Ingest seeded = ingest(db, kOwner, seed_line());
  ASSERT_TRUE(seeded.ok()) << seeded.error;
  const int limit = 2000;
  const std::string big(limit + 10, 'x');
  const std::string batch = join_lines(
      {line(at("10:01"), "s1", "t2"), line(at("10:02"), "s2", "t1"),
       line(at("11:00") + ",\"content\":\"" + big + "\"", "sx", "t1"),
       line(at("12:00") + ",\"content\":\"" + big + "\"", "s1", "t9"),
       line(at("10:03") + ",\"content\":\"small\"", "s1", "t3"), line(at("10:04"), "s3", "t1")});
  Ingest r = ingest_with_length_limit(db, kOwner, batch, limit);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[0].line, 3);
  EXPECT_EQ(r.rejects[0].code, "DB_UPSERT") << r.rejects[0].message;
  EXPECT_EQ(r.rejects[1].line, 4);
  EXPECT_EQ(r.rejects[1].code, "DB_UPSERT") << r.rejects[1].message;
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE session_id = 'sx'"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE turn_id = 't9'"), 0);
  EXPECT_EQ(db.scalar("SELECT ended_at FROM sessions WHERE session_id = 's1'"),
            Value(stored("10:03")));
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 5);
  EXPECT_EQ(db.scalar("SELECT content FROM turns WHERE session_id = 's1' AND turn_id = 't3'"),
            Value("small"));
}

// Each value under the limit, but the line's row as a whole over it: still
// that line's problem (DB_UPSERT), not the batch's.
TEST(AtomicUpsert, RowTooBigRefusesOnlyItsLine) {
  Db db((temp_dir() / "rowtoobig.db").string());
  fast(db);
  db.apply_schema();
  const int limit = 2000;
  const std::string half(limit * 3 / 4, 'y');
  const std::string batch =
      join_lines({line(at("10:01"), "s1", "t1"),
                  line(at("11:00") + ",\"content\":\"" + half + "\",\"model\":\"m\"" +
                           ",\"metadata\":{\"k\":\"" + half + "\"}",
                       "sx", "t1"),
                  line(at("10:03"), "s2", "t1")});
  Ingest r = ingest_with_length_limit(db, kOwner, batch, limit);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 2);
  EXPECT_EQ(r.rejects[0].code, "DB_UPSERT") << r.rejects[0].message;
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE session_id = 'sx'"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 2);
}

// A line that each table can store on its own (turns and sessions rows both
// under the limit) must be stored, whatever lethe's own plumbing needs.
TEST(AtomicUpsert, LineThatFitsBothTablesIsStored) {
  Db db((temp_dir() / "fits.db").string());
  fast(db);
  db.apply_schema();
  const int limit = 2000;
  const std::string part(1200, 'z');
  const std::string batch =
      join_lines({line(at("10:01"), "s1", "t1"),
                  line(at("11:00") + ",\"content\":\"" + part +
                           "\",\"session_meta\":{\"metadata\":{\"k\":\"" + part + "\"}}",
                       "s2", "t1")});
  Ingest r = ingest_with_length_limit(db, kOwner, batch, limit);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.rejects.empty()) << r.rejects[0].code << ": " << r.rejects[0].message;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 2);
  EXPECT_EQ(db.count("SELECT length(content) FROM turns WHERE session_id = 's2'"), 1200);
}

// --- the caller's own work -------------------------------------------------

std::string many_good_lines(int n) {
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i) {
    lines.push_back(line(at("10:00"), "m" + std::to_string(i % 9), "t" + std::to_string(i)));
  }
  return join_lines(lines);
}

TEST(AtomicCallerWork, EarlierWorkInTheTransactionSurvivesAFailingCall) {
  struct Case {
    const char* name;
    std::string sql;
    std::string owner;
    std::string batch;
    bool fails;
  };
  const std::string over_max_errors = many_good_lines(1500) + "x\ny\nz\n";
  const Case cases[] = {
      {"bad options", "SELECT * FROM lethe_ingest(?1, ?2, '{\"nope\":1}')", kOwner,
       many_good_lines(3), true},
      {"max_errors after a written chunk",
       "SELECT * FROM lethe_ingest(?1, ?2, '{\"max_errors\":2}')", kOwner, over_max_errors, true},
      {"max_errors inside INSERT ... SELECT",
       "INSERT INTO rejects SELECT * FROM lethe_ingest(?1, ?2, '{\"max_errors\":2}')", kOwner,
       over_max_errors, true},
      {"foreign key inside INSERT ... SELECT",
       "INSERT INTO rejects SELECT * FROM lethe_ingest(?1, ?2)", "bob", many_good_lines(3), true},
      {"a refused line (no failure)", "SELECT * FROM lethe_ingest(?1, ?2)", kOwner,
       batch_with(bad_line(Refusal::TurnTriggerLaterTurn)), false},
      {"a refused line inside INSERT ... SELECT",
       "INSERT INTO rejects SELECT * FROM lethe_ingest(?1, ?2)", kOwner,
       batch_with(bad_line(Refusal::TurnTriggerLaterTurn)), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto path = temp_dir() / "caller.db";
    {
      Db db(path.string());
      fast(db);
      make_fk_db(db);
      db.must(triggers_for(Refusal::TurnTriggerLaterTurn));
      db.must(
          "CREATE TABLE notes(x); CREATE TABLE rejects(line, byte_offset, code, field, "
          "message);");
      db.must(
          "BEGIN; INSERT INTO notes VALUES ('mine');"
          "INSERT INTO sessions VALUES ('alice', 'manual', 'h', 'own', "
          "'2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', NULL, NULL, NULL);"
          "UPDATE sessions SET working_dir = '/mine' WHERE session_id = 's1';");
      Result r = db.query(c.sql, c.owner, c.batch);
      EXPECT_EQ(r.ok(), !c.fails) << r.error;
      if (c.fails) {
        EXPECT_TRUE(starts_with(r.error, "lethe_ingest:")) << r.error;
      }
      ASSERT_TRUE(in_transaction(db)) << "the caller's transaction is gone";
      EXPECT_EQ(db.count("SELECT count(*) FROM notes"), 1);
      EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE tool = 'manual'"), 1);
      EXPECT_EQ(db.scalar("SELECT working_dir FROM sessions WHERE session_id = 's1'"),
                Value("/mine"));
      db.must("INSERT INTO notes VALUES ('after')");  // still usable
      db.must("COMMIT");
    }
    Db reopened(path.string());
    EXPECT_EQ(reopened.count("SELECT count(*) FROM notes"), 2);
    EXPECT_EQ(reopened.count("SELECT count(*) FROM sessions WHERE tool = 'manual'"), 1);
    EXPECT_EQ(reopened.scalar("SELECT working_dir FROM sessions WHERE session_id = 's1'"),
              Value("/mine"));
    EXPECT_EQ(reopened.count("SELECT count(*) FROM turns WHERE turn_id = 'bad'"), 0);
    if (c.fails) {
      EXPECT_EQ(reopened.count("SELECT count(*) FROM turns"), 1);  // the seed only
      EXPECT_EQ(reopened.count("SELECT count(*) FROM sessions"), 2);
    } else {
      EXPECT_EQ(reopened.count("SELECT count(*) FROM turns"), 5);
      EXPECT_EQ(reopened.scalar("SELECT ended_at FROM sessions WHERE session_id = 's1'"),
                Value(stored("10:03")));
    }
    EXPECT_EQ(integrity(reopened), "ok");
  }
}

// --- DIRECTONLY ------------------------------------------------------------

TEST(AtomicDirectOnly, AViewCannotCallIt) {
  Db db;
  db.apply_schema();
  Result made = db.query("CREATE VIEW v AS SELECT * FROM lethe_ingest('x', '" + line() + "')");
  if (made.ok()) {
    Result r = db.query("SELECT * FROM v");
    EXPECT_FALSE(r.ok()) << "a view reached lethe_ingest";
    EXPECT_NE(r.error.find("lethe_ingest"), std::string::npos) << r.error;
    EXPECT_FALSE(db.query("SELECT count(*) FROM v").ok());
    EXPECT_FALSE(db.query("SELECT * FROM (SELECT * FROM v) LIMIT 1").ok());
  }
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 0);
  // A view in a database from a stranger: attached or opened, same answer.
  const auto path = temp_dir() / "stranger.db";
  {
    Db stranger(path.string(), false);
    fast(stranger);
    stranger.apply_schema();
    stranger.must("CREATE VIEW v AS SELECT * FROM lethe_ingest('x', '" + line() + "')");
  }
  Db victim(path.string());
  EXPECT_FALSE(victim.query("SELECT * FROM v").ok());
  EXPECT_EQ(victim.count("SELECT count(*) FROM turns"), 0);
}

TEST(AtomicDirectOnly, ATriggerCannotCallIt) {
  Db db;
  db.apply_schema();
  db.must("CREATE TABLE feed(owner TEXT, body TEXT); CREATE TABLE log(a, b, c, d, e);");
  const char* triggers[] = {
      "CREATE TRIGGER feed_ingest AFTER INSERT ON feed BEGIN "
      "INSERT INTO log SELECT * FROM lethe_ingest(NEW.owner, NEW.body); END;",
      "CREATE TRIGGER feed_ingest AFTER INSERT ON feed BEGIN "
      "SELECT count(*) FROM lethe_ingest(NEW.owner, NEW.body); END;",
  };
  for (const char* trigger : triggers) {
    SCOPED_TRACE(trigger);
    db.must("DROP TRIGGER IF EXISTS feed_ingest");
    Result made = db.query(trigger);
    if (!made.ok()) continue;  // refused at creation: fine too
    Result r = db.query("INSERT INTO feed VALUES ('alice', ?1)", line());
    EXPECT_FALSE(r.ok()) << "a trigger reached lethe_ingest";
    EXPECT_EQ(db.count("SELECT count(*) FROM feed"), 0);
    EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
    EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 0);
  }
}

}  // namespace
