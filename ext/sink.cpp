// The nested-context write path's SQL helpers: the feed table
// lethe_sink_rows and the functions lethe_sink_row / lethe_sink_value that
// the trigger of the view lethe_sink (sql/schema.sql) calls.
#include "store.hpp"

namespace lethe {

namespace {

constexpr const char* kFeedSchema = "CREATE TABLE x(row_index, feed HIDDEN)";

// Columns of lethe_sink_rows.
enum FeedColumn { kRowIndex, kFeedArgument };

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

}  // namespace

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
