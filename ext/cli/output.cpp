#include "cli/output.hpp"

#include <array>
#include <ctime>

#include "common/text.hpp"

namespace lethe::cli {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  std::array<char, 32> buffer{};
  const std::size_t length =
      std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return std::string(buffer.data(), length);
}

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto c = static_cast<unsigned char>(text.front());
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0 || is_control_character(c)) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      text.remove_prefix(1);
      continue;
    }
    if (c == '\\') out += '\\';
    out.append(text.substr(0, length));
    text.remove_prefix(length);
  }
  return out;
}

std::string valid_utf8(std::string_view text, bool in_json) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t length = utf8_sequence_length(text);
    const auto c = static_cast<unsigned char>(text.front());
    if (length == 0 || (c == 0 && !in_json)) {
      if (in_json) {
        out += "\xEF\xBF\xBD";
      } else {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      }
      text.remove_prefix(1);
      continue;
    }
    out.append(text.substr(0, length));
    text.remove_prefix(length);
  }
  return out;
}

std::string log_value(std::string_view text) {
  std::string safe = printable(text);
  if (!safe.empty() && safe.find_first_of(" \"=") == std::string::npos) return safe;
  std::string quoted = "\"";
  for (const char c : safe) {
    if (c == '"') quoted += '\\';
    quoted += c;
  }
  return quoted + '"';
}

std::optional<std::string> json_string(std::string_view text) {
  if (!is_valid_utf8(text)) return std::nullopt;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out + '"';
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  while (!text.empty()) {
    const std::size_t length = utf8_sequence_length(text);
    text.remove_prefix(length == 0 ? 1 : length);
    ++width;
  }
  return width;
}

}  // namespace lethe::cli
