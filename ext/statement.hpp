// RAII over sqlite3_stmt and the exception that carries a batch error from
// deep in a call up to the callback boundary, where it becomes an SQLite
// error code and message (contract section 6).
#pragma once

#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "sqlite_api.hpp"

namespace lethe {

// A batch error: the whole call fails with `code`; `what()` is the message
// after the "lethe_ingest: " prefix.
class BatchError : public std::runtime_error {
 public:
  BatchError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// How a failed call ends: the code the statement returns and the whole
// message. Built without the heap (a fixed buffer; a longer message is cut),
// so the outcome a call decided after undoing itself reaches SQLite even
// when memory has run out. Only CallScope::fail throws it.
class CallError : public std::exception {
 public:
  explicit CallError(int code) noexcept : code_(code) {}
  int code() const noexcept { return code_; }
  const char* what() const noexcept override { return message_; }
  // Appends text, cutting what does not fit.
  CallError& operator<<(std::string_view text) noexcept {
    const std::size_t room = sizeof message_ - 1 - length_;
    const std::size_t n = text.size() < room ? text.size() : room;
    for (std::size_t i = 0; i < n; ++i) message_[length_ + i] = text[i];
    length_ += n;
    message_[length_] = '\0';
    return *this;
  }

 private:
  int code_;
  std::size_t length_ = 0;
  char message_[1024] = {};
};

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

}  // namespace lethe
