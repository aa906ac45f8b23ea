// CallScope: one call's writes, on the stack for the length of the call. It
// holds every decision of that call (whether the caller had a transaction,
// whether the call has its own savepoint, whether anything was written),
// undoes the call in its destructor unless commit() ran, and fail() is the
// one place that turns a failure into the code and message the call returns.
//
// The promises it keeps (docs/reference/contract.md section 1) and how a call writes
// in each calling context (a savepoint and chunks where SQLite allows one,
// the sink statement inside the caller's writing statement) are stated once,
// in ARCHITECTURE.md, "How a call stays atomic".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "write/store.hpp"

namespace lethe {

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
  // fail() for the exception being handled: a BatchError with its code, an
  // InputError as SQLITE_ERROR, std::bad_alloc as SQLITE_NOMEM, any other
  // std::exception as SQLITE_ERROR. Call it only from a catch block.
  [[noreturn]] void fail_current();

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

}  // namespace lethe
