// The SQL side of the store: the table-valued function lethe_sink_rows that
// serves parsed lines (or merged sessions) to lethe's set-based INSERT ...
// SELECT statements, and the functions lethe_sink_row / lethe_sink_value that
// the trigger of the view lethe_sink (sql/schema.sql) calls in the nested
// context.
#include "call/feed_table.hpp"

#include <new>
#include <string>

#include "write/feed.hpp"
#include "write/write_path.hpp"

namespace lethe {

namespace {

// Text without a copy (SQLITE_STATIC): the rows outlive the statement. A
// value longer than SQLITE_LIMIT_LENGTH makes SQLite fail the statement with
// SQLITE_TOOBIG, a line error (DB_UPSERT).
void result_text(sqlite3_context* ctx, const char* data, std::size_t size) {
  sqlite3_result_text64(ctx, data, size, SQLITE_STATIC, SQLITE_UTF8);
}
void result_text(sqlite3_context* ctx, const std::string& text) {
  result_text(ctx, text.data(), text.size());
}
void result_text(sqlite3_context* ctx, const NormalizedTime& time) {
  result_text(ctx, time.data(), time.size());
}
void result_text(sqlite3_context* ctx, const std::optional<std::string>& text) {
  if (text) {
    result_text(ctx, *text);
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

// Column `column` of one line.
void line_value(sqlite3_context* ctx, const std::string& owner, const TurnRecord& r,
                sqlite3_int64 column) {
  switch (column) {
    case kOwner:
      return result_text(ctx, owner);
    case kTool:
      return result_text(ctx, r.tool);
    case kHost:
      return result_text(ctx, r.host);
    case kSessionId:
      return result_text(ctx, r.session_id);
    case kTurnId:
      return result_text(ctx, r.turn_id);
    case kSeq:
      return sqlite3_result_int64(ctx, r.seq);
    case kRole:
      return result_text(ctx, r.role.data(), r.role.size());
    case kTimestamp:
      return result_text(ctx, r.timestamp);
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
    case kStartedAt:  // the session's start this line gives
      return result_text(ctx, r.started_at ? *r.started_at : r.timestamp);
    case kWorkingDir:
      return result_text(ctx, r.working_dir);
    case kSourceFile:
      return result_text(ctx, r.source_file);
    case kSessionMetadata:
      return result_text(ctx, r.session_metadata);
    case kEndedAt:
      return result_text(ctx, r.timestamp);
    default:
      return sqlite3_result_null(ctx);
  }
}

// Column `column` of one merged session; a turn's columns are NULL.
void session_value(sqlite3_context* ctx, const std::string& owner, const SessionValues& s,
                   int column) {
  switch (column) {
    case kOwner:
      return result_text(ctx, owner);
    case kTool:
      return result_text(ctx, s.key->tool);
    case kHost:
      return result_text(ctx, s.key->host);
    case kSessionId:
      return result_text(ctx, s.key->session_id);
    case kStartedAt:
      return result_text(ctx, *s.started_at);
    case kEndedAt:
      return result_text(ctx, *s.ended_at);
    case kWorkingDir:
      return result_text(ctx, *s.working_dir);
    case kSourceFile:
      return result_text(ctx, *s.source_file);
    case kSessionMetadata:
      return result_text(ctx, *s.metadata);
    default:
      return sqlite3_result_null(ctx);
  }
}

// ---------------------------------------------------------------------------
// lethe_sink_rows(feed): an eponymous virtual table over a Feed bound as a
// pointer (sqlite3_bind_pointer), so SQL text can never forge one.

struct FeedCursor {
  sqlite3_vtab_cursor base{};
  const Feed* feed = nullptr;
  std::size_t position = 0;
  std::size_t count = 0;  // 0 without a feed
};

int feed_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) noexcept {
  int rc = SQLITE_NOMEM;
  try {
    rc = sqlite3_declare_vtab(db, feed_table_declaration().c_str());
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
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
  cursor->feed = idx_num == 1 && argc == 1
                     ? static_cast<const Feed*>(sqlite3_value_pointer(argv[0], kFeedPointerType))
                     : nullptr;
  cursor->position = 0;
  cursor->count = cursor->feed == nullptr                            ? 0
                  : cursor->feed->kind == Feed::Kind::MergedSessions ? cursor->feed->sessions.size()
                                                                     : cursor->feed->rows.size();
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

int feed_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  const auto* cursor = reinterpret_cast<FeedCursor*>(cur);
  const Feed& feed = *cursor->feed;
  if (column == kRowIndex) {
    sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(cursor->position));
  } else if (feed.kind == Feed::Kind::MergedSessions) {
    session_value(ctx, *feed.owner, feed.sessions[cursor->position], column);
  } else {
    line_value(ctx, *feed.owner, feed.rows[cursor->position]->record, column);
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

// ---------------------------------------------------------------------------
// The nested-context trigger's helpers.

// lethe_sink_row(i): the first step of the sink trigger for row i. It selects
// the row lethe_sink_value reads and records how far the statement got,
// which is how a failed statement names its culprit.
void sink_row_function(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  auto* state = static_cast<ConnectionState*>(sqlite3_user_data(ctx));
  sqlite3_result_null(ctx);
  if (state->active_feed == nullptr) return;  // outside a lethe write: no effect
  state->active_feed->marked = sqlite3_value_int64(argv[0]);
}

// lethe_sink_value(k): value k (numbered in sql/schema.sql) of the row the
// sink trigger is writing; NULL outside a lethe write.
void sink_value_function(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  const auto* state = static_cast<const ConnectionState*>(sqlite3_user_data(ctx));
  const Feed* feed = state->active_feed;
  if (feed == nullptr || feed->kind != Feed::Kind::Lines || feed->marked < 0 ||
      static_cast<std::size_t>(feed->marked) >= feed->rows.size()) {
    sqlite3_result_null(ctx);
    return;
  }
  line_value(ctx, *feed->owner, feed->rows[static_cast<std::size_t>(feed->marked)]->record,
             sqlite3_value_int64(argv[0]));
}

}  // namespace

int register_feed_table(sqlite3* db, ConnectionState* state) {
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
