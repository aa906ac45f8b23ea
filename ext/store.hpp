// Store: the third step of a line's flow. Writes accepted records into
// `sessions` and `turns` inside the caller's transaction.
//
// Two promises shape it: a line is atomic (when any of its writes fails, none
// stays, and the other lines still apply), and a call is atomic (a batch
// error leaves nothing of the call, and never the caller's earlier work).
//
// * Almost everywhere SQLite allows a savepoint, and the call runs in
//   SAVEPOINT lethe_ingest_call. Lines are written in chunks, each chunk in a
//   savepoint of its own, by two set-based statements prepared once,
//   INSERT INTO sessions / turns ... SELECT ... FROM lethe_sink_rows(?),
//   where lethe_sink_rows serves the parsed lines from memory (a chunk's
//   lines of one session merged into one row). An INSERT ... SELECT gets a
//   statement journal, so SQLITE_FULL undoes only the statement, never the
//   caller's transaction (a one-row INSERT ... VALUES has none). When
//   the database refuses a line, the chunk (after a refusal, a smaller group
//   of its rows: see write_directly) is rolled back and written again with a
//   savepoint per line, which names exactly the lines refused (triggers,
//   CHECKs, immediate and deferred foreign keys, RAISE(FAIL)).
// * Inside a caller's writing statement (INSERT ... SELECT, CREATE TABLE ...
//   AS SELECT) SQLite refuses SAVEPOINT. There the whole batch is written by
//   ONE statement, INSERT INTO lethe_sink SELECT row_index FROM
//   lethe_sink_rows(?), whose INSTEAD OF trigger (sql/schema.sql) does both
//   upserts of each row: a statement is atomic in every context. The trigger
//   first calls lethe_sink_row(i), so a failed statement names the row it
//   stopped on; that row is rejected and the statement runs again without it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "statement.hpp"
#include "wire.hpp"

namespace lethe {

// A record waiting to be written, with where its line stood in the batch.
struct PendingRow {
  TurnRecord record;
  std::uint64_t line = 0;
  std::uint64_t byte_offset = 0;
};

// A line the database refused (DB_FOREIGN_KEY, DB_CONSTRAINT, DB_UPSERT).
struct DbRejection {
  std::size_t row = 0;  // index into the rows passed to Store::write
  LineError error;
};

// What one line, or several lines of one session merged, write into the
// session's row. The merge rules (MIN start, MAX end, first non-null
// descriptive value) don't depend on order, so a chunk's lines of one session
// fold into a single upsert with the same result.
struct SessionValues {
  const TurnRecord* key = nullptr;  // tool, host, session_id
  const NormalizedTime* started_at = nullptr;
  const NormalizedTime* ended_at = nullptr;
  const std::optional<std::string>* working_dir = nullptr;
  const std::optional<std::string>* source_file = nullptr;
  const std::optional<std::string>* metadata = nullptr;
};

// What lethe_sink_rows serves while one of lethe's statements runs: lines,
// or merged sessions. Lives on the connection (ConnectionState::active_feed).
struct Feed {
  enum class Kind { Lines, MergedSessions };
  Kind kind = Kind::Lines;
  const std::string* owner = nullptr;
  std::vector<const PendingRow*> rows;  // Kind::Lines
  std::vector<SessionValues> sessions;  // Kind::MergedSessions
  // The nested-context path: index into `rows` of the row whose trigger ran
  // last (-1 before any), and the caller's index of each row.
  std::int64_t marked = -1;
  std::vector<std::size_t> ids;
};

// The type tag of the Feed pointer bound to lethe_sink_rows.
inline constexpr const char* kFeedPointerType = "lethe_feed";

// Per-connection state shared by the modules and functions of the extension.
struct ConnectionState {
  Feed* active_feed = nullptr;   // non-null only while the sink statement runs
  std::string last_ingest_json;  // lethe_last_ingest(); empty before any
};

// How a call is made atomic; see the comment at the top of this file.
enum class CallMode { Savepoint, SingleStatement };

class Store {
 public:
  Store(sqlite3* db, ConnectionState& state) : db_(db), state_(state) {}

  // Checks that the schema is usable and prepares the statements once.
  // Throws BatchError naming sql/schema.sql when it is not.
  void prepare();

  // Opens the call's savepoint when SQLite allows it; else the call must
  // write everything in one statement.
  CallMode begin_call();
  // Makes the call's writes part of the caller's transaction.
  void commit_call();
  // Undoes every write of the call. Never throws.
  void rollback_call() noexcept;
  // True when rollback_call could not close the transaction that the call
  // itself opened (a sticky sqlite3_interrupt or a progress handler that
  // interrupts every statement, the cleanup included).
  bool left_own_transaction_open() const noexcept;

  // Writes rows atomically as a group except for rows the database refuses,
  // which are returned as line errors (their writes undone). Throws
  // BatchError when the database cannot go on.
  std::vector<DbRejection> write(const std::string& owner,
                                 const std::vector<const PendingRow*>& rows);

 private:
  // An SQLite failure: its extended code and message.
  struct Failure {
    int rc = SQLITE_OK;
    std::string message;
    explicit operator bool() const { return rc != SQLITE_OK; }
  };

  // Savepoint mode.
  std::vector<DbRejection> write_directly(const std::string& owner,
                                          const std::vector<const PendingRow*>& rows);
  void write_line_by_line(const std::string& owner, const std::vector<const PendingRow*>& rows,
                          std::size_t first, std::vector<DbRejection>& rejections);
  Failure write_in_savepoint(const char* name, const std::string& owner,
                             const std::vector<const PendingRow*>& rows);
  Failure run_over(Statement& statement, Feed& feed);
  Failure last_failure() const;  // the connection's last error
  Failure savepoint(const char* sql);

  // Single-statement mode.
  std::vector<DbRejection> write_in_one_statement(const std::string& owner,
                                                  const std::vector<const PendingRow*>& rows);
  Failure execute_sink(Feed& feed);

  // A refused line's error, or a BatchError when the failure is not the
  // line's but the database's.
  LineError line_error(const Failure& failure);
  void throw_if_transaction_lost(const Failure& failure);
  bool has_new_deferred_violations() const noexcept;
  [[noreturn]] void fail_with_database_error(int rc, const std::string& message);

  sqlite3* db_;
  ConnectionState& state_;
  Statement upsert_sessions_;
  Statement upsert_turns_;
  Statement sink_;
  Statement schema_version_query_;
  std::int64_t prepared_schema_version_ = -1;
  CallMode mode_ = CallMode::Savepoint;
  bool savepoint_open_ = false;
  bool caller_autocommit_ = true;
  bool deferred_violations_at_start_ = false;
  // How many rows of a chunk savepoint mode writes together; see
  // write_directly.
  static constexpr std::size_t kMaxRowsPerGroup = std::size_t{1} << 20;
  static constexpr std::size_t kMinRowsPerGroup = 4;
  std::size_t rows_per_group_ = kMaxRowsPerGroup;
};

// Registers the feed table `lethe_sink_rows` and the trigger's helper
// functions `lethe_sink_row` and `lethe_sink_value` on a connection.
int register_store_helpers(sqlite3* db, ConnectionState* state);

// Maps an SQLite result code that ended a batch to the code the call
// returns. Inside a caller's transaction, codes that would make SQLite roll
// that whole transaction back (FULL, IOERR, NOMEM, INTERRUPT) are reported as
// SQLITE_ERROR: the call has already undone its own writes, and the caller's
// earlier work must survive. The message still names the cause.
int batch_error_code(int cause, bool caller_in_transaction) noexcept;

}  // namespace lethe
