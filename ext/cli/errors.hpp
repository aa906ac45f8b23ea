// How the `lethe` command fails: a sentence for stderr and an exit status.
#pragma once

#include <stdexcept>
#include <string>

namespace lethe::cli {

// Exit statuses, the same for every verb (said in `lethe --help`).
inline constexpr int kExitOk = 0;
// The run did its work and committed it, but not all of it: a file `sync`
// could not read, a line `merge` could not store. Each is named on stderr.
inline constexpr int kExitIncomplete = 1;
// Nothing was done: bad arguments, a database that could not be opened or
// written, an unexpected error. The message says why.
inline constexpr int kExitFailed = 2;

class Failure : public std::runtime_error {
 public:
  explicit Failure(const std::string& message, int status = kExitFailed)
      : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

// Bad arguments: the message names the verb's --help.
class UsageError : public Failure {
 public:
  UsageError(const std::string& verb, const std::string& message)
      : Failure(message + " (see: lethe " + verb + " --help)") {}
};

}  // namespace lethe::cli
