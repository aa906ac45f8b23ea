// lethe_convert(data [, options]): an eponymous table-valued function that
// shows the wire lines a native transcript becomes and the problems found,
// in input order. It writes nothing and needs no schema. Every callback is
// a noexcept trampoline: no C++ exception ever crosses into SQLite.
#include "call/convert_table.hpp"

#include <algorithm>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "call/table_support.hpp"
#include "native/converter.hpp"

namespace lethe {

namespace {

enum Column { kLine, kByteOffset, kWire, kCode, kField, kMessage, kDataArg, kOptionsArg };

constexpr const char* kSchema =
    "CREATE TABLE x(line INTEGER, byte_offset INTEGER, wire TEXT, code TEXT, field TEXT,"
    " message TEXT, data HIDDEN, options HIDDEN)";

constexpr int kHasData = 1;
constexpr int kHasOptions = 2;

// One result row: a produced line (wire set) or a problem (wire empty).
struct ConvertRow {
  std::uint64_t line = 0;
  std::uint64_t byte_offset = 0;
  std::string wire;
  std::optional<LineError> problem;
};

struct ConvertTable {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
};

struct ConvertCursor {
  sqlite3_vtab_cursor base{};
  std::vector<ConvertRow> rows;
  std::size_t position = 0;
};

int convert_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out,
                    char**) noexcept {
  const int rc = sqlite3_declare_vtab(db, kSchema);
  if (rc != SQLITE_OK) return rc;
  auto* table = new (std::nothrow) ConvertTable;
  if (table == nullptr) return SQLITE_NOMEM;
  table->db = db;
  // It writes nothing and reads only its arguments: safe anywhere.
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *out = &table->base;
  return SQLITE_OK;
}

int convert_disconnect(sqlite3_vtab* vtab) noexcept {
  delete reinterpret_cast<ConvertTable*>(vtab);
  return SQLITE_OK;
}

// data is required, options optional (idxNum: see plan_arguments).
constexpr const char* kArgumentNames[] = {"data", "options"};

int convert_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) noexcept {
  return plan_arguments(vtab, info, "lethe_convert", kDataArg, kArgumentNames, 1, 100);
}

int convert_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) noexcept {
  auto* cursor = new (std::nothrow) ConvertCursor;
  if (cursor == nullptr) return SQLITE_NOMEM;
  *out = &cursor->base;
  return SQLITE_OK;
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
  sqlite3* db = reinterpret_cast<ConvertTable*>(cur->pVtab)->db;
  return guarded(db, cur->pVtab, "lethe_convert", "out of memory", [&] {
    cursor->rows.clear();
    cursor->position = 0;
    if ((idx_num & kHasData) == 0 || argc < 1) {
      throw BatchError(SQLITE_ERROR, "data argument is required");
    }
    const std::string_view data = batch_argument(argv[0], "data", "a transcript");
    const IngestOptions options = options_argument(
        (idx_num & kHasOptions) != 0 && argc > 1 ? argv[1] : nullptr, OptionsFor::Convert);
    native::Conversion conversion = native::convert(data, options);
    cursor->rows = rows_of(conversion);
    return SQLITE_OK;
  });
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

constexpr sqlite3_module kConvertModule =
    eponymous_rows_module<ConvertCursor>({convert_connect, convert_best_index, convert_disconnect,
                                          convert_open, convert_filter, convert_column});

}  // namespace

int register_convert_module(sqlite3* db) {
  return sqlite3_create_module_v2(db, "lethe_convert", &kConvertModule, nullptr, nullptr);
}

}  // namespace lethe
