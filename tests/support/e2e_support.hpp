// End-to-end test support: a real SQLite connection (the system's
// libsqlite3) with the built lethe.so loaded, as any client would do it.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef LETHE_EXTENSION_PATH
#error "LETHE_EXTENSION_PATH must name the built lethe module"
#endif
#ifndef LETHE_SOURCE_DIR
#error "LETHE_SOURCE_DIR must name the source tree"
#endif

namespace lethe_test {

using Value = std::optional<std::string>;  // NULL is nullopt
using Row = std::vector<Value>;

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path(LETHE_SOURCE_DIR) / relative;
}

// A fresh directory per test for database files.
inline std::filesystem::path temp_dir() {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("lethe-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

struct Reject {
  std::int64_t line = 0;
  std::int64_t byte_offset = 0;
  std::string code;
  Value field;
  std::string message;
};

// Outcome of one statement: its result code, error message and rows.
struct Result {
  int rc = SQLITE_OK;
  std::string error;
  std::vector<Row> rows;
  bool ok() const { return rc == SQLITE_OK; }
};

class Db {
 public:
  // ":memory:" or a file path. Loads lethe unless told not to.
  explicit Db(const std::string& path = ":memory:", bool load = true,
              int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      throw std::runtime_error("open failed: " + std::string(sqlite3_errmsg(db_)));
    }
    if (load) load_lethe();
  }
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_; }

  void load_lethe() {
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
    char* error = nullptr;
    if (sqlite3_load_extension(db_, LETHE_EXTENSION_PATH, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error("load_extension failed: " + message);
    }
  }

  void apply_schema() { must(read_file(source_path("sql/schema.sql"))); }

  // Runs SQL (possibly several statements); throws on error.
  void must(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error("SQL failed: " + message + "\n  in: " + sql);
    }
  }

  // One statement with text/blob/null/int parameters, all rows as text.
  template <typename... Args>
  Result query(const std::string& sql, const Args&... args) {
    Result result;
    sqlite3_stmt* stmt = nullptr;
    result.rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (result.rc != SQLITE_OK) {
      result.error = sqlite3_errmsg(db_);
      return result;
    }
    int index = 0;
    (bind(stmt, ++index, args), ...);
    while ((result.rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          const auto* text = static_cast<const char*>(sqlite3_column_blob(stmt, c));
          row.emplace_back(std::string(text ? text : "",
                                       static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      result.rows.push_back(std::move(row));
    }
    if (result.rc == SQLITE_DONE) {
      result.rc = SQLITE_OK;
    } else {
      result.error = sqlite3_errmsg(db_);
    }
    sqlite3_finalize(stmt);
    return result;
  }

  // A single value (first column of the first row); throws on error.
  template <typename... Args>
  Value scalar(const std::string& sql, const Args&... args) {
    Result r = query(sql, args...);
    if (!r.ok()) throw std::runtime_error("SQL failed: " + r.error + "\n  in: " + sql);
    if (r.rows.empty() || r.rows[0].empty()) return std::nullopt;
    return r.rows[0][0];
  }

  std::int64_t count(const std::string& sql) {
    Value v = scalar(sql);
    return v ? std::stoll(*v) : 0;
  }

 private:
  static void bind(sqlite3_stmt* stmt, int index, const std::string& text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  static void bind(sqlite3_stmt* stmt, int index, const char* text) {
    if (text == nullptr) {
      sqlite3_bind_null(stmt, index);
    } else {
      sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
    }
  }
  static void bind(sqlite3_stmt* stmt, int index, std::nullptr_t) {
    sqlite3_bind_null(stmt, index);
  }
  static void bind(sqlite3_stmt* stmt, int index, std::int64_t v) {
    sqlite3_bind_int64(stmt, index, v);
  }
  static void bind(sqlite3_stmt* stmt, int index, int v) { sqlite3_bind_int(stmt, index, v); }
  static void bind(sqlite3_stmt* stmt, int index, double v) { sqlite3_bind_double(stmt, index, v); }
  struct Blob {
    std::string bytes;
  };

 public:
  // Wrap a std::string in Blob{} to bind it as a BLOB instead of TEXT.
  using BlobArg = Blob;

 private:
  static void bind(sqlite3_stmt* stmt, int index, const Blob& blob) {
    sqlite3_bind_blob(stmt, index, blob.bytes.data(), static_cast<int>(blob.bytes.size()),
                      SQLITE_TRANSIENT);
  }

  sqlite3* db_ = nullptr;
};

// The outcome of SELECT * FROM lethe_ingest(...).
struct Ingest {
  int rc = SQLITE_OK;
  std::string error;
  std::vector<Reject> rejects;
  bool ok() const { return rc == SQLITE_OK; }
};

inline Ingest to_ingest(const Result& r) {
  Ingest out;
  out.rc = r.rc;
  out.error = r.error;
  for (const Row& row : r.rows) {
    Reject reject;
    reject.line = std::stoll(row.at(0).value());
    reject.byte_offset = std::stoll(row.at(1).value());
    reject.code = row.at(2).value();
    reject.field = row.at(3);
    reject.message = row.at(4).value();
    out.rejects.push_back(std::move(reject));
  }
  return out;
}

inline Ingest ingest(Db& db, const std::string& owner, const std::string& ndjson) {
  return to_ingest(db.query(
      "SELECT line, byte_offset, code, field, message FROM lethe_ingest(?1, ?2)", owner, ndjson));
}

inline Ingest ingest(Db& db, const std::string& owner, const std::string& ndjson,
                     const std::string& options) {
  return to_ingest(
      db.query("SELECT line, byte_offset, code, field, message FROM lethe_ingest(?1, ?2, ?3)",
               owner, ndjson, options));
}

// A valid wire-v1 line; override fields by passing a JSON fragment that is
// spliced in after the defaults (later keys win, per contract section 2).
inline std::string line(const std::string& extra = "", const std::string& session = "s1",
                        const std::string& turn = "t1") {
  std::string json = "{\"tool\":\"claude-code\",\"host\":\"laptop\",\"session_id\":\"" + session +
                     "\",\"turn_id\":\"" + turn +
                     "\",\"seq\":1,\"role\":\"user\",\"timestamp\":\"2025-03-01T10:00:00Z\"";
  if (!extra.empty()) json += "," + extra;
  return json + "}";
}

// Every row of a table in primary-key order, for before/after comparisons.
inline std::vector<Row> dump(Db& db, const std::string& table) {
  Result r = db.query("SELECT * FROM " + table + " ORDER BY 1,2,3,4,5");
  if (!r.ok()) throw std::runtime_error("dump failed: " + r.error);
  return r.rows;
}

}  // namespace lethe_test
