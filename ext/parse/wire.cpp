#include "parse/wire.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "common/text.hpp"
#include "parse/json_scan.hpp"

namespace lethe {

std::string_view code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::InvalidJson:
      return "INVALID_JSON";
    case ErrorCode::LineTooLong:
      return "LINE_TOO_LONG";
    case ErrorCode::MissingField:
      return "MISSING_FIELD";
    case ErrorCode::InvalidField:
      return "INVALID_FIELD";
    case ErrorCode::DbForeignKey:
      return "DB_FOREIGN_KEY";
    case ErrorCode::DbConstraint:
      return "DB_CONSTRAINT";
    case ErrorCode::DbUpsert:
      return "DB_UPSERT";
  }
  return "INVALID_JSON";
}

namespace {

using json::Members;
using json::Type;
using json::Value;

// The fields of contract section 3, in the order they are checked.
enum Field : std::size_t {
  kTool,
  kHost,
  kSessionId,
  kTurnId,
  kSeq,
  kRole,
  kTimestamp,
  kContent,
  kModel,
  kTokensIn,
  kTokensOut,
  kCostUsd,
  kToolCalls,
  kMetadata,
  kSessionMeta,
  kFieldCount
};
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "tool",       "host",      "session_id", "turn_id",  "seq",
    "role",       "timestamp", "content",    "model",    "tokens_in",
    "tokens_out", "cost_usd",  "tool_calls", "metadata", "session_meta"};

enum MetaField : std::size_t {
  kStartedAt,
  kWorkingDir,
  kSourceFile,
  kMetaMetadata,
  kMetaFieldCount
};
constexpr std::array<std::string_view, kMetaFieldCount> kMetaFieldNames = {
    "started_at", "working_dir", "source_file", "metadata"};

bool present(const std::optional<Value>& v) { return v.has_value() && v->type != Type::Null; }

// At most kMaxQuotedBytes of the value as written in the line, cut on a
// UTF-8 character boundary so the message stays valid text.
std::string quote(std::string_view raw) {
  if (raw.size() <= kMaxQuotedBytes) return std::string(raw);
  return std::string(raw.substr(0, character_boundary(raw, kMaxQuotedBytes))) + "...";
}

// Checks a line's fields in contract order; the first failure wins.
class Validator {
 public:
  Validator(TurnRecord& record, LineError& error) : record_(record), error_(error) {}

  bool fail(ErrorCode code, std::string field, std::string message) {
    error_.code = code;
    error_.field = std::move(field);
    error_.message = std::move(message);
    return false;
  }

  bool invalid(std::string_view field, std::string_view expected, const Value& got) {
    return fail(
        ErrorCode::InvalidField, std::string(field),
        std::string(field) + " must be " + std::string(expected) + ", got " + quote(got.raw));
  }

  bool required(std::string_view field, const std::optional<Value>& v) {
    if (present(v)) return true;
    return fail(
        ErrorCode::MissingField, std::string(field),
        std::string(field) + " is required" + (v.has_value() ? " but is null" : " but is absent"));
  }

  static std::string text_of(const Value& v) {
    return v.has_escape ? json::decode_string(v.raw)
                        : std::string(v.raw.substr(1, v.raw.size() - 2));
  }

  // A required identifier-like string: 1..max bytes, no control characters.
  bool name(std::string_view field, const std::optional<Value>& v, std::size_t max_bytes,
            std::string& out) {
    if (!required(field, v)) return false;
    const std::string expected =
        "a string of 1 to " + std::to_string(max_bytes) + " bytes without control characters";
    if (v->type != Type::String) return invalid(field, expected, *v);
    out = text_of(*v);
    if (!is_identifier_text(out, max_bytes)) return invalid(field, expected, *v);
    return true;
  }

  // An optional string of at most max bytes (any characters).
  bool optional_text(std::string_view field, const std::optional<Value>& v, std::size_t max_bytes,
                     std::optional<std::string>& out) {
    if (!present(v)) return true;
    const std::string expected =
        max_bytes == 0 ? "a string or null"
                       : "a string of at most " + std::to_string(max_bytes) + " bytes, or null";
    if (v->type != Type::String) return invalid(field, expected, *v);
    out = text_of(*v);
    if (max_bytes != 0 && out->size() > max_bytes) {
      return invalid(field, expected, *v);
    }
    return true;
  }

  // 0..2^63-1 written as a JSON integer: no fraction, no exponent.
  static bool to_count(std::string_view raw, std::int64_t& out) {
    bool negative = false;
    if (!raw.empty() && raw.front() == '-') {
      negative = true;
      raw.remove_prefix(1);
    }
    if (raw.empty()) return false;
    for (char c : raw) {
      if (c < '0' || c > '9') return false;
    }
    std::uint64_t value = 0;
    const auto result = std::from_chars(raw.data(), raw.data() + raw.size(), value);
    if (result.ec != std::errc() ||
        value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return false;
    }
    if (negative && value != 0) return false;  // "-0" is zero
    out = static_cast<std::int64_t>(value);
    return true;
  }

  bool count(std::string_view field, const std::optional<Value>& v, std::int64_t& out) {
    constexpr std::string_view kExpected =
        "an integer from 0 to 9223372036854775807 written without fraction "
        "or exponent";
    if (v->type != Type::Number || !to_count(v->raw, out)) {
      return invalid(field, kExpected, *v);
    }
    return true;
  }

  bool optional_count(std::string_view field, const std::optional<Value>& v,
                      std::optional<std::int64_t>& out) {
    if (!present(v)) return true;
    std::int64_t value = 0;
    if (!count(field, v, value)) return false;
    out = value;
    return true;
  }

  // from_chars reports both overflow and underflow as out of range; a
  // literal too small for a double (1e-400) is a finite zero, one too large
  // (1e400) is not finite. Tell them apart by the decimal magnitude.
  static bool magnitude_is_large(std::string_view raw) {
    long long point = 0;           // digits before the decimal point
    long long first_nonzero = -1;  // index of the first significant digit
    long long index = 0;
    bool in_fraction = false;
    std::size_t i = raw.front() == '-' ? 1 : 0;
    for (; i < raw.size() && raw[i] != 'e' && raw[i] != 'E'; ++i) {
      if (raw[i] == '.') {
        in_fraction = true;
        continue;
      }
      if (!in_fraction) ++point;
      if (raw[i] != '0' && first_nonzero < 0) first_nonzero = index;
      ++index;
    }
    long long exponent = 0;
    if (i < raw.size()) {
      std::string_view digits = raw.substr(i + 1);
      bool negative = !digits.empty() && digits.front() == '-';
      if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
        digits.remove_prefix(1);
      }
      for (char c : digits) {
        exponent = std::min(exponent * 10 + (c - '0'), 1000000LL);
      }
      if (negative) exponent = -exponent;
    }
    if (first_nonzero < 0) return false;  // zero
    return point - first_nonzero + exponent > 0;
  }

  bool money(std::string_view field, const std::optional<Value>& v, std::optional<double>& out) {
    if (!present(v)) return true;
    constexpr std::string_view kExpected = "a finite number >= 0, or null";
    if (v->type != Type::Number) return invalid(field, kExpected, *v);
    double value = 0;
    const auto result = std::from_chars(v->raw.data(), v->raw.data() + v->raw.size(), value);
    if (result.ec == std::errc::result_out_of_range) {
      if (magnitude_is_large(v->raw)) return invalid(field, kExpected, *v);
      value = 0;
    } else if (result.ec != std::errc()) {
      return invalid(field, kExpected, *v);
    }
    if (!std::isfinite(value) || value < 0) return invalid(field, kExpected, *v);
    out = value == 0 ? 0.0 : value;  // store -0 as 0
    return true;
  }

  bool time(std::string_view field, const std::optional<Value>& v, NormalizedTime& out) {
    constexpr std::string_view kExpected =
        "an RFC 3339 date-time with a time zone, such as "
        "2025-01-31T09:15:00.250Z";
    if (v->type != Type::String) return invalid(field, kExpected, *v);
    const std::string text = text_of(*v);
    const TimeResult checked = check_rfc3339(text);
    if (!checked.time) {
      // Say what is wrong (a date that does not exist, no time zone, ...),
      // not only which form is expected.
      return fail(
          ErrorCode::InvalidField, std::string(field),
          std::string(field) + " " + describe_time_problem(text) + ", got " + quote(v->raw));
    }
    out = *checked.time;
    return true;
  }

  bool raw_json(std::string_view field, const std::optional<Value>& v, Type type,
                std::optional<std::string>& out) {
    if (!present(v)) return true;
    if (v->type != type) {
      return invalid(field, type == Type::Array ? "an array or null" : "an object or null", *v);
    }
    out = std::string(v->raw);
    return true;
  }

  bool role(const std::optional<Value>& v) {
    if (!required("role", v)) return false;
    constexpr std::string_view kExpected = "one of \"user\", \"assistant\", \"system\", \"tool\"";
    if (v->type != Type::String) return invalid("role", kExpected, *v);
    const std::string text = text_of(*v);
    for (std::string_view known : kRoleNames) {
      if (text == known) {
        record_.role = known;
        return true;
      }
    }
    return invalid("role", kExpected, *v);
  }

  bool session_meta(const std::optional<Value>& v) {
    if (!present(v)) return true;
    if (v->type != Type::Object) {
      return invalid("session_meta", "an object or null", *v);
    }
    Members<kMetaFieldCount> meta;
    json::ScanError ignored;
    json::scan_members(v->raw, kMetaFieldNames, meta, ignored);
    const auto& s = meta.values;
    if (present(s[kStartedAt])) {
      NormalizedTime started{};
      if (!time("session_meta.started_at", s[kStartedAt], started)) return false;
      record_.started_at = started;
    }
    return optional_text("session_meta.working_dir", s[kWorkingDir], kMaxMetaTextBytes,
                         record_.working_dir) &&
           optional_text("session_meta.source_file", s[kSourceFile], kMaxMetaTextBytes,
                         record_.source_file) &&
           raw_json("session_meta.metadata", s[kMetaMetadata], Type::Object,
                    record_.session_metadata);
  }

  bool fields(const Members<kFieldCount>& m) {
    const auto& s = m.values;
    TurnRecord& r = record_;
    return name("tool", s[kTool], kMaxToolBytes, r.tool) &&
           name("host", s[kHost], kMaxIdBytes, r.host) &&
           name("session_id", s[kSessionId], kMaxIdBytes, r.session_id) &&
           name("turn_id", s[kTurnId], kMaxIdBytes, r.turn_id) && required("seq", s[kSeq]) &&
           count("seq", s[kSeq], r.seq) && role(s[kRole]) && required("timestamp", s[kTimestamp]) &&
           time("timestamp", s[kTimestamp], r.timestamp) &&
           optional_text("content", s[kContent], 0, r.content) &&
           optional_text("model", s[kModel], kMaxModelBytes, r.model) &&
           optional_count("tokens_in", s[kTokensIn], r.tokens_in) &&
           optional_count("tokens_out", s[kTokensOut], r.tokens_out) &&
           money("cost_usd", s[kCostUsd], r.cost_usd) &&
           raw_json("tool_calls", s[kToolCalls], Type::Array, r.tool_calls) &&
           raw_json("metadata", s[kMetadata], Type::Object, r.metadata) &&
           session_meta(s[kSessionMeta]);
  }

 private:
  TurnRecord& record_;
  LineError& error_;
};

// Whether a line that is not JSON looks like a file name or path: a user
// passed 'transcripts.ndjson' where its contents belong. The rule (contract
// section 5) is narrow on purpose, so that real garbage keeps the scanner's
// message: no control characters, none of `"{}`, not starting with `[`, and
// either a path prefix (/, ./, ../, ~/, C:\ or C:/) or, without spaces, a
// data-file extension.
bool looks_like_file_path(std::string_view text) {
  constexpr std::size_t kMaxPathBytes = 4096;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty() || text.size() > kMaxPathBytes || text.front() == '[') return false;
  if (!is_valid_utf8(text)) return false;  // the message quotes it: it must stay text
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_control_character(byte) || c == '"' || c == '{' || c == '}') return false;
  }
  const auto starts = [&](std::string_view prefix) { return starts_with(text, prefix); };
  const bool drive = text.size() >= 3 &&
                     ((text[0] >= 'A' && text[0] <= 'Z') || (text[0] >= 'a' && text[0] <= 'z')) &&
                     text[1] == ':' && (text[2] == '\\' || text[2] == '/');
  if (starts("/") || starts("./") || starts("../") || starts("~/") || drive) return true;
  if (text.find(' ') != std::string_view::npos) return false;
  std::string lower(text.substr(text.size() > 8 ? text.size() - 8 : 0));
  for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  const auto ends = [&](std::string_view suffix) {
    return lower.size() >= suffix.size() &&
           std::string_view(lower).substr(lower.size() - suffix.size()) == suffix;
  };
  return ends(".ndjson") || ends(".jsonl") || ends(".json") || ends(".txt") || ends(".log");
}

// The message for a file path passed instead of the file's contents: the path
// quoted once, inside the readfile() call that would pass its contents.
std::string file_path_message(std::string_view line) {
  std::string path;
  for (const char c : quote(line)) {
    path += c;
    if (c == '\'') path += '\'';  // an SQL string literal
  }
  return "the line is not JSON but looks like a file path: lethe_ingest takes the file's "
         "contents, not its name; in the sqlite3 shell pass readfile('" +
         path + "')";
}

}  // namespace

bool is_identifier_text(std::string_view text, std::size_t max_bytes) noexcept {
  return !text.empty() && text.size() <= max_bytes && !has_control_character(text);
}

bool parse_line(std::string_view line, std::size_t max_line_bytes, TurnRecord& record,
                LineError& error) {
  record = TurnRecord{};
  Validator validator(record, error);
  if (line.size() > max_line_bytes) {
    return validator.fail(ErrorCode::LineTooLong, "",
                          "the line is " + std::to_string(line.size()) +
                              " bytes long, more than max_line_bytes (" +
                              std::to_string(max_line_bytes) + ")");
  }
  Members<kFieldCount> members;
  json::ScanError scan_error;
  if (!json::scan_members(line, kFieldNames, members, scan_error)) {
    if (looks_like_file_path(line)) {
      return validator.fail(ErrorCode::InvalidJson, "", file_path_message(line));
    }
    return validator.fail(ErrorCode::InvalidJson, "",
                          "the line is not a valid JSON object: " + scan_error.message +
                              " at byte " + std::to_string(scan_error.offset) + " of the line");
  }
  return validator.fields(members);
}

}  // namespace lethe
