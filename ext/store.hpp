// Store: the third step of a line's flow. Writes accepted records into
// `sessions` and `turns` inside the caller's transaction.
//
// Two promises shape it (docs/contract.md section 1): a line is atomic (when
// any of its writes fails, none stays, and the other lines still apply), and
// a call is atomic (a failed call leaves nothing of itself, and never touches
// the caller's earlier work, except where SQLite itself rolls back the whole
// transaction, and then the message says so).
//
// Two objects carry them:
// * Store lives as long as the connection: the prepared statements and what
//   the schema allows, checked again whenever the schema changes.
// * CallScope lives on the stack for one call and holds every decision of
//   that call: whether the caller had a transaction, whether the call has its
//   own savepoint, whether anything was written. Its destructor undoes the
//   call unless commit() ran; failure() turns any error into the one code and
//   message the call returns (the rules are in one place, report_failure).
//
// How a call writes:
// * Almost everywhere SQLite allows a savepoint: SAVEPOINT lethe_ingest_call,
//   then each chunk in a savepoint of its own. When nothing in the schema can
//   observe how lines are grouped (the tables are exactly lethe's and no user
//   trigger or unique index is on them), a chunk is two set-based statements,
//   INSERT INTO sessions / turns ... SELECT ... FROM lethe_sink_rows(?), with
//   a chunk's lines of one session merged into one row and its lines sorted
//   by key (unless a unique index on turns could tell). Otherwise a chunk
//   goes through the sink statement (below), which applies the lines one by
//   one in input order. A refused line makes its group go again with a
//   savepoint per line, which names exactly the lines refused.
// * Inside a caller's writing statement (INSERT ... SELECT, CREATE TABLE ...
//   AS SELECT, an UPDATE with a subquery) SQLite refuses SAVEPOINT. There the
//   batch is written by the sink statement, INSERT INTO lethe_sink SELECT
//   row_index FROM lethe_sink_rows(?), whose INSTEAD OF trigger
//   (sql/schema.sql) does both upserts of each row: one statement is atomic
//   in every context. A failed run names the row it stopped on; see
//   CallScope::write_in_statements for how the others still get written.
//   Without max_errors and with foreign keys off, each successful run stays
//   written, so the batch goes chunk by chunk as in savepoint mode; with
//   either, the batch is the one run that succeeds whole, so one chunk.
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
  std::size_t row = 0;  // index into the rows passed to CallScope::write
  LineError error;
};

// What one line, or several lines of one session merged, write into the
// session's row (docs/contract.md section 7: MIN start, MAX end, first
// non-null descriptive value).
struct SessionValues {
  const TurnRecord* key = nullptr;  // tool, host, session_id
  const NormalizedTime* started_at = nullptr;
  const NormalizedTime* ended_at = nullptr;
  const std::optional<std::string>* working_dir = nullptr;
  const std::optional<std::string>* source_file = nullptr;
  const std::optional<std::string>* metadata = nullptr;
};

// What lethe_sink_rows serves while one of lethe's statements runs: lines,
// or merged sessions.
struct Feed {
  enum class Kind { Lines, MergedSessions };
  Kind kind = Kind::Lines;
  const std::string* owner = nullptr;
  std::vector<const PendingRow*> rows;  // Kind::Lines
  std::vector<SessionValues> sessions;  // Kind::MergedSessions
  // The sink statement: index into `rows` of the row whose trigger ran last
  // (-1 before any).
  std::int64_t marked = -1;
};

// The type tag of the Feed pointer bound to lethe_sink_rows.
inline constexpr const char* kFeedPointerType = "lethe_feed";

// Per-connection state shared by the modules and functions of the extension.
struct ConnectionState {
  Feed* active_feed = nullptr;   // non-null only while the sink statement runs
  std::string last_ingest_json;  // lethe_last_ingest(); empty before any
  bool call_running = false;     // calls don't nest (docs/contract.md section 1)
  // A call was refused for nesting: a trigger on sessions or turns calls
  // lethe_ingest, so lethe's cached statements hold that trigger's program,
  // which holds lethe_ingest itself, and sqlite3_close() would see them
  // unfinalized. The outer call then drops its statements.
  bool nested_call_refused = false;
  // Set by sqlite3_lethe_replicated_init: a call never opens a transaction
  // of its own (an autocommit SELECT); see docs/contract.md section 1.
  bool refuse_own_transaction = false;
};

class Store {
 public:
  Store(sqlite3* db, ConnectionState& state) : db_(db), state_(state) {}

  // Checks that the schema is usable and prepares the statements. Repeated
  // only when the schema changed (PRAGMA schema_version). Throws BatchError
  // that names the problem and its fix.
  void prepare();

  // True when nothing in the schema can tell a chunk's merged session
  // upsert from one upsert per line.
  bool grouping_is_unobservable() const noexcept { return grouping_unobservable_; }
  // True when, besides, no unique index on turns other than its primary key
  // could refuse a line in one order of a group's lines and accept it in
  // another: then a group may be written in key order.
  bool key_order_is_unobservable() const noexcept { return key_order_unobservable_; }

  // Finalizes the cached statements; the next call prepares them again.
  void forget_statements() noexcept;

  sqlite3* db() const noexcept { return db_; }
  ConnectionState& state() noexcept { return state_; }
  Statement& upsert_sessions() noexcept { return upsert_sessions_; }
  Statement& upsert_turns() noexcept { return upsert_turns_; }
  Statement& sink() noexcept { return sink_; }

 private:
  void check_write_path();
  void check_feed_not_shadowed();
  bool schema_hides_grouping();
  bool turns_have_other_unique_index();
  [[noreturn]] void fail_to_prepare(const BatchError& e);

  sqlite3* db_;
  ConnectionState& state_;
  Statement upsert_sessions_;
  Statement upsert_turns_;
  Statement sink_;
  Statement schema_version_query_;
  std::int64_t prepared_schema_version_ = -1;
  bool grouping_unobservable_ = false;
  bool key_order_unobservable_ = false;
};

// How a call is made atomic; see the comment at the top of this file.
enum class CallMode { Savepoint, SingleStatement };

// One call's writes. Construct it first thing in a call: it records the
// caller's transaction state before anything can change it, and refuses a
// call reached from inside another one.
class CallScope {
 public:
  explicit CallScope(Store& store) noexcept;
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // Throws BatchError when this call was reached from inside another one.
  void refuse_if_nested() const;
  // Prepares the store and opens the call's savepoint when SQLite allows it.
  CallMode begin();
  CallMode mode() const noexcept { return mode_; }
  // Single-statement mode: true when each run of the sink statement that
  // succeeds stays written (no max_errors, foreign keys off), so a batch can
  // be written chunk after chunk; otherwise the batch must be one run.
  bool keeps_written_prefixes(bool max_errors) const noexcept;

  // Writes rows atomically as a group except for rows the database refuses,
  // returned as line errors (their writes undone). `rejections_allowed` is
  // how many more refused lines the call may have (max_errors); past it,
  // throws BatchError before writing anything more. Throws BatchError when
  // the database cannot go on.
  std::vector<DbRejection> write(const std::string& owner,
                                 const std::vector<const PendingRow*>& rows,
                                 std::optional<std::uint64_t> rejections_allowed);

  // Makes the call's writes part of the caller's transaction.
  void commit();

  // Undoes the call and throws the CallError the call must end with: the one
  // place that decides a failed call's code and message.
  [[noreturn]] void fail(int cause, const char* message);

 private:
  struct Failure {
    int rc = SQLITE_OK;
    std::string message;
    explicit operator bool() const { return rc != SQLITE_OK; }
  };

  // Savepoint mode.
  std::vector<DbRejection> write_in_groups(const std::string& owner,
                                           const std::vector<const PendingRow*>& rows,
                                           std::optional<std::uint64_t> rejections_allowed);
  void write_line_by_line(const std::string& owner, const std::vector<const PendingRow*>& rows,
                          std::size_t first, std::vector<DbRejection>& rejections,
                          std::optional<std::uint64_t> rejections_allowed);
  Failure write_in_savepoint(const char* name, const std::string& owner,
                             const std::vector<const PendingRow*>& rows);
  Failure write_merged(const std::string& owner, const std::vector<const PendingRow*>& rows);

  // Single-statement mode.
  std::vector<DbRejection> write_in_statements(const std::string& owner,
                                               const std::vector<const PendingRow*>& rows,
                                               std::optional<std::uint64_t> rejections_allowed);
  void write_range_keeping_prefixes(const std::string& owner,
                                    const std::vector<const PendingRow*>& rows, std::size_t begin,
                                    std::size_t end, std::vector<DbRejection>& rejections);
  Failure run_sink(const std::string& owner, const std::vector<const PendingRow*>& rows,
                   std::size_t begin, std::size_t end, std::size_t& culprit);

  Failure run_over(Statement& statement, Feed& feed);
  Failure exec_failure(const char* sql);
  Failure last_failure() const;

  // A refused line's error; throws BatchError when the failure is not the
  // line's but the database's.
  LineError line_error(const Failure& failure);
  [[noreturn]] void throw_database_error(const Failure& failure);
  bool has_deferred_violations() const noexcept;
  bool foreign_keys_enforced() const noexcept;
  bool undo() noexcept;  // true when nothing of the call remains

  Store& store_;
  sqlite3* db_;
  ConnectionState& state_;
  const bool caller_autocommit_;  // before anything of the call ran
  bool nested_ = false;           // reached from inside another call
  CallMode mode_ = CallMode::Savepoint;
  bool savepoint_open_ = false;
  bool committed_ = false;
  // Single-statement mode: some rows are already part of the caller's
  // statement, so only SQLite can undo them.
  bool wrote_outside_savepoint_ = false;
  // How many rows of a chunk savepoint mode writes together; see
  // write_in_groups.
  static constexpr std::size_t kMaxRowsPerGroup = std::size_t{1} << 20;
  static constexpr std::size_t kMinRowsPerGroup = 4;
  std::size_t rows_per_group_ = kMaxRowsPerGroup;
};

// Registers the feed table `lethe_sink_rows` and the trigger's helper
// functions `lethe_sink_row` and `lethe_sink_value` on a connection.
int register_store_helpers(sqlite3* db, ConnectionState* state);

}  // namespace lethe
