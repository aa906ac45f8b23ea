// Invariant checks for the fuzz targets: a broken invariant prints what was
// expected, the line being checked, and aborts, so libFuzzer saves the input
// as a crash like any sanitizer report.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "support/test_text.hpp"

namespace fuzz {

inline std::string_view input;    // the whole fuzz input
inline std::string_view context;  // the line being checked, if any

// Bytes as a C-like literal, control and non-ASCII bytes as \xNN.
inline std::string esc(std::string_view s, std::size_t limit = 400) {
  return lethe_test::escaped(s, limit);
}

inline std::string dbl(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

// RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF.
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

[[noreturn]] inline void fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "\n*** INVARIANT BROKEN at %s:%d: %s\n", file, line, what.c_str());
  if (!context.empty()) std::fprintf(stderr, "*** line: \"%s\"\n", esc(context).c_str());
  std::fprintf(stderr, "*** input (%zu bytes): \"%s\"\n", input.size(), esc(input).c_str());
  std::abort();
}

}  // namespace fuzz

#define FUZZ_CHECK(condition, what)                                \
  do {                                                             \
    if (!(condition)) {                                            \
      std::ostringstream fuzz_check_message_;                      \
      fuzz_check_message_ << what;                                 \
      ::fuzz::fail(__FILE__, __LINE__, fuzz_check_message_.str()); \
    }                                                              \
  } while (0)
