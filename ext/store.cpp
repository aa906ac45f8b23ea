#include "store.hpp"

#include <algorithm>
#include <cstring>

namespace lethe {

namespace {

constexpr const char* kFeedPointerType = "lethe_feed";

constexpr const char* kSinkSql =
    "INSERT INTO main.lethe_sink (row_index) SELECT row_index FROM lethe_sink_rows(?1)";

// The values lethe_sink_value(k) returns, numbered as in sql/schema.sql.
enum SinkValue {
  kOwner,
  kTool,
  kHost,
  kSessionId,
  kTurnId,
  kSeq,
  kRole,
  kTimestamp,
  kContent,
  kModel,
  kTokensIn,
  kTokensOut,
  kCostUsd,
  kToolCalls,
  kMetadata,
  kStartedAt,
  kWorkingDir,
  kSourceFile,
  kSessionMetadata,
};

// Columns of lethe_sink_rows.
enum FeedColumn { kRowIndex, kFeedArgument };

constexpr const char* kFeedSchema = "CREATE TABLE x(row_index, feed HIDDEN)";

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

bool is_line_specific_value_error(int primary) {
  return primary == SQLITE_TOOBIG || primary == SQLITE_MISMATCH || primary == SQLITE_RANGE;
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

void Store::prepare() {
  if (sink_) return;
  try {
    sink_ = Statement(db_, kSinkSql);
  } catch (const BatchError& e) {
    // Only "no such table/column" and the like mean the schema; an
    // interrupt or a lock while preparing is the database's condition.
    if ((e.code() & 0xff) != SQLITE_ERROR) fail_with_database_error(e.code(), e.what());
    throw BatchError(SQLITE_ERROR, std::string("the tables sessions and turns (and lethe's "
                                               "view lethe_sink) are missing or of another "
                                               "shape: ") +
                                       e.what() + "; apply sql/schema.sql to this database");
  }
}

CallMode Store::begin_call() {
  mode_ = CallMode::Savepoint;
  savepoint_open_ = false;
  caller_autocommit_ = sqlite3_get_autocommit(db_) != 0;
  const int rc = exec(db_, "SAVEPOINT lethe_ingest_call");
  if (rc == SQLITE_OK) {
    mode_ = CallMode::Savepoint;
    savepoint_open_ = true;
    deferred_violations_at_start_ = has_deferred_foreign_key_violations();
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
                   "the database cannot take the writes: " + message + " (" + code_label(rc) +
                       ")" + hint + "; nothing of this call was written");
}

bool Store::has_deferred_foreign_key_violations() const noexcept {
  int current = 0;
  int highwater = 0;
  sqlite3_db_status(db_, SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highwater, 0);
  return current != 0;
}

// Runs the sink statement once over `feed`. In savepoint mode the statement
// also runs in a savepoint of its own, so that even a failure SQLite does not
// undo by itself (a trigger's RAISE(FAIL), a constraint declared ON CONFLICT
// FAIL) leaves nothing, and so that a deferred foreign key the chunk violated
// (SQLite would only report it at COMMIT) can be undone and attributed.
Store::StepResult Store::execute(Feed& feed) {
  StepResult result;
  feed.marked = -1;
  const bool own_savepoint = mode_ == CallMode::Savepoint;
  if (own_savepoint) {
    result.rc = exec(db_, "SAVEPOINT lethe_ingest_chunk");
    if (result.rc != SQLITE_OK) {
      result.message = sqlite3_errmsg(db_);
      return result;
    }
  }
  sqlite3_bind_pointer(sink_.get(), 1, &feed, kFeedPointerType, nullptr);
  state_.active_feed = &feed;
  result.rc = sink_.step();
  state_.active_feed = nullptr;
  if (result.rc != SQLITE_DONE) {
    result.rc = sqlite3_extended_errcode(db_);
    result.message = sqlite3_errmsg(db_);
  } else if (own_savepoint && !deferred_violations_at_start_ &&
             has_deferred_foreign_key_violations()) {
    result.rc = SQLITE_CONSTRAINT_FOREIGNKEY;
    result.message = "deferred FOREIGN KEY constraint failed";
  }
  sink_.reset();
  if (own_savepoint) {
    if (result.rc != SQLITE_DONE) exec(db_, "ROLLBACK TO lethe_ingest_chunk");
    const int released = exec(db_, "RELEASE lethe_ingest_chunk");
    if (result.rc == SQLITE_DONE && released != SQLITE_OK) {
      result.rc = sqlite3_extended_errcode(db_);
      result.message = sqlite3_errmsg(db_);
    }
  }
  return result;
}

Store::Outcome Store::run_once(Feed& feed, DbRejection& rejection) {
  const StepResult result = execute(feed);
  const int rc = result.rc;
  if (rc == SQLITE_DONE) return Outcome::Done;
  if (mode_ == CallMode::Savepoint && sqlite3_get_autocommit(db_) != 0) {
    // The database rolled back the whole transaction, our savepoint with it
    // (an interrupted write, an I/O error, a RAISE(ROLLBACK) or an ON
    // CONFLICT ROLLBACK constraint): never go on writing outside it.
    savepoint_open_ = false;
    fail_with_database_error(rc, result.message);
  }

  const int primary = rc & 0xff;
  std::int64_t culprit = feed.marked;
  ErrorCode code = ErrorCode::DbConstraint;
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    // SQLite checks immediate foreign keys when a statement ends, so the
    // last marked row is not necessarily the one at fault. Only a statement
    // of one row names its culprit.
    if (feed.rows.size() != 1) return Outcome::NeedRowByRow;
    culprit = 0;
    code = ErrorCode::DbForeignKey;
  } else if (primary == SQLITE_CONSTRAINT) {
    code = ErrorCode::DbConstraint;
  } else if (is_line_specific_value_error(primary)) {
    code = ErrorCode::DbUpsert;
  } else {
    fail_with_database_error(rc, result.message);
  }
  if (culprit < 0 || static_cast<std::size_t>(culprit) >= feed.rows.size()) {
    fail_with_database_error(rc, result.message);
  }
  rejection.row = feed.ids[static_cast<std::size_t>(culprit)];
  rejection.error.code = code;
  rejection.error.field.clear();
  rejection.error.message = "the database refused the line: " + result.message;
  return Outcome::RowRefused;
}

// Each row in a statement of its own: every statement's foreign keys are
// checked at its end, so a failure names its row. Only possible with the
// call's savepoint: without it, statements can't be undone as a group.
void Store::write_row_by_row(const Feed& remaining, std::vector<DbRejection>& rejections) {
  if (mode_ != CallMode::Savepoint) {
    throw BatchError(SQLITE_CONSTRAINT,
                     "a foreign key constraint failed, and inside a writing "
                     "statement (INSERT ... SELECT, CREATE TABLE ... AS "
                     "SELECT) lethe cannot tell which line caused it, so "
                     "nothing was written; run lethe_ingest in a plain SELECT "
                     "to get one error row per refused line");
  }
  Feed single;
  single.owner = remaining.owner;
  for (std::size_t i = 0; i < remaining.rows.size(); ++i) {
    single.rows.assign(1, remaining.rows[i]);
    single.ids.assign(1, remaining.ids[i]);
    DbRejection rejection;
    if (run_once(single, rejection) == Outcome::RowRefused) {
      rejections.push_back(std::move(rejection));
    }
  }
}

std::vector<DbRejection> Store::write(const std::string& owner,
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
    DbRejection rejection;
    const Outcome outcome = run_once(feed, rejection);
    if (outcome == Outcome::Done) break;
    if (outcome == Outcome::NeedRowByRow) {
      write_row_by_row(feed, rejections);
      break;
    }
    refused[rejection.row] = true;
    rejections.push_back(std::move(rejection));
  }
  return rejections;
}

// ---------------------------------------------------------------------------
// lethe_sink_rows(feed): an eponymous virtual table with one column,
// row_index, 0..n-1 over a Feed bound as a pointer (sqlite3_bind_pointer),
// so SQL text can never forge one.

namespace {

struct FeedCursor {
  sqlite3_vtab_cursor base{};
  std::size_t position = 0;
  std::size_t count = 0;  // 0 without a feed
};

int feed_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) noexcept {
  const int rc = sqlite3_declare_vtab(db, kFeedSchema);
  if (rc != SQLITE_OK) return rc;
  auto* table = new (std::nothrow) sqlite3_vtab{};
  if (table == nullptr) return SQLITE_NOMEM;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = table;
  return SQLITE_OK;
}

int feed_disconnect(sqlite3_vtab* vtab) noexcept {
  delete vtab;
  return SQLITE_OK;
}

int feed_best_index(sqlite3_vtab*, sqlite3_index_info* info) noexcept {
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn != kFeedArgument || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c.usable) return SQLITE_CONSTRAINT;
    info->aConstraintUsage[i].argvIndex = 1;
    info->aConstraintUsage[i].omit = 1;
    info->idxNum = 1;
    info->estimatedCost = 1;
    return SQLITE_OK;
  }
  info->idxNum = 0;  // no feed: no rows
  return SQLITE_OK;
}

int feed_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) noexcept {
  auto* cursor = new (std::nothrow) FeedCursor;
  if (cursor == nullptr) return SQLITE_NOMEM;
  *out = &cursor->base;
  return SQLITE_OK;
}

int feed_close(sqlite3_vtab_cursor* cur) noexcept {
  delete reinterpret_cast<FeedCursor*>(cur);
  return SQLITE_OK;
}

int feed_filter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc,
                sqlite3_value** argv) noexcept {
  auto* cursor = reinterpret_cast<FeedCursor*>(cur);
  const auto* feed =
      idx_num == 1 && argc == 1
          ? static_cast<const Feed*>(sqlite3_value_pointer(argv[0], kFeedPointerType))
          : nullptr;
  cursor->position = 0;
  cursor->count = feed != nullptr ? feed->rows.size() : 0;
  return SQLITE_OK;
}

int feed_next(sqlite3_vtab_cursor* cur) noexcept {
  ++reinterpret_cast<FeedCursor*>(cur)->position;
  return SQLITE_OK;
}

int feed_eof(sqlite3_vtab_cursor* cur) noexcept {
  const auto* cursor = reinterpret_cast<FeedCursor*>(cur);
  return cursor->position >= cursor->count ? 1 : 0;
}

int feed_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int) noexcept {
  sqlite3_result_int64(ctx,
                       static_cast<sqlite3_int64>(reinterpret_cast<FeedCursor*>(cur)->position));
  return SQLITE_OK;
}

int feed_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) noexcept {
  *rowid = static_cast<sqlite3_int64>(reinterpret_cast<FeedCursor*>(cur)->position);
  return SQLITE_OK;
}

constexpr sqlite3_module make_feed_module() {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = nullptr;  // eponymous only
  m.xConnect = feed_connect;
  m.xBestIndex = feed_best_index;
  m.xDisconnect = feed_disconnect;
  m.xOpen = feed_open;
  m.xClose = feed_close;
  m.xFilter = feed_filter;
  m.xNext = feed_next;
  m.xEof = feed_eof;
  m.xColumn = feed_column;
  m.xRowid = feed_rowid;
  return m;
}

constexpr sqlite3_module kFeedModule = make_feed_module();

// The row the sink trigger is writing, or null outside a lethe write.
const PendingRow* current_row(sqlite3_context* ctx) {
  const auto* state = static_cast<const ConnectionState*>(sqlite3_user_data(ctx));
  const Feed* feed = state->active_feed;
  if (feed == nullptr || feed->marked < 0 ||
      static_cast<std::size_t>(feed->marked) >= feed->rows.size()) {
    return nullptr;
  }
  return feed->rows[static_cast<std::size_t>(feed->marked)];
}

// lethe_sink_row(i): the first step of the sink trigger for row i. It selects
// the row lethe_sink_value reads and records how far the statement got,
// which is how a failed statement names its culprit.
void sink_row_function(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  auto* state = static_cast<ConnectionState*>(sqlite3_user_data(ctx));
  sqlite3_result_null(ctx);
  if (state->active_feed == nullptr) return;  // outside a lethe write: no effect
  state->active_feed->marked = sqlite3_value_int64(argv[0]);
}

// Text without a copy (SQLITE_STATIC): the rows outlive the statement. A
// value longer than SQLITE_LIMIT_LENGTH makes SQLite fail the statement with
// SQLITE_TOOBIG, which then names the marked row (DB_UPSERT).
void result_text(sqlite3_context* ctx, const char* data, std::size_t size) {
  sqlite3_result_text64(ctx, data, size, SQLITE_STATIC, SQLITE_UTF8);
}

void result_text(sqlite3_context* ctx, const std::optional<std::string>& text) {
  if (text) {
    result_text(ctx, text->data(), text->size());
  } else {
    sqlite3_result_null(ctx);
  }
}

void result_int(sqlite3_context* ctx, const std::optional<std::int64_t>& value) {
  if (value) {
    sqlite3_result_int64(ctx, *value);
  } else {
    sqlite3_result_null(ctx);
  }
}

void result_value(sqlite3_context* ctx, const std::string& owner, const TurnRecord& r,
                  sqlite3_int64 which) {
  switch (which) {
    case kOwner:
      return result_text(ctx, owner.data(), owner.size());
    case kTool:
      return result_text(ctx, r.tool.data(), r.tool.size());
    case kHost:
      return result_text(ctx, r.host.data(), r.host.size());
    case kSessionId:
      return result_text(ctx, r.session_id.data(), r.session_id.size());
    case kTurnId:
      return result_text(ctx, r.turn_id.data(), r.turn_id.size());
    case kSeq:
      return sqlite3_result_int64(ctx, r.seq);
    case kRole:
      return result_text(ctx, r.role.data(), r.role.size());
    case kTimestamp:
      return result_text(ctx, r.timestamp.data(), r.timestamp.size());
    case kContent:
      return result_text(ctx, r.content);
    case kModel:
      return result_text(ctx, r.model);
    case kTokensIn:
      return result_int(ctx, r.tokens_in);
    case kTokensOut:
      return result_int(ctx, r.tokens_out);
    case kCostUsd:
      if (r.cost_usd) return sqlite3_result_double(ctx, *r.cost_usd);
      return sqlite3_result_null(ctx);
    case kToolCalls:
      return result_text(ctx, r.tool_calls);
    case kMetadata:
      return result_text(ctx, r.metadata);
    case kStartedAt:
      if (r.started_at) return result_text(ctx, r.started_at->data(), r.started_at->size());
      return sqlite3_result_null(ctx);
    case kWorkingDir:
      return result_text(ctx, r.working_dir);
    case kSourceFile:
      return result_text(ctx, r.source_file);
    case kSessionMetadata:
      return result_text(ctx, r.session_metadata);
    default:
      return sqlite3_result_null(ctx);
  }
}

// lethe_sink_value(k): value k (numbered in sql/schema.sql) of the row the
// sink trigger is writing; NULL outside a lethe write.
void sink_value_function(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  const PendingRow* row = current_row(ctx);
  if (row == nullptr) {
    sqlite3_result_null(ctx);
    return;
  }
  const auto* state = static_cast<const ConnectionState*>(sqlite3_user_data(ctx));
  result_value(ctx, *state->active_feed->owner, row->record, sqlite3_value_int64(argv[0]));
}

}  // namespace

int register_store_helpers(sqlite3* db, ConnectionState* state) {
  int rc = sqlite3_create_module_v2(db, "lethe_sink_rows", &kFeedModule, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  // Innocuous: outside a lethe write they do nothing, so a schema may call
  // them (the sink trigger does) even with PRAGMA trusted_schema=OFF.
  rc = sqlite3_create_function_v2(db, "lethe_sink_row", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS, state,
                                  sink_row_function, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_create_function_v2(db, "lethe_sink_value", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS,
                                    state, sink_value_function, nullptr, nullptr, nullptr);
}

}  // namespace lethe
