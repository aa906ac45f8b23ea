// Acceptance tests for wire contract v1 (docs/reference/contract.md), end to
// end through a real SQLite connection with the built lethe module loaded.
// Each test names the clause it pins down; each can fail when that clause
// breaks.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "support/e2e_support.hpp"

using namespace lethe_test;

namespace {

const std::string kSelect = "SELECT line, byte_offset, code, field, message FROM lethe_ingest";
const std::string kBom = "\xEF\xBB\xBF";

// A line built from exactly these members (no defaults), for lines that
// lack a required field.
std::string object(const std::string& members) { return "{" + members + "}"; }

// A valid line with its own session and turn and an explicit timestamp.
std::string turn_at(const std::string& session, const std::string& turn, const std::string& ts,
                    const std::string& extra = "") {
  std::string fields = "\"timestamp\":\"" + ts + "\"";
  if (!extra.empty()) fields += "," + extra;
  return line(fields, session, turn);
}

::testing::AssertionResult is_batch_error(const Ingest& r) {
  if (r.ok()) {
    return ::testing::AssertionFailure()
           << "expected a batch error, the call succeeded with " << r.rejects.size() << " rows";
  }
  if (r.error.rfind("lethe_ingest:", 0) != 0) {
    return ::testing::AssertionFailure()
           << "batch error message does not start with \"lethe_ingest:\": " << r.error;
  }
  return ::testing::AssertionSuccess();
}

std::int64_t turns(Db& db) { return db.count("SELECT count(*) FROM turns"); }
std::int64_t sessions(Db& db) { return db.count("SELECT count(*) FROM sessions"); }

std::string text(Db& db, const std::string& sql) {
  Value v = db.scalar(sql);
  return v ? *v : "<NULL>";
}

std::size_t longest_run(const std::string& s, char c) {
  std::size_t best = 0, run = 0;
  for (char x : s) {
    run = x == c ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// A database with the schema and a trigger that refuses any turn whose
// content is 'boom', so a line can fail in the database (DB_CONSTRAINT).
void add_boom_trigger(Db& db) {
  db.must(
      "CREATE TRIGGER boom BEFORE INSERT ON turns WHEN NEW.content = 'boom' "
      "BEGIN SELECT RAISE(ABORT, 'boom refused'); END;");
}

}  // namespace

// ---------------------------------------------------------------------------
// Section 1: result rows.

TEST(ContractRows, OneRowPerRejectedLineInInputOrderNoneForAccepted) {
  Db db;
  db.apply_schema();
  add_boom_trigger(db);
  const std::string ndjson = line("", "s1", "t1") + "\n" +                      // 1 ok
                             line("\"content\":\"boom\"", "s1", "t2") + "\n" +  // 2 DB
                             "not json\n" +                                     // 3
                             line("", "s1", "t3") + "\n" +                      // 4 ok
                             object("\"tool\":\"x\"") + "\n" +                  // 5 missing
                             line("\"seq\":-1", "s1", "t5") + "\n" +            // 6 invalid
                             line("", "s1", "t6") + "\n";                       // 7 ok
  Ingest r = ingest(db, "alice", ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 4u);
  EXPECT_EQ(r.rejects[0].line, 2);
  EXPECT_EQ(r.rejects[0].code, "DB_CONSTRAINT");
  EXPECT_EQ(r.rejects[1].line, 3);
  EXPECT_EQ(r.rejects[1].code, "INVALID_JSON");
  EXPECT_EQ(r.rejects[2].line, 5);
  EXPECT_EQ(r.rejects[2].code, "MISSING_FIELD");
  EXPECT_EQ(r.rejects[2].field, Value("host"));
  EXPECT_EQ(r.rejects[3].line, 6);
  EXPECT_EQ(r.rejects[3].code, "INVALID_FIELD");
  EXPECT_EQ(r.rejects[3].field, Value("seq"));
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE turn_id IN ('t1','t3','t6')"), 3);
  EXPECT_EQ(turns(db), 3);
}

TEST(ContractRows, AllAcceptedMeansNoRows) {
  Db db;
  db.apply_schema();
  Ingest r = ingest(db, "alice", line("", "s1", "t1") + "\n" + line("", "s1", "t2") + "\n");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.rejects.empty());
  EXPECT_EQ(turns(db), 2);
}

TEST(ContractRows, FirstProblemInFieldOrderWins) {
  Db db;
  db.apply_schema();
  // tool (first in section 3) and seq and role are all wrong: tool is named.
  Ingest r = ingest(db, "alice", line("\"role\":\"robot\",\"seq\":\"x\",\"tool\":\"\""));
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].field, Value("tool"));
  // seq before role before timestamp.
  r = ingest(db, "alice", line("\"timestamp\":\"nope\",\"role\":\"robot\",\"seq\":1.5"));
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].field, Value("seq"));
  r = ingest(db, "alice", line("\"timestamp\":\"nope\",\"role\":\"robot\""));
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].field, Value("role"));
}

TEST(ContractRows, ColumnTypes) {
  Db db;
  db.apply_schema();
  const std::string ndjson = "garbage\n" + line("\"seq\":\"one\"") + "\n";
  Result r = db.query(
      "SELECT typeof(line), typeof(byte_offset), typeof(code), typeof(field), typeof(message) "
      "FROM lethe_ingest(?1, ?2)",
      std::string("alice"), ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0], (Row{"integer", "integer", "text", "null", "text"}));
  EXPECT_EQ(r.rows[1], (Row{"integer", "integer", "text", "text", "text"}));
  // The declared column names, in order.
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db.handle(), "SELECT * FROM lethe_ingest('a', '')", -1, &stmt, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_column_count(stmt), 5);
  const char* expected[] = {"line", "byte_offset", "code", "field", "message"};
  for (int i = 0; i < 5; ++i) EXPECT_STREQ(sqlite3_column_name(stmt, i), expected[i]);
  sqlite3_finalize(stmt);
}

TEST(ContractRows, ByteOffsetLocatesTheLineWithBomCrlfAndMultibyte) {
  Db db;
  db.apply_schema();
  const std::string bad1 = "{\"oops\": \"\xC3\xA9t\xC3\xA9\"";  // unterminated object
  const std::string bad2 = line("\"seq\":\"\xE2\x9C\x93\"", "s1", "t9");
  const std::string bad3 = "[\"\xF0\x9F\x98\x80 emoji\"]";
  const std::string ndjson = kBom + "not an object\r\n" +                                   // 1
                             line("\"content\":\"h\xC3\xA9llo \xE2\x9C\x93\"") + "\r\n" +   // 2
                             "\r\n" +                                                       // 3
                             " \t \r\n" +                                                   // 4
                             bad1 + "\r\n" +                                                // 5
                             line("\"content\":\"\xF0\x9F\x98\x80\"", "s1", "t2") + "\n" +  // 6
                             bad2 + "\n" +                                                  // 7
                             "\n" + bad3;                                                   // 8, 9
  Result r = db.query(
      "SELECT line, byte_offset, hex(substr(CAST(?2 AS BLOB), byte_offset + 1, ?3)) "
      "FROM lethe_ingest(?1, ?2)",
      std::string("alice"), ndjson, 13);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rows.size(), 4u);
  auto hex13 = [](const std::string& s) {
    static const char* digits = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < std::min<std::size_t>(13, s.size()); ++i) {
      out += digits[static_cast<unsigned char>(s[i]) >> 4];
      out += digits[static_cast<unsigned char>(s[i]) & 15];
    }
    return out;
  };
  // Line 1 starts right after the BOM: the BOM counts in byte_offset.
  EXPECT_EQ(r.rows[0], (Row{"1", "3", hex13("not an object")}));
  EXPECT_EQ(r.rows[1], (Row{"5", std::to_string(ndjson.find(bad1)), hex13(bad1)}));
  EXPECT_EQ(r.rows[2], (Row{"7", std::to_string(ndjson.find(bad2)), hex13(bad2)}));
  EXPECT_EQ(r.rows[3], (Row{"9", std::to_string(ndjson.size() - bad3.size()), hex13(bad3)}));
  EXPECT_EQ(turns(db), 2);
}

TEST(ContractRows, FieldIsNullForWholeLineProblemsAndADottedPathOtherwise) {
  Db db;
  db.apply_schema();
  const std::string ndjson = std::string("{\"tool\":\n") +  // 1 broken JSON
                             "[1,2]\n" +                    // 2 not an object
                             "42\n" +                       // 3 not an object
                             "\"str\"\n" +                  // 4
                             line("\"content\":\"" + std::string(200, 'x') + "\"") +  // 5 too long
                             "\n" + line("\"role\":null") + "\n" +                    // 6
                             line("\"session_meta\":{\"started_at\":\"2025-13-01T00:00:00Z\"}") +
                             "\n";  // 7
  Ingest r = ingest(db, "alice", ndjson, "{\"max_line_bytes\":200}");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 7u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(r.rejects[i].code, "INVALID_JSON") << i;
    EXPECT_EQ(r.rejects[i].field, std::nullopt) << i;
  }
  EXPECT_EQ(r.rejects[4].code, "LINE_TOO_LONG");
  EXPECT_EQ(r.rejects[4].field, std::nullopt);
  EXPECT_EQ(r.rejects[5].code, "MISSING_FIELD");
  EXPECT_EQ(r.rejects[5].field, Value("role"));
  EXPECT_EQ(r.rejects[6].code, "INVALID_FIELD");
  EXPECT_EQ(r.rejects[6].field, Value("session_meta.started_at"));
  for (const Reject& reject : r.rejects) EXPECT_FALSE(reject.message.empty());
}

TEST(ContractRows, MessageQuotesAtMost120BytesOfTheValue) {
  Db db;
  db.apply_schema();
  const std::string ndjson =
      line("\"tool\":\"" + std::string(500, 'x') + "\"") + "\n" +             // too long
      line("\"content\":{\"k\":\"" + std::string(500, 'y') + "\"}") + "\n" +  // not a string
      line("\"metadata\":[\"" + std::string(1000, 'z') + "\"]") + "\n" +      // not an object
      line("\"timestamp\":\"" + std::string(300, '9') + "\"") + "\n" +        // bad timestamp
      line("\"session_meta\":{\"working_dir\":\"" + std::string(5000, 'w') + "\"}") + "\n";
  std::string model;
  for (int i = 0; i < 200; ++i) model += "\xC3\xA9";  // 400 bytes of 'é'
  const std::string ndjson2 = line("\"model\":\"" + model + "\"");
  Ingest r = ingest(db, "alice", ndjson + ndjson2);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 6u);
  const char fills[] = {'x', 'y', 'z', '9', 'w'};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.rejects[i].code, "INVALID_FIELD") << i;
    EXPECT_LE(longest_run(r.rejects[i].message, fills[i]), 120u) << r.rejects[i].message;
    EXPECT_LT(r.rejects[i].message.size(), 1000u) << i;
  }
  const std::string& m = r.rejects[5].message;
  EXPECT_EQ(r.rejects[5].field, Value("model"));
  EXPECT_TRUE(valid_utf8(m)) << m;
  // The quoted part holds at most 60 'é' (120 bytes).
  EXPECT_EQ(m.find(model.substr(0, 122)), std::string::npos) << m;
  EXPECT_EQ(turns(db), 0);
}

TEST(ContractRows, AllLinesProcessedWhenOnlyOneRowIsRead) {
  Db db;
  db.apply_schema();
  std::string ndjson;
  for (int i = 0; i < 5; ++i) {
    ndjson += "bad " + std::to_string(i) + "\n" + line("", "s1", "t" + std::to_string(i)) + "\n";
  }
  Result r = db.query(kSelect + "(?1, ?2) LIMIT 1", std::string("alice"), ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(turns(db), 5);
  EXPECT_EQ(text(db, "SELECT json_extract(lethe_last_ingest(), '$.rejected')"), "5");
}

TEST(ContractRows, AllLinesProcessedUnderCountStar) {
  Db db;
  db.apply_schema();
  std::string ndjson;
  for (int i = 0; i < 4; ++i) {
    ndjson += line("", "s" + std::to_string(i), "t") + "\n{}\n";
  }
  Value n = db.scalar("SELECT count(*) FROM lethe_ingest(?1, ?2)", std::string("alice"), ndjson);
  EXPECT_EQ(n, Value("4"));
  EXPECT_EQ(turns(db), 4);
  EXPECT_EQ(sessions(db), 4);
}

TEST(ContractRows, HiddenColumnsAsNamedArguments) {
  Db db;
  db.apply_schema();
  const std::string ndjson = line("", "s1", "t1") + "\nbad\n";
  Result r = db.query("SELECT line, code FROM lethe_ingest WHERE owner = ?1 AND ndjson = ?2",
                      std::string("alice"), ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0], (Row{"2", "INVALID_JSON"}));
  EXPECT_EQ(text(db, "SELECT owner FROM turns"), "alice");
  // With options as a named argument too (dry run: nothing more is written).
  r = db.query("SELECT line FROM lethe_ingest WHERE ndjson = ?2 AND options = ?3 AND owner = ?1",
               std::string("bob"), ndjson, std::string("{\"dry_run\":true}"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner = 'bob'"), 0);
}

TEST(ContractRows, OptionsMayBeOmittedOrNull) {
  Db db;
  db.apply_schema();
  Ingest two = ingest(db, "alice", line("", "s1", "t1"));
  ASSERT_TRUE(two.ok()) << two.error;
  Ingest null_options = to_ingest(
      db.query(kSelect + "(?1, ?2, ?3)", std::string("alice"), line("", "s1", "t2"), nullptr));
  ASSERT_TRUE(null_options.ok()) << null_options.error;
  Ingest empty_object = ingest(db, "alice", line("", "s1", "t3"), "{}");
  ASSERT_TRUE(empty_object.ok()) << empty_object.error;
  EXPECT_EQ(turns(db), 3);
}

TEST(ContractRows, BlobNdjsonWorksLikeText) {
  const std::string ndjson = kBom + line("\"content\":\"caf\xC3\xA9\"", "s1", "t1") + "\r\n" +
                             "{bad\n\n" + line("", "s2", "t2");
  Db as_text;
  as_text.apply_schema();
  Db as_blob;
  as_blob.apply_schema();
  Result t = as_text.query(kSelect + "(?1, ?2)", std::string("alice"), ndjson);
  Result b = as_blob.query(kSelect + "(?1, ?2)", std::string("alice"), Db::BlobArg{ndjson});
  ASSERT_TRUE(t.ok()) << t.error;
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(t.rows, b.rows);
  ASSERT_EQ(b.rows.size(), 1u);
  EXPECT_EQ(dump(as_text, "turns"), dump(as_blob, "turns"));
  EXPECT_EQ(dump(as_text, "sessions"), dump(as_blob, "sessions"));
  EXPECT_EQ(turns(as_blob), 2);
  EXPECT_EQ(text(as_blob, "SELECT typeof(content) || ':' || content FROM turns WHERE turn_id='t1'"),
            "text:caf\xC3\xA9");
}

TEST(ContractRows, EmptyStringIsABatchWithNoLines) {
  Db db;
  db.apply_schema();
  Ingest r = ingest(db, "alice", "");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.rejects.empty());
  EXPECT_EQ(text(db, "SELECT json_extract(lethe_last_ingest(), '$.lines')"), "0");
  // An empty BLOB too.
  Result b = db.query(kSelect + "('alice', x'')");
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_TRUE(b.rows.empty());
  EXPECT_EQ(turns(db), 0);
  EXPECT_EQ(sessions(db), 0);
}

// ---------------------------------------------------------------------------
// Section 1, arguments: the owner rule.

TEST(ContractOwner, StoredOwnerIsTheArgumentNeverThePayload) {
  Db db;
  db.apply_schema();
  Ingest r = ingest(db, "alice",
                    line("\"owner\":\"mallory\"", "s1", "t1") + "\n" + "{\"owner\":\"mallory\"," +
                        line("", "s1", "t2").substr(1));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.rejects.empty());
  EXPECT_EQ(text(db, "SELECT group_concat(DISTINCT owner) FROM turns"), "alice");
  EXPECT_EQ(text(db, "SELECT group_concat(DISTINCT owner) FROM sessions"), "alice");
  EXPECT_EQ(turns(db), 2);
}

TEST(ContractOwner, BadOwnerIsABatchErrorAndWritesNothing) {
  Db db;
  db.apply_schema();
  const std::string ndjson = line("", "s1", "t1");
  const std::string sql = kSelect + "(?1, ?2)";
  std::vector<std::pair<std::string, Ingest>> cases;
  cases.emplace_back("NULL", to_ingest(db.query(sql, nullptr, ndjson)));
  cases.emplace_back("empty", to_ingest(db.query(sql, std::string(), ndjson)));
  cases.emplace_back("257 bytes", to_ingest(db.query(sql, std::string(257, 'o'), ndjson)));
  cases.emplace_back("integer", to_ingest(db.query(sql, 42, ndjson)));
  cases.emplace_back("real", to_ingest(db.query(sql, 4.5, ndjson)));
  cases.emplace_back("blob", to_ingest(db.query(sql, Db::BlobArg{"alice"}, ndjson)));
  cases.emplace_back("control char", to_ingest(db.query(sql,
                                                        std::string("ali\x01"
                                                                    "ce"),
                                                        ndjson)));
  cases.emplace_back("newline", to_ingest(db.query(sql, std::string("alice\n"), ndjson)));
  cases.emplace_back("DEL", to_ingest(db.query(sql, std::string("alice\x7F"), ndjson)));
  cases.emplace_back("NUL", to_ingest(db.query(sql, std::string("ali\0ce", 6), ndjson)));
  cases.emplace_back("invalid UTF-8",
                     to_ingest(db.query(kSelect + "(CAST(x'ff' AS TEXT), ?1)", ndjson)));
  cases.emplace_back("invalid UTF-8 inside",
                     to_ingest(db.query(kSelect + "(CAST(x'616263c3' AS TEXT), ?1)", ndjson)));
  for (const auto& [name, r] : cases) {
    EXPECT_TRUE(is_batch_error(r)) << name;
  }
  EXPECT_EQ(turns(db), 0);
  EXPECT_EQ(sessions(db), 0);
}

TEST(ContractOwner, ExactlyTwoHundredFiftySixBytesIsAccepted) {
  Db db;
  db.apply_schema();
  const std::string ascii(256, 'o');
  std::string multibyte;
  for (int i = 0; i < 128; ++i) multibyte += "\xC3\xA9";
  for (const std::string& owner : {ascii, multibyte}) {
    Ingest r = ingest(db, owner, line());
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner = '" + owner + "'"), 1);
  }
  // One more byte, as a multibyte character, is too long.
  EXPECT_TRUE(is_batch_error(ingest(db, multibyte + "x", line())));
}

// ---------------------------------------------------------------------------
// Section 1, arguments: ndjson and options.

TEST(ContractArgs, NullNdjsonIsABatchErrorThatSaysNull) {
  Db db;
  db.apply_schema();
  Ingest r = to_ingest(db.query(kSelect + "(?1, ?2)", std::string("alice"), nullptr));
  ASSERT_TRUE(is_batch_error(r));
  EXPECT_NE(r.error.find("NULL"), std::string::npos) << r.error;
  // As readfile() of a missing file would give it.
  r = to_ingest(db.query(kSelect + "('alice', NULL, '{\"dry_run\":true}')"));
  ASSERT_TRUE(is_batch_error(r));
  EXPECT_NE(r.error.find("NULL"), std::string::npos) << r.error;
}

TEST(ContractArgs, BadOptionsAreBatchErrorsAndWriteNothing) {
  Db db;
  db.apply_schema();
  const std::string ndjson = line("", "s1", "t1") + "\nbad\n";
  const std::vector<std::string> bad = {
      "{\"bogus\":1}",
      "{\"dry_run\":false,\"Max_errors\":1}",
      "{\"max_line_bytes\":0}",
      "{\"max_line_bytes\":-1}",
      "{\"max_line_bytes\":\"5\"}",
      "{\"max_line_bytes\":1.5}",
      "{\"max_line_bytes\":true}",
      "{\"max_errors\":-1}",
      "{\"max_errors\":\"3\"}",
      "{\"max_errors\":2.5}",
      "{\"dry_run\":\"yes\"}",
      "{\"dry_run\":1}",
      "{\"dry_run\":null}",
      "[]",
      "[{\"dry_run\":true}]",
      "42",
      "\"{}\"",
      "true",
      "{not json",
      "{\"dry_run\":true",
      "",
  };
  for (const std::string& options : bad) {
    EXPECT_TRUE(is_batch_error(ingest(db, "alice", ndjson, options))) << options;
  }
  // Options given as a number or a blob are not a JSON object either.
  EXPECT_TRUE(is_batch_error(
      to_ingest(db.query(kSelect + "(?1, ?2, ?3)", std::string("alice"), ndjson, 1))));
  EXPECT_EQ(turns(db), 0);
  EXPECT_EQ(sessions(db), 0);
}

TEST(ContractArgs, GoodOptionsAreAccepted) {
  Db db;
  db.apply_schema();
  Ingest r = ingest(db, "alice", line(),
                    "{\"max_line_bytes\": 100000, \"max_errors\": 10, \"dry_run\": false}");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(turns(db), 1);
}

TEST(ContractArgs, MaxErrorsNullMeansNoLimit) {
  Db db;
  db.apply_schema();
  std::string ndjson = line("", "s1", "t0") + "\n";
  for (int i = 0; i < 50; ++i) ndjson += "bad\n";
  ndjson += line("", "s1", "t1") + "\n";
  Ingest r = ingest(db, "alice", ndjson, "{\"max_errors\":null}");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rejects.size(), 50u);
  EXPECT_EQ(turns(db), 2);
  // And the default is the same.
  r = ingest(db, "bob", ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rejects.size(), 50u);
}

// ---------------------------------------------------------------------------
// Section 1 options: dry_run, max_line_bytes, max_errors.

TEST(ContractDryRun, ReportsLineErrorsAndWritesNothing) {
  Db db;
  db.apply_schema();
  ASSERT_TRUE(ingest(db, "alice", turn_at("s1", "t1", "2025-03-01T10:00:00Z")).ok());
  const auto sessions_before = dump(db, "sessions");
  const auto turns_before = dump(db, "turns");
  const std::string ndjson =
      turn_at("s1", "t1", "2025-01-01T00:00:00Z", "\"content\":\"changed\"") + "\n" +
      turn_at("s2", "t1", "2025-03-01T10:00:00Z") + "\n" + "nope\n" + line("\"seq\":-5");
  Ingest dry = ingest(db, "alice", ndjson, "{\"dry_run\":true}");
  ASSERT_TRUE(dry.ok()) << dry.error;
  EXPECT_EQ(dump(db, "sessions"), sessions_before);
  EXPECT_EQ(dump(db, "turns"), turns_before);
  ASSERT_EQ(dry.rejects.size(), 2u);
  EXPECT_EQ(dry.rejects[0].line, 3);
  EXPECT_EQ(dry.rejects[0].code, "INVALID_JSON");
  EXPECT_EQ(dry.rejects[1].line, 4);
  EXPECT_EQ(dry.rejects[1].field, Value("seq"));
  // Same rows as the real run.
  Db other;
  other.apply_schema();
  Ingest real = ingest(other, "alice", ndjson);
  ASSERT_TRUE(real.ok()) << real.error;
  ASSERT_EQ(real.rejects.size(), dry.rejects.size());
  for (std::size_t i = 0; i < real.rejects.size(); ++i) {
    EXPECT_EQ(real.rejects[i].line, dry.rejects[i].line);
    EXPECT_EQ(real.rejects[i].byte_offset, dry.rejects[i].byte_offset);
    EXPECT_EQ(real.rejects[i].code, dry.rejects[i].code);
    EXPECT_EQ(real.rejects[i].field, dry.rejects[i].field);
    EXPECT_EQ(real.rejects[i].message, dry.rejects[i].message);
  }
}

TEST(ContractDryRun, WorksOnADatabaseWithoutTheSchema) {
  Db db;  // no apply_schema()
  Ingest r = ingest(db, "alice", line() + "\nbad\n", "{\"dry_run\":true}");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 2);
  EXPECT_EQ(db.count("SELECT count(*) FROM sqlite_schema"), 0);
  // Without dry_run the missing schema is a batch error that says what to do.
  Ingest wet = ingest(db, "alice", line());
  ASSERT_TRUE(is_batch_error(wet));
  EXPECT_NE(wet.error.find("schema.sql"), std::string::npos) << wet.error;
}

TEST(ContractLimits, MaxLineBytesBoundary) {
  Db db;
  db.apply_schema();
  const std::string l = line("\"content\":\"" + std::string(100, 'c') + "\"");
  const std::string exact = "{\"max_line_bytes\":" + std::to_string(l.size()) + "}";
  const std::string one_less = "{\"max_line_bytes\":" + std::to_string(l.size() - 1) + "}";
  Ingest r = ingest(db, "alice", l + "\n", exact);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.rejects.empty());
  // The line ending does not count.
  r = ingest(db, "alice", l + "\r\n" + l, exact);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.rejects.empty());
  r = ingest(db, "bob", l + "\r\n" + l, one_less);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[0].code, "LINE_TOO_LONG");
  EXPECT_EQ(r.rejects[0].field, std::nullopt);
  EXPECT_EQ(r.rejects[1].line, 2);
  EXPECT_EQ(r.rejects[1].code, "LINE_TOO_LONG");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner='bob'"), 0);
  // max_line_bytes 1 rejects every non-blank line; blank lines are still skipped.
  r = ingest(db, "carol", "  \n" + l, "{\"max_line_bytes\":1}");
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 2);
}

TEST(ContractLimits, MaxErrorsAllowsNAndFailsAtNPlusOneWritingNothing) {
  Db db;
  db.apply_schema();
  // Good lines come first so that a partial write would show.
  std::string ndjson;
  for (int i = 0; i < 3; ++i) ndjson += line("", "s1", "t" + std::to_string(i)) + "\n";
  ndjson += "bad one\n" + line("", "s2", "t1") + "\nbad two\n" + line("", "s3", "t1") + "\n";
  Ingest r = ingest(db, "alice", ndjson, "{\"max_errors\":2}");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner='alice'"), 5);

  r = ingest(db, "bob", ndjson, "{\"max_errors\":1}");
  EXPECT_TRUE(is_batch_error(r));
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner='bob'"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE owner='bob'"), 0);

  r = ingest(db, "carol", ndjson, "{\"max_errors\":0}");
  EXPECT_TRUE(is_batch_error(r));
  r = ingest(db, "carol", line(), "{\"max_errors\":0}");
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner='carol'"), 1);
}

TEST(ContractLimits, MaxErrorsWritesNothingEvenAfterManyGoodLines) {
  Db db;
  db.apply_schema();
  std::string ndjson;
  for (int i = 0; i < 3000; ++i)
    ndjson += line("", "s" + std::to_string(i % 7), std::to_string(i)) + "\n";
  ndjson += "bad\nbad\n";
  Ingest r = ingest(db, "alice", ndjson, "{\"max_errors\":1}");
  EXPECT_TRUE(is_batch_error(r));
  EXPECT_EQ(turns(db), 0);
  EXPECT_EQ(sessions(db), 0);
}

TEST(ContractLimits, MaxErrorsCountsDatabaseRejections) {
  Db db;
  db.apply_schema();
  add_boom_trigger(db);
  const std::string ndjson = line("", "s1", "t1") + "\n" + "bad\n" +
                             line("\"content\":\"boom\"", "s1", "t2") + "\n" + line("", "s1", "t3");
  Ingest r = ingest(db, "alice", ndjson, "{\"max_errors\":2}");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(turns(db), 2);
  r = ingest(db, "bob", ndjson, "{\"max_errors\":1}");
  EXPECT_TRUE(is_batch_error(r));
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner='bob'"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE owner='bob'"), 0);
}

// ---------------------------------------------------------------------------
// Section 2: framing end to end.

TEST(ContractFraming, CrlfBomBlankLinesAndALastLineWithoutNewline) {
  Db db;
  db.apply_schema();
  const std::string ndjson = kBom + line("\"content\":\"one\"", "s1", "t1") + "\r\n" +  // 1
                             "\r\n" +                                                   // 2
                             "   \t \n" +                                               // 3
                             "\n" +                                                     // 4
                             "\t\r\n" +                                                 // 5
                             line("\"content\":\"two\"", "s1", "t2") + "\r\n" +         // 6
                             "oops\r\n" +                                               // 7
                             line("\"content\":\"three\"", "s1", "t3");                 // 8
  Ingest r = ingest(db, "alice", ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 7);
  EXPECT_EQ(r.rejects[0].byte_offset, static_cast<std::int64_t>(ndjson.find("oops")));
  EXPECT_EQ(text(db,
                 "SELECT group_concat(content, ',') FROM (SELECT content FROM turns ORDER BY "
                 "turn_id)"),
            "one,two,three");
  // No CR ever reaches a stored value.
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE instr(content, char(13))"), 0);
  EXPECT_EQ(text(db, "SELECT json_extract(lethe_last_ingest(), '$.lines')"), "4");
}

TEST(ContractFraming, BomOnlyAtTheVeryStartIsSkipped) {
  Db db;
  db.apply_schema();
  Ingest r = ingest(db, "alice", line("", "s1", "t1") + "\n" + kBom + line("", "s1", "t2"));
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 2);
  EXPECT_EQ(r.rejects[0].code, "INVALID_JSON");
  EXPECT_EQ(turns(db), 1);
  // A BOM alone is an empty batch.
  r = ingest(db, "alice", kBom);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.rejects.empty());
  EXPECT_EQ(text(db, "SELECT json_extract(lethe_last_ingest(), '$.lines')"), "0");
}

TEST(ContractFraming, DuplicateKeysLastWinsAndUnknownKeysIgnored) {
  Db db;
  db.apply_schema();
  Ingest r =
      ingest(db, "alice",
             line("\"content\":\"first\",\"future_field\":{\"x\":[1,2]},\"content\":\"last\","
                  "\"seq\":7"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.rejects.empty());
  EXPECT_EQ(text(db, "SELECT content || ':' || seq FROM turns"), "last:7");
}

// ---------------------------------------------------------------------------
// Sections 3 and 4: stored values.

TEST(ContractStored, TimestampsAreNormalizedToUtcMilliseconds) {
  Db db;
  db.apply_schema();
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"2025-03-01T10:00:00Z", "2025-03-01T10:00:00.000Z"},
      {"2025-03-01t10:00:00z", "2025-03-01T10:00:00.000Z"},
      {"2025-03-01T10:00:00.5Z", "2025-03-01T10:00:00.500Z"},
      {"2025-03-01T10:00:00.123987654Z", "2025-03-01T10:00:00.123Z"},
      {"2025-03-01T10:00:00.9999+00:00", "2025-03-01T10:00:00.999Z"},
      {"2025-03-01T00:30:00.123987+01:00", "2025-02-28T23:30:00.123Z"},
      {"2024-02-28T23:59:59.999-05:30", "2024-02-29T05:29:59.999Z"},
      {"2024-12-31T22:00:00-02:00", "2025-01-01T00:00:00.000Z"},
      {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"},
  };
  std::string ndjson;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string id = std::to_string(i);
    // The same time as the turn's timestamp and as its session's started_at.
    ndjson += line("\"timestamp\":\"" + cases[i].in + "\",\"session_meta\":{\"started_at\":\"" +
                       cases[i].in + "\"}",
                   "ts" + id, "t" + id) +
              "\n";
  }
  Ingest r = ingest(db, "alice", ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.rejects.empty()) << r.rejects[0].message;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string id = std::to_string(i);
    EXPECT_EQ(text(db, "SELECT timestamp FROM turns WHERE turn_id='t" + id + "'"), cases[i].out)
        << cases[i].in;
    EXPECT_EQ(text(db, "SELECT started_at FROM sessions WHERE session_id='ts" + id + "'"),
              cases[i].out)
        << cases[i].in;
    EXPECT_EQ(text(db, "SELECT ended_at FROM sessions WHERE session_id='ts" + id + "'"),
              cases[i].out)
        << cases[i].in;
  }
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE length(timestamp) <> 24 OR "
                     "timestamp <> strftime('%Y-%m-%dT%H:%M:%fZ', timestamp)"),
            0);
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions WHERE length(started_at) <> 24 OR "
                     "length(ended_at) <> 24"),
            0);
}

TEST(ContractStored, BadTimestampsAreInvalidField) {
  Db db;
  db.apply_schema();
  const std::vector<std::string> bad = {
      "2025-03-01T10:00:00",       "2025-03-01 10:00:00Z",
      "2025-03-01T10:00:60Z",      "2025-02-29T10:00:00Z",
      "2025-03-01T24:00:00Z",      "2025-03-01T10:60:00Z",
      "2025-03-01T10:00:00.Z",     "2025-03-01T10:00:00.1234567890Z",
      "2025-3-01T10:00:00Z",       "0001-01-01T00:00:00+00:01",
      "9999-12-31T23:59:00-00:01", "",
  };
  std::string ndjson;
  for (const std::string& ts : bad) ndjson += line("\"timestamp\":\"" + ts + "\"") + "\n";
  ndjson += line("\"timestamp\":20250301") + "\n";
  ndjson += line("\"session_meta\":{\"started_at\":\"2025-03-01\"}") + "\n";
  Ingest r = ingest(db, "alice", ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), bad.size() + 2);
  for (std::size_t i = 0; i < bad.size() + 1; ++i) {
    EXPECT_EQ(r.rejects[i].code, "INVALID_FIELD") << i;
    EXPECT_EQ(r.rejects[i].field, Value("timestamp")) << i;
  }
  EXPECT_EQ(r.rejects.back().field, Value("session_meta.started_at"));
  EXPECT_EQ(turns(db), 0);
}

TEST(ContractStored, ContentWithEmbeddedNulIsStoredExactly) {
  Db db;
  db.apply_schema();
  Ingest r = ingest(db, "alice",
                    line("\"content\":\"a\\u0000b\\u0000\"", "s1", "t1") + "\n" +
                        line("\"content\":\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\"", "s1", "t2") +
                        "\n" + line("\"content\":\"\"", "s1", "t3"));
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.rejects.empty());
  EXPECT_EQ(text(db, "SELECT length(CAST(content AS BLOB)) FROM turns WHERE turn_id='t1'"), "4");
  EXPECT_EQ(text(db, "SELECT hex(content) FROM turns WHERE turn_id='t1'"), "61006200");
  EXPECT_EQ(text(db, "SELECT typeof(content) FROM turns WHERE turn_id='t1'"), "text");
  EXPECT_EQ(text(db, "SELECT hex(content) FROM turns WHERE turn_id='t2'"), "C3A9F09F98800A225C2F");
  EXPECT_EQ(text(db, "SELECT typeof(content) || length(content) FROM turns WHERE turn_id='t3'"),
            "text0");
}

TEST(ContractStored, JsonValuesAreStoredByteExact) {
  Db db;
  db.apply_schema();
  const std::string tool_calls =
      "[ {\"name\":\"x\", \"b\": 1.10, \"a\":123456789012345678901234567890} ,\t2e5, \"\\u00e9\" ]";
  const std::string metadata =
      "{\"z\":1.10,\"a\":[ 1 , 2 ],\"big\":123456789012345678901234567890,\"z\":-0.0}";
  const std::string session_metadata = "{ \"y\" : 1.10 , \"x\":\"\\u00e9\", \"n\": null }";
  Ingest r = ingest(db, "alice",
                    line("\"tool_calls\":  " + tool_calls + " ,\"metadata\":" + metadata +
                         ",\"session_meta\":{\"metadata\":" + session_metadata + "}"));
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.rejects.empty()) << r.rejects[0].message;
  EXPECT_EQ(text(db, "SELECT tool_calls FROM turns"), tool_calls);
  EXPECT_EQ(text(db, "SELECT metadata FROM turns"), metadata);
  EXPECT_EQ(text(db, "SELECT metadata FROM sessions"), session_metadata);
  EXPECT_EQ(text(db, "SELECT typeof(tool_calls) || typeof(metadata) FROM turns"), "texttext");
  // Empty containers too.
  r = ingest(db, "bob",
             line("\"tool_calls\":[],\"metadata\":{},\"session_meta\":{\"metadata\":{}}"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(text(db, "SELECT tool_calls || metadata FROM turns WHERE owner='bob'"), "[]{}");
  EXPECT_EQ(text(db, "SELECT metadata FROM sessions WHERE owner='bob'"), "{}");
}

TEST(ContractStored, NullAndAbsentOptionalFieldsAreBothSqlNull) {
  Db db;
  db.apply_schema();
  const std::string nulls =
      "\"content\":null,\"model\":null,\"tokens_in\":null,\"tokens_out\":null,"
      "\"cost_usd\":null,\"tool_calls\":null,\"metadata\":null,"
      "\"session_meta\":{\"started_at\":null,\"working_dir\":null,\"source_file\":null,"
      "\"metadata\":null}";
  Ingest r = ingest(db, "alice",
                    line(nulls, "explicit", "t1") + "\n" + line("", "absent", "t1") + "\n" +
                        line("\"session_meta\":null", "meta_null", "t1") + "\n" +
                        line("\"session_meta\":{}", "meta_empty", "t1"));
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.rejects.empty()) << r.rejects[0].message;
  Result t = db.query(
      "SELECT typeof(content), typeof(model), typeof(tokens_in), typeof(tokens_out), "
      "typeof(cost_usd), typeof(tool_calls), typeof(metadata) FROM turns ORDER BY session_id");
  ASSERT_EQ(t.rows.size(), 4u);
  for (const Row& row : t.rows) {
    EXPECT_EQ(row, Row(7, Value("null")));
  }
  Result s = db.query(
      "SELECT typeof(working_dir), typeof(source_file), typeof(metadata), started_at "
      "FROM sessions ORDER BY session_id");
  ASSERT_EQ(s.rows.size(), 4u);
  for (const Row& row : s.rows) {
    EXPECT_EQ(row, (Row{"null", "null", "null", "2025-03-01T10:00:00.000Z"}));
  }
}

TEST(ContractStored, NumericColumnTypes) {
  Db db;
  db.apply_schema();
  Ingest r =
      ingest(db, "alice",
             line("\"seq\":9223372036854775807,\"tokens_in\":12,\"tokens_out\":0,\"cost_usd\":0.25",
                  "s1", "t1") +
                 "\n" + line("\"cost_usd\":3,\"tokens_in\":-0", "s1", "t2") + "\n" +
                 line("\"cost_usd\":1.5e-3,\"seq\":0", "s1", "t3"));
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.rejects.empty()) << r.rejects[0].message;
  EXPECT_EQ(text(db,
                 "SELECT typeof(seq)||typeof(tokens_in)||typeof(tokens_out)||typeof(cost_usd)"
                 " FROM turns WHERE turn_id='t1'"),
            "integerintegerintegerreal");
  EXPECT_EQ(text(db, "SELECT seq FROM turns WHERE turn_id='t1'"), "9223372036854775807");
  EXPECT_EQ(text(db, "SELECT tokens_in || ',' || tokens_out FROM turns WHERE turn_id='t1'"),
            "12,0");
  EXPECT_EQ(text(db, "SELECT cost_usd = 0.25 FROM turns WHERE turn_id='t1'"), "1");
  EXPECT_EQ(text(db,
                 "SELECT typeof(cost_usd) || ':' || (cost_usd = 3.0) FROM turns "
                 "WHERE turn_id='t2'"),
            "real:1");
  EXPECT_EQ(text(db, "SELECT tokens_in FROM turns WHERE turn_id='t2'"), "0");
  EXPECT_EQ(text(db, "SELECT cost_usd = 0.0015 FROM turns WHERE turn_id='t3'"), "1");
  // Not integers, or out of range: rejected.
  r = ingest(db, "alice",
             line("\"seq\":3.0") + "\n" + line("\"seq\":1e2") + "\n" +
                 line("\"seq\":9223372036854775808") + "\n" + line("\"tokens_in\":-1") + "\n" +
                 line("\"tokens_out\":\"5\"") + "\n" + line("\"cost_usd\":-0.01") + "\n" +
                 line("\"cost_usd\":\"0.1\""));
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 7u);
  const char* fields[] = {"seq", "seq", "seq", "tokens_in", "tokens_out", "cost_usd", "cost_usd"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(r.rejects[i].code, "INVALID_FIELD") << i;
    EXPECT_EQ(r.rejects[i].field, Value(fields[i])) << i;
  }
}

// ---------------------------------------------------------------------------
// Section 7: merge rules.

TEST(ContractMerge, SessionStartAndEndIgnoreLineOrderWithinABatch) {
  const std::vector<std::string> times = {"2025-03-01T12:00:00Z", "2025-03-01T09:00:00Z",
                                          "2025-03-01T10:30:00+02:00",  // 08:30Z
                                          "2025-03-01T11:00:00Z"};
  std::vector<int> order = {0, 1, 2, 3};
  do {
    Db db;
    db.apply_schema();
    std::string ndjson;
    for (int i : order) ndjson += turn_at("s1", "t" + std::to_string(i), times[i]) + "\n";
    Ingest r = ingest(db, "alice", ndjson);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(text(db, "SELECT started_at || ' ' || ended_at FROM sessions"),
              "2025-03-01T08:30:00.000Z 2025-03-01T12:00:00.000Z");
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(ContractMerge, SessionStartAndEndIgnoreBatchOrder) {
  const std::vector<std::string> times = {"2025-03-01T10:00:00Z", "2025-03-01T08:00:00Z",
                                          "2025-03-01T12:00:00Z"};
  std::vector<int> order = {0, 1, 2};
  do {
    Db db;
    db.apply_schema();
    for (int i : order) {
      Ingest r = ingest(db, "alice", turn_at("s1", "t" + std::to_string(i), times[i]));
      ASSERT_TRUE(r.ok()) << r.error;
    }
    EXPECT_EQ(text(db, "SELECT started_at || ' ' || ended_at FROM sessions"),
              "2025-03-01T08:00:00.000Z 2025-03-01T12:00:00.000Z");
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(ContractMerge, StartedAtComesFromSessionMetaElseTheTurn) {
  Db db;
  db.apply_schema();
  // session_meta.started_at earlier than the turn: it is the start.
  ASSERT_TRUE(ingest(db, "alice",
                     turn_at("a", "t1", "2025-03-01T10:00:00Z",
                             "\"session_meta\":{\"started_at\":\"2025-03-01T09:00:00Z\"}"))
                  .ok());
  EXPECT_EQ(text(db, "SELECT started_at || ' ' || ended_at FROM sessions WHERE session_id='a'"),
            "2025-03-01T09:00:00.000Z 2025-03-01T10:00:00.000Z");
  // A later line whose started_at is later than everything: MIN keeps 09:00.
  ASSERT_TRUE(ingest(db, "alice",
                     turn_at("a", "t2", "2025-03-01T11:00:00Z",
                             "\"session_meta\":{\"started_at\":\"2025-03-01T12:00:00Z\"}"))
                  .ok());
  EXPECT_EQ(text(db, "SELECT started_at || ' ' || ended_at FROM sessions WHERE session_id='a'"),
            "2025-03-01T09:00:00.000Z 2025-03-01T11:00:00.000Z");

  // A session whose only started_at is later than its turns: started_at is
  // the MIN of each line's (session_meta.started_at else timestamp), in any
  // line order.
  const std::string l1 = turn_at("b", "t1", "2025-03-01T10:00:00Z",
                                 "\"session_meta\":{\"started_at\":\"2025-03-01T12:00:00Z\"}");
  const std::string l2 = turn_at("b", "t2", "2025-03-01T11:00:00Z");
  for (const std::string& ndjson : {l1 + "\n" + l2, l2 + "\n" + l1}) {
    Db fresh;
    fresh.apply_schema();
    ASSERT_TRUE(ingest(fresh, "alice", ndjson).ok());
    EXPECT_EQ(text(fresh, "SELECT started_at || ' ' || ended_at FROM sessions"),
              "2025-03-01T11:00:00.000Z 2025-03-01T11:00:00.000Z");
  }
  Db single;
  single.apply_schema();
  ASSERT_TRUE(ingest(single, "alice", l1).ok());
  EXPECT_EQ(text(single, "SELECT started_at || ' ' || ended_at FROM sessions"),
            "2025-03-01T12:00:00.000Z 2025-03-01T10:00:00.000Z");
}

TEST(ContractMerge, DescriptiveSessionColumnsFirstNonNullWins) {
  auto meta = [](const std::string& wd, const std::string& sf, const std::string& md) {
    return "\"session_meta\":{\"working_dir\":" + wd + ",\"source_file\":" + sf +
           ",\"metadata\":" + md + "}";
  };
  const std::string l1 = line(meta("null", "\"a.jsonl\"", "null"), "s1", "t1");
  const std::string l2 = line(meta("\"/w2\"", "\"b.jsonl\"", "{\"m\":2}"), "s1", "t2");
  const std::string l3 = line(meta("\"/w3\"", "null", "{\"m\":3}"), "s1", "t3");
  const std::string expected = "/w2|a.jsonl|{\"m\":2}";
  const std::string sql =
      "SELECT working_dir || '|' || source_file || '|' || metadata FROM sessions";
  {  // One batch.
    Db db;
    db.apply_schema();
    ASSERT_TRUE(ingest(db, "alice", l1 + "\n" + l2 + "\n" + l3).ok());
    EXPECT_EQ(text(db, sql), expected);
  }
  {  // Three batches, and a line without session_meta in between.
    Db db;
    db.apply_schema();
    ASSERT_TRUE(ingest(db, "alice", l1).ok());
    EXPECT_EQ(text(db, "SELECT typeof(working_dir) || typeof(metadata) FROM sessions"), "nullnull");
    ASSERT_TRUE(ingest(db, "alice", line("", "s1", "t9")).ok());
    ASSERT_TRUE(ingest(db, "alice", l2).ok());
    ASSERT_TRUE(ingest(db, "alice", l3).ok());
    EXPECT_EQ(text(db, sql), expected);
  }
}

TEST(ContractMerge, TurnsLastWriteWinsForEveryNonKeyColumnIncludingNull) {
  Db db;
  db.apply_schema();
  const std::string full =
      "\"seq\":5,\"role\":\"assistant\",\"timestamp\":\"2025-03-01T10:00:00Z\","
      "\"content\":\"hello\",\"model\":\"m1\",\"tokens_in\":10,\"tokens_out\":20,"
      "\"cost_usd\":0.5,\"tool_calls\":[1],\"metadata\":{\"k\":1}";
  ASSERT_TRUE(ingest(db, "alice", line(full)).ok());
  const std::string cols =
      "SELECT seq, role, timestamp, content, model, tokens_in, tokens_out, cost_usd, tool_calls, "
      "metadata FROM turns";
  ASSERT_EQ(db.query(cols).rows.size(), 1u);
  // Overwritten by a line with the required fields changed and no optionals.
  ASSERT_TRUE(ingest(db, "alice",
                     line("\"seq\":6,\"role\":\"tool\",\"timestamp\":\"2025-03-01T09:00:00Z\""))
                  .ok());
  Result r = db.query(cols);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0], (Row{"6", "tool", "2025-03-01T09:00:00.000Z", std::nullopt, std::nullopt,
                            std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
  // And back again, explicitly overwriting with JSON null in between.
  ASSERT_TRUE(ingest(db, "alice", line(full)).ok());
  ASSERT_TRUE(ingest(db, "alice", line(full + ",\"content\":null,\"cost_usd\":null")).ok());
  r = db.query(cols);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][3], std::nullopt);
  EXPECT_EQ(r.rows[0][7], std::nullopt);
  EXPECT_EQ(r.rows[0][4], Value("m1"));
}

TEST(ContractMerge, LaterLineInTheSameBatchWins) {
  Db db;
  db.apply_schema();
  std::string ndjson;
  for (int i = 1; i <= 3; ++i) {
    ndjson += line("\"seq\":" + std::to_string(i) + ",\"content\":\"v" + std::to_string(i) + "\"",
                   "s1", "t1") +
              "\n";
  }
  ndjson += line("\"seq\":4", "s1", "t1") + "\n";  // last: content absent -> NULL
  ndjson += line("\"seq\":9,\"content\":\"other\"", "s1", "t2") + "\n";
  ASSERT_TRUE(ingest(db, "alice", ndjson).ok());
  EXPECT_EQ(turns(db), 2);
  EXPECT_EQ(
      text(db, "SELECT seq || ':' || coalesce(content, 'NULL') FROM turns WHERE turn_id='t1'"),
      "4:NULL");
  // Also when the duplicates straddle many rows (more than one write chunk).
  Db big;
  big.apply_schema();
  std::string many;
  for (int i = 0; i < 2500; ++i) {
    many += line("\"seq\":" + std::to_string(i), "s1", "t" + std::to_string(i % 3)) + "\n";
  }
  ASSERT_TRUE(ingest(big, "alice", many).ok());
  EXPECT_EQ(text(big, "SELECT group_concat(seq) FROM (SELECT seq FROM turns ORDER BY turn_id)"),
            "2499,2497,2498");  // t0, t1, t2: the last of each
}

TEST(ContractMerge, DifferentOwnersNeverCollide) {
  Db db;
  db.apply_schema();
  const std::string l = line("\"content\":\"same\"", "s1", "t1");
  ASSERT_TRUE(ingest(db, "alice", l).ok());
  ASSERT_TRUE(ingest(db, "bob",
                     line("\"content\":\"bob's\",\"timestamp\":\"2026-01-01T00:00:00Z\","
                          "\"session_meta\":{\"working_dir\":\"/bob\"}",
                          "s1", "t1"))
                  .ok());
  EXPECT_EQ(turns(db), 2);
  EXPECT_EQ(sessions(db), 2);
  EXPECT_EQ(text(db, "SELECT content FROM turns WHERE owner='alice'"), "same");
  EXPECT_EQ(text(db,
                 "SELECT ended_at || coalesce(working_dir, 'NULL') FROM sessions "
                 "WHERE owner='alice'"),
            "2025-03-01T10:00:00.000ZNULL");
  EXPECT_EQ(text(db, "SELECT content FROM turns WHERE owner='bob'"), "bob's");
}

// ---------------------------------------------------------------------------
// Section 8: tables.

TEST(ContractSchema, SchemaIsIdempotent) {
  Db db;
  db.apply_schema();
  ASSERT_TRUE(ingest(db, "alice", line()).ok());
  const std::string before = text(db, "SELECT group_concat(sql, ';') FROM sqlite_schema");
  EXPECT_NO_THROW(db.apply_schema());
  EXPECT_NO_THROW(db.apply_schema());
  EXPECT_EQ(text(db, "SELECT group_concat(sql, ';') FROM sqlite_schema"), before);
  EXPECT_EQ(turns(db), 1);
  EXPECT_EQ(sessions(db), 1);
}

TEST(ContractSchema, StrictTablesWithTheDocumentedColumns) {
  Db db;
  db.apply_schema();
  EXPECT_EQ(db.count("SELECT count(*) FROM pragma_table_list WHERE schema='main' AND "
                     "name IN ('sessions','turns') AND strict = 1"),
            2);
  EXPECT_EQ(text(db,
                 "SELECT group_concat(name || ' ' || type, ', ') FROM "
                 "(SELECT name, type FROM pragma_table_info('sessions') ORDER BY cid)"),
            "owner TEXT, tool TEXT, host TEXT, session_id TEXT, started_at TEXT, ended_at TEXT, "
            "working_dir TEXT, source_file TEXT, metadata TEXT");
  EXPECT_EQ(text(db,
                 "SELECT group_concat(name || ' ' || type, ', ') FROM "
                 "(SELECT name, type FROM pragma_table_info('turns') ORDER BY cid)"),
            "owner TEXT, tool TEXT, host TEXT, session_id TEXT, turn_id TEXT, seq INTEGER, "
            "role TEXT, timestamp TEXT, content TEXT, model TEXT, tokens_in INTEGER, "
            "tokens_out INTEGER, cost_usd REAL, tool_calls TEXT, metadata TEXT");
  // STRICT in practice: a wrong type is refused.
  Result r = db.query(
      "INSERT INTO turns (owner, tool, host, session_id, turn_id, seq, role, timestamp) "
      "VALUES ('o','t','h','s','x','not a number','user','2025-03-01T10:00:00.000Z')");
  EXPECT_FALSE(r.ok());
}

TEST(ContractSchema, PrimaryKeys) {
  Db db;
  db.apply_schema();
  EXPECT_EQ(text(db,
                 "SELECT group_concat(name) FROM (SELECT name FROM "
                 "pragma_table_info('sessions') WHERE pk > 0 ORDER BY pk)"),
            "owner,tool,host,session_id");
  EXPECT_EQ(text(db,
                 "SELECT group_concat(name) FROM (SELECT name FROM "
                 "pragma_table_info('turns') WHERE pk > 0 ORDER BY pk)"),
            "owner,tool,host,session_id,turn_id");
}

TEST(ContractSchema, ForeignKeyCascadesSessionDeletes) {
  Db db;
  db.apply_schema();
  EXPECT_EQ(text(db,
                 "SELECT \"table\" || ':' || on_delete || ':' || group_concat(\"from\" || '=' "
                 "|| \"to\") FROM (SELECT * FROM pragma_foreign_key_list('turns') ORDER BY seq)"),
            "sessions:CASCADE:owner=owner,tool=tool,host=host,session_id=session_id");
  db.must("PRAGMA foreign_keys = ON");
  ASSERT_TRUE(
      ingest(db, "alice",
             line("", "s1", "t1") + "\n" + line("", "s1", "t2") + "\n" + line("", "s2", "t1"))
          .ok());
  ASSERT_TRUE(ingest(db, "bob", line("", "s1", "t1")).ok());
  db.must("DELETE FROM sessions WHERE owner='alice' AND session_id='s1'");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner='alice' AND session_id='s1'"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner='alice' AND session_id='s2'"), 1);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner='bob'"), 1);
  // And lethe writes satisfy the foreign key with enforcement on.
  EXPECT_EQ(db.count("SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

TEST(ContractSchema, AnIndexServesTheTurnsOfOneSessionInSeqOrder) {
  Db db;
  db.apply_schema();
  Result plan = db.query(
      "EXPLAIN QUERY PLAN SELECT * FROM turns WHERE owner=?1 AND tool=?2 AND host=?3 AND "
      "session_id=?4 ORDER BY seq");
  ASSERT_TRUE(plan.ok()) << plan.error;
  std::string details;
  for (const Row& row : plan.rows) details += row.back().value_or("") + "\n";
  EXPECT_NE(details.find("USING INDEX"), std::string::npos) << details;
  EXPECT_EQ(details.find("TEMP B-TREE"), std::string::npos) << details;
  EXPECT_NE(details.find("owner=? AND tool=? AND host=? AND session_id=?"), std::string::npos)
      << details;
}

// ---------------------------------------------------------------------------
// Section 9: companion functions.

TEST(ContractCompanion, VersionIsMajorMinorPatch) {
  Db db;
  Value v = db.scalar("SELECT lethe_version()");
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(std::regex_match(*v, std::regex(R"(^\d+\.\d+\.\d+$)"))) << *v;
}

// Not in the contract: what a bug report needs, starting with the version
// and naming the SQLite the extension runs on.
TEST(ContractCompanion, DebugNamesTheVersionAndTheRunningSqlite) {
  Db db;
  const std::string version = db.scalar("SELECT lethe_version()").value();
  const std::string sqlite = db.scalar("SELECT sqlite_version()").value();
  const std::string debug = db.scalar("SELECT lethe_debug()").value();
  EXPECT_EQ(debug.rfind("lethe " + version + "\n", 0), 0u) << debug;
  EXPECT_NE(debug.find("running " + sqlite + "\n"), std::string::npos) << debug;
  EXPECT_NE(debug.find("built against 3."), std::string::npos) << debug;
  EXPECT_NE(debug.find("Compiler: "), std::string::npos) << debug;
}

TEST(ContractCompanion, LastIngestDescribesTheLastCall) {
  Db db;
  db.apply_schema();
  EXPECT_EQ(db.scalar("SELECT lethe_last_ingest()"), std::nullopt);
  const std::string ndjson = kBom + line("", "s1", "t1") + "\r\n\n  \t\nbad\r\n" +
                             line("", "s1", "t2") + "\n{}\n" + line("", "s1", "t3");
  ASSERT_TRUE(ingest(db, "alice", ndjson).ok());
  auto field = [&](const std::string& key) {
    return text(db, "SELECT json_extract(lethe_last_ingest(), '$." + key + "')");
  };
  EXPECT_EQ(text(db, "SELECT json_valid(lethe_last_ingest())"), "1");
  EXPECT_EQ(text(db,
                 "SELECT group_concat(key) FROM (SELECT key FROM "
                 "json_each(lethe_last_ingest()) ORDER BY key)"),
            "accepted,bytes,dry_run,elapsed_ms,format,lines,rejected,skipped,turns");
  // Wire input (adapters-v1 section 1): turns = lines, skipped = 0.
  EXPECT_EQ(field("format"), "wire");
  EXPECT_EQ(field("turns"), "5");
  EXPECT_EQ(field("skipped"), "0");
  EXPECT_EQ(field("lines"), "5");
  EXPECT_EQ(field("accepted"), "3");
  EXPECT_EQ(field("rejected"), "2");
  EXPECT_EQ(field("bytes"), std::to_string(ndjson.size()));
  EXPECT_EQ(text(db, "SELECT json_type(lethe_last_ingest(), '$.dry_run')"), "false");
  EXPECT_EQ(text(db,
                 "SELECT json_type(lethe_last_ingest(), '$.elapsed_ms') IN "
                 "('integer','real') AND json_extract(lethe_last_ingest(), "
                 "'$.elapsed_ms') >= 0"),
            "1");
  EXPECT_EQ(text(db,
                 "SELECT json_type(lethe_last_ingest(), '$.lines') || "
                 "json_type(lethe_last_ingest(), '$.bytes')"),
            "integerinteger");

  // A dry run, given as a BLOB.
  const std::string dry = line() + "\nbad\n";
  ASSERT_TRUE(to_ingest(db.query(kSelect + "(?1, ?2, '{\"dry_run\":true}')", std::string("bob"),
                                 Db::BlobArg{dry}))
                  .ok());
  EXPECT_EQ(text(db, "SELECT json_type(lethe_last_ingest(), '$.dry_run')"), "true");
  EXPECT_EQ(field("lines"), "2");
  EXPECT_EQ(field("accepted"), "1");
  EXPECT_EQ(field("rejected"), "1");
  EXPECT_EQ(field("bytes"), std::to_string(dry.size()));

  // Per connection: another connection has had no call yet.
  Db other;
  EXPECT_EQ(other.scalar("SELECT lethe_last_ingest()"), std::nullopt);
}

TEST(ContractCompanion, LastIngestLinesEqualsAcceptedPlusRejected) {
  Db db;
  db.apply_schema();
  add_boom_trigger(db);
  const std::string ndjson = line("", "s1", "t1") + "\n" +
                             line("\"content\":\"boom\"", "s1", "t2") + "\n\n" + "x\n" +
                             line("", "s1", "t3");
  Ingest r = ingest(db, "alice", ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(text(db,
                 "SELECT json_extract(lethe_last_ingest(), '$.lines') || ',' || "
                 "json_extract(lethe_last_ingest(), '$.accepted') || ',' || "
                 "json_extract(lethe_last_ingest(), '$.rejected')"),
            "4,2,2");
}

// Every function and module lethe registers is one this suite knows about:
// a new registration without tests fails here.
TEST(ContractRegistry, EveryRegisteredFunctionAndModuleIsKnown) {
  Db db;
  Result functions = db.query(
      "SELECT DISTINCT name FROM pragma_function_list WHERE name LIKE 'lethe%' ORDER BY name");
  ASSERT_TRUE(functions.ok()) << functions.error;
  std::set<std::string> got;
  for (const Row& row : functions.rows) got.insert(row[0].value());
  EXPECT_EQ(got, (std::set<std::string>{"lethe_debug", "lethe_last_ingest", "lethe_last_sync",
                                        "lethe_rank", "lethe_sink_row", "lethe_sink_value",
                                        "lethe_stats", "lethe_version"}));

  Result modules = db.query(
      "SELECT DISTINCT name FROM pragma_module_list WHERE name LIKE 'lethe%' ORDER BY name");
  ASSERT_TRUE(modules.ok()) << modules.error;
  got.clear();
  for (const Row& row : modules.rows) got.insert(row[0].value());
  EXPECT_EQ(got, (std::set<std::string>{"lethe_agent_export", "lethe_convert", "lethe_ingest",
                                        "lethe_sink_rows", "lethe_sync"}));

  // Nothing outside the lethe prefix either: compare with a connection
  // without the extension.
  Db plain(":memory:", /*load=*/false);
  auto names = [](Db& d, const std::string& sql) {
    std::set<std::string> out;
    for (const Row& row : d.query(sql).rows) out.insert(row[0].value());
    return out;
  };
  const std::string fsql = "SELECT DISTINCT name FROM pragma_function_list";
  const std::string msql = "SELECT DISTINCT name FROM pragma_module_list";
  std::set<std::string> added_functions, added_modules;
  const auto with_f = names(db, fsql), without_f = names(plain, fsql);
  const auto with_m = names(db, msql), without_m = names(plain, msql);
  std::set_difference(with_f.begin(), with_f.end(), without_f.begin(), without_f.end(),
                      std::inserter(added_functions, added_functions.end()));
  std::set_difference(with_m.begin(), with_m.end(), without_m.begin(), without_m.end(),
                      std::inserter(added_modules, added_modules.end()));
  EXPECT_EQ(added_functions,
            (std::set<std::string>{"lethe_debug", "lethe_last_ingest", "lethe_last_sync",
                                   "lethe_rank", "lethe_sink_row", "lethe_sink_value",
                                   "lethe_stats", "lethe_version"}));
  EXPECT_EQ(added_modules,
            (std::set<std::string>{"lethe_agent_export", "lethe_convert", "lethe_ingest",
                                   "lethe_sink_rows", "lethe_sync"}));
}

// lethe_rank is an FTS5 auxiliary function: bm25 without its idf, so for one
// phrase the ratio bm25 / lethe_rank is the same for every row and the
// order is bm25's.
TEST(ContractRegistry, LetheRankIsBm25WithoutTheIdf) {
  Db db;
  db.must(
      "CREATE VIRTUAL TABLE f USING fts5(c, tokenize = 'trigram');"
      "INSERT INTO f VALUES ('go.mod'), ('go.mod and go.mod again'), ('nothing'),"
      "('a longer text that names go.mod once among other words'), ('GO.MOD go.mod go.mod')");
  Result rows = db.query(
      "SELECT rowid, lethe_rank(f), bm25(f) / lethe_rank(f) FROM f "
      "WHERE f MATCH '\"go.mod\"' ORDER BY bm25(f), rowid");
  ASSERT_TRUE(rows.ok()) << rows.error;
  ASSERT_EQ(rows.rows.size(), 4U);
  double previous = -1e300;
  for (const Row& row : rows.rows) {
    const double score = std::stod(row[1].value());
    EXPECT_LT(score, 0.0);
    EXPECT_GE(score, previous) << "lethe_rank does not follow bm25's order at rowid "
                               << row[0].value();
    previous = score;
    EXPECT_NEAR(std::stod(row[2].value()), std::stod(rows.rows[0][2].value()), 1e-9);
  }
  EXPECT_EQ(rows.rows[0][0].value(), "5");  // three times in a short text
  Result outside = db.query("SELECT lethe_rank(1)");
  EXPECT_FALSE(outside.ok());
}

// lethe_rank(fts, offsets): the query's phrases are pieces of one text at
// these offsets; a row scores as the phrase of the whole text scores it
// (overlapping occurrences counted alike), a row with the pieces elsewhere
// is NULL, and offsets that do not fit the query are an error.
TEST(ContractRegistry, LetheRankOfPiecesScoresTheWholeText) {
  Db db;
  db.must(
      "CREATE VIRTUAL TABLE f USING fts5(c, tokenize = 'trigram');"
      "INSERT INTO f VALUES ('owner_backoff'), ('the owner and the backoff: owner_ba cko off'),"
      "('OWNER_BACKOFF, then owner_backoff again'), ('aaaaaa'), ('owner_backof'), ('aaaa aaa')");
  const auto scores = [&](const std::string& match, const std::string& rank) {
    Result rows = db.query("SELECT rowid, " + rank + " AS s FROM f WHERE f MATCH '" + match +
                           "' AND s IS NOT NULL ORDER BY rowid");
    EXPECT_TRUE(rows.ok()) << rows.error;
    std::string all;
    for (const Row& row : rows.rows) all += row[0].value() + "=" + row[1].value() + " ";
    return all;
  };
  const std::string phrase = scores("\"owner_backoff\"", "lethe_rank(f)");
  EXPECT_EQ(phrase.substr(0, 2), "1=");
  EXPECT_EQ(std::count(phrase.begin(), phrase.end(), '='), 2);
  EXPECT_EQ(scores("\"own\" AND \"er_\" AND \"_ba\" AND \"cko\" AND \"off\"",
                   "lethe_rank(f, '0,3,5,8,10')"),
            phrase);
  EXPECT_EQ(scores("\"own\" AND \"off\" AND \"r_b\" AND \"ack\"", "lethe_rank(f, '0,10,4,7')"),
            phrase);  // any order of pieces
  EXPECT_EQ(scores("\"aaa\" AND \"aaa\"", "lethe_rank(f, '0,1')"),
            scores("\"aaaa\"", "lethe_rank(f)"));  // 'aaaaaa' holds 'aaaa' three times
  EXPECT_EQ(scores("\"own\" AND \"off\"", "lethe_rank(f, '0,9')"), "");
  // A third argument, the whole text: the rows where it follows from the
  // pieces' place, by the table's own tokens (case folded as FTS5 does).
  EXPECT_EQ(scores("\"own\" AND \"off\"", "lethe_rank(f, '0,10', 'owner_backoff')"), phrase);
  EXPECT_EQ(scores("\"own\" AND \"off\"", "lethe_rank(f, '0,10', 'OWNER_BackOff')"), phrase);
  EXPECT_EQ(scores("\"own\"", "lethe_rank(f, '0', 'owner_backoff')"), phrase);
  EXPECT_EQ(scores("\"own\"", "lethe_rank(f, '0', 'owner_backoff again')"),
            scores("\"owner_backoff again\"", "lethe_rank(f)"));
  EXPECT_EQ(scores("\"own\" AND \"off\"", "lethe_rank(f, '0,10', 'owner_backofx')"), "");
  // The offsets are read again when they change from one row to the next.
  const std::string per_row =
      scores("\"own\" AND \"off\"", "lethe_rank(f, CASE rowid WHEN 1 THEN '0,10' ELSE '0,9' END)");
  EXPECT_EQ(per_row.substr(0, 2), "1=");
  EXPECT_EQ(std::count(per_row.begin(), per_row.end(), '='), 1);
  const std::string constant = scores("\"own\" AND \"off\"", "lethe_rank(f, '0,10')");
  EXPECT_EQ(std::count(constant.begin(), constant.end(), '='), 2);
  for (const char* bad : {"'0,3'", "'0,3,5,8,10,12'", "'0,x,5,8,10'", "''", "NULL", "'0,,5,8,10'",
                          "'0,3,5,8,10', NULL, 1"}) {
    Result rows = db.query(
        std::string("SELECT lethe_rank(f, ") + bad +
        ") FROM f WHERE f MATCH '\"own\" AND \"er_\" AND \"_ba\" AND \"cko\" AND \"off\"'");
    EXPECT_FALSE(rows.ok()) << bad;
    EXPECT_NE(rows.error.find("lists each phrase's offset"), std::string::npos) << rows.error;
  }
}

// ---------------------------------------------------------------------------
// Section 1: transactions and safety.

TEST(ContractTransactions, RollbackUndoesTheCallAndCommitKeepsIt) {
  Db db;
  db.apply_schema();
  db.must("BEGIN");
  ASSERT_TRUE(ingest(db, "alice", line("", "s1", "t1")).ok());
  EXPECT_EQ(turns(db), 1);
  db.must("ROLLBACK");
  EXPECT_EQ(turns(db), 0);
  EXPECT_EQ(sessions(db), 0);
  db.must("BEGIN");
  ASSERT_TRUE(ingest(db, "alice", line("", "s1", "t1")).ok());
  db.must("COMMIT");
  EXPECT_EQ(turns(db), 1);
}

TEST(ContractTransactions, BatchErrorLeavesTheCallersEarlierWorkAlone) {
  Db db;
  db.apply_schema();
  db.must("CREATE TABLE mine(x)");
  db.must("BEGIN");
  db.must("INSERT INTO mine VALUES (1)");
  ASSERT_TRUE(ingest(db, "alice", line("", "s1", "t0")).ok());
  EXPECT_TRUE(
      is_batch_error(ingest(db, "alice", line("", "s1", "t1") + "\nbad\n", "{\"max_errors\":0}")));
  db.must("COMMIT");
  EXPECT_EQ(db.count("SELECT count(*) FROM mine"), 1);
  EXPECT_EQ(text(db, "SELECT group_concat(turn_id) FROM turns"), "t0");
}

TEST(ContractSafety, NotCallableFromViewsOrTriggers) {
  Db db;
  db.apply_schema();
  db.must("CREATE VIEW sneaky AS SELECT * FROM lethe_ingest('mallory', '" + line() + "')");
  Result r = db.query("SELECT * FROM sneaky");
  EXPECT_FALSE(r.ok());
  db.must("CREATE TABLE t(x)");
  db.must(
      "CREATE TRIGGER sneaky_trigger AFTER INSERT ON t BEGIN "
      "SELECT * FROM lethe_ingest('mallory', '" +
      line() + "'); END");
  r = db.query("INSERT INTO t VALUES (1)");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(turns(db), 0);
}

// Section 5: a line is atomic; the lines around a refused one still apply.
TEST(ContractLineAtomicity, ARefusedLineLeavesNoWriteOfItsOwn) {
  Db db;
  db.apply_schema();
  add_boom_trigger(db);
  const std::string ndjson =
      turn_at("s1", "t1", "2025-03-01T10:00:00Z") + "\n" +
      turn_at("s1", "t2", "2025-03-09T10:00:00Z",
              "\"content\":\"boom\",\"session_meta\":{\"working_dir\":\"/boom\","
              "\"started_at\":\"2020-01-01T00:00:00Z\"}") +
      "\n" + turn_at("fresh", "t1", "2025-03-09T10:00:00Z", "\"content\":\"boom\"") + "\n" +
      turn_at("s1", "t3", "2025-03-02T10:00:00Z");
  Ingest r = ingest(db, "alice", ndjson);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[0].line, 2);
  EXPECT_EQ(r.rejects[0].code, "DB_CONSTRAINT");
  EXPECT_EQ(r.rejects[0].field, std::nullopt);
  EXPECT_EQ(r.rejects[1].line, 3);
  EXPECT_EQ(r.rejects[1].code, "DB_CONSTRAINT");
  // The refused lines' session writes are gone too.
  EXPECT_EQ(text(db, "SELECT group_concat(session_id) FROM sessions"), "s1");
  EXPECT_EQ(text(db,
                 "SELECT started_at || ' ' || ended_at || ' ' || coalesce(working_dir, "
                 "'NULL') FROM sessions"),
            "2025-03-01T10:00:00.000Z 2025-03-02T10:00:00.000Z NULL");
  EXPECT_EQ(text(db, "SELECT group_concat(turn_id) FROM (SELECT turn_id FROM turns ORDER BY 1)"),
            "t1,t3");
}
