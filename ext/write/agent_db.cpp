#include "write/agent_db.hpp"

#include <cstring>
#include <limits>

#include "common/errors.hpp"
#include "common/text.hpp"
#include "parse/json_scan.hpp"
#include "write/agent_db_sql.hpp"

namespace lethe {

namespace {

// file:<path>?mode=ro with the path's bytes escaped where a URI needs it
// ('?', '#', '%', spaces, controls, bytes past ASCII).
std::string read_only_uri(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                       (byte >= '0' && byte <= '9') || byte == '/' || byte == '.' || byte == '-' ||
                       byte == '_' || byte == '~';
    if (plain) {
      uri += c;
    } else {
      uri += '%';
      uri += kHex[byte >> 4];
      uri += kHex[byte & 15];
    }
  }
  return uri + "?mode=ro";
}

std::string_view code_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      return "NOT_A_DATABASE";
    case SQLITE_CORRUPT:
      return "CORRUPT";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "BUSY";
    default:
      return "UNREADABLE";
  }
}

std::string advice_for(std::string_view code) {
  if (code == "NOT_A_DATABASE") return ": it is not a SQLite database; nothing of it was read";
  if (code == "CORRUPT") {
    return ": the database is damaged; nothing of it was read (the agent's own tools, or "
           "sqlite3's .recover, may save it)";
  }
  if (code == "BUSY") {
    return ": the agent held it longer than " + std::to_string(kBusyMilliseconds) +
           " ms; it is read again on the next sync";
  }
  return ": nothing of it was read (check that it exists, and its owner and mode: lethe opens it "
         "read-only, and for a database in WAL mode SQLite needs to open or create its -shm "
         "file beside it); it is read again on the next sync";
}

void bind_session(sqlite3_stmt* stmt, const std::string_view* session) {
  const int index = sqlite3_bind_parameter_index(stmt, ":session");
  if (index == 0) return;
  if (session == nullptr) {
    sqlite3_bind_null(stmt, index);
  } else {
    sqlite3_bind_text64(stmt, index, session->data(), session->size(), SQLITE_TRANSIENT,
                        SQLITE_UTF8);
  }
}

}  // namespace

std::string_view agent_db_sql(Format format) {
  if (!is_database_format(format)) {
    throw InputError("format \"" + std::string(format_name(format)) + "\" keeps no database");
  }
  const std::string name = std::string(format_name(format)) + ".sql";
  for (const agent_db::SqlFile& file : agent_db::sql_files()) {
    if (file.name == name) return file.text;
  }
  throw InputError("this build has no export query for format \"" +
                   std::string(format_name(format)) + "\"");
}

// SQLite gives a connection opened with SQLITE_OPEN_FULLMUTEX a mutex only
// when its own mutexes are on. Asked of a throwaway in-memory connection, so
// that the agent's is opened without a mutex of its own (one thread uses it
// at a time; each sqlite3_column_* call would lock it).
bool sqlite_mutexes_on() {
  sqlite3* probe = nullptr;
  const int rc =
      sqlite3_open_v2(":memory:", &probe, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
  const bool on = rc == SQLITE_OK && sqlite3_db_mutex(probe) != nullptr;
  sqlite3_close_v2(probe);
  return on;
}

AgentDatabase::AgentDatabase(Format format, const std::string& path)
    : threads_allowed_(sqlite_mutexes_on()) {
  const std::string_view sql = agent_db_sql(format);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      read_only_uri(path).c_str(), &db,
      SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | (threads_allowed_ ? SQLITE_OPEN_NOMUTEX : 0),
      nullptr);
  db_.reset(db);
  if (rc != SQLITE_OK) fail(rc, "could not be opened");
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyMilliseconds);
  const char* tail = sql.data();
  const char* end = sql.data() + sql.size();
  for (auto& slot : statements_) {
    sqlite3_stmt* statement = nullptr;
    const int prepared =
        sqlite3_prepare_v2(db, tail, static_cast<int>(end - tail), &statement, &tail);
    slot.reset(statement);
    if (prepared == SQLITE_ERROR) {
      const std::string why = sqlite3_errmsg(db);
      throw AgentDbError("UNKNOWN_SCHEMA",
                         "its tables are not the ones lethe reads (" + why + "): not " +
                             std::string(format_name(format)) +
                             "'s database, or from a release lethe does not know; nothing of it "
                             "was read");
    }
    if (prepared != SQLITE_OK) fail(prepared, "could not be read");
    if (statement == nullptr) {
      throw InputError("the export query of \"" + std::string(format_name(format)) +
                       "\" lacks a statement (write/agent_db.hpp says what it holds)");
    }
  }
}

void AgentDatabase::fail(int rc, const char* doing) const {
  const std::string_view code = code_of(rc);
  std::string message = std::string(doing) + " (";
  message += db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
  message += ")";
  throw AgentDbError(code, message + advice_for(code));
}

void AgentDatabase::run(int which, const std::string_view* session,
                        const std::function<void(sqlite3_stmt*)>& on_row) {
  sqlite3_stmt* stmt = statements_[which].get();
  bind_session(stmt, session);
  // Reset whatever happens: a statement left stepping would hold the read
  // transaction open, and keep the agent's WAL from being checkpointed.
  struct Reset {
    sqlite3_stmt* stmt;
    ~Reset() { sqlite3_reset(stmt); }
  } reset{stmt};
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) on_row(stmt);
  if (rc != SQLITE_DONE) fail(rc, "could not be read");
}

namespace {

// A line break in a JSON column put in as it is (agent_db.hpp): whitespace
// between tokens, made a space. memchr: the columns are long.
void break_to_space(char* at, std::size_t size) {
  for (const char c : {'\n', '\r'}) {
    char* from = at;
    const char* end = at + size;
    while (from < end) {
      auto* hit = static_cast<char*>(std::memchr(from, c, static_cast<std::size_t>(end - from)));
      if (hit == nullptr) break;
      *hit = ' ';
      from = hit + 1;
    }
  }
}

std::string_view column_view(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column))};
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  return std::string(column_view(stmt, column));
}

// `text` as a JSON string, byte for byte as SQLite's json_quote() writes it
// (the lines were built by it before: a column that is not JSON keeps the
// bytes it had in the export): '"' and '\\' escaped, the control bytes as
// \b \t \n \f \r or \u00XX, every other byte as it is.
void append_json_quoted(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20) {
      out += c;
    } else if (c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r') {
      out += '\\';
      out += "btn?fr"[c - '\b'];
    } else {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  out += '"';
}

// One JSON column of the agent's (agent_db.hpp): valid JSON as it is, any
// other text as a string, a BLOB as its size, a number as itself. Returns
// whether what it put in is known to be JSON lethe's scanner accepts.
bool append_json_column(sqlite3_stmt* stmt, int column, std::string& out) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_TEXT: {
      const std::string_view text = column_view(stmt, column);
      if (!json::is_member_value(text)) {
        append_json_quoted(out, text);
        return is_valid_utf8(text);  // the quoting escapes every control byte
      }
      const std::size_t start = out.size();
      out += text;
      break_to_space(&out[start], text.size());
      return true;
    }
    case SQLITE_BLOB:
      append_json_quoted(
          out, "(a BLOB of " + std::to_string(sqlite3_column_bytes(stmt, column)) + " bytes)");
      return true;
    case SQLITE_NULL:
      out += "null";
      return true;
    default: {  // a number: its text is the one json_quote() writes (Inf for an infinity)
      const std::string_view number = column_view(stmt, column);
      out += number;
      return json::is_member_value(number);
    }
  }
}

// The line of one export row: column 1's JSON object, with the row's JSON
// columns (column 2 says how many, from column 3 on) put in before its
// closing brace, each under its column's name. Returns whether the whole
// line is known to be one JSON object lethe's scanner accepts: its object
// scanned here (it is short; SQLite's json_object copies a TEXT column's
// bytes, valid UTF-8 or not) and each column checked as it was put in.
bool append_export_line(sqlite3_stmt* stmt, std::string& out) {
  const std::size_t start = out.size();
  const std::string_view object = column_view(stmt, 1);
  json::ScanError error;
  bool scanned = json::scan_object(
      object, [](std::string_view, const json::Value&) {}, error);
  out += object;
  const int columns = sqlite3_column_count(stmt);
  const int json_columns = columns > 2 ? sqlite3_column_int(stmt, 2) : 0;
  if (json_columns <= 0 || out.size() == start || out.back() != '}') return scanned;
  out.pop_back();
  for (int i = 3; i < 3 + json_columns && i < columns; ++i) {
    if (out.back() != '{') out += ',';
    const char* name = sqlite3_column_name(stmt, i);
    const std::string_view key = name != nullptr ? name : "";
    append_json_quoted(out, key);
    out += ':';
    scanned = append_json_column(stmt, i, out) && is_valid_utf8(key) && scanned;
  }
  out += '}';
  return scanned;
}

}  // namespace

void AgentDatabase::interrupt() noexcept { sqlite3_interrupt(db_.get()); }

std::vector<AgentSession> AgentDatabase::sessions() {
  std::vector<AgentSession> out;
  run(0, nullptr, [&](sqlite3_stmt* stmt) {
    AgentSession& session = out.emplace_back();
    session.id = column_text(stmt, 0);
    session.changed_ms = sqlite3_column_int64(stmt, 1);
    session.rows = sqlite3_column_int64(stmt, 2);
    session.checksum = sqlite3_column_int64(stmt, 3);
  });
  return out;
}

ExportedLines AgentDatabase::export_session(std::string_view id, std::string& out) {
  ExportedLines exported;
  run(1, &id, [&](sqlite3_stmt* stmt) {
    if (sqlite3_column_type(stmt, 1) == SQLITE_NULL) return;  // the query's lines are never NULL
    exported.scanned = append_export_line(stmt, out) && exported.scanned;
    out += '\n';
    ++exported.lines;
  });
  return exported;
}

void AgentDatabase::export_all(
    const std::function<void(std::string_view, std::string_view)>& on_line) {
  std::string line;
  run(1, nullptr, [&](sqlite3_stmt* stmt) {
    const std::string_view session = column_view(stmt, 0);
    line.clear();
    append_export_line(stmt, line);
    on_line(session, line);
  });
}

}  // namespace lethe
