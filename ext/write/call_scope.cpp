#include "write/call_scope.hpp"

#include <algorithm>
#include <new>
#include <string_view>
#include <unordered_map>

#include "common/errors.hpp"
#include "common/text.hpp"

namespace lethe {

namespace {

SessionValues session_of(const TurnRecord& r) {
  return {&r,
          r.started_at ? &*r.started_at : &r.timestamp,
          &r.timestamp,
          &r.working_dir,
          &r.source_file,
          &r.session_metadata};
}

void merge(SessionValues& into, const SessionValues& line) {
  if (*line.started_at < *into.started_at) into.started_at = line.started_at;
  if (*line.ended_at > *into.ended_at) into.ended_at = line.ended_at;
  if (!*into.working_dir) into.working_dir = line.working_dir;
  if (!*into.source_file) into.source_file = line.source_file;
  if (!*into.metadata) into.metadata = line.metadata;
}

// The sessions of some lines, each merged over its lines, in first-seen order.
std::vector<SessionValues> sessions_of(const std::vector<const PendingRow*>& rows) {
  std::vector<SessionValues> sessions;
  std::unordered_map<std::string, std::size_t> index;
  std::string key;
  for (const PendingRow* row : rows) {
    const TurnRecord& r = row->record;
    // Control characters can't occur in these fields: \x01 separates them.
    key.assign(r.tool).append(1, '\x01').append(r.host).append(1, '\x01').append(r.session_id);
    const auto [at, inserted] = index.try_emplace(key, sessions.size());
    if (inserted) {
      sessions.push_back(session_of(r));
    } else {
      merge(sessions[at->second], session_of(r));
    }
  }
  return sessions;
}

// The order of the primary keys of sessions and turns (the owner is the
// call's), as a three-way comparison. SQLite's BINARY collation compares
// bytes, as std::string::compare does.
int compare_session_keys(const TurnRecord& x, const TurnRecord& y) {
  if (const int c = x.tool.compare(y.tool)) return c;
  if (const int c = x.host.compare(y.host)) return c;
  return x.session_id.compare(y.session_id);
}
int compare_turn_keys(const TurnRecord& x, const TurnRecord& y) {
  if (const int c = compare_session_keys(x, y)) return c;
  return x.turn_id.compare(y.turn_id);
}

// A group's sessions and rows in key order: each b-tree is then walked once
// from left to right, so a page is read, changed and journaled once per
// statement however the input interleaves its sessions, instead of once per
// line that lands on it. The tables are those of writing the lines in input
// order: the sessions are merged before they are sorted (a session keeps its
// first non-null values in input order), and the sort of the rows is
// stable (the lines of one turn still apply in input order: last write
// wins). Only where nothing can observe the order
// (Store::key_order_is_unobservable); the rowids of new turns follow the
// keys instead of the input.
void sort_by_key(std::vector<SessionValues>& sessions, std::vector<const PendingRow*>& rows) {
  std::sort(sessions.begin(), sessions.end(), [](const SessionValues& a, const SessionValues& b) {
    return compare_session_keys(*a.key, *b.key) < 0;
  });
  std::stable_sort(rows.begin(), rows.end(), [](const PendingRow* a, const PendingRow* b) {
    return compare_turn_keys(a->record, b->record) < 0;
  });
}

}  // namespace

// ---------------------------------------------------------------------------
// CallScope: one call.

CallScope::CallScope(Store& store) noexcept
    : store_(store),
      db_(store.db()),
      state_(store.state()),
      caller_autocommit_(sqlite3_get_autocommit(store.db()) != 0) {
  nested_ = state_.call_running;
  state_.call_running = true;
}

CallScope::~CallScope() {
  if (!committed_) undo();
  if (nested_) return;
  state_.call_running = false;
  if (state_.nested_call_refused) {
    state_.nested_call_refused = false;
    store_.forget_statements();
  }
}

namespace {
// Why a call reached from inside another one fails: said by the inner call,
// and by the outer one, whose write failed with the inner call's error.
constexpr const char* kNestedCall =
    "calls don't nest: this lethe_ingest was reached from a trigger (or a function) while "
    "another lethe_ingest runs on the same connection; a trigger on sessions or turns must not "
    "call it";
}  // namespace

void CallScope::refuse_if_nested() const {
  if (nested_) {
    state_.nested_call_refused = true;
    throw BatchError(SQLITE_ERROR, kNestedCall);
  }
}

CallMode CallScope::begin() {
  refuse_if_nested();
  store_.prepare();
  const int rc = exec(db_, "SAVEPOINT lethe_ingest_call");
  if (rc == SQLITE_BUSY) {
    // SQLite refuses SAVEPOINT while a writing statement is active: we run
    // inside the caller's INSERT ... SELECT, CREATE TABLE ... AS SELECT...
    mode_ = CallMode::SingleStatement;
  } else if (rc != SQLITE_OK) {
    // An interrupt can strike after the savepoint opened, while the
    // statement ends. In autocommit that leaves a transaction open, which
    // undo() must close; inside the caller's transaction an empty savepoint
    // may stay until the caller's COMMIT or ROLLBACK: nothing was written.
    savepoint_open_ = caller_autocommit_ && sqlite3_get_autocommit(db_) == 0;
    throw_database_error(last_failure());
  } else {
    savepoint_open_ = true;
    if (caller_autocommit_ && state_.refuse_own_transaction) {
      throw BatchError(SQLITE_ERROR,
                       "this connection is set for a replicated database "
                       "(sqlite3_lethe_replicated_init), where a transaction lethe opens from "
                       "an autocommit SELECT would not be replicated: call lethe_ingest inside "
                       "BEGIN ... COMMIT, or as INSERT INTO rejects SELECT * FROM "
                       "lethe_ingest(...) sent as a statement that writes");
    }
  }
  if (has_deferred_violations()) {
    throw BatchError(SQLITE_ERROR,
                     "this transaction already has unresolved deferred foreign key violations; "
                     "SQLite only says whether any remain, not how many, so lethe could not "
                     "tell which of its lines add more: resolve them first, or call lethe_ingest "
                     "in a transaction of its own");
  }
  return mode_;
}

std::vector<DbRejection> CallScope::write(const std::string& owner,
                                          const std::vector<const PendingRow*>& rows,
                                          std::optional<std::uint64_t> rejections_allowed) {
  return mode_ == CallMode::Savepoint ? write_in_groups(owner, rows, rejections_allowed)
                                      : write_in_statements(owner, rows, rejections_allowed);
}

void CallScope::commit() {
  if (savepoint_open_) {
    if (exec(db_, "RELEASE lethe_ingest_call") != SQLITE_OK) throw_database_error(last_failure());
    savepoint_open_ = false;
  }
  committed_ = true;
}

bool CallScope::undo() noexcept {
  if (!savepoint_open_) return !wrote_outside_savepoint_;
  savepoint_open_ = false;
  // SQLite already rolled back the whole transaction (an I/O error, a
  // RAISE(ROLLBACK)): our savepoint went with it.
  if (sqlite3_get_autocommit(db_) != 0) return true;
  // SQLite refuses to run anything while an interrupt is pending, ROLLBACK
  // TO included: then the call cannot undo itself.
  if (exec(db_, "ROLLBACK TO lethe_ingest_call") != SQLITE_OK) return false;
  if (exec(db_, "RELEASE lethe_ingest_call") != SQLITE_OK && caller_autocommit_) {
    // The transaction the call opened must not stay open.
    return exec(db_, "ROLLBACK") == SQLITE_OK;
  }
  return true;
}

// The one place where a failed call's outcome becomes its code and message.
// * SQLite already rolled back the caller's whole transaction: the real code,
//   and the message says so.
// * The call could not undo itself (an interrupt blocks ROLLBACK TO; rows of
//   a writing statement already joined the caller's statement): SQLITE_IOERR,
//   the one code that makes SQLite roll back the whole transaction whatever
//   the statement, and the message says so.
// * Otherwise nothing of the call remains. Inside the caller's transaction
//   the codes that would make SQLite roll that transaction back (FULL, IOERR,
//   NOMEM, INTERRUPT) become SQLITE_ERROR: the caller's earlier work must
//   survive; the message still names the cause.
// * A call reached from inside this one was refused (a trigger that calls
//   lethe_ingest): this call's write failed with that call's whole message,
//   whose cause is the nesting, not the database: the cause is said once.
void CallScope::fail(int cause, const char* message) {
  if (!nested_ && state_.nested_call_refused) message = kNestedCall;
  const bool undone = nested_ || undo();
  const bool caller_had_transaction = !caller_autocommit_;
  const bool transaction_gone = caller_had_transaction && sqlite3_get_autocommit(db_) != 0;
  const int primary = (cause & 0xff) == SQLITE_OK ? SQLITE_ERROR : cause & 0xff;
  const bool special = primary == SQLITE_FULL || primary == SQLITE_IOERR ||
                       primary == SQLITE_NOMEM || primary == SQLITE_INTERRUPT;
  if (transaction_gone) {
    CallError error(primary);
    error << message
          << "; SQLite rolled back the whole transaction, so nothing of this call, "
             "nor the earlier work of the transaction, was kept";
    throw error;
  }
  if (!undone) {
    CallError error(SQLITE_IOERR);
    error << message
          << "; lethe could not undo the lines it had written (the cleanup was "
             "interrupted too, or they were already part of the caller's statement), "
             "so the call reports SQLITE_IOERR, which makes SQLite roll back the whole "
             "transaction: nothing of this call"
          << (caller_had_transaction ? ", nor the earlier work of the transaction," : "")
          << " was kept";
    throw error;
  }
  CallError error(caller_had_transaction && special ? SQLITE_ERROR : primary);
  error << message;
  // The cause's name, where the message is SQLite's own words for it
  // ("unable to open a temporary database file" for an allocation).
  if (primary != SQLITE_ERROR && !contains(message, "SQLITE_")) {
    error << " (" << code_label(primary) << ")";
  }
  error << "; nothing of this call was written";
  throw error;
}

void CallScope::fail_current() {
  try {
    throw;
  } catch (const BatchError& e) {
    fail(e.code(), e.what());
  } catch (const InputError& e) {
    fail(SQLITE_ERROR, e.what());
  } catch (const std::bad_alloc&) {
    fail(SQLITE_NOMEM, "out of memory");
  } catch (const std::exception& e) {
    fail(SQLITE_ERROR, e.what());
  }
}

// ---------------------------------------------------------------------------
// Errors.

CallScope::Failure CallScope::last_failure() const {
  return {sqlite3_extended_errcode(db_), sqlite3_errmsg(db_)};
}

void CallScope::throw_database_error(const Failure& failure) {
  std::string hint;
  if ((failure.rc & 0xff) == SQLITE_ERROR) {
    hint = std::string(" (if sessions, turns or lethe_sink changed shape, ") + kApplySchema + ")";
  }
  throw BatchError(failure.rc, "the database cannot take the writes: " + failure.message + " (" +
                                   code_label(failure.rc) + ")" + hint);
}

LineError CallScope::line_error(const Failure& failure) {
  // The database rolled back the whole transaction, our savepoint with it
  // (a RAISE(ROLLBACK), an ON CONFLICT ROLLBACK constraint): never go on
  // writing outside it.
  if (mode_ == CallMode::Savepoint && sqlite3_get_autocommit(db_) != 0) {
    savepoint_open_ = false;
    throw_database_error(failure);
  }
  LineError error;
  const int primary = failure.rc & 0xff;
  if (failure.rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    error.code = ErrorCode::DbForeignKey;
  } else if (primary == SQLITE_CONSTRAINT) {
    error.code = ErrorCode::DbConstraint;
  } else if (primary == SQLITE_TOOBIG || primary == SQLITE_MISMATCH || primary == SQLITE_RANGE) {
    error.code = ErrorCode::DbUpsert;
  } else {
    throw_database_error(failure);
  }
  error.message = "the database refused the line: " + failure.message;
  return error;
}

bool CallScope::has_deferred_violations() const noexcept {
  int current = 0;
  int highwater = 0;
  sqlite3_db_status(db_, SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highwater, 0);
  return current != 0;
}

bool CallScope::foreign_keys_enforced() const noexcept {
  int enabled = 0;
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &enabled);
  return enabled != 0;
}

CallScope::Failure CallScope::exec_failure(const char* sql) {
  Failure failure;
  if (exec(db_, sql) != SQLITE_OK) failure = last_failure();
  return failure;
}

CallScope::Failure CallScope::run_over(Statement& statement, Feed& feed) {
  Failure failure;
  sqlite3_bind_pointer(statement.get(), 1, &feed, kFeedPointerType, nullptr);
  Feed* const outer = state_.active_feed;
  state_.active_feed = &feed;
  if (statement.step() != SQLITE_DONE) failure = last_failure();
  state_.active_feed = outer;
  statement.reset();
  return failure;
}

// ---------------------------------------------------------------------------
// Savepoint mode.

// A group's sessions (merged), then its turns: two set-based statements,
// each in key order (sort_by_key) where nothing can tell.
CallScope::Failure CallScope::write_merged(const std::string& owner,
                                           const std::vector<const PendingRow*>& rows) {
  Feed sessions;
  sessions.kind = Feed::Kind::MergedSessions;
  sessions.owner = &owner;
  sessions.sessions = sessions_of(rows);
  Feed lines;
  lines.owner = &owner;
  lines.rows = rows;
  if (store_.key_order_is_unobservable()) sort_by_key(sessions.sessions, lines.rows);
  Failure failure = run_over(store_.upsert_sessions(), sessions);
  if (failure) return failure;
  return run_over(store_.upsert_turns(), lines);
}

// The lines inside savepoint `name`: merged where nothing can observe it,
// else one by one through the sink statement. On a failure everything since
// the savepoint is undone and the failure returned. A deferred foreign key
// the lines violated (SQLite would report it only at COMMIT) counts as one.
CallScope::Failure CallScope::write_in_savepoint(const char* name, const std::string& owner,
                                                 const std::vector<const PendingRow*>& rows) {
  const std::string open = std::string("SAVEPOINT ") + name;
  if (Failure failure = exec_failure(open.c_str())) return failure;
  Failure failure;
  if (store_.grouping_is_unobservable()) {
    failure = write_merged(owner, rows);
  } else {
    Feed lines;
    lines.owner = &owner;
    lines.rows = rows;
    failure = run_over(store_.sink(), lines);
  }
  if (!failure && has_deferred_violations()) {
    failure = {SQLITE_CONSTRAINT_FOREIGNKEY, "deferred FOREIGN KEY constraint failed"};
  }
  if (failure) exec(db_, (std::string("ROLLBACK TO ") + name).c_str());
  if (Failure released = exec_failure((std::string("RELEASE ") + name).c_str());
      released && !failure) {
    return released;
  }
  return failure;
}

// Each line in a savepoint of its own, so a refused line leaves nothing and
// is named exactly. Only for a group in which the database refused a line.
// `first` is the index in the chunk of rows[0].
void CallScope::write_line_by_line(const std::string& owner,
                                   const std::vector<const PendingRow*>& rows, std::size_t first,
                                   std::vector<DbRejection>& rejections,
                                   std::optional<std::uint64_t> rejections_allowed) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (Failure failure = write_in_savepoint("lethe_ingest_line", owner, {rows[i]})) {
      rejections.push_back({first + i, line_error(failure)});
      // max_errors: stop as soon as the limit is passed.
      if (rejections_allowed && rejections.size() > *rejections_allowed) return;
    }
  }
}

// A chunk goes in groups of rows_per_group_ rows, each in a savepoint of its
// own: the whole chunk while the database accepts every line. What a group
// costs beyond its writes is journaling: SQLite copies each page that
// existed before the group's savepoint (and again before each of its
// set-based statements, which take a statement journal) into a temp file the
// first time the group changes it, so the fewer and bigger the groups, and
// the fewer pages each touches (sort_by_key), the less is copied; hence the
// chunks that grow to kMaxChunkRows lines (ext/call/ingest.hpp). A group in which
// the database refuses a line is written again line by line, which costs
// several times its rows written together, so after a refusal the groups
// shrink sixteenfold (to no fewer than 4 rows) and then grow back by an
// eighth per accepted group. The tables don't depend on the grouping: the
// lines of one key apply in input order either way.
std::vector<DbRejection> CallScope::write_in_groups(
    const std::string& owner, const std::vector<const PendingRow*>& rows,
    std::optional<std::uint64_t> rejections_allowed) {
  std::vector<DbRejection> rejections;
  std::vector<const PendingRow*> group;
  for (std::size_t first = 0; first < rows.size();) {
    const std::size_t size = std::min(rows_per_group_, rows.size() - first);
    const auto begin = rows.begin() + static_cast<std::ptrdiff_t>(first);
    group.assign(begin, begin + static_cast<std::ptrdiff_t>(size));
    if (const Failure failure = write_in_savepoint("lethe_ingest_chunk", owner, group)) {
      line_error(failure);  // throws unless the failure is a line's
      write_line_by_line(owner, group, first, rejections, rejections_allowed);
      if (rejections_allowed && rejections.size() > *rejections_allowed) return rejections;
      rows_per_group_ = std::max(kMinRowsPerGroup, size / 16);
    } else {
      rows_per_group_ = std::min(kMaxRowsPerGroup,
                                 rows_per_group_ + std::max<std::size_t>(1, rows_per_group_ / 8));
    }
    first += size;
  }
  return rejections;
}

// ---------------------------------------------------------------------------
// Single-statement mode: the sink statement, no savepoint to be had.

// Runs the sink statement over rows[begin, end). On a failure, `culprit` is
// the index in `rows` of the row the statement stopped on.
CallScope::Failure CallScope::run_sink(const std::string& owner,
                                       const std::vector<const PendingRow*>& rows,
                                       std::size_t begin, std::size_t end, std::size_t& culprit) {
  Feed feed;
  feed.owner = &owner;
  feed.rows.assign(rows.begin() + static_cast<std::ptrdiff_t>(begin),
                   rows.begin() + static_cast<std::ptrdiff_t>(end));
  Failure failure = run_over(store_.sink(), feed);
  culprit = feed.marked < 0 ? end : begin + static_cast<std::size_t>(feed.marked);
  return failure;
}

// Without a limit on refused lines (and without foreign keys, which SQLite
// checks when a statement ends, so a failed run can't name its culprit), a
// range is written in linear time: run it; when it stops on a refused row,
// run again the rows before it, which went through once already, so they
// become part of the caller's statement, and go on after it. Each row runs
// at most twice. What is written can then only be undone by SQLite, so a
// later failure of the call is reported with a code that makes SQLite roll
// back (CallScope::fail); only the database's own failures can come later.
void CallScope::write_range_keeping_prefixes(const std::string& owner,
                                             const std::vector<const PendingRow*>& rows,
                                             std::size_t begin, std::size_t end,
                                             std::vector<DbRejection>& rejections) {
  // SQLite copies the rows of an INSERT into a view into a temporary table
  // before the trigger runs, so a run costs every row it is given even when
  // it stops early: runs take a window of rows that shrinks to about twice
  // the distance between refusals and doubles while runs succeed.
  constexpr std::size_t kMaxWindow = 4096;
  constexpr std::size_t kMinWindow = 8;
  std::size_t window = kMaxWindow;
  while (begin < end) {
    const std::size_t stop = std::min(end, begin + window);
    std::size_t culprit = stop;
    const Failure failure = run_sink(owner, rows, begin, stop, culprit);
    if (!failure) {
      wrote_outside_savepoint_ = true;
      begin = stop;
      window = std::min(kMaxWindow, window * 2);
      continue;
    }
    LineError error = line_error(failure);  // throws unless the failure is a line's
    if (culprit >= stop) throw_database_error(failure);
    rejections.push_back({culprit, std::move(error)});
    write_range_keeping_prefixes(owner, rows, begin, culprit, rejections);
    window = std::max(kMinWindow, 2 * (culprit - begin));
    begin = culprit + 1;
  }
}

bool CallScope::keeps_written_prefixes(bool max_errors) const noexcept {
  return mode_ == CallMode::SingleStatement && !max_errors && !foreign_keys_enforced();
}

std::vector<DbRejection> CallScope::write_in_statements(
    const std::string& owner, const std::vector<const PendingRow*>& rows,
    std::optional<std::uint64_t> rejections_allowed) {
  std::vector<DbRejection> rejections;
  if (keeps_written_prefixes(rejections_allowed.has_value())) {
    write_range_keeping_prefixes(owner, rows, 0, rows.size(), rejections);
    return rejections;
  }
  // With max_errors (or foreign keys), the call must be able to fail after
  // finding a refused line, so its one write is the one run that succeeds:
  // each run is the whole batch without the rows refused so far, and none
  // runs once the limit is passed.
  std::vector<bool> refused(rows.size(), false);
  std::vector<const PendingRow*> remaining;
  std::vector<std::size_t> index;
  while (true) {
    remaining.clear();
    index.clear();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (refused[i]) continue;
      remaining.push_back(rows[i]);
      index.push_back(i);
    }
    if (remaining.empty()) break;
    std::size_t culprit = remaining.size();
    const Failure failure = run_sink(owner, remaining, 0, remaining.size(), culprit);
    if (!failure) {
      wrote_outside_savepoint_ = true;
      break;
    }
    LineError error = line_error(failure);  // throws unless the failure is a line's
    if (failure.rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
      throw BatchError(SQLITE_CONSTRAINT,
                       "a foreign key constraint failed, and inside a writing statement "
                       "(INSERT ... SELECT, CREATE TABLE ... AS SELECT) lethe cannot tell "
                       "which line caused it; run lethe_ingest in a plain SELECT to get one "
                       "error row per refused line");
    }
    if (culprit >= remaining.size()) throw_database_error(failure);
    refused[index[culprit]] = true;
    rejections.push_back({index[culprit], std::move(error)});
    if (rejections_allowed && rejections.size() > *rejections_allowed) break;
  }
  return rejections;
}

}  // namespace lethe
