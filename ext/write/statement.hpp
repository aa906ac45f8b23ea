// RAII over sqlite3_stmt, and the small helpers that run one statement.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "write/errors.hpp"
#include "write/sqlite_api.hpp"

namespace lethe {

// Owns one prepared statement. Prepared once and reused for the life of a
// connection (SQLITE_PREPARE_PERSISTENT), so a call pays no parsing.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, std::string_view sql) {
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt_);
      stmt_ = nullptr;
      throw BatchError(rc, sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept {
    if (this != &other) {
      sqlite3_finalize(stmt_);
      stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
  }

  explicit operator bool() const noexcept { return stmt_ != nullptr; }
  sqlite3_stmt* get() const noexcept { return stmt_; }
  int step() noexcept { return sqlite3_step(stmt_); }
  // Makes the statement ready to step again. Bindings stay: the write path
  // binds every parameter of every row, so clearing them would be wasted
  // work on the hottest path. The statement's error was already read.
  void reset() noexcept { sqlite3_reset(stmt_); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Runs a statement that returns no rows; returns the SQLite result code.
inline int exec(sqlite3* db, const char* sql) noexcept {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
}

// Runs a query with `texts` bound to ?1, ?2, ... and returns the first column
// of every row as text. Throws BatchError when the database cannot answer.
std::vector<std::string> column_of(sqlite3* db, const std::string& sql,
                                   const std::vector<std::string>& texts = {});

}  // namespace lethe
