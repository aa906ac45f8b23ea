// When the OS refuses lethe a worker thread (a process or cgroup thread
// limit, a sandbox), a big batch is parsed on the caller's thread instead:
// same rejects, same tables, nothing lost. A binary of its own because it
// replaces pthread_create for the whole process, the lethe module included
// (the executable's definition comes first in the dynamic linker's lookup).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/fault_support.hpp"

namespace {

std::atomic<bool> g_refuse_threads{false};
std::atomic<int> g_thread_requests{0};  // every pthread_create, refused or not

}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                              void* arg) {
  ++g_thread_requests;
  if (g_refuse_threads) return EAGAIN;  // what the OS says at a thread limit
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const auto real = reinterpret_cast<Create>(dlsym(RTLD_NEXT, "pthread_create"));
  return real(thread, attr, start, arg);
}

namespace {

using namespace lethe_fault;
using lethe_test::Reject;

// Over 4 MiB (lethe pipelines from there on), with lines the wire contract
// rejects and one the database refuses, over several chunks of 1024 lines.
std::string big_batch() {
  std::string out = batch(4500, 1000, "big");
  out += "{\"tool\":\"t\",\"seq\":\"bad\"}\n";
  out += lethe_test::line("", "big-s1", "refuse-me") + "\n";
  out += "not json\n";
  out += batch(300, 1000, "tail");
  return out;
}

struct Outcome {
  lethe_test::Ingest ingest;
  int thread_requests = 0;
  std::vector<Row> sessions;
  std::vector<Row> turns;
};

Outcome ingest_with_threads(bool refused, bool in_transaction) {
  Db db;
  db.apply_schema();
  db.must(
      "CREATE TRIGGER refuse BEFORE INSERT ON turns WHEN NEW.turn_id = 'refuse-me' "
      "BEGIN SELECT RAISE(ABORT, 'refused'); END;");
  if (in_transaction) db.must("BEGIN");
  const std::string b = big_batch();
  g_thread_requests = 0;
  g_refuse_threads = refused;
  Outcome out;
  out.ingest = lethe_test::ingest(db, "alice", b);
  g_refuse_threads = false;
  out.thread_requests = g_thread_requests;
  if (in_transaction) db.must("COMMIT");
  out.sessions = lethe_test::dump(db, "sessions");
  out.turns = lethe_test::dump(db, "turns");
  return out;
}

std::vector<std::string> describe(const std::vector<Reject>& rejects) {
  std::vector<std::string> out;
  for (const Reject& r : rejects) {
    out.push_back(std::to_string(r.line) + "@" + std::to_string(r.byte_offset) + " " + r.code +
                  " " + r.field.value_or("NULL"));
  }
  return out;
}

class NoThread : public ::testing::TestWithParam<bool> {};

TEST_P(NoThread, RefusedWorkerThreadGivesTheSameResults) {
  const bool in_transaction = GetParam();
  ASSERT_GT(big_batch().size(), std::size_t{4} << 20);
  if (std::thread::hardware_concurrency() < 2) {
    GTEST_SKIP() << "one CPU: lethe never asks for a worker thread here";
  }

  const Outcome pipelined = ingest_with_threads(false, in_transaction);
  ASSERT_TRUE(pipelined.ingest.ok()) << pipelined.ingest.error;
  ASSERT_GE(pipelined.thread_requests, 1)
      << "the big batch was not pipelined: the test proves nothing";

  const Outcome fallback = ingest_with_threads(true, in_transaction);
  ASSERT_GE(fallback.thread_requests, 1) << "lethe did not ask for a thread";
  ASSERT_TRUE(fallback.ingest.ok())
      << "a refused thread failed the call: " << fallback.ingest.error;
  EXPECT_EQ(describe(fallback.ingest.rejects), describe(pipelined.ingest.rejects));
  ASSERT_EQ(fallback.ingest.rejects.size(), 3u);
  EXPECT_EQ(fallback.ingest.rejects[1].code, "DB_CONSTRAINT");
  EXPECT_EQ(fallback.sessions, pipelined.sessions);
  EXPECT_EQ(fallback.turns, pipelined.turns);
  EXPECT_EQ(static_cast<std::int64_t>(fallback.turns.size()),
            distinct_turns(4500) + distinct_turns(300));
}

// lethe_sync reads a home's files on the parsing thread while it writes
// the previous one; refused that thread, it reads and writes them in turn:
// the same rows and tables.
struct SyncOutcome {
  int thread_requests = 0;
  lethe_test::Result rows;
  std::vector<Row> turns;
};

SyncOutcome sync_with_threads(bool refused, const std::string& home) {
  Db db;
  db.apply_schema();
  g_thread_requests = 0;
  g_refuse_threads = refused;
  SyncOutcome out;
  out.rows = db.query(
      "SELECT path, format, code, lines, accepted, rejected FROM lethe_sync(?1, "
      "'{\"host\": \"h\", \"owner\": \"o\"}')",
      home);
  g_refuse_threads = false;
  out.thread_requests = g_thread_requests;
  out.turns = lethe_test::dump(db, "turns");
  return out;
}

TEST(NoThreadSync, ARefusedThreadGivesTheSameSync) {
  if (std::thread::hardware_concurrency() < 2) {
    GTEST_SKIP() << "one CPU: lethe never asks for a worker thread here";
  }
  const std::filesystem::path home = lethe_test::temp_dir() / "home";
  std::filesystem::copy(lethe_test::source_path("tests/clients/sync/home"), home,
                        std::filesystem::copy_options::recursive);
  const SyncOutcome pipelined = sync_with_threads(false, home.string());
  ASSERT_TRUE(pipelined.rows.ok()) << pipelined.rows.error;
  ASSERT_GE(pipelined.thread_requests, 1) << "the files were not read on a second thread";
  const SyncOutcome fallback = sync_with_threads(true, home.string());
  ASSERT_TRUE(fallback.rows.ok()) << "a refused thread failed the sync: " << fallback.rows.error;
  EXPECT_EQ(fallback.rows.rows, pipelined.rows.rows);
  EXPECT_EQ(fallback.turns, pipelined.turns);
  EXPECT_EQ(fallback.rows.rows.size(), 4u);
  std::filesystem::remove_all(home.parent_path());
}

// An agent's database is exported on a thread of its own (the export
// thread) while the parsing thread converts and the caller's thread writes.
// Refused both, the sync exports, converts and writes on the caller's
// thread: the same rows and tables.
TEST(NoThreadSync, RefusedThreadsGiveTheSameDatabaseSync) {
  if (std::thread::hardware_concurrency() < 2) {
    GTEST_SKIP() << "one CPU: lethe never asks for a worker thread here";
  }
  const std::filesystem::path home = opencode_home(20);
  const SyncOutcome pipelined = sync_with_threads(false, home.string());
  ASSERT_TRUE(pipelined.rows.ok()) << pipelined.rows.error;
  ASSERT_EQ(pipelined.thread_requests, 2)
      << "not one parsing thread and one export thread: the test proves nothing";
  const SyncOutcome fallback = sync_with_threads(true, home.string());
  ASSERT_TRUE(fallback.rows.ok()) << "refused threads failed the sync: " << fallback.rows.error;
  EXPECT_EQ(fallback.rows.rows, pipelined.rows.rows);
  EXPECT_EQ(fallback.turns, pipelined.turns);
  EXPECT_EQ(fallback.rows.rows.size(), 20u);
  EXPECT_EQ(fallback.turns.size(), 60u);
  std::filesystem::remove_all(home.parent_path());
}

// A SQLite configured single-threaded has no mutexes of its own: a
// connection may then only be used on the thread that uses the others, so
// the export stays on the caller's thread (only the parsing thread, which
// never calls SQLite, is asked for), and the sync is the same.
TEST(NoThreadSync, ASingleThreadedSqliteKeepsTheExportOnTheCallersThread) {
  if (std::thread::hardware_concurrency() < 2) {
    GTEST_SKIP() << "one CPU: lethe never asks for a worker thread here";
  }
  const std::filesystem::path home = opencode_home(20);
  const SyncOutcome serialized = sync_with_threads(false, home.string());
  ASSERT_EQ(serialized.thread_requests, 2);
  ASSERT_EQ(sqlite3_shutdown(), SQLITE_OK);
  ASSERT_EQ(sqlite3_config(SQLITE_CONFIG_SINGLETHREAD), SQLITE_OK);
  ASSERT_EQ(sqlite3_initialize(), SQLITE_OK);
  const SyncOutcome single = sync_with_threads(false, home.string());
  const std::string debug_single = Db().scalar("SELECT lethe_debug()").value_or("");
  ASSERT_EQ(sqlite3_shutdown(), SQLITE_OK);
  ASSERT_EQ(sqlite3_config(SQLITE_CONFIG_SERIALIZED), SQLITE_OK);
  ASSERT_EQ(sqlite3_initialize(), SQLITE_OK);
  ASSERT_TRUE(single.rows.ok()) << single.rows.error;
  EXPECT_EQ(single.thread_requests, 1) << "the export left the caller's thread";
  // A bug report says which of the two it was.
  EXPECT_NE(debug_single.find("(here off: SQLite is single-threaded)"), std::string::npos)
      << debug_single;
  const std::string debug = Db().scalar("SELECT lethe_debug()").value_or("");
  EXPECT_NE(debug.find("Export thread: for an agent database"), std::string::npos) << debug;
  EXPECT_NE(debug.find("mutexes are on (here on)"), std::string::npos) << debug;
  EXPECT_EQ(single.rows.rows, serialized.rows.rows);
  EXPECT_EQ(single.turns, serialized.turns);
  std::filesystem::remove_all(home.parent_path());
}

INSTANTIATE_TEST_SUITE_P(Context, NoThread, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "InTransaction" : "Autocommit";
                         });

}  // namespace
