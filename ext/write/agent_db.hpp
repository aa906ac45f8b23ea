// Reading an agent's own SQLite database (OpenCode, Goose, Crush): read-only,
// on a connection of its own, never writing to the agent's files, never
// holding a lock the agent waits on for longer than one statement.
//
// Each agent has one file, ext/write/agent_db/<format name>.sql, with two
// statements (docs/reference/adapters.md section 9):
//
//  1. the sessions: rows (session TEXT, changed_ms INTEGER, rows INTEGER,
//     checksum INTEGER) ordered by session, one per session. changed_ms is
//     the latest change of anything in the session (ms since 1970), rows how
//     many rows it spans, checksum an integer that moves when one of them is
//     rewritten: together, what identifies the version of a session, so an
//     unchanged one is not exported again.
//  2. the export: rows (session TEXT, line TEXT, json_columns INTEGER,
//     <JSON columns>...) ordered by session, then in the session's record
//     order; `:session` restricts it to one session (NULL: every session).
//     Each line is one JSON object with a "record" field naming its kind; a
//     session's first line is its "session" record, with "agent" naming the
//     format ("opencode"). The first json_columns of the columns after it
//     are JSON columns of the agent's, put into the line (before its
//     closing brace) under their column names: a TEXT that lethe's scanner
//     accepts as JSON as it is (a CR or LF in it can then only be
//     whitespace between tokens, and is made a space, so that a line stays
//     one), any other TEXT as a JSON string (json_quote's bytes), a BLOB as
//     "(a BLOB of N bytes)", a number as itself, NULL as null. So a large
//     column is neither parsed by SQLite's json_valid nor copied by
//     concatenations in the query. The lines of one session, joined by
//     '\n', are what the agent's native reader (native/<agent>.cpp) reads
//     like a file.
//
// The connection is opened with the URI file:<path>?mode=ro (never
// immutable=1: the agent may be writing), each statement is its own short
// read transaction, and a writer that holds the database is waited for up
// to kBusyMilliseconds. In WAL mode SQLite itself may create the -shm (and
// -wal) file beside the database, as any reader does; nothing else is
// created or changed there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "parse/options.hpp"
#include "write/sqlite_api.hpp"

namespace lethe {

inline constexpr int kBusyMilliseconds = 5000;

// Why an agent's database could not be read: `code` is a static name for the
// sync's row (UNREADABLE, NOT_A_DATABASE, CORRUPT, BUSY, UNKNOWN_SCHEMA).
class AgentDbError : public std::runtime_error {
 public:
  AgentDbError(std::string_view code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  std::string_view code() const noexcept { return code_; }

 private:
  std::string_view code_;
};

// One session as the sessions statement lists it.
struct AgentSession {
  std::string id;
  std::int64_t changed_ms = 0;
  std::int64_t rows = 0;
  std::int64_t checksum = 0;
};

// What export_session appended.
struct ExportedLines {
  std::uint64_t lines = 0;
  bool scanned = true;  // every line checked with lethe's scanner as it was built
};

// Whether this SQLite's own mutexes are on (it was neither built nor
// configured single-threaded), so that a connection may be used by one
// thread after another.
bool sqlite_mutexes_on();

// The export query of a database format (`opencode.sql` for OpenCode).
// Throws InputError for a format that keeps no database.
std::string_view agent_db_sql(Format format);

// A read-only connection to one agent database. Every member throws
// AgentDbError when the database can't be opened or read, or isn't the
// schema the agent's query expects.
class AgentDatabase {
 public:
  AgentDatabase(Format format, const std::string& path);
  AgentDatabase(const AgentDatabase&) = delete;
  AgentDatabase& operator=(const AgentDatabase&) = delete;

  std::vector<AgentSession> sessions();

  // Appends the lines of session `id` to `out`, each followed by '\n';
  // returns how many, and whether each is known to be one JSON object
  // lethe's scanner accepts (IngestOptions::lines_scanned).
  ExportedLines export_session(std::string_view id, std::string& out);

  // Every session's lines, in order: on_line(session, line).
  void export_all(const std::function<void(std::string_view, std::string_view)>& on_line);

  // Whether this connection may be used on a thread other than the one that
  // opened it, one thread at a time: SQLite was neither built nor configured
  // single-threaded. ARCHITECTURE.md, "The export thread".
  bool usable_from_another_thread() const noexcept { return threads_allowed_; }

  // Makes the statement running on another thread stop soon (it throws
  // AgentDbError there). Safe from any thread while the connection is open.
  void interrupt() noexcept;

 private:
  // Runs statement `which` (0: sessions, 1: export) with `session` bound
  // (nullptr: NULL), handing each row to on_row.
  void run(int which, const std::string_view* session,
           const std::function<void(sqlite3_stmt*)>& on_row);
  [[noreturn]] void fail(int rc, const char* doing) const;

  struct Close {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
  };
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
  };
  const bool threads_allowed_;
  // Declared first: destroyed after the statements.
  std::unique_ptr<sqlite3, Close> db_;
  std::unique_ptr<sqlite3_stmt, Finalize> statements_[2];
};

}  // namespace lethe
