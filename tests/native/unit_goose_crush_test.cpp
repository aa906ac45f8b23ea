// Unit tests of the Goose and Crush readers (docs/reference/adapters.md,
// "Goose" and "Crush"): the lines lethe exports from their databases
// (ext/write/agent_db/goose.sql, crush.sql), read like a file, with no
// SQLite. The exports of the fixtures' databases are in
// tests/fixtures/native/{goose,crush}; the tests here build lines of their own,
// one rule each, and hostile ones.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "native/converter.hpp"
#include "parse/json_scan.hpp"
#include "parse/wire.hpp"

namespace {

using lethe::Format;
using lethe::IngestOptions;
using lethe::LineError;
using lethe::TurnRecord;
namespace native = lethe::native;
using nlohmann::json;

std::string read_source_file(const std::string& path) {
  std::ifstream in(std::string(LETHE_SOURCE_DIR) + "/" + path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

native::Conversion convert(const std::string& data, Format format) {
  IngestOptions options;
  options.format = format;
  options.host = "laptop";
  return native::convert(data, options);
}

// The produced lines as JSON, each checked to be a valid wire-v1 line.
std::vector<json> lines_of(const native::Conversion& conversion) {
  std::vector<json> out;
  for (const auto& line : conversion.lines) {
    TurnRecord record;
    LineError error;
    EXPECT_TRUE(lethe::parse_line(line.wire, 8 << 20, record, error))
        << error.message << " in " << line.wire;
    out.push_back(json::parse(line.wire));
  }
  return out;
}

std::string jsonl(const std::vector<json>& records) {
  std::string out;
  for (const json& r : records) out += r.dump() + "\n";
  return out;
}

// "<line> <CODE> <field>" of each problem.
std::vector<std::string> problems_of(const native::Conversion& c) {
  std::vector<std::string> out;
  for (const auto& p : c.problems) {
    out.push_back(std::to_string(p.line) + " " + std::string(lethe::code_name(p.error.code)) + " " +
                  p.error.field);
  }
  return out;
}

const json* turn(const std::vector<json>& lines, const std::string& turn_id) {
  for (const json& line : lines) {
    if (line["turn_id"] == turn_id) return &line;
  }
  return nullptr;
}

std::int64_t sum_tokens(const std::vector<json>& lines, const std::string& session) {
  std::int64_t sum = 0;
  for (const json& line : lines) {
    if (line["session_id"] != session) continue;
    sum += line.value("tokens_in", std::int64_t{0}) + line.value("tokens_out", std::int64_t{0});
  }
  return sum;
}

// ---------------------------------------------------------------------------
// Goose

json g_session(const std::string& id, json accumulated, json ledger, json extra = json::object()) {
  json r = {{"record", "session"},
            {"agent", "goose"},
            {"id", id},
            {"session_type", "user"},
            {"working_dir", "/w"},
            {"created_at", "2026-03-01T10:00:00.000Z"},
            {"updated_at", "2026-03-01T10:05:00.000Z"},
            {"provider_name", "anthropic"},
            {"model_config", {{"model_name", "m1"}}},
            {"parent_session_id", nullptr},
            {"schedule_id", nullptr},
            {"accumulated", std::move(accumulated)},
            {"ledger", std::move(ledger)}};
  r.update(extra);
  return r;
}

json g_totals(json input, json output, json cost = nullptr) {
  return {{"input_tokens", std::move(input)},
          {"output_tokens", std::move(output)},
          {"cost", std::move(cost)}};
}

json g_message(std::int64_t row, const std::string& id, const std::string& role, json content,
               const std::string& time = "2026-03-01T10:00:01.000Z", json metadata = nullptr,
               const std::string& session = "s1") {
  return {{"record", "message"},
          {"session", session},
          {"row", row},
          {"message_id", id},
          {"role", role},
          {"time", time},
          {"content", std::move(content)},
          {"metadata", std::move(metadata)}};
}

json g_usage(std::int64_t row, json input, json output, json extra = json::object()) {
  json r = {{"record", "usage"},
            {"session", "s1"},
            {"row", row},
            {"time", "2026-03-01T10:00:02.000Z"},
            {"model", "m1"},
            {"input_tokens", std::move(input)},
            {"output_tokens", std::move(output)},
            {"total_tokens", nullptr},
            {"cache_read_tokens", nullptr},
            {"cache_write_tokens", nullptr},
            {"cost", nullptr},
            {"cost_source", nullptr},
            {"is_compaction", 0}};
  r.update(extra);
  return r;
}

json text(const std::string& t) { return {{"type", "text"}, {"text", t}}; }
json thinking(const std::string& t) {
  return {{"type", "thinking"}, {"thinking", t}, {"signature", ""}};
}

TEST(NativeGoose, StreamedPartsAreOneRunEachAndToolsPair) {
  const json request = {
      {"type", "toolRequest"},
      {"id", "call_1"},
      {"toolCall",
       {{"status", "success"}, {"value", {{"name", "shell"}, {"arguments", {{"cmd", "ls"}}}}}}}};
  const json response = {
      {"type", "toolResponse"},
      {"id", "call_1"},
      {"toolResult",
       {{"status", "success"},
        {"value", {{"content", {text("a.py"), text("b.py")}}, {"isError", true}}}}}};
  const auto c =
      convert(jsonl({g_session("s1", g_totals(0, 0), g_totals(0, 0)),
                     g_message(1, "msg_u", "user", {text("list files")}),
                     g_message(2, "chatcmpl-1", "assistant",
                               {thinking("Let"), thinking(" me"), thinking(" look."),
                                text("Listing "), text("now."), request, thinking("Again.")}),
                     g_message(3, "msg_r", "user", {response})}),
              Format::Goose);
  EXPECT_TRUE(c.problems.empty()) << problems_of(c).front();
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["tool"], "goose");
  EXPECT_EQ(lines[0]["role"], "user");
  EXPECT_EQ(lines[0]["session_meta"]["working_dir"], "/w");
  EXPECT_EQ(lines[0]["session_meta"]["metadata"]["kind"], "user");
  const json& answer = lines[1];
  EXPECT_EQ(answer["turn_id"], "chatcmpl-1");
  EXPECT_EQ(answer["content"], "Listing now.");
  EXPECT_EQ(answer["metadata"]["reasoning"], json({"Let me look.", "Again."}));
  EXPECT_EQ(answer["model"], "m1");
  EXPECT_EQ(answer["tool_calls"],
            json::parse(R"([{"id":"call_1","name":"shell","input":{"cmd":"ls"}}])"));
  EXPECT_FALSE(answer.contains("tokens_in"));  // counted on the request's usage row
  const json& result = lines[2];
  EXPECT_EQ(result["turn_id"], "call_1:output");
  EXPECT_EQ(result["role"], "tool");
  EXPECT_EQ(result["content"], "a.py\n\nb.py");
  EXPECT_EQ(result["metadata"]["name"], "shell");
  EXPECT_EQ(result["metadata"]["is_error"], true);
}

TEST(NativeGoose, EachUsageRowIsOneRequestCountedOnce) {
  const json usage_on_message = {{"userVisible", true},
                                 {"usage", {{"inputTokens", 1200}, {"outputTokens", 100}}}};
  const auto lines = lines_of(convert(
      jsonl({g_session("s1", g_totals(3700, 160, 0.02), g_totals(3700, 160, 0.02)),
             g_message(1, "chatcmpl-1", "assistant", {text("a")}, "2026-03-01T10:00:01.000Z",
                       usage_on_message),
             g_usage(1, 1200, 100, {{"cost", 0.02}, {"cost_source", "provider"}}),
             g_usage(2, 2500, 60,
                     {{"cache_read_tokens", 2000}, {"model", "m2"}, {"is_compaction", 1}})}),
      Format::Goose));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(sum_tokens(lines, "s1"), 3700 + 160);
  EXPECT_EQ(turn(lines, "session-totals"), nullptr);  // the ledger holds all the totals
  const json* first = turn(lines, "usage:1");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ((*first)["tokens_in"], 1200);
  EXPECT_EQ((*first)["tokens_out"], 100);
  EXPECT_DOUBLE_EQ((*first)["cost_usd"].get<double>(), 0.02);
  EXPECT_EQ((*first)["metadata"]["cost_source"], "provider");
  const json* second = turn(lines, "usage:2");
  ASSERT_NE(second, nullptr);
  EXPECT_EQ((*second)["tokens_in"], 2500);  // Goose's input holds its cache reads
  EXPECT_EQ((*second)["metadata"]["cache_read_tokens"], 2000);
  EXPECT_EQ((*second)["model"], "m2");
  EXPECT_EQ((*second)["metadata"]["compaction"], true);
  EXPECT_FALSE(second->contains("cost_usd"));  // no cost recorded: unknown
  EXPECT_EQ(lines[0]["metadata"]["message_usage"]["inputTokens"], 1200);
}

// A session started before Goose kept its ledger (schema 15): its totals
// hold more than its rows; the rest is one turn, never negative.
TEST(NativeGoose, TotalsBeyondTheLedgerAreOneTurnAgreedOnByEveryPrefix) {
  const std::vector<json> records = {
      g_session("s1", g_totals(5000, 700, 0.05), g_totals(1200, 100, 0.0123)),
      g_message(1, "msg_u", "user", {text("hi")}), g_usage(1, 1200, 100, {{"cost", 0.0123}})};
  const auto whole = lines_of(convert(jsonl(records), Format::Goose));
  EXPECT_EQ(sum_tokens(whole, "s1"), 5700);
  const json* rest = turn(whole, "session-totals");
  ASSERT_NE(rest, nullptr);
  EXPECT_EQ((*rest)["tokens_in"], 3800);
  EXPECT_EQ((*rest)["tokens_out"], 600);
  EXPECT_NEAR((*rest)["cost_usd"].get<double>(), 0.0377, 1e-12);
  EXPECT_EQ((*rest)["timestamp"], "2026-03-01T10:00:00.000Z");  // created_at: stable
  EXPECT_EQ((*rest)["model"], "m1");
  // The session line alone says the same: no prefix makes another turn.
  const auto prefix = lines_of(convert(jsonl({records[0]}), Format::Goose));
  ASSERT_EQ(prefix.size(), 1u);
  EXPECT_EQ(prefix[0], *rest);
  // Totals below the ledger's sums: nothing beyond it, nothing negative.
  const auto below = lines_of(convert(
      jsonl({g_session("s1", g_totals(10, 5), g_totals(1200, 100)), records[2]}), Format::Goose));
  EXPECT_EQ(turn(below, "session-totals"), nullptr);
  EXPECT_EQ(sum_tokens(below, "s1"), 1300);
}

TEST(NativeGoose, HugeOrBadCountersKeepTheTurnWithNullTokens) {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  for (const auto& [input, output] : std::vector<std::pair<json, json>>{
           {max, 1}, {-1, 0}, {"12", 0}, {1.5, 0}, {json::parse("1e300"), 0}, {1, max}}) {
    SCOPED_TRACE(input.dump() + " " + output.dump());
    const auto c =
        convert(jsonl({g_session("s1", g_totals(0, 0), g_totals(0, 0)),
                       g_message(1, "m", "assistant", {text("kept")}), g_usage(1, input, output)}),
                Format::Goose);
    EXPECT_TRUE(c.problems.empty());
    const auto lines = lines_of(c);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0]["content"], "kept");
    EXPECT_FALSE(lines[1].contains("tokens_in"));
    EXPECT_EQ(lines[1]["metadata"]["usage_invalid"], true);
  }
  const auto zero = lines_of(convert(
      jsonl({g_session("s1", g_totals(0, 0), g_totals(0, 0)), g_usage(1, 0, 0)}), Format::Goose));
  ASSERT_EQ(zero.size(), 1u);
  EXPECT_FALSE(zero[0].contains("tokens_in"));
  EXPECT_EQ(zero[0]["metadata"]["usage_missing"], true);
  // A cost the database could not give as a number (goose.sql: an infinite
  // REAL, a BLOB) is said, not taken for none.
  const auto cost = lines_of(convert(jsonl({g_session("s1", g_totals(0, 0), g_totals(0, 0)),
                                            g_usage(1, 10, 5, {{"cost", "(an infinite number)"}})}),
                                     Format::Goose));
  ASSERT_EQ(cost.size(), 1u);
  EXPECT_FALSE(cost[0].contains("cost_usd"));
  EXPECT_EQ(cost[0]["metadata"]["cost_invalid"], "(an infinite number)");
  EXPECT_EQ(cost[0]["tokens_in"], 10);
  // Totals past 2^63-1: one flagged turn, not an overflow.
  const auto totals = lines_of(
      convert(jsonl({g_session("s1", g_totals(max, max), g_totals(0, 0))}), Format::Goose));
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals[0]["metadata"]["usage_invalid"], true);
  EXPECT_FALSE(totals[0].contains("tokens_in"));
}

TEST(NativeGoose, BadRowsAreProblemsAndTheRestIsRead) {
  json no_role = g_message(4, "m4", "user", {text("x")});
  no_role.erase("role");
  json no_row = g_usage(1, 5, 5);
  no_row.erase("row");
  const std::string data =
      jsonl({g_message(1, "m0", "user", {text("before any session")}, "2026-03-01T10:00:00.000Z",
                       nullptr, ""),
             g_session("s1", g_totals(0, 0), g_totals(0, 0)),
             g_message(2, "m2", "user", "[{\"type\":\"text\",\"text\":\"cut"),  // bad JSON text
             g_message(3, "m3", "user", {{"type", "text"}, {"text", "an object"}}),
             no_role,
             g_message(5, "m5", "user", {text("no time")}, "not a time"),
             no_row,
             {{"id", "no record kind"}},
             {{"record", "todo"}},
             g_message(6, "m6", "assistant",
                       {text("kept"),
                        {{"type", "toolRequest"}, {"id", "c1"}, {"toolCall", 7}},
                        {{"type", "image"}, {"data", "aGVsbG8="}, {"mimeType", "image/png"}},
                        {{"type", "mystery"}},
                        42})}) +
      "{\"record\":\"message\",\"row\":7,\"cut sh\n";
  const auto c = convert(data, Format::Goose);
  EXPECT_EQ(problems_of(c),
            (std::vector<std::string>{"1 MISSING_FIELD session", "3 INVALID_FIELD content",
                                      "4 INVALID_FIELD content", "5 MISSING_FIELD role",
                                      "6 INVALID_FIELD time", "7 MISSING_FIELD row",
                                      "8 MISSING_FIELD record", "11 INVALID_JSON "}));
  EXPECT_EQ(c.skipped, 1u);  // the todo record
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["content"], "kept\n\n[image image/png 5 bytes]");
  EXPECT_EQ(lines[0]["tool_calls"], json::parse(R"([{"id":"c1","name":null,"input":null}])"));
  EXPECT_EQ(lines[0]["metadata"]["parts_not_mapped"], json({"mystery", nullptr}));
}

TEST(NativeGoose, RowsOfAMissingSessionRowAreReadUnderTheirIdAndSaidOnce) {
  const auto c = convert(jsonl({g_session("s1", g_totals(0, 0), g_totals(0, 0)),
                                g_message(1, "m1", "user", {text("mine")}),
                                g_message(2, "m2", "user", {text("orphan")},
                                          "2026-03-01T10:00:02.000Z", nullptr, "s9"),
                                g_message(3, "m3", "assistant", {text("orphan too")},
                                          "2026-03-01T10:00:03.000Z", nullptr, "s9")}),
                         Format::Goose);
  EXPECT_EQ(problems_of(c), std::vector<std::string>{"3 MISSING_FIELD session"});
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["session_id"], "s1");
  EXPECT_EQ(lines[1]["session_id"], "s9");
  EXPECT_EQ(lines[2]["session_id"], "s9");
}

TEST(NativeGoose, HiddenRowsAreSystemAndRepeatedIdsStayUnique) {
  const auto lines = lines_of(convert(
      jsonl({g_session("s1", g_totals(0, 0), g_totals(0, 0)),
             g_message(1, "msg_ctx", "user", {text("<turn-context>")}, "2026-03-01T10:00:01.000Z",
                       {{"userVisible", false}, {"agentVisible", true}}),
             g_message(2, "chatcmpl-1", "assistant", {text("one")}),
             g_message(3, "chatcmpl-1", "assistant", {text("two")}),
             g_message(4, "", "user",
                       {{{"type", "systemNotification"},
                         {"notificationType", "inlineMessage"},
                         {"msg", "compacted"}}}),
             g_message(5, "chatcmpl-1", "assistant", {text("three")})}),
      Format::Goose));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["role"], "system");
  EXPECT_EQ(lines[0]["metadata"]["user_visible"], false);
  EXPECT_EQ(lines[1]["turn_id"], "chatcmpl-1");
  EXPECT_EQ(lines[2]["turn_id"], "chatcmpl-1#2");
  EXPECT_EQ(lines[3]["turn_id"], "row:4");  // no message id: the row
  EXPECT_EQ(lines[3]["role"], "system");
  EXPECT_EQ(lines[4]["turn_id"], "chatcmpl-1#3");
}

TEST(NativeGoose, RealDatabaseExportSumsToItsSessionTotals) {
  // The export of tests/fixtures/native/real/goose-home (its own
  // accumulated totals; tests/sync checks them against the database).
  const auto c =
      convert(read_source_file("tests/fixtures/native/goose/real_export.jsonl"), Format::Goose);
  EXPECT_TRUE(c.problems.empty());
  const auto lines = lines_of(c);
  EXPECT_EQ(sum_tokens(lines, "20260805_1"), 4100 + 533);
  EXPECT_EQ(sum_tokens(lines, "20260805_2"), 4100 + 892);
  EXPECT_EQ(sum_tokens(lines, "20260805_3"), 6150 + 1444);
  EXPECT_EQ(sum_tokens(lines, "20260805_4"), 4100 + 771);
  EXPECT_EQ(turn(lines, "session-totals"), nullptr);
}

// ---------------------------------------------------------------------------
// Crush

json c_session(const std::string& id, json prompt, json completion, json cost,
               json extra = json::object()) {
  json r = {{"record", "session"},
            {"agent", "crush"},
            {"id", id},
            {"parent_session_id", nullptr},
            {"message_count", 0},
            {"prompt_tokens", std::move(prompt)},
            {"completion_tokens", std::move(completion)},
            {"cost", std::move(cost)},
            {"summary_message_id", nullptr},
            {"created_at", "2026-03-01T10:00:00.000Z"},
            {"updated_at", "2026-03-01T10:05:00.000Z"}};
  r.update(extra);
  return r;
}

json c_message(const std::string& id, const std::string& role, json parts,
               const std::string& session = "c1", json model = nullptr) {
  return {{"record", "message"},
          {"session", session},
          {"id", id},
          {"role", role},
          {"time", "2026-03-01T10:00:01.000Z"},
          {"finished", nullptr},
          {"model", std::move(model)},
          {"provider", nullptr},
          {"is_summary", 0},
          {"parts", std::move(parts)}};
}

json part(const std::string& type, json data) {
  return {{"type", type}, {"data", std::move(data)}};
}

TEST(NativeCrush, MessagesToolsAndPartsBecomeTurns) {
  const auto c = convert(
      jsonl(
          {c_session("c1", 0, 0, 0.0, {{"parent_session_id", "c0"}}),
           c_message("m1", "user", {part("text", {{"text", "fix it"}})}),
           c_message("m2", "assistant",
                     {part("reasoning", {{"thinking", "look first"}}),
                      part("text", {{"text", "Reading."}}),
                      part("tool_call",
                           {{"id", "t1"}, {"name", "view"}, {"input", "{\"file_path\":\"a.py\"}"}}),
                      part("tool_call", {{"id", "t2"}, {"name", "bash"}, {"input", "{not json"}}),
                      part("finish", {{"reason", "tool_use"}, {"time", 1}})},
                     "c1", "claude-sonnet-4-5"),
           c_message("m3", "tool",
                     {part("tool_result", {{"tool_call_id", "t1"}, {"content", "body"}}),
                      part("tool_result",
                           {{"tool_call_id", "t2"}, {"content", "denied"}, {"is_error", true}})}),
           c_message("m4", "user",
                     {part("shell_command",
                           {{"command", "ls"}, {"output", "a.py"}, {"exit_code", 0}})})}),
      Format::Crush);
  EXPECT_TRUE(c.problems.empty());
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["tool"], "crush");
  EXPECT_EQ(lines[0]["session_meta"]["metadata"]["parent_session_id"], "c0");
  EXPECT_EQ(lines[1]["content"], "Reading.");
  EXPECT_EQ(lines[1]["model"], "claude-sonnet-4-5");
  EXPECT_EQ(lines[1]["metadata"]["reasoning"], json({"look first"}));
  EXPECT_EQ(lines[1]["metadata"]["finish_reason"], "tool_use");
  EXPECT_EQ(lines[1]["tool_calls"], json::parse(R"([{"id":"t1","name":"view",
      "input":{"file_path":"a.py"}},{"id":"t2","name":"bash","input":"{not json"}])"));
  EXPECT_EQ(lines[2]["turn_id"], "t1:output");
  EXPECT_EQ(lines[2]["role"], "tool");
  EXPECT_EQ(lines[2]["metadata"]["name"], "view");
  EXPECT_EQ(lines[2]["metadata"]["is_error"], false);
  EXPECT_EQ(lines[3]["turn_id"], "t2:output");
  EXPECT_EQ(lines[3]["metadata"]["is_error"], true);
  EXPECT_EQ(lines[4]["content"], "$ ls\na.py");
  EXPECT_EQ(lines[4]["metadata"]["exit_code"], 0);
  for (const json& line : lines) EXPECT_FALSE(line.contains("tokens_in"));  // all zero: none
}

// Crush keeps only the latest request's counters and the accumulated cost:
// one turn per session, so nothing is counted twice.
TEST(NativeCrush, TheSessionCountersAreOneTurn) {
  const std::vector<json> records = {
      c_session("c1", 12000, 800, 0.042),
      c_message("m1", "assistant", {part("text", {{"text", "a"}})}, "c1", "m-old"),
      c_message("m2", "assistant", {part("text", {{"text", "b"}})}, "c1", "m-new")};
  const auto lines = lines_of(convert(jsonl(records), Format::Crush));
  ASSERT_EQ(lines.size(), 3u);
  const json* usage = turn(lines, "session-usage");
  ASSERT_NE(usage, nullptr);
  EXPECT_EQ((*usage)["tokens_in"], 12000);
  EXPECT_EQ((*usage)["tokens_out"], 800);
  EXPECT_DOUBLE_EQ((*usage)["cost_usd"].get<double>(), 0.042);
  EXPECT_EQ((*usage)["model"], "m-new");
  EXPECT_EQ((*usage)["timestamp"], "2026-03-01T10:05:00.000Z");
  EXPECT_EQ((*usage)["metadata"]["tokens_scope"], "latest_request");
  EXPECT_EQ(sum_tokens(lines, "c1"), 12800);
  // A prefix makes the same turn (its model may be older: last write wins).
  const auto prefix = lines_of(convert(jsonl({records[0]}), Format::Crush));
  ASSERT_EQ(prefix.size(), 1u);
  EXPECT_EQ(prefix[0]["turn_id"], "session-usage");
  EXPECT_EQ(prefix[0]["tokens_in"], 12000);
  // Crush's cost 0 is a model it has no price for: unknown, not free.
  const auto unpriced = lines_of(convert(jsonl({c_session("c1", 3000, 45, 0.0)}), Format::Crush));
  ASSERT_EQ(unpriced.size(), 1u);
  EXPECT_FALSE(unpriced[0].contains("cost_usd"));
  EXPECT_TRUE(lines_of(convert(jsonl({c_session("c1", 0, 0, 0.0)}), Format::Crush)).empty());
}

TEST(NativeCrush, HugeOrBadCountersKeepTheTurnWithNullTokens) {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  for (const auto& [prompt, completion] : std::vector<std::pair<json, json>>{
           {max, 1}, {-1, 0}, {"12", 0}, {1.5, 0}, {json::parse("1e300"), 0}}) {
    SCOPED_TRACE(prompt.dump());
    const auto c = convert(jsonl({c_session("c1", prompt, completion, 0.5)}), Format::Crush);
    EXPECT_TRUE(c.problems.empty());
    const auto lines = lines_of(c);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_FALSE(lines[0].contains("tokens_in"));
    EXPECT_EQ(lines[0]["metadata"]["usage_invalid"], true);
    EXPECT_DOUBLE_EQ(lines[0]["cost_usd"].get<double>(), 0.5);
  }
  // A cost that is no number, on a session without tokens: still said.
  const auto cost =
      lines_of(convert(jsonl({c_session("c1", 0, 0, "(a BLOB of 8 bytes)")}), Format::Crush));
  ASSERT_EQ(cost.size(), 1u);
  EXPECT_FALSE(cost[0].contains("cost_usd"));
  EXPECT_EQ(cost[0]["metadata"]["cost_invalid"], "(a BLOB of 8 bytes)");
  EXPECT_EQ(cost[0]["metadata"]["usage_missing"], true);
}

TEST(NativeCrush, BadRowsAreProblemsAndTheRestIsRead) {
  json no_id = c_message("x", "user", json::array());
  no_id.erase("id");
  json bad_time = c_message("m5", "user", json::array());
  bad_time["time"] = nullptr;
  const std::string data =
      jsonl({c_session("c1", 0, 0, 0.0),
             c_message("m1", "user", "[{\"type\":\"text\",\"data\":{\"text\":\"cut"),
             c_message("m2", "user", {{"type", "text"}}),
             no_id,
             bad_time,
             c_message("m6", "assistant",
                       {part("text", {{"text", "kept"}}), part("hologram", json::object()),
                        part("text", "not an object"),
                        part("image_url", {{"url", "data:image/jpeg;base64,AAAA"}}),
                        part("binary", {{"MIMEType", "image/png"}, {"Data", "aGVsbG8="}})}),
             c_message("m7", "user", {part("text", {{"text", "orphan"}})}, "c9"),
             {{"record", "file"}}}) +
      "{\"record\":\"message\",\"id\":\"cut sh\n";
  const auto c = convert(data, Format::Crush);
  EXPECT_EQ(problems_of(c),
            (std::vector<std::string>{"2 INVALID_FIELD parts", "3 INVALID_FIELD parts",
                                      "4 MISSING_FIELD id", "5 MISSING_FIELD time",
                                      "7 MISSING_FIELD session", "9 INVALID_JSON "}));
  EXPECT_EQ(c.skipped, 1u);  // the file record
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["content"], "kept\n\n[image image/jpeg 3 bytes]\n\n[image image/png 5 bytes]");
  EXPECT_EQ(lines[0]["metadata"]["parts_not_mapped"], json({"hologram", "text"}));
  EXPECT_EQ(lines[1]["session_id"], "c9");
}

// ---------------------------------------------------------------------------
// Both

TEST(NativeAgentDb, GooseAndCrushLinesAreDetectedByTheirAgentAndNothingElse) {
  EXPECT_EQ(native::detect_format(jsonl({g_session("s1", g_totals(0, 0), g_totals(0, 0))})),
            Format::Goose);
  EXPECT_EQ(native::detect_format(jsonl({c_session("c1", 0, 0, 0.0)})), Format::Crush);
  // A message line first (no session record): no format, never another agent's.
  EXPECT_EQ(native::detect_format(jsonl({g_message(1, "m", "user", {text("x")})})), std::nullopt);
  EXPECT_EQ(native::detect_format(jsonl({c_message("m", "user", json::array())})), std::nullopt);
  for (const char* fixture :
       {"goose/sessions.jsonl", "goose/hostile.jsonl", "goose/real_export.jsonl",
        "crush/sessions.jsonl", "crush/hostile.jsonl"}) {
    SCOPED_TRACE(fixture);
    const std::string data = read_source_file(std::string("tests/fixtures/native/") + fixture);
    EXPECT_EQ(native::detect_format(data),
              std::string(fixture).rfind("goose", 0) == 0 ? Format::Goose : Format::Crush);
  }
}

TEST(NativeAgentDb, GooseAndCrushHoldOnlyAFewTurnsAtOnce) {
  std::vector<json> goose = {g_session("s1", g_totals(0, 0), g_totals(0, 0))};
  std::vector<json> crush = {c_session("c1", 10, 5, 0.0)};
  for (int i = 0; i < 2000; ++i) {
    const std::string n = std::to_string(i);
    goose.push_back(g_message(i, "m" + n, i % 2 ? "assistant" : "user", {text(n)}));
    goose.push_back(g_usage(i, 10, 5));
    crush.push_back(
        c_message("m" + n, i % 2 ? "assistant" : "user", {part("text", {{"text", n}})}));
  }
  for (const auto& [format, data] : std::vector<std::pair<Format, std::string>>{
           {Format::Goose, jsonl(goose)}, {Format::Crush, jsonl(crush)}}) {
    IngestOptions options;
    options.format = format;
    options.host = "laptop";
    auto converter = native::Converter::open(data, options);
    native::Produced item;
    std::size_t lines = 0;
    while (converter->next(item)) lines += item.problem ? 0 : 1;
    EXPECT_EQ(lines, format == Format::Goose ? 4000u : 2001u);
    EXPECT_LE(converter->peak_held(), 4u) << lethe::format_name(format);
  }
}

// lethe_sync hands a reader an export whose every line write/agent_db.cpp
// checked with lethe's scanner as it built it (IngestOptions::lines_scanned):
// the reader builds each line's DOM without scanning it again, and must
// convert exactly what it converts from the same lines scanned.
TEST(DbExportScannedLines, ConvertAsTheSameLinesScannedAgain) {
  const struct {
    Format format;
    const char* file;
  } exports[] = {{Format::OpenCode, "tests/fixtures/native/opencode/steps.jsonl"},
                 {Format::OpenCode, "tests/fixtures/native/opencode/real_export.jsonl"},
                 {Format::Goose, "tests/fixtures/native/goose/sessions.jsonl"},
                 {Format::Goose, "tests/fixtures/native/goose/hostile.jsonl"},
                 {Format::Goose, "tests/fixtures/native/goose/real_export.jsonl"},
                 {Format::Crush, "tests/fixtures/native/crush/sessions.jsonl"},
                 {Format::Crush, "tests/fixtures/native/crush/hostile.jsonl"}};
  for (const auto& e : exports) {
    SCOPED_TRACE(e.file);
    const std::string data = read_source_file(e.file);
    // Only lines the scanner accepts are ever handed out as scanned.
    std::istringstream lines(data);
    std::string line;
    std::size_t count = 0;
    while (std::getline(lines, line)) {
      lethe::json::ScanError error;
      ASSERT_TRUE(lethe::json::scan_object(
          line, [](std::string_view, const lethe::json::Value&) {}, error))
          << error.message << ": " << line;
      ++count;
    }
    ASSERT_GT(count, 0u);
    IngestOptions options;
    options.format = e.format;
    options.host = "laptop";
    const native::Conversion scanned_again = native::convert(data, options);
    options.lines_scanned = true;
    const native::Conversion scanned_once = native::convert(data, options);
    ASSERT_GT(scanned_again.lines.size(), 0u);
    ASSERT_EQ(scanned_once.lines.size(), scanned_again.lines.size());
    for (std::size_t i = 0; i < scanned_again.lines.size(); ++i) {
      EXPECT_EQ(scanned_once.lines[i].wire, scanned_again.lines[i].wire);
      EXPECT_EQ(scanned_once.lines[i].line, scanned_again.lines[i].line);
    }
    ASSERT_EQ(scanned_once.problems.size(), scanned_again.problems.size());
    for (std::size_t i = 0; i < scanned_again.problems.size(); ++i) {
      EXPECT_EQ(scanned_once.problems[i].line, scanned_again.problems[i].line);
      EXPECT_EQ(scanned_once.problems[i].error.message, scanned_again.problems[i].error.message);
    }
    EXPECT_EQ(scanned_once.skipped, scanned_again.skipped);
  }
}

}  // namespace
