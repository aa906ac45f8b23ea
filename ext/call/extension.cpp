// Entry point: `.load ./build/lethe` finds sqlite3_lethe_init. Registers the
// table-valued function, its write helpers and the companion functions of
// contract section 9 on one connection.
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <new>
#include <string>
#include <thread>

#include "call/agent_export_table.hpp"
#include "call/convert_table.hpp"
#include "call/feed_table.hpp"
#include "call/ingest.hpp"
#include "call/ingest_table.hpp"
#include "call/rank_function.hpp"
#include "call/sync_table.hpp"
#include "common/version.hpp"
#include "write/agent_db.hpp"
#include "write/connection.hpp"

namespace lethe {
namespace {

void version_function(sqlite3_context* ctx, int, sqlite3_value**) noexcept {
  sqlite3_result_text(ctx, kVersion, -1, SQLITE_STATIC);
}

// A JSON summary kept on the connection, NULL before there is one.
void result_summary(sqlite3_context* ctx, const std::string& json) noexcept {
  if (json.empty()) {
    sqlite3_result_null(ctx);
    return;
  }
  sqlite3_result_text(ctx, json.data(), static_cast<int>(json.size()), SQLITE_TRANSIENT);
  sqlite3_result_subtype(ctx, 'J');  // JSON, for the json1 functions
}

void last_ingest_function(sqlite3_context* ctx, int, sqlite3_value**) noexcept {
  result_summary(ctx,
                 static_cast<const ConnectionState*>(sqlite3_user_data(ctx))->last_ingest_json);
}

void last_sync_function(sqlite3_context* ctx, int, sqlite3_value**) noexcept {
  result_summary(ctx, static_cast<const ConnectionState*>(sqlite3_user_data(ctx))->last_sync_json);
}

std::int64_t now_unix_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// lethe_stats()'s JSON object. to_chars, not printf: the host's locale must
// not turn '.' into ','.
std::string stats_json(const IngestTotals& t) {
  std::string out = "{";
  auto number = [&](const char* key, auto value, auto... format) {
    char digits[64];
    const auto r = std::to_chars(digits, digits + sizeof digits, value, format...);
    out += out.size() > 1 ? ",\"" : "\"";
    out += key;
    out += "\":";
    out.append(digits, static_cast<std::size_t>(r.ptr - digits));
  };
  number("calls", t.calls);
  number("failed_calls", t.failed_calls);
  number("dry_run_calls", t.dry_run_calls);
  number("lines", t.lines);
  number("accepted", t.accepted);
  number("rejected", t.rejected);
  out += ",\"rejected_by_code\":{";
  for (std::size_t i = 0; i < kErrorCodeCount; ++i) {
    const std::string_view code = code_name(static_cast<ErrorCode>(i));
    char digits[32];
    const auto r = std::to_chars(digits, digits + sizeof digits, t.rejected_by_code[i]);
    out += i ? ",\"" : "\"";
    out.append(code.data(), code.size());
    out += "\":";
    out.append(digits, static_cast<std::size_t>(r.ptr - digits));
  }
  out += "}";
  number("bytes", t.bytes);
  number("elapsed_ms", t.elapsed_ms, std::chars_format::fixed, 3);
  const std::time_t seconds = static_cast<std::time_t>(t.since_unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char since[40];
  const std::size_t n = std::strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%S", &utc);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(t.since_unix_ms % 1000));
  out += ",\"since\":\"";
  out.append(since, n);
  out += millis;
  out += "\"}";
  return out;
}

// lethe_stats(): the totals of this connection's lethe_ingest calls.
// lethe_stats('reset'): the same, and the totals start again from zero.
void stats_function(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  auto* state = static_cast<ConnectionState*>(sqlite3_user_data(ctx));
  if (argc == 1) {
    const auto* word = sqlite3_value_text(argv[0]);
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || word == nullptr ||
        std::strcmp(reinterpret_cast<const char*>(word), "reset") != 0) {
      sqlite3_result_error(ctx,
                           "lethe_stats: the one argument it takes is 'reset' (lethe_stats() "
                           "reads the totals, lethe_stats('reset') reads them and starts again)",
                           -1);
      return;
    }
  }
  try {
    const std::string json = stats_json(state->ingest_totals);
    if (argc == 1) {
      state->ingest_totals = IngestTotals();
      state->ingest_totals.since_unix_ms = now_unix_ms();
    }
    sqlite3_result_text(ctx, json.data(), static_cast<int>(json.size()), SQLITE_TRANSIENT);
    sqlite3_result_subtype(ctx, 'J');
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  }
}

// What a bug report needs: lethe's version, the SQLite it was built against
// and the one it runs on (they differ when a client ships its own), the
// compiler, the checks built in, and when lethe parses or exports on
// threads of their own.
std::string debug_text() {
  std::string checks;
#if defined(__SANITIZE_ADDRESS__)
  checks += " AddressSanitizer";
#endif
#if defined(__SANITIZE_THREAD__)  // GCC's -fsanitize=thread (-DLETHE_TSAN=ON)
  checks += " ThreadSanitizer";
#endif
#if !defined(NDEBUG)
  checks += " assertions";
#endif
#if defined(__clang__)
  const std::string compiler = __VERSION__;  // "Debian Clang 14.0.6"
#else
  const std::string compiler = std::string("GCC ") + __VERSION__;
#endif
  return std::string("lethe ") + kVersion + "\nSQLite: built against " + SQLITE_VERSION +
         ", running " + sqlite3_libversion() + "\nCompiler: " + compiler +
         "\nChecks:" + (checks.empty() ? std::string(" none") : checks) +
         "\nParsing thread: for batches of " + std::to_string(kPipelineMinBytes >> 20) +
         " MiB or more when there are 2+ hardware threads (here " +
         std::to_string(std::thread::hardware_concurrency()) +
         ")\nExport thread: for an agent database of 2+ sessions when there are 2+ hardware "
         "threads and SQLite's own mutexes are on (here " +
         (sqlite_mutexes_on() ? "on" : "off: SQLite is single-threaded") +
         ")\nChunk: " + std::to_string(kChunkRows) + " lines, then twice as many each, up to " +
         std::to_string(kMaxChunkRows) + " lines or " + std::to_string(kMaxChunkBytes >> 20) +
         " MiB";
}

void debug_function(sqlite3_context* ctx, int, sqlite3_value**) noexcept {
  try {
    const std::string text = debug_text();
    sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  }
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
    {"lethe_last_sync", SQLITE_UTF8 | SQLITE_INNOCUOUS, last_sync_function},
    {"lethe_debug", SQLITE_UTF8 | SQLITE_INNOCUOUS, debug_function},
};

// Each connection gets its own state; `refuse_own_transaction` is the
// replicated-database guard (docs/reference/contract.md section 1).
int register_all(sqlite3* db, char** error, bool refuse_own_transaction) {
  if (sqlite3_libversion_number() < kMinimumSqliteVersion) {
    *error = sqlite3_mprintf("lethe needs SQLite %s or newer (STRICT tables); this is SQLite %s",
                             kMinimumSqliteVersionText, sqlite3_libversion());
    return SQLITE_ERROR;
  }
  auto* state = new (std::nothrow) ConnectionState;
  if (state == nullptr) return SQLITE_NOMEM;
  state->refuse_own_transaction = refuse_own_transaction;
  state->ingest_totals.since_unix_ms = now_unix_ms();
  // From here the module owns `state`, even when registration fails.
  int rc = register_ingest_module(db, state);
  if (rc == SQLITE_OK) rc = register_feed_table(db, state);
  if (rc == SQLITE_OK) rc = register_convert_module(db);
  if (rc == SQLITE_OK) rc = register_sync_module(db, state);
  if (rc == SQLITE_OK) rc = register_agent_export_module(db);
  if (rc == SQLITE_OK) rc = register_rank_function(db);
  for (const FunctionEntry& f : kFunctions) {
    if (rc != SQLITE_OK) break;
    rc = sqlite3_create_function_v2(db, f.name, 0, f.flags, state, f.call, nullptr, nullptr,
                                    nullptr);
  }
  // lethe_stats() reads; lethe_stats('reset') also writes the connection's
  // totals, so a view or a trigger may not call it (DIRECTONLY).
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "lethe_stats", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, state,
                                    stats_function, nullptr, nullptr, nullptr);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "lethe_stats", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, state,
                                    stats_function, nullptr, nullptr, nullptr);
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
  // Every connection hands the same routines table; writing the global only
  // when it differs keeps a second load from racing with a thread using it.
  if (sqlite3_api != api) SQLITE_EXTENSION_INIT2(api);
  try {
    return lethe::register_all(db, error, false);
  } catch (...) {
    return SQLITE_NOMEM;
  }
}

// For a replicated SQLite (dqlite) whose server registers lethe on its own
// connections: the same functions, but a call never opens a transaction of
// its own. There an autocommit SELECT is not replicated, and writes made in a
// transaction it opened would be silently lost; lethe_ingest then fails and
// says to call it inside BEGIN ... COMMIT or as INSERT ... SELECT.
// `.load lethe sqlite3_lethe_replicated_init` tries it in the shell.
extern "C" __attribute__((visibility("default"))) int sqlite3_lethe_replicated_init(
    sqlite3* db, char** error, const sqlite3_api_routines* api) {
  // Every connection hands the same routines table; writing the global only
  // when it differs keeps a second load from racing with a thread using it.
  if (sqlite3_api != api) SQLITE_EXTENSION_INIT2(api);
  try {
    return lethe::register_all(db, error, true);
  } catch (...) {
    return SQLITE_NOMEM;
  }
}
