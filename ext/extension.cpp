// Entry point: `.load ./build/lethe` finds sqlite3_lethe_init. Registers the
// table-valued function, its write helpers and the companion functions of
// contract section 9 on one connection.
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <new>

#include "store.hpp"
#include "version.hpp"
#include "vtab.hpp"

namespace lethe {
namespace {

void version_function(sqlite3_context* ctx, int, sqlite3_value**) noexcept {
  sqlite3_result_text(ctx, kVersion, -1, SQLITE_STATIC);
}

void last_ingest_function(sqlite3_context* ctx, int, sqlite3_value**) noexcept {
  const auto* state = static_cast<const ConnectionState*>(sqlite3_user_data(ctx));
  if (state->last_ingest_json.empty()) {
    sqlite3_result_null(ctx);
    return;
  }
  sqlite3_result_text(ctx, state->last_ingest_json.data(),
                      static_cast<int>(state->last_ingest_json.size()), SQLITE_TRANSIENT);
  sqlite3_result_subtype(ctx, 'J');  // JSON, for the json1 functions
}

struct FunctionEntry {
  const char* name;
  int flags;
  void (*call)(sqlite3_context*, int, sqlite3_value**) noexcept;
};

// Every SQL function of the extension, registered from this one table.
constexpr FunctionEntry kFunctions[] = {
    {"lethe_version", SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, version_function},
    {"lethe_last_ingest", SQLITE_UTF8 | SQLITE_INNOCUOUS, last_ingest_function},
};

int register_all(sqlite3* db, char** error) {
  if (sqlite3_libversion_number() < kMinimumSqliteVersion) {
    *error = sqlite3_mprintf("lethe needs SQLite %s or newer (STRICT tables); this is SQLite %s",
                             kMinimumSqliteVersionText, sqlite3_libversion());
    return SQLITE_ERROR;
  }
  auto* state = new (std::nothrow) ConnectionState;
  if (state == nullptr) return SQLITE_NOMEM;
  // From here the module owns `state`, even when registration fails.
  int rc = register_ingest_module(db, state);
  if (rc == SQLITE_OK) rc = register_store_helpers(db, state);
  for (const FunctionEntry& f : kFunctions) {
    if (rc != SQLITE_OK) break;
    rc = sqlite3_create_function_v2(db, f.name, 0, f.flags, state, f.call, nullptr, nullptr,
                                    nullptr);
  }
  if (rc != SQLITE_OK) {
    *error = sqlite3_mprintf("lethe: registration failed: %s", sqlite3_errstr(rc));
  }
  return rc;
}

}  // namespace
}  // namespace lethe

extern "C" __attribute__((visibility("default"))) int sqlite3_lethe_init(
    sqlite3* db, char** error, const sqlite3_api_routines* api) {
  SQLITE_EXTENSION_INIT2(api);
  try {
    return lethe::register_all(db, error);
  } catch (...) {
    return SQLITE_NOMEM;
  }
}
