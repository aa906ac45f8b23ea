// The two ways a problem leaves the SQLite-free layers (ARCHITECTURE.md,
// "Errors"): a line's problem is a value (a LineError, which becomes a result
// row, and costs the hot path nothing when there is none); a problem with the
// call's input as a whole is an InputError, thrown, and turned into the
// statement's error (SQLITE_ERROR) at the one boundary where SQLite called
// lethe.
#pragma once

#include <stdexcept>
#include <string>

namespace lethe {

// The call's input can't be read at all: bad options, a format not
// recognized. what() is the sentence after "<function>: ".
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace lethe
