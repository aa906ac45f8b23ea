// What lethe's two table-valued functions (lethe_ingest, lethe_convert)
// share: their arguments, the callbacks that only walk a vector of result
// rows, and the module table of an eponymous-only virtual table. Every
// callback is noexcept: no C++ exception ever crosses into SQLite.
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <string_view>

#include "parse/options.hpp"
#include "write/errors.hpp"
#include "write/sqlite_api.hpp"

namespace lethe {

// Replaces the table's error message with "<function>: <message>". Allocates
// only through sqlite3_mprintf: it runs in noexcept callbacks, out of memory
// included.
inline void set_vtab_error(sqlite3_vtab* vtab, const char* function, const char* message) noexcept {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s: %s", function, message);
}

// Where exceptions become SQLite codes, for every callback that runs a call
// (xFilter). A call that started writing always ends in CallError, whose
// code CallScope::fail chose; everything else failed before any write (an
// argument, the options). std::bad_alloc is SQLITE_NOMEM, except inside the
// caller's transaction, where SQLITE_NOMEM would make SQLite roll back the
// caller's whole transaction for nothing: there it is SQLITE_ERROR.
// `out_of_memory` is the function's message for it.
template <typename Body>
int guarded(sqlite3* db, sqlite3_vtab* vtab, const char* function, const char* out_of_memory,
            Body&& body) noexcept {
  try {
    return body();
  } catch (const CallError& e) {  // a call's outcome, decided by CallScope::fail
    set_vtab_error(vtab, function, e.what());
    return e.code();
  } catch (const BatchError& e) {
    set_vtab_error(vtab, function, e.what());
    return e.code();
  } catch (const InputError& e) {
    set_vtab_error(vtab, function, e.what());
    return SQLITE_ERROR;
  } catch (const std::bad_alloc&) {
    set_vtab_error(vtab, function, out_of_memory);
    return sqlite3_get_autocommit(db) == 0 ? SQLITE_ERROR : SQLITE_NOMEM;
  } catch (const std::exception& e) {
    set_vtab_error(vtab, function, e.what());
    return SQLITE_ERROR;
  } catch (...) {
    set_vtab_error(vtab, function, "unexpected internal error");
    return SQLITE_ERROR;
  }
}

// The batch argument (`ndjson` of lethe_ingest, `data` of lethe_convert):
// TEXT or BLOB, read in place. NULL is a batch error whose message says so
// (a mistyped readfile() path returns NULL).
inline std::string_view batch_argument(sqlite3_value* value, const char* name,
                                       const char* holding) {
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
      throw BatchError(SQLITE_ERROR, std::string(name) +
                                         " is NULL (if it came from readfile(), check the "
                                         "file's path)");
    default:
      throw BatchError(SQLITE_ERROR,
                       std::string(name) + " must be TEXT or BLOB holding " + holding);
  }
}

// The `options` argument: absent or NULL gives the call's defaults.
inline IngestOptions options_argument(sqlite3_value* value, OptionsFor call) {
  if (value == nullptr || sqlite3_value_type(value) == SQLITE_NULL) return default_options(call);
  if (sqlite3_value_type(value) != SQLITE_TEXT) {
    throw BatchError(SQLITE_ERROR, "options must be NULL or a JSON object in TEXT");
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  return parse_options({text, static_cast<std::size_t>(sqlite3_value_bytes(value))}, call);
}

// xBestIndex of a table-valued function whose hidden argument columns are
// first_column .. first_column + names.size() - 1, the first `required` of
// them required: the idxNum contract is
//
//   | idxNum bit | meaning                                   |
//   |------------|-------------------------------------------|
//   | 1 << k     | argument k (names[k]) is passed to xFilter |
//
// and the arguments passed arrive in xFilter's argv in that order. A
// required argument that is absent is a usage error naming it; any argument
// that is present but not yet usable (a join whose other side is not
// positioned) is SQLITE_CONSTRAINT, which tells the planner to try another
// order.
template <std::size_t N>
int plan_arguments(sqlite3_vtab* vtab, sqlite3_index_info* info, const char* function,
                   int first_column, const char* const (&names)[N], std::size_t required,
                   double estimated_rows) noexcept {
  int argument_at[N];
  for (int& at : argument_at) at = -1;
  bool unusable = false;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn < first_column || c.iColumn >= first_column + static_cast<int>(N) ||
        c.op != SQLITE_INDEX_CONSTRAINT_EQ) {
      continue;
    }
    if (!c.usable) {
      unusable = true;
      continue;
    }
    argument_at[c.iColumn - first_column] = i;
  }
  // An argument given by a join's other side, not positioned yet: this plan
  // would call without it and then compare the hidden column with it, so it
  // is refused, optional arguments included (else a join's options were
  // dropped: 0 rows, no error).
  if (unusable) return SQLITE_CONSTRAINT;
  for (std::size_t k = 0; k < required; ++k) {
    if (argument_at[k] >= 0) continue;
    sqlite3_free(vtab->zErrMsg);
    vtab->zErrMsg = sqlite3_mprintf("%s: %s argument is required", function, names[k]);
    return SQLITE_ERROR;
  }
  int next_argument = 1;
  info->idxNum = 0;
  for (std::size_t k = 0; k < N; ++k) {
    if (argument_at[k] < 0) continue;
    info->aConstraintUsage[argument_at[k]].argvIndex = next_argument++;
    info->aConstraintUsage[argument_at[k]].omit = 1;
    info->idxNum |= 1 << k;
  }
  info->estimatedCost = 1000;
  info->estimatedRows = static_cast<sqlite3_int64>(estimated_rows);
  return SQLITE_OK;
}

// The callbacks of a cursor that serves `rows` (a vector) from `position`.
template <typename Cursor>
int rows_close(sqlite3_vtab_cursor* cur) noexcept {
  delete reinterpret_cast<Cursor*>(cur);
  return SQLITE_OK;
}
template <typename Cursor>
int rows_next(sqlite3_vtab_cursor* cur) noexcept {
  ++reinterpret_cast<Cursor*>(cur)->position;
  return SQLITE_OK;
}
template <typename Cursor>
int rows_eof(sqlite3_vtab_cursor* cur) noexcept {
  const auto* cursor = reinterpret_cast<Cursor*>(cur);
  return cursor->position >= cursor->rows.size() ? 1 : 0;
}
template <typename Cursor>
int rows_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) noexcept {
  *rowid = static_cast<sqlite3_int64>(reinterpret_cast<Cursor*>(cur)->position) + 1;
  return SQLITE_OK;
}

// The callbacks that differ between the two functions.
struct TableCallbacks {
  int (*connect)(sqlite3*, void*, int, const char* const*, sqlite3_vtab**, char**) noexcept;
  int (*best_index)(sqlite3_vtab*, sqlite3_index_info*) noexcept;
  int (*disconnect)(sqlite3_vtab*) noexcept;
  int (*open)(sqlite3_vtab*, sqlite3_vtab_cursor**) noexcept;
  int (*filter)(sqlite3_vtab_cursor*, int, const char*, int, sqlite3_value**) noexcept;
  int (*column)(sqlite3_vtab_cursor*, sqlite3_context*, int) noexcept;
};

// An eponymous-only module (no xCreate: no CREATE VIRTUAL TABLE) over a
// cursor of rows.
template <typename Cursor>
constexpr sqlite3_module eponymous_rows_module(const TableCallbacks& c) {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = nullptr;
  m.xConnect = c.connect;
  m.xBestIndex = c.best_index;
  m.xDisconnect = c.disconnect;
  m.xOpen = c.open;
  m.xClose = rows_close<Cursor>;
  m.xFilter = c.filter;
  m.xNext = rows_next<Cursor>;
  m.xEof = rows_eof<Cursor>;
  m.xColumn = c.column;
  m.xRowid = rows_rowid<Cursor>;
  return m;
}

}  // namespace lethe
