// The virtual-table glue: lethe_ingest(owner, ndjson [, options]) as an
// eponymous-only table-valued function. Every callback is a noexcept
// trampoline: no C++ exception ever crosses into SQLite.
#include "vtab.hpp"

#include <new>
#include <optional>

#include "ingest.hpp"

namespace lethe {

namespace {

enum Column { kLine, kByteOffset, kCode, kField, kMessage, kOwnerArg, kNdjsonArg, kOptionsArg };

constexpr const char* kSchema =
    "CREATE TABLE x(line INTEGER, byte_offset INTEGER, code TEXT, field TEXT,"
    " message TEXT, owner HIDDEN, ndjson HIDDEN, options HIDDEN)";

// idxNum bits: which arguments the planner passes to xFilter, in this order.
constexpr int kHasOwner = 1;
constexpr int kHasNdjson = 2;
constexpr int kHasOptions = 4;

struct IngestTable {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
  ConnectionState* state = nullptr;
  // Owns the prepared write statement: an eponymous table lives as long as
  // the connection and is disconnected before sqlite3_close checks for
  // unfinalized statements, so caching here never blocks a close.
  std::optional<Store> store;
};

struct IngestCursor {
  sqlite3_vtab_cursor base{};
  std::vector<RejectRow> rows;
  std::size_t position = 0;
};

// Allocates only through sqlite3_mprintf, never with operator new: it runs
// in noexcept callbacks, out of memory included.
void set_error(sqlite3_vtab* vtab, const char* message) noexcept {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("lethe_ingest: %s", message);
}

// Where exceptions become SQLite codes. A call that started writing always
// ends in CallError, whose code CallScope::fail chose; everything else
// failed before any write (an argument, the options). std::bad_alloc there
// is SQLITE_NOMEM, except inside the caller's transaction, where SQLITE_NOMEM
// would make SQLite roll back the caller's whole transaction for nothing.
template <typename Body>
int guarded(sqlite3* db, sqlite3_vtab* vtab, Body&& body) noexcept {
  try {
    return body();
  } catch (const CallError& e) {  // a call's outcome, decided by CallScope::fail
    set_error(vtab, e.what());
    return e.code();
  } catch (const BatchError& e) {
    set_error(vtab, e.what());
    return e.code();
  } catch (const std::bad_alloc&) {
    set_error(vtab, "out of memory; nothing of this call was written");
    return sqlite3_get_autocommit(db) == 0 ? SQLITE_ERROR : SQLITE_NOMEM;
  } catch (const std::exception& e) {
    set_error(vtab, e.what());
    return SQLITE_ERROR;
  } catch (...) {
    set_error(vtab, "unexpected internal error");
    return SQLITE_ERROR;
  }
}

int ingest_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out,
                   char** error) noexcept {
  const int rc = sqlite3_declare_vtab(db, kSchema);
  if (rc != SQLITE_OK) return rc;
  auto* table = new (std::nothrow) IngestTable;
  if (table == nullptr) return SQLITE_NOMEM;
  table->db = db;
  table->state = static_cast<ConnectionState*>(aux);
  // It writes: a view, trigger or schema object from a database file of
  // unknown origin must never be able to call it.
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  (void)error;
  *out = &table->base;
  return SQLITE_OK;
}

int ingest_disconnect(sqlite3_vtab* vtab) noexcept {
  delete reinterpret_cast<IngestTable*>(vtab);
  return SQLITE_OK;
}

// owner and ndjson are required, options is optional. A required argument
// that is absent is a usage error with a clear message; one that is present
// but not yet usable (a join whose other side is not positioned) is
// SQLITE_CONSTRAINT, which tells the planner to try another order.
int ingest_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) noexcept {
  int argument_at[3] = {-1, -1, -1};
  bool unusable = false;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn < kOwnerArg || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c.usable) {
      unusable = true;
      continue;
    }
    argument_at[c.iColumn - kOwnerArg] = i;
  }
  if (argument_at[0] < 0 || argument_at[1] < 0) {
    if (unusable) return SQLITE_CONSTRAINT;
    set_error(vtab,
              argument_at[0] < 0 ? "owner argument is required" : "ndjson argument is required");
    return SQLITE_ERROR;
  }
  int next_argument = 1;
  info->idxNum = 0;
  const int bits[3] = {kHasOwner, kHasNdjson, kHasOptions};
  for (int k = 0; k < 3; ++k) {
    if (argument_at[k] < 0) continue;
    info->aConstraintUsage[argument_at[k]].argvIndex = next_argument++;
    info->aConstraintUsage[argument_at[k]].omit = 1;
    info->idxNum |= bits[k];
  }
  info->estimatedCost = 1000;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

int ingest_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) noexcept {
  auto* cursor = new (std::nothrow) IngestCursor;
  if (cursor == nullptr) {
    set_error(vtab, "out of memory; nothing of this call was written");
    sqlite3* db = reinterpret_cast<IngestTable*>(vtab)->db;
    return sqlite3_get_autocommit(db) == 0 ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  *out = &cursor->base;
  return SQLITE_OK;
}

int ingest_close(sqlite3_vtab_cursor* cur) noexcept {
  delete reinterpret_cast<IngestCursor*>(cur);
  return SQLITE_OK;
}

std::string owner_argument(sqlite3_value* value) {
  // Name the type a new user passed by mistake (a numeric user id, a BLOB
  // from a client's bytes), as SQLite's typeof() spells it.
  switch (sqlite3_value_type(value)) {
    case SQLITE_TEXT:
      break;
    case SQLITE_INTEGER:
      throw BatchError(SQLITE_ERROR, "owner must be text, got INTEGER (pass it as a string)");
    case SQLITE_FLOAT:
      throw BatchError(SQLITE_ERROR, "owner must be text, got REAL");
    case SQLITE_BLOB:
      throw BatchError(SQLITE_ERROR,
                       "owner must be text, got BLOB (pass a string, or CAST(... AS TEXT))");
    default:
      throw BatchError(SQLITE_ERROR, "owner must be text, got NULL");
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  std::string owner(text, static_cast<std::size_t>(sqlite3_value_bytes(value)));
  const std::string problem = check_owner_text(owner);
  if (!problem.empty()) throw BatchError(SQLITE_ERROR, problem);
  return owner;
}

std::string_view ndjson_argument(sqlite3_value* value) {
  switch (sqlite3_value_type(value)) {
    case SQLITE_BLOB: {
      const void* data = sqlite3_value_blob(value);
      return {static_cast<const char*>(data), static_cast<std::size_t>(sqlite3_value_bytes(value))};
    }
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
      return {text, static_cast<std::size_t>(sqlite3_value_bytes(value))};
    }
    case SQLITE_NULL:
      throw BatchError(SQLITE_ERROR,
                       "ndjson is NULL (if it came from readfile(), check the "
                       "file's path)");
    default:
      throw BatchError(SQLITE_ERROR, "ndjson must be TEXT or BLOB holding UTF-8 NDJSON");
  }
}

IngestOptions options_argument(sqlite3_value* value) {
  if (value == nullptr || sqlite3_value_type(value) == SQLITE_NULL) return {};
  if (sqlite3_value_type(value) != SQLITE_TEXT) {
    throw BatchError(SQLITE_ERROR, "options must be NULL or a JSON object in TEXT");
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  std::string problem;
  auto options =
      parse_options({text, static_cast<std::size_t>(sqlite3_value_bytes(value))}, problem);
  if (!options) throw BatchError(SQLITE_ERROR, problem);
  return *options;
}

int ingest_filter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc,
                  sqlite3_value** argv) noexcept {
  auto* cursor = reinterpret_cast<IngestCursor*>(cur);
  auto* table = reinterpret_cast<IngestTable*>(cur->pVtab);
  return guarded(table->db, cur->pVtab, [&] {
    cursor->rows.clear();
    cursor->position = 0;
    if ((idx_num & (kHasOwner | kHasNdjson)) != (kHasOwner | kHasNdjson) || argc < 2) {
      throw BatchError(SQLITE_ERROR, "owner and ndjson arguments are required");
    }
    const std::string owner = owner_argument(argv[0]);
    const std::string_view batch = ndjson_argument(argv[1]);
    const IngestOptions options =
        options_argument((idx_num & kHasOptions) != 0 && argc > 2 ? argv[2] : nullptr);
    if (!table->store) table->store.emplace(table->db, *table->state);
    IngestResult result = ingest(*table->store, owner, batch, options);
    // The call is committed: only non-throwing moves from here on.
    table->state->last_ingest_json.swap(result.summary_json);
    cursor->rows = std::move(result.rejects);
    return SQLITE_OK;
  });
}

int ingest_next(sqlite3_vtab_cursor* cur) noexcept {
  ++reinterpret_cast<IngestCursor*>(cur)->position;
  return SQLITE_OK;
}

int ingest_eof(sqlite3_vtab_cursor* cur) noexcept {
  auto* cursor = reinterpret_cast<IngestCursor*>(cur);
  return cursor->position >= cursor->rows.size() ? 1 : 0;
}

int ingest_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  const auto* cursor = reinterpret_cast<IngestCursor*>(cur);
  const RejectRow& row = cursor->rows[cursor->position];
  switch (column) {
    case kLine:
      sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(row.line));
      break;
    case kByteOffset:
      sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(row.byte_offset));
      break;
    case kCode: {
      const std::string_view code = code_name(row.error.code);
      sqlite3_result_text(ctx, code.data(), static_cast<int>(code.size()), SQLITE_STATIC);
      break;
    }
    case kField:
      if (row.error.field.empty()) {
        sqlite3_result_null(ctx);
      } else {
        sqlite3_result_text(ctx, row.error.field.data(), static_cast<int>(row.error.field.size()),
                            SQLITE_TRANSIENT);
      }
      break;
    case kMessage:
      sqlite3_result_text(ctx, row.error.message.data(), static_cast<int>(row.error.message.size()),
                          SQLITE_TRANSIENT);
      break;
    default:
      sqlite3_result_null(ctx);  // hidden argument columns read back as NULL
      break;
  }
  return SQLITE_OK;
}

int ingest_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) noexcept {
  *rowid = static_cast<sqlite3_int64>(reinterpret_cast<IngestCursor*>(cur)->position) + 1;
  return SQLITE_OK;
}

constexpr sqlite3_module make_ingest_module() {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = nullptr;  // eponymous only: no CREATE VIRTUAL TABLE
  m.xConnect = ingest_connect;
  m.xBestIndex = ingest_best_index;
  m.xDisconnect = ingest_disconnect;
  m.xOpen = ingest_open;
  m.xClose = ingest_close;
  m.xFilter = ingest_filter;
  m.xNext = ingest_next;
  m.xEof = ingest_eof;
  m.xColumn = ingest_column;
  m.xRowid = ingest_rowid;
  return m;
}

constexpr sqlite3_module kIngestModule = make_ingest_module();

void destroy_state(void* state) noexcept { delete static_cast<ConnectionState*>(state); }

}  // namespace

int register_ingest_module(sqlite3* db, ConnectionState* state) {
  // The module owns the connection state: SQLite calls destroy_state when
  // the connection closes, after every table and function is gone.
  return sqlite3_create_module_v2(db, "lethe_ingest", &kIngestModule, state, destroy_state);
}

}  // namespace lethe
