// Batches of 4 MiB or more are parsed on a worker thread while the caller's
// thread writes. These tests make sure that path gives exactly the results of
// the sequential one, and that every way a call can fail stops the worker
// and leaves nothing behind.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

using namespace lethe_test;

namespace {

// About 6 MiB: lines of ~1 KiB, every 97th invalid, turn "refuse-me" refused
// by a trigger, spread over chunks of 1024, 2048 and then more lines.
std::string big_batch(int lines) {
  std::string batch;
  const std::string filler(900, 'x');
  for (int i = 0; i < lines; ++i) {
    const std::string turn = i == 4321 ? "refuse-me" : "t" + std::to_string(i);
    if (i % 97 == 13) {
      batch += "{\"tool\":\"t\",\"seq\":\"bad\"}\n";
    } else {
      batch += line("\"content\":\"" + filler + "\",\"seq\":" + std::to_string(i),
                    "s" + std::to_string(i % 50), turn) +
               "\n";
    }
  }
  return batch;
}

constexpr const char* kRefuseTrigger =
    "CREATE TRIGGER refuse BEFORE INSERT ON turns WHEN NEW.turn_id = 'refuse-me' "
    "BEGIN SELECT RAISE(ABORT, 'refused'); END;";

struct Outcome {
  std::vector<Row> rejects;
  std::vector<Row> sessions;
  std::vector<Row> turns;
};

Outcome run(const std::string& sql, const std::string& batch) {
  Db db;
  db.apply_schema();
  db.must(kRefuseTrigger);
  db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
  Result r = db.query(sql, std::string("alice"), batch);
  if (!r.ok()) throw std::runtime_error(r.error);
  return {db.query("SELECT line, byte_offset, code, field FROM rejects ORDER BY line").rows,
          dump(db, "sessions"), dump(db, "turns")};
}

}  // namespace

TEST(Pipeline, GivesTheSameResultsAsTheSequentialPath) {
  const std::string batch = big_batch(6000);
  ASSERT_GT(batch.size(), 4u << 20) << "the batch must be big enough to be pipelined";
  // Directly (savepoint mode: pipelined) and inside INSERT ... SELECT (one
  // statement, parsed sequentially).
  Db db;
  db.apply_schema();
  db.must(kRefuseTrigger);
  Ingest direct = ingest(db, "alice", batch);
  ASSERT_TRUE(direct.ok()) << direct.error;
  const Outcome sequential = run("INSERT INTO rejects SELECT * FROM lethe_ingest(?1, ?2)", batch);

  std::vector<Row> direct_rejects;
  for (const Reject& r : direct.rejects) {
    direct_rejects.push_back(
        {std::to_string(r.line), std::to_string(r.byte_offset), r.code, r.field});
  }
  EXPECT_EQ(direct_rejects, sequential.rejects);
  EXPECT_EQ(direct.rejects.size(), 6000u / 97 + 1 + 1);  // invalid lines + the refused one
  EXPECT_EQ(dump(db, "sessions"), sequential.sessions);
  EXPECT_EQ(dump(db, "turns"), sequential.turns);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE turn_id = 'refuse-me'"), 0);
}

TEST(Pipeline, MaxErrorsStopsTheWorkerAndWritesNothing) {
  Db db;
  db.apply_schema();
  const std::string batch = big_batch(6000);
  Ingest r = ingest(db, "alice", batch, "{\"max_errors\": 20}");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("max_errors"), std::string::npos) << r.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 0);
  // The connection is usable and the next call succeeds.
  Ingest again = ingest(db, "alice", batch);
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_GT(db.count("SELECT count(*) FROM turns"), 5000);
}

TEST(Pipeline, DiskFullStopsTheWorkerAndWritesNothing) {
  const auto path = temp_dir() / "full.db";
  Db db(path.string());
  db.apply_schema();
  const std::int64_t pages = db.count("PRAGMA page_count");
  db.must("PRAGMA max_page_count = " + std::to_string(pages + 300));  // ~1.2 MB more
  Ingest r = ingest(db, "alice", big_batch(6000));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.rc, SQLITE_FULL) << r.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
  EXPECT_EQ(db.scalar("PRAGMA integrity_check"), Value("ok"));
  EXPECT_EQ(sqlite3_get_autocommit(db.handle()), 1);
}

TEST(Pipeline, InterruptStopsTheWorkerAndWritesNothing) {
  Db db;
  db.apply_schema();
  int calls = 0;
  sqlite3_progress_handler(
      db.handle(), 1000, [](void* arg) { return ++*static_cast<int*>(arg) > 200 ? 1 : 0; }, &calls);
  Ingest r = ingest(db, "alice", big_batch(6000));
  sqlite3_progress_handler(db.handle(), 0, nullptr, nullptr);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("interrupt"), std::string::npos) << r.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
  EXPECT_EQ(sqlite3_get_autocommit(db.handle()), 1);
}
