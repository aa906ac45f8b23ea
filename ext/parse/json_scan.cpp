#include "parse/json_scan.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common/text.hpp"

namespace lethe::json {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Recursive descent over one line. Recursion is bounded by kMaxDepth, so a
// hostile 100 000-deep line costs 64 frames and a clean error.
class Scanner {
 public:
  Scanner(std::string_view text, ScanError& error) : text_(text), error_(error) {}

  bool scan_top_object(const MemberVisitor& visit) {
    skip_whitespace();
    if (at_end() || peek() != '{') {
      return fail(at_end() ? "the line is not a JSON object (it is empty)"
                           : "the line is not a JSON object");
    }
    if (!scan_object_body(1, &visit)) return false;
    skip_whitespace();
    if (!at_end()) return fail("unexpected text after the JSON object");
    return true;
  }

  bool scan_member_value() {
    skip_whitespace();
    Value value;
    if (!scan_value(1, value)) return false;
    skip_whitespace();
    return at_end();
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  bool fail(const char* message) {
    error_.offset = pos_;
    error_.message = message;
    return false;
  }

  void skip_whitespace() {
    while (!at_end()) {
      char c = peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  // At '{'. `visit` is non-null only for the object whose members the caller
  // wants; nested objects are validated and skipped.
  bool scan_object_body(int depth, const MemberVisitor* visit) {
    if (depth > kMaxDepth) return fail("JSON nesting is deeper than 64 levels");
    ++pos_;  // '{'
    skip_whitespace();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skip_whitespace();
      if (at_end() || peek() != '"') return fail("expected a string key");
      Value key;
      if (!scan_string(key)) return false;
      skip_whitespace();
      if (at_end() || peek() != ':') return fail("expected ':' after a key");
      ++pos_;
      skip_whitespace();
      Value value;
      if (!scan_value(depth, value)) return false;
      if (visit != nullptr) {
        if (key.has_escape) {
          (*visit)(decode_string(key.raw), value);
        } else {
          (*visit)(key.raw.substr(1, key.raw.size() - 2), value);
        }
      }
      skip_whitespace();
      if (at_end()) return fail("unterminated object");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}' in an object");
    }
  }

  bool scan_array_body(int depth) {
    if (depth > kMaxDepth) return fail("JSON nesting is deeper than 64 levels");
    ++pos_;  // '['
    skip_whitespace();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      skip_whitespace();
      Value element;
      if (!scan_value(depth, element)) return false;
      skip_whitespace();
      if (at_end()) return fail("unterminated array");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']' in an array");
    }
  }

  // `depth` is the level of the container holding this value.
  bool scan_value(int depth, Value& value) {
    if (at_end()) return fail("expected a value");
    const std::size_t start = pos_;
    bool ok = false;
    switch (peek()) {
      case '{':
        value.type = Type::Object;
        ok = scan_object_body(depth + 1, nullptr);
        break;
      case '[':
        value.type = Type::Array;
        ok = scan_array_body(depth + 1);
        break;
      case '"':
        return scan_string(value);
      case 't':
        value.type = Type::True;
        ok = scan_literal("true");
        break;
      case 'f':
        value.type = Type::False;
        ok = scan_literal("false");
        break;
      case 'n':
        value.type = Type::Null;
        ok = scan_literal("null");
        break;
      default:
        value.type = Type::Number;
        ok = scan_number();
        break;
    }
    if (ok) value.raw = text_.substr(start, pos_ - start);
    return ok;
  }

  bool scan_literal(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) {
      return fail("invalid literal (expected true, false or null)");
    }
    pos_ += literal.size();
    return true;
  }

  bool scan_digits() {
    if (at_end() || !is_digit(peek())) return false;
    while (!at_end() && is_digit(peek())) ++pos_;
    return true;
  }

  bool scan_number() {
    if (peek() == '-') ++pos_;
    if (at_end() || !is_digit(peek())) return fail("invalid number");
    if (peek() == '0') {
      ++pos_;  // no leading zeros: "01" is not JSON
    } else {
      scan_digits();
    }
    if (!at_end() && peek() == '.') {
      ++pos_;
      if (!scan_digits()) return fail("invalid number: digits expected after '.'");
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (!scan_digits()) return fail("invalid number: digits expected in exponent");
    }
    return true;
  }

  bool scan_hex4(std::uint32_t& code) {
    if (text_.size() - pos_ < 4) return fail("invalid \\u escape");
    code = 0;
    for (int i = 0; i < 4; ++i) {
      int digit = hex_value(text_[pos_ + i]);
      if (digit < 0) return fail("invalid \\u escape");
      code = code * 16 + static_cast<std::uint32_t>(digit);
    }
    pos_ += 4;
    return true;
  }

  // After a backslash. A high surrogate must be followed by an escaped low
  // one: "\ud800" alone is not a character and could not be stored as UTF-8.
  bool scan_escape() {
    if (at_end()) return fail("unterminated string");
    const char c = peek();
    ++pos_;
    switch (c) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        return true;
      case 'u':
        break;
      default:
        --pos_;
        return fail("invalid escape in a string");
    }
    std::uint32_t code = 0;
    if (!scan_hex4(code)) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) {
      return fail("lone low surrogate escape in a string");
    }
    if (code >= 0xD800 && code <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") {
        return fail("high surrogate escape without its low half");
      }
      pos_ += 2;
      std::uint32_t low = 0;
      if (!scan_hex4(low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) {
        return fail("high surrogate escape without its low half");
      }
    }
    return true;
  }

  // One UTF-8 encoded character starting at a byte >= 0x80.
  bool scan_utf8_sequence() {
    const std::size_t length = utf8_sequence_length(text_.substr(pos_));
    if (length == 0) return fail("invalid UTF-8");
    pos_ += length;
    return true;
  }

  // Steps over the plain bytes (common/text.hpp): most of a line's bytes
  // are in its content string.
  void skip_plain_string_bytes() {
    pos_ += plain_json_run(text_.substr(pos_), /*stop_at_non_ascii=*/true);
  }

  bool scan_string(Value& value) {
    const std::size_t start = pos_;
    value.type = Type::String;
    value.has_escape = false;
    ++pos_;  // opening quote
    while (true) {
      skip_plain_string_bytes();
      if (at_end()) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        value.raw = text_.substr(start, pos_ - start);
        return true;
      }
      if (c == '\\') {
        value.has_escape = true;
        ++pos_;
        if (!scan_escape()) return false;
      } else if (c < 0x20) {
        return fail("unescaped control character in a string");
      } else if (!scan_utf8_sequence()) {
        return false;
      }
    }
  }

  std::string_view text_;
  ScanError& error_;
  std::size_t pos_ = 0;
};

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

std::uint32_t read_hex4(std::string_view text, std::size_t at) {
  std::uint32_t code = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    code = code * 16 + static_cast<std::uint32_t>(hex_value(text[at + i]));
  }
  return code;
}

char simple_escape(char c) {
  switch (c) {
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return c;  // '"', '\\', '/'
  }
}

}  // namespace

bool scan_object(std::string_view text, const MemberVisitor& visit, ScanError& error) {
  return Scanner(text, error).scan_top_object(visit);
}

bool is_member_value(std::string_view text) {
  ScanError error;
  return Scanner(text, error).scan_member_value();
}

std::string decode_string(std::string_view raw) {
  const std::string_view body = raw.substr(1, raw.size() - 2);
  std::string out;
  out.reserve(body.size());
  std::size_t i = 0;
  while (true) {
    // Copy the run up to the next escape in one go: agent transcripts are
    // long texts with an escaped newline or quote every line or so.
    const std::size_t escape = body.find('\\', i);
    out.append(body.substr(i, escape == std::string_view::npos ? escape : escape - i));
    if (escape == std::string_view::npos) return out;
    i = escape + 1;
    const char kind = body[i++];
    if (kind != 'u') {
      out.push_back(simple_escape(kind));
      continue;
    }
    std::uint32_t code = read_hex4(body, i);
    i += 4;
    if (code >= 0xD800 && code <= 0xDBFF) {  // validated: "\\u" and a low half follow
      const std::uint32_t low = read_hex4(body, i + 2);
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
      i += 6;
    }
    append_utf8(out, code);
  }
}

}  // namespace lethe::json
