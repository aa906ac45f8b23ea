// Unit tests for lethe::json::scan_object and lethe::json::decode_string.
//
// The core is a differential test against nlohmann::json::accept, which is a
// strict RFC 8259 parser: for thousands of random and mutated texts (fixed
// seed), scan_object must accept exactly when nlohmann accepts AND the value
// is an object AND it is nested at most 64 levels (contract section 2).
//
// Where nlohmann differs from RFC 8259 the oracle corrects it (checked by the
// OracleQuirks test below):
//  - nlohmann skips a UTF-8 byte-order mark at the start of its input; for a
//    line that is framing's job, so the scanner must reject it;
//  - nlohmann treats a raw NUL byte as the end of input, so `{}\0garbage` is
//    accepted; a raw NUL is never valid JSON;
//  - nlohmann refuses a number that overflows a double (`1e400`, "number
//    overflow"), which RFC 8259's grammar allows; see neutralize_overflow.
// nlohmann itself rejects escaped lone surrogates ("\ud800", "\udc00"), as
// the contract does, and it validates UTF-8 per RFC 3629.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"
#include "parse/json_scan.hpp"
#include "support/test_text.hpp"

namespace lethe::json {
namespace {

using lethe_test::escaped;
using lethe_test::json_depth;

using namespace std::string_literals;
using nlohmann::json;

struct Member {
  std::string key;
  Value value;
};

struct ScanResult {
  bool ok = false;
  std::vector<Member> members;
  ScanError error;
};

ScanResult scan(std::string_view text) {
  ScanResult r;
  r.ok = scan_object(
      text,
      [&](std::string_view key, const Value& v) {
        r.members.push_back({std::string(key), v});
      },
      r.error);
  return r;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// nlohmann rejects a number whose value overflows a double ("1e400"), which
// RFC 8259 allows and the contract keeps byte for byte. For the oracle, every
// such number that stands as a whole value (between a separator and a
// terminator, outside strings) is replaced by "0" padded with spaces. This
// never changes whether the text is valid JSON.
std::string neutralize_overflow(std::string text) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && !is_digit(c)) continue;
    const char before = i == 0 ? ' ' : text[i - 1];
    // Scan -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? greedily.
    std::size_t j = i;
    if (text[j] == '-') ++j;
    if (j >= text.size() || !is_digit(text[j])) continue;
    if (text[j] == '0') {
      ++j;
    } else {
      while (j < text.size() && is_digit(text[j])) ++j;
    }
    if (j + 1 < text.size() && text[j] == '.' && is_digit(text[j + 1])) {
      j += 2;
      while (j < text.size() && is_digit(text[j])) ++j;
    }
    if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
      std::size_t k = j + 1;
      if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
      if (k < text.size() && is_digit(text[k])) {
        while (k < text.size() && is_digit(text[k])) ++k;
        j = k;
      }
    }
    const char after = j == text.size() ? ' ' : text[j];
    const bool whole_value =
        std::string_view(":[, \t\r\n").find(before) != std::string_view::npos &&
        std::string_view(",]} \t\r\n").find(after) != std::string_view::npos;
    if (whole_value && std::isinf(std::strtod(text.substr(i, j - i).c_str(), nullptr))) {
      text.replace(i, j - i, "0" + std::string(j - i - 1, ' '));
    }
    i = j - 1;
  }
  return text;
}

// The contract's acceptance, computed with nlohmann as the RFC 8259 oracle.
bool oracle_accepts(const std::string& text) {
  if (text.find('\0') != std::string::npos) return false;     // nlohmann: NUL ends input
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) return false;  // nlohmann skips a BOM
  if (!json::accept(neutralize_overflow(text))) return false;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{') return false;
  return json_depth(text) <= kMaxDepth;
}

TEST(OracleQuirks, NlohmannBehavesAsTheOracleAssumes) {
  // Quirks the oracle corrects.
  EXPECT_TRUE(json::accept("{}\0xyz"s));
  EXPECT_TRUE(json::accept("\xEF\xBB\xBF{}"s));
  // Strictness the oracle relies on.
  EXPECT_FALSE(json::accept(R"({"a":"\ud800"})"s));
  EXPECT_FALSE(json::accept(R"({"a":"\udc00"})"s));
  EXPECT_FALSE(json::accept(R"({"a":"\ud800\u0041"})"s));
  EXPECT_TRUE(json::accept(R"({"a":"\ud83d\ude00"})"s));
  EXPECT_FALSE(json::accept("{\"a\":\"\xC0\x80\"}"s));
  EXPECT_FALSE(json::accept("{\"a\":\"\xED\xA0\x80\"}"s));
  EXPECT_FALSE(json::accept("{\"a\":\"\xF5\x80\x80\x80\"}"s));
  EXPECT_FALSE(json::accept("{\"a\":\"\0\"}"s));
  EXPECT_FALSE(json::accept("{\"a\":01}"s));
  EXPECT_FALSE(json::accept("{\"a\":1,}"s));
  EXPECT_FALSE(json::accept("{} x"s));
  EXPECT_FALSE(json::accept("{/**/}"s));
  EXPECT_FALSE(json::accept("{\"a\":NaN}"s));
  EXPECT_TRUE(json::accept(std::string(1000, '[') + std::string(1000, ']')));
  EXPECT_FALSE(json::accept("[1e400]"s));  // "number overflow": corrected below
  EXPECT_TRUE(json::accept("[1e-400]"s));
  // The oracle itself.
  EXPECT_FALSE(oracle_accepts("{}\0xyz"s));
  EXPECT_FALSE(oracle_accepts("\xEF\xBB\xBF{}"s));
  EXPECT_FALSE(oracle_accepts("[]"));
  EXPECT_TRUE(oracle_accepts(" {} "));
  EXPECT_TRUE(oracle_accepts(R"({"a":1e400,"b":[-1E+999],"c":"1e400"})"));
  EXPECT_FALSE(oracle_accepts(R"({"a":01e400})"));
  EXPECT_FALSE(oracle_accepts(R"({"a":1e400.5})"));
  EXPECT_TRUE(oracle_accepts(R"({"a":"\u1e400"})"));  // an escape, not a number
  EXPECT_EQ(neutralize_overflow(R"({"a":1e400,"b":"1e400"})"), R"({"a":0    ,"b":"1e400"})");
  EXPECT_EQ(json_depth(R"({"a":"[[[{{","b":[{}]})"), 3);
  EXPECT_EQ(json_depth(R"({"a\"[":1})"), 1);
}

// ---------------------------------------------------------------------------
// Random JSON generation and mutation.
// ---------------------------------------------------------------------------

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  std::uint32_t pick(std::uint32_t n) { return static_cast<std::uint32_t>(rng_() % n); }
  bool chance(std::uint32_t percent) { return pick(100) < percent; }

  std::string ws() {
    static const char* kWs[] = {"", "", "", " ", "\t", "\r", "\n", "  ", " \r\n\t"};
    return kWs[pick(std::size(kWs))];
  }

  std::string number() {
    static const char* kNumbers[] = {"0",
                                     "-0",
                                     "1",
                                     "-1",
                                     "42",
                                     "1.5",
                                     "-0.25",
                                     "1e5",
                                     "1E5",
                                     "1e+5",
                                     "1e-5",
                                     "0.0e0",
                                     "1.10",
                                     "1e400",
                                     "-1e400",
                                     "1e-400",
                                     "123456789012345678901234567890",
                                     "9223372036854775807",
                                     "18446744073709551616",
                                     "3.0",
                                     "0.5E-3"};
    if (chance(70)) return kNumbers[pick(std::size(kNumbers))];
    std::string n = chance(30) ? "-" : "";
    n += chance(20) ? "0" : std::to_string(1 + pick(100000));
    if (chance(30)) n += "." + std::to_string(pick(1000));
    if (chance(20))
      n += std::string(chance(50) ? "e" : "E") + (chance(50) ? "-" : "+") +
           std::to_string(pick(400));
    return n;
  }

  void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // A random Unicode scalar value (never a surrogate), biased to edges.
  std::uint32_t code_point() {
    static const std::uint32_t kEdges[] = {0x00,   0x01,   0x1F,   0x20,    0x22,    0x2F,
                                           0x5C,   0x7F,   0x80,   0x7FF,   0x800,   0xD7FF,
                                           0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF};
    if (chance(30)) return kEdges[pick(std::size(kEdges))];
    switch (pick(4)) {
      case 0:
        return 0x20 + pick(0x5F);
      case 1:
        return 0x80 + pick(0x780);
      case 2: {
        const std::uint32_t cp = 0x800 + pick(0xF800);
        return (cp >= 0xD800 && cp <= 0xDFFF) ? cp + 0x800 : cp;
      }
      default:
        return 0x10000 + pick(0x100000);
    }
  }

  // A JSON string literal, mixing raw UTF-8 and every escape form.
  std::string string_literal() {
    std::string out = "\"";
    const std::uint32_t length = pick(8);
    for (std::uint32_t i = 0; i < length; ++i) {
      const std::uint32_t cp = code_point();
      const bool must_escape = cp < 0x20 || cp == '"' || cp == '\\';
      if (!must_escape && chance(60)) {
        append_utf8(out, cp);
        continue;
      }
      if (chance(30)) {
        switch (cp) {
          case '"':
            out += "\\\"";
            continue;
          case '\\':
            out += "\\\\";
            continue;
          case '/':
            out += "\\/";
            continue;
          case '\b':
            out += "\\b";
            continue;
          case '\f':
            out += "\\f";
            continue;
          case '\n':
            out += "\\n";
            continue;
          case '\r':
            out += "\\r";
            continue;
          case '\t':
            out += "\\t";
            continue;
          default:
            break;
        }
      }
      out += u_escape(cp, chance(50));
    }
    return out + "\"";
  }

  std::string u_escape(std::uint32_t cp, bool upper) {
    char buf[16];
    const char* format = upper ? "\\u%04X" : "\\u%04x";
    if (cp < 0x10000) {
      std::snprintf(buf, sizeof buf, format, static_cast<unsigned>(cp));
      return buf;
    }
    const std::uint32_t v = cp - 0x10000;
    std::string out;
    std::snprintf(buf, sizeof buf, format, static_cast<unsigned>(0xD800 + (v >> 10)));
    out += buf;
    std::snprintf(buf, sizeof buf, format, static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
    return out + buf;
  }

  std::string value(int depth, int max_depth) {
    const std::uint32_t kind = depth >= max_depth ? pick(5) : pick(8);
    switch (kind) {
      case 0:
        return "null";
      case 1:
        return chance(50) ? "true" : "false";
      case 2:
        return number();
      case 3:
      case 4:
        return string_literal();
      case 5:
      case 6:
        return object(depth + 1, max_depth);
      default:
        return array(depth + 1, max_depth);
    }
  }

  std::string object(int depth, int max_depth) {
    std::string out = "{" + ws();
    const std::uint32_t n = pick(depth == 1 ? 6 : 4);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (i > 0) out += "," + ws();
      out += (chance(20) ? string_literal() : "\"k" + std::to_string(pick(4)) + "\"") + ws() + ":" +
             ws() + value(depth, max_depth) + ws();
    }
    return out + "}";
  }

  std::string array(int depth, int max_depth) {
    std::string out = "[" + ws();
    const std::uint32_t n = pick(4);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (i > 0) out += "," + ws();
      out += value(depth, max_depth) + ws();
    }
    return out + "]";
  }

  // A chain of containers `levels` deep around a random value.
  std::string chain(int levels) {
    std::string open, close;
    for (int i = 0; i < levels; ++i) {
      if (chance(50)) {
        open += "[" + ws();
        close = ws() + "]" + close;
      } else {
        open += "{" + ws() + string_literal() + ":" + ws();
        close = ws() + "}" + close;
      }
    }
    return open + value(levels, levels) + close;
  }

  // A top-level text: mostly objects, sometimes another value, sometimes a
  // deep chain near the 64-level limit.
  std::string document() {
    const std::uint32_t kind = pick(100);
    if (kind < 10) return ws() + value(0, 3) + ws();
    if (kind < 25) {
      // The line's object plus a chain: total depth 60..68.
      return ws() + "{\"deep\":" + chain(59 + static_cast<int>(pick(9))) + "}" + ws();
    }
    return ws() + object(1, 1 + static_cast<int>(pick(5))) + ws();
  }

  // Bytes that matter to a JSON scanner.
  char interesting_byte() {
    static const char kBytes[] = {'{',    '}',    '[',    ']',    ':',    ',',    '"',    '\\',
                                  'u',    'd',    '8',    '0',    'e',    'E',    '-',    '+',
                                  '.',    ' ',    '\t',   '\r',   '\n',   'n',    't',    'f',
                                  'a',    '\x00', '\x01', '\x1f', '\x7f', '\x80', '\xbf', '\xc0',
                                  '\xc2', '\xe0', '\xed', '\xef', '\xf0', '\xf4', '\xf5', '\xff'};
    return kBytes[pick(sizeof kBytes)];
  }

  std::string mutate(std::string text) {
    const std::uint32_t rounds = 1 + pick(3);
    for (std::uint32_t r = 0; r < rounds; ++r) {
      const std::size_t at = text.empty() ? 0 : pick(static_cast<std::uint32_t>(text.size()));
      switch (pick(7)) {
        case 0:  // flip one bit
          if (!text.empty()) text[at] = static_cast<char>(text[at] ^ (1 << pick(8)));
          break;
        case 1:  // replace by an interesting byte
          if (!text.empty()) text[at] = interesting_byte();
          break;
        case 2:  // delete a byte
          if (!text.empty()) text.erase(at, 1);
          break;
        case 3:  // insert an interesting byte
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), interesting_byte());
          break;
        case 4:  // insert a snippet
        {
          static const char* kSnippets[] = {"\\ud800",     "\\udc00",  "\\ud83d\\ude00",
                                            "\\u0000",     "\xC0\x80", "\xED\xA0\x80",
                                            "01",          ",}",       "[]",
                                            "{}",          "\"\"",     "null",
                                            "\xEF\xBB\xBF"};
          text.insert(at, kSnippets[pick(std::size(kSnippets))]);
          break;
        }
        case 5:  // delete a range
          if (!text.empty()) text.erase(at, 1 + pick(8));
          break;
        default:  // truncate
          text.resize(at);
          break;
      }
    }
    return text;
  }

  // Random tokens glued together.
  std::string soup() {
    static const char* kTokens[] = {
        "{",   "}",    "[",     "]",  ":",    ",",        "\"k\"", "1",
        "-",   "0",    "e",     ".",  "true", "null",     "\"",    " ",
        "\\u", "d800", "\"a\"", "[]", "{}",   "\xC3\xA9", "\xFF",  "\"\\ud83d\\ude00\""};
    std::string out;
    const std::uint32_t n = pick(12);
    for (std::uint32_t i = 0; i < n; ++i) out += kTokens[pick(std::size(kTokens))];
    return out;
  }

 private:
  std::mt19937 rng_;
};

// The members the scanner visited must be exactly the object's members,
// with decoded keys and values that are spans of the text.
void check_members(const std::string& text, const ScanResult& r) {
  // Overflowing numbers compare as 0 on both sides (nlohmann refuses them).
  const json parsed = json::parse(neutralize_overflow(text));
  ASSERT_TRUE(parsed.is_object());
  std::map<std::string, const Value*> last;
  for (const Member& m : r.members) {
    const Value& v = m.value;
    ASSERT_GE(v.raw.data(), text.data()) << escaped(text);
    ASSERT_LE(v.raw.data() + v.raw.size(), text.data() + text.size()) << escaped(text);
    last[m.key] = &v;
  }
  ASSERT_EQ(last.size(), parsed.size()) << escaped(text);
  for (const auto& [key, v] : last) {
    ASSERT_TRUE(parsed.contains(key)) << escaped(key) << " in " << escaped(text);
    const json& expected = parsed.at(key);
    EXPECT_EQ(json::parse(neutralize_overflow(std::string(v->raw))), expected) << escaped(v->raw);
    switch (v->type) {
      case Type::Null:
        EXPECT_TRUE(expected.is_null());
        break;
      case Type::False:
        EXPECT_EQ(expected, json(false));
        break;
      case Type::True:
        EXPECT_EQ(expected, json(true));
        break;
      case Type::Number:
        EXPECT_TRUE(expected.is_number()) << escaped(v->raw);
        break;
      case Type::Array:
        EXPECT_TRUE(expected.is_array());
        break;
      case Type::Object:
        EXPECT_TRUE(expected.is_object());
        break;
      case Type::String:
        ASSERT_TRUE(expected.is_string());
        EXPECT_EQ(decode_string(v->raw), expected.get<std::string>()) << escaped(v->raw);
        EXPECT_EQ(v->has_escape, v->raw.find('\\') != std::string_view::npos) << escaped(v->raw);
        break;
    }
  }
}

TEST(JsonScanDifferential, AgreesWithNlohmannOnRandomAndMutatedTexts) {
  Generator gen(0x1e7e);
  std::size_t accepted = 0, rejected = 0, failures = 0, deep_accepted = 0, deep_rejected = 0;
  auto check = [&](const std::string& text) {
    const bool expected = oracle_accepts(text);
    const ScanResult r = scan(text);
    if (r.ok != expected) {
      if (++failures <= 20) {
        ADD_FAILURE() << "scan_object " << (r.ok ? "accepted" : "rejected") << " but oracle "
                      << (expected ? "accepts" : "rejects") << ": \"" << escaped(text) << "\""
                      << (r.ok ? ""
                               : "\nscan error: " + r.error.message + " at " +
                                     std::to_string(r.error.offset));
      }
      return;
    }
    if (r.ok) {
      ++accepted;
      if (json_depth(text) == kMaxDepth) ++deep_accepted;
      check_members(text, r);
    } else {
      ++rejected;
      if (json::accept(text) && json_depth(text) > kMaxDepth) ++deep_rejected;
      EXPECT_FALSE(r.error.message.empty()) << escaped(text);
      EXPECT_LE(r.error.offset, text.size()) << escaped(text);
    }
  };
  for (int i = 0; i < 4000; ++i) {
    const std::string doc = gen.document();
    check(doc);
    for (int m = 0; m < 3; ++m) check(gen.mutate(doc));
  }
  for (int i = 0; i < 3000; ++i) check(gen.soup());
  EXPECT_EQ(failures, 0u);
  // The test is only meaningful when both outcomes and the depth edge occur.
  EXPECT_GT(accepted, 3000u);
  EXPECT_GT(rejected, 10000u);
  EXPECT_GT(deep_accepted, 20u);
  EXPECT_GT(deep_rejected, 100u);
}

// ---------------------------------------------------------------------------
// Direct checks of scan_object.
// ---------------------------------------------------------------------------

TEST(JsonScan, VisitsTopLevelMembersInTextOrder) {
  const std::string text =
      R"( { "b" : 1.10 , "a":"x\ny", "\u0074ool":null,"n":{"inner":1},"l":[1,{"z":2}],)"
      R"("t":true,"f":false,"b":-0 } )";
  const ScanResult r = scan(text);
  ASSERT_TRUE(r.ok) << r.error.message;
  ASSERT_EQ(r.members.size(), 8u);
  const std::pair<const char*, Type> expected[] = {
      {"b", Type::Number}, {"a", Type::String}, {"tool", Type::Null}, {"n", Type::Object},
      {"l", Type::Array},  {"t", Type::True},   {"f", Type::False},   {"b", Type::Number}};
  const char* raws[] = {"1.10",           R"("x\ny")", "null",  R"({"inner":1})",
                        R"([1,{"z":2}])", "true",      "false", "-0"};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(r.members[i].key, expected[i].first) << i;
    EXPECT_EQ(r.members[i].value.type, expected[i].second) << i;
    EXPECT_EQ(r.members[i].value.raw, raws[i]) << i;
  }
  EXPECT_TRUE(r.members[1].value.has_escape);
}

TEST(JsonScan, EmptyObjects) {
  for (const char* text : {"{}", " {} ", "{ }", "\t{\r\n}\n"}) {
    const ScanResult r = scan(text);
    EXPECT_TRUE(r.ok) << escaped(text);
    EXPECT_TRUE(r.members.empty());
  }
}

TEST(JsonScan, KeysAreDecoded) {
  const std::pair<std::string, std::string> cases[] = {
      {R"("\u0074ool")", "tool"},
      {R"("a\"b")", "a\"b"},
      {R"("\\")", "\\"},
      {R"("\/")", "/"},
      {R"("\u0000")", "\0"s},
      {R"("\ud83d\ude00")", "\xF0\x9F\x98\x80"},
      {"\"\xC3\xA9\"", "\xC3\xA9"},
      {R"("")", ""},
  };
  for (const auto& [raw_key, key] : cases) {
    const ScanResult r = scan("{" + raw_key + ":1}");
    ASSERT_TRUE(r.ok) << raw_key;
    ASSERT_EQ(r.members.size(), 1u);
    EXPECT_EQ(r.members[0].key, key) << raw_key;
  }
}

TEST(JsonScan, DepthLimit) {
  // Object at level 1 holding 63 more levels: 64 in all.
  const std::string ok = "{\"a\":" + std::string(63, '[') + std::string(63, ']') + "}";
  EXPECT_TRUE(scan(ok).ok);
  const std::string too_deep = "{\"a\":" + std::string(64, '[') + std::string(64, ']') + "}";
  EXPECT_FALSE(scan(too_deep).ok);
  std::string objects = "1";
  for (int i = 0; i < 64; ++i) objects = "{\"a\":" + objects + "}";
  EXPECT_TRUE(scan(objects).ok);
  EXPECT_FALSE(scan("{\"a\":" + objects + "}").ok);
  // Hostile depth: a clean error, no stack overflow.
  EXPECT_FALSE(scan("{\"a\":" + std::string(1000000, '[')).ok);
  std::string hostile;
  for (int i = 0; i < 200000; ++i) hostile += "{\"a\":";
  EXPECT_FALSE(scan(hostile).ok);
}

// ---------------------------------------------------------------------------
// decode_string round trips.
// ---------------------------------------------------------------------------

// Encodes every character as \uXXXX (surrogate pairs above the BMP).
std::string escape_all(const std::u32string& cps, Generator& gen, bool upper) {
  std::string out = "\"";
  for (const char32_t cp : cps) out += gen.u_escape(cp, upper);
  return out + "\"";
}

TEST(JsonDecodeString, RoundTrips) {
  Generator gen(0xdec0de);
  for (int i = 0; i < 3000; ++i) {
    std::u32string cps;
    std::string utf8;
    const std::uint32_t length = gen.pick(12);
    for (std::uint32_t k = 0; k < length; ++k) {
      const std::uint32_t cp = gen.code_point();
      cps.push_back(cp);
      gen.append_utf8(utf8, cp);
    }
    const std::string encodings[] = {
        json(utf8).dump(),               // raw UTF-8, only the required escapes
        json(utf8).dump(-1, ' ', true),  // ASCII only: \u escapes and surrogate pairs
        escape_all(cps, gen, false),
        escape_all(cps, gen, true),
    };
    for (const std::string& encoded : encodings) {
      const std::string text = "{" + encoded + ":" + encoded + "}";
      const ScanResult r = scan(text);
      ASSERT_TRUE(r.ok) << escaped(text) << ": " << r.error.message;
      ASSERT_EQ(r.members.size(), 1u);
      EXPECT_EQ(r.members[0].key, utf8) << escaped(encoded);
      const Value& v = r.members[0].value;
      EXPECT_EQ(v.type, Type::String);
      EXPECT_EQ(v.raw, encoded);
      EXPECT_EQ(v.has_escape, encoded.find('\\') != std::string::npos) << escaped(encoded);
      EXPECT_EQ(decode_string(v.raw), utf8) << escaped(encoded);
    }
  }
}

TEST(JsonDecodeString, Table) {
  const std::pair<std::string, std::string> cases[] = {
      {R"("")", ""},
      {R"("abc")", "abc"},
      {R"("\"\\\/\b\f\n\r\t")", "\"\\/\b\f\n\r\t"},
      {R"("\u0000")", "\0"s},
      {R"("a\u0000b\u0000")", "a\0b\0"s},
      {R"("\u007f\u0080\u07ff\u0800\uffff")", "\x7f\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF"},
      {R"("\uD7FF\uE000")", "\xED\x9F\xBF\xEE\x80\x80"},
      {R"("\ud800\udc00")", "\xF0\x90\x80\x80"},
      {R"("\ud83d\ude00")", "\xF0\x9F\x98\x80"},
      {R"("\uDBFF\uDFFF")", "\xF4\x8F\xBF\xBF"},
      {"\"\xF0\x9F\x98\x80\\n\"", "\xF0\x9F\x98\x80\n"},
  };
  for (const auto& [raw, expected] : cases) {
    const std::string text = "{\"k\":" + raw + "}";  // outlives the spans in r
    const ScanResult r = scan(text);
    ASSERT_TRUE(r.ok) << escaped(raw);
    ASSERT_EQ(r.members.size(), 1u);
    EXPECT_EQ(decode_string(r.members[0].value.raw), expected) << escaped(raw);
  }
}

// The string scan steps over plain bytes sixteen at a time (SSE2, else
// eight: common/text.hpp's plain_json_run). Every kind of byte that needs
// attention, at every offset of a run that spans several blocks (and at the
// string's end), must be seen exactly as a byte-by-byte scan
// sees it: the oracle decides acceptance, decode_string the value.
TEST(JsonScan, EveryByteThatNeedsAttentionIsSeenAtEveryOffset) {
  const std::vector<std::string> specials = {"\\n",
                                             "\\\"",
                                             "\\u00e9",
                                             "\\ud83d\\ude00",
                                             "\xC3\xA9",
                                             "\xF0\x9F\x98\x80",
                                             "\x1F",
                                             "\x01",
                                             "\x7F",
                                             "\x80",
                                             "\xC3",
                                             "\xED\xA0\x80",
                                             "\"",
                                             "\\x",
                                             std::string(1, '\0'),
                                             "\xFF"};
  std::size_t checked = 0;
  for (const std::string& special : specials) {
    for (std::size_t offset = 0; offset <= 40; ++offset) {
      for (std::size_t tail : {0, 1, 7, 8, 9, 15, 16, 17, 31}) {
        const std::string body = std::string(offset, 'a') + special + std::string(tail, 'b');
        const std::string text = "{\"k\":\"" + body + "\"}";
        const ScanResult r = scan(text);
        ASSERT_EQ(r.ok, oracle_accepts(text))
            << "offset " << offset << ", tail " << tail << ": \"" << escaped(text) << "\"";
        if (r.ok) {
          ASSERT_EQ(r.members.size(), 1u);
          ASSERT_EQ(r.members[0].value.type, Type::String);
          EXPECT_EQ(json::parse(text)["k"].get<std::string>(),
                    decode_string(r.members[0].value.raw))
              << escaped(text);
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 16u * 41u * 9u);
}

// is_valid_utf8 (common/text.cpp) skips ASCII sixteen bytes at a time
// (SSE2, else eight): every kind of sequence, at every offset of a run that
// spans several blocks, must be judged as a check of one sequence after
// another judges it.
TEST(Utf8, EverySequenceIsJudgedAtEveryOffset) {
  const auto one_by_one = [](std::string_view s) {
    while (!s.empty()) {
      const std::size_t length = utf8_sequence_length(s);
      if (length == 0) return false;
      s.remove_prefix(length);
    }
    return true;
  };
  const std::vector<std::string> sequences = {"\xC3\xA9",
                                              "\xF0\x9F\x98\x80",
                                              "\xE2\x82\xAC",
                                              "\x7F",
                                              "\x80",
                                              "\xC3",
                                              "\xC0\xAF",
                                              "\xED\xA0\x80",
                                              "\xF4\x90\x80\x80",
                                              "\xFF",
                                              "\xE2\x82",
                                              "\xF0\x9F\x98",
                                              std::string(1, '\0')};
  std::size_t invalid = 0;
  for (const std::string& sequence : sequences) {
    for (std::size_t offset = 0; offset <= 40; ++offset) {
      for (std::size_t tail : {0, 1, 7, 8, 9, 15, 16, 17, 31}) {
        const std::string text = std::string(offset, 'a') + sequence + std::string(tail, 'b');
        const bool expected = one_by_one(text);
        ASSERT_EQ(is_valid_utf8(text), expected)
            << "offset " << offset << ", tail " << tail << ": \"" << escaped(text) << "\"";
        invalid += expected ? 0 : 1;
      }
    }
  }
  EXPECT_EQ(invalid, 8u * 41u * 9u);
}

}  // namespace
}  // namespace lethe::json
