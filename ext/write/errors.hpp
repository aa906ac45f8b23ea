// The error types of the SQLite side: a batch error carried from deep in a
// call up to the callback boundary, where it becomes the statement's code and
// message (docs/reference/contract.md section 6), and the outcome of a failed call.
#pragma once

#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include "write/sqlite_api.hpp"

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

// The name of an SQLite result code's primary code, for messages.
inline const char* code_label(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return "SQLITE_FULL";
    case SQLITE_IOERR:
      return "SQLITE_IOERR";
    case SQLITE_NOMEM:
      return "SQLITE_NOMEM";
    case SQLITE_BUSY:
      return "SQLITE_BUSY";
    case SQLITE_LOCKED:
      return "SQLITE_LOCKED";
    case SQLITE_READONLY:
      return "SQLITE_READONLY";
    case SQLITE_INTERRUPT:
      return "SQLITE_INTERRUPT";
    case SQLITE_CORRUPT:
      return "SQLITE_CORRUPT";
    case SQLITE_CONSTRAINT:
      return "SQLITE_CONSTRAINT";
    case SQLITE_ABORT:
      return "SQLITE_ABORT";
    default:
      return "SQLITE_ERROR";
  }
}

}  // namespace lethe
