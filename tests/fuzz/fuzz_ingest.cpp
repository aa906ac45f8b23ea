// Fuzz target 2: a whole lethe_ingest call on an in-memory database with
// sql/schema.sql applied. The extension's sources are compiled into this
// binary (instrumented) and registered with sqlite3_auto_extension, so SQLite
// hands sqlite3_lethe_init its real routines table, as with .load.
//
// Input: byte 0 chooses how the call is made; the rest is the ndjson
// argument (after an options line and/or an owner line when byte 0 asks for
// them). Byte 0:
//   bits 0-1  context: 0 autocommit SELECT, 1 BEGIN ... COMMIT (after work of
//             the caller's own), 2 INSERT INTO rejects SELECT ..., 3 inside
//             SAVEPOINT, then ROLLBACK TO it
//   bit 2     dry_run: true
//   bit 3     max_errors: next byte & 7
//   bit 4     max_line_bytes: 1 + next byte * 8
//   bit 5     ndjson bound as BLOB instead of TEXT
//   bit 6     options: the text up to the first LF, raw (bits 2-4 ignored)
//   bit 7     owner: the text up to the first LF (else "fuzz-owner")
//
// Checks: no crash; a bad owner or options is a batch error; otherwise the
// result rows are exactly parse_line's rejects (line, offset, code, field,
// message) in input order, a call with more rejects than max_errors fails
// and writes nothing, and the tables then equal a model of section 7
// (sessions MIN/MAX/first non-null, turns last write wins, owner from the
// argument) built from parse_line's accepted records; a dry run, a failed
// call and a rolled back savepoint leave the tables empty; the caller's own
// work survives; lethe_last_ingest() counts the lines.
#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "fuzz_check.hpp"
#include "parse/framing.hpp"
#include "parse/options.hpp"
#include "parse/wire.hpp"

#ifndef LETHE_EXTENSION_PATH
// Compiled into this binary (the libFuzzer build); else the built module is
// loaded like any client loads it (the replay build).
extern "C" int sqlite3_lethe_init(sqlite3* db, char** error, const sqlite3_api_routines* api);
#endif

#ifndef LETHE_SOURCE_DIR
#error "LETHE_SOURCE_DIR must name the source tree"
#endif

namespace {

sqlite3* g_db = nullptr;

using Text = std::optional<std::string>;

void must(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(g_db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "setup SQL failed: %s\n  in: %s\n", error ? error : "?", sql.c_str());
    std::abort();
  }
}

Text column_text(sqlite3_stmt* s, int c) {
  if (sqlite3_column_type(s, c) == SQLITE_NULL) return std::nullopt;
  const void* p = sqlite3_column_blob(s, c);
  return std::string(static_cast<const char*>(p ? p : ""),
                     static_cast<std::size_t>(sqlite3_column_bytes(s, c)));
}

std::optional<std::int64_t> column_int(sqlite3_stmt* s, int c) {
  if (sqlite3_column_type(s, c) == SQLITE_NULL) return std::nullopt;
  FUZZ_CHECK(sqlite3_column_type(s, c) == SQLITE_INTEGER, "column " << c << " is not INTEGER");
  return sqlite3_column_int64(s, c);
}

struct Reject {
  std::int64_t line = 0, offset = 0;
  std::string code;
  Text field;
  std::string message;
  bool operator==(const Reject& o) const {
    return std::tie(line, offset, code, field, message) ==
           std::tie(o.line, o.offset, o.code, o.field, o.message);
  }
};

std::string describe(const Reject& r) {
  std::ostringstream out;
  out << r.line << "@" << r.offset << " " << r.code << " " << r.field.value_or("NULL") << ": "
      << fuzz::esc(r.message);
  return out.str();
}

struct Outcome {
  int rc = SQLITE_OK;
  std::string error;
  std::vector<Reject> rows;
};

// Runs one statement with text parameters (std::nullopt binds NULL), returns
// every row as rejects when it has 5 columns.
Outcome run(const std::string& sql, const std::vector<Text>& params, bool blob_second) {
  Outcome out;
  sqlite3_stmt* stmt = nullptr;
  out.rc = sqlite3_prepare_v2(g_db, sql.c_str(), -1, &stmt, nullptr);
  FUZZ_CHECK(out.rc == SQLITE_OK, "prepare failed: " << sqlite3_errmsg(g_db) << " in " << sql);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    if (!params[i]) {
      sqlite3_bind_null(stmt, index);
    } else if (i == 1 && blob_second) {
      sqlite3_bind_blob64(stmt, index, params[i]->data(), params[i]->size(), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_text64(stmt, index, params[i]->data(), params[i]->size(), SQLITE_TRANSIENT,
                          SQLITE_UTF8);
    }
  }
  while ((out.rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    FUZZ_CHECK(sqlite3_column_count(stmt) == 5, "result has " << sqlite3_column_count(stmt));
    Reject r;
    r.line = column_int(stmt, 0).value_or(-1);
    r.offset = column_int(stmt, 1).value_or(-1);
    r.code = column_text(stmt, 2).value_or("<NULL>");
    r.field = column_text(stmt, 3);
    r.message = column_text(stmt, 4).value_or("<NULL>");
    out.rows.push_back(std::move(r));
  }
  if (out.rc == SQLITE_DONE) {
    out.rc = SQLITE_OK;
  } else {
    out.error = sqlite3_errmsg(g_db);
  }
  sqlite3_finalize(stmt);
  return out;
}

std::vector<Reject> read_rejects_table() {
  Outcome out = run("SELECT * FROM rejects ORDER BY rowid", {}, false);
  FUZZ_CHECK(out.rc == SQLITE_OK, out.error);
  return out.rows;
}

std::int64_t count(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(g_db, sql, -1, &stmt, nullptr);
  std::int64_t n = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return n;
}

// --- the model of section 7 --------------------------------------------------

using SessionKey = std::tuple<std::string, std::string, std::string>;
using TurnKey = std::tuple<std::string, std::string, std::string, std::string>;

struct ModelSession {
  std::string started_at, ended_at;
  Text working_dir, source_file, metadata;
};

struct Model {
  std::map<SessionKey, ModelSession> sessions;
  std::map<TurnKey, lethe::TurnRecord> turns;

  void apply(const lethe::TurnRecord& r) {
    const std::string ts(r.timestamp.data(), r.timestamp.size());
    const std::string start =
        r.started_at ? std::string(r.started_at->data(), r.started_at->size()) : ts;
    const SessionKey sk{r.tool, r.host, r.session_id};
    auto it = sessions.find(sk);
    if (it == sessions.end()) {
      sessions[sk] = {start, ts, r.working_dir, r.source_file, r.session_metadata};
    } else {
      ModelSession& s = it->second;
      s.started_at = std::min(s.started_at, start);
      s.ended_at = std::max(s.ended_at, ts);
      if (!s.working_dir) s.working_dir = r.working_dir;
      if (!s.source_file) s.source_file = r.source_file;
      if (!s.metadata) s.metadata = r.session_metadata;
    }
    turns[TurnKey{r.tool, r.host, r.session_id, r.turn_id}] = r;
  }
};

void check_tables(const Model& model, const std::string& owner) {
  FUZZ_CHECK(
      count("SELECT count(*) FROM sessions") == static_cast<std::int64_t>(model.sessions.size()),
      "sessions: " << count("SELECT count(*) FROM sessions") << " rows, model "
                   << model.sessions.size());
  FUZZ_CHECK(
      count("SELECT count(*) FROM turns") == static_cast<std::int64_t>(model.turns.size()),
      "turns: " << count("SELECT count(*) FROM turns") << " rows, model " << model.turns.size());
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(g_db,
                     "SELECT owner, tool, host, session_id, started_at, ended_at, working_dir, "
                     "source_file, metadata FROM sessions",
                     -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    FUZZ_CHECK(column_text(stmt, 0) == owner, "sessions.owner is not the argument");
    const SessionKey key{*column_text(stmt, 1), *column_text(stmt, 2), *column_text(stmt, 3)};
    const auto it = model.sessions.find(key);
    FUZZ_CHECK(it != model.sessions.end(), "a session the model does not have");
    const ModelSession& m = it->second;
    FUZZ_CHECK(column_text(stmt, 4) == m.started_at, "started_at "
                                                         << column_text(stmt, 4).value_or("NULL")
                                                         << ", model " << m.started_at);
    FUZZ_CHECK(column_text(stmt, 5) == m.ended_at,
               "ended_at " << column_text(stmt, 5).value_or("NULL") << ", model " << m.ended_at);
    FUZZ_CHECK(column_text(stmt, 6) == m.working_dir, "working_dir");
    FUZZ_CHECK(column_text(stmt, 7) == m.source_file, "source_file");
    FUZZ_CHECK(column_text(stmt, 8) == m.metadata, "sessions.metadata");
  }
  sqlite3_finalize(stmt);
  sqlite3_prepare_v2(g_db,
                     "SELECT owner, tool, host, session_id, turn_id, seq, role, timestamp, "
                     "content, model, tokens_in, tokens_out, cost_usd, tool_calls, metadata "
                     "FROM turns",
                     -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    FUZZ_CHECK(column_text(stmt, 0) == owner, "turns.owner is not the argument");
    const TurnKey key{*column_text(stmt, 1), *column_text(stmt, 2), *column_text(stmt, 3),
                      *column_text(stmt, 4)};
    const auto it = model.turns.find(key);
    FUZZ_CHECK(it != model.turns.end(), "a turn the model does not have");
    const lethe::TurnRecord& r = it->second;
    FUZZ_CHECK(column_int(stmt, 5) == r.seq, "seq");
    FUZZ_CHECK(column_text(stmt, 6) == std::string(r.role), "role");
    FUZZ_CHECK(column_text(stmt, 7) == std::string(r.timestamp.data(), r.timestamp.size()),
               "timestamp");
    FUZZ_CHECK(column_text(stmt, 8) == r.content,
               "content " << fuzz::esc(column_text(stmt, 8).value_or("NULL")) << ", model "
                          << fuzz::esc(r.content.value_or("NULL")));
    FUZZ_CHECK(column_text(stmt, 9) == r.model, "model");
    FUZZ_CHECK(column_int(stmt, 10) == r.tokens_in, "tokens_in");
    FUZZ_CHECK(column_int(stmt, 11) == r.tokens_out, "tokens_out");
    if (r.cost_usd) {
      FUZZ_CHECK(sqlite3_column_type(stmt, 12) == SQLITE_FLOAT, "cost_usd is not REAL");
      const double stored = sqlite3_column_double(stmt, 12);
      FUZZ_CHECK(std::memcmp(&stored, &*r.cost_usd, sizeof stored) == 0,
                 "cost_usd " << fuzz::dbl(stored) << ", model " << fuzz::dbl(*r.cost_usd));
    } else {
      FUZZ_CHECK(sqlite3_column_type(stmt, 12) == SQLITE_NULL, "cost_usd is not NULL");
    }
    FUZZ_CHECK(column_text(stmt, 13) == r.tool_calls, "tool_calls");
    FUZZ_CHECK(column_text(stmt, 14) == r.metadata, "turns.metadata");
  }
  sqlite3_finalize(stmt);
}

void check_empty(const char* why) {
  FUZZ_CHECK(
      count("SELECT count(*) FROM sessions") == 0 && count("SELECT count(*) FROM turns") == 0,
      why << ": the tables are not empty");
}

// Text up to the first LF of `rest`, consumed with its LF.
std::string take_line(std::string_view& rest, std::size_t max) {
  const std::size_t end = rest.find('\n');
  std::string_view head = rest.substr(0, std::min(end, max));
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  return std::string(head);
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
  must(
      "CREATE TABLE rejects(line, byte_offset, code, field, message);"
      "CREATE TABLE notes(x);");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::uint8_t flags = data[0];
  const int context = flags & 3;
  const bool blob = (flags & 0x20) != 0;

  // Options, as text, and what lethe must make of them.
  Text options;
  lethe::IngestOptions expected_options;
  bool options_ok = true;
  if (flags & 0x40) {
    options = take_line(rest, 4096);
    try {
      expected_options = lethe::parse_options(*options);
    } catch (const lethe::InputError&) {
      options_ok = false;
    }
  } else if (flags & 0x1C) {
    std::string json = "{";
    auto add = [&json](const std::string& member) {
      json += (json.size() > 1 ? "," : "") + member;
    };
    if (flags & 0x04) {
      add("\"dry_run\":true");
      expected_options.dry_run = true;
    }
    if ((flags & 0x08) && !rest.empty()) {
      expected_options.max_errors = static_cast<std::uint8_t>(rest[0]) & 7;
      add("\"max_errors\":" + std::to_string(*expected_options.max_errors));
      rest.remove_prefix(1);
    }
    if ((flags & 0x10) && !rest.empty()) {
      expected_options.max_line_bytes = 1 + std::size_t{static_cast<std::uint8_t>(rest[0])} * 8;
      add("\"max_line_bytes\":" + std::to_string(expected_options.max_line_bytes));
      rest.remove_prefix(1);
    }
    options = json + "}";
  }
  const std::string owner = (flags & 0x80) ? take_line(rest, 300) : "fuzz-owner";
  bool owner_ok = true;
  try {
    lethe::check_owner_text(owner);
  } catch (const lethe::InputError&) {
    owner_ok = false;
  }
  const std::string batch(rest);
  fuzz::input = std::string_view(reinterpret_cast<const char*>(data), size);

  // What the call must do, from lethe's own (separately fuzzed) parser.
  std::vector<Reject> expected;
  Model model;
  std::int64_t lines = 0;
  {
    lethe::LineSplitter splitter(batch);
    lethe::Line line;
    lethe::TurnRecord record;
    lethe::LineError error;
    while (splitter.next(line)) {
      if (lethe::is_blank(line.text)) continue;
      ++lines;
      if (lethe::parse_line(line.text, expected_options.max_line_bytes, record, error)) {
        model.apply(record);
      } else {
        expected.push_back({static_cast<std::int64_t>(line.number),
                            static_cast<std::int64_t>(line.byte_offset),
                            std::string(lethe::code_name(error.code)),
                            error.field.empty() ? Text() : Text(error.field), error.message});
      }
    }
  }
  const bool too_many =
      expected_options.max_errors && expected.size() > *expected_options.max_errors;
  const bool must_fail = !owner_ok || !options_ok || too_many;

  std::string call = "lethe_ingest(?1, ?2" + std::string(options ? ", ?3)" : ")");
  std::vector<Text> params = {owner, batch};
  if (options) params.push_back(options);
  Outcome out;
  std::vector<Reject> rows;
  switch (context) {
    case 0:
      out = run("SELECT * FROM " + call, params, blob);
      rows = out.rows;
      break;
    case 1:
      must("BEGIN; INSERT INTO notes VALUES (1);");
      out = run("SELECT * FROM " + call, params, blob);
      rows = out.rows;
      FUZZ_CHECK(sqlite3_get_autocommit(g_db) == 0, "the caller's transaction is gone");
      must("COMMIT");
      FUZZ_CHECK(count("SELECT count(*) FROM notes") == 1, "the caller's work is gone");
      break;
    case 2:
      out = run("INSERT INTO rejects SELECT * FROM " + call, params, blob);
      FUZZ_CHECK(out.rows.empty(), "INSERT returned rows");
      rows = read_rejects_table();
      break;
    default:
      must("SAVEPOINT outer");
      out = run("SELECT * FROM " + call, params, blob);
      rows = out.rows;
      must("ROLLBACK TO outer; RELEASE outer;");
      break;
  }
  FUZZ_CHECK(sqlite3_get_autocommit(g_db) == 1, "a transaction was left open");

  if (must_fail) {
    FUZZ_CHECK(out.rc != SQLITE_OK,
               "the call succeeded with owner_ok=" << owner_ok << " options_ok=" << options_ok
                                                   << " too_many=" << too_many);
    FUZZ_CHECK(out.error.rfind("lethe_ingest: ", 0) == 0, "batch error message: " << out.error);
    FUZZ_CHECK(
        !too_many || !owner_ok || !options_ok || out.error.find("max_errors") != std::string::npos,
        "max_errors not named: " << out.error);
    FUZZ_CHECK(rows.empty(), "a failed call returned rows");
    check_empty("failed call");
  } else {
    FUZZ_CHECK(out.rc == SQLITE_OK, "the call failed: " << out.error);
    FUZZ_CHECK(rows.size() == expected.size(), rows.size()
                                                   << " rejects, expected " << expected.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      FUZZ_CHECK(rows[i] == expected[i], "reject " << i << ": " << describe(rows[i])
                                                   << "\n  expected " << describe(expected[i]));
    }
    if (expected_options.dry_run || context == 3) {
      check_empty(expected_options.dry_run ? "dry run" : "rolled back savepoint");
    } else {
      check_tables(model, owner);
    }
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(g_db,
                       "SELECT json_extract(j, '$.lines'), json_extract(j, '$.accepted'), "
                       "json_extract(j, '$.rejected') FROM (SELECT lethe_last_ingest() AS j)",
                       -1, &stmt, nullptr);
    FUZZ_CHECK(sqlite3_step(stmt) == SQLITE_ROW, "lethe_last_ingest");
    FUZZ_CHECK(
        sqlite3_column_int64(stmt, 0) == lines &&
            sqlite3_column_int64(stmt, 2) == static_cast<std::int64_t>(expected.size()) &&
            sqlite3_column_int64(stmt, 1) == lines - static_cast<std::int64_t>(expected.size()),
        "lethe_last_ingest counts");
    sqlite3_finalize(stmt);
  }
  must("DELETE FROM turns; DELETE FROM sessions; DELETE FROM rejects; DELETE FROM notes;");
  return 0;
}
