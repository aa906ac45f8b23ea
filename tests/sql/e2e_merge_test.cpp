// Merging machines (issue 10, sql/merge.sql): the view lethe_wire_lines turns
// a database's rows back into wire-v1 lines, and
//   ATTACH 'a.db' AS a;
//   SELECT * FROM lethe_ingest(owner, (SELECT group_concat(line, char(10))
//                                      FROM a.lethe_wire_lines WHERE owner = ...))
// merges it into the main database. Properties, on random batches with the
// values that are easiest to get wrong (raw JSON with 1.10, huge integers,
// spaces, key order and \u escapes; content with U+0000, quotes, unicode;
// costs that need 17 digits; times with offsets; turns re-sent with earlier
// times, so that a session's end outlives its turns):
// * merging A then B into an empty database gives exactly the tables that
//   ingesting A's batches then B's batches into one database gives (and B
//   then A likewise), stored JSON and text byte for byte;
// * A then B and B then A agree on every session's key, start and end, and
//   on every turn whose key was not written on both machines;
// * merging again changes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/e2e_support.hpp"

using namespace lethe_test;

namespace {

struct Rng {
  std::mt19937_64 engine;
  explicit Rng(std::uint64_t seed) : engine(seed) {}
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(engine) < p; }
  const std::string& pick(const std::vector<std::string>& v) {
    return v[static_cast<std::size_t>(between(0, static_cast<int>(v.size()) - 1))];
  }
};

// Values written as JSON text, exactly as they go into a line.
const std::vector<std::string> kContents = {
    "null",
    "\"hello\"",
    "\"nul \\u0000 inside\"",
    "\"caf\\u00e9 and caf\xC3\xA9 \\ud83d\\ude00 \xF0\x9F\x9A\x80\"",
    "\"quotes \\\" and \\\\ and \\/ slash\"",
    "\"lines\\nand\\r\\ncrlf\\tand tabs \\u001f\"",
    "\"\"",
    "\"{\\\"json\\\": \\\"in a string\\\"}\"",
    "\"\xE2\x80\xA8 separators \xE2\x80\xA9\""};
const std::vector<std::string> kRawObjects = {
    "null",
    "{}",
    "{\"b\":2,\"a\":1}",
    "{ \"x\" : [1.10, 1e400, -0.0] }",
    "{\"k\":123456789012345678901234567890}",
    "{\"u\":\"\\u00e9\\uD83D\\uDE00\", \"n\" :\t1E+2}",
    "{\"message_id\":\"msg_1\",\"cache_read_tokens\":10}"};
const std::vector<std::string> kRawArrays = {
    "null", "[]", "[ 1, {\"a\" : 1.10} ]",
    "[{\"id\":\"toolu_01\",\"input\":{\"n\":123456789012345678901234567890}}]",
    "[\"\\u00e9\", null, true, -0.0e+0]"};
const std::vector<std::string> kCosts = {"null",
                                         "0",
                                         "0.1",
                                         "12.125",
                                         "0.30000000000000004",
                                         "0.3333333333333333",
                                         "1e-7",
                                         "2.5E1",
                                         "123456.78901234567",
                                         "0.000001234",
                                         "3"};
const std::vector<std::string> kModels = {"null", "\"claude-sonnet-4-5\"", "\"gpt-5\"",
                                          "\"gemini-2.5-pro\""};
const std::vector<std::string> kRoles = {"user", "assistant", "system", "tool"};
const std::vector<std::string> kTools = {"claude-code", "codex"};
const std::vector<std::string> kSessions = {"s1", "s2", "s\xC3\xA9", "s\\ud83d\\ude00"};
const std::vector<std::string> kDirs = {"null", "\"/home/ana/src/shop\"", "\"C:\\\\Users\\\\sam\"",
                                        "\"/tmp/\\u00e9t\\u00e9\""};

std::string random_time(Rng& rng) {
  // 2025-01-01 .. 2025-03-31, written with an offset and a fraction.
  const int day = rng.between(1, 28), month = rng.between(1, 3);
  const int hour = rng.between(0, 23), minute = rng.between(0, 59), second = rng.between(0, 59);
  static const std::vector<std::string> kZones = {"Z", "+02:00", "-05:30", "+00:00"};
  static const std::vector<std::string> kFractions = {"", ".5", ".123", ".123456789"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "2025-%02d-%02dT%02d:%02d:%02d%s%s", month, day, hour, minute,
                second, rng.pick(kFractions).c_str(), rng.pick(kZones).c_str());
  return buf;
}

// One valid wire line; `hosts` are the machine's host names (shared ones make
// keys that both machines write).
std::string random_line(Rng& rng, const std::vector<std::string>& hosts) {
  std::string meta = "null";
  if (rng.chance(0.6)) {
    meta = "{";
    std::vector<std::string> parts;
    if (rng.chance(0.5)) parts.push_back("\"started_at\":\"" + random_time(rng) + "\"");
    if (rng.chance(0.6)) parts.push_back("\"working_dir\":" + rng.pick(kDirs));
    if (rng.chance(0.4)) parts.push_back("\"source_file\":\"~/.claude/p/x.jsonl\"");
    if (rng.chance(0.4)) parts.push_back("\"metadata\": " + rng.pick(kRawObjects));
    for (std::size_t i = 0; i < parts.size(); ++i) meta += (i ? "," : "") + parts[i];
    meta += "}";
  }
  return "{\"tool\":\"" + rng.pick(kTools) + "\",\"host\":\"" + rng.pick(hosts) +
         "\",\"session_id\":\"" + rng.pick(kSessions) + "\",\"turn_id\":\"t" +
         std::to_string(rng.between(1, 6)) + "\",\"seq\":" + std::to_string(rng.between(0, 50)) +
         ",\"role\":\"" + rng.pick(kRoles) + "\",\"timestamp\":\"" + random_time(rng) +
         "\",\"content\":" + rng.pick(kContents) + ",\"model\":" + rng.pick(kModels) +
         ",\"tokens_in\":" + (rng.chance(0.3) ? "null" : std::to_string(rng.between(0, 90000))) +
         ",\"tokens_out\":" + (rng.chance(0.3) ? "null" : std::to_string(rng.between(0, 9000))) +
         ",\"cost_usd\":" + rng.pick(kCosts) + ",\"tool_calls\": " + rng.pick(kRawArrays) +
         ",\"metadata\":" + rng.pick(kRawObjects) + ",\"session_meta\":" + meta + "}";
}

std::vector<std::string> random_batches(Rng& rng, const std::vector<std::string>& hosts) {
  std::vector<std::string> batches(static_cast<std::size_t>(rng.between(1, 4)));
  for (std::string& batch : batches) {
    const int lines = rng.between(1, 25);
    for (int i = 0; i < lines; ++i) batch += random_line(rng, hosts) + "\n";
  }
  return batches;
}

const char* const kOwner = "ana";

void ingest_all(Db& db, const std::vector<std::string>& batches) {
  for (const std::string& batch : batches) {
    const Ingest result = ingest(db, kOwner, batch);
    ASSERT_TRUE(result.ok()) << result.error;
    ASSERT_TRUE(result.rejects.empty())
        << result.rejects[0].code << " " << result.rejects[0].message;
  }
}

// A database file holding `batches`, with the merge pack applied.
std::string machine(const std::filesystem::path& dir, const std::string& name,
                    const std::vector<std::string>& batches) {
  const std::string path = (dir / (name + ".db")).string();
  Db db(path);
  db.apply_schema();
  ingest_all(db, batches);
  db.must(read_file(source_path("sql/merge.sql")));
  return path;
}

// The statement, as a user types it.
void merge(Db& central, const std::string& path) {
  central.must("ATTACH '" + path + "' AS laptop");
  const Ingest result = to_ingest(central.query(
      "SELECT line, byte_offset, code, field, message FROM lethe_ingest('ana', "
      "(SELECT group_concat(line, char(10)) FROM laptop.lethe_wire_lines WHERE owner = 'ana'))"));
  central.must("DETACH laptop");
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_TRUE(result.rejects.empty()) << result.rejects[0].code << " " << result.rejects[0].message;
}

// Every column, text and JSON as stored bytes, cost with 17 digits.
std::vector<Row> all_sessions(Db& db) {
  return db.query("SELECT * FROM sessions ORDER BY owner, tool, host, session_id").rows;
}
std::vector<Row> all_turns(Db& db) {
  return db
      .query(
          "SELECT owner, tool, host, session_id, turn_id, seq, role, timestamp, content, model, "
          "tokens_in, tokens_out, printf('%!.17g', cost_usd), typeof(cost_usd), tool_calls, "
          "metadata FROM turns ORDER BY owner, tool, host, session_id, turn_id")
      .rows;
}

std::set<std::string> turn_keys(Db& db) {
  std::set<std::string> keys;
  for (const Row& row : db.query("SELECT tool || char(31) || host || char(31) || session_id || "
                                 "char(31) || turn_id FROM turns")
                            .rows) {
    keys.insert(*row[0]);
  }
  return keys;
}

std::vector<Row> turns_except(Db& db, const std::set<std::string>& excluded) {
  std::vector<Row> out;
  for (const Row& row : all_turns(db)) {
    if (!excluded.count(*row[1] + '\x1f' + *row[2] + '\x1f' + *row[3] + '\x1f' + *row[4])) {
      out.push_back(row);
    }
  }
  return out;
}

std::string show(const Row& row) {
  std::string out;
  for (const Value& v : row) out += (v ? "'" + *v + "'" : std::string("NULL")) + " | ";
  return out;
}

// Equal row lists; on a difference, says which rows differ (not every row).
::testing::AssertionResult same_rows(const std::vector<Row>& actual,
                                     const std::vector<Row>& expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << actual.size() << " rows, expected " << expected.size();
  for (std::size_t i = 0; i < std::max(actual.size(), expected.size()); ++i) {
    const std::string a = i < actual.size() ? show(actual[i]) : "(none)";
    const std::string e = i < expected.size() ? show(expected[i]) : "(none)";
    if (a != e)
      return failure << "\n  row " << i << ":\n    got      " << a << "\n    expected " << e;
  }
  return failure;
}

struct Coverage {
  int late_ends = 0, shared_turn_keys = 0, nul_contents = 0, sessions = 0;
};

void run_merge_property(std::uint64_t seed, Coverage& coverage) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  Rng rng(seed);
  // Each machine writes its own host, and now and then a shared one.
  const std::vector<std::string> a_batches = random_batches(rng, {"laptop", "laptop", "shared"});
  const std::vector<std::string> b_batches = random_batches(rng, {"desk", "desk", "shared"});
  const auto dir = temp_dir();
  const std::string a = machine(dir, "a", a_batches);
  const std::string b = machine(dir, "b", b_batches);
  {
    Db probe(a);
    coverage.late_ends += static_cast<int>(probe.count(
        "SELECT count(*) FROM sessions AS s WHERE ended_at > (SELECT max(timestamp) FROM turns "
        "AS t WHERE t.tool = s.tool AND t.host = s.host AND t.session_id = s.session_id)"));
    coverage.nul_contents +=
        static_cast<int>(probe.count("SELECT count(*) FROM turns WHERE instr(content, char(0))"));
  }

  auto reference = [&](const std::vector<std::string>& first,
                       const std::vector<std::string>& second, Db& db) {
    db.apply_schema();
    ingest_all(db, first);
    ingest_all(db, second);
  };
  Db a_then_b_batches, b_then_a_batches;
  reference(a_batches, b_batches, a_then_b_batches);
  reference(b_batches, a_batches, b_then_a_batches);

  Db ab;
  ab.apply_schema();
  merge(ab, a);
  merge(ab, b);
  Db ba;
  ba.apply_schema();
  merge(ba, b);
  merge(ba, a);
  if (::testing::Test::HasFatalFailure()) return;

  EXPECT_TRUE(same_rows(all_sessions(ab), all_sessions(a_then_b_batches))) << "A then B: sessions";
  EXPECT_TRUE(same_rows(all_turns(ab), all_turns(a_then_b_batches))) << "A then B: turns";
  EXPECT_TRUE(same_rows(all_sessions(ba), all_sessions(b_then_a_batches))) << "B then A: sessions";
  EXPECT_TRUE(same_rows(all_turns(ba), all_turns(b_then_a_batches))) << "B then A: turns";

  // Order of the merges: same sessions (key, start, end), same turns where
  // only one machine wrote the key.
  const std::string spans =
      "SELECT owner, tool, host, session_id, started_at, ended_at FROM sessions ORDER BY 1,2,3,4";
  EXPECT_TRUE(same_rows(ab.query(spans).rows, ba.query(spans).rows));
  std::set<std::string> shared;
  {
    Db da(a), db_(b);
    const std::set<std::string> ka = turn_keys(da), kb = turn_keys(db_);
    for (const std::string& k : ka) {
      if (kb.count(k)) shared.insert(k);
    }
  }
  coverage.shared_turn_keys += static_cast<int>(shared.size());
  EXPECT_TRUE(same_rows(turns_except(ab, shared), turns_except(ba, shared)));
  coverage.sessions += static_cast<int>(ab.count("SELECT count(*) FROM sessions"));

  // Merging again, in either order, changes nothing.
  const auto sessions_before = all_sessions(ab);
  const auto turns_before = all_turns(ab);
  merge(ab, b);
  merge(ab, a);
  merge(ab, b);
  EXPECT_TRUE(same_rows(all_sessions(ab), sessions_before)) << "merging twice changed sessions";
  EXPECT_TRUE(same_rows(all_turns(ab), turns_before)) << "merging twice changed turns";
  if (!::testing::Test::HasFailure())
    std::filesystem::remove_all(dir);
  else
    std::cerr << "kept " << dir << "\n";
}

TEST(Merge, TwoMachinesInEitherOrderEqualOneDatabase) {
  Coverage coverage;
  for (std::uint64_t seed = 1; seed <= 25; ++seed) {
    run_merge_property(seed, coverage);
    if (HasFailure()) return;
  }
  // The generator reaches the cases that matter.
  EXPECT_GT(coverage.late_ends, 10) << "sessions whose end outlives their turns";
  EXPECT_GT(coverage.shared_turn_keys, 20) << "turn keys both machines wrote";
  EXPECT_GT(coverage.nul_contents, 10) << "content with U+0000";
  EXPECT_GT(coverage.sessions, 200);
}

// A database merged into itself, and the exact bytes of one line.
TEST(Merge, LineCarriesStoredValuesByteForByte) {
  const auto dir = temp_dir();
  const std::string laptop = machine(
      dir, "laptop",
      {"{\"tool\":\"codex\",\"host\":\"laptop\",\"session_id\":\"s\",\"turn_id\":\"t1\","
       "\"seq\":3,\"role\":\"assistant\",\"timestamp\":\"2025-03-01T10:00:00.123456+01:00\","
       "\"content\":\"a\\u0000b\",\"cost_usd\":0.30000000000000004,\"metadata\":{ \"b\" : 1.10, "
       "\"a\":123456789012345678901234567890, \"u\":\"\\u00e9\"},\"tool_calls\":[1 , 2],"
       "\"session_meta\":{\"started_at\":\"2025-03-01T08:00:00Z\",\"working_dir\":\"/w\","
       "\"metadata\":{\"v\" : \"1.0\"}}}\n"});
  Db db(laptop);
  EXPECT_EQ(db.scalar("SELECT line FROM lethe_wire_lines"),
            std::string("{\"tool\":\"codex\",\"host\":\"laptop\",\"session_id\":\"s\","
                        "\"turn_id\":\"t1\",\"seq\":3,\"role\":\"assistant\","
                        "\"timestamp\":\"2025-03-01T09:00:00.123Z\",\"content\":\"a\\u0000b\","
                        "\"model\":null,\"tokens_in\":null,\"tokens_out\":null,"
                        "\"cost_usd\":0.30000000000000004,\"tool_calls\":[1 , 2],"
                        "\"metadata\":{ \"b\" : 1.10, \"a\":123456789012345678901234567890, "
                        "\"u\":\"\\u00e9\"},\"session_meta\":{\"started_at\":"
                        "\"2025-03-01T08:00:00.000Z\",\"working_dir\":\"/w\",\"source_file\":null,"
                        "\"metadata\":{\"v\" : \"1.0\"}}}"));
  // Into itself: the same rows.
  const auto sessions = all_sessions(db);
  const auto turns = all_turns(db);
  const Ingest self =
      to_ingest(db.query("SELECT line, byte_offset, code, field, message FROM lethe_ingest('ana', "
                         "(SELECT group_concat(line, char(10)) FROM lethe_wire_lines))"));
  ASSERT_TRUE(self.ok()) << self.error;
  EXPECT_TRUE(self.rejects.empty());
  EXPECT_EQ(all_sessions(db), sessions);
  EXPECT_EQ(all_turns(db), turns);
  EXPECT_EQ(db.scalar("SELECT hex(content) FROM turns"), std::string("610062"));
}

// The view of an attached database reads that database's tables, not main's
// (a view's unqualified names resolve in its own schema).
TEST(Merge, AttachedViewReadsItsOwnSchema) {
  const auto dir = temp_dir();
  const std::string laptop =
      machine(dir, "laptop", {line("\"content\":\"from laptop\"", "s-laptop", "t1") + "\n"});
  Db central((dir / "central.db").string());
  central.apply_schema();
  central.must(read_file(source_path("sql/merge.sql")));
  ingest_all(central, {line("\"content\":\"central\"", "s-central", "t1") + "\n"});
  merge(central, laptop);
  EXPECT_EQ(central.count("SELECT count(*) FROM turns"), 2);
  EXPECT_EQ(central.scalar("SELECT content FROM turns WHERE session_id = 's-laptop'"),
            std::string("from laptop"));
  // And the pack applies again cleanly.
  central.must(read_file(source_path("sql/merge.sql")));
  EXPECT_EQ(central.count("SELECT count(*) FROM lethe_wire_lines"), 2);
}

// cost_usd through the view and back is the same double, bit for bit:
// random costs, random bit patterns and the extremes. (SQLite's printf and
// its text-to-number conversion are not exact in the 17th digit, which is
// what the view used to rely on.)
TEST(Merge, CostsReadBackBitForBit) {
  std::vector<double> costs = {std::numeric_limits<double>::max(),
                               std::numeric_limits<double>::min(),
                               std::numeric_limits<double>::denorm_min(),
                               std::nextafter(std::numeric_limits<double>::min(), 0.0),
                               std::nextafter(std::numeric_limits<double>::max(), 0.0),
                               0.1,
                               0.30000000000000004,
                               1.0 / 3.0,
                               2.0 / 3.0,
                               1e22,
                               1e23,
                               123456.78901234567,
                               9007199254740992.0,
                               std::nextafter(1.0, 2.0),
                               std::nextafter(1.0, 0.0),
                               1e-7,
                               0.0,
                               3.0};
  std::mt19937_64 engine(19);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> decade(-9, 6);
  for (int i = 0; i < 3000; ++i) costs.push_back(unit(engine) * std::pow(10.0, decade(engine)));
  while (costs.size() < 6000) {
    const std::uint64_t bits = engine() >> 1;  // sign cleared: costs are >= 0
    if ((bits >> 52) == 0x7ff) continue;       // not a number or infinite
    double value = 0;
    std::memcpy(&value, &bits, sizeof value);
    costs.push_back(value);
  }
  std::string batch;
  for (std::size_t i = 0; i < costs.size(); ++i) {
    char text[64];
    const auto end = std::to_chars(text, text + sizeof text, costs[i]).ptr;  // shortest exact
    batch += "{\"tool\":\"codex\",\"host\":\"laptop\",\"session_id\":\"s\",\"turn_id\":\"t" +
             std::to_string(i) + "\",\"seq\":" + std::to_string(i) +
             ",\"role\":\"assistant\",\"timestamp\":\"2025-01-01T00:00:00Z\",\"cost_usd\":" +
             std::string(text, end) + "}\n";
  }
  const auto dir = temp_dir();
  const std::string laptop = machine(dir, "laptop", {batch});
  {
    // The laptop stored exactly these doubles (bound, not parsed by SQLite).
    Db db(laptop);
    db.must("BEGIN; CREATE TABLE expected (turn_id TEXT PRIMARY KEY, x REAL)");
    for (std::size_t i = 0; i < costs.size(); ++i) {
      ASSERT_TRUE(
          db.query("INSERT INTO expected VALUES (?1, ?2)", "t" + std::to_string(i), costs[i]).ok());
    }
    db.must("COMMIT");
    ASSERT_EQ(db.count("SELECT count(*) FROM turns AS t JOIN expected AS e USING (turn_id) "
                       "WHERE t.cost_usd IS e.x"),
              static_cast<std::int64_t>(costs.size()));
  }
  Db central((dir / "central.db").string());
  central.apply_schema();
  merge(central, laptop);
  central.must("ATTACH '" + laptop + "' AS laptop");
  EXPECT_EQ(central.count("SELECT count(*) FROM turns"), static_cast<std::int64_t>(costs.size()));
  const Result changed = central.query(
      "SELECT l.turn_id, printf('%!.17g', l.cost_usd), printf('%!.17g', c.cost_usd), w.line "
      "FROM laptop.turns AS l LEFT JOIN main.turns AS c USING (owner, tool, host, session_id, "
      "turn_id) JOIN laptop.lethe_wire_lines AS w USING (owner, tool, host, session_id, turn_id) "
      "WHERE c.cost_usd IS NOT l.cost_usd");
  ASSERT_TRUE(changed.ok()) << changed.error;
  EXPECT_TRUE(changed.rows.empty()) << changed.rows.size() << " of " << costs.size()
                                    << " costs changed, e.g. " << show(changed.rows.front());
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
