// lethe_convert(data [, options]): an eponymous table-valued function that
// shows the wire lines a native transcript becomes and the problems found,
// in input order. It writes nothing and needs no schema. Every callback is
// a noexcept trampoline: no C++ exception ever crosses into SQLite.
#include "convert_vtab.hpp"

#include <algorithm>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "native.hpp"

namespace lethe {

namespace {

enum Column { kLine, kByteOffset, kWire, kCode, kField, kMessage, kDataArg, kOptionsArg };

constexpr const char* kSchema =
    "CREATE TABLE x(line INTEGER, byte_offset INTEGER, wire TEXT, code TEXT, field TEXT,"
    " message TEXT, data HIDDEN, options HIDDEN)";

constexpr int kHasData = 1;
constexpr int kHasOptions = 2;

// A failure of the whole call: its message follows "lethe_convert: ".
struct ConvertError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One result row: a produced line (wire set) or a problem (wire empty).
struct ConvertRow {
  std::uint64_t line = 0;
  std::uint64_t byte_offset = 0;
  std::string wire;
  std::optional<LineError> problem;
};

struct ConvertCursor {
  sqlite3_vtab_cursor base{};
  std::vector<ConvertRow> rows;
  std::size_t position = 0;
};

void set_error(sqlite3_vtab* vtab, const char* message) noexcept {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("lethe_convert: %s", message);
}

template <typename Body>
int guarded(sqlite3_vtab* vtab, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    set_error(vtab, "out of memory");
    return SQLITE_NOMEM;
  } catch (const std::exception& e) {
    set_error(vtab, e.what());
    return SQLITE_ERROR;
  } catch (...) {
    set_error(vtab, "unexpected internal error");
    return SQLITE_ERROR;
  }
}

int convert_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out,
                    char**) noexcept {
  const int rc = sqlite3_declare_vtab(db, kSchema);
  if (rc != SQLITE_OK) return rc;
  auto* table = new (std::nothrow) sqlite3_vtab{};
  if (table == nullptr) return SQLITE_NOMEM;
  // It writes nothing and reads only its arguments: safe anywhere.
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *out = table;
  return SQLITE_OK;
}

int convert_disconnect(sqlite3_vtab* vtab) noexcept {
  delete vtab;
  return SQLITE_OK;
}

// data is required, options optional; an argument present but not yet
// usable (the other side of a join) is SQLITE_CONSTRAINT: another plan.
int convert_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) noexcept {
  int argument_at[2] = {-1, -1};
  bool unusable = false;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn < kDataArg || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c.usable) {
      unusable = true;
      continue;
    }
    argument_at[c.iColumn - kDataArg] = i;
  }
  if (argument_at[0] < 0) {
    if (unusable) return SQLITE_CONSTRAINT;
    set_error(vtab, "data argument is required");
    return SQLITE_ERROR;
  }
  int next_argument = 1;
  info->idxNum = 0;
  const int bits[2] = {kHasData, kHasOptions};
  for (int k = 0; k < 2; ++k) {
    if (argument_at[k] < 0) continue;
    info->aConstraintUsage[argument_at[k]].argvIndex = next_argument++;
    info->aConstraintUsage[argument_at[k]].omit = 1;
    info->idxNum |= bits[k];
  }
  info->estimatedCost = 1000;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

int convert_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) noexcept {
  auto* cursor = new (std::nothrow) ConvertCursor;
  if (cursor == nullptr) return SQLITE_NOMEM;
  *out = &cursor->base;
  return SQLITE_OK;
}

int convert_close(sqlite3_vtab_cursor* cur) noexcept {
  delete reinterpret_cast<ConvertCursor*>(cur);
  return SQLITE_OK;
}

std::string_view data_argument(sqlite3_value* value) {
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
      throw ConvertError("data is NULL (if it came from readfile(), check the file's path)");
    default:
      throw ConvertError("data must be TEXT or BLOB holding a transcript");
  }
}

IngestOptions options_argument(sqlite3_value* value) {
  if (value == nullptr || sqlite3_value_type(value) == SQLITE_NULL) {
    return default_options(OptionsFor::Convert);
  }
  if (sqlite3_value_type(value) != SQLITE_TEXT) {
    throw ConvertError("options must be NULL or a JSON object in TEXT");
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  std::string problem;
  auto options = parse_options({text, static_cast<std::size_t>(sqlite3_value_bytes(value))},
                               problem, OptionsFor::Convert);
  if (!options) throw ConvertError(problem);
  return *options;
}

// Produced lines and problems in native order; a problem first at a tie.
std::vector<ConvertRow> rows_of(native::Conversion& conversion) {
  std::vector<ConvertRow> rows;
  rows.reserve(conversion.lines.size() + conversion.problems.size());
  auto line = conversion.lines.begin();
  auto problem = conversion.problems.begin();
  while (line != conversion.lines.end() || problem != conversion.problems.end()) {
    if (problem != conversion.problems.end() &&
        (line == conversion.lines.end() || problem->line <= line->line)) {
      rows.push_back({problem->line, problem->byte_offset, {}, std::move(problem->error)});
      ++problem;
    } else {
      rows.push_back({line->line, line->byte_offset, std::move(line->wire), std::nullopt});
      ++line;
    }
  }
  return rows;
}

int convert_filter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc,
                   sqlite3_value** argv) noexcept {
  auto* cursor = reinterpret_cast<ConvertCursor*>(cur);
  return guarded(cur->pVtab, [&] {
    cursor->rows.clear();
    cursor->position = 0;
    if ((idx_num & kHasData) == 0 || argc < 1) throw ConvertError("data argument is required");
    const std::string_view data = data_argument(argv[0]);
    const IngestOptions options =
        options_argument((idx_num & kHasOptions) != 0 && argc > 1 ? argv[1] : nullptr);
    std::string problem;
    auto conversion = native::convert(data, options, problem);
    if (!conversion) throw ConvertError(problem);
    cursor->rows = rows_of(*conversion);
    return SQLITE_OK;
  });
}

int convert_next(sqlite3_vtab_cursor* cur) noexcept {
  ++reinterpret_cast<ConvertCursor*>(cur)->position;
  return SQLITE_OK;
}

int convert_eof(sqlite3_vtab_cursor* cur) noexcept {
  auto* cursor = reinterpret_cast<ConvertCursor*>(cur);
  return cursor->position >= cursor->rows.size() ? 1 : 0;
}

void result_text(sqlite3_context* ctx, std::string_view text) noexcept {
  sqlite3_result_text64(ctx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

int convert_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  const auto* cursor = reinterpret_cast<ConvertCursor*>(cur);
  const ConvertRow& row = cursor->rows[cursor->position];
  switch (column) {
    case kLine:
      sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(row.line));
      break;
    case kByteOffset:
      sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(row.byte_offset));
      break;
    case kWire:
      if (row.problem) {
        sqlite3_result_null(ctx);
      } else {
        result_text(ctx, row.wire);
      }
      break;
    case kCode:
      if (row.problem) {
        result_text(ctx, code_name(row.problem->code));
      } else {
        sqlite3_result_null(ctx);
      }
      break;
    case kField:
      if (row.problem && !row.problem->field.empty()) {
        result_text(ctx, row.problem->field);
      } else {
        sqlite3_result_null(ctx);
      }
      break;
    case kMessage:
      if (row.problem) {
        result_text(ctx, row.problem->message);
      } else {
        sqlite3_result_null(ctx);
      }
      break;
    default:
      sqlite3_result_null(ctx);  // hidden argument columns read back as NULL
      break;
  }
  return SQLITE_OK;
}

int convert_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) noexcept {
  *rowid = static_cast<sqlite3_int64>(reinterpret_cast<ConvertCursor*>(cur)->position) + 1;
  return SQLITE_OK;
}

constexpr sqlite3_module make_convert_module() {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = nullptr;  // eponymous only
  m.xConnect = convert_connect;
  m.xBestIndex = convert_best_index;
  m.xDisconnect = convert_disconnect;
  m.xOpen = convert_open;
  m.xClose = convert_close;
  m.xFilter = convert_filter;
  m.xNext = convert_next;
  m.xEof = convert_eof;
  m.xColumn = convert_column;
  m.xRowid = convert_rowid;
  return m;
}

constexpr sqlite3_module kConvertModule = make_convert_module();

}  // namespace

int register_convert_module(sqlite3* db) {
  return sqlite3_create_module_v2(db, "lethe_convert", &kConvertModule, nullptr, nullptr);
}

}  // namespace lethe
