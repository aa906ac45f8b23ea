// Text helpers shared by the unit tests and the fuzz targets' reference:
// readable failure messages, and the nesting depth of a JSON text.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace lethe_test {

// Makes control characters, NUL, BOM and other non-ASCII bytes (and the
// backslash, so the result is unambiguous) visible in failure messages, and
// keeps huge values short.
inline std::string escaped(std::string_view text, std::size_t limit = 300) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == limit) {
      out += "...(" + std::to_string(text.size()) + " bytes)";
      break;
    }
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u >= 0x7f || u == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Deepest nesting of a valid JSON text, the outermost value counting as 1.
inline int json_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace lethe_test
