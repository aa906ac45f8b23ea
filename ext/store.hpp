// Store: the third step of a line's flow. Writes accepted records into
// `sessions` and `turns` inside the caller's transaction.
//
// The mechanism (why it looks like this):
// * All writes of a chunk of records go through ONE statement,
//     INSERT INTO main.lethe_sink (row_index) SELECT row_index
//     FROM lethe_sink_rows(?1)
//   where `lethe_sink_rows` yields the indexes of the records in memory and
//   the INSTEAD OF trigger of the view `lethe_sink` (sql/schema.sql) does the
//   session and turn upserts of each row, reading its values through
//   lethe_sink_value(k). SQLite makes every statement atomic, in every
//   context, including a caller's INSERT ... SELECT where it refuses
//   SAVEPOINT with SQLITE_BUSY.
// * Per-line atomicity: when the statement fails because of one row (a CHECK,
//   a trigger's RAISE(ABORT), a value too big), the statement is undone as a
//   whole, the row that failed is known (the trigger first calls
//   lethe_sink_row(i), which records i), that row becomes a rejected line,
//   and the statement runs again without it.
// * Call atomicity: when SAVEPOINT is allowed, the call runs in a savepoint
//   and writes in chunks (bounded memory, bounded retry cost); otherwise the
//   whole batch is one statement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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

// What the trigger and the feed table see while a statement runs: the rows
// to emit, and where the statement got to. Lives on the connection.
struct Feed {
  const std::string* owner = nullptr;
  std::vector<const PendingRow*> rows;  // rows emitted, in order
  std::vector<std::size_t> ids;         // caller's index of each emitted row
  // Index into `rows` of the row whose trigger ran last; -1 before any.
  std::int64_t marked = -1;
};

// Per-connection state shared by the modules and functions of the extension.
struct ConnectionState {
  Feed* active_feed = nullptr;   // non-null only while Store::write runs
  std::string last_ingest_json;  // lethe_last_ingest(); empty before any
};

// How a call is made atomic; see the comment at the top of this file.
enum class CallMode { Savepoint, SingleStatement };

class Store {
 public:
  Store(sqlite3* db, ConnectionState& state) : db_(db), state_(state) {}

  // Checks that the schema is usable and prepares the write statement once.
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

  bool in_call() const noexcept { return mode_ == CallMode::Savepoint && savepoint_open_; }

 private:
  enum class Outcome { Done, RowRefused, NeedRowByRow };
  struct StepResult {
    int rc = SQLITE_DONE;
    std::string message;
  };
  StepResult execute(Feed& feed);
  Outcome run_once(Feed& feed, DbRejection& rejection);
  bool has_deferred_foreign_key_violations() const noexcept;
  void write_row_by_row(const Feed& remaining, std::vector<DbRejection>& rejections);
  [[noreturn]] void fail_with_database_error(int rc, const std::string& message);

  sqlite3* db_;
  ConnectionState& state_;
  Statement sink_;
  CallMode mode_ = CallMode::Savepoint;
  bool savepoint_open_ = false;
  bool caller_autocommit_ = true;
  bool deferred_violations_at_start_ = false;
};

// Registers the feed table `lethe_sink_rows` and the trigger's helper
// function `lethe_sink_row` on a connection.
int register_store_helpers(sqlite3* db, ConnectionState* state);

// Maps an SQLite result code that ended a batch to the code the call
// returns. Inside a caller's transaction, codes that would make SQLite roll
// that whole transaction back (FULL, IOERR, NOMEM, INTERRUPT) are reported as
// SQLITE_ERROR: the call has already undone its own writes, and the caller's
// earlier work must survive. The message still names the cause.
int batch_error_code(int cause, bool caller_in_transaction) noexcept;

}  // namespace lethe
