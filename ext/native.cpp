#include "native.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <utility>

#include "json_scan.hpp"
#include "native_common.hpp"

namespace lethe::native {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

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

// The machine's name, the default host of produced lines.
std::string machine_host() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  std::string host(name.data());
  for (char& c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = '_';
  }
  return host;
}

}  // namespace

std::int64_t unix_millis(const NormalizedTime& t) {
  auto digits = [&](int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  const int year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  // Days from civil (H. Hinnant's algorithm).
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = std::int64_t{era} * 146097 + doe - 719468;
  const std::int64_t seconds = days * 86400 + std::int64_t{digits(11, 2)} * 3600 +
                               std::int64_t{digits(14, 2)} * 60 + digits(17, 2);
  return seconds * 1000 + digits(20, 3);
}

namespace {

// Cuts `text` to at most `limit` bytes, never inside a UTF-8 character.
void cut_at_character(std::string& text, std::size_t limit) {
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
}

// Cuts every string inside `value` to `limit`; true when one was cut.
bool bound_strings(Json& value, std::size_t limit) {
  bool cut = false;
  if (value.is_string()) {
    auto& text = value.get_ref<std::string&>();
    if (text.size() > limit) {
      cut_at_character(text, limit);
      cut = true;
    }
  } else if (value.is_structured()) {
    for (auto& child : value) cut |= bound_strings(child, limit);
  }
  return cut;
}

// True when one of the eight bytes of `word` is a control character, a
// quote or a backslash (the bit tricks that find a zero byte, or a byte
// below n <= 128, in a word: exact about whether there is one).
bool word_needs_escape(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const auto has_zero_byte = [](std::uint64_t x) { return ((x - kOnes) & ~x & kHighs) != 0; };
  const bool has_control = ((word - kOnes * 0x20) & ~word & kHighs) != 0;
  return has_control || has_zero_byte(word ^ (kOnes * '"')) || has_zero_byte(word ^ (kOnes * '\\'));
}

// Appends `text` as a JSON string. Runs without a quote, backslash or
// control character are copied whole, found eight bytes at a time (tool
// inputs and outputs are long). The text is valid UTF-8 already (the DOM
// parser checked it; cuts fall on character boundaries).
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    while (i + 8 <= text.size()) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data() + i, sizeof word);
      if (word_needs_escape(word)) break;
      i += 8;
    }
    if (i == text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool has(const Json& object, const char* key) { return object.contains(key); }

}  // namespace

// Appends `value` as JSON text, the same bytes as dump(value) for the DOMs
// the readers build (their strings are valid UTF-8): nlohmann's serializer
// escapes a string a byte at a time, and a turn's tool calls and metadata
// hold the long strings of tool inputs, so this writes strings a run at a
// time (append_json_string) and leaves only floats to nlohmann's formatting.
void append_json(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.get_ref<const Json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ':';
        append_json(out, member);
      }
      out += '}';
      break;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const Json& element : value.get_ref<const Json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        append_json(out, element);
      }
      out += ']';
      break;
    }
    case Json::value_t::string:
      append_json_string(out, value.get_ref<const std::string&>());
      break;
    case Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      break;
    case Json::value_t::null:
      out += "null";
      break;
    case Json::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      break;
    case Json::value_t::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      break;
    default:  // floats (shortest round-trip form), and kinds the readers never build
      out += dump(value);
  }
}

// ---------------------------------------------------------------------------
// Reading

namespace {

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

std::optional<Json> parse_any(std::string_view text) {
  if (!within_depth(text)) return std::nullopt;
  Json value = Json::parse(text.begin(), text.end(), nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

bool RecordReader::next(Json& record, Position& at) {
  Line line;
  std::string problem;
  while (next_line(line)) {
    at = {line.number, line.byte_offset};
    if (parse_object(line.text, record, problem)) return true;
    invalid_line(out_, at, problem);
  }
  return false;
}

bool RecordReader::next_line(Line& line) {
  while (splitter_.next(line)) {
    if (!is_blank(line.text)) return true;
  }
  return false;
}

void invalid_line(Output& out, Position at, const std::string& problem) {
  out.problem(at, ErrorCode::InvalidJson, "",
              "line is not valid JSON: " + problem + " (the rest of the file is still read)");
}

void invalid_indexed_line(Output& out, std::string_view text, Position at) {
  json::ScanError error;
  json::scan_object(
      text, [](std::string_view, const json::Value&) {}, error);
  invalid_line(out, at, error.message);
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

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::optional<NormalizedTime> optional_time(const Json& object, const char* key) {
  const std::string* text = string_member(object, key);
  return text == nullptr ? std::nullopt : normalize_rfc3339(*text);
}

std::optional<NormalizedTime> required_time(const Json& object, const char* key,
                                            const std::string& path, Position at, Output& out) {
  const Json* v = member(object, key);
  if (v == nullptr || v->is_null()) {
    out.problem(at, ErrorCode::MissingField, path, path + " is required for this record");
    return std::nullopt;
  }
  const auto time =
      v->is_string() ? normalize_rfc3339(v->get_ref<const std::string&>()) : std::nullopt;
  if (!time) {
    std::string quoted = dump(*v);
    if (quoted.size() > kMaxQuotedBytes) cut_at_character(quoted, kMaxQuotedBytes);
    out.problem(at, ErrorCode::InvalidField, path,
                path + " must be an RFC 3339 date-time, got " + quoted);
  }
  return time;
}

std::string image_placeholder(std::string_view media_type, std::string_view base64) {
  std::size_t padding = 0;
  while (padding < 2 && padding < base64.size() && base64[base64.size() - 1 - padding] == '=') {
    ++padding;
  }
  const std::size_t bytes =
      base64.size() / 4 * 3 + (base64.size() % 4 == 0 ? 0 : base64.size() % 4 - 1);
  return "[image " + std::string(media_type.empty() ? "unknown" : media_type) + " " +
         std::to_string(bytes >= padding ? bytes - padding : 0) + " bytes]";
}

std::optional<std::string> join_texts(std::vector<std::string> texts) {
  if (texts.empty()) return std::nullopt;
  std::string joined = std::move(texts.front());
  for (std::size_t i = 1; i < texts.size(); ++i) joined.append("\n\n").append(texts[i]);
  return joined;
}

// ---------------------------------------------------------------------------
// Output

Output::Output(const IngestOptions& options, Format format)
    : options_(options), format_(format), host_(options.host ? *options.host : machine_host()) {}

std::size_t Output::session(const std::string& id) {
  const auto found = session_index_.find(id);
  if (found != session_index_.end()) return found->second;
  sessions_.push_back(Session{id, std::nullopt, std::nullopt, Json::object()});
  session_index_.emplace(id, sessions_.size() - 1);
  return sessions_.size() - 1;
}

namespace {

Turn make_turn(Position at, std::size_t session, std::string turn_id, const char* role,
               NormalizedTime timestamp) {
  Turn turn;
  turn.at = at;
  turn.session = session;
  turn.turn_id = std::move(turn_id);
  turn.role = role;
  turn.timestamp = timestamp;
  return turn;
}

}  // namespace

Turn& Output::add_turn(Position at, std::size_t session, std::string turn_id, const char* role,
                       NormalizedTime timestamp, bool open) {
  Pending& slot = pending_.emplace_back();
  slot.at = at;
  slot.open = open;
  return slot.turns.emplace_back(make_turn(at, session, std::move(turn_id), role, timestamp));
}

void Output::open_slot(Position at) {
  Pending& slot = pending_.emplace_back();
  slot.at = at;
  slot.open = true;
}

Turn& Output::add_turn_to(std::size_t slot, Position at, std::size_t session, std::string turn_id,
                          const char* role, NormalizedTime timestamp) {
  return pending_[slot - base_].turns.emplace_back(
      make_turn(at, session, std::move(turn_id), role, timestamp));
}

void Output::problem(Position at, ErrorCode code, std::string field, std::string message) {
  Pending& slot = pending_.emplace_back();
  slot.at = at;
  slot.problem = LineError{code, std::move(field), std::move(message)};
}

void Output::set_content(Turn& turn, std::string text) const {
  if (text.size() > options_.max_field_bytes) {
    turn.metadata["truncated"] = Json{{"field", "content"}, {"bytes", text.size()}};
    cut_at_character(text, options_.max_field_bytes);
  }
  turn.content = std::move(text);
}

bool Output::pop(Produced& item) {
  while (!pending_.empty()) {
    Pending& front = pending_.front();
    if (front.taken || (!front.problem && !front.open && front.next_turn == front.turns.size())) {
      pending_.pop_front();
      ++base_;
      continue;
    }
    if (front.problem) {
      item = {std::string(), front.at.line, front.at.byte_offset, std::move(front.problem)};
      front.taken = true;
      return true;
    }
    if (front.open) return false;
    // A problem of the same line goes first (native order: the line, then
    // problem before produced line). Lines only grow along the queue.
    for (std::size_t i = 1; i < pending_.size() && pending_[i].at.line == front.at.line; ++i) {
      Pending& later = pending_[i];
      if (later.problem && !later.taken) {
        item = {std::string(), later.at.line, later.at.byte_offset, std::move(later.problem)};
        later.problem.reset();
        later.taken = true;
        return true;
      }
    }
    emit_turn(front, item);
    return true;
  }
  return false;
}

void Output::emit_turn(Pending& slot, Produced& item) {
  Turn& turn = slot.turns[slot.next_turn++];
  // seq = Unix ms x 1000 + rank among the session's turns of that ms, in
  // native order (the order turns are handed out).
  const std::int64_t ms = unix_millis(turn.timestamp);
  const int k = std::min(rank_[{turn.session, ms}]++, 999);
  item = {wire_line(turn, ms * 1000 + k), turn.at.line, turn.at.byte_offset, std::nullopt};
  turn = Turn{};  // the line holds it now
  ++turns_;
}

std::string Output::wire_line(Turn& turn, std::int64_t seq) {
  // Written by hand around the DOM parts: the long strings (content) are
  // escaped a run at a time, and a session's session_meta once.
  const Session& session = sessions_[turn.session];
  std::string line;
  line.reserve(256 + (turn.content ? turn.content->size() : 0));
  line += "{\"tool\":";
  append_json_string(line, format_name(format_));
  line += ",\"host\":";
  append_json_string(line, host_);
  line += ",\"session_id\":";
  append_json_string(line, session.id);
  line += ",\"turn_id\":";
  append_json_string(line, turn.turn_id);
  line += ",\"seq\":" + std::to_string(seq) + ",\"role\":";
  append_json_string(line, turn.role);
  line += ",\"timestamp\":";
  append_json_string(line, {turn.timestamp.data(), turn.timestamp.size()});
  if (turn.content) {
    line += ",\"content\":";
    append_json_string(line, *turn.content);
  }
  if (turn.model) {
    line += ",\"model\":";
    append_json_string(line, *turn.model);
  }
  if (turn.tokens_in) line += ",\"tokens_in\":" + std::to_string(*turn.tokens_in);
  if (turn.tokens_out) line += ",\"tokens_out\":" + std::to_string(*turn.tokens_out);
  if (turn.cost_usd) line += ",\"cost_usd\":" + dump(Json(*turn.cost_usd));
  Json truncated_fields = Json::array();
  if (!turn.tool_calls.is_null()) {
    if (bound_strings(turn.tool_calls, options_.max_field_bytes)) {
      truncated_fields.push_back("tool_calls");
    }
    line += ",\"tool_calls\":";
    append_json(line, turn.tool_calls);
  }
  if (bound_strings(turn.metadata, options_.max_field_bytes))
    truncated_fields.push_back("metadata");
  if (!truncated_fields.empty()) turn.metadata["truncated_fields"] = std::move(truncated_fields);
  line += ",\"metadata\":";
  append_json(line, turn.metadata);
  line += ",\"session_meta\":" + session_meta_text(turn.session) + "}";
  return line;
}

const std::string& Output::session_meta_text(std::size_t index) {
  if (session_meta_texts_.size() < sessions_.size()) session_meta_texts_.resize(sessions_.size());
  std::optional<std::string>& text = session_meta_texts_[index];
  if (text) return *text;
  const Session& session = sessions_[index];
  Json meta = Json::object();
  if (session.started_at) {
    meta["started_at"] = std::string(session.started_at->data(), session.started_at->size());
  }
  if (session.working_dir) meta["working_dir"] = *session.working_dir;
  if (options_.source_file) meta["source_file"] = *options_.source_file;
  if (!session.metadata.empty()) meta["metadata"] = session.metadata;
  text = dump(meta);
  return *text;
}

// ---------------------------------------------------------------------------
// Detection and dispatch

std::optional<Format> detect_format(std::string_view data) {
  if (starts_with(data, kUtf8Bom)) data.remove_prefix(kUtf8Bom.size());
  LineSplitter splitter(data);
  Line line;
  while (splitter.next(line) && is_blank(line.text)) {
  }
  if (is_blank(line.text)) return Format::Wire;  // nothing to read
  Json first;
  std::string problem;
  if (!parse_object(line.text, first, problem)) {
    // The legacy Gemini document opens with "{" alone on its line. One read
    // while Gemini rewrites it may be cut short: its first keys still say
    // what it is, and the reader reports it as one INVALID_JSON row.
    Json whole;
    if (parse_object(data, whole, problem)) {
      if (has(whole, "sessionId") && has(whole, "projectHash")) return Format::GeminiCli;
      return std::nullopt;
    }
    const std::string_view head = data.substr(0, 4096);
    if (line.text.find_first_not_of(" \t") != std::string_view::npos &&
        line.text.substr(line.text.find_first_not_of(" \t")) == "{" &&
        head.find("\"sessionId\"") != std::string_view::npos) {
      return Format::GeminiCli;
    }
    return std::nullopt;
  }
  if (has(first, "tool") && has(first, "session_id") && has(first, "turn_id")) {
    return Format::Wire;
  }
  if ((has(first, "type") && has(first, "payload")) ||
      (has(first, "id") && has(first, "timestamp") && has(first, "instructions"))) {
    return Format::Codex;
  }
  if (has(first, "sessionId") && has(first, "projectHash")) return Format::GeminiCli;
  if (has(first, "type") && (has(first, "sessionId") || has(first, "uuid") ||
                             has(first, "leafUuid") || has(first, "messageId"))) {
    return Format::ClaudeCode;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Converter

Converter::Converter(std::string_view data, const IngestOptions& options, Format format)
    : format_(format), wire_lines_(data) {
  if (format == Format::Wire) return;
  out_ = std::make_unique<Output>(options, format);
  switch (format) {
    case Format::ClaudeCode:
      reader_ = claude_reader(data, *out_);
      break;
    case Format::Codex:
      reader_ = codex_reader(data, *out_);
      break;
    default:
      reader_ = gemini_reader(data, *out_);
      break;
  }
}

Converter::~Converter() = default;

std::unique_ptr<Converter> Converter::open(std::string_view data, const IngestOptions& options,
                                           std::string& problem) {
  Format format = options.format;
  if (format == Format::Auto) {
    const auto detected = detect_format(data);
    if (!detected) {
      problem = "format not recognized; set options.format";
      return nullptr;
    }
    format = *detected;
  }
  return std::unique_ptr<Converter>(new Converter(data, options, format));
}

bool Converter::next(Produced& item) {
  if (!out_) {
    Line line;
    while (wire_lines_.next(line)) {
      if (is_blank(line.text)) continue;
      item = {std::string(line.text), line.number, line.byte_offset, std::nullopt};
      ++wire_turns_;
      return true;
    }
    return false;
  }
  while (true) {
    if (out_->pop(item)) return true;
    if (read_all_) return false;
    read_all_ = !reader_->step();
    peak_held_ = std::max(peak_held_, out_->held());
  }
}

std::uint64_t Converter::turns() const { return out_ ? out_->turns() : wire_turns_; }
std::uint64_t Converter::skipped() const { return out_ ? out_->skipped() : 0; }
std::size_t Converter::peak_held() const { return peak_held_; }

std::optional<Conversion> convert(std::string_view data, const IngestOptions& options,
                                  std::string& problem) {
  const auto converter = Converter::open(data, options, problem);
  if (!converter) return std::nullopt;
  Conversion conversion;
  conversion.format = converter->format();
  Produced item;
  while (converter->next(item)) {
    if (item.problem) {
      conversion.problems.push_back({item.line, item.byte_offset, std::move(*item.problem)});
    } else {
      conversion.lines.push_back({std::move(item.wire), item.line, item.byte_offset});
    }
  }
  conversion.skipped = converter->skipped();
  return conversion;
}

}  // namespace lethe::native
