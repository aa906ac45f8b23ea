// Fuzz targets 3-5: one per native reader (fuzz_claude, fuzz_codex,
// fuzz_gemini; LETHE_NATIVE_FORMAT names the format). The whole input is the
// transcript. The extension's sources are compiled in and registered with
// sqlite3_auto_extension (the libFuzzer build), or the built module is
// loaded (the replay build), on an in-memory database with sql/schema.sql.
//
// Checks: no crash or leak; native::convert is deterministic (byte-identical
// lines twice) and every produced line is one JSON object without a line
// ending; lethe_convert returns exactly those lines and problems; and the
// equivalence of docs/reference/native-formats.md: lethe_ingest(o, data, opts) (which hands
// the writer records, not lines: ARCHITECTURE.md, "Records without their wire text") leaves
// the tables that lethe_ingest(o, <the produced lines joined by LF>) leaves,
// and its rows are the conversion's problems and the produced lines'
// rejects at their native positions, in native line order.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "fuzz_check.hpp"
#include "native/converter.hpp"
#include "parse/options.hpp"

#ifndef LETHE_EXTENSION_PATH
extern "C" int sqlite3_lethe_init(sqlite3* db, char** error, const sqlite3_api_routines* api);
#endif
#ifndef LETHE_SOURCE_DIR
#error "LETHE_SOURCE_DIR must name the source tree"
#endif
#ifndef LETHE_NATIVE_FORMAT
#error "LETHE_NATIVE_FORMAT must name the format under test"
#endif

namespace {

sqlite3* g_db = nullptr;
const std::string kOptions = std::string(R"({"format":")") + LETHE_NATIVE_FORMAT +
                             R"(","host":"fuzz-host","source_file":"f","max_field_bytes":1024})";

using Text = std::optional<std::string>;
using Row = std::vector<Text>;

void must(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(g_db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "SQL failed: %s\n  in: %s\n", error ? error : "?", sql.c_str());
    std::abort();
  }
}

// Runs one statement with text parameters; returns its rc and rows.
std::pair<int, std::vector<Row>> query(const std::string& sql,
                                       const std::vector<std::string>& args) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(g_db, sql.c_str(), -1, &stmt, nullptr);
  FUZZ_CHECK(rc == SQLITE_OK, "prepare failed: " << sqlite3_errmsg(g_db));
  for (std::size_t i = 0; i < args.size(); ++i) {
    sqlite3_bind_text(stmt, static_cast<int>(i + 1), args[i].data(),
                      static_cast<int>(args[i].size()), SQLITE_STATIC);
  }
  std::vector<Row> rows;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
        row.emplace_back(std::nullopt);
      } else {
        const void* p = sqlite3_column_blob(stmt, c);
        row.emplace_back(std::string(static_cast<const char*>(p ? p : ""),
                                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
      }
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  return {rc == SQLITE_DONE ? SQLITE_OK : rc, std::move(rows)};
}

std::vector<Row> tables() {
  auto sessions = query("SELECT * FROM sessions ORDER BY 1,2,3,4", {}).second;
  auto turns = query("SELECT * FROM turns ORDER BY 1,2,3,4,5", {}).second;
  sessions.insert(sessions.end(), turns.begin(), turns.end());
  return sessions;
}

void clear() { must("DELETE FROM turns; DELETE FROM sessions;"); }

std::string row_text(const Row& row) {
  std::string out;
  for (const Text& t : row) out += (t ? fuzz::esc(*t, 200) : "NULL") + " | ";
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
#ifndef LETHE_EXTENSION_PATH
  sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(sqlite3_lethe_init));
#endif
  if (sqlite3_open(":memory:", &g_db) != SQLITE_OK) std::abort();
#ifdef LETHE_EXTENSION_PATH
  sqlite3_db_config(g_db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
  char* load_error = nullptr;
  if (sqlite3_load_extension(g_db, LETHE_EXTENSION_PATH, nullptr, &load_error) != SQLITE_OK) {
    std::fprintf(stderr, "cannot load %s: %s\n", LETHE_EXTENSION_PATH, load_error);
    std::abort();
  }
#endif
  std::ifstream in(std::string(LETHE_SOURCE_DIR) + "/sql/schema.sql");
  std::stringstream schema;
  schema << in.rdbuf();
  must(schema.str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string data(reinterpret_cast<const char*>(bytes), size);
  fuzz::input = data;

  // Deterministic, and every produced line is one line of JSON.
  // A named format never fails the call: an InputError here would end the
  // fuzzer with the exception's message.
  const lethe::IngestOptions options = lethe::parse_options(kOptions);
  const auto first_conversion = lethe::native::convert(data, options);
  const auto second_conversion = lethe::native::convert(data, options);
  const auto* first = &first_conversion;
  const auto* second = &second_conversion;
  FUZZ_CHECK(first->lines.size() == second->lines.size(), "not deterministic: line count");
  std::string joined;
  for (std::size_t i = 0; i < first->lines.size(); ++i) {
    const auto& line = first->lines[i];
    FUZZ_CHECK(line.wire == second->lines[i].wire, "not deterministic: " << fuzz::esc(line.wire));
    FUZZ_CHECK(line.wire.find('\n') == std::string::npos && !line.wire.empty() &&
                   line.wire.front() == '{' && fuzz::valid_utf8(line.wire),
               "not one line of JSON: " << fuzz::esc(line.wire));
    if (i > 0) joined += '\n';
    joined += line.wire;
  }

  // lethe_convert shows exactly that.
  const auto [convert_rc, converted] =
      query("SELECT line, byte_offset, wire, code, field, message FROM lethe_convert(?1, ?2)",
            {data, kOptions});
  FUZZ_CHECK(convert_rc == SQLITE_OK, "lethe_convert failed: " << sqlite3_errmsg(g_db));
  FUZZ_CHECK(converted.size() == first->lines.size() + first->problems.size(),
             "lethe_convert row count");
  std::vector<std::tuple<std::int64_t, std::int64_t, Text, Text, Text>> expected_rejects;
  std::vector<const Row*> produced;
  for (const Row& row : converted) {
    if (row[2]) {
      produced.push_back(&row);
    } else {
      expected_rejects.emplace_back(std::stoll(*row[0]), std::stoll(*row[1]), row[3], row[4],
                                    row[5]);
    }
  }
  for (std::size_t i = 0; i < produced.size(); ++i) {
    FUZZ_CHECK(*(*produced[i])[2] == first->lines[i].wire, "lethe_convert line " << i);
  }

  // The equivalence: same tables, rows at native positions.
  clear();
  const auto [wire_rc, wire_rejects] = query(
      "SELECT line, byte_offset, code, field, message FROM lethe_ingest('fuzz', ?1)", {joined});
  FUZZ_CHECK(wire_rc == SQLITE_OK, "wire ingest failed: " << sqlite3_errmsg(g_db));
  const auto via_wire = tables();
  for (const Row& r : wire_rejects) {
    const Row& source = *produced.at(static_cast<std::size_t>(std::stoll(*r[0]) - 1));
    expected_rejects.emplace_back(std::stoll(*source[0]), std::stoll(*source[1]), r[2], r[3], r[4]);
  }
  std::stable_sort(expected_rejects.begin(), expected_rejects.end(),
                   [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  clear();
  const auto [native_rc, native_rejects] =
      query("SELECT line, byte_offset, code, field, message FROM lethe_ingest('fuzz', ?1, ?2)",
            {data, kOptions});
  FUZZ_CHECK(native_rc == SQLITE_OK, "native ingest failed: " << sqlite3_errmsg(g_db));
  const auto direct = tables();
  FUZZ_CHECK(direct == via_wire, "tables differ from the wire lines' tables");
  FUZZ_CHECK(native_rejects.size() == expected_rejects.size(),
             "rows: " << native_rejects.size() << " expected " << expected_rejects.size());
  for (std::size_t i = 0; i < native_rejects.size(); ++i) {
    const Row& got = native_rejects[i];
    const auto& [line, offset, code, field, message] = expected_rejects[i];
    FUZZ_CHECK(std::stoll(*got[0]) == line && std::stoll(*got[1]) == offset && got[2] == code &&
                   got[3] == field && got[4] == message,
               "row " << i << ": " << row_text(got));
  }
  clear();
  return 0;
}
