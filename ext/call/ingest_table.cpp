// The virtual-table glue: lethe_ingest(owner, ndjson [, options]) as an
// eponymous-only table-valued function. Every callback is a noexcept
// trampoline: no C++ exception ever crosses into SQLite.
#include "call/ingest_table.hpp"

#include <new>
#include <optional>

#include "call/ingest.hpp"
#include "call/table_support.hpp"

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
  RejectList rows;
  std::size_t position = 0;
};

// Allocates only through sqlite3_mprintf, never with operator new: it runs
// in noexcept callbacks, out of memory included.
void set_error(sqlite3_vtab* vtab, const char* message) noexcept {
  set_vtab_error(vtab, "lethe_ingest", message);
}

constexpr const char* kOutOfMemory = "out of memory; nothing of this call was written";

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

// owner and ndjson are required, options is optional (idxNum: see
// plan_arguments).
constexpr const char* kArgumentNames[] = {"owner", "ndjson", "options"};

int ingest_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) noexcept {
  return plan_arguments(vtab, info, "lethe_ingest", kOwnerArg, kArgumentNames, 2, 10);
}

int ingest_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) noexcept {
  auto* cursor = new (std::nothrow) IngestCursor;
  if (cursor == nullptr) {
    set_error(vtab, kOutOfMemory);
    sqlite3* db = reinterpret_cast<IngestTable*>(vtab)->db;
    return sqlite3_get_autocommit(db) == 0 ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  *out = &cursor->base;
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
  check_owner_text(owner);
  return owner;
}

int ingest_filter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc,
                  sqlite3_value** argv) noexcept {
  auto* cursor = reinterpret_cast<IngestCursor*>(cur);
  auto* table = reinterpret_cast<IngestTable*>(cur->pVtab);
  return guarded(table->db, cur->pVtab, "lethe_ingest", kOutOfMemory, [&] {
    cursor->rows = RejectList();
    cursor->position = 0;
    if ((idx_num & (kHasOwner | kHasNdjson)) != (kHasOwner | kHasNdjson) || argc < 2) {
      throw BatchError(SQLITE_ERROR, "owner and ndjson arguments are required");
    }
    const std::string owner = owner_argument(argv[0]);
    const std::string_view batch = batch_argument(argv[1], "ndjson", "UTF-8 NDJSON");
    const IngestOptions options = options_argument(
        (idx_num & kHasOptions) != 0 && argc > 2 ? argv[2] : nullptr, OptionsFor::Ingest);
    if (!table->store) table->store.emplace(table->db, *table->state);
    IngestResult result = ingest(*table->store, owner, batch, options);
    // The call is committed: only non-throwing moves from here on.
    table->state->last_ingest_json.swap(result.summary_json);
    cursor->rows = std::move(result.rejects);
    return SQLITE_OK;
  });
}

int ingest_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  const auto* cursor = reinterpret_cast<IngestCursor*>(cur);
  const RejectList& rows = cursor->rows;
  const RejectRow& row = rows[cursor->position];
  switch (column) {
    case kLine:
      sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(row.line));
      break;
    case kByteOffset:
      sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(row.byte_offset));
      break;
    case kCode: {
      const std::string_view code = code_name(row.code);
      sqlite3_result_text(ctx, code.data(), static_cast<int>(code.size()), SQLITE_STATIC);
      break;
    }
    case kField: {
      const std::string_view field = rows.field(row);
      if (field.empty()) {
        sqlite3_result_null(ctx);
      } else {
        sqlite3_result_text(ctx, field.data(), static_cast<int>(field.size()), SQLITE_TRANSIENT);
      }
      break;
    }
    case kMessage: {
      // Looked up (or, when its text was not kept, built) as it is read.
      const std::string_view message = rows.message(row);
      sqlite3_result_text(ctx, message.data(), static_cast<int>(message.size()), SQLITE_TRANSIENT);
      break;
    }
    default:
      sqlite3_result_null(ctx);  // hidden argument columns read back as NULL
      break;
  }
  return SQLITE_OK;
}

constexpr sqlite3_module kIngestModule =
    eponymous_rows_module<IngestCursor>({ingest_connect, ingest_best_index, ingest_disconnect,
                                         ingest_open, ingest_filter, ingest_column});

void destroy_state(void* state) noexcept { delete static_cast<ConnectionState*>(state); }

}  // namespace

int register_ingest_module(sqlite3* db, ConnectionState* state) {
  // The module owns the connection state: SQLite calls destroy_state when
  // the connection closes, after every table and function is gone.
  return sqlite3_create_module_v2(db, "lethe_ingest", &kIngestModule, state, destroy_state);
}

}  // namespace lethe
