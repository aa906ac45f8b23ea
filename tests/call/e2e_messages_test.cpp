// Messages as a new user meets them (issue 8 item 11), end to end through a
// real connection: each mistake a first call commonly makes gets a message
// that names the mistake, not a symptom of it.
#include <gtest/gtest.h>

#include <string>

#include "support/e2e_support.hpp"

using namespace lethe_test;

namespace {

const std::string kSelect = "SELECT line, byte_offset, code, field, message FROM lethe_ingest";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// lethe_ingest('ana', 'transcripts.ndjson'): the file's name, not its
// contents. The one row quotes the name and shows the readfile() call.
TEST(NewUserMessages, FileNameInsteadOfContentsSuggestsReadfile) {
  Db db;
  db.apply_schema();
  for (const std::string& path :
       {std::string("transcripts.ndjson"), std::string("/home/ana/x.jsonl")}) {
    Ingest r = to_ingest(db.query(kSelect + "('ana', '" + path + "')"));
    ASSERT_TRUE(r.ok()) << r.error;
    ASSERT_EQ(r.rejects.size(), 1u);
    EXPECT_EQ(r.rejects[0].code, "INVALID_JSON");
    EXPECT_FALSE(r.rejects[0].field.has_value());
    EXPECT_TRUE(contains(r.rejects[0].message, "readfile('" + path + "')")) << r.rejects[0].message;
    EXPECT_FALSE(contains(r.rejects[0].message, "at byte 0")) << r.rejects[0].message;
  }
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
}

// 2026-02-30 does not exist: the message says so instead of asking for a
// time zone the value already has.
TEST(NewUserMessages, ImpossibleDateSaysTheDateDoesNotExist) {
  Db db;
  db.apply_schema();
  const std::string bad[] = {"2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z", "2026-03-01T24:00:00Z",
                             "2025-02-29T10:00:00Z"};
  std::string batch;
  for (const std::string& ts : bad) {
    batch += line("\"timestamp\":\"" + ts + "\"", "s1", "t-" + ts) + "\n";
  }
  batch += line("\"timestamp\":\"2024-02-29T10:00:00Z\"", "s1", "leap-day") + "\n";
  Ingest r = ingest(db, "ana", batch);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 4u);
  EXPECT_TRUE(contains(r.rejects[0].message, "February 2026 has 28 days")) << r.rejects[0].message;
  EXPECT_TRUE(contains(r.rejects[1].message, "there is no month 13")) << r.rejects[1].message;
  EXPECT_TRUE(contains(r.rejects[2].message, "time that does not exist")) << r.rejects[2].message;
  EXPECT_TRUE(contains(r.rejects[3].message, "February 2025 has 28 days")) << r.rejects[3].message;
  for (const Reject& reject : r.rejects) {
    EXPECT_EQ(reject.code, "INVALID_FIELD");
    EXPECT_EQ(reject.field, "timestamp");
    EXPECT_FALSE(contains(reject.message, "time zone")) << reject.message;
  }
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 1);  // the real leap day
}

// A non-text owner: the batch error names the type it got, as typeof() does.
TEST(NewUserMessages, NonTextOwnerNamesTheTypeItGot) {
  Db db;
  db.apply_schema();
  const std::string ndjson = line();
  const std::string sql = kSelect + "(?1, ?2)";
  const std::pair<Ingest, std::string> cases[] = {
      {to_ingest(db.query(sql, 42, ndjson)), "owner must be text, got INTEGER"},
      {to_ingest(db.query(sql, 4.5, ndjson)), "owner must be text, got REAL"},
      {to_ingest(db.query(sql, Db::BlobArg{"ana"}, ndjson)), "owner must be text, got BLOB"},
      {to_ingest(db.query(sql, nullptr, ndjson)), "owner must be text, got NULL"},
  };
  for (const auto& [r, expected] : cases) {
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error.rfind("lethe_ingest: ", 0), 0u) << r.error;
    EXPECT_TRUE(contains(r.error, expected)) << r.error;
  }
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
}

// A trigger that calls lethe_ingest: the nested call is refused, and the
// statement's error says so once, names no cause that isn't one (the schema
// is fine) and says that nothing was written. In autocommit and inside the
// caller's transaction, from a trigger on turns and on sessions.
TEST(NewUserMessages, NestedCallSaysSoOnce) {
  for (const char* table : {"turns", "sessions"}) {
    for (bool in_transaction : {false, true}) {
      SCOPED_TRACE(std::string("trigger on ") + table +
                   (in_transaction ? ", in BEGIN" : ", autocommit"));
      Db db;
      db.apply_schema();
      db.must(std::string("CREATE TEMP TRIGGER nested AFTER INSERT ON main.") + table +
              " BEGIN SELECT count(*) FROM lethe_ingest('ana', '" + line("", "inner", "i1") +
              "'); END");
      if (in_transaction) db.must("BEGIN");
      const Ingest r = to_ingest(db.query(kSelect + "('ana', ?1)", line()));
      if (in_transaction) db.must("ROLLBACK");
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error,
                "lethe_ingest: calls don't nest: this lethe_ingest was reached from a trigger "
                "(or a function) while another lethe_ingest runs on the same connection; a "
                "trigger on sessions or turns must not call it; nothing of this call was written");
      EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
    }
  }
}

}  // namespace
