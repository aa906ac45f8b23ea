// Unit tests for lethe::parse_line (wire contract v1, sections 2, 3 and 5):
// the fields of a line, their exact error codes and field paths, the order
// in which problems are reported, LINE_TOO_LONG, messages and INVALID_JSON.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parse/wire.hpp"
#include "support/test_text.hpp"

namespace lethe {
namespace {

using lethe_test::escaped;

using namespace std::string_literals;

constexpr std::size_t kDefaultMaxLineBytes = 8388608;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// A JSON string literal for `s`: quotes, backslashes and C0 controls escaped,
// every other byte (DEL and multibyte UTF-8 included) written raw.
std::string js(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string repeat(std::string_view unit, std::size_t times) {
  std::string out;
  out.reserve(unit.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += unit;
  return out;
}

// RFC 3629 validation, for checking that messages stay valid UTF-8.
bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char lead = b(0);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      len = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      len = 3;
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      len = 4;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    if (b(1) < lo || b(1) > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if (b(k) < 0x80 || b(k) > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

struct Parsed {
  bool ok = false;
  TurnRecord record;
  LineError error;
};

Parsed parse(std::string_view line, std::size_t max_line_bytes = kDefaultMaxLineBytes) {
  Parsed p;
  p.ok = parse_line(line, max_line_bytes, p.record, p.error);
  return p;
}

std::string describe(const Parsed& p) {
  if (p.ok) return "accepted";
  return std::string(code_name(p.error.code)) + " field=\"" + p.error.field + "\" message=\"" +
         escaped(p.error.message, 400) + "\"";
}

std::string str(const NormalizedTime& t) { return std::string(t.data(), t.size()); }

// One line as an ordered list of members. Keys are written between quotes
// exactly as given (so they may contain escapes); values are raw JSON.
class LineBuilder {
 public:
  LineBuilder() {
    members_ = {
        {"tool", R"("claude-code")"},
        {"host", R"("laptop")"},
        {"session_id", R"("s-1")"},
        {"turn_id", R"("t-1")"},
        {"seq", "7"},
        {"role", R"("assistant")"},
        {"timestamp", R"("2025-01-31T09:15:00.250Z")"},
    };
  }

  static LineBuilder empty() {
    LineBuilder b;
    b.members_.clear();
    return b;
  }

  // Replaces every occurrence of `key` by one member at the first one's
  // place, or appends it.
  LineBuilder& set(const std::string& key, const std::string& raw) {
    bool placed = false;
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& m : members_) {
      if (m.first != key) {
        out.push_back(m);
      } else if (!placed) {
        out.emplace_back(key, raw);
        placed = true;
      }
    }
    if (!placed) out.emplace_back(key, raw);
    members_ = std::move(out);
    return *this;
  }

  // Appends a member, even when the key is already there (duplicates).
  LineBuilder& add(const std::string& key, const std::string& raw) {
    members_.emplace_back(key, raw);
    return *this;
  }

  LineBuilder& erase(const std::string& key) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& m : members_) {
      if (m.first != key) out.push_back(m);
    }
    members_ = std::move(out);
    return *this;
  }

  LineBuilder& reverse() {
    members_ = {members_.rbegin(), members_.rend()};
    return *this;
  }

  std::string str() const {
    std::string out = "{";
    for (std::size_t i = 0; i < members_.size(); ++i) {
      if (i > 0) out += ",";
      out += "\"" + members_[i].first + "\":" + members_[i].second;
    }
    return out + "}";
  }

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

const std::string kValidLine = LineBuilder().str();

// A line with a given value (or the field absent) at a field path, every
// other field valid. "session_meta.x" puts the value inside session_meta.
std::string line_for(const std::string& path, const std::optional<std::string>& raw) {
  LineBuilder b;
  const std::string prefix = "session_meta.";
  if (path.compare(0, prefix.size(), prefix) == 0) {
    const std::string sub = path.substr(prefix.size());
    b.set("session_meta", raw ? "{\"" + sub + "\":" + *raw + "}" : "{}");
  } else if (raw) {
    b.set(path, *raw);
  } else {
    b.erase(path);
  }
  return b.str();
}

// ---------------------------------------------------------------------------
// The field table of section 3: every field, its accepted values and each
// rejection with its exact code and field path.
// ---------------------------------------------------------------------------

enum class Want { Ok, Missing, Invalid };

struct FieldCase {
  std::string name;
  std::string path;
  std::optional<std::string> raw;  // nullopt: the field is absent
  Want want;
};

void PrintTo(const FieldCase& c, std::ostream* os) {
  *os << c.path << " = " << (c.raw ? escaped(*c.raw, 80) : "<absent>") << " -> "
      << (c.want == Want::Ok        ? "ok"
          : c.want == Want::Missing ? "MISSING_FIELD"
                                    : "INVALID_FIELD");
}

class FieldCases {
 public:
  std::vector<FieldCase> cases;

  void add(const std::string& path, const std::string& label, std::optional<std::string> raw,
           Want want) {
    std::string name = path + "_" + std::to_string(cases.size()) + "_" + label;
    for (char& c : name) {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum) c = '_';
    }
    cases.push_back({name, path, std::move(raw), want});
  }
  void ok(const std::string& path, const std::string& label, const std::string& raw) {
    add(path, label, raw, Want::Ok);
  }
  void invalid(const std::string& path, const std::string& label, const std::string& raw) {
    add(path, label, raw, Want::Invalid);
  }

  // Absent and null: MISSING_FIELD when required, accepted when optional.
  void presence(const std::string& path, bool required) {
    const Want want = required ? Want::Missing : Want::Ok;
    add(path, "absent", std::nullopt, want);
    add(path, "null", "null", want);
  }

  void wrong_types(const std::string& path, std::vector<std::string> raws) {
    for (const auto& raw : raws) invalid(path, "type " + raw, raw);
  }

  // tool/host/session_id/turn_id: 1..max bytes after unescaping, no control
  // characters U+0000-U+001F and U+007F.
  void name_field(const std::string& path, std::size_t max) {
    presence(path, true);
    invalid(path, "empty", js(""));
    ok(path, "one byte", js("a"));
    ok(path, "space", js(" "));
    ok(path, "ascii max", js(std::string(max, 'a')));
    invalid(path, "ascii max+1", js(std::string(max + 1, 'a')));
    // Two-byte characters: max bytes exactly, then one more byte.
    ok(path, "2-byte max", js(repeat("\xC3\xA9", max / 2)));
    invalid(path, "2-byte max+1", js(repeat("\xC3\xA9", max / 2) + "a"));
    invalid(path, "2-byte max+2", js(repeat("\xC3\xA9", max / 2 + 1)));
    // Three-byte characters padded to max bytes.
    ok(path, "3-byte max", js(repeat("\xE2\x82\xAC", max / 3) + std::string(max % 3, 'a')));
    invalid(path, "3-byte max+1",
            js(repeat("\xE2\x82\xAC", max / 3) + std::string(max % 3 + 1, 'a')));
    // Four-byte characters: a 128-byte tool of 32 emoji is 32 characters.
    ok(path, "4-byte max", js(repeat("\xF0\x9F\x98\x80", max / 4)));
    invalid(path, "4-byte max+1", js(repeat("\xF0\x9F\x98\x80", max / 4) + "a"));
    invalid(path, "4-byte max+4", js(repeat("\xF0\x9F\x98\x80", max / 4 + 1)));
    // Escapes count as the bytes they decode to, not as written.
    ok(path, "escaped ascii max", "\"" + repeat("\\u0061", max) + "\"");
    invalid(path, "escaped ascii max+1", "\"" + repeat("\\u0061", max + 1) + "\"");
    ok(path, "escaped 2-byte max", "\"" + repeat("\\u00e9", max / 2) + "\"");
    invalid(path, "escaped 2-byte max+1", "\"" + repeat("\\u00e9", max / 2) + "a\"");
    ok(path, "escaped pair max", "\"" + repeat("\\ud83d\\ude00", max / 4) + "\"");
    invalid(path, "escaped pair max+1", "\"" + repeat("\\ud83d\\ude00", max / 4) + "b\"");
    // Control characters, escaped, anywhere in the value.
    for (int c = 0; c < 0x20; ++c) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      invalid(path, "control " + std::to_string(c), "\"a" + std::string(buf) + "b\"");
    }
    invalid(path, "control uppercase hex", "\"a\\u001F\"");
    invalid(path, "escaped DEL", "\"a\\u007f\"");
    invalid(path, "escaped DEL uppercase", "\"\\u007F\"");
    invalid(path, "raw DEL",
            "\"a\x7f"
            "b\"");
    invalid(path, "raw DEL alone", "\"\x7f\"");
    invalid(path, "escape b", R"("a\bb")");
    invalid(path, "escape f", R"("a\fb")");
    invalid(path, "escape n", R"("a\nb")");
    invalid(path, "escape r", R"("a\rb")");
    invalid(path, "escape t", R"("a\tb")");
    invalid(path, "NUL only", R"("\u0000")");
    invalid(path, "control at max length", "\"" + std::string(max - 1, 'a') + "\\u0001\"");
    invalid(path, "control at start", R"("\u0001abc")");
    // Not control characters in the sense of the contract.
    ok(path, "U+0080", R"("\u0080")");
    ok(path, "U+009F raw", "\"\xC2\x9F\"");
    ok(path, "U+2028", R"("a\u2028b")");
    ok(path, "escaped quote", R"("a\"b")");
    ok(path, "escaped backslash", R"("a\\b")");
    ok(path, "escaped solidus", R"("a\/b")");
    ok(path, "unicode", "\"\xE6\x97\xA5\xE6\x9C\xAC\"");
    wrong_types(path,
                {"1", "0", "-1", "1.5", "true", "false", "[]", R"(["a"])", "{}", R"({"a":"b"})"});
  }

  // seq/tokens_in/tokens_out: an integer 0..2^63-1, no fraction, no exponent.
  void count_field(const std::string& path, bool required) {
    presence(path, required);
    ok(path, "zero", "0");
    ok(path, "one", "1");
    ok(path, "forty two", "42");
    ok(path, "2^63-2", "9223372036854775806");
    ok(path, "2^63-1", "9223372036854775807");
    invalid(path, "-1", "-1");
    invalid(path, "-2^63", "-9223372036854775808");
    invalid(path, "-2^63-1", "-9223372036854775809");
    invalid(path, "2^63", "9223372036854775808");
    invalid(path, "2^64-1", "18446744073709551615");
    invalid(path, "2^64", "18446744073709551616");
    invalid(path, "30 digits", "123456789012345678901234567890");
    invalid(path, "3.0", "3.0");
    invalid(path, "3.5", "3.5");
    invalid(path, "0.0", "0.0");
    invalid(path, "3e0", "3e0");
    invalid(path, "3E0", "3E0");
    invalid(path, "3e+0", "3e+0");
    invalid(path, "1e2", "1e2");
    invalid(path, "30e-1", "30e-1");
    invalid(path, "1e400", "1e400");
    invalid(path, "-1e400", "-1e400");
    invalid(path, "1e-400", "1e-400");
    invalid(path, "string 3", R"("3")");
    invalid(path, "string 0", R"("0")");
    wrong_types(path, {"true", "false", "[]", "[3]", "{}", R"({"a":3})", R"("")"});
  }

  // timestamp and session_meta.started_at (section 4 has its own test file).
  void time_field(const std::string& path, bool required) {
    presence(path, required);
    ok(path, "utc millis", js("2025-01-31T09:15:00.250Z"));
    ok(path, "lowercase t z", js("2025-01-31t09:15:00z"));
    ok(path, "offset", js("2025-01-31T09:15:00+01:00"));
    ok(path, "negative offset", js("2025-01-31T09:15:00-05:30"));
    ok(path, "9 fraction digits", js("2025-01-31T09:15:00.123456789Z"));
    ok(path, "escaped T", "\"2025-01-31\\u005409:15:00Z\"");
    invalid(path, "no zone", js("2025-01-31T09:15:00"));
    invalid(path, "space separator", js("2025-01-31 09:15:00Z"));
    invalid(path, "second 60", js("2016-12-31T23:59:60Z"));
    invalid(path, "hour 24", js("2025-01-31T24:00:00Z"));
    invalid(path, "feb 30", js("2025-02-30T00:00:00Z"));
    invalid(path, "10 fraction digits", js("2025-01-31T09:15:00.1234567890Z"));
    invalid(path, "empty fraction", js("2025-01-31T09:15:00.Z"));
    invalid(path, "date only", js("2025-01-31"));
    invalid(path, "empty", js(""));
    invalid(path, "words", js("yesterday"));
    invalid(path, "leading space", js(" 2025-01-31T09:15:00Z"));
    invalid(path, "trailing NUL", "\"2025-01-31T09:15:00Z\\u0000\"");
    invalid(path, "UTC year 0", js("0001-01-01T00:00:00+00:01"));
    invalid(path, "UTC year 10000", js("9999-12-31T23:59:59-00:01"));
    ok(path, "UTC year 1", js("0001-01-01T00:00:00Z"));
    ok(path, "UTC year 9999", js("9999-12-31T23:59:59.999Z"));
    wrong_types(path,
                {"1738314900", "1738314900.25", "true", "[]", R"(["2025-01-31T09:15:00Z"])", "{}"});
  }

  // model, session_meta.working_dir, session_meta.source_file: optional, at
  // most max bytes after unescaping, any characters.
  void text_field(const std::string& path, std::size_t max) {
    presence(path, false);
    ok(path, "empty", js(""));
    ok(path, "short", js("claude-opus"));
    ok(path, "ascii max", js(std::string(max, 'm')));
    invalid(path, "ascii max+1", js(std::string(max + 1, 'm')));
    ok(path, "2-byte max", js(repeat("\xC3\xA9", max / 2)));
    invalid(path, "2-byte max+1", js(repeat("\xC3\xA9", max / 2) + "m"));
    ok(path, "4-byte max", js(repeat("\xF0\x9F\x98\x80", max / 4)));
    invalid(path, "4-byte max+4", js(repeat("\xF0\x9F\x98\x80", max / 4 + 1)));
    ok(path, "escaped max", "\"" + repeat("\\u00e9", max / 2) + "\"");
    invalid(path, "escaped max+1", "\"" + repeat("\\u00e9", max / 2) + "m\"");
    // Only a length rule: control characters are allowed.
    ok(path, "control chars", R"("a\u0001\t\u007f")");
    wrong_types(path, {"1", "0", "true", "false", "[]", R"(["m"])", "{}"});
  }
};

std::vector<FieldCase> make_field_cases() {
  FieldCases t;
  t.name_field("tool", 128);
  t.name_field("host", 256);
  t.name_field("session_id", 256);
  t.name_field("turn_id", 256);

  t.count_field("seq", true);

  t.presence("role", true);
  for (const char* role : {"user", "assistant", "system", "tool"}) {
    t.ok("role", role, js(role));
  }
  t.ok("role", "escaped user", R"("\u0075ser")");
  for (const char* role : {"User", "USER", "Assistant", "SYSTEM", "Tool", "admin", "developer", "",
                           " user", "user ", "users", "assistan"}) {
    t.invalid("role", std::string("bad ") + role, js(role));
  }
  t.invalid("role", "user with NUL", R"("user\u0000")");
  t.wrong_types("role", {"1", "true", R"(["user"])", R"({"user":1})"});

  t.time_field("timestamp", true);

  t.presence("content", false);
  t.ok("content", "empty", js(""));
  t.ok("content", "text", js("hello"));
  t.ok("content", "NUL", R"("\u0000")");
  t.ok("content", "controls", R"("\u0001\u001f\u007f\b\f\n\r\t")");
  t.ok("content", "raw DEL", "\"\x7f\"");
  t.ok("content", "large", js(std::string(1 << 20, 'c')));
  t.ok("content", "pair", R"("\ud83d\ude00")");
  t.wrong_types("content", {"1", "0", "true", "false", "[]", R"(["x"])", "{}", R"({"text":"x"})"});

  t.text_field("model", 256);

  t.count_field("tokens_in", false);
  t.count_field("tokens_out", false);

  t.presence("cost_usd", false);
  for (const char* raw :
       {"0", "0.0", "-0", "-0.0", "1", "1.5", "0.000001", "1e-400", "1E2", "1e+2", "2.5e-3",
        "12345678901234567890123", "1.7976931348623157e308", "4.9e-324", "0e999999"}) {
    t.ok("cost_usd", raw, raw);
  }
  for (const char* raw : {"-0.01", "-1", "-1e-5", "-5e-324", "1e400", "-1e400", "1e309", "2e308"}) {
    t.invalid("cost_usd", raw, raw);
  }
  t.invalid("cost_usd", "string 1", R"("1")");
  t.invalid("cost_usd", "string 1.5", R"("1.5")");
  t.wrong_types("cost_usd", {"true", "false", "[]", "[1]", "{}"});

  t.presence("tool_calls", false);
  t.ok("tool_calls", "empty", "[]");
  t.ok("tool_calls", "numbers", "[1,2]");
  t.ok("tool_calls", "objects", R"([{"name":"bash","args":{"cmd":"ls"}}])");
  t.ok("tool_calls", "nested", "[[[]]]");
  t.wrong_types("tool_calls", {"{}", R"({"0":1})", R"("[]")", "1", "true", "false", R"("")"});

  t.presence("metadata", false);
  t.ok("metadata", "empty", "{}");
  t.ok("metadata", "members", R"({"b":1,"a":[{}]})");
  t.wrong_types("metadata", {"[]", "[{}]", R"("{}")", "1", "true", "false", R"("")"});

  t.presence("session_meta", false);
  t.ok("session_meta", "empty", "{}");
  t.ok("session_meta", "unknown member", R"({"x":1,"owner":"y"})");
  t.ok(
      "session_meta", "full",
      R"({"started_at":"2025-01-31T09:00:00Z","working_dir":"/w","source_file":"/f.jsonl","metadata":{"k":1}})");
  t.wrong_types("session_meta", {"[]", "[{}]", R"("{}")", "1", "true", "false"});

  t.time_field("session_meta.started_at", false);
  t.text_field("session_meta.working_dir", 4096);
  t.text_field("session_meta.source_file", 4096);

  t.presence("session_meta.metadata", false);
  t.ok("session_meta.metadata", "empty", "{}");
  t.ok("session_meta.metadata", "members", R"({"git":{"branch":"main"}})");
  t.wrong_types("session_meta.metadata", {"[]", "[{}]", R"("{}")", "1", "true", "false"});
  return t.cases;
}

class FieldTable : public ::testing::TestWithParam<FieldCase> {};

TEST_P(FieldTable, CodeAndFieldPath) {
  const FieldCase& c = GetParam();
  const std::string line = line_for(c.path, c.raw);
  const Parsed p = parse(line);
  switch (c.want) {
    case Want::Ok:
      EXPECT_TRUE(p.ok) << describe(p) << "\nline: " << escaped(line);
      break;
    case Want::Missing:
    case Want::Invalid:
      ASSERT_FALSE(p.ok) << "line: " << escaped(line);
      EXPECT_EQ(code_name(p.error.code),
                c.want == Want::Missing ? "MISSING_FIELD" : "INVALID_FIELD")
          << describe(p);
      EXPECT_EQ(p.error.field, c.path) << describe(p);
      EXPECT_FALSE(p.error.message.empty());
      EXPECT_TRUE(is_valid_utf8(p.error.message)) << describe(p);
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Section3, FieldTable, ::testing::ValuesIn(make_field_cases()),
                         [](const ::testing::TestParamInfo<FieldCase>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------
// Stored values of an accepted line.
// ---------------------------------------------------------------------------

TEST(WireRecord, MinimalLineHasOnlyRequiredFields) {
  const Parsed p = parse(kValidLine);
  ASSERT_TRUE(p.ok) << describe(p);
  const TurnRecord& r = p.record;
  EXPECT_EQ(r.tool, "claude-code");
  EXPECT_EQ(r.host, "laptop");
  EXPECT_EQ(r.session_id, "s-1");
  EXPECT_EQ(r.turn_id, "t-1");
  EXPECT_EQ(r.seq, 7);
  EXPECT_EQ(r.role, "assistant");
  EXPECT_EQ(str(r.timestamp), "2025-01-31T09:15:00.250Z");
  EXPECT_FALSE(r.content);
  EXPECT_FALSE(r.model);
  EXPECT_FALSE(r.tokens_in);
  EXPECT_FALSE(r.tokens_out);
  EXPECT_FALSE(r.cost_usd);
  EXPECT_FALSE(r.tool_calls);
  EXPECT_FALSE(r.metadata);
  EXPECT_FALSE(r.started_at);
  EXPECT_FALSE(r.working_dir);
  EXPECT_FALSE(r.source_file);
  EXPECT_FALSE(r.session_metadata);
}

TEST(WireRecord, FullLineStoresEveryField) {
  const std::string line =
      LineBuilder()
          .set("tool", R"("c\u00e9\/x")")
          .set("host", "\"h\xE6\x97\xA5\"")
          .set("session_id", R"("s\"1")")
          .set("turn_id", R"("t\\1")")
          .set("seq", "9223372036854775807")
          .set("role", R"("tool")")
          .set("timestamp", R"("2025-01-31T09:15:00.123456+01:00")")
          .set("content", R"("line1\nline2\u0000end\ud83d\ude00")")
          .set("model", R"("opus")")
          .set("tokens_in", "0")
          .set("tokens_out", "9223372036854775807")
          .set("cost_usd", "1.5")
          .set("tool_calls", R"([{"a":1.10}])")
          .set("metadata", R"({"b":2,"a":1})")
          .set("session_meta", R"({"started_at":"2025-01-30T23:00:00.999999-02:00",)"
                               R"("working_dir":"/w\u00e9","source_file":"/f",)"
                               R"("metadata":{ "k" : [1, 2] }})")
          .str();
  const Parsed p = parse(line);
  ASSERT_TRUE(p.ok) << describe(p);
  const TurnRecord& r = p.record;
  EXPECT_EQ(r.tool, "c\xC3\xA9/x");
  EXPECT_EQ(r.host, "h\xE6\x97\xA5");
  EXPECT_EQ(r.session_id, "s\"1");
  EXPECT_EQ(r.turn_id, "t\\1");
  EXPECT_EQ(r.seq, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(r.role, "tool");
  EXPECT_EQ(str(r.timestamp), "2025-01-31T08:15:00.123Z");
  EXPECT_EQ(r.content, "line1\nline2\0end\xF0\x9F\x98\x80"s);
  EXPECT_EQ(r.model, "opus");
  EXPECT_EQ(r.tokens_in, 0);
  EXPECT_EQ(r.tokens_out, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(r.cost_usd, 1.5);
  EXPECT_EQ(r.tool_calls, R"([{"a":1.10}])");
  EXPECT_EQ(r.metadata, R"({"b":2,"a":1})");
  ASSERT_TRUE(r.started_at);
  EXPECT_EQ(str(*r.started_at), "2025-01-31T01:00:00.999Z");
  EXPECT_EQ(r.working_dir, "/w\xC3\xA9");
  EXPECT_EQ(r.source_file, "/f");
  EXPECT_EQ(r.session_metadata, R"({ "k" : [1, 2] })");
}

TEST(WireRecord, NullOptionalFieldsAreAbsent) {
  const std::string line = LineBuilder()
                               .set("content", "null")
                               .set("model", "null")
                               .set("tokens_in", "null")
                               .set("tokens_out", "null")
                               .set("cost_usd", "null")
                               .set("tool_calls", "null")
                               .set("metadata", "null")
                               .set("session_meta", R"({"started_at":null,"working_dir":null,)"
                                                    R"("source_file":null,"metadata":null})")
                               .str();
  const Parsed p = parse(line);
  ASSERT_TRUE(p.ok) << describe(p);
  const TurnRecord& r = p.record;
  EXPECT_FALSE(r.content);
  EXPECT_FALSE(r.model);
  EXPECT_FALSE(r.tokens_in);
  EXPECT_FALSE(r.tokens_out);
  EXPECT_FALSE(r.cost_usd);
  EXPECT_FALSE(r.tool_calls);
  EXPECT_FALSE(r.metadata);
  EXPECT_FALSE(r.started_at);
  EXPECT_FALSE(r.working_dir);
  EXPECT_FALSE(r.source_file);
  EXPECT_FALSE(r.session_metadata);
}

TEST(WireRecord, EveryRoleStoredAsWritten) {
  for (const char* role : {"user", "assistant", "system", "tool"}) {
    const Parsed p = parse(LineBuilder().set("role", js(role)).str());
    ASSERT_TRUE(p.ok) << role << ": " << describe(p);
    EXPECT_EQ(p.record.role, role);
  }
}

TEST(WireRecord, CountsStoredExactly) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {"0", 0},
      {"1", 1},
      {"4294967296", 4294967296LL},
      {"9007199254740993", 9007199254740993LL},  // not representable as a double
      {"9223372036854775807", std::numeric_limits<std::int64_t>::max()},
  };
  for (const auto& [raw, value] : cases) {
    const Parsed p =
        parse(LineBuilder().set("seq", raw).set("tokens_in", raw).set("tokens_out", raw).str());
    ASSERT_TRUE(p.ok) << raw << ": " << describe(p);
    EXPECT_EQ(p.record.seq, value) << raw;
    EXPECT_EQ(p.record.tokens_in, value) << raw;
    EXPECT_EQ(p.record.tokens_out, value) << raw;
  }
}

TEST(WireRecord, CostStoredAsFiniteNonNegativeDouble) {
  const std::pair<const char*, double> cases[] = {
      {"0", 0.0},
      {"0.0", 0.0},
      {"1.5", 1.5},
      {"1e-400", 0.0},
      {"1E2", 100.0},
      {"2.5e-3", 0.0025},
      {"0.1", 0.1},
      {"123", 123.0},
      {"1.7976931348623157e308", 1.7976931348623157e308},
      {"4.9e-324", 4.9e-324},
  };
  for (const auto& [raw, value] : cases) {
    const Parsed p = parse(LineBuilder().set("cost_usd", raw).str());
    ASSERT_TRUE(p.ok) << raw << ": " << describe(p);
    ASSERT_TRUE(p.record.cost_usd) << raw;
    EXPECT_EQ(*p.record.cost_usd, value) << raw;
  }
}

TEST(WireRecord, ContentStoredExactly) {
  const std::pair<std::string, std::string> cases[] = {
      {R"("")", ""},
      {R"("\u0000")", "\0"s},
      {R"("a\u0000b")", "a\0b"s},
      {R"("\u0000\u0000")", "\0\0"s},
      {R"("\"\\\/\b\f\n\r\t")", "\"\\/\b\f\n\r\t"},
      {R"("\u0041\u00e9\u20ac")", "A\xC3\xA9\xE2\x82\xAC"},
      {R"("\ud83d\ude00")", "\xF0\x9F\x98\x80"},
      {R"("\uD83D\uDE00")", "\xF0\x9F\x98\x80"},
      {R"("\ud800\udc00")", "\xF0\x90\x80\x80"},
      {R"("\udbff\udfff")", "\xF4\x8F\xBF\xBF"},
      {R"("\uffff")", "\xEF\xBF\xBF"},
      {"\"\x7f\"", "\x7f"},
      {"\"\xF0\x9F\x98\x80 raw\"", "\xF0\x9F\x98\x80 raw"},
      {"\"\xF4\x8F\xBF\xBF\"", "\xF4\x8F\xBF\xBF"},
      {"\"\xED\x9F\xBF\xEE\x80\x80\"", "\xED\x9F\xBF\xEE\x80\x80"},
  };
  for (const auto& [raw, expected] : cases) {
    const Parsed p = parse(LineBuilder().set("content", raw).str());
    ASSERT_TRUE(p.ok) << escaped(raw) << ": " << describe(p);
    ASSERT_TRUE(p.record.content) << escaped(raw);
    EXPECT_EQ(*p.record.content, expected) << escaped(raw);
  }
}

TEST(WireRecord, RecordIsResetBetweenLines) {
  TurnRecord record;
  LineError error;
  const std::string full = LineBuilder()
                               .set("content", R"("x")")
                               .set("model", R"("m")")
                               .set("cost_usd", "1")
                               .set("metadata", "{}")
                               .set("session_meta", R"({"working_dir":"/w"})")
                               .str();
  ASSERT_TRUE(parse_line(full, kDefaultMaxLineBytes, record, error));
  ASSERT_TRUE(parse_line(kValidLine, kDefaultMaxLineBytes, record, error));
  EXPECT_FALSE(record.content);
  EXPECT_FALSE(record.model);
  EXPECT_FALSE(record.cost_usd);
  EXPECT_FALSE(record.metadata);
  EXPECT_FALSE(record.working_dir);
}

// ---------------------------------------------------------------------------
// JSON values stored as text keep their exact bytes (like json.RawMessage).
// ---------------------------------------------------------------------------

struct RawCase {
  const char* name;
  std::string raw;
};

TEST(WireRawJson, ExactBytesKept) {
  const RawCase arrays[] = {
      {"decimal", "[1.10]"},
      {"big integer", "[123456789012345678901234567890]"},
      {"exponents", "[1E+2,-0.0e-0,1e400,1e-400]"},
      {"inner whitespace", "[ 1 ,\t2 , { \"a\" :\t[ ] } ]"},
      {"unicode escapes", R"(["\u00e9\ud83d\ude00\/\u0000"])"},
      {"raw unicode", "[\"\xC3\xA9\xF0\x9F\x98\x80\"]"},
      {"objects in order", R"([{"z":1,"a":2,"m":{"y":1.0,"b":2.50}}])"},
      {"duplicate keys inside", R"([{"a":1,"a":2}])"},
      {"empty", "[]"},
  };
  for (const RawCase& c : arrays) {
    const Parsed p = parse(LineBuilder().set("tool_calls", c.raw).str());
    ASSERT_TRUE(p.ok) << c.name << ": " << describe(p);
    EXPECT_EQ(p.record.tool_calls, c.raw) << c.name;
  }
  const RawCase objects[] = {
      {"decimal", R"({"v":1.10})"},
      {"big integer", R"({"v":123456789012345678901234567890})"},
      {"key order", R"({"z":1,"a":2,"m":3})"},
      {"inner whitespace", "{ \"a\" :\t1 , \"b\":[ 1 , 2 ]\t}"},
      {"unicode escapes", R"({"\u0041":"\u00e9\ud83d\ude00"})"},
      {"duplicate keys inside", R"({"a":1,"a":2})"},
      {"empty", "{}"},
      {"spaces only", "{ }"},
  };
  for (const RawCase& c : objects) {
    const Parsed p = parse(LineBuilder()
                               .set("metadata", c.raw)
                               .set("session_meta", std::string(R"({"metadata":)") + c.raw + "}")
                               .str());
    ASSERT_TRUE(p.ok) << c.name << ": " << describe(p);
    EXPECT_EQ(p.record.metadata, c.raw) << c.name;
    EXPECT_EQ(p.record.session_metadata, c.raw) << c.name;
  }
}

TEST(WireRawJson, WhitespaceAroundTheValueIsNotPartOfIt) {
  const std::string line =
      "{ \"tool\" : \"t\" , \"host\":\"h\",\"session_id\":\"s\","
      "\"turn_id\":\"u\",\"seq\":1,\"role\":\"user\","
      "\"timestamp\":\"2025-01-31T09:15:00Z\","
      "\"tool_calls\" :\t [ 1 ] \t,"
      "\"metadata\"  :  { \"a\" : 1 }  ,"
      "\"session_meta\" : { \"metadata\" :  {\"b\":2}\t } }";
  const Parsed p = parse(line);
  ASSERT_TRUE(p.ok) << describe(p);
  EXPECT_EQ(p.record.tool_calls, "[ 1 ]");
  EXPECT_EQ(p.record.metadata, "{ \"a\" : 1 }");
  EXPECT_EQ(p.record.session_metadata, "{\"b\":2}");
}

// ---------------------------------------------------------------------------
// Duplicate keys (last occurrence wins), unknown keys, escaped keys.
// ---------------------------------------------------------------------------

struct DupCase {
  const char* name;
  std::vector<std::pair<std::string, std::string>> extra;  // appended members
  std::string error_field;                                 // empty: accepted
  Want want;
};

TEST(WireDuplicateKeys, LastOccurrenceWins) {
  const DupCase cases[] = {
      {"seq valid then invalid", {{"seq", "-1"}}, "seq", Want::Invalid},
      {"seq invalid then valid", {{"seq", "-1"}, {"seq", "3"}}, "", Want::Ok},
      {"tool valid then null", {{"tool", "null"}}, "tool", Want::Missing},
      {"tool null then valid", {{"tool", "null"}, {"tool", R"("x")"}}, "", Want::Ok},
      {"tool valid then number", {{"tool", "5"}}, "tool", Want::Invalid},
      {"role valid then bad", {{"role", R"("admin")"}}, "role", Want::Invalid},
      {"role bad then valid", {{"role", R"("admin")"}, {"role", R"("user")"}}, "", Want::Ok},
      {"timestamp valid then null", {{"timestamp", "null"}}, "timestamp", Want::Missing},
      {"cost valid then string",
       {{"cost_usd", "1"}, {"cost_usd", R"("1")"}},
       "cost_usd",
       Want::Invalid},
      {"cost string then valid", {{"cost_usd", R"("1")"}, {"cost_usd", "2"}}, "", Want::Ok},
      {"metadata array then object", {{"metadata", "[]"}, {"metadata", "{}"}}, "", Want::Ok},
      {"metadata object then array",
       {{"metadata", "{}"}, {"metadata", "[]"}},
       "metadata",
       Want::Invalid},
      {"session_meta bad then empty",
       {{"session_meta", R"({"started_at":"bad"})"}, {"session_meta", "{}"}},
       "",
       Want::Ok},
      {"session_meta empty then bad",
       {{"session_meta", "{}"}, {"session_meta", R"({"started_at":"bad"})"}},
       "session_meta.started_at",
       Want::Invalid},
      {"started_at bad then valid inside",
       {{"session_meta", R"({"started_at":"bad","started_at":"2025-01-31T09:00:00Z"})"}},
       "",
       Want::Ok},
      {"started_at valid then bad inside",
       {{"session_meta", R"({"started_at":"2025-01-31T09:00:00Z","started_at":"bad"})"}},
       "session_meta.started_at",
       Want::Invalid},
      {"working_dir valid then number inside",
       {{"session_meta", R"({"working_dir":"/w","working_dir":1})"}},
       "session_meta.working_dir",
       Want::Invalid},
      {"escaped key overrides plain", {{"\\u0074ool", "5"}}, "tool", Want::Invalid},
      {"plain key overrides escaped", {{"\\u0074ool", "5"}, {"tool", R"("x")"}}, "", Want::Ok},
  };
  for (const DupCase& c : cases) {
    LineBuilder b;
    for (const auto& [key, raw] : c.extra) b.add(key, raw);
    const std::string line = b.str();
    const Parsed p = parse(line);
    if (c.want == Want::Ok) {
      EXPECT_TRUE(p.ok) << c.name << ": " << describe(p) << "\nline: " << line;
      continue;
    }
    ASSERT_FALSE(p.ok) << c.name << "\nline: " << line;
    EXPECT_EQ(code_name(p.error.code), c.want == Want::Missing ? "MISSING_FIELD" : "INVALID_FIELD")
        << c.name << ": " << describe(p);
    EXPECT_EQ(p.error.field, c.error_field) << c.name << ": " << describe(p);
  }
}

TEST(WireDuplicateKeys, LastValueIsStored) {
  const std::string line = LineBuilder()
                               .add("seq", "-1")
                               .add("seq", "3")
                               .add("content", R"("first")")
                               .add("content", R"("second")")
                               .add("metadata", R"({"a":1})")
                               .add("metadata", R"({"b":2})")
                               .add("tool", R"("first")")
                               .add("\\u0074ool", R"("second")")
                               .add("session_meta", R"({"working_dir":"/a","working_dir":"/b"})")
                               .str();
  const Parsed p = parse(line);
  ASSERT_TRUE(p.ok) << describe(p);
  EXPECT_EQ(p.record.seq, 3);
  EXPECT_EQ(p.record.content, "second");
  EXPECT_EQ(p.record.metadata, R"({"b":2})");
  EXPECT_EQ(p.record.tool, "second");
  EXPECT_EQ(p.record.working_dir, "/b");
}

TEST(WireUnknownKeys, Ignored) {
  const std::vector<std::pair<std::string, std::string>> extras = {
      {"owner", R"("mallory")"},
      {"owner", "123"},
      {"owner", R"({"tenant":["x"]})"},
      {"owner", "null"},
      {"Tool", "5"},
      {"TOOL", "[]"},
      {"tool ", "1"},
      {"tool\\u0000", "1"},
      {"version", "2"},
      {"extra", R"({"deep":[[[{"x":null}]]],"n":1e400,"s":"\u0000"})"},
      {"", "0"},
      {"seq.x", "-1"},
      {"session_meta.started_at", R"("bad")"},
  };
  for (const auto& [key, raw] : extras) {
    const std::string line = LineBuilder().add(key, raw).str();
    const Parsed p = parse(line);
    EXPECT_TRUE(p.ok) << key << ": " << describe(p);
  }
  // Unknown members inside session_meta are ignored too.
  const Parsed p =
      parse(LineBuilder().set("session_meta", R"({"owner":"x","started":"bad","x":[1]})").str());
  EXPECT_TRUE(p.ok) << describe(p);
}

TEST(WireUnknownKeys, CaseAndNulMatterInKeys) {
  // A key that only resembles a field name does not provide it.
  for (const char* key : {"Tool", "TOOL", "tool ", " tool", "tool\\u0000", "tools"}) {
    const Parsed p = parse(LineBuilder().erase("tool").add(key, R"("x")").str());
    ASSERT_FALSE(p.ok) << key;
    EXPECT_EQ(code_name(p.error.code), "MISSING_FIELD") << key << ": " << describe(p);
    EXPECT_EQ(p.error.field, "tool") << key;
  }
}

TEST(WireEscapedKeys, MatchTheirDecodedName) {
  const std::string line =
      LineBuilder::empty()
          .add("\\u0074ool", R"("t")")
          .add("\\u0068\\u006F\\u0073\\u0074", R"("h")")
          .add("session\\u005fid", R"("s")")
          .add("turn_i\\u0064", R"("u")")
          .add("se\\u0071", "5")
          .add("rol\\u0065", R"("user")")
          .add("timest\\u0061mp", R"("2025-01-31T09:15:00Z")")
          .add("cont\\u0065nt", R"("c")")
          .add("\\u006dodel", R"("m")")
          .add("tokens\\u005fin", "1")
          .add("tokens\\u005fout", "2")
          .add("cost\\u005fusd", "0.5")
          .add("tool\\u005fcalls", "[]")
          .add("met\\u0061data", "{}")
          .add("session\\u005fmeta", R"({"started\u005fat":"2025-01-31T09:00:00Z",)"
                                     R"("working\u005fdir":"/w","source\u005ffile":"/f",)"
                                     R"("\u006detadata":{"x":1}})")
          .str();
  const Parsed p = parse(line);
  ASSERT_TRUE(p.ok) << describe(p);
  const TurnRecord& r = p.record;
  EXPECT_EQ(r.tool, "t");
  EXPECT_EQ(r.host, "h");
  EXPECT_EQ(r.session_id, "s");
  EXPECT_EQ(r.turn_id, "u");
  EXPECT_EQ(r.seq, 5);
  EXPECT_EQ(r.role, "user");
  EXPECT_EQ(r.content, "c");
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.tokens_in, 1);
  EXPECT_EQ(r.tokens_out, 2);
  EXPECT_EQ(r.cost_usd, 0.5);
  EXPECT_EQ(r.tool_calls, "[]");
  EXPECT_EQ(r.metadata, "{}");
  ASSERT_TRUE(r.started_at);
  EXPECT_EQ(str(*r.started_at), "2025-01-31T09:00:00.000Z");
  EXPECT_EQ(r.working_dir, "/w");
  EXPECT_EQ(r.source_file, "/f");
  EXPECT_EQ(r.session_metadata, R"({"x":1})");
}

TEST(WireEscapedKeys, EscapedKeyCanBeInvalid) {
  const Parsed p = parse(LineBuilder().erase("seq").add("se\\u0071", "3.0").str());
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(code_name(p.error.code), "INVALID_FIELD");
  EXPECT_EQ(p.error.field, "seq");
}

// ---------------------------------------------------------------------------
// First problem: fields are checked in the order of the table in section 3,
// whatever their order in the line.
// ---------------------------------------------------------------------------

struct BadField {
  std::string path;
  std::string raw;
};

const BadField kBadFieldsInTableOrder[] = {
    {"tool", "1"},
    {"host", R"("")"},
    {"session_id", R"("\u0001")"},
    {"turn_id", "[]"},
    {"seq", "-1"},
    {"role", R"("admin")"},
    {"timestamp", R"("2025-01-31")"},
    {"content", "1"},
    {"model", "true"},
    {"tokens_in", "1.5"},
    {"tokens_out", "-1"},
    {"cost_usd", "-1"},
    {"tool_calls", "{}"},
    {"metadata", "[]"},
    {"session_meta", "1"},
    {"session_meta.started_at", R"("x")"},
    {"session_meta.working_dir", "1"},
    {"session_meta.source_file", "[]"},
    {"session_meta.metadata", "[]"},
};

TEST(WireFirstProblem, TableOrderWinsOverTextOrder) {
  constexpr std::size_t n = std::size(kBadFieldsInTableOrder);
  constexpr std::size_t kSessionMeta = 14;
  ASSERT_EQ(kBadFieldsInTableOrder[kSessionMeta].path, "session_meta");
  for (std::size_t first = 0; first < n; ++first) {
    for (const bool reversed : {false, true}) {
      // Every field from `first` on is bad; the ones before it are valid.
      LineBuilder b;
      std::vector<std::string> meta_members;
      for (std::size_t i = first; i < n; ++i) {
        const BadField& f = kBadFieldsInTableOrder[i];
        if (i > kSessionMeta) {
          meta_members.push_back("\"" + f.path.substr(13) + "\":" + f.raw);
        } else if (i < kSessionMeta) {
          b.set(f.path, f.raw);
        }
      }
      if (first <= kSessionMeta) {
        b.set("session_meta", "1");
      } else {
        if (reversed) meta_members = {meta_members.rbegin(), meta_members.rend()};
        std::string meta = "{";
        for (std::size_t i = 0; i < meta_members.size(); ++i) {
          meta += (i > 0 ? "," : "") + meta_members[i];
        }
        b.set("session_meta", meta + "}");
      }
      if (reversed) b.reverse();
      const std::string line = b.str();
      const Parsed p = parse(line);
      ASSERT_FALSE(p.ok) << line;
      EXPECT_EQ(code_name(p.error.code), "INVALID_FIELD") << describe(p) << "\nline: " << line;
      EXPECT_EQ(p.error.field, kBadFieldsInTableOrder[first].path)
          << describe(p) << "\nline: " << line;
    }
  }
}

TEST(WireFirstProblem, MissingAndInvalidMixed) {
  struct Case {
    const char* name;
    LineBuilder line;
    const char* code;
    const char* field;
  };
  const Case cases[] = {
      {"bad seq and bad tool", LineBuilder().set("seq", "3.0").set("tool", "1").reverse(),
       "INVALID_FIELD", "tool"},
      {"missing role and bad cost", LineBuilder().erase("role").set("cost_usd", "-1").reverse(),
       "MISSING_FIELD", "role"},
      {"null role and bad cost", LineBuilder().set("role", "null").set("cost_usd", R"("1")"),
       "MISSING_FIELD", "role"},
      {"missing tool and bad host", LineBuilder().erase("tool").set("host", "1"), "MISSING_FIELD",
       "tool"},
      {"bad tool and missing host", LineBuilder().set("tool", "1").erase("host"), "INVALID_FIELD",
       "tool"},
      {"missing timestamp and bad content",
       LineBuilder().erase("timestamp").set("content", "1").reverse(), "MISSING_FIELD",
       "timestamp"},
      {"null seq and bad role", LineBuilder().set("seq", "null").set("role", R"("x")"),
       "MISSING_FIELD", "seq"},
      {"bad started_at and bad metadata",
       LineBuilder().set("session_meta", R"({"started_at":"x"})").set("metadata", "[]"),
       "INVALID_FIELD", "metadata"},
      {"bad session_meta.metadata and bad working_dir",
       LineBuilder().set("session_meta", R"({"metadata":1,"working_dir":2})"), "INVALID_FIELD",
       "session_meta.working_dir"},
      {"empty object", LineBuilder::empty(), "MISSING_FIELD", "tool"},
      {"owner only", LineBuilder::empty().add("owner", R"("me")"), "MISSING_FIELD", "tool"},
      {"only optional fields bad", LineBuilder::empty().add("cost_usd", "-1"), "MISSING_FIELD",
       "tool"},
  };
  for (const Case& c : cases) {
    const std::string line = c.line.str();
    const Parsed p = parse(line);
    ASSERT_FALSE(p.ok) << c.name;
    EXPECT_EQ(code_name(p.error.code), c.code) << c.name << ": " << describe(p);
    EXPECT_EQ(p.error.field, c.field) << c.name << ": " << describe(p);
  }
}

TEST(WireFirstProblem, InvalidJsonBeforeAnyField) {
  // The whole line must be JSON before any field is looked at.
  for (const std::string& line :
       {R"({"tool":1,"x":tru})"s, R"({"seq":-1,"x":01})"s, R"({"role":null,)"s, R"({"tool":1} x)"s,
        R"({"tool":1,"x":"\ud800"})"s}) {
    const Parsed p = parse(line);
    ASSERT_FALSE(p.ok) << line;
    EXPECT_EQ(code_name(p.error.code), "INVALID_JSON") << line << ": " << describe(p);
    EXPECT_EQ(p.error.field, "") << line;
  }
}

// ---------------------------------------------------------------------------
// LINE_TOO_LONG: line.size() > max_line_bytes, checked before anything else.
// ---------------------------------------------------------------------------

void expect_too_long(const std::string& line, std::size_t max) {
  const Parsed p = parse(line, max);
  ASSERT_FALSE(p.ok) << "max " << max << ": " << escaped(line);
  EXPECT_EQ(code_name(p.error.code), "LINE_TOO_LONG") << describe(p);
  EXPECT_EQ(p.error.field, "") << describe(p);
  EXPECT_FALSE(p.error.message.empty());
  EXPECT_TRUE(is_valid_utf8(p.error.message)) << describe(p);
  EXPECT_LE(p.error.message.size(), 400u) << describe(p);
}

TEST(WireLineTooLong, ExactlyMaxIsAccepted) {
  const std::string line = kValidLine;
  EXPECT_TRUE(parse(line, line.size()).ok);
  EXPECT_TRUE(parse(line, line.size() + 1).ok);
  expect_too_long(line, line.size() - 1);
  expect_too_long(line, 1);
}

TEST(WireLineTooLong, CountsBytesNotCharacters) {
  const std::string content = repeat("\xF0\x9F\x98\x80", 100);  // 100 characters, 400 bytes
  const std::string line = LineBuilder().set("content", js(content)).str();
  EXPECT_TRUE(parse(line, line.size()).ok);
  expect_too_long(line, line.size() - 1);
  expect_too_long(line, line.size() - 300);
}

TEST(WireLineTooLong, TakesPrecedenceOverOtherProblems) {
  const std::string bad_json = "{\"a\":" + std::string(500, '[');
  expect_too_long(bad_json, 100);
  expect_too_long(bad_json, bad_json.size() - 1);
  EXPECT_EQ(code_name(parse(bad_json, bad_json.size()).error.code), "INVALID_JSON");

  const std::string not_utf8 = "{\"a\":\"\xFF\xFE\"}" + std::string(100, ' ');
  expect_too_long(not_utf8, 10);
  expect_too_long("[1,2,3]", 6);
  expect_too_long("{}", 1);
  EXPECT_EQ(code_name(parse("{}", 2).error.code), "MISSING_FIELD");

  const std::string bad_fields = LineBuilder().set("tool", "1").erase("seq").str();
  expect_too_long(bad_fields, bad_fields.size() - 1);
  EXPECT_EQ(code_name(parse(bad_fields, bad_fields.size()).error.code), "INVALID_FIELD");
}

TEST(WireLineTooLong, LargeLineWithinDefaultLimit) {
  const std::string line = LineBuilder().set("content", js(std::string(1 << 22, 'x'))).str();
  const Parsed p = parse(line);
  ASSERT_TRUE(p.ok) << describe(p);
  EXPECT_EQ(p.record.content->size(), std::size_t{1} << 22);
  expect_too_long(line, 1 << 22);
}

// ---------------------------------------------------------------------------
// Messages: one sentence, valid UTF-8, quoting at most 120 bytes of the
// offending value.
// ---------------------------------------------------------------------------

constexpr std::size_t kMaxQuote = 120;
constexpr std::size_t kMaxProse = 400;  // generous bound for the sentence around the quote

// True when `message` contains more than kMaxQuote consecutive bytes of `raw`
// (checked at every start offset in the first `starts` bytes and at the end).
bool quotes_too_much(std::string_view message, std::string_view raw, std::size_t starts = 64) {
  if (raw.size() <= kMaxQuote) return false;
  const std::size_t window = kMaxQuote + 1;
  for (std::size_t s = 0; s <= raw.size() - window && s < starts; ++s) {
    if (message.find(raw.substr(s, window)) != std::string_view::npos) return true;
  }
  return message.find(raw.substr(raw.size() - window)) != std::string_view::npos;
}

TEST(WireMessages, BoundedQuoteOfLargeBadValues) {
  const std::string big_string = js(std::string(10000, 'v'));
  const std::string big_number = "1" + std::string(10000, '0');
  const std::string big_fraction = "0." + std::string(10000, '5');
  const std::string big_array = "[" + repeat("1234567,", 1250) + "0]";
  const std::string big_object = "{" + repeat("\"k\":12345,", 1000) + "\"z\":0}";
  const std::vector<BadField> cases = {
      {"tool", big_string},
      {"host", big_string},
      {"session_id", big_string},
      {"turn_id", big_string},
      {"seq", big_number},
      {"seq", big_fraction},
      {"role", big_string},
      {"timestamp", big_string},
      {"content", big_array},
      {"content", big_object},
      {"model", big_string},
      {"tokens_in", big_number},
      {"tokens_out", big_fraction},
      {"cost_usd", "-" + big_number},
      {"cost_usd", big_number},
      {"cost_usd", big_string},
      {"tool_calls", big_object},
      {"tool_calls", big_string},
      {"metadata", big_array},
      {"session_meta", big_array},
      {"session_meta.started_at", big_string},
      {"session_meta.working_dir", big_string},
      {"session_meta.source_file", big_string},
      {"session_meta.metadata", big_array},
  };
  for (const BadField& c : cases) {
    const std::string line = line_for(c.path, c.raw);
    const Parsed p = parse(line);
    ASSERT_FALSE(p.ok) << c.path;
    EXPECT_EQ(code_name(p.error.code), "INVALID_FIELD") << c.path << ": " << describe(p);
    EXPECT_EQ(p.error.field, c.path) << describe(p);
    EXPECT_LE(p.error.message.size(), kMaxQuote + kMaxProse) << c.path << ": " << describe(p);
    EXPECT_FALSE(quotes_too_much(p.error.message, c.raw)) << c.path << ": " << describe(p);
    EXPECT_EQ(p.error.message.find('\n'), std::string::npos) << describe(p);
    EXPECT_TRUE(is_valid_utf8(p.error.message)) << describe(p);
  }
}

TEST(WireMessages, CutKeepsValidUtf8ForMultibyteValues) {
  const char* units[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "a\xC3\xA9"};
  for (const char* unit : units) {
    for (std::size_t shift = 0; shift < 4; ++shift) {
      const std::string value = std::string(shift, 'a') + repeat(unit, 10000 / 4);
      const std::vector<BadField> cases = {
          {"tool", js(value)},
          {"role", js(value)},
          {"timestamp", js(value)},
          {"model", js(value)},
          {"session_meta.working_dir", js(value)},
          {"content", "[" + js(value) + "]"},
          {"metadata", "[" + js(value) + "]"},
          {"tool_calls", "{\"k\":" + js(value) + "}"},
      };
      for (const BadField& c : cases) {
        const Parsed p = parse(line_for(c.path, c.raw));
        ASSERT_FALSE(p.ok) << c.path;
        EXPECT_EQ(p.error.field, c.path) << describe(p);
        EXPECT_TRUE(is_valid_utf8(p.error.message))
            << c.path << " unit " << escaped(unit) << " shift " << shift << ": " << describe(p);
        EXPECT_LE(p.error.message.size(), kMaxQuote + kMaxProse) << describe(p);
        EXPECT_FALSE(quotes_too_much(p.error.message, c.raw)) << describe(p);
      }
    }
  }
}

TEST(WireMessages, InvalidJsonMessageIsBoundedAndValidUtf8) {
  const std::string long_multibyte = repeat("\xE2\x82\xAC", 4000);
  const std::string lines[] = {
      "{\"a\":\"" + long_multibyte,                            // unterminated string
      "{\"a\":\"" + long_multibyte + "\"} " + long_multibyte,  // trailing garbage
      "{\"a\":" + std::string(10000, '[') + "}",               // too deep
      "{\"a\":\"" + long_multibyte + "\xFF\"}",                // invalid UTF-8 after a long prefix
      "[" + js(long_multibyte) + "]",                          // not an object
  };
  for (const std::string& line : lines) {
    const Parsed p = parse(line);
    ASSERT_FALSE(p.ok);
    EXPECT_EQ(code_name(p.error.code), "INVALID_JSON") << describe(p);
    EXPECT_EQ(p.error.field, "");
    EXPECT_FALSE(p.error.message.empty());
    EXPECT_TRUE(is_valid_utf8(p.error.message)) << describe(p);
    EXPECT_LE(p.error.message.size(), kMaxQuote + kMaxProse) << describe(p);
    EXPECT_FALSE(quotes_too_much(p.error.message, line)) << describe(p);
  }
}

TEST(WireMessages, MissingFieldMessageNamesTheField) {
  for (const char* field : {"tool", "host", "session_id", "turn_id", "seq", "role", "timestamp"}) {
    for (const bool null : {false, true}) {
      LineBuilder b;
      if (null) {
        b.set(field, "null");
      } else {
        b.erase(field);
      }
      const Parsed p = parse(b.str());
      ASSERT_FALSE(p.ok);
      EXPECT_EQ(code_name(p.error.code), "MISSING_FIELD");
      EXPECT_EQ(p.error.field, field);
      EXPECT_NE(p.error.message.find(field), std::string::npos) << describe(p);
    }
  }
}

// ---------------------------------------------------------------------------
// INVALID_JSON (section 2).
// ---------------------------------------------------------------------------

void expect_invalid_json(const std::string& line, const std::string& what) {
  const Parsed p = parse(line);
  ASSERT_FALSE(p.ok) << what << "\nline: " << escaped(line);
  EXPECT_EQ(code_name(p.error.code), "INVALID_JSON")
      << what << ": " << describe(p) << "\nline: " << escaped(line);
  EXPECT_EQ(p.error.field, "") << what;
  EXPECT_FALSE(p.error.message.empty()) << what;
  EXPECT_TRUE(is_valid_utf8(p.error.message)) << what << ": " << describe(p);
}

// The valid line without its closing brace, so that members can be appended.
std::string open_line() { return kValidLine.substr(0, kValidLine.size() - 1); }

TEST(WireInvalidJson, GrammarTable) {
  const std::string v = kValidLine;
  const std::string o = open_line();
  const std::pair<const char*, std::string> cases[] = {
      // Not an object.
      {"array", "[]"},
      {"array of the object", "[" + v + "]"},
      {"string", R"("tool")"},
      {"number", "1"},
      {"negative number", "-1"},
      {"null", "null"},
      {"true", "true"},
      {"false", "false"},
      {"spaces then array", "  [1]"},
      // Structure.
      {"trailing garbage", v + "x"},
      {"trailing second object", v + v},
      {"trailing second object with space", v + " {}"},
      {"trailing comma after object", v + ","},
      {"trailing comma in object", o + ",}"},
      {"trailing comma in array", o + R"(,"x":[1,]})"},
      {"leading comma in array", o + R"(,"x":[,1]})"},
      {"double comma", o + R"(,,"x":1})"},
      {"missing colon", o + R"(,"x" 1})"},
      {"missing value", o + R"(,"x":})"},
      {"missing comma", o + R"( "x":1})"},
      {"unquoted key", o + R"(,x:1})"},
      {"number key", o + R"(,1:1})"},
      {"single quoted key", o + R"(,'x':1})"},
      {"single quoted value", o + R"(,"x":'y'})"},
      {"unclosed object", o},
      {"unclosed nested object", o + R"(,"x":{"y":1})"},
      {"unclosed array", o + R"(,"x":[1})"},
      {"unclosed string", o + R"(,"x":"abc})"},
      {"mismatched brackets", o + R"(,"x":[1}})"},
      {"lone closing brace", "}"},
      {"just open brace", "{"},
      {"comment block", o + R"(,/*c*/"x":1})"},
      {"comment line", v + "//c"},
      // Literals and numbers.
      {"NaN", o + R"(,"x":NaN})"},
      {"Infinity", o + R"(,"x":Infinity})"},
      {"-Infinity", o + R"(,"x":-Infinity})"},
      {"True", o + R"(,"x":True})"},
      {"tru", o + R"(,"x":tru})"},
      {"nul", o + R"(,"x":nul})"},
      {"nulls", o + R"(,"x":nulls})"},
      {"undefined", o + R"(,"x":undefined})"},
      {"leading zero", o + R"(,"x":01})"},
      {"negative leading zero", o + R"(,"x":-01})"},
      {"leading zeros in seq", LineBuilder().set("seq", "007").str()},
      {"leading plus", o + R"(,"x":+1})"},
      {"bare minus", o + R"(,"x":-})"},
      {"trailing dot", o + R"(,"x":1.})"},
      {"leading dot", o + R"(,"x":.5})"},
      {"exponent without digits", o + R"(,"x":1e})"},
      {"exponent sign without digits", o + R"(,"x":1e+})"},
      {"hex", o + R"(,"x":0x10})"},
      {"minus space", o + R"(,"x":- 1})"},
      {"two numbers", o + R"(,"x":1 2})"},
      // Strings.
      {"bad escape", o + R"(,"x":"\x41"})"},
      {"escaped quote char", o + R"(,"x":"\'"})"},
      {"uppercase U escape", o + R"(,"x":"\U0041"})"},
      {"short unicode escape", o + R"(,"x":"\u41"})"},
      {"bad hex", o + R"(,"x":"\u12G4"})"},
      {"escape at end", o + R"(,"x":"\)"},
      {"raw tab in string", o + ",\"x\":\"a\tb\"}"},
      {"raw CR in string", o + ",\"x\":\"a\rb\"}"},
      {"raw 0x01 in string", o + ",\"x\":\"a\x01"
                                 "b\"}"},
      {"raw 0x1f in string", o + ",\"x\":\"a\x1f\"}"},
      {"raw control in content", LineBuilder().set("content", "\"a\x02\"").str()},
      {"raw control in key", o + ",\"a\x03\":1}"},
      {"raw NUL in string", o + ",\"x\":\"a" + "\0"s + "b\"}"},
      {"raw NUL in content", LineBuilder().set("content", "\"a\0b\""s).str()},
      {"raw NUL outside", o + "," + "\0"s + "\"x\":1}"},
      {"raw NUL after object", v + "\0"s},
      {"raw NUL before object", "\0"s + v},
      // Whitespace other than RFC 8259's four.
      {"vertical tab", "\v" + v},
      {"form feed", o + ",\f\"x\":1}"},
      {"no-break space", "\xC2\xA0" + v},
      {"BOM inside line", "\xEF\xBB\xBF" + v},
  };
  for (const auto& [name, line] : cases) expect_invalid_json(line, name);
}

TEST(WireInvalidJson, WhitespaceAroundTheObjectIsAllowed) {
  for (const std::string& line : {" " + kValidLine, "\t" + kValidLine + "\t ", kValidLine + "\r",
                                  "\r" + kValidLine, "{ \t\r" + kValidLine.substr(1)}) {
    const Parsed p = parse(line);
    EXPECT_TRUE(p.ok) << escaped(line) << ": " << describe(p);
  }
}

struct ByteSeq {
  const char* name;
  std::string bytes;
};

// Invalid UTF-8 (RFC 3629): rejected in every position of the line.
const ByteSeq kInvalidUtf8[] = {
    {"overlong C0 80", "\xC0\x80"},
    {"overlong C1 BF", "\xC1\xBF"},
    {"overlong E0 80 80", "\xE0\x80\x80"},
    {"overlong E0 9F BF", "\xE0\x9F\xBF"},
    {"overlong F0 80 80 80", "\xF0\x80\x80\x80"},
    {"overlong F0 8F BF BF", "\xF0\x8F\xBF\xBF"},
    {"surrogate ED A0 80", "\xED\xA0\x80"},
    {"surrogate ED BF BF", "\xED\xBF\xBF"},
    {"surrogate pair as UTF-8", "\xED\xA0\xBD\xED\xB8\x80"},
    {"above U+10FFFF F4 90", "\xF4\x90\x80\x80"},
    {"F5 lead", "\xF5\x80\x80\x80"},
    {"F8 lead", "\xF8\x88\x80\x80\x80"},
    {"FE", "\xFE"},
    {"FF", "\xFF"},
    {"lone continuation 80", "\x80"},
    {"lone continuation BF", "\xBF"},
    {"truncated 2-byte", "\xC3"},
    {"truncated 3-byte", "\xE2\x82"},
    {"truncated 4-byte", "\xF0\x9F\x98"},
    {"2-byte then ASCII",
     "\xC3"
     "A"},
    {"3-byte bad second", "\xE2\x28\xA1"},
    {"3-byte bad third", "\xE2\x82\x28"},
    {"4-byte bad fourth", "\xF0\x9F\x98\x28"},
    {"latin-1 e acute", "caf\xE9"},
};

TEST(WireInvalidJson, InvalidUtf8Everywhere) {
  const std::string o = open_line();
  for (const ByteSeq& s : kInvalidUtf8) {
    const std::string b = s.bytes;
    const std::string n = s.name;
    expect_invalid_json(o + R"(,"x":"a)" + b + R"(b"})", n + " in unknown value");
    expect_invalid_json(o + R"(,"x":")" + b + R"("})", n + " alone in a string");
    expect_invalid_json(LineBuilder().set("content", "\"" + b + "\"").str(), n + " in content");
    expect_invalid_json(LineBuilder().set("tool", "\"t" + b + "\"").str(), n + " in tool");
    expect_invalid_json(LineBuilder().set("metadata", "{\"k\":\"" + b + "\"}").str(),
                        n + " in metadata");
    expect_invalid_json(o + ",\"k" + b + "\":1}", n + " in a key");
    expect_invalid_json(o + ",\"x\":" + b + "}", n + " as a value");
    expect_invalid_json(o + "," + b + "}", n + " between members");
    expect_invalid_json(kValidLine + b, n + " after the object");
    expect_invalid_json(b + kValidLine, n + " before the object");
  }
}

TEST(WireInvalidJson, ValidUtf8BoundariesAccepted) {
  const ByteSeq valid[] = {
      {"U+0080", "\xC2\x80"},     {"U+07FF", "\xDF\xBF"},          {"U+0800", "\xE0\xA0\x80"},
      {"U+D7FF", "\xED\x9F\xBF"}, {"U+E000", "\xEE\x80\x80"},      {"U+FFFD", "\xEF\xBF\xBD"},
      {"U+FFFF", "\xEF\xBF\xBF"}, {"U+10000", "\xF0\x90\x80\x80"}, {"U+10FFFF", "\xF4\x8F\xBF\xBF"},
  };
  for (const ByteSeq& s : valid) {
    const Parsed p = parse(LineBuilder()
                               .set("content", "\"" + s.bytes + "\"")
                               .add("k" + s.bytes, "\"" + s.bytes + "\"")
                               .str());
    ASSERT_TRUE(p.ok) << s.name << ": " << describe(p);
    EXPECT_EQ(p.record.content, s.bytes) << s.name;
  }
}

TEST(WireInvalidJson, LoneSurrogateEscapes) {
  const char* escapes[] = {
      R"(\ud800)",       R"(\uDBFF)",       R"(\udc00)",        R"(\uDFFF)",
      R"(\ud800\u0041)", R"(\ud800x)",      R"(\ud800\ud800)",  R"(\ude00\ud83d)",
      R"(\ud83d\n)",     R"(\udbff\ue000)", R"(\ud800\udbff)",  R"(a\udc00b)",
      R"(\ud83d\u)",     R"(\ud83d\ude0)",  R"(\ud83d\\ude00)", R"(\ud83d \ude00)",
  };
  const std::string o = open_line();
  for (const char* e : escapes) {
    const std::string s = e;
    expect_invalid_json(LineBuilder().set("content", "\"" + s + "\"").str(), s + " in content");
    expect_invalid_json(LineBuilder().set("tool", "\"" + s + "\"").str(), s + " in tool");
    expect_invalid_json(o + ",\"x\":\"" + s + "\"}", s + " in unknown value");
    expect_invalid_json(o + ",\"" + s + "\":1}", s + " in a key");
    expect_invalid_json(LineBuilder().set("metadata", "{\"k\":[\"" + s + "\"]}").str(),
                        s + " in metadata");
    expect_invalid_json(LineBuilder().set("session_meta", "{\"metadata\":{\"" + s + "\":1}}").str(),
                        s + " in session_meta.metadata key");
  }
}

TEST(WireInvalidJson, SurrogatePairsDecodedToFourBytes) {
  const std::pair<const char*, std::string> pairs[] = {
      {R"(\ud83d\ude00)", "\xF0\x9F\x98\x80"},
      {R"(\uD83D\uDE00)", "\xF0\x9F\x98\x80"},
      {R"(\ud800\udc00)", "\xF0\x90\x80\x80"},
      {R"(\udbff\udfff)", "\xF4\x8F\xBF\xBF"},
      {R"(a\ud83d\ude00b)",
       "a\xF0\x9F\x98\x80"
       "b"},
      {R"(\ud83d\ude00\ud83d\ude01)", "\xF0\x9F\x98\x80\xF0\x9F\x98\x81"},
  };
  for (const auto& [escape, bytes] : pairs) {
    const Parsed p = parse(LineBuilder()
                               .set("content", std::string("\"") + escape + "\"")
                               .set("tool", std::string("\"") + escape + "\"")
                               .str());
    ASSERT_TRUE(p.ok) << escape << ": " << describe(p);
    EXPECT_EQ(p.record.content, bytes) << escape;
    EXPECT_EQ(p.record.tool, bytes) << escape;
  }
}

// Containers nested `depth` levels: [[...]] or {"a":{"a":...1}}.
std::string nested(std::size_t depth, bool objects) {
  if (objects) return repeat("{\"a\":", depth) + "1" + std::string(depth, '}');
  return std::string(depth, '[') + std::string(depth, ']');
}

// Alternating arrays and objects.
std::string nested_mixed(std::size_t depth) {
  std::string open, close;
  for (std::size_t i = 0; i < depth; ++i) {
    if (i % 2 == 0) {
      open += "[";
      close = "]" + close;
    } else {
      open += "{\"k\":";
      close = "}" + close;
    }
  }
  // A bottom that closes an array or an object correctly.
  return open + (depth % 2 == 1 ? "" : "0") + close;
}

TEST(WireInvalidJson, NestingLimitIs64IncludingTheLine) {
  for (const bool objects : {false, true}) {
    // The line's own object is level 1: a value nested 63 deep makes 64.
    const std::string ok = LineBuilder().add("x", nested(63, objects)).str();
    const Parsed p = parse(ok);
    EXPECT_TRUE(p.ok) << "objects=" << objects << ": " << describe(p);
    expect_invalid_json(LineBuilder().add("x", nested(64, objects)).str(),
                        std::string("65 levels, objects=") + (objects ? "1" : "0"));
  }
  EXPECT_TRUE(parse(LineBuilder().add("x", nested_mixed(63)).str()).ok);
  EXPECT_TRUE(parse(LineBuilder().add("x", nested_mixed(62)).str()).ok);
  expect_invalid_json(LineBuilder().add("x", nested_mixed(64)).str(), "mixed 65");
  expect_invalid_json(LineBuilder().add("x", nested_mixed(65)).str(), "mixed 66");
}

TEST(WireInvalidJson, NestingLimitInStoredFields) {
  // tool_calls and metadata are at level 2; session_meta.metadata at level 3.
  const std::string calls = nested(63, false);
  const std::string meta = nested(63, true);
  const std::string smeta = nested(62, true);
  const Parsed p = parse(LineBuilder()
                             .set("tool_calls", calls)
                             .set("metadata", meta)
                             .set("session_meta", "{\"metadata\":" + smeta + "}")
                             .str());
  ASSERT_TRUE(p.ok) << describe(p);
  EXPECT_EQ(p.record.tool_calls, calls);
  EXPECT_EQ(p.record.metadata, meta);
  EXPECT_EQ(p.record.session_metadata, smeta);

  expect_invalid_json(LineBuilder().set("tool_calls", nested(64, false)).str(), "tool_calls 65");
  expect_invalid_json(LineBuilder().set("metadata", nested(64, true)).str(), "metadata 65");
  expect_invalid_json(
      LineBuilder().set("session_meta", "{\"metadata\":" + nested(63, true) + "}").str(),
      "session_meta.metadata 65");
}

TEST(WireInvalidJson, VeryDeepNestingRejectedWithoutCrashing) {
  const std::size_t deep = 100000;
  const std::string o = open_line();
  expect_invalid_json(o + ",\"x\":" + std::string(deep, '[') + "}", "unterminated [[[");
  expect_invalid_json(o + ",\"x\":" + std::string(deep, '[') + std::string(deep, ']') + "}",
                      "balanced [[[ ]]]");
  expect_invalid_json(o + ",\"x\":" + repeat("{\"a\":", deep) + "1" + std::string(deep, '}') + "}",
                      "balanced {{{ }}}");
  expect_invalid_json(o + ",\"x\":" + repeat("[{\"a\":", deep / 2), "unterminated mixed");
  expect_invalid_json(std::string(deep, '['), "top-level [[[");
  expect_invalid_json(repeat("{\"a\":", deep), "top-level {{{");
  expect_invalid_json(LineBuilder().set("metadata", repeat("{\"a\":", deep)).str(),
                      "deep metadata");
}

// ---------------------------------------------------------------------------
// code_name: the stable codes of section 5.
// ---------------------------------------------------------------------------

TEST(WireCodes, StableNames) {
  EXPECT_EQ(code_name(ErrorCode::InvalidJson), "INVALID_JSON");
  EXPECT_EQ(code_name(ErrorCode::LineTooLong), "LINE_TOO_LONG");
  EXPECT_EQ(code_name(ErrorCode::MissingField), "MISSING_FIELD");
  EXPECT_EQ(code_name(ErrorCode::InvalidField), "INVALID_FIELD");
  EXPECT_EQ(code_name(ErrorCode::DbForeignKey), "DB_FOREIGN_KEY");
  EXPECT_EQ(code_name(ErrorCode::DbConstraint), "DB_CONSTRAINT");
  EXPECT_EQ(code_name(ErrorCode::DbUpsert), "DB_UPSERT");
}

// ---------------------------------------------------------------------------
// Messages as a new user sees them (issue 8 item 11).
// ---------------------------------------------------------------------------

// A file's name passed where its contents belong gets a message that quotes
// the value and suggests readfile(), instead of "not a JSON object at byte 0".
TEST(WireMessages, FilePathInsteadOfContentsSuggestsReadfile) {
  const std::pair<std::string, std::string> cases[] = {
      {"transcripts.ndjson", "readfile('transcripts.ndjson')"},
      {"/home/ana/x.jsonl", "readfile('/home/ana/x.jsonl')"},
      {"./batch.json", "readfile('./batch.json')"},
      {"../in/Batch.NDJSON", "readfile('../in/Batch.NDJSON')"},
      {"~/logs/today.log", "readfile('~/logs/today.log')"},
      {"C:\\Users\\ana\\x.jsonl", "readfile('C:\\Users\\ana\\x.jsonl')"},
      {"/home/ana/My Files/x", "readfile('/home/ana/My Files/x')"},
      {"notes.txt  ", "readfile('notes.txt  ')"},
      {"/tmp/ana's.ndjson", "readfile('/tmp/ana''s.ndjson')"},
  };
  for (const auto& [line, suggestion] : cases) {
    const Parsed p = parse(line);
    ASSERT_FALSE(p.ok) << line;
    EXPECT_EQ(code_name(p.error.code), "INVALID_JSON") << describe(p);
    EXPECT_EQ(p.error.field, "");
    EXPECT_NE(p.error.message.find("looks like a file path"), std::string::npos) << describe(p);
    EXPECT_NE(p.error.message.find(suggestion), std::string::npos) << describe(p);
    EXPECT_EQ(p.error.message.find("at byte"), std::string::npos) << describe(p);
  }
  // A long path is quoted at most 120 bytes.
  const std::string long_path = "/" + std::string(300, 'd') + "/x.jsonl";
  const Parsed p = parse(long_path);
  EXPECT_NE(p.error.message.find("looks like a file path"), std::string::npos) << describe(p);
  EXPECT_LE(p.error.message.size(), kMaxQuote + kMaxProse) << describe(p);
  EXPECT_FALSE(quotes_too_much(p.error.message, long_path)) << describe(p);
}

// The rule is narrow: other text that is not JSON keeps the scanner's message.
TEST(WireMessages, TextThatIsNotAPathKeepsTheJsonMessage) {
  const std::string cases[] = {
      "hello world",       "true",          "42",         "[\"/a.json\"]", "{/a.json",
      "see notes.txt now", "\"/a.ndjson\"", "x.ndjson{}", "data.csv",      "readme",
      "/tmp/\xFF.jsonl",  // not UTF-8: the message may not quote it
  };
  for (const std::string& line : cases) {
    const Parsed p = parse(line);
    ASSERT_FALSE(p.ok) << line;
    EXPECT_EQ(code_name(p.error.code), "INVALID_JSON") << describe(p);
    EXPECT_EQ(p.error.message.find("file path"), std::string::npos) << line << ": " << describe(p);
    EXPECT_NE(p.error.message.find("at byte"), std::string::npos) << line << ": " << describe(p);
  }
}

// A time that does not exist is reported as such, with the value quoted.
TEST(WireMessages, ImpossibleDateIsNotReportedAsAMissingTimeZone) {
  const Parsed p = parse(LineBuilder().set("timestamp", R"("2026-02-30T10:00:00Z")").str());
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(code_name(p.error.code), "INVALID_FIELD");
  EXPECT_EQ(p.error.field, "timestamp");
  EXPECT_EQ(p.error.message,
            "timestamp names a date that does not exist: February 2026 has 28 days, got "
            "\"2026-02-30T10:00:00Z\"");
  const Parsed started =
      parse(LineBuilder().set("session_meta", R"({"started_at":"2026-03-01T24:00:00Z"})").str());
  ASSERT_FALSE(started.ok);
  EXPECT_EQ(started.error.field, "session_meta.started_at");
  EXPECT_NE(started.error.message.find("time that does not exist"), std::string::npos)
      << describe(started);
  const Parsed no_zone = parse(LineBuilder().set("timestamp", R"("2026-03-01T10:00:00")").str());
  EXPECT_NE(no_zone.error.message.find("has no time zone"), std::string::npos) << describe(no_zone);
}

}  // namespace
}  // namespace lethe
