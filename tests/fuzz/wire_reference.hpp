// An independent reference for wire contract v1 (docs/reference/contract.md,
// sections 2-5), written from the contract's text and nothing else: framing
// by hand, JSON by nlohmann::json (a different parser from lethe's own
// scanner), timestamps by civil-date arithmetic. The fuzz targets compare
// lethe's framing and parse_line with it on arbitrary bytes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/test_text.hpp"

namespace lethe_ref {

// --- framing (section 2) ---------------------------------------------------

struct Frame {
  std::string_view text;
  std::uint64_t number = 0;
  std::uint64_t byte_offset = 0;
};

inline std::vector<Frame> split_lines(std::string_view batch) {
  std::vector<Frame> out;
  std::size_t pos = batch.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  std::uint64_t number = 0;
  while (pos < batch.size()) {
    std::size_t end = batch.find('\n', pos);
    const bool has_lf = end != std::string_view::npos;
    if (!has_lf) end = batch.size();
    std::size_t text_end = end;
    if (has_lf && text_end > pos && batch[text_end - 1] == '\r') --text_end;
    out.push_back({batch.substr(pos, text_end - pos), ++number, pos});
    pos = has_lf ? end + 1 : end;
  }
  return out;
}

inline bool blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// --- timestamps (section 4) ------------------------------------------------

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

inline void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

inline bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM) -> YYYY-MM-DDTHH:MM:SS.sssZ
inline std::optional<std::string> normalize_time(const std::string& s) {
  std::size_t i = 0;
  auto digits = [&](std::size_t n, int& out) {
    if (s.size() - i < n) return false;
    out = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const char c = s[i + k];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    i += n;
    return true;
  };
  auto literal = [&](const char* choices) {
    if (i >= s.size()) return false;
    for (const char* c = choices; *c; ++c) {
      if (s[i] == *c) {
        ++i;
        return true;
      }
    }
    return false;
  };
  int year, month, day, hour, minute, second;
  if (!(digits(4, year) && literal("-") && digits(2, month) && literal("-") && digits(2, day) &&
        literal("Tt") && digits(2, hour) && literal(":") && digits(2, minute) && literal(":") &&
        digits(2, second))) {
    return std::nullopt;
  }
  int millis = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 3) millis = millis * 10 + (s[i] - '0');
      ++n;
      ++i;
    }
    if (n == 0 || n > 9) return std::nullopt;
    for (std::size_t k = n; k < 3; ++k) millis *= 10;
  }
  int offset = 0;  // minutes east of UTC
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    const int sign = s[i] == '+' ? 1 : -1;
    ++i;
    int oh, om;
    if (!(digits(2, oh) && literal(":") && digits(2, om))) return std::nullopt;
    if (oh > 23 || om > 59) return std::nullopt;
    offset = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  const int month_days = kDays[month - 1] + (month == 2 && leap(year) ? 1 : 0);
  if (day > month_days || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const std::int64_t local =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + second;
  const std::int64_t utc = local - static_cast<std::int64_t>(offset) * 60;
  std::int64_t days = utc / 86400;
  std::int64_t rest = utc % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (y < 1 || y > 9999) return std::nullopt;
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(y), m, d,
                static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                static_cast<int>(rest % 60), millis);
  return std::string(out);
}

// --- numbers nlohmann refuses -----------------------------------------------

// nlohmann::json refuses a number that overflows a double (1e400) as a parse
// error; RFC 8259 and lethe accept it as JSON (and cost_usd then rejects it as
// not finite). Before parsing, each valid JSON number literal that overflows
// is replaced by kOverflow, which the checks below treat as not finite. (An
// input that spells kOverflow itself would be misjudged; the fuzzer does not
// see this constant.)
constexpr double kOverflow = 1.234567890123e301;
constexpr const char* kOverflowText = "1.234567890123e301";

inline bool json_number(std::string_view t) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

inline std::string replace_overflowing_numbers(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[i + 1];
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      ++i;
    } else if (c == '"') {
      in_string = true;
      out += c;
      ++i;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t end = i;
      while (end < text.size() &&
             std::string_view("+-.eE0123456789").find(text[end]) != std::string_view::npos) {
        ++end;
      }
      const std::string token(text.substr(i, end - i));
      if (json_number(token) && !std::isfinite(std::strtod(token.c_str(), nullptr))) {
        out += token[0] == '-' ? std::string("-") + kOverflowText : kOverflowText;
      } else {
        out += token;
      }
      i = end;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

// --- one line (sections 2, 3 and 5) ----------------------------------------

struct Record {
  std::string tool, host, session_id, turn_id;
  std::int64_t seq = 0;
  std::string role, timestamp;
  std::optional<std::string> content, model;
  std::optional<std::int64_t> tokens_in, tokens_out;
  std::optional<double> cost_usd;
  std::optional<nlohmann::json> tool_calls, metadata;
  std::optional<std::string> started_at, working_dir, source_file;
  std::optional<nlohmann::json> session_metadata;
};

struct Outcome {
  bool accepted = false;
  std::string code;   // when rejected
  std::string field;  // "" for the line as a whole
  Record record;      // when accepted
};

inline bool has_control(const std::string& s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

class Checker {
 public:
  explicit Checker(Outcome& out) : out_(out) {}

  bool fail(const char* code, const std::string& field) {
    out_.accepted = false;
    out_.code = code;
    out_.field = field;
    return false;
  }
  static const nlohmann::json* find(const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
  }
  bool required(const nlohmann::json* v, const std::string& field) {
    return v != nullptr && !v->is_null() ? true : fail("MISSING_FIELD", field);
  }
  bool name(const nlohmann::json& o, const char* field, std::size_t max, std::string& out) {
    const nlohmann::json* v = find(o, field);
    if (!required(v, field)) return false;
    if (!v->is_string()) return fail("INVALID_FIELD", field);
    out = v->get<std::string>();
    if (out.empty() || out.size() > max || has_control(out)) return fail("INVALID_FIELD", field);
    return true;
  }
  bool text(const nlohmann::json* v, const std::string& field, std::size_t max,
            std::optional<std::string>& out) {
    if (v == nullptr || v->is_null()) return true;
    if (!v->is_string()) return fail("INVALID_FIELD", field);
    out = v->get<std::string>();
    if (max != 0 && out->size() > max) return fail("INVALID_FIELD", field);
    return true;
  }
  // An integer 0..2^63-1 written without fraction or exponent. nlohmann
  // parses such a literal as an integer and anything with '.', 'e' or out
  // of 64-bit range as a float.
  bool count(const nlohmann::json* v, const std::string& field, std::int64_t& out) {
    if (v->is_number_unsigned()) {
      const auto n = v->get<std::uint64_t>();
      if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return fail("INVALID_FIELD", field);
      }
      out = static_cast<std::int64_t>(n);
      return true;
    }
    if (v->is_number_integer() && v->get<std::int64_t>() >= 0) {
      out = v->get<std::int64_t>();
      return true;
    }
    return fail("INVALID_FIELD", field);
  }
  bool optional_count(const nlohmann::json* v, const std::string& field,
                      std::optional<std::int64_t>& out) {
    if (v == nullptr || v->is_null()) return true;
    std::int64_t n = 0;
    if (!count(v, field, n)) return false;
    out = n;
    return true;
  }
  bool time(const nlohmann::json* v, const std::string& field, std::string& out) {
    if (!v->is_string()) return fail("INVALID_FIELD", field);
    const auto t = normalize_time(v->get<std::string>());
    if (!t) return fail("INVALID_FIELD", field);
    out = *t;
    return true;
  }
  bool raw(const nlohmann::json* v, const std::string& field, bool array,
           std::optional<nlohmann::json>& out) {
    if (v == nullptr || v->is_null()) return true;
    if (array ? !v->is_array() : !v->is_object()) return fail("INVALID_FIELD", field);
    out = *v;
    return true;
  }

  bool check(const nlohmann::json& o) {
    Record& r = out_.record;
    if (!(name(o, "tool", 128, r.tool) && name(o, "host", 256, r.host) &&
          name(o, "session_id", 256, r.session_id) && name(o, "turn_id", 256, r.turn_id))) {
      return false;
    }
    const nlohmann::json* seq = find(o, "seq");
    if (!required(seq, "seq") || !count(seq, "seq", r.seq)) return false;
    const nlohmann::json* role = find(o, "role");
    if (!required(role, "role")) return false;
    if (!role->is_string()) return fail("INVALID_FIELD", "role");
    r.role = role->get<std::string>();
    if (r.role != "user" && r.role != "assistant" && r.role != "system" && r.role != "tool") {
      return fail("INVALID_FIELD", "role");
    }
    const nlohmann::json* ts = find(o, "timestamp");
    if (!required(ts, "timestamp") || !time(ts, "timestamp", r.timestamp)) return false;
    if (!text(find(o, "content"), "content", 0, r.content)) return false;
    if (!text(find(o, "model"), "model", 256, r.model)) return false;
    if (!optional_count(find(o, "tokens_in"), "tokens_in", r.tokens_in)) return false;
    if (!optional_count(find(o, "tokens_out"), "tokens_out", r.tokens_out)) return false;
    if (const nlohmann::json* c = find(o, "cost_usd"); c != nullptr && !c->is_null()) {
      if (!c->is_number()) return fail("INVALID_FIELD", "cost_usd");
      const double d = c->get<double>();
      if (!std::isfinite(d) || d < 0 || d == kOverflow) return fail("INVALID_FIELD", "cost_usd");
      r.cost_usd = d == 0 ? 0.0 : d;
    }
    if (!raw(find(o, "tool_calls"), "tool_calls", true, r.tool_calls)) return false;
    if (!raw(find(o, "metadata"), "metadata", false, r.metadata)) return false;
    const nlohmann::json* meta = find(o, "session_meta");
    if (meta == nullptr || meta->is_null()) return true;
    if (!meta->is_object()) return fail("INVALID_FIELD", "session_meta");
    if (const nlohmann::json* s = find(*meta, "started_at"); s != nullptr && !s->is_null()) {
      std::string t;
      if (!time(s, "session_meta.started_at", t)) return false;
      r.started_at = t;
    }
    return text(find(*meta, "working_dir"), "session_meta.working_dir", 4096, r.working_dir) &&
           text(find(*meta, "source_file"), "session_meta.source_file", 4096, r.source_file) &&
           raw(find(*meta, "metadata"), "session_meta.metadata", false, r.session_metadata);
  }

 private:
  Outcome& out_;
};

// The contract's verdict on one non-blank framed line.
inline Outcome parse_line(std::string_view line, std::size_t max_line_bytes) {
  Outcome out;
  Checker checker(out);
  if (line.size() > max_line_bytes) {
    checker.fail("LINE_TOO_LONG", "");
    return out;
  }
  // nlohmann skips a leading byte-order mark; inside a batch a BOM is only
  // skipped at the very start (framing), so here it is not JSON.
  // nlohmann also ends its input at a NUL byte; a raw NUL is never valid
  // JSON (outside a string it is no token, inside one a raw control byte).
  if (line.substr(0, 3) == "\xEF\xBB\xBF" || line.find('\0') != std::string_view::npos) {
    checker.fail("INVALID_JSON", "");
    return out;
  }
  const nlohmann::json parsed =
      nlohmann::json::parse(replace_overflowing_numbers(line), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || lethe_test::json_depth(line) > 64) {
    checker.fail("INVALID_JSON", "");
    return out;
  }
  out.accepted = checker.check(parsed);
  return out;
}

}  // namespace lethe_ref
