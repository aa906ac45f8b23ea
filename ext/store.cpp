#include "store.hpp"

#include <algorithm>
#include <cstring>

namespace lethe {

namespace {

constexpr const char* kFeedPointerType = "lethe_feed";

constexpr const char* kSinkSql =
    "INSERT INTO main.lethe_sink (owner, tool, host, session_id, turn_id, seq,"
    " role, timestamp, content, model, tokens_in, tokens_out, cost_usd,"
    " tool_calls, metadata, started_at, working_dir, source_file,"
    " session_metadata, row_index) "
    "SELECT owner, tool, host, session_id, turn_id, seq, role, timestamp,"
    " content, model, tokens_in, tokens_out, cost_usd, tool_calls, metadata,"
    " started_at, working_dir, source_file, session_metadata, row_index "
    "FROM lethe_sink_rows(?1)";

// Columns of lethe_sink_rows, in the order of the sink statement.
enum FeedColumn {
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
  kRowIndex,
  kFeedArgument  // hidden: the pointer to the Feed
};

constexpr const char* kFeedSchema =
    "CREATE TABLE x(owner, tool, host, session_id, turn_id, seq, role,"
    " timestamp, content, model, tokens_in, tokens_out, cost_usd, tool_calls,"
    " metadata, started_at, working_dir, source_file, session_metadata,"
    " row_index, feed HIDDEN)";

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
    throw BatchError(SQLITE_ERROR, std::string("the tables sessions and turns (and lethe's "
                                               "view lethe_sink) are missing or of another "
                                               "shape: ") +
                                       e.what() + "; apply sql/schema.sql to this database");
  }
}

CallMode Store::begin_call() {
  caller_autocommit_ = sqlite3_get_autocommit(db_) != 0;
  const int rc = exec(db_, "SAVEPOINT lethe_ingest_call");
  if (rc == SQLITE_OK) {
    mode_ = CallMode::Savepoint;
    savepoint_open_ = true;
  } else if (rc == SQLITE_BUSY) {
    // SQLite refuses SAVEPOINT while a writing statement is active: we run
    // inside the caller's INSERT ... SELECT or CREATE TABLE ... AS SELECT.
    mode_ = CallMode::SingleStatement;
  } else {
    fail_with_database_error(rc, sqlite3_errmsg(db_));
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

void Store::fail_with_database_error(int rc, const std::string& message) {
  throw BatchError(batch_error_code(rc, !caller_autocommit_),
                   "the database cannot take the writes: " + message + " (" + code_label(rc) +
                       "); nothing of this call was written");
}

// In savepoint mode every statement also runs in a savepoint of its own, so
// that even a failure SQLite does not undo by itself (a trigger's
// RAISE(FAIL), a constraint declared ON CONFLICT FAIL) leaves nothing.
int Store::step_in_chunk_savepoint() {
  const bool own_savepoint = mode_ == CallMode::Savepoint;
  if (own_savepoint) {
    const int rc = exec(db_, "SAVEPOINT lethe_ingest_chunk");
    if (rc != SQLITE_OK) return rc;
  }
  int rc = sink_.step();
  if (rc == SQLITE_DONE) {
    sink_.reset();
    if (own_savepoint)
      rc = exec(db_, "RELEASE lethe_ingest_chunk") == SQLITE_OK ? SQLITE_DONE
                                                                : sqlite3_extended_errcode(db_);
    return rc;
  }
  rc = sqlite3_extended_errcode(db_);
  return rc;
}

Store::Outcome Store::run_once(Feed& feed, DbRejection& rejection) {
  feed.marked = -1;
  feed.column_failure = -1;
  sqlite3_bind_pointer(sink_.get(), 1, &feed, kFeedPointerType, nullptr);
  state_.active_feed = &feed;
  const int rc = step_in_chunk_savepoint();
  state_.active_feed = nullptr;
  if (rc == SQLITE_DONE) return Outcome::Done;

  const std::string message = sqlite3_errmsg(db_);
  sink_.reset();
  if (mode_ == CallMode::Savepoint) {
    exec(db_, "ROLLBACK TO lethe_ingest_chunk");
    exec(db_, "RELEASE lethe_ingest_chunk");
  }
  if (mode_ == CallMode::Savepoint && sqlite3_get_autocommit(db_) != 0) {
    // The database rolled back the whole transaction, our savepoint with it
    // (an interrupted write, an I/O error, a RAISE(ROLLBACK) or an ON
    // CONFLICT ROLLBACK constraint): never go on writing outside it.
    savepoint_open_ = false;
    fail_with_database_error(rc, message);
  }

  const int primary = rc & 0xff;
  std::int64_t culprit = -1;
  ErrorCode code = ErrorCode::DbConstraint;
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    // SQLite checks immediate foreign keys when a statement ends, so the
    // last marked row is not necessarily the one at fault. Only a statement
    // of one row names its culprit.
    if (feed.rows.size() != 1) return Outcome::NeedRowByRow;
    culprit = 0;
    code = ErrorCode::DbForeignKey;
  } else if (primary == SQLITE_CONSTRAINT || is_line_specific_value_error(primary)) {
    culprit = feed.column_failure >= 0 ? feed.column_failure : feed.marked;
    code = primary == SQLITE_CONSTRAINT ? ErrorCode::DbConstraint : ErrorCode::DbUpsert;
  } else {
    fail_with_database_error(rc, message);
  }
  if (culprit < 0 || static_cast<std::size_t>(culprit) >= feed.rows.size()) {
    fail_with_database_error(rc, message);
  }
  rejection.row = feed.ids[static_cast<std::size_t>(culprit)];
  rejection.error.code = code;
  rejection.error.field.clear();
  rejection.error.message = "the database refused the line: " + message;
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
// lethe_sink_rows: an eponymous virtual table over a Feed, bound as a pointer
// (sqlite3_bind_pointer), so SQL text can never forge one. It emits the
// feed's rows and then one sentinel row (row_index = n, every other column
// NULL) that writes nothing: it marks the end of the rows, so an error raised
// after the last row's writes is never blamed on that row.

namespace {

struct FeedTable {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
};

struct FeedCursor {
  sqlite3_vtab_cursor base{};
  Feed* feed = nullptr;
  std::size_t position = 0;
  std::size_t count = 0;  // rows plus the sentinel; 0 without a feed
};

int feed_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) noexcept {
  const int rc = sqlite3_declare_vtab(db, kFeedSchema);
  if (rc != SQLITE_OK) return rc;
  auto* table = new (std::nothrow) FeedTable;
  if (table == nullptr) return SQLITE_NOMEM;
  table->db = db;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = &table->base;
  return SQLITE_OK;
}

int feed_disconnect(sqlite3_vtab* vtab) noexcept {
  delete reinterpret_cast<FeedTable*>(vtab);
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
  cursor->feed = idx_num == 1 && argc == 1
                     ? static_cast<Feed*>(sqlite3_value_pointer(argv[0], kFeedPointerType))
                     : nullptr;
  cursor->position = 0;
  cursor->count = cursor->feed != nullptr ? cursor->feed->rows.size() + 1 : 0;
  return SQLITE_OK;
}

int feed_next(sqlite3_vtab_cursor* cur) noexcept {
  ++reinterpret_cast<FeedCursor*>(cur)->position;
  return SQLITE_OK;
}

int feed_eof(sqlite3_vtab_cursor* cur) noexcept {
  auto* cursor = reinterpret_cast<FeedCursor*>(cur);
  return cursor->position >= cursor->count ? 1 : 0;
}

// Text is bound without a copy (SQLITE_STATIC): the rows outlive the
// statement. A value longer than the connection's SQLITE_LIMIT_LENGTH fails
// here, so the row is remembered as the culprit (DB_UPSERT).
void result_text(sqlite3_context* ctx, FeedCursor* cursor, const char* data, std::size_t size) {
  sqlite3* db = sqlite3_context_db_handle(ctx);
  const auto limit = static_cast<std::size_t>(sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1));
  if (size > limit) {
    cursor->feed->column_failure = static_cast<std::int64_t>(cursor->position);
    sqlite3_result_error_toobig(ctx);
    return;
  }
  sqlite3_result_text(ctx, data, static_cast<int>(size), SQLITE_STATIC);
}

void result_text(sqlite3_context* ctx, FeedCursor* cursor, const std::optional<std::string>& text) {
  if (text) {
    result_text(ctx, cursor, text->data(), text->size());
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

void row_column(sqlite3_context* ctx, FeedCursor* cursor, const PendingRow& row, int column) {
  const TurnRecord& r = row.record;
  const std::string& owner = *cursor->feed->owner;
  switch (column) {
    case kOwner:
      return result_text(ctx, cursor, owner.data(), owner.size());
    case kTool:
      return result_text(ctx, cursor, r.tool.data(), r.tool.size());
    case kHost:
      return result_text(ctx, cursor, r.host.data(), r.host.size());
    case kSessionId:
      return result_text(ctx, cursor, r.session_id.data(), r.session_id.size());
    case kTurnId:
      return result_text(ctx, cursor, r.turn_id.data(), r.turn_id.size());
    case kSeq:
      return sqlite3_result_int64(ctx, r.seq);
    case kRole:
      return result_text(ctx, cursor, r.role.data(), r.role.size());
    case kTimestamp:
      return result_text(ctx, cursor, r.timestamp.data(), r.timestamp.size());
    case kContent:
      return result_text(ctx, cursor, r.content);
    case kModel:
      return result_text(ctx, cursor, r.model);
    case kTokensIn:
      return result_int(ctx, r.tokens_in);
    case kTokensOut:
      return result_int(ctx, r.tokens_out);
    case kCostUsd:
      if (r.cost_usd) return sqlite3_result_double(ctx, *r.cost_usd);
      return sqlite3_result_null(ctx);
    case kToolCalls:
      return result_text(ctx, cursor, r.tool_calls);
    case kMetadata:
      return result_text(ctx, cursor, r.metadata);
    case kStartedAt:
      if (r.started_at) {
        return result_text(ctx, cursor, r.started_at->data(), r.started_at->size());
      }
      return sqlite3_result_null(ctx);
    case kWorkingDir:
      return result_text(ctx, cursor, r.working_dir);
    case kSourceFile:
      return result_text(ctx, cursor, r.source_file);
    case kSessionMetadata:
      return result_text(ctx, cursor, r.session_metadata);
    default:
      return sqlite3_result_null(ctx);
  }
}

int feed_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  auto* cursor = reinterpret_cast<FeedCursor*>(cur);
  if (column == kRowIndex) {
    sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(cursor->position));
  } else if (cursor->position < cursor->feed->rows.size()) {
    row_column(ctx, cursor, *cursor->feed->rows[cursor->position], column);
  } else {
    sqlite3_result_null(ctx);  // the sentinel row
  }
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

// lethe_sink_row(i): the first step of the sink trigger for row i. It
// records how far the statement got, which is how a failed statement names
// its culprit.
void sink_row_function(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  auto* state = static_cast<ConnectionState*>(sqlite3_user_data(ctx));
  Feed* feed = state->active_feed;
  sqlite3_result_null(ctx);
  if (feed == nullptr) return;  // called outside a lethe write: no effect
  const sqlite3_int64 row = sqlite3_value_int64(argv[0]);
  feed->marked = row;
}

}  // namespace

int register_store_helpers(sqlite3* db, ConnectionState* state) {
  int rc = sqlite3_create_module_v2(db, "lethe_sink_rows", &kFeedModule, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  // Innocuous: outside a lethe write it does nothing, so a schema may call
  // it (the sink trigger does) even with PRAGMA trusted_schema=OFF.
  return sqlite3_create_function_v2(db, "lethe_sink_row", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS, state,
                                    sink_row_function, nullptr, nullptr, nullptr);
}

}  // namespace lethe
