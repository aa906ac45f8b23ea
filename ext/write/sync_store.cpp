#include "write/sync_store.hpp"

#include <algorithm>
#include <ctime>

#include "common/text.hpp"

namespace lethe {

namespace {

// The tables as a new database gets them. The first three have the names
// and first columns the old sql/sync.sql gave them, so its databases are
// adopted: the columns after them are added where missing.
constexpr const char* kCreateTables = R"sql(
CREATE TABLE IF NOT EXISTS lethe_sync_runs (
  run        INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  home       TEXT,
  host       TEXT NOT NULL,
  owner      TEXT,
  files_seen INTEGER, files_read INTEGER, problems INTEGER, files_gone INTEGER
);
CREATE TABLE IF NOT EXISTS lethe_sync_files (
  host          TEXT NOT NULL,
  path          TEXT NOT NULL,
  format        TEXT NOT NULL,
  mtime         INTEGER,
  size          INTEGER,
  read_at       INTEGER,
  last_seen_run INTEGER,
  problems      INTEGER,
  PRIMARY KEY (host, path)
);
CREATE TABLE IF NOT EXISTS lethe_sync_problems (
  host TEXT NOT NULL, path TEXT NOT NULL, line INTEGER, byte_offset INTEGER,
  code TEXT, field TEXT, message TEXT
);
CREATE INDEX IF NOT EXISTS lethe_sync_problems_by_file ON lethe_sync_problems (host, path);
CREATE TABLE IF NOT EXISTS lethe_sync_homes (
  home      TEXT PRIMARY KEY,
  host      TEXT NOT NULL,
  owner     TEXT NOT NULL,
  first_run INTEGER
);
)sql";

// Columns added since the old script, as "name type".
constexpr const char* kRunColumns[] = {
    "files_unchanged INTEGER", "files_failed INTEGER", "lines INTEGER", "rejected INTEGER",
    "bytes INTEGER",           "elapsed_ms REAL",      nullptr};
constexpr const char* kFileColumns[] = {
    "mtime_ns INTEGER", "device INTEGER", "inode INTEGER", "read_at_ns INTEGER",
    "status TEXT",      "message TEXT",   nullptr};

// A path or home as SQLite keeps it: TEXT when it is valid UTF-8 (as the
// old script stored it), else the exact bytes as a BLOB.
void bind_bytes(sqlite3_stmt* statement, int index, std::string_view bytes) {
  if (is_valid_utf8(bytes)) {
    sqlite3_bind_text64(statement, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT,
                        SQLITE_UTF8);
  } else {
    sqlite3_bind_blob64(statement, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  }
}

void bind_text(sqlite3_stmt* statement, int index, std::string_view text) {
  sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

std::string column_bytes(sqlite3_stmt* statement, int column) {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(statement, column));
  return {data == nullptr ? "" : data,
          static_cast<std::size_t>(sqlite3_column_bytes(statement, column))};
}

// "Under this home": the path's bytes start with ?2, the home's and a
// slash, bound as a BLOB (under_home): no LIKE, since a home may hold % or
// _, and bytes, since a path may be TEXT or, not being UTF-8, a BLOB.
constexpr const char* kUnderHome = "substr(CAST(path AS BLOB), 1, length(?2)) = ?2";

void bind_under_home(sqlite3_stmt* statement, std::string_view home) {
  std::string prefix(home);
  prefix += '/';
  sqlite3_bind_blob64(statement, 2, prefix.data(), prefix.size(), SQLITE_TRANSIENT);
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

Statement& SyncStore::prepared(Statement& slot, const char* sql) {
  if (!slot) slot = Statement(db_, sql);
  return slot;
}

void SyncStore::run_to_end(Statement& statement) {
  int rc = SQLITE_ROW;
  while ((rc = statement.step()) == SQLITE_ROW) {
  }
  finish(statement, rc);
}

void SyncStore::finish(Statement& statement, int rc) {
  if (rc != SQLITE_DONE) {
    const int code = sqlite3_extended_errcode(db_);
    const std::string message = sqlite3_errmsg(db_);
    statement.reset();
    throw BatchError(code, "the database cannot take the sync's writes: " + message + " (" +
                               code_label(code) + ")");
  }
  statement.reset();
}

void SyncStore::add_missing_columns(const char* table, const char* const* columns) {
  const auto present =
      column_of(db_, std::string("SELECT name FROM pragma_table_info('") + table + "', 'main')");
  for (const char* const* column = columns; *column != nullptr; ++column) {
    const std::string_view spec(*column);
    const std::string name(spec.substr(0, spec.find(' ')));
    if (std::find(present.begin(), present.end(), name) != present.end()) continue;
    Statement alter(db_, std::string("ALTER TABLE main.") + table + " ADD COLUMN " + *column);
    run_to_end(alter);
  }
}

void SyncStore::ensure_tables() {
  if (exec(db_, kCreateTables) != SQLITE_OK) {
    const int code = sqlite3_extended_errcode(db_);
    throw BatchError(code, std::string("the sync's tables could not be created: ") +
                               sqlite3_errmsg(db_) + " (" + code_label(code) + ")");
  }
  add_missing_columns("lethe_sync_runs", kRunColumns);
  add_missing_columns("lethe_sync_files", kFileColumns);
}

std::optional<HomeBinding> SyncStore::binding(std::string_view home) {
  for (const char* sql :
       {"SELECT host, owner FROM main.lethe_sync_homes WHERE home = ?1",
        "SELECT host, coalesce(owner, '') FROM main.lethe_sync_runs WHERE home = ?1 ORDER BY run "
        "LIMIT 1"}) {
    Statement query(db_, sql);
    bind_bytes(query.get(), 1, home);
    const int rc = query.step();
    if (rc == SQLITE_ROW) {
      return HomeBinding{column_bytes(query.get(), 0), column_bytes(query.get(), 1)};
    }
    finish(query, rc);
  }
  return std::nullopt;
}

void SyncStore::bind(std::string_view home, const HomeBinding& binding, std::int64_t run) {
  Statement insert(db_,
                   "INSERT INTO main.lethe_sync_homes (home, host, owner, first_run) "
                   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (home) DO UPDATE SET host = excluded.host, "
                   "owner = excluded.owner");
  bind_bytes(insert.get(), 1, home);
  bind_text(insert.get(), 2, binding.host);
  bind_text(insert.get(), 3, binding.owner);
  sqlite3_bind_int64(insert.get(), 4, run);
  run_to_end(insert);
}

void SyncStore::adopt_default_host_rows(std::string_view home, const std::string& host) {
  const std::string under = std::string(" WHERE host = '' AND ") + kUnderHome;
  for (const std::string& sql : {"UPDATE OR REPLACE main.lethe_sync_files SET host = ?1" + under,
                                 "UPDATE main.lethe_sync_problems SET host = ?1" + under}) {
    Statement update(db_, sql);
    bind_text(update.get(), 1, host);
    bind_under_home(update.get(), home);
    run_to_end(update);
  }
  Statement runs(db_, "UPDATE main.lethe_sync_runs SET host = ?1 WHERE host = '' AND home = ?2");
  bind_text(runs.get(), 1, host);
  bind_bytes(runs.get(), 2, home);
  run_to_end(runs);
}

std::int64_t SyncStore::start_run(std::string_view home, const HomeBinding& binding) {
  Statement insert(db_,
                   "INSERT INTO main.lethe_sync_runs (started_at, home, host, owner) "
                   "VALUES (?1, ?2, ?3, ?4)");
  bind_text(insert.get(), 1, utc_now());
  bind_bytes(insert.get(), 2, home);
  bind_text(insert.get(), 3, binding.host);
  bind_text(insert.get(), 4, binding.owner);
  run_to_end(insert);
  return sqlite3_last_insert_rowid(db_);
}

void SyncStore::finish_run(std::int64_t run, const SyncCounts& c) {
  Statement update(db_,
                   "UPDATE main.lethe_sync_runs SET files_seen = ?2, files_read = ?3, "
                   "problems = ?4, files_gone = ?5, files_unchanged = ?6, files_failed = ?7, "
                   "lines = ?8, rejected = ?9, bytes = ?10, elapsed_ms = ?11 WHERE run = ?1");
  sqlite3_stmt* s = update.get();
  sqlite3_bind_int64(s, 1, run);
  const std::uint64_t values[] = {c.files_seen, c.files_read,      c.rejected,
                                  c.files_gone, c.files_unchanged, c.files_failed,
                                  c.lines,      c.rejected,        c.bytes};
  int index = 2;
  for (const std::uint64_t v : values) {
    sqlite3_bind_int64(s, index++, static_cast<sqlite3_int64>(v));
  }
  sqlite3_bind_double(s, index, c.elapsed_ms);
  run_to_end(update);
}

std::unordered_map<std::string, sync::LastRead> SyncStore::last_reads(const std::string& host,
                                                                      std::string_view home) {
  Statement query(db_, std::string("SELECT path, device, inode, size, mtime_ns, read_at_ns, "
                                   "status IS 'READ' FROM main.lethe_sync_files "
                                   "WHERE host = ?1 AND ") +
                           kUnderHome);
  bind_text(query.get(), 1, host);
  bind_under_home(query.get(), home);
  std::unordered_map<std::string, sync::LastRead> reads;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) {
    sync::LastRead last;
    sqlite3_stmt* s = query.get();
    // A row the old script wrote has no identity: it reads as incomplete,
    // so the file is read once more (the readers converge).
    const bool identified =
        sqlite3_column_type(s, 1) != SQLITE_NULL && sqlite3_column_type(s, 4) != SQLITE_NULL;
    last.identity = {static_cast<std::uint64_t>(sqlite3_column_int64(s, 1)),
                     static_cast<std::uint64_t>(sqlite3_column_int64(s, 2)),
                     static_cast<std::uint64_t>(sqlite3_column_int64(s, 3)),
                     sqlite3_column_int64(s, 4)};
    last.read_at_ns = sqlite3_column_int64(s, 5);
    last.complete = identified && sqlite3_column_int(s, 6) != 0;
    reads.emplace(column_bytes(s, 0), last);
  }
  finish(query, rc);
  return reads;
}

void SyncStore::record(const std::string& host, const FileRecord& file, std::int64_t run) {
  Statement& upsert = prepared(
      record_,
      "INSERT INTO main.lethe_sync_files (host, path, format, mtime, size, read_at, "
      "last_seen_run, problems, mtime_ns, device, inode, read_at_ns, status, message) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
      "ON CONFLICT (host, path) DO UPDATE SET format = excluded.format, mtime = excluded.mtime, "
      "size = excluded.size, read_at = excluded.read_at, last_seen_run = excluded.last_seen_run, "
      "problems = excluded.problems, mtime_ns = excluded.mtime_ns, device = excluded.device, "
      "inode = excluded.inode, read_at_ns = excluded.read_at_ns, status = excluded.status, "
      "message = excluded.message");
  sqlite3_stmt* s = upsert.get();
  const bool identified = file.identity.device != 0 || file.identity.inode != 0;
  bind_text(s, 1, host);
  bind_bytes(s, 2, file.path);
  bind_text(s, 3, file.format);
  const auto put = [&](int index, std::int64_t value, bool known) {
    if (known) {
      sqlite3_bind_int64(s, index, value);
    } else {
      sqlite3_bind_null(s, index);
    }
  };
  put(4, file.identity.mtime_ns / 1'000'000'000, identified);
  put(5, static_cast<std::int64_t>(file.identity.size), identified);
  put(6, file.read_at_ns / 1'000'000'000, true);
  put(7, run, true);
  put(8, static_cast<std::int64_t>(file.problems), true);
  put(9, file.identity.mtime_ns, identified);
  put(10, static_cast<std::int64_t>(file.identity.device), identified);
  put(11, static_cast<std::int64_t>(file.identity.inode), identified);
  put(12, file.read_at_ns, true);
  bind_text(s, 13, file.status);
  if (file.message.empty()) {
    sqlite3_bind_null(s, 14);
  } else {
    bind_text(s, 14, file.message);
  }
  run_to_end(upsert);
}

void SyncStore::mark_seen(const std::string& host, std::string_view path, std::int64_t run) {
  Statement& update =
      prepared(mark_seen_,
               "UPDATE main.lethe_sync_files SET last_seen_run = ?3 WHERE host = ?1 AND path = ?2");
  bind_text(update.get(), 1, host);
  bind_bytes(update.get(), 2, path);
  sqlite3_bind_int64(update.get(), 3, run);
  run_to_end(update);
}

void SyncStore::replace_problems(const std::string& host, std::string_view path,
                                 const RejectList& rows) {
  Statement& remove = prepared(
      delete_problems_, "DELETE FROM main.lethe_sync_problems WHERE host = ?1 AND path = ?2");
  bind_text(remove.get(), 1, host);
  bind_bytes(remove.get(), 2, path);
  run_to_end(remove);
  Statement& insert = prepared(insert_problem_,
                               "INSERT INTO main.lethe_sync_problems (host, path, line, "
                               "byte_offset, code, field, message) VALUES (?1, ?2, ?3, ?4, ?5, "
                               "?6, ?7)");
  sqlite3_stmt* s = insert.get();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const RejectRow& row = rows[i];
    bind_text(s, 1, host);
    bind_bytes(s, 2, path);
    sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(row.line));
    sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(row.byte_offset));
    bind_text(s, 5, code_name(row.code));
    const std::string_view field = rows.field(row);
    if (field.empty()) {
      sqlite3_bind_null(s, 6);
    } else {
      bind_text(s, 6, field);
    }
    bind_text(s, 7, rows.message(row));
    run_to_end(insert);
  }
}

std::uint64_t SyncStore::count_gone(const std::string& host, std::string_view home,
                                    std::int64_t run) {
  Statement query(db_, std::string("SELECT count(*) FROM main.lethe_sync_files WHERE host = ?1 "
                                   "AND last_seen_run < ?3 AND ") +
                           kUnderHome);
  bind_text(query.get(), 1, host);
  bind_under_home(query.get(), home);
  sqlite3_bind_int64(query.get(), 3, run);
  const int rc = query.step();
  if (rc != SQLITE_ROW) finish(query, rc);
  return static_cast<std::uint64_t>(sqlite3_column_int64(query.get(), 0));
}

}  // namespace lethe
