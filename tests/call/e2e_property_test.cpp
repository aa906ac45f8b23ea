// Differential / property tests (issue 4): a randomized generator of batches
// (fixed seeds) and an independent model of wire contract v1, compared with
// what lethe stores through a real SQLite connection.
//
// The generator builds every line from typed values it knows (valid and
// invalid ones: wrong types, too long, control characters, bad times,
// duplicate keys, unknown keys, a stray "owner", unicode written raw or as
// \u escapes and surrogate pairs, escaped keys, invalid UTF-8, lone
// surrogates, deep nesting, CRLF, blank lines, a BOM, repeated session and
// turn keys so that upserts happen). The model judges each line by simple
// rules on those values (sections 3-5) and applies accepted lines to tables
// (section 7: sessions MIN/MAX/first non-null, turns last write wins).
//
// Properties:
// * one batch: the result rows (line, byte_offset, code, field) are the
//   model's, a dry run reports the same and writes nothing, and the tables
//   equal the model's;
// * the tables don't depend on how the lines are split into batches (one
//   batch, random pieces in random calling contexts, line by line);
// * a session's start and end don't depend on the order of the lines;
// * the stored owner is always the argument, never the payload's "owner".
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/call_contexts.hpp"
#include "support/e2e_support.hpp"

using namespace lethe_test;

namespace {

// --- random ------------------------------------------------------------------

struct Rng {
  std::mt19937_64 engine;
  explicit Rng(std::uint64_t seed) : engine(seed) {}
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(engine) < p; }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(between(0, static_cast<int>(v.size()) - 1))];
  }
};

// --- values a line is built from ---------------------------------------------

enum class Kind { Absent, Null, String, Integer, Number, Array, Object, Bool };

struct Json;
struct Member {
  std::string key;
  std::vector<Json> values;  // more than one: a duplicate key, the last wins
};

struct Json {
  Kind kind = Kind::Absent;
  std::u32string text;              // String: the decoded text
  std::string raw;                  // Integer, Number, Array, Bool, raw Object: JSON text
  double number = 0;                // Integer, Number: the value (cost_usd)
  int depth = 0;                    // Array, raw Object: nesting depth of raw
  std::vector<Member> members;      // Object built from members (session_meta)
  std::optional<std::string> time;  // String used as a time: normalized form if valid
  bool bad_utf8 = false;            // String: written with an invalid UTF-8 byte
  bool lone_surrogate = false;      // String: written with "\ud800" alone
};

Json str(std::u32string t) {
  Json v;
  v.kind = Kind::String;
  v.text = std::move(t);
  return v;
}
Json null_value() {
  Json v;
  v.kind = Kind::Null;
  return v;
}
Json absent() { return Json{}; }
Json integer(const std::string& raw) {
  Json v;
  v.kind = Kind::Integer;
  v.raw = raw;
  v.number = std::strtod(raw.c_str(), nullptr);
  return v;
}
Json number(const std::string& raw) {
  Json v;
  v.kind = Kind::Number;
  v.raw = raw;
  v.number = std::strtod(raw.c_str(), nullptr);
  return v;
}
Json raw_json(Kind kind, const std::string& raw, int depth) {
  Json v;
  v.kind = kind;
  v.raw = raw;
  v.depth = depth;
  return v;
}
Json boolean(bool b) {
  Json v;
  v.kind = Kind::Bool;
  v.raw = b ? "true" : "false";
  return v;
}

std::string utf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::u32string repeat(const std::u32string& unit, int n) {
  std::u32string out;
  for (int i = 0; i < n; ++i) out += unit;
  return out;
}

// --- writing JSON, with random but equivalent spellings ----------------------

std::string hex4(unsigned v, bool upper) {
  char buf[8];
  std::snprintf(buf, sizeof buf, upper ? "%04X" : "%04x", v);
  return buf;
}

std::string json_string(const std::u32string& text, Rng& rng, bool bad_utf8 = false,
                        bool lone_surrogate = false) {
  std::string out = "\"";
  const double escape_rate = rng.chance(0.3) ? 0.5 : 0.05;
  for (char32_t c : text) {
    const bool upper = rng.chance(0.5);
    if (c == '"' || c == '\\') {
      out += rng.chance(0.8) ? std::string("\\") + static_cast<char>(c) : "\\u" + hex4(c, upper);
    } else if (c < 0x20) {
      const char* short_form = c == '\n'   ? "\\n"
                               : c == '\t' ? "\\t"
                               : c == '\r' ? "\\r"
                               : c == '\b' ? "\\b"
                               : c == '\f' ? "\\f"
                                           : nullptr;
      out += short_form && rng.chance(0.7) ? std::string(short_form) : "\\u" + hex4(c, upper);
    } else if (c == '/' && rng.chance(0.5)) {
      out += "\\/";
    } else if (rng.chance(escape_rate)) {
      if (c < 0x10000) {
        out += "\\u" + hex4(c, upper);
      } else {
        const unsigned v = c - 0x10000;
        out += "\\u" + hex4(0xD800 + (v >> 10), upper) + "\\u" + hex4(0xDC00 + (v & 0x3FF), upper);
      }
    } else {
      out += utf8(std::u32string(1, c));
    }
  }
  if (bad_utf8) out += "\xC3\x28";
  if (lone_surrogate) out += "\\ud800x";
  return out + "\"";
}

std::string space(Rng& rng) {
  if (!rng.chance(0.15)) return "";
  static const std::vector<std::string> kSpaces = {" ", "\t", "  ", "\r", " \t"};
  return rng.pick(kSpaces);
}

std::string json_object(const std::vector<Member>& members, Rng& rng);

std::string json_value(const Json& v, Rng& rng) {
  switch (v.kind) {
    case Kind::Null:
      return "null";
    case Kind::String:
      return json_string(v.text, rng, v.bad_utf8, v.lone_surrogate);
    case Kind::Object:
      return v.members.empty() && !v.raw.empty() ? v.raw : json_object(v.members, rng);
    default:
      return v.raw;
  }
}

std::string json_object(const std::vector<Member>& members, Rng& rng) {
  std::string out = "{" + space(rng);
  bool first = true;
  for (const Member& m : members) {
    for (const Json& v : m.values) {
      if (v.kind == Kind::Absent) continue;
      if (!first) out += "," + space(rng);
      first = false;
      std::u32string key(m.key.begin(), m.key.end());
      out +=
          json_string(key, rng) + space(rng) + ":" + space(rng) + json_value(v, rng) + space(rng);
    }
  }
  return out + "}";
}

// --- the model: one line ------------------------------------------------------

struct Record {
  std::string tool, host, session_id, turn_id, role, timestamp;
  std::int64_t seq = 0;
  std::optional<std::string> content, model, tool_calls, metadata;
  std::optional<std::int64_t> tokens_in, tokens_out;
  std::optional<double> cost_usd;
  std::optional<std::string> started_at, working_dir, source_file, session_metadata;
};

struct Verdict {
  bool accepted = false;
  std::string code;
  std::optional<std::string> field_path;
  Record record;
};

bool any_invalid_json(const std::vector<Member>& members, int depth) {
  for (const Member& m : members) {
    for (const Json& v : m.values) {
      if (v.bad_utf8 || v.lone_surrogate) return true;
      if (depth + v.depth > 64) return true;
      if (v.kind == Kind::Object && any_invalid_json(v.members, depth + 1)) return true;
    }
  }
  return false;
}

const Json& last(const std::vector<Member>& members, const std::string& key) {
  static const Json kAbsent;
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->key == key) {
      for (auto v = it->values.rbegin(); v != it->values.rend(); ++v) {
        if (v->kind != Kind::Absent) return *v;
      }
    }
  }
  return kAbsent;
}

class Judge {
 public:
  explicit Judge(Verdict& out) : out_(out) {}

  bool reject(const char* code, const std::string& field) {
    out_.accepted = false;
    out_.code = code;
    out_.field_path = field;
    return false;
  }
  static bool present(const Json& v) { return v.kind != Kind::Absent && v.kind != Kind::Null; }
  bool name(const Json& v, const std::string& field, std::size_t max, std::string& out) {
    if (!present(v)) return reject("MISSING_FIELD", field);
    if (v.kind != Kind::String) return reject("INVALID_FIELD", field);
    out = utf8(v.text);
    bool control = false;
    for (char32_t c : v.text) control = control || c < 0x20 || c == 0x7F;
    if (out.empty() || out.size() > max || control) return reject("INVALID_FIELD", field);
    return true;
  }
  // A count: an integer literal 0..2^63-1 ("-0" is zero).
  bool count(const Json& v, const std::string& field, std::int64_t& out) {
    if (v.kind != Kind::Integer) return reject("INVALID_FIELD", field);
    std::string digits = v.raw;
    if (digits[0] == '-') {
      if (digits != "-0") return reject("INVALID_FIELD", field);
      digits = "0";
    }
    if (digits.size() > 19 || (digits.size() == 19 && digits > "9223372036854775807")) {
      return reject("INVALID_FIELD", field);
    }
    out = std::stoll(digits);
    return true;
  }
  bool optional_count(const Json& v, const std::string& field, std::optional<std::int64_t>& out) {
    if (!present(v)) return true;
    std::int64_t n = 0;
    if (!count(v, field, n)) return false;
    out = n;
    return true;
  }
  bool text(const Json& v, const std::string& field, std::size_t max,
            std::optional<std::string>& out) {
    if (!present(v)) return true;
    if (v.kind != Kind::String) return reject("INVALID_FIELD", field);
    out = utf8(v.text);
    if (max != 0 && out->size() > max) return reject("INVALID_FIELD", field);
    return true;
  }
  bool time(const Json& v, const std::string& field, std::string& out) {
    if (v.kind != Kind::String || !v.time) return reject("INVALID_FIELD", field);
    out = *v.time;
    return true;
  }
  bool raw(const Json& v, const std::string& field, Kind kind, std::optional<std::string>& out) {
    if (!present(v)) return true;
    if (v.kind != kind) return reject("INVALID_FIELD", field);
    out = v.raw;
    return true;
  }

  void run(const std::vector<Member>& m) {
    Record& r = out_.record;
    if (!name(last(m, "tool"), "tool", 128, r.tool) ||
        !name(last(m, "host"), "host", 256, r.host) ||
        !name(last(m, "session_id"), "session_id", 256, r.session_id) ||
        !name(last(m, "turn_id"), "turn_id", 256, r.turn_id)) {
      return;
    }
    const Json& seq = last(m, "seq");
    if (!present(seq)) return void(reject("MISSING_FIELD", "seq"));
    if (!count(seq, "seq", r.seq)) return;
    const Json& role = last(m, "role");
    if (!present(role)) return void(reject("MISSING_FIELD", "role"));
    r.role = role.kind == Kind::String ? utf8(role.text) : "";
    if (r.role != "user" && r.role != "assistant" && r.role != "system" && r.role != "tool") {
      return void(reject("INVALID_FIELD", "role"));
    }
    const Json& ts = last(m, "timestamp");
    if (!present(ts)) return void(reject("MISSING_FIELD", "timestamp"));
    if (!time(ts, "timestamp", r.timestamp)) return;
    if (!text(last(m, "content"), "content", 0, r.content) ||
        !text(last(m, "model"), "model", 256, r.model) ||
        !optional_count(last(m, "tokens_in"), "tokens_in", r.tokens_in) ||
        !optional_count(last(m, "tokens_out"), "tokens_out", r.tokens_out)) {
      return;
    }
    const Json& cost = last(m, "cost_usd");
    if (present(cost)) {
      if ((cost.kind != Kind::Integer && cost.kind != Kind::Number) || cost.number < 0) {
        return void(reject("INVALID_FIELD", "cost_usd"));
      }
      r.cost_usd = cost.number;
    }
    if (!raw(last(m, "tool_calls"), "tool_calls", Kind::Array, r.tool_calls) ||
        !raw(last(m, "metadata"), "metadata", Kind::Object, r.metadata)) {
      return;
    }
    const Json& meta = last(m, "session_meta");
    if (present(meta)) {
      if (meta.kind != Kind::Object) return void(reject("INVALID_FIELD", "session_meta"));
      const Json& started = last(meta.members, "started_at");
      if (present(started)) {
        std::string t;
        if (!time(started, "session_meta.started_at", t)) return;
        r.started_at = t;
      }
      if (!text(last(meta.members, "working_dir"), "session_meta.working_dir", 4096,
                r.working_dir) ||
          !text(last(meta.members, "source_file"), "session_meta.source_file", 4096,
                r.source_file) ||
          !raw(last(meta.members, "metadata"), "session_meta.metadata", Kind::Object,
               r.session_metadata)) {
        return;
      }
    }
    out_.accepted = true;
  }

 private:
  Verdict& out_;
};

// --- generated lines ----------------------------------------------------------

struct GenLine {
  std::string text;    // without its ending
  std::string ending;  // "\n", "\r\n" or "" (last line)
  bool blank = false;
  Verdict verdict;
};

// Days since 1970-01-01 <-> civil date (H. Hinnant's algorithms).
void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

std::string format_time(std::int64_t seconds, int& y_out) {
  std::int64_t days = seconds / 86400, rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  int y, m, d;
  civil_from_days(days, y, m, d);
  y_out = y;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d,
                static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                static_cast<int>(rest % 60));
  return buf;
}

class Generator {
 public:
  Generator(std::uint64_t seed, int sessions, int turns_per_session)
      : rng(seed), sessions_(sessions), turns_(turns_per_session) {
    static const std::vector<std::u32string> kTools = {U"claude-code", U"codex", U"gemini-cli",
                                                       U"outil-\u00e9t\u00e9"};
    static const std::vector<std::u32string> kHosts = {U"laptop", U"ws-1", U"h\u00f4te",
                                                       U"\u30db\u30b9\u30c8"};
    for (int i = 0; i < sessions_; ++i) {
      keys_.push_back({rng.pick(kTools), rng.pick(kHosts),
                       U"s-" + std::u32string(1, U'a' + i) + (i % 3 == 0 ? U"\U0001F600" : U"")});
    }
  }

  Rng rng;
  double bad_field_rate = 0.02;
  double duplicate_rate = 0.05;
  double garbage_rate = 0.04;
  double blank_rate = 0.05;
  bool crlf = false;

  // A time in 2020..2026 written with a random offset and fraction; its
  // normalized form is known by construction.
  Json valid_time() {
    const std::int64_t utc = rng.between(0, 7 * 365) * std::int64_t{86400} + rng.between(0, 86399) +
                             std::int64_t{1577836800};
    static const std::vector<int> kOffsets = {0, 0, 60, -300, 330, 845, -720, 840, -1439, 1439};
    const int offset = rng.pick(kOffsets);
    int year = 0;
    std::string local = format_time(utc + offset * 60, year);
    if (rng.chance(0.1)) local[10] = 't';
    const int digits = rng.pick(std::vector<int>{0, 0, 1, 2, 3, 3, 6, 9});
    std::string fraction;
    for (int i = 0; i < digits; ++i) fraction += static_cast<char>('0' + rng.between(0, 9));
    std::string millis = (fraction + "000").substr(0, 3);
    std::string zone;
    if (offset == 0 && rng.chance(0.7)) {
      zone = rng.chance(0.8) ? "Z" : "z";
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset < 0 ? '-' : '+', std::abs(offset) / 60,
                    std::abs(offset) % 60);
      zone = offset == 0 && rng.chance(0.5) ? "-00:00" : buf;
    }
    Json v = str(to32(local + (digits ? "." + fraction : "") + zone));
    int y2 = 0;
    v.time = format_time(utc, y2) + "." + millis + "Z";
    return v;
  }

  Json invalid_time() {
    static const std::vector<std::string> kBad = {
        "2025-02-29T10:00:00Z",      "2024-02-30T10:00:00Z",      "2025-13-01T00:00:00Z",
        "2025-03-01 10:00:00Z",      "2025-03-01T10:00:60Z",      "2025-03-01T24:00:00Z",
        "2025-03-01T10:00:00",       "2025-03-01T10:00:00.Z",     "2025-03-01T10:00:00.1234567890Z",
        "2025-03-01T10:00:00+0100",  "2025-3-01T10:00:00Z",       "",
        "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01", "2025-04-31T00:00:00Z",
        "2025-03-01T10:60:00Z",      "2025-03-01T10:00:00ZZ",     "\u00b2025-03-01T10:00:00Z"};
    Json v = str(to32(rng.pick(kBad)));
    return v;  // no .time: invalid
  }

  static std::u32string to32(const std::string& ascii_or_utf8) {
    // Only used on ASCII and on the one \u00b2 literal above.
    std::u32string out;
    for (std::size_t i = 0; i < ascii_or_utf8.size(); ++i) {
      const auto c = static_cast<unsigned char>(ascii_or_utf8[i]);
      if (c == 0xC2 && i + 1 < ascii_or_utf8.size()) {
        out += static_cast<char32_t>(static_cast<unsigned char>(ascii_or_utf8[++i]));
      } else {
        out += static_cast<char32_t>(c);
      }
    }
    return out;
  }

  // A required identifier: valid most of the time.
  Json name(const std::u32string& good, std::size_t max) {
    if (!rng.chance(bad_field_rate)) return str(good);
    switch (rng.between(0, 7)) {
      case 0:
        return absent();
      case 1:
        return null_value();
      case 2:
        return str(U"");
      case 3:
        return str(U"a\tb");
      case 4:
        return str(U"del\x7f");
      case 5:
        return integer("42");
      case 6:  // one byte too many, in two-byte characters
        return str(repeat(U"\u00fc", static_cast<int>(max / 2)) + U"x");
      default:
        return raw_json(Kind::Array, "[\"x\"]", 1);
    }
  }

  Json count(bool required) {
    if (!rng.chance(bad_field_rate)) {
      if (!required && rng.chance(0.3)) return rng.chance(0.5) ? absent() : null_value();
      static const std::vector<std::string> kGood = {
          "0", "1", "7", "42", "1000", "9223372036854775807", "-0"};
      return rng.chance(0.7) ? integer(std::to_string(rng.between(0, 100000)))
                             : integer(rng.pick(kGood));
    }
    switch (rng.between(0, 6)) {
      case 0:
        return required ? absent() : integer("-1");
      case 1:
        return required ? null_value() : number("2.5");
      case 2:
        return integer("-1");
      case 3:
        return number("1.0");
      case 4:
        return number("1e2");
      case 5:
        return integer("9223372036854775808");
      default:
        return str(U"12");
    }
  }

  Json content() {
    static const std::vector<std::u32string> kTexts = {
        U"hello",
        U"Peux-tu corriger le test qui \u00e9choue ?",
        U"\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8",
        U"emoji \U0001F680\U0001F600 and \U00010348",
        U"quotes \" and \\ backslash / slash",
        U"lines\nand\r\ncrlf\tand tabs",
        U"nul \0 inside",
        U"controls \x01\x1f\x7f",
        U"",
        U"{\"json\": \"in a string\"}",
        U"\u2028\u2029 separators"};
    if (rng.chance(0.25)) return rng.chance(0.5) ? absent() : null_value();
    if (rng.chance(bad_field_rate)) return rng.chance(0.5) ? integer("1") : boolean(true);
    return str(rng.pick(kTexts));
  }

  Json model() {
    if (rng.chance(0.4)) return rng.chance(0.5) ? absent() : null_value();
    if (rng.chance(bad_field_rate)) {
      return rng.chance(0.5) ? str(repeat(U"\u65e5", 86)) : integer("3");  // 258 bytes
    }
    static const std::vector<std::u32string> kModels = {U"claude-sonnet-4-5", U"gpt-5-codex",
                                                        U"gemini-2.5-pro", U""};
    return rng.chance(0.1) ? str(repeat(U"m", 256)) : str(rng.pick(kModels));
  }

  Json cost() {
    if (rng.chance(0.4)) return rng.chance(0.5) ? absent() : null_value();
    if (rng.chance(bad_field_rate)) {
      static const std::vector<std::string> kBad = {"-1", "-0.5", "-1e-3"};
      return rng.chance(0.7) ? number(rng.pick(kBad)) : str(U"0.5");
    }
    static const std::vector<std::string> kGood = {"0",     "0.5", "1.25",   "12.125", "3",
                                                   "2.5e1", "1E2", "0.0625", "0.0"};
    const std::string& raw = rng.pick(kGood);
    return raw.find_first_of(".eE") == std::string::npos ? integer(raw) : number(raw);
  }

  Json tool_calls() {
    if (rng.chance(0.5)) return rng.chance(0.5) ? absent() : null_value();
    if (rng.chance(bad_field_rate)) return raw_json(Kind::Object, "{\"id\":1}", 1);
    static const std::vector<std::string> kRaw = {
        "[]", "[ 1, {\"a\" : 1.10} ]",
        "[{\"id\":\"toolu_01\",\"input\":{\"n\":123456789012345678901234567890}}]",
        "[\"\\u00e9\", null, true, -0.0e+0]"};
    const std::string& raw = rng.pick(kRaw);
    return raw_json(
        Kind::Array, raw,
        raw.find('{') != std::string::npos ? 2 + (raw.find("input") != std::string::npos) : 1);
  }

  Json metadata() {
    if (rng.chance(0.5)) return rng.chance(0.5) ? absent() : null_value();
    if (rng.chance(bad_field_rate)) return raw_json(Kind::Array, "[1]", 1);
    static const std::vector<std::pair<std::string, int>> kRaw = {
        {"{}", 1},
        {"{\"b\":2,\"a\":1}", 1},
        {"{ \"x\" : [1.10, 1e400] }", 2},
        {"{\"k\":123456789012345678901234567890}", 1}};
    const auto& [raw, depth] = rng.pick(kRaw);
    return raw_json(Kind::Object, raw, depth);
  }

  Json session_meta() {
    if (rng.chance(0.5)) return rng.chance(0.5) ? absent() : null_value();
    if (rng.chance(bad_field_rate)) return str(U"/home/u");
    Json meta;
    meta.kind = Kind::Object;
    auto add = [&](const char* key, Json v) { meta.members.push_back({key, {std::move(v)}}); };
    if (rng.chance(0.6)) {
      add("started_at", rng.chance(bad_field_rate) ? invalid_time()
                        : rng.chance(0.1)          ? null_value()
                                                   : valid_time());
    }
    if (rng.chance(0.6)) {
      static const std::vector<std::u32string> kDirs = {
          U"/home/ana/src/shopfront", U"C:\\Users\\sam\\src", U"/tmp/\u00e9t\u00e9"};
      add("working_dir", rng.chance(bad_field_rate)
                             ? str(repeat(U"\u00e9", 2048) + U"x")  // 4097 bytes
                         : rng.chance(0.05) ? str(repeat(U"d", 4096))
                                            : str(rng.pick(kDirs)));
    }
    if (rng.chance(0.5)) {
      add("source_file", rng.chance(bad_field_rate) ? integer("1") : str(U"~/.claude/p/x.jsonl"));
    }
    if (rng.chance(0.5)) {
      add("metadata", rng.chance(bad_field_rate)
                          ? raw_json(Kind::Array, "[]", 1)
                          : raw_json(Kind::Object, "{\"version\":\"1.0.51\", \"n\":1.10}", 1));
    }
    if (rng.chance(0.1)) add("unknown", str(U"ignored"));
    std::shuffle(meta.members.begin(), meta.members.end(), rng.engine);
    return meta;
  }

  // A decoy for a duplicate key: written first, overridden by the real value.
  Json decoy() {
    switch (rng.between(0, 4)) {
      case 0:
        return str(U"decoy");
      case 1:
        return null_value();
      case 2:
        return integer("-5");
      case 3:
        return raw_json(Kind::Object, "{\"a\":[]}", 2);
      default: {
        Json v = str(U"bad");
        v.bad_utf8 = rng.chance(0.2);  // even a decoy must be valid JSON
        return v;
      }
    }
  }

  std::vector<Member> members() {
    const auto& key = keys_[static_cast<std::size_t>(rng.between(0, sessions_ - 1))];
    const std::u32string turn =
        U"t" + to32(std::to_string(rng.between(1, turns_))) + (rng.chance(0.1) ? U"-\u00e4" : U"");
    static const std::vector<std::u32string> kRoles = {U"user", U"assistant", U"system", U"tool"};
    std::vector<Member> m;
    m.push_back({"tool", {name(key[0], 128)}});
    m.push_back({"host", {name(key[1], 256)}});
    m.push_back({"session_id", {name(key[2], 256)}});
    m.push_back({"turn_id", {name(turn, 256)}});
    m.push_back({"seq", {count(true)}});
    Json role = str(rng.pick(kRoles));
    if (rng.chance(bad_field_rate)) {
      role = rng.pick(
          std::vector<Json>{absent(), null_value(), str(U"User"), str(U"admin"), integer("1")});
    }
    m.push_back({"role", {role}});
    Json ts = valid_time();
    if (rng.chance(bad_field_rate)) {
      ts = rng.pick(std::vector<Json>{absent(), null_value(), invalid_time(), invalid_time(),
                                      integer("1700000000")});
    }
    m.push_back({"timestamp", {ts}});
    m.push_back({"content", {content()}});
    m.push_back({"model", {model()}});
    m.push_back({"tokens_in", {count(false)}});
    m.push_back({"tokens_out", {count(false)}});
    m.push_back({"cost_usd", {cost()}});
    m.push_back({"tool_calls", {tool_calls()}});
    m.push_back({"metadata", {metadata()}});
    m.push_back({"session_meta", {session_meta()}});
    // Unknown keys, a stray owner among them: ignored.
    if (rng.chance(0.3)) m.push_back({"owner", {str(U"mallory")}});
    if (rng.chance(0.2)) m.push_back({"parent_turn_id", {null_value()}});
    if (rng.chance(0.1))
      m.push_back({"x_extra", {raw_json(Kind::Object, "{\"a\":[1,{\"b\":null}]}", 3)}});
    if (rng.chance(0.02)) {  // 63 levels inside the line's object: 64 in all, still valid
      m.push_back(
          {"deep", {raw_json(Kind::Array, std::string(63, '[') + std::string(63, ']'), 63)}});
    }
    if (rng.chance(0.02)) {  // 65 levels: INVALID_JSON
      m.push_back(
          {"deep", {raw_json(Kind::Array, std::string(64, '[') + std::string(64, ']'), 64)}});
    }
    if (rng.chance(0.01)) {
      Json v = str(U"surrogate");
      v.lone_surrogate = true;
      m.push_back({"content", {v}});
    }
    if (rng.chance(0.01)) {
      Json v = str(U"bytes");
      v.bad_utf8 = true;
      m.push_back({"x_bad", {v}});
    }
    for (Member& member : m) {
      if (rng.chance(duplicate_rate)) member.values.insert(member.values.begin(), decoy());
    }
    std::shuffle(m.begin(), m.end(), rng.engine);
    return m;
  }

  GenLine line(std::size_t max_line_bytes) {
    GenLine g;
    g.ending = crlf && rng.chance(0.7) ? "\r\n" : "\n";
    if (rng.chance(blank_rate)) {
      static const std::vector<std::string> kBlank = {"", " ", "\t", " \t  "};
      g.text = rng.pick(kBlank);
      g.blank = true;
      return g;
    }
    if (rng.chance(garbage_rate)) {
      static const std::vector<std::string> kGarbage = {"[]",
                                                        "null",
                                                        "42",
                                                        "\"text\"",
                                                        "{} {}",
                                                        "{,}",
                                                        "{'a':1}",
                                                        "not json",
                                                        "\r",
                                                        "{\"tool\":\"x\"",
                                                        "{\"a\":01}",
                                                        "{\"a\":1,}",
                                                        " \xEF\xBB\xBF{}",
                                                        "{\"a\":\"\x01\"}",
                                                        "\x00{}"};
      g.text = rng.pick(kGarbage);
      if (g.text.empty()) g.text = std::string("\0{}", 3);
      if (rng.chance(0.3)) {  // or a real line cut short
        const std::string full = json_object(members(), rng);
        g.text = full.substr(
            0, static_cast<std::size_t>(rng.between(1, static_cast<int>(full.size()) - 1)));
      }
      // A CR right before the LF would be part of the line ending.
      if (g.ending == "\n" && g.text.back() == '\r') g.ending = "\r\n";
      g.verdict.code = g.text.size() > max_line_bytes ? "LINE_TOO_LONG" : "INVALID_JSON";
      return g;
    }
    const std::vector<Member> m = members();
    g.text = space(rng) + json_object(m, rng) + space(rng);
    if (g.ending == "\n" && !g.text.empty() && g.text.back() == '\r') g.text += ' ';
    if (g.text.size() > max_line_bytes) {
      g.verdict.code = "LINE_TOO_LONG";
    } else if (any_invalid_json(m, 1)) {
      g.verdict.code = "INVALID_JSON";
    } else {
      Judge(g.verdict).run(m);
    }
    return g;
  }

 private:
  int sessions_, turns_;
  std::vector<std::vector<std::u32string>> keys_;
};

// --- the model: tables --------------------------------------------------------

struct Tables {
  std::map<std::vector<std::string>, Row> sessions;  // key: owner, tool, host, session_id
  std::map<std::vector<std::string>, Row> turns;     // key: ... turn_id

  static Value text(const std::optional<std::string>& s) { return s; }
  static Value number(const std::optional<std::int64_t>& n) {
    return n ? Value(std::to_string(*n)) : std::nullopt;
  }
  static Value money(const std::optional<double>& d) {
    if (!d) return std::nullopt;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4f", *d);
    return std::string(buf);
  }

  void apply(const std::string& owner, const Record& r) {
    const std::vector<std::string> sk = {owner, r.tool, r.host, r.session_id};
    const std::string start = r.started_at.value_or(r.timestamp);
    auto it = sessions.find(sk);
    if (it == sessions.end()) {
      sessions[sk] = {owner,       r.tool,        r.host,        r.session_id,      start,
                      r.timestamp, r.working_dir, r.source_file, r.session_metadata};
    } else {
      Row& s = it->second;
      s[4] = std::min(*s[4], start);
      s[5] = std::max(*s[5], r.timestamp);
      if (!s[6]) s[6] = r.working_dir;
      if (!s[7]) s[7] = r.source_file;
      if (!s[8]) s[8] = r.session_metadata;
    }
    turns[{owner, r.tool, r.host, r.session_id, r.turn_id}] = {owner,
                                                               r.tool,
                                                               r.host,
                                                               r.session_id,
                                                               r.turn_id,
                                                               std::to_string(r.seq),
                                                               r.role,
                                                               r.timestamp,
                                                               r.content,
                                                               r.model,
                                                               number(r.tokens_in),
                                                               number(r.tokens_out),
                                                               money(r.cost_usd),
                                                               r.tool_calls,
                                                               r.metadata};
  }
  std::vector<Row> session_rows() const {
    std::vector<Row> out;
    for (const auto& [k, row] : sessions) out.push_back(row);
    return out;
  }
  std::vector<Row> turn_rows() const {
    std::vector<Row> out;
    for (const auto& [k, row] : turns) out.push_back(row);
    return out;
  }
};

std::vector<Row> sorted(std::vector<Row> rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::vector<Row> db_sessions(Db& db) {
  Result r = db.query(
      "SELECT owner, tool, host, session_id, started_at, ended_at, working_dir, source_file, "
      "metadata FROM sessions");
  EXPECT_TRUE(r.ok()) << r.error;
  return sorted(r.rows);
}

std::vector<Row> db_turns(Db& db) {
  Result r = db.query(
      "SELECT owner, tool, host, session_id, turn_id, seq, role, timestamp, content, model, "
      "tokens_in, tokens_out, CASE WHEN cost_usd IS NULL THEN NULL "
      "ELSE printf('%.4f', cost_usd) END, tool_calls, metadata FROM turns");
  EXPECT_TRUE(r.ok()) << r.error;
  return sorted(r.rows);
}

std::vector<Row> session_spans(const std::vector<Row>& sessions) {
  std::vector<Row> out;
  for (const Row& s : sessions) out.push_back(Row(s.begin(), s.begin() + 6));
  return sorted(out);
}

// --- calling lethe in different contexts --------------------------------------

// The contexts a piece goes through at random, in the order the seeds pick
// them (an index of rng.between(0, 3)).
constexpr CallContext kRandomContexts[] = {CallContext::Autocommit, CallContext::BeginCommit,
                                           CallContext::InsertSelect,
                                           CallContext::SavepointRelease};

std::vector<Reject> call(Db& db, CallContext context, const std::string& owner,
                         const std::string& batch, const std::optional<std::string>& options) {
  const std::string sql = call_sql(context, options ? "?1, ?2, ?3" : "?1, ?2");
  auto run = [&] {
    return options ? db.query(sql, owner, batch, *options) : db.query(sql, owner, batch);
  };
  const bool insert_select = context == CallContext::InsertSelect;
  if (insert_select) {
    db.must("CREATE TABLE IF NOT EXISTS rejects(line, byte_offset, code, field, message)");
  }
  db.must(open_sql(context));
  Result r = run();
  db.must(close_sql(context));
  if (insert_select) {
    if (r.ok()) r = db.query("SELECT * FROM rejects ORDER BY rowid");
    db.must("DELETE FROM rejects");
  }
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(sqlite3_get_autocommit(db.handle()), 1);
  return to_ingest(r).rejects;
}

// --- a scenario: lines, ingested several ways ---------------------------------

struct Scenario {
  std::vector<GenLine> lines;
  bool bom = false;
  std::optional<std::string> options;
  std::size_t max_line_bytes = std::size_t{8} << 20;
};

Scenario make_scenario(std::uint64_t seed, int n_lines) {
  Rng setup(seed * 7919);
  Generator g(seed, setup.between(1, 6), setup.between(1, 12));
  g.crlf = setup.chance(0.4);
  g.bad_field_rate = setup.pick(std::vector<double>{0.0, 0.01, 0.03, 0.08});
  g.duplicate_rate = setup.pick(std::vector<double>{0.0, 0.03, 0.1});
  Scenario s;
  s.bom = setup.chance(0.2);
  if (setup.chance(0.2)) {
    s.max_line_bytes = static_cast<std::size_t>(setup.between(200, 900));
    s.options = "{\"max_line_bytes\":" + std::to_string(s.max_line_bytes) + "}";
  }
  for (int i = 0; i < n_lines; ++i) s.lines.push_back(g.line(s.max_line_bytes));
  if (setup.chance(0.5)) s.lines.back().ending = "";
  return s;
}

struct Piece {
  std::string batch;
  std::size_t first_line = 0;  // index into Scenario::lines
  std::size_t count = 0;
  std::uint64_t base_offset = 0;
};

// Consecutive lines [begin, end) as one batch; the BOM stays at the start.
Piece piece(const Scenario& s, std::size_t begin, std::size_t end,
            const std::vector<std::uint64_t>& offsets) {
  Piece p;
  p.first_line = begin;
  p.count = end - begin;
  p.base_offset = offsets[begin];
  if (begin == 0 && s.bom) {
    p.batch = "\xEF\xBB\xBF";
    p.base_offset = 0;
  }
  for (std::size_t i = begin; i < end; ++i) p.batch += s.lines[i].text + s.lines[i].ending;
  return p;
}

std::string describe(const GenLine& l) {
  std::string out;
  for (unsigned char c : l.text.substr(0, 300)) {
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// The rejects of one call over `p` are exactly the model's for its lines.
void expect_rejects(const Scenario& s, const Piece& p, const std::vector<Reject>& rejects,
                    const std::vector<std::uint64_t>& offsets) {
  std::size_t next = 0;
  for (std::size_t i = p.first_line; i < p.first_line + p.count; ++i) {
    const GenLine& l = s.lines[i];
    if (l.blank || l.verdict.accepted) continue;
    const std::int64_t local_line = static_cast<std::int64_t>(i - p.first_line + 1);
    const std::int64_t local_offset = static_cast<std::int64_t>(offsets[i] - p.base_offset);
    if (next >= rejects.size()) {
      ADD_FAILURE() << "line " << local_line << " (" << l.verdict.code << " "
                    << l.verdict.field_path.value_or("NULL") << ") was accepted: " << describe(l);
      return;
    }
    const Reject& r = rejects[next++];
    const Value field = l.verdict.code == "INVALID_JSON" || l.verdict.code == "LINE_TOO_LONG"
                            ? Value()
                            : l.verdict.field_path;
    if (r.line != local_line || r.byte_offset != local_offset || r.code != l.verdict.code ||
        r.field != field || r.message.empty()) {
      ADD_FAILURE() << "line " << local_line << "@" << local_offset << " expected "
                    << l.verdict.code << " " << field.value_or("NULL") << ", got line " << r.line
                    << "@" << r.byte_offset << " " << r.code << " " << r.field.value_or("NULL")
                    << ": " << r.message << "\n  line: " << describe(l);
      return;
    }
  }
  EXPECT_EQ(next, rejects.size()) << "extra rejects, first: line " << rejects[next].line << " "
                                  << rejects[next].code << " " << rejects[next].message;
}

void run_scenario(std::uint64_t seed, int n_lines, bool line_by_line) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  const Scenario s = make_scenario(seed, n_lines);
  Rng rng(seed ^ 0x5eed);
  const std::vector<std::string> owners = {"alice", "b\u00f6b"};
  std::vector<std::uint64_t> offsets;
  std::uint64_t at = s.bom ? 3 : 0;
  for (const GenLine& l : s.lines) {
    offsets.push_back(at);
    at += l.text.size() + l.ending.size();
  }
  Tables model;
  for (const std::string& owner : owners) {
    for (const GenLine& l : s.lines) {
      if (!l.blank && l.verdict.accepted) model.apply(owner, l.verdict.record);
    }
  }
  const Piece whole = piece(s, 0, s.lines.size(), offsets);
  auto random_context = [&rng] {
    return kRandomContexts[static_cast<std::size_t>(rng.between(0, 3))];
  };

  // One batch: a dry run first, then for real, once per owner.
  Db one;
  one.apply_schema();
  {
    std::string dry = s.options ? s.options->substr(0, s.options->size() - 1) + ",\"dry_run\":true}"
                                : "{\"dry_run\":true}";
    SCOPED_TRACE("dry run");
    expect_rejects(s, whole, call(one, CallContext::Autocommit, owners[0], whole.batch, dry),
                   offsets);
    EXPECT_EQ(one.count("SELECT count(*) FROM turns") + one.count("SELECT count(*) FROM sessions"),
              0);
  }
  for (const std::string& owner : owners) {
    SCOPED_TRACE("one batch, owner " + owner);
    expect_rejects(s, whole, call(one, random_context(), owner, whole.batch, s.options), offsets);
  }
  const std::vector<Row> sessions = db_sessions(one);
  const std::vector<Row> turns = db_turns(one);
  EXPECT_EQ(sessions, model.session_rows()) << "sessions differ from the model";
  EXPECT_EQ(turns, model.turn_rows()) << "turns differ from the model";
  EXPECT_EQ(one.count("SELECT count(*) FROM turns WHERE owner NOT IN ('alice', 'b\u00f6b')"), 0);

  // Random pieces, each in a random context.
  Db pieces;
  pieces.apply_schema();
  for (const std::string& owner : owners) {
    std::size_t begin = 0;
    while (begin < s.lines.size()) {
      const std::size_t end = std::min(
          s.lines.size(), begin + static_cast<std::size_t>(rng.between(1, 1 + n_lines / 4)));
      const Piece p = piece(s, begin, end, offsets);
      SCOPED_TRACE("piece at line " + std::to_string(begin + 1));
      expect_rejects(s, p, call(pieces, random_context(), owner, p.batch, s.options), offsets);
      begin = end;
    }
  }
  EXPECT_EQ(db_sessions(pieces), sessions) << "pieces vs one batch";
  EXPECT_EQ(db_turns(pieces), turns) << "pieces vs one batch";

  // Line by line.
  if (line_by_line) {
    Db single;
    single.apply_schema();
    for (const std::string& owner : owners) {
      for (std::size_t i = 0; i < s.lines.size(); ++i) {
        if (s.lines[i].blank && !(i == 0 && s.bom)) continue;
        const Piece p = piece(s, i, i + 1, offsets);
        expect_rejects(s, p, call(single, CallContext::Autocommit, owner, p.batch, s.options),
                       offsets);
      }
    }
    EXPECT_EQ(db_sessions(single), sessions) << "line by line vs one batch";
    EXPECT_EQ(db_turns(single), turns) << "line by line vs one batch";
  }

  // Shuffled: each session's start and end, and which turns exist, are the
  // same.
  std::vector<std::string> shuffled;
  for (const GenLine& l : s.lines) {
    if (!l.blank) shuffled.push_back(l.text);
  }
  std::shuffle(shuffled.begin(), shuffled.end(), rng.engine);
  std::string batch;
  for (const std::string& l : shuffled) batch += l + (l.back() == '\r' ? "\r\n" : "\n");
  Db reordered;
  reordered.apply_schema();
  for (const std::string& owner : owners) {
    const std::vector<Reject> rejects = call(reordered, random_context(), owner, batch, s.options);
    std::size_t expected_rejects = 0;
    for (const GenLine& l : s.lines) expected_rejects += !l.blank && !l.verdict.accepted;
    EXPECT_EQ(rejects.size(), expected_rejects);
  }
  EXPECT_EQ(session_spans(db_sessions(reordered)), session_spans(sessions))
      << "a session's start or end depends on line order";
  EXPECT_EQ(reordered.count("SELECT count(*) FROM turns"), static_cast<std::int64_t>(turns.size()));
}

TEST(Property, ModelSplitOrderAndOwner) {
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    run_scenario(seed, 40 + static_cast<int>(seed * 37 % 160), true);
    if (HasFailure()) return;  // one seed's report is enough to work on
  }
}

// Batches of more than 1024 lines: lethe writes chunks of 1024, then 2048 lines, each in a
// savepoint of its own; refused lines and upserts across chunk boundaries.
TEST(Property, ChunkBoundaries) {
  for (std::uint64_t seed = 101; seed <= 102; ++seed) {
    run_scenario(seed, 2300, false);
    if (HasFailure()) return;
  }
}

// The generator produces what the properties need: rejected and accepted
// lines of every code, upserts of both tables, blank lines.
TEST(Property, GeneratorCoversTheContract) {
  std::map<std::string, int> codes;
  std::set<std::string> fields;
  int accepted = 0, blank = 0;
  std::size_t turn_rows = 0, session_rows = 0;
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    const Scenario s = make_scenario(seed, 40 + static_cast<int>(seed * 37 % 160));
    Tables model;
    for (const GenLine& l : s.lines) {
      if (l.blank) {
        ++blank;
      } else if (l.verdict.accepted) {
        ++accepted;
        model.apply("o", l.verdict.record);
      } else {
        ++codes[l.verdict.code];
        if (l.verdict.field_path) fields.insert(*l.verdict.field_path);
      }
    }
    turn_rows += model.turns.size();
    session_rows += model.sessions.size();
  }
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(accepted - static_cast<int>(turn_rows), 500) << "too few turn upserts";
  EXPECT_GT(accepted - static_cast<int>(session_rows), 1000) << "too few session upserts";
  EXPECT_GT(blank, 50);
  for (const char* code : {"INVALID_JSON", "LINE_TOO_LONG", "MISSING_FIELD", "INVALID_FIELD"}) {
    EXPECT_GT(codes[code], 5) << code;
  }
  EXPECT_GE(fields.size(), 15u);
}

}  // namespace
