// lethe_stats(): the totals of a connection's lethe_ingest calls since it
// loaded lethe or since lethe_stats('reset'), end to end through a real
// connection.
#include <gtest/gtest.h>

#include <string>

#include "support/e2e_support.hpp"

using namespace lethe_test;

namespace {

std::int64_t stat(Db& db, const std::string& path) {
  const Value v = db.scalar("SELECT json_extract(lethe_stats(), '$." + path + "')");
  return v ? std::stoll(*v) : -1;
}

TEST(Stats, CountEveryCallSinceLoadOrReset) {
  Db db;
  db.apply_schema();
  // Nothing yet: zeros, and the time the connection loaded lethe.
  EXPECT_EQ(stat(db, "calls"), 0);
  EXPECT_EQ(stat(db, "rejected_by_code.INVALID_JSON"), 0);
  EXPECT_TRUE(db.scalar("SELECT json_extract(lethe_stats(), '$.since') GLOB "
                        "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'") == Value("1"));

  // Two good lines and three bad ones (two INVALID_JSON, one MISSING_FIELD).
  const std::string batch = line("", "s", "t1") + "\n" + line("", "s", "t2") + "\n{oops\n[]\n" +
                            "{\"tool\":\"t\",\"host\":\"h\",\"session_id\":\"s\"}\n";
  ASSERT_TRUE(ingest(db, "ana", batch).ok());
  // A dry run counts as a call and its lines.
  ASSERT_TRUE(ingest(db, "ana", line("", "s", "t3"), "{\"dry_run\": true}").ok());
  // A call that fails (a batch error): a failed call, nothing else.
  ASSERT_FALSE(ingest(db, "ana", batch, "{\"max_errors\": 0}").ok());

  EXPECT_EQ(stat(db, "calls"), 3);
  EXPECT_EQ(stat(db, "failed_calls"), 1);
  EXPECT_EQ(stat(db, "dry_run_calls"), 1);
  EXPECT_EQ(stat(db, "lines"), 6);
  EXPECT_EQ(stat(db, "accepted"), 3);
  EXPECT_EQ(stat(db, "rejected"), 3);
  EXPECT_EQ(stat(db, "rejected_by_code.INVALID_JSON"), 2);
  EXPECT_EQ(stat(db, "rejected_by_code.MISSING_FIELD"), 1);
  EXPECT_EQ(stat(db, "rejected_by_code.DB_CONSTRAINT"), 0);
  EXPECT_EQ(stat(db, "bytes"),
            static_cast<std::int64_t>(batch.size() + line("", "s", "t3").size()));
  EXPECT_TRUE(db.scalar("SELECT json_extract(lethe_stats(), '$.elapsed_ms') > 0") == Value("1"));

  // A line the database refuses is counted under its code.
  db.must(
      "CREATE TEMP TRIGGER no_t9 BEFORE INSERT ON turns WHEN NEW.turn_id = 't9' "
      "BEGIN SELECT RAISE(ABORT, 'no'); END");
  ASSERT_TRUE(ingest(db, "ana", line("", "s", "t9")).ok());
  EXPECT_EQ(stat(db, "rejected_by_code.DB_CONSTRAINT"), 1);

  // 'reset' returns the totals so far, then starts again.
  const Value before = db.scalar("SELECT json_extract(lethe_stats('reset'), '$.calls')");
  EXPECT_EQ(before, Value("4"));
  EXPECT_EQ(stat(db, "calls"), 0);
  EXPECT_EQ(stat(db, "rejected_by_code.INVALID_JSON"), 0);
  ASSERT_TRUE(ingest(db, "ana", line("", "s", "t4")).ok());
  EXPECT_EQ(stat(db, "calls"), 1);
  EXPECT_EQ(stat(db, "accepted"), 1);

  // Another word is an error, and a view can't reset the totals.
  const Result wrong = db.query("SELECT lethe_stats('clear')");
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error.find("'reset'"), std::string::npos) << wrong.error;
  db.must("CREATE VIEW resets AS SELECT lethe_stats('reset') AS s");
  EXPECT_FALSE(db.query("SELECT * FROM resets").ok());
  EXPECT_EQ(stat(db, "calls"), 1);
}

// Each connection has its own totals.
TEST(Stats, PerConnection) {
  const auto dir = temp_dir();
  const std::string path = (dir / "a.db").string();
  Db a(path);
  a.apply_schema();
  Db b(path);
  ASSERT_TRUE(ingest(a, "ana", line()).ok());
  EXPECT_EQ(stat(a, "calls"), 1);
  EXPECT_EQ(stat(b, "calls"), 0);
}

}  // namespace
