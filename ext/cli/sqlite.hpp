// RAII over the handles of the system's SQLite library (libsqlite3), which the
// command links: one connection, its statements, its transactions. Every
// error becomes a Failure whose message is SQLite's.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lethe::cli {

class Database {
 public:
  // Opens `path` with sqlite3_open_v2 `flags`; throws Failure naming the path.
  Database(const std::string& path, int flags);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) = delete;

  sqlite3* get() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }
  // Runs SQL text that returns no rows (one statement or many).
  void exec(std::string_view sql) const;
  // SQLite's message for the last error, with the result code's name.
  std::string error() const;
  bool has_table(std::string_view name) const;
  bool has_view(std::string_view name) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Statement {
 public:
  Statement(const Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&&) = delete;
  Statement& operator=(Statement&&) = delete;

  // ?index, from 1.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  // True for a row, false when done; throws on an error.
  bool step();

  bool is_null(int column) const;
  // The value's bytes, TEXT or BLOB alike ("" for NULL).
  std::string bytes(int column) const;
  std::optional<std::string> text(int column) const;  // nullopt for NULL
  std::optional<std::int64_t> integer(int column) const;
  std::optional<double> real(int column) const;

 private:
  const Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// One transaction; rolled back unless commit() is reached. `begin` is
// "BEGIN IMMEDIATE" for a writer: it takes the write lock first, waiting
// (busy timeout) while another connection holds it.
class Transaction {
 public:
  explicit Transaction(const Database& db, const char* begin = "BEGIN IMMEDIATE");
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction(Transaction&&) = delete;
  Transaction& operator=(Transaction&&) = delete;

  void commit();

 private:
  const Database& db_;
  bool open_ = true;
};

// A query's single value as text; nullopt when it returns no row or NULL.
std::optional<std::string> query_text(const Database& db, std::string_view sql);

}  // namespace lethe::cli
