// Concurrency (issue 4): several PROCESSES, each with its own connection,
// ingest overlapping batches into one WAL database with a busy timeout.
// No update may be lost: the final tables must equal those of the same
// batches applied one after another by one connection.
//
// The batches overlap so that the comparison is order-independent: every
// process writes into the same sessions (start = MIN, end = MAX, and the
// descriptive columns are NULL or one value per session, so "first non-null
// wins" can't depend on who came first); turns are either private to a
// process (its own batches apply in its own order) or shared with identical
// contents in every process.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/call_contexts.hpp"
#include "support/e2e_support.hpp"

using namespace lethe_test;
namespace fs = std::filesystem;

namespace {

constexpr int kProcesses = 4;
constexpr int kBatchesPerProcess = 8;
constexpr int kLinesPerBatch = 150;

struct Batch {
  std::string ndjson;
  std::size_t invalid = 0;  // lines lethe must reject
};

// Process p's batch b: deterministic.
Batch make_batch(int p, int b) {
  std::mt19937 rng(static_cast<unsigned>(1000 * p + b + 1));
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  Batch batch;
  for (int i = 0; i < kLinesPerBatch; ++i) {
    if (pick(33) == 0) {
      batch.ndjson += "{\"not\": \"a turn\"\n";
      ++batch.invalid;
      continue;
    }
    const int session = pick(6);
    const std::string sid = "s" + std::to_string(session);
    std::string turn, extra;
    char ts[40];
    if (pick(4) == 0) {
      // Shared: the same turn key with the same contents in every process.
      const int k = pick(40);
      turn = "shared-" + std::to_string(k);
      std::snprintf(ts, sizeof ts, "2025-03-01T%02d:%02d:00.5Z", 8 + k % 10, k);
      extra = "\"seq\":" + std::to_string(k) + ",\"content\":\"shared turn " + std::to_string(k) +
              "\",\"tokens_in\":" + std::to_string(k * 3);
    } else {
      // Private: only process p writes it; its later batches overwrite it.
      turn = "p" + std::to_string(p) + "-" + std::to_string(pick(60));
      std::snprintf(ts, sizeof ts, "2025-03-%02dT%02d:%02d:%02d.%03dZ", 1 + pick(28), pick(24),
                    pick(60), pick(60), pick(1000));
      extra = "\"seq\":" + std::to_string(b * 1000 + i) + ",\"content\":\"from p" +
              std::to_string(p) + " b" + std::to_string(b) + " l" + std::to_string(i) + "\"";
    }
    extra += ",\"timestamp\":\"" + std::string(ts) + "\"";
    if (pick(3) == 0) {
      extra += ",\"session_meta\":{\"working_dir\":\"/w/" + sid +
               "\",\"metadata\":{\"session\":\"" + sid + "\"}" +
               (pick(2) == 0
                    ? ",\"started_at\":\"2025-02-" + std::to_string(10 + pick(18)) + "T00:00:00Z\""
                    : "") +
               "}";
    }
    batch.ndjson += line(extra, sid, turn) + "\n";
  }
  return batch;
}

// How a process makes its calls, in turn: CallContext::Autocommit,
// BeginCommit, BeginImmediate or InsertSelect (into `rejects`, the
// process's own table).
Result call(Db& db, CallContext context, const std::string& ndjson, const std::string& rejects) {
  const std::string sql = call_sql(context, "'alice', ?1", rejects);
  if (caller_has_transaction(context)) {
    Result begin = db.query(open_sql(context));
    if (!begin.ok()) return begin;
    Result r = db.query(sql, ndjson);
    Result end = db.query(r.ok() ? close_sql(context) : rollback_sql(context));
    if (r.ok() && !end.ok()) return end;
    return r;
  }
  Result r = db.query(sql, ndjson);
  if (!in_writing_statement(context) || !r.ok()) return r;
  r = db.query("SELECT * FROM " + rejects);
  db.must("DELETE FROM " + rejects);
  return r;
}

// The child: its own connection, its batches, then _exit (1 on any failure).
// Writes to `report_fd` how many calls failed with SQLITE_BUSY and were
// retried.
[[noreturn]] void child(const fs::path& path, int p, const std::vector<CallContext>& contexts,
                        bool retry_busy, int report_fd) {
  int exit_code = 0;
  int busy = 0;
  try {
    Db db(path.string());
    sqlite3_busy_timeout(db.handle(), 30000);
    db.must("PRAGMA synchronous = NORMAL");
    for (int b = 0; b < kBatchesPerProcess; ++b) {
      const Batch batch = make_batch(p, b);
      const CallContext context = contexts[static_cast<std::size_t>(b) % contexts.size()];
      const std::string rejects = "rejects_" + std::to_string(p);
      Result r = call(db, context, batch.ndjson, rejects);
      while (!r.ok() && retry_busy && (r.rc & 0xff) == SQLITE_BUSY) {
        ++busy;
        r = call(db, context, batch.ndjson, rejects);
      }
      if (!r.ok()) {
        std::fprintf(stderr, "process %d batch %d failed (rc %d): %s\n", p, b, r.rc,
                     r.error.c_str());
        exit_code = 1;
        break;
      }
      if (r.rows.size() != batch.invalid) {
        std::fprintf(stderr, "process %d batch %d: %zu rejects, expected %zu\n", p, b,
                     r.rows.size(), batch.invalid);
        exit_code = 1;
        break;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "process %d: %s\n", p, e.what());
    exit_code = 1;
  }
  if (write(report_fd, &busy, sizeof busy) != sizeof busy) exit_code = 1;
  _exit(exit_code);
}

std::vector<Row> sorted_dump(Db& db, const std::string& table) {
  std::vector<Row> rows = dump(db, table);
  std::sort(rows.begin(), rows.end());
  return rows;
}

struct RunResult {
  int failed_processes = 0;
  int busy_retries = 0;
};

// Forks the processes over a fresh WAL database; returns when all exited.
RunResult run_processes(const fs::path& path, const std::vector<CallContext>& contexts,
                        bool retry_busy) {
  {
    Db setup(path.string());
    setup.must("PRAGMA journal_mode = WAL");
    setup.apply_schema();
    for (int p = 0; p < kProcesses; ++p) {
      setup.must("CREATE TABLE rejects_" + std::to_string(p) +
                 "(line, byte_offset, code, field, message)");
    }
  }  // no connection may be open across fork()
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    // Each process starts with a different context, so they mix at once.
    std::vector<CallContext> mine(contexts);
    std::rotate(mine.begin(), mine.begin() + p % static_cast<int>(mine.size()), mine.end());
    const pid_t pid = fork();
    if (pid == 0) child(path, p, mine, retry_busy, pipe_fds[1]);
    if (pid < 0) throw std::runtime_error("fork failed");
    children.push_back(pid);
  }
  close(pipe_fds[1]);
  RunResult result;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++result.failed_processes;
  }
  int busy = 0;
  while (read(pipe_fds[0], &busy, sizeof busy) == sizeof busy) result.busy_retries += busy;
  close(pipe_fds[0]);
  return result;
}

// The same batches, one after another, on one connection.
void expect_same_as_sequential(const fs::path& path) {
  Db sequential;
  sequential.apply_schema();
  for (int p = 0; p < kProcesses; ++p) {
    for (int b = 0; b < kBatchesPerProcess; ++b) {
      Ingest r = ingest(sequential, "alice", make_batch(p, b).ndjson);
      ASSERT_TRUE(r.ok()) << r.error;
    }
  }
  Db concurrent(path.string());
  EXPECT_EQ(concurrent.scalar("PRAGMA integrity_check"), Value("ok"));
  for (int p = 0; p < kProcesses; ++p) {
    EXPECT_EQ(concurrent.count("SELECT count(*) FROM rejects_" + std::to_string(p)), 0);
  }
  const auto sessions = sorted_dump(concurrent, "sessions");
  const auto turns = sorted_dump(concurrent, "turns");
  EXPECT_EQ(sessions.size(), 6u);
  EXPECT_EQ(sessions, sorted_dump(sequential, "sessions")) << "a session update was lost";
  ASSERT_EQ(turns.size(), sorted_dump(sequential, "turns").size()) << "turns were lost";
  EXPECT_EQ(turns, sorted_dump(sequential, "turns")) << "a turn update was lost";
}

// Autocommit SELECT, BEGIN IMMEDIATE ... COMMIT and INSERT ... SELECT, mixed.
// A call that fails with SQLITE_BUSY (autocommit: see
// BusyTimeoutAppliesOnlyToBeginImmediate) is retried, as
// a client must; a failed attempt writes nothing.
TEST(Concurrency, ProcessesLoseNoUpdate) {
  const fs::path path = temp_dir() / "shared.db";
  const RunResult r = run_processes(
      path, {CallContext::Autocommit, CallContext::BeginImmediate, CallContext::InsertSelect},
      true);
  ASSERT_EQ(r.failed_processes, 0) << "see the children's messages above";
  std::printf("  busy retries: %d\n", r.busy_retries);
  expect_same_as_sequential(path);
}

// The same without retries, in the two forms that take the write lock
// before lethe writes (BEGIN IMMEDIATE, and INSERT ... SELECT whose outer
// statement is a write): the busy timeout must get every call through.
TEST(Concurrency, WriteLockedFormsNeedNoRetry) {
  const fs::path path = temp_dir() / "shared.db";
  const RunResult r =
      run_processes(path, {CallContext::BeginImmediate, CallContext::InsertSelect}, false);
  ASSERT_EQ(r.failed_processes, 0) << "see the children's messages above";
  expect_same_as_sequential(path);
}

// docs/reference/functions.md, "Limits", "Waiting for other writers": the
// statement that calls lethe_ingest already holds a read transaction (its
// plan starts with OP_Transaction 0 0), and SQLite never calls the busy
// handler to upgrade a read transaction to a write one, so in autocommit
// mode a call fails at once with SQLITE_BUSY while another connection
// writes, busy_timeout or not, and writes nothing; inside BEGIN IMMEDIATE
// (which waits for the write lock) it gets through. Both journal modes.
TEST(Concurrency, BusyTimeoutAppliesOnlyToBeginImmediate) {
  for (const char* journal : {"WAL", "DELETE"}) {
    for (const bool immediate : {false, true}) {
      SCOPED_TRACE(std::string(journal) + (immediate ? ", BEGIN IMMEDIATE" : ", autocommit"));
      const fs::path path = temp_dir() / "busy.db";
      {
        Db setup(path.string());
        setup.must(std::string("PRAGMA journal_mode = ") + journal);
        setup.apply_schema();
        setup.must("CREATE TABLE notes(x)");
      }
      Db caller(path.string());
      Db other(path.string(), false);
      sqlite3_busy_timeout(caller.handle(), 10000);
      other.must("BEGIN IMMEDIATE; INSERT INTO notes VALUES ('other');");
      // With BEGIN IMMEDIATE the other writer commits 300 ms from now; in
      // autocommit mode it holds the lock until the call has returned, so a
      // call that waited would run into the 10 s timeout. No bound depends
      // on how fast a loaded machine runs the call itself.
      const auto started = std::chrono::steady_clock::now();
      std::thread committer;
      if (immediate) {
        committer = std::thread([&other] {
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
          other.must("COMMIT");
        });
      }
      Result r = immediate ? call(caller, CallContext::BeginImmediate, line() + "\n", "")
                           : caller.query(call_sql(CallContext::Autocommit, "'alice', ?1"), line());
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
      if (immediate) {
        committer.join();
      } else {
        other.must("COMMIT");
      }
      if (immediate) {
        EXPECT_TRUE(r.ok()) << "after " << waited << " ms: " << r.error;
        EXPECT_GE(waited, 300) << "it did not wait for the other writer";
        EXPECT_EQ(caller.count("SELECT count(*) FROM turns"), 1);
      } else {
        ASSERT_FALSE(r.ok())
            << "the documented limitation is gone: update docs/reference/functions.md";
        EXPECT_EQ(r.rc, SQLITE_BUSY) << r.error;
        EXPECT_EQ(r.error.rfind("lethe_ingest:", 0), 0u) << r.error;
        EXPECT_LT(waited, 5000) << "it waited for the busy timeout, yet failed";
        EXPECT_EQ(caller.count("SELECT count(*) FROM turns"), 0);
        EXPECT_EQ(sqlite3_get_autocommit(caller.handle()), 1);
      }
    }
  }
}

// Inside a caller's plain (deferred) BEGIN, a busy timeout can't always help:
// SQLite refuses to upgrade a transaction that has read an older snapshot
// (SQLITE_BUSY_SNAPSHOT) without waiting. A caller retries such a call; the
// failed attempts must have written nothing, so the result is the same.
TEST(Concurrency, DeferredTransactionsRetriedOnBusyLoseNoUpdate) {
  const fs::path path = temp_dir() / "shared.db";
  const RunResult r =
      run_processes(path, {CallContext::BeginCommit, CallContext::Autocommit}, true);
  ASSERT_EQ(r.failed_processes, 0) << "see the children's messages above";
  std::printf("  busy retries in deferred transactions: %d\n", r.busy_retries);
  expect_same_as_sequential(path);
}

}  // namespace
