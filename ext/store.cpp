#include "store.hpp"

#include <algorithm>
#include <unordered_map>

namespace lethe {

namespace {

// The merge rules of contract section 7. The INSTEAD OF trigger of
// lethe_sink in sql/schema.sql states the same two upserts for the
// nested-context path; the end-to-end tests compare both paths' tables.
constexpr const char* kUpsertSessionsSql =
    "INSERT INTO main.sessions (owner, tool, host, session_id, started_at, ended_at,"
    " working_dir, source_file, metadata) "
    "SELECT owner, tool, host, session_id, started_at, ended_at, working_dir, source_file,"
    " session_metadata FROM lethe_sink_rows(?1) WHERE true "
    "ON CONFLICT (owner, tool, host, session_id) DO UPDATE SET"
    " started_at = min(started_at, excluded.started_at),"
    " ended_at = max(ended_at, excluded.ended_at),"
    " working_dir = coalesce(working_dir, excluded.working_dir),"
    " source_file = coalesce(source_file, excluded.source_file),"
    " metadata = coalesce(metadata, excluded.metadata)";

constexpr const char* kUpsertTurnsSql =
    "INSERT INTO main.turns (owner, tool, host, session_id, turn_id, seq, role, timestamp,"
    " content, model, tokens_in, tokens_out, cost_usd, tool_calls, metadata) "
    "SELECT owner, tool, host, session_id, turn_id, seq, role, timestamp, content, model,"
    " tokens_in, tokens_out, cost_usd, tool_calls, metadata FROM lethe_sink_rows(?1) WHERE true "
    "ON CONFLICT (owner, tool, host, session_id, turn_id) DO UPDATE SET"
    " seq = excluded.seq, role = excluded.role, timestamp = excluded.timestamp,"
    " content = excluded.content, model = excluded.model, tokens_in = excluded.tokens_in,"
    " tokens_out = excluded.tokens_out, cost_usd = excluded.cost_usd,"
    " tool_calls = excluded.tool_calls, metadata = excluded.metadata";

constexpr const char* kSinkSql =
    "INSERT INTO main.lethe_sink (row_index) SELECT row_index FROM lethe_sink_rows(?1)";

std::string code_label(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return "SQLITE_FULL";
    case SQLITE_IOERR:
      return "SQLITE_IOERR";
    case SQLITE_NOMEM:
      return "SQLITE_NOMEM";
    case SQLITE_BUSY:
      return "SQLITE_BUSY";
    case SQLITE_LOCKED:
      return "SQLITE_LOCKED";
    case SQLITE_READONLY:
      return "SQLITE_READONLY";
    case SQLITE_INTERRUPT:
      return "SQLITE_INTERRUPT";
    case SQLITE_CORRUPT:
      return "SQLITE_CORRUPT";
    case SQLITE_CONSTRAINT:
      return "SQLITE_CONSTRAINT";
    case SQLITE_ABORT:
      return "SQLITE_ABORT";
    default:
      return "SQLite error " + std::to_string(rc & 0xff);
  }
}

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

}  // namespace

int batch_error_code(int cause, bool caller_in_transaction) noexcept {
  const int primary = cause & 0xff;
  const bool would_roll_back_caller = primary == SQLITE_FULL || primary == SQLITE_IOERR ||
                                      primary == SQLITE_NOMEM || primary == SQLITE_INTERRUPT;
  if (caller_in_transaction && would_roll_back_caller) return SQLITE_ERROR;
  return primary == SQLITE_OK || primary == SQLITE_DONE || primary == SQLITE_ROW ? SQLITE_ERROR
                                                                                 : primary;
}

// ---------------------------------------------------------------------------
// The call.

// The schema is checked by preparing every statement lethe uses (the sink
// statement compiles the trigger, which names every column of both tables).
// SQLite bumps schema_version on any schema change; only then is the check
// repeated, so a call normally pays one tiny query for it.
void Store::prepare() {
  if (!schema_version_query_) schema_version_query_ = Statement(db_, "PRAGMA main.schema_version");
  const bool read = schema_version_query_.step() == SQLITE_ROW;
  const std::int64_t version = read ? sqlite3_column_int64(schema_version_query_.get(), 0) : -1;
  schema_version_query_.reset();
  if (sink_ && version == prepared_schema_version_) return;
  upsert_sessions_ = Statement();
  upsert_turns_ = Statement();
  sink_ = Statement();
  try {
    upsert_sessions_ = Statement(db_, kUpsertSessionsSql);
    upsert_turns_ = Statement(db_, kUpsertTurnsSql);
    sink_ = Statement(db_, kSinkSql);
  } catch (const BatchError& e) {
    sink_ = Statement();
    // Only "no such table/column" and the like mean the schema; an
    // interrupt or a lock while preparing is the database's condition.
    if ((e.code() & 0xff) != SQLITE_ERROR) fail_with_database_error(e.code(), e.what());
    throw BatchError(SQLITE_ERROR, std::string("the tables sessions and turns (and lethe's "
                                               "view lethe_sink) are missing or of another "
                                               "shape: ") +
                                       e.what() + "; apply sql/schema.sql to this database");
  }
  prepared_schema_version_ = version;
}

CallMode Store::begin_call() {
  mode_ = CallMode::Savepoint;
  savepoint_open_ = false;
  caller_autocommit_ = sqlite3_get_autocommit(db_) != 0;
  const int rc = exec(db_, "SAVEPOINT lethe_ingest_call");
  if (rc == SQLITE_OK) {
    savepoint_open_ = true;
    deferred_violations_at_start_ = has_new_deferred_violations();
    rows_per_group_ = kMaxRowsPerGroup;
  } else if (rc == SQLITE_BUSY) {
    // SQLite refuses SAVEPOINT while a writing statement is active: we run
    // inside the caller's INSERT ... SELECT or CREATE TABLE ... AS SELECT.
    mode_ = CallMode::SingleStatement;
  } else {
    const std::string message = sqlite3_errmsg(db_);
    // An interrupt can strike after the savepoint opened: close it.
    savepoint_open_ = caller_autocommit_ && sqlite3_get_autocommit(db_) == 0;
    rollback_call();
    fail_with_database_error(rc, message);
  }
  return mode_;
}

void Store::commit_call() {
  if (!savepoint_open_) return;
  const int rc = exec(db_, "RELEASE lethe_ingest_call");
  if (rc != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db_);
    rollback_call();
    fail_with_database_error(rc, message);
  }
  savepoint_open_ = false;
}

void Store::rollback_call() noexcept {
  if (!savepoint_open_) return;
  savepoint_open_ = false;
  // If the database already rolled the whole transaction back (an I/O
  // error, a trigger's RAISE(ROLLBACK)), the savepoint is gone and these
  // fail harmlessly.
  exec(db_, "ROLLBACK TO lethe_ingest_call");
  if (exec(db_, "RELEASE lethe_ingest_call") != SQLITE_OK && caller_autocommit_ &&
      sqlite3_get_autocommit(db_) == 0) {
    exec(db_, "ROLLBACK");
  }
}

bool Store::left_own_transaction_open() const noexcept {
  return mode_ == CallMode::Savepoint && caller_autocommit_ && sqlite3_get_autocommit(db_) == 0;
}

std::vector<DbRejection> Store::write(const std::string& owner,
                                      const std::vector<const PendingRow*>& rows) {
  return mode_ == CallMode::Savepoint ? write_directly(owner, rows)
                                      : write_in_one_statement(owner, rows);
}

// ---------------------------------------------------------------------------
// Errors.

void Store::fail_with_database_error(int rc, const std::string& message) {
  std::string hint;
  if ((rc & 0xff) == SQLITE_ERROR) {
    hint = " (if sessions, turns or lethe_sink changed shape, apply sql/schema.sql)";
  }
  if (!caller_autocommit_ && sqlite3_get_autocommit(db_) != 0) {
    // SQLite rolled back the caller's whole transaction (it does so when a
    // write is interrupted or hits an I/O error): nothing left to protect,
    // so report the real code and say what happened.
    throw BatchError(rc & 0xff, "the database cannot take the writes: " + message + " (" +
                                    code_label(rc) +
                                    "); SQLite rolled back the whole transaction, so "
                                    "nothing of this call, nor the earlier work of the "
                                    "transaction, was kept");
  }
  throw BatchError(batch_error_code(rc, !caller_autocommit_),
                   "the database cannot take the writes: " + message + " (" + code_label(rc) + ")" +
                       hint + "; nothing of this call was written");
}

// The database rolled back the whole transaction, our savepoint with it (an
// interrupted write, an I/O error, a RAISE(ROLLBACK) or an ON CONFLICT
// ROLLBACK constraint): never go on writing outside it.
void Store::throw_if_transaction_lost(const Failure& failure) {
  if (mode_ == CallMode::Savepoint && sqlite3_get_autocommit(db_) != 0) {
    savepoint_open_ = false;
    fail_with_database_error(failure.rc, failure.message);
  }
}

LineError Store::line_error(const Failure& failure) {
  throw_if_transaction_lost(failure);
  LineError error;
  const int primary = failure.rc & 0xff;
  if (failure.rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    error.code = ErrorCode::DbForeignKey;
  } else if (primary == SQLITE_CONSTRAINT) {
    error.code = ErrorCode::DbConstraint;
  } else if (primary == SQLITE_TOOBIG || primary == SQLITE_MISMATCH || primary == SQLITE_RANGE) {
    error.code = ErrorCode::DbUpsert;
  } else {
    fail_with_database_error(failure.rc, failure.message);
  }
  error.message = "the database refused the line: " + failure.message;
  return error;
}

bool Store::has_new_deferred_violations() const noexcept {
  int current = 0;
  int highwater = 0;
  sqlite3_db_status(db_, SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highwater, 0);
  return current != 0;
}

// ---------------------------------------------------------------------------
// Savepoint mode: per chunk, one INSERT ... SELECT for its sessions and one
// for its turns.

Store::Failure Store::last_failure() const {
  return {sqlite3_extended_errcode(db_), sqlite3_errmsg(db_)};
}

Store::Failure Store::run_over(Statement& statement, Feed& feed) {
  Failure failure;
  sqlite3_bind_pointer(statement.get(), 1, &feed, kFeedPointerType, nullptr);
  if (statement.step() != SQLITE_DONE) {
    failure = last_failure();
  }
  statement.reset();
  return failure;
}

Store::Failure Store::savepoint(const char* sql) {
  Failure failure;
  if (exec(db_, sql) != SQLITE_OK) {
    failure = last_failure();
  }
  return failure;
}

// The lines' sessions (merged), then their turns, inside savepoint `name`;
// on a failure everything since the savepoint is undone and the failure
// returned. A deferred foreign key the lines violated (SQLite would only
// report it at COMMIT) counts as a failure.
Store::Failure Store::write_in_savepoint(const char* name, const std::string& owner,
                                         const std::vector<const PendingRow*>& rows) {
  const std::string open = std::string("SAVEPOINT ") + name;
  if (Failure failure = savepoint(open.c_str())) return failure;
  Feed sessions;
  sessions.kind = Feed::Kind::MergedSessions;
  sessions.owner = &owner;
  sessions.sessions = sessions_of(rows);
  Failure failure = run_over(upsert_sessions_, sessions);
  if (!failure) {
    Feed lines;
    lines.owner = &owner;
    lines.rows = rows;
    failure = run_over(upsert_turns_, lines);
  }
  if (!failure && !deferred_violations_at_start_ && has_new_deferred_violations()) {
    failure = {SQLITE_CONSTRAINT_FOREIGNKEY, "deferred FOREIGN KEY constraint failed"};
  }
  if (failure) exec(db_, (std::string("ROLLBACK TO ") + name).c_str());
  if (Failure released = savepoint((std::string("RELEASE ") + name).c_str());
      released && !failure) {
    return released;
  }
  return failure;
}

// Each line in a savepoint of its own, so a refused line leaves nothing and
// is named exactly. Only used for a group in which the database refused a
// line: it costs two more statements a line. `first` is the index in the
// chunk of rows[0].
void Store::write_line_by_line(const std::string& owner, const std::vector<const PendingRow*>& rows,
                               std::size_t first, std::vector<DbRejection>& rejections) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (Failure failure = write_in_savepoint("lethe_ingest_line", owner, {rows[i]})) {
      rejections.push_back({first + i, line_error(failure)});
    }
  }
}

// A chunk goes in groups of rows_per_group_ rows, each in a savepoint of its
// own: the whole chunk while the database accepts every line. A group in
// which it refuses a line is written again line by line, which costs several
// times its rows written together (a savepoint journals every page it
// touches), so after a refusal the groups shrink sixteenfold (to no fewer
// than 4 rows) and then grow back by an eighth per accepted group. Where
// lines are refused now and then, few rows go line by line; a batch without
// refusals never leaves the fast path. The tables don't depend on the
// grouping: lines apply in input order either way.
std::vector<DbRejection> Store::write_directly(const std::string& owner,
                                               const std::vector<const PendingRow*>& rows) {
  std::vector<DbRejection> rejections;
  std::vector<const PendingRow*> group;
  for (std::size_t first = 0; first < rows.size();) {
    const std::size_t size = std::min(rows_per_group_, rows.size() - first);
    const auto begin = rows.begin() + static_cast<std::ptrdiff_t>(first);
    group.assign(begin, begin + static_cast<std::ptrdiff_t>(size));
    if (const Failure failure = write_in_savepoint("lethe_ingest_chunk", owner, group)) {
      line_error(failure);  // throws unless the failure is a line's
      write_line_by_line(owner, group, first, rejections);
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
// Single-statement mode: the sink statement over every row.

Store::Failure Store::execute_sink(Feed& feed) {
  Failure failure;
  feed.marked = -1;
  sqlite3_bind_pointer(sink_.get(), 1, &feed, kFeedPointerType, nullptr);
  state_.active_feed = &feed;
  if (sink_.step() != SQLITE_DONE) {
    failure = last_failure();
  }
  state_.active_feed = nullptr;
  sink_.reset();
  return failure;
}

std::vector<DbRejection> Store::write_in_one_statement(const std::string& owner,
                                                       const std::vector<const PendingRow*>& rows) {
  std::vector<DbRejection> rejections;
  std::vector<bool> refused(rows.size(), false);
  Feed feed;
  feed.owner = &owner;
  while (true) {
    feed.rows.clear();
    feed.ids.clear();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (refused[i]) continue;
      feed.rows.push_back(rows[i]);
      feed.ids.push_back(i);
    }
    if (feed.rows.empty()) break;
    const Failure failure = execute_sink(feed);
    if (!failure) break;
    LineError error = line_error(failure);  // throws unless the failure is a line's
    if (failure.rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
      // SQLite checks immediate foreign keys when a statement ends, so the
      // last marked row is not necessarily the one at fault, and without a
      // savepoint single statements can't be undone as a group.
      throw BatchError(SQLITE_CONSTRAINT,
                       "a foreign key constraint failed, and inside a writing statement "
                       "(INSERT ... SELECT, CREATE TABLE ... AS SELECT) lethe cannot tell "
                       "which line caused it, so nothing was written; run lethe_ingest in a "
                       "plain SELECT to get one error row per refused line");
    }
    if (feed.marked < 0 || static_cast<std::size_t>(feed.marked) >= feed.rows.size()) {
      fail_with_database_error(failure.rc, failure.message);
    }
    const std::size_t culprit = feed.ids[static_cast<std::size_t>(feed.marked)];
    refused[culprit] = true;
    rejections.push_back({culprit, std::move(error)});
  }
  return rejections;
}

}  // namespace lethe
