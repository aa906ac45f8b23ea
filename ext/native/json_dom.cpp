#include "native/json_dom.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <utility>

namespace lethe::native {

namespace {

// Nesting of brackets outside strings: the DOM parser recurses per level,
// so text deeper than the wire limit is refused before it gets there.
bool within_depth(std::string_view text) {
  int depth = 0;
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
      if (++depth > json::kMaxDepth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// Builds the DOM of text that lethe's scanner has validated (grammar, UTF-8,
// escapes, depth), so it checks nothing itself: the same values as
// nlohmann's parser (an object keeps the first position and the last value
// of a repeated key; integers as unsigned / signed, else double; strings
// decoded), several times faster, because runs of a string without escapes
// are copied whole instead of a character at a time.
class DomBuilder {
 public:
  static constexpr std::size_t kMembersReserved = 8;

  explicit DomBuilder(std::string_view text) : at_(text.data()), end_(text.data() + text.size()) {}

  void value(Json& out) {
    skip_whitespace();
    switch (*at_) {
      case '{':
        object(out);
        break;
      case '[':
        array(out);
        break;
      case '"':
        out = string();
        break;
      case 't':
        at_ += 4;
        out = true;
        break;
      case 'f':
        at_ += 5;
        out = false;
        break;
      case 'n':
        at_ += 4;
        out = nullptr;
        break;
      default:
        number(out);
    }
  }

 private:
  void skip_whitespace() {
    while (at_ < end_ && (*at_ == ' ' || *at_ == '\t' || *at_ == '\n' || *at_ == '\r')) ++at_;
  }

  void object(Json& out) {
    out = Json::object();
    ++at_;  // '{'
    skip_whitespace();
    if (*at_ == '}') {
      ++at_;
      return;
    }
    // Members go straight into the object's vector, room for a few made at
    // once (growing 1, 2, 4, 8 cost a quarter of a Codex conversion);
    // a repeated key's value replaces the earlier one, in its place.
    auto& members = out.get_ref<Json::object_t&>();
    members.reserve(kMembersReserved);
    while (true) {
      skip_whitespace();
      std::string key = string();
      skip_whitespace();
      ++at_;  // ':'
      auto same = std::find_if(members.begin(), members.end(),
                               [&](const auto& member) { return member.first == key; });
      if (same == members.end()) {
        members.emplace_back(std::move(key), nullptr);
        same = std::prev(members.end());
      }
      value(same->second);  // a child is a separate allocation: `same` stays valid
      skip_whitespace();
      if (*at_++ == '}') return;  // else ','
    }
  }

  void array(Json& out) {
    out = Json::array();
    ++at_;  // '['
    skip_whitespace();
    if (*at_ == ']') {
      ++at_;
      return;
    }
    while (true) {
      out.push_back(nullptr);
      value(out.back());
      skip_whitespace();
      if (*at_++ == ']') return;  // else ','
    }
  }

  std::string string() {
    const char* const start = at_++;  // the opening quote
    bool escaped = false;
    while (true) {
      const auto* quote = static_cast<const char*>(std::memchr(at_, '"', end_ - at_));
      const auto* backslash = static_cast<const char*>(std::memchr(at_, '\\', quote - at_));
      if (backslash == nullptr) {
        at_ = quote + 1;
        break;
      }
      escaped = true;
      at_ = backslash + 2;  // the escaped character is never the closing quote
    }
    const std::string_view raw(start, static_cast<std::size_t>(at_ - start));
    if (escaped) return json::decode_string(raw);
    return std::string(raw.substr(1, raw.size() - 2));
  }

  void number(Json& out) {
    const char* const start = at_;
    bool integer = true;
    while (at_ < end_) {
      const char c = *at_;
      if (c == '.' || c == 'e' || c == 'E') {
        integer = false;
      } else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9'))) {
        break;
      }
      ++at_;
    }
    if (integer) {
      if (*start == '-') {
        std::int64_t n = 0;
        if (std::from_chars(start, at_, n).ec == std::errc()) {
          out = n;
          return;
        }
      } else {
        std::uint64_t n = 0;
        if (std::from_chars(start, at_, n).ec == std::errc()) {
          out = n;
          return;
        }
      }
    }
    out = to_double(start, at_);  // as nlohmann does for a fraction, an exponent or an overflow
  }

  // strtod's value (correctly rounded; +-HUGE_VAL or a denormal/zero out of
  // range) without depending on the locale's decimal point.
  static double to_double(const char* first, const char* last) {
    double d = 0;
    const auto result = std::from_chars(first, last, d);
    if (result.ec == std::errc()) return d;
    std::string token(first, last);
    const char point = *std::localeconv()->decimal_point;
    std::replace(token.begin(), token.end(), '.', point);
    return std::strtod(token.c_str(), nullptr);
  }

  const char* at_;
  const char* end_;
};

}  // namespace

bool parse_object(std::string_view text, Json& value, std::string& problem) {
  // lethe's own scanner validates, and says why in the words of the wire
  // errors; the DOM is built from what it accepted.
  json::ScanError error;
  if (!json::scan_object(
          text, [](std::string_view, const json::Value&) {}, error)) {
    problem = error.message;
    return false;
  }
  parse_scanned(text, value);
  return true;
}

void parse_scanned(std::string_view text, Json& value) { DomBuilder(text).value(value); }

void free_parsed(Json& value) noexcept {
  if (auto* members = value.get_ptr<Json::object_t*>()) {
    for (auto& member : *members) free_parsed(member.second);
    members->clear();
  } else if (auto* elements = value.get_ptr<Json::array_t*>()) {
    for (Json& element : *elements) free_parsed(element);
    elements->clear();
  }
}

std::optional<Json> parse_any(std::string_view text) {
  if (!within_depth(text)) return std::nullopt;
  Json value = Json::parse(text.begin(), text.end(), nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

std::optional<std::string> string_value(const json::Value* value) {
  if (value == nullptr || value->type != json::Type::String) return std::nullopt;
  if (value->has_escape) return json::decode_string(value->raw);
  return std::string(value->raw.substr(1, value->raw.size() - 2));
}

namespace {

// Walks text that lethe's scanner has validated, without checking it again.
class ValidatedWalker {
 public:
  explicit ValidatedWalker(std::string_view text) : text_(text) {}

  // The raw text of member `key` of the object at the start of the text,
  // or nullopt. A repeated key gives its last value, as the scanner and the
  // DOM do.
  std::optional<std::string_view> member(std::string_view key) {
    skip_whitespace();
    if (!take('{')) return std::nullopt;
    std::optional<std::string_view> found;
    while (true) {
      skip_whitespace();
      if (at_ >= text_.size() || text_[at_] != '"') return found;  // '}'
      const std::size_t key_start = at_;
      skip_string();
      const std::string_view raw_key = text_.substr(key_start, at_ - key_start);
      skip_whitespace();
      if (!take(':')) return std::nullopt;
      skip_whitespace();
      const std::size_t value_start = at_;
      skip_value();
      if (key_matches(raw_key, key)) found = text_.substr(value_start, at_ - value_start);
      skip_whitespace();
      if (!take(',')) return found;
    }
  }

 private:
  static bool key_matches(std::string_view raw_key, std::string_view key) {
    const std::string_view inner = raw_key.substr(1, raw_key.size() - 2);
    if (inner.find('\\') == std::string_view::npos) return inner == key;
    return json::decode_string(raw_key) == key;  // "\u0069d" is "id"
  }

  bool take(char c) {
    if (at_ >= text_.size() || text_[at_] != c) return false;
    ++at_;
    return true;
  }

  void skip_whitespace() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }

  // From an opening quote to just past its closing quote: the next quote
  // not escaped by an odd run of backslashes, found with memchr.
  void skip_string() {
    std::size_t from = at_ + 1;
    while (from < text_.size()) {
      const void* hit = std::memchr(text_.data() + from, '"', text_.size() - from);
      if (hit == nullptr) break;
      const auto quote = static_cast<std::size_t>(static_cast<const char*>(hit) - text_.data());
      std::size_t backslashes = 0;
      while (quote - backslashes > at_ + 1 && text_[quote - backslashes - 1] == '\\') {
        ++backslashes;
      }
      if (backslashes % 2 == 0) {
        at_ = quote + 1;
        return;
      }
      from = quote + 1;
    }
    at_ = text_.size();
  }

  void skip_value() {
    if (at_ >= text_.size()) return;
    const char first = text_[at_];
    if (first == '"') {
      skip_string();
    } else if (first == '{' || first == '[') {
      int depth = 0;
      while (at_ < text_.size()) {
        const char c = text_[at_];
        if (c == '"') {
          skip_string();
          continue;
        }
        ++at_;
        if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          return;
        }
      }
    } else {  // a number, true, false or null
      while (at_ < text_.size() && text_[at_] != ',' && text_[at_] != '}' && text_[at_] != ']' &&
             text_[at_] != ' ' && text_[at_] != '\t' && text_[at_] != '\n' && text_[at_] != '\r') {
        ++at_;
      }
    }
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace

std::optional<std::string> string_member_of_scanned(std::string_view object, std::string_view key) {
  const auto raw = ValidatedWalker(object).member(key);
  if (!raw || raw->size() < 2 || raw->front() != '"') return std::nullopt;
  const json::Value value{json::Type::String, *raw, raw->find('\\') != std::string_view::npos};
  return string_value(&value);
}

// A walk over the object's members, compared as string_views: an
// ordered_json's find() builds a std::string of the key for every lookup.
const Json* member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const std::string_view wanted(key);
  for (const auto& [name, value] : object.get_ref<const Json::object_t&>()) {
    if (name == wanted) return &value;
  }
  return nullptr;
}

Json* member(Json& object, const char* key) {
  return const_cast<Json*>(member(std::as_const(object), key));
}

const std::string* string_member(const Json& object, const char* key) {
  const Json* v = member(object, key);
  return v != nullptr && v->is_string() ? &v->get_ref<const std::string&>() : nullptr;
}

std::string* string_member(Json& object, const char* key) {
  return const_cast<std::string*>(string_member(std::as_const(object), key));
}

std::optional<std::int64_t> integer_member(const Json& object, const char* key) {
  const Json* v = member(object, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned()) {
    const auto n = v->get<std::uint64_t>();
    if (n <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(n);
    return std::nullopt;
  }
  if (v->is_number_integer()) return v->get<std::int64_t>();
  return std::nullopt;
}

bool true_member(const Json& object, const char* key) {
  const Json* v = member(object, key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}
}  // namespace lethe::native
