// Hostile input, end to end: every line below gives a line error (or is
// accepted where it is valid), never a crash or a batch error, and the good
// lines around it are still stored.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "support/e2e_support.hpp"

using namespace lethe_test;

namespace {

const std::string kSelect = "SELECT line, byte_offset, code, field, message FROM lethe_ingest";

struct Sandwich {
  Ingest result;
  std::int64_t good_stored = 0;  // how many of the two good lines are stored
};

// good line, hostile line, good line, for one owner; the caller checks what
// became of the hostile line (line 2).
Sandwich sandwich(Db& db, const std::string& owner, const std::string& hostile,
                  const std::string& options = "", bool as_blob = false) {
  const std::string ndjson =
      line("", "s1", "before") + "\n" + hostile + "\n" + line("", "s1", "after") + "\n";
  Sandwich out;
  const std::string sql = kSelect + "(?1, ?2, nullif(?3, ''))";
  if (as_blob) {
    out.result = to_ingest(db.query(sql, owner, Db::BlobArg{ndjson}, options));
  } else {
    out.result = to_ingest(db.query(sql, owner, ndjson, options));
  }
  Value n = db.scalar(
      "SELECT count(*) FROM turns WHERE owner = ?1 AND turn_id IN ('before', 'after')", owner);
  out.good_stored = n ? std::stoll(*n) : 0;
  return out;
}

// The hostile line is rejected with `code` as the only row, at line 2.
void expect_rejected(Db& db, const std::string& owner, const std::string& hostile,
                     const std::string& code, const std::string& options = "") {
  for (bool as_blob : {false, true}) {
    const std::string who = owner + (as_blob ? "-blob" : "-text");
    Sandwich s = sandwich(db, who, hostile, options, as_blob);
    ASSERT_TRUE(s.result.ok()) << who << ": " << s.result.error;
    ASSERT_EQ(s.result.rejects.size(), 1u) << who;
    EXPECT_EQ(s.result.rejects[0].line, 2) << who;
    EXPECT_EQ(s.result.rejects[0].code, code) << who << ": " << s.result.rejects[0].message;
    EXPECT_EQ(s.good_stored, 2) << who;
    EXPECT_LT(s.result.rejects[0].message.size(), 2000u) << who;
    EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner = '" + who + "'"), 2) << who;
  }
}

void expect_accepted(Db& db, const std::string& owner, const std::string& hostile,
                     const std::string& options = "") {
  Sandwich s = sandwich(db, owner, hostile, options);
  ASSERT_TRUE(s.result.ok()) << owner << ": " << s.result.error;
  EXPECT_TRUE(s.result.rejects.empty())
      << owner << ": " << s.result.rejects[0].code << " " << s.result.rejects[0].message;
  EXPECT_EQ(s.good_stored, 2) << owner;
}

}  // namespace

TEST(HostileInput, InvalidUtf8IsInvalidJson) {
  Db db;
  db.apply_schema();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ff in a value", line("\"content\":\"a\xFF"
                             "b\"")},
      {"lone continuation", line("\"content\":\"\x80\"")},
      {"overlong slash", line("\"content\":\"\xC0\xAF\"")},
      {"overlong 3-byte", line("\"content\":\"\xE0\x80\xAF\"")},
      {"encoded surrogate", line("\"content\":\"\xED\xA0\x80\"")},
      {"truncated 3-byte", line("\"content\":\"\xE2\x82\"")},
      {"above U+10FFFF", line("\"content\":\"\xF4\x90\x80\x80\"")},
      {"F5 lead", line("\"content\":\"\xF5\x80\x80\x80\"")},
      {"in a key", line("\"k\xFE\":1")},
      {"in an unknown key's value", line("\"future\":\"\xC3\"")},
      {"inside metadata", line("\"metadata\":{\"a\":\"\xFF\"}")},
      {"between tokens", line("\"seq\":1 \xFF")},
      {"at end of line", line() + "\xC3"},
  };
  int i = 0;
  for (const auto& [name, hostile] : cases) {
    SCOPED_TRACE(name);
    expect_rejected(db, "u" + std::to_string(i++), hostile, "INVALID_JSON");
  }
}

TEST(HostileInput, HundredThousandDeepNesting) {
  Db db;
  db.apply_schema();
  const int n = 100000;
  expect_rejected(db, "arrays", line("\"future\":" + std::string(n, '[') + std::string(n, ']')),
                  "INVALID_JSON");
  std::string objects;
  for (int i = 0; i < n; ++i) objects += "{\"a\":";
  objects += "1" + std::string(n, '}');
  expect_rejected(db, "objects", line("\"metadata\":" + objects), "INVALID_JSON");
  // Unterminated, so the parser can't rely on finding the end.
  expect_rejected(db, "open", "{\"a\":" + std::string(n, '['), "INVALID_JSON");
  expect_rejected(db, "open-top", std::string(n, '{'), "INVALID_JSON");
}

TEST(HostileInput, NestingLimitIsSixtyFourLevelsCountingTheLine) {
  Db db;
  db.apply_schema();
  // The line's object is level 1, so 63 arrays make 64 levels: accepted.
  expect_accepted(db, "d64", line("\"future\":" + std::string(63, '[') + std::string(63, ']')));
  expect_rejected(db, "d65", line("\"future\":" + std::string(64, '[') + std::string(64, ']')),
                  "INVALID_JSON");
  std::string nested63, nested64;
  for (int i = 0; i < 62; ++i) nested63 += "{\"a\":";
  nested63 += "{}" + std::string(62, '}');
  nested64 = "{\"b\":" + nested63 + "}";
  expect_accepted(db, "m64", line("\"metadata\":" + nested63));
  EXPECT_EQ(db.scalar("SELECT metadata FROM turns WHERE owner='m64' AND turn_id='t1'"),
            Value(nested63));
  expect_rejected(db, "m65", line("\"metadata\":" + nested64), "INVALID_JSON");
}

TEST(HostileInput, TenMegabyteLine) {
  Db db;
  db.apply_schema();
  const std::string content(10 * 1024 * 1024, 'a');
  const std::string big = line("\"content\":\"" + content + "\"");
  // Default max_line_bytes is 8 MiB.
  {
    Sandwich s = sandwich(db, "default", big);
    ASSERT_TRUE(s.result.ok()) << s.result.error;
    ASSERT_EQ(s.result.rejects.size(), 1u);
    EXPECT_EQ(s.result.rejects[0].line, 2);
    EXPECT_EQ(s.result.rejects[0].code, "LINE_TOO_LONG");
    EXPECT_EQ(s.result.rejects[0].field, std::nullopt);
    EXPECT_LT(s.result.rejects[0].message.size(), 1000u);
    EXPECT_EQ(s.good_stored, 2);
  }
  // Exactly 8 MiB is still accepted by default.
  {
    const std::string skeleton = line("\"content\":\"\"");
    const std::string exact =
        line("\"content\":\"" + std::string(8388608 - skeleton.size(), 'b') + "\"");
    ASSERT_EQ(exact.size(), 8388608u);
    Sandwich s = sandwich(db, "exact", exact);
    ASSERT_TRUE(s.result.ok()) << s.result.error;
    EXPECT_TRUE(s.result.rejects.empty());
    Sandwich over = sandwich(db, "over", exact + " ");
    ASSERT_TRUE(over.result.ok()) << over.result.error;
    ASSERT_EQ(over.result.rejects.size(), 1u);
    EXPECT_EQ(over.result.rejects[0].code, "LINE_TOO_LONG");
  }
  // With a larger max it is stored whole.
  {
    Sandwich s = sandwich(db, "larger", big, "{\"max_line_bytes\":16777216}");
    ASSERT_TRUE(s.result.ok()) << s.result.error;
    EXPECT_TRUE(s.result.rejects.empty());
    EXPECT_EQ(s.good_stored, 2);
    EXPECT_EQ(db.scalar("SELECT length(content) FROM turns WHERE owner='larger' AND "
                        "turn_id='t1'"),
              Value(std::to_string(content.size())));
  }
}

TEST(HostileInput, RawNulBytes) {
  Db db;
  db.apply_schema();
  const std::string nul(1, '\0');
  expect_rejected(db, "in-string", line("\"content\":\"a" + nul + "b\""), "INVALID_JSON");
  expect_rejected(db, "in-key", line("\"con" + nul + "tent\":\"x\""), "INVALID_JSON");
  expect_rejected(db, "between", line("\"seq\":1" + nul), "INVALID_JSON");
  expect_rejected(db, "leading", nul + line(), "INVALID_JSON");
  expect_rejected(db, "only", std::string(5, '\0'), "INVALID_JSON");
  expect_rejected(db, "after", line() + nul + line(), "INVALID_JSON");
}

TEST(HostileInput, LoneSurrogateEscapes) {
  Db db;
  db.apply_schema();
  const std::vector<std::string> bad = {
      "\\ud800",  "\\udfff",    "\\udc00\\ud800", "\\ud800\\u0041",
      "\\ud800x", "\\ud800\\n", "a\\uDBFF",       "\\ud800\\ud800",
  };
  int i = 0;
  for (const std::string& esc : bad) {
    SCOPED_TRACE(esc);
    const std::string id = std::to_string(i++);
    expect_rejected(db, "c" + id, line("\"content\":\"" + esc + "\""), "INVALID_JSON");
    expect_rejected(db, "k" + id, line("\"" + esc + "\":1"), "INVALID_JSON");
    expect_rejected(db, "m" + id, line("\"metadata\":{\"x\":[\"" + esc + "\"]}"), "INVALID_JSON");
  }
  // A proper pair is fine and stored as one 4-byte character.
  expect_accepted(db, "pair", line("\"content\":\"\\ud83d\\ude00\""));
  EXPECT_EQ(db.scalar("SELECT hex(content) FROM turns WHERE owner='pair' AND turn_id='t1'"),
            Value("F09F9880"));
}

TEST(HostileInput, HugeExponents) {
  Db db;
  db.apply_schema();
  Sandwich s = sandwich(db, "cost", line("\"cost_usd\":1e400"));
  ASSERT_TRUE(s.result.ok()) << s.result.error;
  ASSERT_EQ(s.result.rejects.size(), 1u);
  EXPECT_EQ(s.result.rejects[0].code, "INVALID_FIELD");
  EXPECT_EQ(s.result.rejects[0].field, Value("cost_usd"));
  EXPECT_EQ(s.good_stored, 2);
  for (const std::string& v :
       std::vector<std::string>{"-1e400", "1E+400", "123456789e999999999999"}) {
    Sandwich more = sandwich(db, std::string("cost") + v, line(std::string("\"cost_usd\":") + v));
    ASSERT_EQ(more.result.rejects.size(), 1u) << v;
    EXPECT_EQ(more.result.rejects[0].field, Value("cost_usd")) << v;
  }
  // Ignored in an unknown key; kept byte for byte inside metadata.
  expect_accepted(db, "unknown", line("\"future\":1e400,\"other\":-1e400"));
  expect_accepted(db, "meta", line("\"metadata\":{\"x\":1e400}"));
  EXPECT_EQ(db.scalar("SELECT metadata FROM turns WHERE owner='meta' AND turn_id='t1'"),
            Value("{\"x\":1e400}"));
  // A huge exponent in tokens is not an integer.
  Sandwich tokens = sandwich(db, "tokens", line("\"tokens_in\":1e400"));
  ASSERT_EQ(tokens.result.rejects.size(), 1u);
  EXPECT_EQ(tokens.result.rejects[0].field, Value("tokens_in"));
}

TEST(HostileInput, IntegersBeyondSixtyThreeBits) {
  Db db;
  db.apply_schema();
  for (const std::string& v : std::vector<std::string>{
           "18446744073709551616", "9223372036854775808", "18446744073709551615",
           "-9223372036854775808", "99999999999999999999999999999999999999999999"}) {
    Sandwich s = sandwich(db, "seq" + v, line("\"seq\":" + v));
    ASSERT_TRUE(s.result.ok()) << s.result.error;
    ASSERT_EQ(s.result.rejects.size(), 1u) << v;
    EXPECT_EQ(s.result.rejects[0].code, "INVALID_FIELD") << v;
    EXPECT_EQ(s.result.rejects[0].field, Value("seq")) << v;
    EXPECT_EQ(s.good_stored, 2) << v;
  }
  Sandwich tin = sandwich(db, "tin", line("\"tokens_out\":18446744073709551616"));
  ASSERT_EQ(tin.result.rejects.size(), 1u);
  EXPECT_EQ(tin.result.rejects[0].field, Value("tokens_out"));
  // 2^63 - 1 is the largest accepted.
  expect_accepted(db, "max", line("\"seq\":9223372036854775807"));
}

TEST(HostileInput, MegabyteOfWhitespaceIsABlankLine) {
  Db db;
  db.apply_schema();
  std::string ws;
  ws.reserve(1 << 20);
  for (int i = 0; i < (1 << 20); ++i) ws += (i % 3 == 0) ? '\t' : ' ';
  const std::string ndjson =
      line("", "s1", "before") + "\n" + ws + "\n" + "bad\n" + ws + "\r\n" + line("", "s1", "after");
  Ingest r = ingest(db, "alice", ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 3);
  EXPECT_EQ(r.rejects[0].byte_offset, static_cast<std::int64_t>(ndjson.find("bad\n")));
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 2);
  EXPECT_EQ(db.scalar("SELECT json_extract(lethe_last_ingest(), '$.lines')"), Value("3"));
  // Whitespace around a real object is fine: JSON allows it.
  expect_accepted(db, "padded", ws + line() + ws);
}

TEST(HostileInput, HundredThousandBlankLines) {
  Db db;
  db.apply_schema();
  std::string ndjson;
  const int n = 100000;
  for (int i = 0; i < n; ++i) ndjson += (i % 3 == 0) ? "\n" : (i % 3 == 1) ? "\r\n" : " \n";
  ndjson += line("", "s1", "t1") + "\n";
  for (int i = 0; i < n; ++i) ndjson += "\n";
  ndjson += "bad\n" + line("", "s1", "t2");
  Ingest r = ingest(db, "alice", ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 2 * n + 2);
  EXPECT_EQ(r.rejects[0].byte_offset, static_cast<std::int64_t>(ndjson.size()) -
                                          static_cast<std::int64_t>(line("", "s1", "t2").size()) -
                                          4);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 2);
  EXPECT_EQ(db.scalar("SELECT json_extract(lethe_last_ingest(), '$.lines')"), Value("3"));
  // Only blank lines: no rows, nothing written.
  r = ingest(db, "bob", std::string(n, '\n'));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.rejects.empty());
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE owner='bob'"), 0);
}

TEST(HostileInput, BinaryGarbageLines) {
  Db db;
  db.apply_schema();
  std::mt19937 rng(20250301);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(1, 300);
  // Random bytes, and random text from JSON's own alphabet (which reaches
  // deeper into the parser), interleaved with good lines.
  static const char kAlphabet[] = "{}[]\":,.-+0123456789eEtrufalsn\\u \tabcdef\xC3\xA9\xFF\x00\r";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string ndjson;
  std::vector<std::int64_t> garbage_lines;
  std::int64_t number = 0;
  const int pairs = 1500;
  for (int i = 0; i < pairs; ++i) {
    ndjson += line("", "s" + std::to_string(i % 10), "g" + std::to_string(i)) + "\n";
    ++number;
    std::string g;
    const int n = length(rng);
    for (int k = 0; k < n; ++k) {
      char c = i % 2 == 0 ? static_cast<char>(byte(rng)) : alphabet[pick(rng)];
      if (c == '\n') c = '{';
      g += c;
    }
    if (i % 4 == 1) g = "{\"" + g;  // looks like an object at first
    // One CR before the LF is a line ending, not content.
    const std::string body = !g.empty() && g.back() == '\r' ? g.substr(0, g.size() - 1) : g;
    bool blank = true;
    for (char c : body) blank = blank && (c == ' ' || c == '\t');
    ndjson += g + "\n";
    ++number;
    if (!blank) garbage_lines.push_back(number);
  }
  Ingest r = ingest(db, "alice", ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), garbage_lines.size());
  for (std::size_t i = 0; i < r.rejects.size(); ++i) {
    EXPECT_EQ(r.rejects[i].line, garbage_lines[i]);
    EXPECT_TRUE(r.rejects[i].code == "INVALID_JSON" || r.rejects[i].code == "MISSING_FIELD")
        << r.rejects[i].code << " " << r.rejects[i].message;
  }
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), pairs);
  // The same garbage as a BLOB and as a dry run gives the same rows.
  Result blob =
      db.query(kSelect + "(?1, ?2, '{\"dry_run\":true}')", std::string("bob"), Db::BlobArg{ndjson});
  ASSERT_TRUE(blob.ok()) << blob.error;
  EXPECT_EQ(blob.rows.size(), garbage_lines.size());
}

TEST(HostileInput, MalformedJsonShapes) {
  Db db;
  db.apply_schema();
  const std::vector<std::string> bad = {
      line() + line(),
      line() + ",",
      line() + "}",
      "{",
      "}",
      "{\"tool\"}",
      "{\"tool\":}",
      "{,}",
      "{\"a\":1,}",
      "{'a':1}",
      "{a:1}",
      "{\"a\":01}",
      "{\"a\":1.}",
      "{\"a\":.5}",
      "{\"a\":-}",
      "{\"a\":1e}",
      "{\"a\":+1}",
      "{\"a\":NaN}",
      "{\"a\":Infinity}",
      "{\"a\":tru}",
      "{\"a\":nul}",
      "{\"a\":\"\\x\"}",
      "{\"a\":\"\\u12\"}",
      "{\"a\":\"\t\"}",
      "{\"a\":\"unterminated}",
      "null",
      "[]",
      "\"\"",
      "{\"a\":[1,]}",
      "{\"a\":[,1]}",
      "\f{}",
      "{}\v",
  };
  int i = 0;
  for (const std::string& b : bad) {
    SCOPED_TRACE(b);
    expect_rejected(db, "j" + std::to_string(i++), b, "INVALID_JSON");
  }
}
