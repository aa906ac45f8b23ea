// lethe_agent_export(format, path [, session]): the (session, line) rows
// lethe exports from an agent's own SQLite database (write/agent_db.hpp),
// the lines that lethe_sync hands to the agent's reader, so that a user can
// see from SQL what lethe reads of it:
//
//   SELECT session, line FROM lethe_agent_export('opencode',
//     '/home/ana/.local/share/opencode/opencode.db');
//   SELECT * FROM lethe_convert((SELECT group_concat(line, char(10))
//     FROM lethe_agent_export('opencode', '/home/ana/.local/share/opencode/opencode.db',
//                             'ses_...')), '{"format": "opencode"}');
//
// It opens a file the caller names, so it is DIRECTONLY: no view or trigger
// of a database file can call it. It writes nothing.
#include "call/agent_export_table.hpp"

#include <new>
#include <optional>
#include <string>
#include <vector>

#include "call/table_support.hpp"
#include "write/agent_db.hpp"

namespace lethe {

namespace {

enum Column { kSession, kLine, kFormatArg, kPathArg, kSessionArg };

constexpr const char* kSchema =
    "CREATE TABLE x(session TEXT, line TEXT, format HIDDEN, path HIDDEN, session_id HIDDEN)";

constexpr int kHasFormat = 1;
constexpr int kHasPath = 2;
constexpr int kHasSession = 4;

struct ExportRow {
  std::string session;
  std::string line;
};

struct ExportTable {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
};

struct ExportCursor {
  sqlite3_vtab_cursor base{};
  std::vector<ExportRow> rows;
  std::size_t position = 0;
  std::string format;  // the arguments, read back by their hidden columns
  std::string path;
};

int export_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out,
                   char**) noexcept {
  const int rc = sqlite3_declare_vtab(db, kSchema);
  if (rc != SQLITE_OK) return rc;
  auto* table = new (std::nothrow) ExportTable;
  if (table == nullptr) return SQLITE_NOMEM;
  table->db = db;
  // It reads a file the caller names: only SQL the caller wrote may call it.
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = &table->base;
  return SQLITE_OK;
}

int export_disconnect(sqlite3_vtab* vtab) noexcept {
  delete reinterpret_cast<ExportTable*>(vtab);
  return SQLITE_OK;
}

constexpr const char* kArgumentNames[] = {"format", "path", "session"};

int export_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) noexcept {
  return plan_arguments(vtab, info, "lethe_agent_export", kFormatArg, kArgumentNames, 2, 100);
}

int export_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) noexcept {
  auto* cursor = new (std::nothrow) ExportCursor;
  if (cursor == nullptr) return SQLITE_NOMEM;
  *out = &cursor->base;
  return SQLITE_OK;
}

std::string text_argument(sqlite3_value* value, const char* name, const char* what) {
  const int type = sqlite3_value_type(value);
  if (type != SQLITE_TEXT && type != SQLITE_BLOB) {
    throw InputError(std::string(name) + " must be " + what + " as TEXT");
  }
  const auto* data = static_cast<const char*>(sqlite3_value_blob(value));
  return std::string(data == nullptr ? "" : data,
                     static_cast<std::size_t>(sqlite3_value_bytes(value)));
}

Format database_format(const std::string& name) {
  const std::optional<Format> format = format_named(name);
  if (!format || !is_database_format(*format)) {
    throw InputError(
        "format must name an agent that keeps a database (\"opencode\", \"goose\", "
        "\"crush\"), got \"" +
        name + "\"");
  }
  return *format;
}

int export_filter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc,
                  sqlite3_value** argv) noexcept {
  auto* cursor = reinterpret_cast<ExportCursor*>(cur);
  sqlite3* db = reinterpret_cast<ExportTable*>(cur->pVtab)->db;
  return guarded(db, cur->pVtab, "lethe_agent_export", "out of memory", [&] {
    cursor->rows.clear();
    cursor->position = 0;
    if ((idx_num & kHasFormat) == 0 || (idx_num & kHasPath) == 0 || argc < 2) {
      throw InputError("format and path arguments are required");
    }
    cursor->format = text_argument(argv[0], "format", "the agent's name");
    cursor->path = text_argument(argv[1], "path", "the path of the agent's database");
    const Format format = database_format(cursor->format);
    const std::string& path = cursor->path;
    std::optional<std::string> session;
    if ((idx_num & kHasSession) != 0 && argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
      session = text_argument(argv[2], "session", "a session id");
    }
    try {
      AgentDatabase database(format, path);
      if (session) {
        std::string lines;
        database.export_session(*session, lines);
        std::size_t start = 0;
        while (start < lines.size()) {
          const std::size_t end = lines.find('\n', start);
          cursor->rows.push_back({*session, lines.substr(start, end - start)});
          start = end + 1;
        }
      } else {
        database.export_all([&](std::string_view id, std::string_view line) {
          cursor->rows.push_back({std::string(id), std::string(line)});
        });
      }
    } catch (const AgentDbError& error) {
      throw InputError("'" + path + "' " + std::string(error.code()) + ": " + error.what());
    }
    return SQLITE_OK;
  });
}

void result_text(sqlite3_context* ctx, std::string_view text) noexcept {
  sqlite3_result_text64(ctx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

int export_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  const auto* cursor = reinterpret_cast<ExportCursor*>(cur);
  const ExportRow& row = cursor->rows[cursor->position];
  switch (column) {
    case kSession:
      result_text(ctx, row.session);
      break;
    case kLine:
      result_text(ctx, row.line);
      break;
    case kFormatArg:
      result_text(ctx, cursor->format);
      break;
    case kPathArg:
      result_text(ctx, cursor->path);
      break;
    case kSessionArg:
      result_text(ctx, row.session);
      break;
    default:
      sqlite3_result_null(ctx);
      break;
  }
  return SQLITE_OK;
}

constexpr sqlite3_module kExportModule =
    eponymous_rows_module<ExportCursor>({export_connect, export_best_index, export_disconnect,
                                         export_open, export_filter, export_column});

}  // namespace

int register_agent_export_module(sqlite3* db) {
  return sqlite3_create_module_v2(db, "lethe_agent_export", &kExportModule, nullptr, nullptr);
}

}  // namespace lethe
