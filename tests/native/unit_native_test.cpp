// Unit tests of the native readers (docs/reference/native-formats.md): options,
// detection, and each mapping rule of Claude Code, Codex CLI and Gemini CLI,
// on small inline transcripts. The fixtures and the properties through a
// real connection are in e2e_native_test.cpp.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "native/converter.hpp"
#include "native/reader.hpp"
#include "parse/json_scan.hpp"
#include "parse/options.hpp"
#include "parse/wire.hpp"

namespace lethe {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------
// Helpers

// The sentence of the InputError `body` throws ("" when it throws none).
template <typename Body>
std::string problem_of(Body body) {
  try {
    body();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

IngestOptions native_options(Format format, std::size_t max_field_bytes = kDefaultMaxFieldBytes) {
  IngestOptions options;
  options.format = format;
  options.host = "laptop";
  options.max_field_bytes = max_field_bytes;
  return options;
}

native::Conversion convert(const std::string& data, Format format,
                           std::size_t max_field_bytes = kDefaultMaxFieldBytes) {
  return native::convert(data, native_options(format, max_field_bytes));
}

// The produced lines as JSON, each checked to be a valid wire-v1 line.
std::vector<json> lines_of(const native::Conversion& conversion) {
  std::vector<json> out;
  for (const auto& line : conversion.lines) {
    TurnRecord record;
    LineError error;
    EXPECT_TRUE(parse_line(line.wire, 8 << 20, record, error))
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

// Claude Code records.
json claude(const std::string& type, const std::string& uuid, const std::string& ts,
            json extra = json::object()) {
  json r = {{"type", type}, {"uuid", uuid},       {"timestamp", ts},    {"sessionId", "s1"},
            {"cwd", "/w"},  {"version", "2.1.0"}, {"gitBranch", "main"}};
  r.update(extra);
  return r;
}

json claude_usage(int input, int write, int read, int output) {
  return {{"input_tokens", input},
          {"cache_creation_input_tokens", write},
          {"cache_read_input_tokens", read},
          {"output_tokens", output}};
}

json claude_assistant(const std::string& uuid, const std::string& ts, const std::string& id,
                      json content, json usage) {
  return claude("assistant", uuid, ts,
                {{"requestId", "req_" + id},
                 {"message",
                  {{"id", id},
                   {"model", "claude-x"},
                   {"role", "assistant"},
                   {"content", content},
                   {"stop_reason", nullptr},
                   {"usage", usage}}}});
}

json claude_user(const std::string& uuid, const std::string& ts, json content,
                 json extra = json::object()) {
  json r = claude("user", uuid, ts, {{"message", {{"role", "user"}, {"content", content}}}});
  r.update(extra);
  return r;
}

json text_block(const std::string& text) { return {{"type", "text"}, {"text", text}}; }

// Codex records.
json codex(const std::string& ts, const std::string& type, json payload) {
  return {{"timestamp", ts}, {"type", type}, {"payload", payload}};
}

json codex_meta(const std::string& id) {
  return codex("2026-01-01T00:00:00.000Z", "session_meta",
               {{"id", id}, {"timestamp", "2026-01-01T00:00:00.000Z"}, {"cwd", "/w"}});
}

json codex_message(const std::string& ts, const std::string& role, const std::string& text) {
  return codex(ts, "response_item",
               {{"type", "message"},
                {"role", role},
                {"content", {{{"type", "input_text"}, {"text", text}}}}});
}

json codex_usage(int input, int cached, int output, int reasoning) {
  return {{"input_tokens", input},
          {"cached_input_tokens", cached},
          {"output_tokens", output},
          {"reasoning_output_tokens", reasoning},
          {"total_tokens", input + output}};
}

json codex_tokens(const std::string& ts, json total, json last = nullptr) {
  json info = {{"total_token_usage", total}};
  if (!last.is_null()) info["last_token_usage"] = last;
  return codex(ts, "event_msg", {{"type", "token_count"}, {"info", info}});
}

// Gemini CLI records.
json gemini_header(const std::string& id = "g1") {
  return {{"sessionId", id}, {"projectHash", "ph"}, {"startTime", "2026-01-01T00:00:00.000Z"}};
}

json gemini_message(const std::string& id, const std::string& type, json content,
                    json extra = json::object()) {
  json m = {
      {"id", id}, {"timestamp", "2026-01-01T00:00:01.000Z"}, {"type", type}, {"content", content}};
  m.update(extra);
  return m;
}

json gemini_tokens(int input, int output, int thoughts = 0, int tool = 0, int cached = 0) {
  return {{"input", input},       {"output", output}, {"cached", cached},
          {"thoughts", thoughts}, {"tool", tool},     {"total", input + output + thoughts + tool}};
}

// ---------------------------------------------------------------------------
// Options

TEST(NativeOptions, DefaultsDependOnTheFunction) {
  EXPECT_EQ(default_options(OptionsFor::Ingest).format, Format::Wire);
  EXPECT_EQ(default_options(OptionsFor::Convert).format, Format::Auto);
  const IngestOptions o = default_options(OptionsFor::Ingest);
  EXPECT_FALSE(o.host.has_value());
  EXPECT_FALSE(o.source_file.has_value());
  EXPECT_EQ(o.max_field_bytes, 1048576u);
}

TEST(NativeOptions, EveryFormatName) {
  for (const char* name : {"wire", "auto", "claude-code", "codex", "gemini-cli", "qwen-code",
                           "copilot-cli", "cursor-cli"}) {
    const IngestOptions o = parse_options(std::string("{\"format\":\"") + name + "\"}");
    EXPECT_EQ(format_name(o.format), name);
  }
  EXPECT_NE(problem_of([] { parse_options(R"({"format":"claude"})"); }).find("options.format"),
            std::string::npos);
  EXPECT_THROW(parse_options(R"({"format":1})"), InputError);
}

TEST(NativeOptions, NativeKeysWithWireAreABatchError) {
  for (const char* options : {R"({"host":"h"})", R"({"source_file":"/a"})",
                              R"({"max_field_bytes":2048})", R"({"format":"wire","host":"h"})"}) {
    const std::string problem = problem_of([&] { parse_options(options); });
    EXPECT_NE(problem.find("native format"), std::string::npos) << options << ": " << problem;
  }
  // lethe_convert's default format is auto: the same keys are fine there.
  EXPECT_NO_THROW(parse_options(R"({"host":"h"})", OptionsFor::Convert));
  EXPECT_THROW(parse_options(R"({"format":"wire","host":"h"})", OptionsFor::Convert), InputError);
}

TEST(NativeOptions, HostSourceFileAndMaxFieldBytesRules) {
  const IngestOptions ok = parse_options(
      R"({"format":"auto","host":"box","source_file":"/x.jsonl","max_field_bytes":1024})");
  EXPECT_EQ(*ok.host, "box");
  EXPECT_EQ(*ok.source_file, "/x.jsonl");
  EXPECT_EQ(ok.max_field_bytes, 1024u);
  const std::string long_host(257, 'h');
  const std::string long_path(4097, 'p');
  for (const std::string& bad : {std::string(R"({"format":"auto","host":""})"),
                                 R"({"format":"auto","host":")" + long_host + "\"}",
                                 std::string(R"({"format":"auto","host":"a\u0001b"})"),
                                 std::string(R"({"format":"auto","host":7})"),
                                 R"({"format":"auto","source_file":")" + long_path + "\"}",
                                 std::string(R"({"format":"auto","source_file":3})"),
                                 std::string(R"({"format":"auto","max_field_bytes":1023})"),
                                 std::string(R"({"format":"auto","max_field_bytes":2048.5})"),
                                 std::string(R"({"format":"auto","max_field_bytes":"big"})")}) {
    EXPECT_THROW(parse_options(bad), InputError) << bad;
  }
  EXPECT_NO_THROW(parse_options(R"({"format":"auto","host":")" + std::string(256, 'h') + "\"}"));
  EXPECT_NO_THROW(parse_options(R"({"format":"auto","source_file":null})"));
}

// ---------------------------------------------------------------------------
// Detection

TEST(NativeDetection, FromTheFirstNonBlankLine) {
  EXPECT_EQ(native::detect_format(
                "\n  \n{\"tool\":\"x\",\"session_id\":\"s\",\"turn_id\":\"t\",\"seq\":1}\n"),
            Format::Wire);
  EXPECT_EQ(native::detect_format(codex_meta("c").dump()), Format::Codex);
  EXPECT_EQ(
      native::detect_format(R"({"id":"c","timestamp":"2025-01-01T00:00:00Z","instructions":null})"),
      Format::Codex);
  EXPECT_EQ(native::detect_format(gemini_header().dump() + "\n"), Format::GeminiCli);
  EXPECT_EQ(native::detect_format("{\n  \"sessionId\": \"g\",\n  \"projectHash\": \"p\",\n"
                                  "  \"messages\": []\n}\n"),
            Format::GeminiCli);
  EXPECT_EQ(
      native::detect_format(
          R"({"type":"file-history-snapshot","messageId":"m","snapshot":{},"isSnapshotUpdate":false})"),
      Format::ClaudeCode);
  EXPECT_EQ(
      native::detect_format(
          R"({"type":"session.start","data":{"sessionId":"c"},"id":"e","timestamp":"t","parentId":null})"),
      Format::CopilotCli);
  EXPECT_EQ(native::detect_format(R"({"type":"summary","summary":"x","leafUuid":"u"})"),
            Format::ClaudeCode);
  EXPECT_EQ(
      native::detect_format("\xEF\xBB\xBF" + claude_user("u", "2026-01-01T00:00:00Z", "hi").dump()),
      Format::ClaudeCode);
  EXPECT_EQ(native::detect_format(""), Format::Wire);  // nothing to read
  EXPECT_FALSE(native::detect_format(R"({"hello":"world"})"));
  EXPECT_FALSE(native::detect_format("not json\n"));
  EXPECT_FALSE(native::detect_format("[1,2]\n"));
}

TEST(NativeDetection, AutoThatFitsNothingIsABatchError) {
  IngestOptions options;
  options.format = Format::Auto;
  EXPECT_EQ(problem_of([&] { native::convert("{\"a\":1}\n", options); }),
            "format not recognized; set options.format");
}

// Qwen Code records look like Claude Code's (type, sessionId, uuid): a
// Qwen file must never be read as Claude's, and a file that fits both is a
// batch error naming them.
TEST(NativeDetection, QwenCodeIsNeverTakenForClaudeCode) {
  const std::string qwen_user =
      R"({"uuid":"u1","parentUuid":null,"sessionId":"q","timestamp":"2026-01-01T00:00:00Z",)"
      R"("type":"user","cwd":"/w","version":"0.21.6","message":{"role":"user","parts":[{"text":"hi"}]}})";
  const std::string qwen_system =
      R"({"uuid":"s1","sessionId":"q","timestamp":"2026-01-01T00:00:00Z","type":"system",)"
      R"("subtype":"session_source","systemPayload":{"sourceType":"cli"}})";
  const std::string bare = R"({"uuid":"b1","sessionId":"q","type":"user"})";
  EXPECT_EQ(native::detect_format(qwen_user), Format::QwenCode);
  EXPECT_EQ(native::detect_format(qwen_system), Format::QwenCode);
  EXPECT_EQ(native::detect_format(bare + "\n" + qwen_user), Format::QwenCode);
  EXPECT_EQ(
      native::detect_format(bare + "\n" + claude_user("u2", "2026-01-01T00:00:00Z", "hi").dump()),
      Format::ClaudeCode);
  EXPECT_EQ(native::detect_formats(bare + "\n"),
            (std::vector<Format>{Format::ClaudeCode, Format::QwenCode}));
  IngestOptions options;
  options.format = Format::Auto;
  EXPECT_EQ(problem_of([&] { native::convert(bare + "\n", options); }),
            "format not recognized: the data fits claude-code and qwen-code; set options.format");
}

TEST(NativeDetection, WireThroughConvertIsEveryNonBlankLineAsItStands) {
  IngestOptions options;
  options.format = Format::Auto;
  const std::string a = R"({"tool":"t","session_id":"s","turn_id":"a"})";
  const auto c = native::convert(a + "\n\n  \n" + "{\"x\":1}\r\n", options);
  EXPECT_EQ(c.format, Format::Wire);
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[0].wire, a);
  EXPECT_EQ(c.lines[1].wire, "{\"x\":1}");
  EXPECT_EQ(c.lines[1].line, 4u);
}

// ---------------------------------------------------------------------------
// Rules for every format

TEST(NativeCommon, SeqIsMillisecondsTimesThousandPlusRank) {
  const auto c = convert(jsonl({claude_user("u1", "2026-01-01T00:00:00.123Z", "a"),
                                claude_user("u2", "2026-01-01T00:00:00.123+00:00", "b"),
                                claude_user("u3", "2026-01-01T01:00:00.123+01:00", "c"),
                                claude_user("u4", "2026-01-01T00:00:00.124Z", "d")}),
                         Format::ClaudeCode);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 4u);
  const std::int64_t ms = 1767225600123;  // 2026-01-01T00:00:00.123Z
  EXPECT_EQ(lines[0]["seq"], ms * 1000);
  EXPECT_EQ(lines[1]["seq"], ms * 1000 + 1);
  EXPECT_EQ(lines[2]["seq"], ms * 1000 + 2);
  EXPECT_EQ(lines[3]["seq"], (ms + 1) * 1000);
  EXPECT_EQ(lines[2]["timestamp"], "2026-01-01T00:00:00.123Z");
}

TEST(NativeCommon, DeterministicByteForByte) {
  const std::string data = jsonl({claude_user("u1", "2026-01-01T00:00:00Z", "a"),
                                  claude_assistant("a1", "2026-01-01T00:00:01Z", "m1",
                                                   {text_block("x")}, claude_usage(1, 2, 3, 4))});
  const auto a = convert(data, Format::ClaudeCode);
  const auto b = convert(data, Format::ClaudeCode);
  ASSERT_EQ(a.lines.size(), b.lines.size());
  for (std::size_t i = 0; i < a.lines.size(); ++i) EXPECT_EQ(a.lines[i].wire, b.lines[i].wire);
}

TEST(NativeCommon, HostSourceFileAndToolOnEveryLine) {
  IngestOptions options = native_options(Format::ClaudeCode);
  options.source_file = "/home/ana/.claude/projects/p/s1.jsonl";
  const auto c = native::convert(jsonl({claude_user("u1", "2026-01-01T00:00:00Z", "a")}), options);
  const auto line = lines_of(c).at(0);
  EXPECT_EQ(line["tool"], "claude-code");
  EXPECT_EQ(line["host"], "laptop");
  EXPECT_EQ(line["session_meta"]["source_file"], *options.source_file);
}

TEST(NativeCommon, DefaultHostIsTheMachineName) {
  IngestOptions options;
  options.format = Format::ClaudeCode;
  const auto c = native::convert(jsonl({claude_user("u1", "2026-01-01T00:00:00Z", "a")}), options);
  const auto host = lines_of(c).at(0)["host"].get<std::string>();
  EXPECT_FALSE(host.empty());
  EXPECT_LE(host.size(), 256u);
}

TEST(NativeCommon, LongContentIsCutAtACharacterBoundary) {
  // 1023 ASCII bytes, then a 3-byte character straddling the 1024 limit.
  const std::string text = std::string(1023, 'a') + "\xE2\x82\xAC" + std::string(500, 'b');
  const auto c =
      convert(jsonl({claude_user("u1", "2026-01-01T00:00:00Z", text)}), Format::ClaudeCode, 1024);
  const auto line = lines_of(c).at(0);
  EXPECT_EQ(line["content"], std::string(1023, 'a'));
  EXPECT_EQ(line["metadata"]["truncated"], (json{{"field", "content"}, {"bytes", text.size()}}));
  // Under the limit: untouched, no marker.
  const auto d = convert(jsonl({claude_user("u1", "2026-01-01T00:00:00Z", "short")}),
                         Format::ClaudeCode, 1024);
  EXPECT_FALSE(lines_of(d).at(0)["metadata"].contains("truncated"));
}

TEST(NativeCommon, LongToolInputIsBoundedToo) {
  const json tool_use = {{"type", "tool_use"},
                         {"id", "t1"},
                         {"name", "Write"},
                         {"input", {{"content", std::string(5000, 'x')}}}};
  const auto c = convert(jsonl({claude_assistant("a1", "2026-01-01T00:00:00Z", "m1", {tool_use},
                                                 claude_usage(1, 0, 0, 1))}),
                         Format::ClaudeCode, 1024);
  const auto line = lines_of(c).at(0);
  EXPECT_EQ(line["tool_calls"][0]["input"]["content"].get<std::string>().size(), 1024u);
  EXPECT_EQ(line["metadata"]["truncated_fields"], json::array({"tool_calls"}));
}

TEST(NativeCommon, ANonJsonLineIsOneProblemAndTheRestIsRead) {
  const std::string good = claude_user("u1", "2026-01-01T00:00:00Z", "a").dump();
  const std::string also = claude_user("u2", "2026-01-01T00:00:00Z", "b").dump();
  const auto c =
      convert(good + "\n{\"type\":\"user\",\"uu\n" + also + "\n{\"cut", Format::ClaudeCode);
  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.problems[0].line, 2u);
  EXPECT_EQ(c.problems[0].byte_offset, good.size() + 1);
  EXPECT_EQ(c.problems[0].error.code, ErrorCode::InvalidJson);
  EXPECT_EQ(c.problems[1].line, 4u);
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[1].line, 3u);
}

TEST(NativeCommon, DeepNestingIsInvalidJsonNotACrash) {
  std::string deep =
      "{\"type\":\"user\",\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const auto c = convert(deep + "\n", Format::ClaudeCode);
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0].error.code, ErrorCode::InvalidJson);
}

// Issue 18.4: a token counter no integer can hold, or a sum past 2^63-1, is
// an invalid usage: NULL tokens and the turn kept with its text (before: an
// overflow, undefined behaviour, and in Release a negative count that made
// the wire rules reject the whole turn).
constexpr std::int64_t kMaxTokens = std::numeric_limits<std::int64_t>::max();

void expect_invalid_usage(const json& line) {
  EXPECT_FALSE(line.contains("tokens_in")) << line.dump();
  EXPECT_FALSE(line.contains("tokens_out")) << line.dump();
  EXPECT_EQ(line["metadata"]["usage_invalid"], true) << line.dump();
}

TEST(NativeCommon, HugeTokenCountersAreAnInvalidUsageNotAnOverflow) {
  const json claude_huge = {
      {"input_tokens", kMaxTokens}, {"cache_read_input_tokens", 1}, {"output_tokens", 5}};
  const json claude_beyond =
      json::parse(R"({"input_tokens":1,"output_tokens":18446744073709551615})");
  const auto claude_lines =
      lines_of(convert(jsonl({claude_assistant("a1", "2026-01-01T00:00:01Z", "m1",
                                               {text_block("kept")}, claude_huge),
                              claude_assistant("a2", "2026-01-01T00:00:02Z", "m2",
                                               {text_block("kept too")}, claude_beyond)}),
                       Format::ClaudeCode));
  ASSERT_EQ(claude_lines.size(), 2u);
  EXPECT_EQ(claude_lines[0]["content"], "kept");
  expect_invalid_usage(claude_lines[0]);
  expect_invalid_usage(claude_lines[1]);

  const json codex_huge = {{"input_tokens", kMaxTokens},
                           {"cached_input_tokens", 0},
                           {"output_tokens", 1},
                           {"reasoning_output_tokens", 0},
                           {"total_tokens", 0}};
  const auto codex_lines = lines_of(convert(
      jsonl({codex_meta("c1"), codex_message("2026-01-01T00:00:01Z", "user", "q"),
             codex_message("2026-01-01T00:00:02Z", "assistant", "a"),
             codex_tokens("2026-01-01T00:00:03Z", codex_huge, codex_huge),
             codex_tokens("2026-01-01T00:00:04Z", codex_usage(5, 0, 1, 0), codex_usage(5, 0, 1, 0)),
             codex_message("2026-01-01T00:00:05Z", "user", "next")}),
      Format::Codex));
  ASSERT_EQ(codex_lines.size(), 3u);
  EXPECT_EQ(codex_lines[1]["content"], "a");
  expect_invalid_usage(codex_lines[1]);

  json gemini_huge = gemini_tokens(0, 1);
  gemini_huge["input"] = kMaxTokens;
  gemini_huge["tool"] = 1;
  const auto gemini_lines = lines_of(convert(
      jsonl({gemini_header(), gemini_message("m1", "gemini", "kept", {{"tokens", gemini_huge}})}),
      Format::GeminiCli));
  ASSERT_EQ(gemini_lines.size(), 1u);
  EXPECT_EQ(gemini_lines[0]["content"], "kept");
  expect_invalid_usage(gemini_lines[0]);
}

// ---------------------------------------------------------------------------
// Claude Code

TEST(NativeClaude, SplitRecordsAreOneTurnWithTheLargestOutput) {
  const auto c = convert(
      jsonl({claude_assistant("a1", "2026-01-01T00:00:01Z", "m1",
                              {{{"type", "thinking"}, {"thinking", "hmm"}}},
                              claude_usage(3, 10, 100, 8)),
             claude_assistant("a2", "2026-01-01T00:00:02Z", "m1", {text_block("one")},
                              claude_usage(3, 10, 100, 8)),
             claude_assistant(
                 "a3", "2026-01-01T00:00:03Z", "m1",
                 {{{"type", "tool_use"}, {"id", "t1"}, {"name", "Bash"}, {"input", {{"c", 1}}}},
                  text_block("two")},
                 claude_usage(3, 10, 100, 167)),
             claude_assistant(
                 "a4", "2026-01-01T00:00:04Z", "m1",
                 {{{"type", "tool_use"}, {"id", "t1"}, {"name", "Bash"}, {"input", {{"c", 1}}}}},
                 claude_usage(3, 10, 100, 20))}),
      Format::ClaudeCode);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 1u);
  const json& t = lines[0];
  EXPECT_EQ(t["turn_id"], "m1");
  EXPECT_EQ(t["timestamp"], "2026-01-01T00:00:01.000Z");  // the first record's
  EXPECT_EQ(c.lines[0].line, 1u);
  EXPECT_EQ(t["tokens_in"], 113);
  EXPECT_EQ(t["tokens_out"], 167);
  EXPECT_EQ(t["content"], "one\n\ntwo");
  EXPECT_EQ(t["tool_calls"].size(), 1u);  // once per id
  EXPECT_EQ(t["metadata"]["thinking"], json::array({"hmm"}));
  EXPECT_EQ(t["metadata"]["uuids"], json::array({"a1", "a2", "a3", "a4"}));
  EXPECT_EQ(t["metadata"]["usage"]["output_tokens"], 167);
  EXPECT_EQ(t["metadata"]["cache_read_tokens"], 100);
  EXPECT_EQ(t["metadata"]["cache_write_tokens"], 10);
  EXPECT_EQ(t["metadata"]["uncached_input_tokens"], 3);
  EXPECT_EQ(t["metadata"]["message_id"], "m1");
  EXPECT_EQ(t["metadata"]["request_id"], "req_m1");
  EXPECT_EQ(t["model"], "claude-x");
}

TEST(NativeClaude, UsageTiesGoToTheLargerTotalThenTheLaterRecord) {
  json u1 = claude_usage(1, 0, 0, 50);
  json u2 = claude_usage(9, 0, 0, 50);  // same output, larger total: wins
  json u3 = claude_usage(9, 0, 0, 50);  // same output and total: later wins
  u3["marker"] = "later";
  const auto c = convert(jsonl({claude_assistant("a1", "2026-01-01T00:00:01Z", "m", {}, u1),
                                claude_assistant("a2", "2026-01-01T00:00:02Z", "m", {}, u2),
                                claude_assistant("a3", "2026-01-01T00:00:03Z", "m", {}, u3)}),
                         Format::ClaudeCode);
  const auto t = lines_of(c).at(0);
  EXPECT_EQ(t["tokens_in"], 9);
  EXPECT_EQ(t["metadata"]["usage"]["marker"], "later");
  EXPECT_FALSE(t.contains("content"));  // no text blocks: NULL
}

TEST(NativeClaude, UsageKeepsItsKeyOrderAndAllZeroIsNoUsage) {
  const std::string line =
      R"({"type":"assistant","uuid":"a","timestamp":"2026-01-01T00:00:00Z","sessionId":"s",)"
      R"("message":{"id":"m","content":[],"usage":{"output_tokens":0,"input_tokens":0,"z":1,"a":2}}})";
  const auto c = convert(line + "\n", Format::ClaudeCode);
  const std::string& wire = c.lines.at(0).wire;
  EXPECT_NE(wire.find(R"("usage":{"output_tokens":0,"input_tokens":0,"z":1,"a":2})"),
            std::string::npos)
      << wire;
  const auto t = lines_of(c).at(0);
  EXPECT_FALSE(t.contains("tokens_in"));
  EXPECT_FALSE(t.contains("tokens_out"));
  EXPECT_EQ(t["metadata"]["usage_missing"], true);
}

TEST(NativeClaude, GroupFallsBackToRequestIdThenUuid) {
  json a = claude("assistant", "a1", "2026-01-01T00:00:00Z",
                  {{"requestId", "r1"}, {"message", {{"content", {text_block("x")}}}}});
  json b = claude("assistant", "a2", "2026-01-01T00:00:01Z",
                  {{"requestId", "r1"}, {"message", {{"content", {text_block("y")}}}}});
  json d = claude("assistant", "a3", "2026-01-01T00:00:02Z", {{"message", {{"content", "z"}}}});
  const auto lines = lines_of(convert(jsonl({a, b, d}), Format::ClaudeCode));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["turn_id"], "r1");
  EXPECT_EQ(lines[0]["content"], "x\n\ny");
  EXPECT_EQ(lines[1]["turn_id"], "a3");
}

TEST(NativeClaude, UserRoles) {
  const auto lines = lines_of(convert(
      jsonl(
          {claude_user("u1", "2026-01-01T00:00:00Z", "typed"),
           claude_user("u2", "2026-01-01T00:00:01Z", "<command-name>/clear</command-name>"),
           claude_user("u3", "2026-01-01T00:00:02Z",
                       "<local-command-stdout>x</local-command-stdout>"),
           claude_user("u4", "2026-01-01T00:00:03Z", {text_block("[Request interrupted by user]")}),
           claude_user("u5", "2026-01-01T00:00:04Z", "meta", {{"isMeta", true}}),
           claude_user("u6", "2026-01-01T00:00:05Z", "summary", {{"isCompactSummary", true}}),
           claude_user("u7", "2026-01-01T00:00:06Z",
                       {{{"type", "tool_result"}, {"tool_use_id", "t1"}, {"content", "out"}},
                        {{"type", "tool_result"},
                         {"tool_use_id", "t2"},
                         {"is_error", true},
                         {"content", {text_block("err")}}}}),
           claude_user("u8", "2026-01-01T00:00:07Z",
                       {text_block("look"),
                        {{"type", "image"},
                         {"source",
                          {{"type", "base64"}, {"media_type", "image/png"}, {"data", "AAAA"}}}}})}),
      Format::ClaudeCode));
  ASSERT_EQ(lines.size(), 8u);
  const char* roles[] = {"user", "system", "system", "system", "system", "system", "tool", "user"};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(lines[i]["role"], roles[i]) << i;
  EXPECT_EQ(lines[6]["content"], "out\n\nerr");
  EXPECT_EQ(lines[6]["metadata"]["tool_use_ids"], json::array({"t1", "t2"}));
  EXPECT_EQ(lines[6]["metadata"]["is_error"], true);
  EXPECT_EQ(lines[7]["content"], "look\n\n[image image/png 3 bytes]");
  EXPECT_EQ(lines[0]["metadata"]["native_type"], "user");
  EXPECT_EQ(lines[0]["turn_id"], "u1");
}

// Issue 18.1: Claude Code 2.1.x writes a user record itself when a background
// command or sub-agent ends; nobody typed it.
TEST(NativeClaude, TaskNotificationIsSystemNotAPrompt) {
  const auto lines = lines_of(convert(
      jsonl({claude_user("u1", "2026-01-01T00:00:00Z",
                         "<task-notification>\n<task-id>b1</task-id>\n<status>completed</status>\n"
                         "</task-notification>"),
             claude_user("u2", "2026-01-01T00:00:01Z", "tests passed",
                         {{"origin", {{"kind", "task-notification"}}}}),
             claude_user("u3", "2026-01-01T00:00:02Z", "typed <task-notification> later")}),
      Format::ClaudeCode));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["role"], "system");
  EXPECT_EQ(lines[1]["role"], "system");
  EXPECT_EQ(lines[2]["role"], "user");
}

json claude_queue(const std::string& operation, const std::string& ts,
                  std::optional<std::string> content = std::nullopt) {
  json r = {{"type", "queue-operation"},
            {"operation", operation},
            {"timestamp", ts},
            {"sessionId", "s1"}};
  if (content) r["content"] = *content;
  return r;
}

// Issue 18.2: a prompt typed while the agent was busy is enqueued; `remove`
// folds it into the running turn (no user record is written, the model saw
// it), `dequeue` runs it as a user record of its own, `popAll` withdraws
// it. Each typed prompt is one turn, exactly once.
TEST(NativeClaude, AQueuedPromptIsOneTurnExactlyOnce) {
  const auto c =
      convert(jsonl({claude_user("u1", "2026-01-01T00:00:00Z", "first"),
                     claude_queue("enqueue", "2026-01-01T00:00:01Z", "folded in"),
                     claude_queue("enqueue", "2026-01-01T00:00:02Z", "run later"),
                     claude_queue("remove", "2026-01-01T00:00:03Z", "folded in"),
                     claude_assistant("a1", "2026-01-01T00:00:04Z", "m1", {text_block("ok")},
                                      claude_usage(1, 0, 0, 1)),
                     claude_queue("dequeue", "2026-01-01T00:00:05Z"),
                     claude_user("u2", "2026-01-01T00:00:06Z", "run later"),
                     claude_queue("enqueue", "2026-01-01T00:00:07Z", "withdrawn"),
                     claude_queue("popAll", "2026-01-01T00:00:08Z"),
                     claude_queue("enqueue", "2026-01-01T00:00:09Z", "<task-notification>x"),
                     claude_queue("remove", "2026-01-01T00:00:10Z", "<task-notification>x"),
                     claude_queue("enqueue", "2026-01-01T00:00:11Z", "still queued")}),
              Format::ClaudeCode);
  const auto lines = lines_of(c);
  std::vector<std::string> got;
  for (const json& l : lines) {
    got.push_back(l["turn_id"].get<std::string>() + " " + l["role"].get<std::string>() + " " +
                  l.value("content", ""));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"u1 user first",
                                           "queued:2026-01-01T00:00:01.000Z user folded in",
                                           "m1 assistant ok", "u2 user run later",
                                           "queued:2026-01-01T00:00:09.000Z system "
                                           "<task-notification>x"}));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[1]["metadata"]["native_type"], "queue-operation");
  EXPECT_EQ(c.lines[1].line, 2u);  // at the enqueue
}

TEST(NativeClaude, SystemSubtypesAndSkippedKinds) {
  const auto c = convert(
      jsonl({{{"type", "summary"}, {"summary", "x"}, {"leafUuid", "u"}},
             claude("system", "y1", "2026-01-01T00:00:00Z",
                    {{"subtype", "local_command"}, {"content", "ls"}}),
             claude("system", "y2", "2026-01-01T00:00:01Z", {{"subtype", "compact_boundary"}}),
             claude("system", "y3", "2026-01-01T00:00:02Z", {{"subtype", "api_error"}}),
             claude("system", "y4", "2026-01-01T00:00:03Z", {{"subtype", "turn_duration"}}),
             claude("progress", "p1", "2026-01-01T00:00:04Z",
                    {{"data", {{"message", {{"usage", claude_usage(1, 1, 1, 1)}}}}}}),
             claude("brand-new-kind", "n1", "2026-01-01T00:00:05Z"),
             {{"no", "type"}}}),
      Format::ClaudeCode);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["role"], "system");
  EXPECT_EQ(lines[0]["content"], "ls");
  EXPECT_EQ(lines[0]["metadata"]["subtype"], "local_command");
  EXPECT_EQ(c.skipped, 5u);
  EXPECT_TRUE(c.problems.empty());
}

TEST(NativeClaude, SubAgentIsASessionOfItsOwn) {
  json r = claude_user("u1", "2026-01-01T00:00:00Z", "find it", {{"agentId", "ab12"}});
  const auto t = lines_of(convert(jsonl({r}), Format::ClaudeCode)).at(0);
  EXPECT_EQ(t["session_id"], "s1:agent-ab12");
  EXPECT_EQ(t["session_meta"]["metadata"]["parent_session_id"], "s1");
  EXPECT_EQ(t["session_meta"]["metadata"]["agent_id"], "ab12");
}

TEST(NativeClaude, SessionFactsFromItsRecordsSkippedOnesIncluded) {
  json hook =
      claude("progress", "p", "2025-12-31T23:59:59Z", {{"cwd", "/first"}, {"version", "1.0"}});
  const auto t = lines_of(convert(jsonl({hook, claude_user("u1", "2026-01-01T00:00:00Z", "a")}),
                                  Format::ClaudeCode))
                     .at(0);
  EXPECT_EQ(t["session_meta"]["started_at"], "2025-12-31T23:59:59.000Z");
  EXPECT_EQ(t["session_meta"]["working_dir"], "/first");
  EXPECT_EQ(t["session_meta"]["metadata"]["client_version"], "1.0");
}

TEST(NativeClaude, ProblemsNameTheNativeField) {
  json no_session = claude_user("u1", "2026-01-01T00:00:00Z", "a");
  no_session.erase("sessionId");
  json no_content = claude_user("u2", "2026-01-01T00:00:00Z", "a");
  no_content["message"].erase("content");
  json no_id = claude("assistant", "", "2026-01-01T00:00:00Z", {{"message", {{"content", "x"}}}});
  const auto c = convert(jsonl({no_session, no_content, no_id}), Format::ClaudeCode);
  ASSERT_EQ(c.problems.size(), 3u);
  EXPECT_EQ(c.problems[0].error.field, "sessionId");
  EXPECT_EQ(c.problems[0].error.code, ErrorCode::MissingField);
  EXPECT_EQ(c.problems[1].error.field, "message.content");
  EXPECT_EQ(c.problems[2].error.field, "message.id");
  EXPECT_EQ(c.problems[2].line, 3u);
}

TEST(NativeClaude, CostFromTheFileWhenItHasOne) {
  json a = claude_assistant("a1", "2026-01-01T00:00:00Z", "m", {}, claude_usage(1, 0, 0, 2));
  a["costUSD"] = 0.0125;
  EXPECT_EQ(lines_of(convert(jsonl({a}), Format::ClaudeCode)).at(0)["cost_usd"], 0.0125);
}

// ---------------------------------------------------------------------------
// Codex CLI

TEST(NativeCodex, TokensPerUserTurnOnItsLastAnswer) {
  const auto c =
      convert(jsonl({codex_meta("c1"),
                     codex("2026-01-01T00:00:00.500Z", "turn_context", {{"model", "gpt-5"}}),
                     codex_message("2026-01-01T00:00:01Z", "user", "q1"),
                     codex("2026-01-01T00:00:01.1Z", "event_msg",
                           {{"type", "token_count"}, {"info", nullptr}}),
                     codex_tokens("2026-01-01T00:00:02Z", codex_usage(100, 10, 5, 1),
                                  codex_usage(100, 10, 5, 1)),
                     codex_tokens("2026-01-01T00:00:02.1Z", codex_usage(100, 10, 5, 1),
                                  codex_usage(100, 10, 5, 1)),
                     codex_message("2026-01-01T00:00:03Z", "assistant", "a1"),
                     codex("2026-01-01T00:00:04Z", "response_item",
                           {{"type", "function_call"},
                            {"name", "shell"},
                            {"arguments", R"({"cmd":"ls"})"},
                            {"call_id", "k1"}}),
                     codex_tokens("2026-01-01T00:00:05Z",
                                  codex_usage(250, 20, 15, 2)),  // no last: total - previous
                     codex("2026-01-01T00:00:06Z", "response_item",
                           {{"type", "function_call_output"}, {"call_id", "k1"}, {"output", "x"}}),
                     codex_message("2026-01-01T00:00:07Z", "user", "q2")}),
              Format::Codex);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_FALSE(lines[1].contains("tokens_in"));  // a1 is not the last answer
  const json& call = lines[2];
  EXPECT_EQ(call["turn_id"], "k1");
  EXPECT_EQ(call["tokens_in"], 250);
  EXPECT_EQ(call["tokens_out"], 15);
  EXPECT_EQ(call["metadata"]["requests"], 2);
  EXPECT_EQ(call["metadata"]["cache_read_tokens"], 20);
  EXPECT_EQ(call["metadata"]["reasoning_tokens"], 2);
  EXPECT_EQ(call["tool_calls"],
            json::parse(R"([{"id":"k1","name":"shell","input":{"cmd":"ls"}}])"));
  EXPECT_EQ(call["model"], "gpt-5");
  EXPECT_EQ(lines[3]["turn_id"], "k1:output");
  EXPECT_EQ(lines[3]["role"], "tool");
  EXPECT_EQ(lines[4]["turn_id"], "l11");
}

// Issue 18.3: a user turn with no answer lethe maps (interrupted, or only
// items it skips) still spent its tokens: they go on the typed message.
TEST(NativeCodex, TokensOfAUserTurnWithoutAnswerAreKept) {
  const auto c =
      convert(jsonl({codex_meta("c1"), codex_message("2026-01-01T00:00:01Z", "user", "q1"),
                     codex("2026-01-01T00:00:02Z", "response_item",
                           {{"type", "reasoning"}, {"summary", json::array()}}),
                     codex_tokens("2026-01-01T00:00:03Z", codex_usage(950, 0, 50, 0),
                                  codex_usage(950, 0, 50, 0)),
                     codex("2026-01-01T00:00:04Z", "event_msg", {{"type", "turn_aborted"}}),
                     codex_message("2026-01-01T00:00:05Z", "user", "q2"),
                     codex_message("2026-01-01T00:00:06Z", "assistant", "a2"),
                     codex_tokens("2026-01-01T00:00:07Z", codex_usage(1950, 0, 100, 0),
                                  codex_usage(1000, 0, 50, 0))}),
              Format::Codex);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 3u);
  std::int64_t total = 0;
  for (const json& l : lines) total += l.value("tokens_in", 0) + l.value("tokens_out", 0);
  EXPECT_EQ(total, 2050);  // the file's own total_tokens
  EXPECT_EQ(lines[0]["role"], "user");
  EXPECT_EQ(lines[0]["tokens_in"], 950);
  EXPECT_EQ(lines[0]["tokens_out"], 50);
  EXPECT_EQ(lines[0]["metadata"]["requests"], 1);
  EXPECT_EQ(lines[2]["tokens_in"], 1000);
  EXPECT_FALSE(lines[1].contains("tokens_in"));
}

// Issue 18.7: legacy (pre-envelope) items carry ids of their own; a line
// number is the last resort.
TEST(NativeCodex, LegacyItemsAreNamedByTheirOwnIds) {
  const auto lines = lines_of(
      convert(jsonl({{{"id", "c-legacy"},
                      {"timestamp", "2025-08-20T13:20:47.060Z"},
                      {"instructions", nullptr}},
                     {{"record_type", "state"}},
                     {{"type", "message"},
                      {"id", nullptr},
                      {"role", "user"},
                      {"content", {{{"type", "input_text"}, {"text", "q"}}}}},
                     {{"type", "message"},
                      {"id", "msg_1"},
                      {"role", "assistant"},
                      {"content", {{{"type", "output_text"}, {"text", "a"}}}}},
                     {{"type", "function_call"},
                      {"id", "fc_1"},
                      {"name", "shell"},
                      {"arguments", "{}"},
                      {"call_id", "call_1"}},
                     {{"type", "local_shell_call"}, {"id", "lsc_1"}, {"status", "completed"}}}),
              Format::Codex));
  std::vector<std::string> ids;
  for (const json& l : lines) ids.push_back(l["turn_id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"l3", "msg_1", "call_1", "lsc_1"}));
}

TEST(NativeCodex, ArgumentsThatAreNotJsonStayText) {
  const auto lines =
      lines_of(convert(jsonl({codex_meta("c1"), codex("2026-01-01T00:00:04Z", "response_item",
                                                      {{"type", "function_call"},
                                                       {"name", "f"},
                                                       {"arguments", "not {json"},
                                                       {"call_id", "k"}})}),
                       Format::Codex));
  EXPECT_EQ(lines.at(0)["tool_calls"][0]["input"], "not {json");
}

TEST(NativeCodex, RolesOfMessages) {
  const auto lines = lines_of(convert(
      jsonl({codex_meta("c1"),
             codex_message("2026-01-01T00:00:01Z", "user", "<environment_context>x"),
             codex_message("2026-01-01T00:00:01Z", "user", "<user_instructions>x"),
             codex_message("2026-01-01T00:00:01Z", "user", "# AGENTS.md instructions for /w"),
             codex_message("2026-01-01T00:00:01Z", "developer", "rules"),
             codex_message("2026-01-01T00:00:01Z", "user", "typed"),
             codex("2026-01-01T00:00:01Z", "compacted", {{"message", "summary so far"}})}),
      Format::Codex));
  const char* roles[] = {"system", "system", "system", "system", "user", "system"};
  ASSERT_EQ(lines.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(lines[i]["role"], roles[i]) << i;
  EXPECT_EQ(lines[5]["content"], "summary so far");
}

TEST(NativeCodex, ReasoningSummaryGoesToTheNextAnswer) {
  const auto lines = lines_of(
      convert(jsonl({codex_meta("c1"),
                     codex("2026-01-01T00:00:01Z", "response_item",
                           {{"type", "reasoning"},
                            {"summary", {{{"type", "summary_text"}, {"text", "**plan**"}}}}}),
                     codex_message("2026-01-01T00:00:02Z", "assistant", "done")}),
              Format::Codex));
  EXPECT_EQ(lines.at(0)["metadata"]["reasoning_summary"], json::array({"**plan**"}));
}

TEST(NativeCodex, OrdinalNamesTheTurnWhenRecordsCarryOne) {
  json m = codex_message("2026-01-01T00:00:01Z", "user", "hi");
  m["ordinal"] = 42;
  EXPECT_EQ(lines_of(convert(jsonl({codex_meta("c1"), m}), Format::Codex)).at(0)["turn_id"], "r42");
}

TEST(NativeCodex, ReplayAfterASecondSessionMetaIsSkipped) {
  json own = codex_meta("child");
  own["timestamp"] = "2026-01-01T00:00:00.100Z";
  json parent = codex_meta("parent");
  parent["timestamp"] = "2026-01-01T00:00:00.100Z";
  const auto c =
      convert(jsonl({own, parent, codex_message("2026-01-01T00:00:00.900Z", "user", "old"),
                     codex_tokens("2026-01-01T00:00:01.099Z", codex_usage(500, 0, 50, 0)),
                     codex_message("2026-01-01T00:00:01.100Z", "user", "new"),
                     codex_tokens("2026-01-01T00:00:02Z", codex_usage(600, 0, 60, 0)),
                     codex_message("2026-01-01T00:00:03Z", "assistant", "answer")}),
              Format::Codex);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["session_id"], "child");
  EXPECT_EQ(lines[0]["content"], "new");
  EXPECT_EQ(lines[1]["tokens_in"], 100);  // 600 - the replayed 500
  EXPECT_EQ(lines[1]["tokens_out"], 10);
  EXPECT_EQ(c.skipped, 5u);  // two session_meta, two replayed, one token_count
}

TEST(NativeCodex, LegacyBareLines) {
  const auto c = convert(
      jsonl({{{"id", "leg"}, {"timestamp", "2025-04-01T10:00:00Z"}, {"instructions", nullptr}},
             {{"record_type", "state"}},
             {{"type", "message"},
              {"role", "user"},
              {"content", {{{"type", "input_text"}, {"text", "q"}}}}},
             {{"type", "message"},
              {"role", "assistant"},
              {"content", {{{"type", "output_text"}, {"text", "a"}}}}}}),
      Format::Codex);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["session_id"], "leg");
  EXPECT_EQ(lines[0]["turn_id"], "l3");
  EXPECT_EQ(lines[0]["timestamp"], "2025-04-01T10:00:00.000Z");
  EXPECT_EQ(lines[1]["seq"].get<std::int64_t>(), lines[0]["seq"].get<std::int64_t>() + 1);
}

TEST(NativeCodex, Problems) {
  const auto c = convert(
      jsonl(
          {codex_message("2026-01-01T00:00:01Z", "user", "before any session"), codex_meta("c1"),
           codex("2026-01-01T00:00:02Z", "response_item",
                 {{"type", "function_call_output"}, {"output", "x"}}),
           codex("bad", "response_item", {{"type", "message"}, {"role", "user"}, {"content", "x"}}),
           codex("2026-01-01T00:00:02Z", "some_future_kind", {{"x", 1}})}),
      Format::Codex);
  ASSERT_EQ(c.problems.size(), 3u);
  EXPECT_EQ(c.problems[0].error.field, "session_meta");
  EXPECT_EQ(c.problems[1].error.field, "payload.call_id");
  EXPECT_EQ(c.problems[2].error.field, "timestamp");
  EXPECT_EQ(c.problems[2].error.code, ErrorCode::InvalidField);
}

TEST(NativeCodex, InputImageBecomesAPlaceholder) {
  json m = codex("2026-01-01T00:00:01Z", "response_item",
                 {{"type", "message"},
                  {"role", "user"},
                  {"content",
                   {{{"type", "input_text"}, {"text", "see"}},
                    {{"type", "input_image"}, {"image_url", "data:image/jpeg;base64,AAAAAAAA"}}}}});
  EXPECT_EQ(lines_of(convert(jsonl({codex_meta("c"), m}), Format::Codex)).at(0)["content"],
            "see\n\n[image image/jpeg 6 bytes]");
}

// ---------------------------------------------------------------------------
// Gemini CLI

TEST(NativeGemini, LastVersionAtFirstPositionWithToolResults) {
  json call = {{"id", "c1"},
               {"name", "read_file"},
               {"args", {{"p", "x"}}},
               {"status", "executing"},
               {"timestamp", "2026-01-01T00:00:05Z"}};
  json done = call;
  done["status"] = "success";
  done["result"] = {
      {{"functionResponse", {{"id", "c1"}, {"response", {{"output", "file text"}}}}}}};
  const auto c =
      convert(jsonl({gemini_header(),
                     gemini_message("u", "user", {{{"text", "read x"}}}),
                     gemini_message("m", "gemini", "", {{"toolCalls", {call}}}),
                     gemini_message("m", "gemini", "",
                                    {{"toolCalls", {call}}, {"tokens", gemini_tokens(10, 1)}}),
                     gemini_message("m", "gemini", "done",
                                    {{"toolCalls", {done}},
                                     {"tokens", gemini_tokens(10, 2, 3, 4, 5)},
                                     {"thoughts", {{{"subject", "s"}}}},
                                     {"model", "gemini-2.5-pro"}}),
                     {{"$set", {{"lastUpdated", "x"}}}}}),
              Format::GeminiCli);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(c.lines[1].line, 3u);  // first appearance
  const json& m = lines[1];
  EXPECT_EQ(m["content"], "done");
  EXPECT_EQ(m["tokens_in"], 14);  // input + tool
  EXPECT_EQ(m["tokens_out"], 5);  // output + thoughts
  EXPECT_EQ(m["metadata"]["cache_read_tokens"], 5);
  EXPECT_EQ(m["metadata"]["reasoning_tokens"], 3);
  EXPECT_EQ(m["metadata"]["thoughts"], json::parse(R"([{"subject":"s"}])"));
  EXPECT_EQ(
      m["tool_calls"],
      json::parse(R"([{"id":"c1","name":"read_file","input":{"p":"x"},"status":"success"}])"));
  EXPECT_EQ(m["model"], "gemini-2.5-pro");
  const json& tool = lines[2];
  EXPECT_EQ(tool["turn_id"], "m:c1");
  EXPECT_EQ(tool["role"], "tool");
  EXPECT_EQ(tool["content"], "file text");
  EXPECT_EQ(tool["timestamp"], "2026-01-01T00:00:05.000Z");
  EXPECT_EQ(c.skipped, 4u);  // header, two superseded versions, $set
}

TEST(NativeGemini, SetMessagesAndRewindKeepEveryIdFlaggingTheGoneOnes) {
  const json a = gemini_message("a", "user", "q");
  const auto c =
      convert(jsonl({gemini_header(),
                     a,
                     gemini_message("b", "gemini", "x"),
                     gemini_message("c", "user", "y"),
                     {{"$set", {{"messages", {a, gemini_message("s", "info", "compressed")}}}}},
                     gemini_message("d", "user", "z"),
                     {{"$rewindTo", "d"}},
                     gemini_message("e", "user", "w")}),
              Format::GeminiCli);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 6u);
  const char* ids[] = {"a", "b", "c", "s", "d", "e"};
  const bool gone[] = {false, true, true, false, true, false};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(lines[i]["turn_id"], ids[i]);
    EXPECT_EQ(lines[i]["metadata"].contains("rewound"), gone[i]) << ids[i];
  }
  EXPECT_EQ(lines[3]["role"], "system");
}

TEST(NativeGemini, RolesAndAllZeroTokens) {
  const auto lines = lines_of(
      convert(jsonl({gemini_header(), gemini_message("1", "user", "<session_context>x"),
                     gemini_message("2", "user", "System: x"), gemini_message("3", "warning", "w"),
                     gemini_message("4", "error", "e"),
                     gemini_message("5", "gemini", "g", {{"tokens", gemini_tokens(0, 0)}}),
                     gemini_message("6", "brand_new_type", "n")}),
              Format::GeminiCli));
  ASSERT_EQ(lines.size(), 5u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(lines[i]["role"], "system");
  EXPECT_FALSE(lines[4].contains("tokens_in"));
  EXPECT_EQ(lines[4]["metadata"]["usage_missing"], true);
}

TEST(NativeGemini, LegacyDocument) {
  json doc = gemini_header("doc");
  doc["kind"] = "main";
  doc["messages"] = {gemini_message("a", "user", "q"),
                     gemini_message("b", "gemini", "r", {{"tokens", gemini_tokens(7, 3)}})};
  const auto c = convert("\n" + doc.dump(2) + "\n", Format::GeminiCli);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["session_id"], "doc");
  EXPECT_EQ(lines[0]["session_meta"]["metadata"],
            json::parse(R"({"project_hash":"ph","kind":"main"})"));
  EXPECT_EQ(lines[0]["session_meta"]["started_at"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(c.lines[0].line, 2u);  // the document's first line
  // A document cut short is one problem, not one per line.
  const std::string cut = doc.dump(2).substr(0, 60);
  const auto d = convert(cut, Format::GeminiCli);
  EXPECT_TRUE(d.lines.empty());
  ASSERT_EQ(d.problems.size(), 1u);
  EXPECT_EQ(d.problems[0].error.code, ErrorCode::InvalidJson);
}

// Issue 18.5: a document written on one line and followed by another line
// is a log whose header holds the messages; they were lost, with no row.
TEST(NativeGemini, AOneLineDocumentFollowedByALineKeepsItsMessages) {
  json doc = gemini_header("doc");
  doc["messages"] = {gemini_message("a", "user", "q"),
                     gemini_message("b", "gemini", "r", {{"tokens", gemini_tokens(7, 3)}})};
  const auto c =
      convert(doc.dump() + "\n" + json{{"$set", {{"lastUpdated", "2026-01-01T00:00:09Z"}}}}.dump() +
                  "\n" + gemini_message("c", "user", "again").dump() + "\n",
              Format::GeminiCli);
  EXPECT_TRUE(c.problems.empty());
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["turn_id"], "a");
  EXPECT_EQ(lines[1]["turn_id"], "b");
  EXPECT_EQ(lines[1]["tokens_in"], 7);
  EXPECT_EQ(lines[2]["turn_id"], "c");
  EXPECT_FALSE(lines[0]["metadata"].contains("rewound"));
  EXPECT_EQ(c.lines[0].line, 1u);
}

// Issue 18.6: the index pass and the read pass must read a $set the same
// way, a number too large for a double included (nlohmann's parser refused
// it in the index pass, lethe's DOM builder took it in the read pass).
TEST(NativeGemini, BothPassesReadASetWithAHugeNumberTheSameWay) {
  const std::string set =
      R"({"$set":{"messages":[{"id":"m2","timestamp":"2026-01-01T00:00:02Z","type":"user",)"
      R"("content":"kept, rewritten","big":1e400}]}})";
  const auto c = convert(jsonl({gemini_header(), gemini_message("m1", "user", "dropped"),
                                gemini_message("m2", "user", "kept")}) +
                             set + "\n",
                         Format::GeminiCli);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["turn_id"], "m1");
  EXPECT_EQ(lines[0]["metadata"]["rewound"], true);
  EXPECT_EQ(lines[1]["turn_id"], "m2");
  EXPECT_FALSE(lines[1]["metadata"].contains("rewound"));
  EXPECT_EQ(lines[1]["content"], "kept, rewritten");
}

TEST(NativeGemini, ProblemsAtTheRecordThatLacksTheField) {
  json no_time = gemini_message("m", "user", "x");
  no_time.erase("timestamp");
  const auto c = convert(jsonl({gemini_header(), no_time, {{"id", 5}}}), Format::GeminiCli);
  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.problems[0].error.field, "timestamp");
  EXPECT_EQ(c.problems[0].line, 2u);
  EXPECT_EQ(c.problems[1].error.field, "id");
  const auto d =
      convert(jsonl({{{"projectHash", "p"}}, gemini_message("m", "user", "x")}), Format::GeminiCli);
  ASSERT_EQ(d.problems.size(), 1u);
  EXPECT_EQ(d.problems[0].error.field, "sessionId");
}

// ---------------------------------------------------------------------------
// Qwen Code

json qwen(const std::string& uuid, const std::optional<std::string>& parent, const std::string& ts,
          const std::string& type, json extra = json::object()) {
  json r = {{"uuid", uuid},        {"parentUuid", parent ? json(*parent) : json()},
            {"sessionId", "q1"},   {"timestamp", ts},
            {"type", type},        {"cwd", "/w"},
            {"version", "0.21.6"}, {"gitBranch", "main"}};
  r.update(extra);
  return r;
}

json qwen_parts(const std::string& role, json parts) {
  return {{"message", {{"role", role}, {"parts", std::move(parts)}}}};
}

json qwen_call(const std::string& uuid, const std::string& parent, const std::string& ts,
               const std::string& response_id, int input, int output, int thoughts, int total,
               int cached = 0) {
  return qwen(uuid, parent, ts, "system",
              {{"subtype", "ui_telemetry"},
               {"systemPayload",
                {{"uiEvent",
                  {{"event.name", "qwen-code.api_response"},
                   {"response_id", response_id},
                   {"input_token_count", input},
                   {"output_token_count", output},
                   {"cached_content_token_count", cached},
                   {"thoughts_token_count", thoughts},
                   {"tool_token_count", 0},
                   {"total_token_count", total}}}}}});
}

json qwen_answer(const std::string& uuid, const std::string& parent, const std::string& ts,
                 json parts, json extra = json::object()) {
  json r = qwen(uuid, parent, ts, "assistant", qwen_parts("model", std::move(parts)));
  r["model"] = "qwen3-coder-plus";
  r.update(extra);
  return r;
}

json qwen_prompt(const std::string& uuid, const std::optional<std::string>& parent,
                 const std::string& ts, const std::string& text) {
  return qwen(uuid, parent, ts, "user", qwen_parts("user", {{{"text", text}}}));
}

TEST(NativeQwen, EachCallsTokensGoToTheAssistantRecordAfterIt) {
  const auto c = convert(
      jsonl({qwen_prompt("u1", std::nullopt, "2026-01-01T00:00:00Z", "why?"),
             qwen_call("t1", "u1", "2026-01-01T00:00:01Z", "r1", 1800, 120, 80, 1920, 1500),
             qwen_answer("a1", "t1", "2026-01-01T00:00:02Z",
                         {{{"text", "hmm"}, {"thought", true}},
                          {{"text", "reading"}},
                          {{"functionCall",
                            {{"id", "call_1"}, {"name", "read_file"}, {"args", {{"p", "x"}}}}}}}),
             qwen("r1", "a1", "2026-01-01T00:00:03Z", "tool_result",
                  {{"message",
                    {{"role", "user"},
                     {"parts",
                      {{{"functionResponse",
                         {{"id", "call_1"},
                          {"name", "read_file"},
                          {"response", {{"output", "body"}}}}}}}}}},
                   {"toolCallResult", {{"callId", "call_1"}, {"status", "success"}}}}),
             qwen_call("t2", "r1", "2026-01-01T00:00:04Z", "r2", 2100, 60, 0, 2160),
             qwen_answer("a2", "t2", "2026-01-01T00:00:05Z", {{{"text", "done"}}})}),
      Format::QwenCode);
  EXPECT_TRUE(c.problems.empty());
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["role"], "user");
  EXPECT_EQ(lines[0]["content"], "why?");
  const json& a1 = lines[1];
  EXPECT_EQ(a1["turn_id"], "a1");
  EXPECT_EQ(a1["tokens_in"], 1800);  // the cache read is inside
  EXPECT_EQ(a1["tokens_out"], 120);  // OpenAI-style total: the thoughts are inside
  EXPECT_EQ(a1["metadata"]["cache_read_tokens"], 1500);
  EXPECT_EQ(a1["metadata"]["reasoning_tokens"], 80);
  EXPECT_EQ(a1["metadata"]["requests"], 1);
  EXPECT_EQ(a1["metadata"]["response_ids"], json::array({"r1"}));
  EXPECT_EQ(a1["content"], "reading");
  EXPECT_EQ(a1["metadata"]["thoughts"], json::array({"hmm"}));
  EXPECT_EQ(a1["model"], "qwen3-coder-plus");
  EXPECT_EQ(a1["tool_calls"],
            json::parse(R"([{"id":"call_1","name":"read_file","input":{"p":"x"}}])"));
  const json& tool = lines[2];
  EXPECT_EQ(tool["role"], "tool");
  EXPECT_EQ(tool["content"], "body");
  EXPECT_EQ(tool["metadata"]["call_ids"], json::array({"call_1"}));
  EXPECT_EQ(tool["metadata"]["status"], "success");
  EXPECT_EQ(tool["metadata"]["is_error"], false);
  EXPECT_EQ(lines[3]["tokens_in"], 2100);
  EXPECT_EQ(lines[3]["tokens_out"], 60);
  EXPECT_EQ(lines[3]["session_meta"]["working_dir"], "/w");
  EXPECT_EQ(lines[3]["session_meta"]["metadata"],
            json::parse(R"({"client_version":"0.21.6","git_branch":"main"})"));
}

TEST(NativeQwen, AGeminiStyleTotalAddsTheThoughtsToTheOutput) {
  const auto lines =
      lines_of(convert(jsonl({qwen_prompt("u1", std::nullopt, "2026-01-01T00:00:00Z", "q"),
                              qwen_call("t1", "u1", "2026-01-01T00:00:01Z", "r1", 100, 10, 30, 140),
                              qwen_answer("a1", "t1", "2026-01-01T00:00:02Z", {{{"text", "a"}}})}),
                       Format::QwenCode));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["tokens_in"], 100);
  EXPECT_EQ(lines[1]["tokens_out"], 40);
}

TEST(NativeQwen, CallsNoRecordFollowsGoToTheLastAnswerElseThePrompt) {
  const auto lines = lines_of(
      convert(jsonl({qwen_prompt("u1", std::nullopt, "2026-01-01T00:00:00Z", "q1"),
                     qwen_call("t1", "u1", "2026-01-01T00:00:01Z", "r1", 100, 10, 0, 110),
                     qwen_answer("a1", "t1", "2026-01-01T00:00:02Z", {{{"text", "a1"}}}),
                     qwen_call("t2", "a1", "2026-01-01T00:00:03Z", "r2", 200, 20, 0, 220),
                     qwen_prompt("u2", "t2", "2026-01-01T00:00:04Z", "q2"),
                     qwen_call("t3", "u2", "2026-01-01T00:00:05Z", "r3", 300, 30, 0, 330)}),
              Format::QwenCode));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["tokens_in"], 300);  // r1 and r2
  EXPECT_EQ(lines[1]["tokens_out"], 30);
  EXPECT_EQ(lines[1]["metadata"]["requests"], 2);
  EXPECT_EQ(lines[2]["turn_id"], "u2");  // no answer at all: on the prompt
  EXPECT_EQ(lines[2]["tokens_in"], 300);
  EXPECT_EQ(lines[2]["metadata"]["response_ids"], json::array({"r3"}));
}

TEST(NativeQwen, ARewoundBranchKeepsItsTurnsFlagged) {
  const auto lines = lines_of(
      convert(jsonl({qwen_prompt("u1", std::nullopt, "2026-01-01T00:00:00Z", "first try"),
                     qwen_answer("a1", "u1", "2026-01-01T00:00:01Z", {{{"text", "a1"}}}),
                     qwen("x1", std::nullopt, "2026-01-01T00:00:02Z", "system",
                          {{"subtype", "rewind"}, {"systemPayload", {{"truncatedCount", 2}}}}),
                     qwen_prompt("u2", "x1", "2026-01-01T00:00:03Z", "second try"),
                     qwen_answer("a2", "u2", "2026-01-01T00:00:04Z", {{{"text", "a2"}}})}),
              Format::QwenCode));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["metadata"]["rewound"], true);
  EXPECT_EQ(lines[1]["metadata"]["rewound"], true);
  EXPECT_FALSE(lines[2]["metadata"].contains("rewound"));
  EXPECT_FALSE(lines[3]["metadata"].contains("rewound"));
}

TEST(NativeQwen, WithoutTelemetryEachAssistantRecordsOwnUsage) {
  const auto lines =
      lines_of(convert(jsonl({qwen_prompt("u1", std::nullopt, "2026-01-01T00:00:00Z", "q"),
                              qwen_answer("a1", "u1", "2026-01-01T00:00:01Z", {{{"text", "a"}}},
                                          {{"usageMetadata",
                                            {{"promptTokenCount", 3000},
                                             {"candidatesTokenCount", 50},
                                             {"thoughtsTokenCount", 10},
                                             {"totalTokenCount", 3050},
                                             {"cachedContentTokenCount", 2000}}}})}),
                       Format::QwenCode));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["tokens_in"], 3000);
  EXPECT_EQ(lines[1]["tokens_out"], 50);
  EXPECT_EQ(lines[1]["metadata"]["cache_read_tokens"], 2000);
}

TEST(NativeQwen, RolesOfUserRecordsAndSystemSubtypes) {
  const auto c = convert(
      jsonl({qwen_prompt("u1", std::nullopt, "2026-01-01T00:00:00Z", "typed"),
             qwen("n1", "u1", "2026-01-01T00:00:01Z", "user",
                  {{"subtype", "notification"},
                   {"message", {{"role", "user"}, {"parts", {{{"text", "task done"}}}}}}}),
             qwen("m1", "n1", "2026-01-01T00:00:02Z", "user",
                  {{"subtype", "mid_turn_user_message"},
                   {"message", {{"role", "user"}, {"parts", {{{"text", "also this"}}}}}}}),
             qwen("c1", "m1", "2026-01-01T00:00:03Z", "system",
                  {{"subtype", "slash_command"},
                   {"systemPayload", {{"phase", "invocation"}, {"rawCommand", "/model"}}}}),
             qwen("c2", "c1", "2026-01-01T00:00:04Z", "system",
                  {{"subtype", "slash_command"},
                   {"systemPayload", {{"phase", "result"}, {"rawCommand", "/model"}}}}),
             qwen("k1", "c2", "2026-01-01T00:00:05Z", "system",
                  {{"subtype", "chat_compression"}, {"systemPayload", {{"info", json::object()}}}}),
             qwen("s1", "k1", "2026-01-01T00:00:06Z", "system",
                  {{"subtype", "attribution_snapshot"}, {"systemPayload", json::object()}}),
             qwen("t1", "s1", "2026-01-01T00:00:07Z", "system",
                  {{"subtype", "ui_telemetry"},
                   {"systemPayload", {{"uiEvent", {{"event.name", "qwen-code.tool_call"}}}}}})}),
      Format::QwenCode);
  const auto lines = lines_of(c);
  std::vector<std::string> got;
  for (const json& l : lines)
    got.push_back(l["turn_id"].get<std::string>() + " " + l["role"].get<std::string>());
  EXPECT_EQ(
      got, (std::vector<std::string>{"u1 user", "n1 system", "m1 user", "c1 system", "k1 system"}));
  EXPECT_EQ(lines[3]["content"], "/model");
  EXPECT_EQ(c.skipped, 3u);
}

TEST(NativeQwen, SubAgentIsASessionOfItsOwnAndProblemsNameTheField) {
  json sub = qwen_prompt("g1", std::nullopt, "2026-01-01T00:00:01Z", "explore");
  sub["agentId"] = "explore-7f3c";
  json no_session = qwen_prompt("u2", std::nullopt, "2026-01-01T00:00:02Z", "x");
  no_session.erase("sessionId");
  json no_message = qwen("u3", std::nullopt, "2026-01-01T00:00:03Z", "user");
  const auto c = convert(jsonl({qwen_prompt("u1", std::nullopt, "2026-01-01T00:00:00Z", "q"), sub,
                                no_session, no_message}),
                         Format::QwenCode);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["session_id"], "q1:agent-explore-7f3c");
  EXPECT_EQ(lines[1]["session_meta"]["metadata"]["parent_session_id"], "q1");
  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.problems[0].error.field, "sessionId");
  EXPECT_EQ(c.problems[1].error.field, "message");
}

std::string read_source_file(const std::string& path) {
  std::ifstream in(std::string(LETHE_SOURCE_DIR) + "/" + path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Real Qwen Code 0.21.6 files (tests/fixtures/native/real/README.md): each
// session's tokens are what the CLI itself recorded in usage_record.jsonl,
// although one file has three calls and one assistant record.
TEST(NativeQwen, RealFilesMatchTheCLIsOwnUsageRecord) {
  namespace fs = std::filesystem;
  const std::string home = "tests/fixtures/native/real/qwen-home";
  std::map<std::string, std::int64_t> recorded;
  std::istringstream usage(read_source_file(home + "/usage_record.jsonl"));
  for (std::string line; std::getline(usage, line);) {
    const json record = json::parse(line);
    std::int64_t total = 0;
    for (const auto& [model, m] : record["models"].items()) {
      total += m["inputTokens"].get<std::int64_t>() + m["outputTokens"].get<std::int64_t>();
    }
    recorded[record["sessionId"]] = total;
  }
  int files = 0;
  for (const auto& entry : fs::directory_iterator(std::string(LETHE_SOURCE_DIR) + "/" + home +
                                                  "/projects/-work/chats")) {
    SCOPED_TRACE(entry.path().string());
    const std::string data =
        read_source_file(fs::relative(entry.path(), LETHE_SOURCE_DIR).string());
    const auto c = convert(data, Format::Auto);
    EXPECT_EQ(c.format, Format::QwenCode);
    EXPECT_TRUE(c.problems.empty());
    std::int64_t total = 0;
    for (const json& l : lines_of(c)) total += l.value("tokens_in", 0) + l.value("tokens_out", 0);
    EXPECT_EQ(total, recorded.at(entry.path().stem().string()));
    ++files;
  }
  EXPECT_EQ(files, 4);
}

// ---------------------------------------------------------------------------
// GitHub Copilot CLI

json copilot(const std::string& type, const std::string& id, const std::string& ts, json data,
             json extra = json::object()) {
  json r = {{"type", type},
            {"data", std::move(data)},
            {"id", id},
            {"timestamp", ts},
            {"parentId", nullptr}};
  r.update(extra);
  return r;
}

json copilot_start(const std::string& session = "cp1") {
  return copilot("session.start", "e0", "2026-01-01T00:00:00Z",
                 {{"sessionId", session},
                  {"copilotVersion", "1.0.78"},
                  {"producer", "copilot-agent"},
                  {"startTime", "2026-01-01T00:00:00Z"},
                  {"context", {{"cwd", "/w"}, {"branch", "main"}, {"gitRoot", "/w"}}}});
}

json copilot_answer(const std::string& id, const std::string& ts, const std::string& text,
                    std::optional<int> output, json extra = json::object()) {
  json data = {
      {"messageId", id}, {"model", "m1"}, {"content", text}, {"toolRequests", json::array()}};
  if (output) data["outputTokens"] = *output;
  data.update(extra);
  return copilot("assistant.message", "e-" + id, ts, data);
}

json copilot_shutdown(const std::string& id, const std::string& ts, json metrics) {
  return copilot("session.shutdown", id, ts,
                 {{"shutdownType", "routine"}, {"modelMetrics", std::move(metrics)}});
}

json copilot_metric(int count, int input, int output, int read = 0, int write = 0) {
  return {{"requests", {{"count", count}, {"cost", 1}}},
          {"usage",
           {{"inputTokens", input},
            {"outputTokens", output},
            {"cacheReadTokens", read},
            {"cacheWriteTokens", write},
            {"reasoningTokens", 0}}}};
}

TEST(NativeCopilot, MessagesCarryTheirOutputAndTheShutdownTheRest) {
  const auto c = convert(
      jsonl({copilot_start(),
             copilot("session.model_change", "e1", "2026-01-01T00:00:00Z", {{"newModel", "m1"}}),
             copilot("system.message", "e2", "2026-01-01T00:00:00Z", {{"content", "be brief"}}),
             copilot("user.message", "e3", "2026-01-01T00:00:01Z",
                     {{"content", "fix it"}, {"transformedContent", "<ctx/> fix it"}}),
             copilot("assistant.turn_start", "e4", "2026-01-01T00:00:01Z", {{"turnId", "0"}}),
             copilot_answer(
                 "a1", "2026-01-01T00:00:02Z", "", 90,
                 {{"reasoningText", "look first"},
                  {"toolRequests",
                   {{{"toolCallId", "k1"}, {"name", "view"}, {"arguments", {{"p", "x"}}}}}}}),
             copilot("tool.execution_start", "e5", "2026-01-01T00:00:02Z",
                     {{"toolCallId", "k1"}, {"toolName", "view"}}),
             copilot("tool.execution_complete", "e6", "2026-01-01T00:00:03Z",
                     {{"toolCallId", "k1"}, {"success", true}, {"result", {{"content", "body"}}}}),
             copilot_answer("a2", "2026-01-01T00:00:04Z", "done", 40),
             copilot_shutdown("e7", "2026-01-01T00:00:05Z",
                              {{"m1", copilot_metric(3, 30000, 155, 24000, 3000)}})}),
      Format::CopilotCli);
  EXPECT_TRUE(c.problems.empty());
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0]["role"], "system");
  EXPECT_EQ(lines[1]["role"], "user");
  EXPECT_EQ(lines[1]["content"], "fix it");
  EXPECT_EQ(lines[1]["turn_id"], "e3");
  const json& a1 = lines[2];
  EXPECT_EQ(a1["turn_id"], "a1");
  EXPECT_EQ(a1["tokens_in"], 0);  // its input is on the shutdown's turn
  EXPECT_EQ(a1["tokens_out"], 90);
  EXPECT_EQ(a1["model"], "m1");
  EXPECT_EQ(a1["metadata"]["reasoning"], json::array({"look first"}));
  EXPECT_EQ(a1["tool_calls"], json::parse(R"([{"id":"k1","name":"view","input":{"p":"x"}}])"));
  EXPECT_EQ(lines[3]["turn_id"], "k1:output");
  EXPECT_EQ(lines[3]["content"], "body");
  EXPECT_EQ(lines[3]["metadata"]["name"], "view");
  EXPECT_EQ(lines[3]["metadata"]["is_error"], false);
  const json& total = lines[5];
  EXPECT_EQ(total["turn_id"], "e7:m1");
  EXPECT_EQ(total["model"], "m1");
  EXPECT_EQ(total["tokens_in"], 30000);  // cache included
  EXPECT_EQ(total["tokens_out"], 25);    // 155 less the messages' 130
  EXPECT_EQ(total["metadata"]["counted_on_messages"], 130);
  EXPECT_EQ(total["metadata"]["requests"], 3);
  EXPECT_EQ(total["metadata"]["cache_read_tokens"], 24000);
  EXPECT_EQ(total["metadata"]["cache_write_tokens"], 3000);
  EXPECT_EQ(total["session_meta"]["working_dir"], "/w");
  EXPECT_EQ(total["session_meta"]["metadata"],
            json::parse(R"({"client_version":"1.0.78","producer":"copilot-agent",)"
                        R"("git_branch":"main","git_root":"/w"})"));
}

TEST(NativeCopilot, EachShutdownCountsItsOwnSegment) {
  const auto lines = lines_of(convert(
      jsonl(
          {copilot_start(), copilot_answer("a1", "2026-01-01T00:00:01Z", "one", 12),
           copilot_shutdown("s1", "2026-01-01T00:00:02Z", {{"m1", copilot_metric(1, 1000, 12)}}),
           copilot("session.resume", "r1", "2026-01-01T01:00:00Z", {{"eventCount", 3}}),
           copilot_answer("a2", "2026-01-01T01:00:01Z", "two", 20),
           copilot_answer("a3", "2026-01-01T01:00:02Z", "three", 5),
           copilot_shutdown("s2", "2026-01-01T01:00:03Z", {{"m1", copilot_metric(2, 1500, 30)}})}),
      Format::CopilotCli));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[1]["tokens_out"], 0);  // 12 - 12
  EXPECT_EQ(lines[4]["tokens_in"], 1500);
  EXPECT_EQ(lines[4]["tokens_out"], 5);  // 30 - 25: not the first segment's 12
}

TEST(NativeCopilot, MoreOutputOnMessagesThanTheTotalIsClamped) {
  const auto lines = lines_of(convert(
      jsonl(
          {copilot_start(), copilot_answer("a1", "2026-01-01T00:00:01Z", "one", 50),
           copilot_shutdown("s1", "2026-01-01T00:00:02Z", {{"m1", copilot_metric(1, 1000, 40)}})}),
      Format::CopilotCli));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["tokens_out"], 0);
  EXPECT_EQ(lines[1]["metadata"]["output_overcounted"], 10);
}

TEST(NativeCopilot, ChunksOfOneMessageAreOneTurnAndSubAgentsSessionsOfTheirOwn) {
  const auto c = convert(
      jsonl({copilot_start(),
             copilot("user.message", "u1", "2026-01-01T00:00:01Z",
                     {{"content", "check"}, {"source", "agent-k1"}}, {{"agentId", "explore-1"}}),
             copilot_answer("s1", "2026-01-01T00:00:02Z", "sub answer", 15, json::object()),
             copilot_answer("a1", "2026-01-01T00:00:03Z", "part one, ", std::nullopt,
                            {{"chunkIndex", 0}, {"chunkCount", 2}}),
             copilot_answer("a1", "2026-01-01T00:00:03Z", "part two", 30,
                            {{"chunkIndex", 1}, {"chunkCount", 2}})}),
      Format::CopilotCli);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["session_id"], "cp1:agent-explore-1");
  EXPECT_EQ(lines[0]["role"], "system");  // an agent's prompt, not a person's
  EXPECT_EQ(lines[0]["session_meta"]["metadata"]["parent_session_id"], "cp1");
  EXPECT_EQ(lines[2]["content"], "part one, part two");
  EXPECT_EQ(lines[2]["tokens_out"], 30);
  EXPECT_EQ(c.lines[2].line, 4u);
}

TEST(NativeCopilot, AnEventBeforeTheSessionStartIsAProblem) {
  const auto c = convert(
      jsonl(
          {copilot("user.message", "u1", "2026-01-01T00:00:01Z", {{"content", "x"}}),
           copilot_start(),
           copilot("tool.execution_complete", "t1", "2026-01-01T00:00:02Z", {{"success", false}})}),
      Format::CopilotCli);
  EXPECT_TRUE(c.lines.empty());
  ASSERT_EQ(c.problems.size(), 2u);
  EXPECT_EQ(c.problems[0].error.field, "session.start");
  EXPECT_EQ(c.problems[1].error.field, "data.toolCallId");
}

// Real Copilot CLI 1.0.78 files (tests/fixtures/native/real/README.md): each
// session sums to its shutdown's totals.
TEST(NativeCopilot, RealFilesSumToTheirShutdownTotals) {
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(
           std::string(LETHE_SOURCE_DIR) + "/tests/fixtures/native/real/copilot-home")) {
    if (!entry.is_regular_file()) continue;
    SCOPED_TRACE(entry.path().string());
    const std::string data =
        read_source_file(fs::relative(entry.path(), LETHE_SOURCE_DIR).string());
    const auto c = convert(data, Format::Auto);
    EXPECT_EQ(c.format, Format::CopilotCli);
    EXPECT_TRUE(c.problems.empty());
    std::int64_t total = 0;
    for (const json& l : lines_of(c)) total += l.value("tokens_in", 0) + l.value("tokens_out", 0);
    std::int64_t shutdown = 0;
    std::istringstream in(data);
    for (std::string line; std::getline(in, line);) {
      const json event = json::parse(line);
      if (event["type"] != "session.shutdown") continue;
      for (const auto& [model, metric] : event["data"]["modelMetrics"].items()) {
        shutdown += metric["usage"]["inputTokens"].get<std::int64_t>() +
                    metric["usage"]["outputTokens"].get<std::int64_t>();
      }
    }
    EXPECT_EQ(total, shutdown);
    ++files;
  }
  EXPECT_EQ(files, 4);
}

// ---------------------------------------------------------------------------
// Cursor CLI (experimental)

json cursor_line(const std::string& role, json content) {
  return {{"role", role}, {"message", {{"content", std::move(content)}}}};
}

native::Conversion convert_cursor(const std::string& data,
                                  std::optional<std::string> source_file = std::nullopt) {
  IngestOptions options = native_options(Format::CursorCli);
  options.source_file = std::move(source_file);
  return native::convert(data, options);
}

TEST(NativeCursor, TurnsFromRoleLinesDatedByTheTimestampTags) {
  const std::string data = jsonl(
      {cursor_line("assistant", "before any prompt"),
       cursor_line("user", {{{"type", "text"},
                             {"text",
                              "<timestamp>Friday, Mar 6, 2026, 2:15 PM (UTC+1)</timestamp>\n"
                              "<user_query>\nwhy?\n</user_query>"}}}),
       cursor_line(
           "assistant",
           {{{"type", "thinking"}, {"thinking", "hmm"}},
            {{"type", "text"}, {"text", "reading"}},
            {{"type", "tool_use"}, {"id", "t1"}, {"name", "Read"}, {"input", {{"p", "x"}}}}}),
       cursor_line("user", {{{"type", "tool_result"}, {"tool_use_id", "t1"}, {"content", "body"}}}),
       cursor_line("user", "<timestamp>Friday, Mar 6, 2026, 12:05 AM (UTC-07:30)</timestamp> next"),
       cursor_line("system", "skipped")});
  const auto c = convert_cursor(
      data, "/home/ana/.cursor/projects/p/agent-transcripts/abc/subagents/sub1.jsonl");
  EXPECT_TRUE(c.problems.empty());
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["turn_id"], "l1");
  EXPECT_EQ(lines[0]["timestamp"], "2026-03-06T13:15:00.000Z");  // the first tag's
  EXPECT_EQ(lines[1]["role"], "user");
  EXPECT_EQ(lines[1]["content"], "why?");
  EXPECT_EQ(lines[2]["content"], "reading");
  EXPECT_EQ(lines[2]["metadata"]["thinking"], json::array({"hmm"}));
  EXPECT_EQ(lines[2]["tool_calls"],
            json::parse(R"([{"id":"t1","name":"Read","input":{"p":"x"}}])"));
  EXPECT_FALSE(lines[2].contains("tokens_in"));
  EXPECT_FALSE(lines[2].contains("model"));
  EXPECT_EQ(lines[3]["role"], "tool");
  EXPECT_EQ(lines[3]["content"], "body");
  EXPECT_EQ(lines[4]["timestamp"], "2026-03-06T07:35:00.000Z");  // 12:05 AM at UTC-07:30
  EXPECT_EQ(lines[0]["session_id"], "sub1");
  EXPECT_EQ(lines[0]["session_meta"]["metadata"]["parent_session_id"], "abc");
  EXPECT_EQ(c.skipped, 1u);
}

TEST(NativeCursor, WithoutSourceFileTheSessionIsAHashOfTheFirstLine) {
  const std::string first =
      cursor_line("user", "<timestamp>Friday, Mar 6, 2026, 2:15 PM (UTC)</timestamp> q").dump();
  const auto a = lines_of(convert_cursor(first + "\n"));
  const auto b =
      lines_of(convert_cursor(first + "\n" + cursor_line("assistant", "a").dump() + "\n"));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(a[0]["session_id"], b[1]["session_id"]);  // a grown file keeps its session
  EXPECT_EQ(a[0]["session_id"].get<std::string>().rfind("cursor-", 0), 0u);
  EXPECT_EQ(a[0]["session_meta"]["metadata"]["session_id_from"], "first_line_hash");
}

TEST(NativeCursor, AFileWithoutATagIsOneProblemAndNothingElse) {
  const auto c = convert_cursor(
      jsonl({cursor_line("user", "<user_query>q</user_query>"), cursor_line("assistant", "a")}),
      "s.jsonl");
  EXPECT_TRUE(c.lines.empty());
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0].error.code, ErrorCode::MissingField);
  EXPECT_EQ(c.problems[0].error.field, "timestamp");
  EXPECT_EQ(native::detect_format(cursor_line("user", "x").dump()), Format::CursorCli);
}

// ---------------------------------------------------------------------------
// OpenCode: the lines lethe exports from its database (write/agent_db.hpp)

constexpr std::int64_t kOcStart = 1767258000000;  // 2026-01-01T09:00:00Z in ms

json oc_session(const std::string& id = "ses_1", json extra = json::object()) {
  json r = {{"record", "session"},     {"agent", "opencode"},    {"id", id},
            {"parent_id", nullptr},    {"project_id", "global"}, {"title", "t"},
            {"directory", "/w"},       {"version", "1.18.13"},   {"time_created", kOcStart},
            {"time_updated", kOcStart}};
  r.update(extra);
  return r;
}

json oc_message(const std::string& id, json data, std::int64_t at,
                const std::string& session = "ses_1") {
  return {{"record", "message"}, {"id", id},           {"session", session},
          {"time_created", at},  {"time_updated", at}, {"data", std::move(data)}};
}

json oc_part(const std::string& id, const std::string& message, json data, std::int64_t at,
             const std::string& session = "ses_1") {
  return {{"record", "part"},       {"id", id},           {"session", session},
          {"message", message},     {"time_created", at}, {"time_updated", at},
          {"data", std::move(data)}};
}

json oc_user(std::int64_t at) {
  return {{"role", "user"}, {"time", {{"created", at}}}, {"agent", "build"}};
}

json oc_tokens(json input, json output, json reasoning, json read, json write) {
  return {{"input", std::move(input)},
          {"output", std::move(output)},
          {"reasoning", std::move(reasoning)},
          {"cache", {{"read", std::move(read)}, {"write", std::move(write)}}}};
}

json oc_assistant(std::int64_t at, json tokens, double cost = 0) {
  return {{"role", "assistant"},      {"parentID", "msg_u"}, {"modelID", "m1"},
          {"providerID", "p1"},       {"cost", cost},        {"tokens", std::move(tokens)},
          {"time", {{"created", at}}}};
}

json oc_step(json tokens, double cost = 0) {
  return {
      {"type", "step-finish"}, {"reason", "stop"}, {"tokens", std::move(tokens)}, {"cost", cost}};
}

json oc_text(const std::string& text) { return {{"type", "text"}, {"text", text}}; }

native::Conversion convert_opencode(const std::vector<json>& records) {
  return convert(jsonl(records), Format::OpenCode);
}

TEST(NativeOpenCode, MessagesPartsAndToolsBecomeTurns) {
  const json tool = {{"type", "tool"},
                     {"tool", "read"},
                     {"callID", "call_1"},
                     {"state",
                      {{"status", "completed"},
                       {"input", {{"filePath", "a.py"}}},
                       {"output", "body"},
                       {"title", "a.py"},
                       {"time", {{"start", kOcStart + 3000}, {"end", kOcStart + 4000}}}}}};
  const auto c = convert_opencode(
      {oc_session("ses_1", {{"parent_id", "ses_0"}}),
       oc_message("msg_u", oc_user(kOcStart), kOcStart),
       oc_part("prt_1", "msg_u", oc_text("fix it"), kOcStart),
       oc_part("prt_2", "msg_u",
               {{"type", "text"}, {"text", "<file>...</file>"}, {"synthetic", true}}, kOcStart),
       oc_message("msg_a", oc_assistant(kOcStart + 1000, oc_tokens(0, 0, 0, 0, 0)),
                  kOcStart + 1000),
       oc_part("prt_3", "msg_a", {{"type", "step-start"}}, kOcStart + 1000),
       oc_part("prt_4", "msg_a", {{"type", "reasoning"}, {"text", "look first"}}, kOcStart + 2000),
       oc_part("prt_5", "msg_a", tool, kOcStart + 3000),
       oc_part("prt_6", "msg_a", oc_text("done"), kOcStart + 5000),
       oc_part("prt_7", "msg_a", oc_step(oc_tokens(10, 2, 0, 0, 0)), kOcStart + 6000)});
  EXPECT_TRUE(c.problems.empty());
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["tool"], "opencode");
  EXPECT_EQ(lines[0]["turn_id"], "msg_u");
  EXPECT_EQ(lines[0]["role"], "user");
  EXPECT_EQ(lines[0]["content"], "fix it");  // not the text OpenCode added itself
  EXPECT_EQ(lines[0]["metadata"]["synthetic_texts"], 1);
  EXPECT_EQ(lines[0]["timestamp"], "2026-01-01T09:00:00.000Z");
  EXPECT_FALSE(lines[0].contains("tokens_in"));
  const json& answer = lines[1];
  EXPECT_EQ(answer["turn_id"], "msg_a");
  EXPECT_EQ(answer["content"], "done");
  EXPECT_EQ(answer["model"], "m1");
  EXPECT_EQ(answer["metadata"]["provider"], "p1");
  EXPECT_EQ(answer["metadata"]["reasoning"], json::array({"look first"}));
  EXPECT_EQ(answer["tool_calls"],
            json::parse(R"([{"id":"call_1","name":"read","input":{"filePath":"a.py"}}])"));
  const json& result = lines[2];
  EXPECT_EQ(result["turn_id"], "call_1:output");
  EXPECT_EQ(result["role"], "tool");
  EXPECT_EQ(result["content"], "body");
  EXPECT_EQ(result["timestamp"], "2026-01-01T09:00:04.000Z");
  EXPECT_EQ(result["metadata"]["name"], "read");
  EXPECT_EQ(result["metadata"]["is_error"], false);
  EXPECT_EQ(result["session_meta"]["working_dir"], "/w");
  EXPECT_EQ(result["session_meta"]["metadata"],
            json::parse(R"({"client_version":"1.18.13","parent_session_id":"ses_0",)"
                        R"("project_id":"global"})"));
}

// OpenCode's tokens.input leaves out both cache buckets and its output
// leaves out reasoning; each step-finish part is one request, and the
// message's own tokens repeat the last one.
TEST(NativeOpenCode, TokensCountEachRequestOnceWithCacheAndReasoning) {
  const json last = oc_tokens(30, 10, 0, 1100, 0);
  const auto lines = lines_of(convert_opencode(
      {oc_session(), oc_message("msg_a", oc_assistant(kOcStart, last, 0.015), kOcStart),
       oc_part("prt_1", "msg_a", oc_step(oc_tokens(100, 20, 5, 1000, 50), 0.01), kOcStart),
       oc_part("prt_2", "msg_a", oc_step(last, 0.005), kOcStart + 1)}));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["tokens_in"], 100 + 1000 + 50 + 30 + 1100);
  EXPECT_EQ(lines[0]["tokens_out"], 20 + 5 + 10);
  EXPECT_DOUBLE_EQ(lines[0]["cost_usd"].get<double>(), 0.015);
  EXPECT_EQ(lines[0]["metadata"]["requests"], 2);
  EXPECT_EQ(lines[0]["metadata"]["cache_read_tokens"], 2100);
  EXPECT_EQ(lines[0]["metadata"]["cache_write_tokens"], 50);
  EXPECT_EQ(lines[0]["metadata"]["uncached_input_tokens"], 130);
  EXPECT_EQ(lines[0]["metadata"]["reasoning_tokens"], 5);
  EXPECT_EQ(lines[0]["metadata"]["usage"], last);

  // Without step-finish parts (a message of an older release): its own.
  const auto own = lines_of(convert_opencode(
      {oc_session(),
       oc_message("msg_a", oc_assistant(kOcStart, oc_tokens(7, 3, 2, 40, 0), 0.5), kOcStart)}));
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0]["tokens_in"], 47);
  EXPECT_EQ(own[0]["tokens_out"], 5);
  EXPECT_DOUBLE_EQ(own[0]["cost_usd"].get<double>(), 0.5);
  EXPECT_FALSE(own[0]["metadata"].contains("requests"));
}

// OpenCode writes cost 0 for a model it has no price for: unknown, not free.
TEST(NativeOpenCode, ACostOfZeroIsUnknownAndAllZeroTokensAreMissing) {
  const auto lines = lines_of(convert_opencode(
      {oc_session(),
       oc_message("msg_a", oc_assistant(kOcStart, oc_tokens(0, 0, 0, 0, 0)), kOcStart),
       oc_part("prt_1", "msg_a", oc_step(oc_tokens(0, 0, 0, 0, 0)), kOcStart)}));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].contains("cost_usd"));
  EXPECT_EQ(lines[0]["metadata"]["native_cost"], 0);
  EXPECT_FALSE(lines[0].contains("tokens_in"));
  EXPECT_EQ(lines[0]["metadata"]["usage_missing"], true);
}

TEST(NativeOpenCode, HugeOrBadCountersKeepTheTurnWithNullTokens) {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  for (const json& tokens :
       {oc_tokens(max, 1, 0, 0, 0), oc_tokens(1, 0, 0, max, max), oc_tokens(-1, 0, 0, 0, 0),
        oc_tokens("12", 0, 0, 0, 0), oc_tokens(1.5, 0, 0, 0, 0),
        oc_tokens(json::parse("1e300"), 0, 0, 0, 0)}) {
    SCOPED_TRACE(tokens.dump());
    const auto c = convert_opencode(
        {oc_session(), oc_message("msg_a", oc_assistant(kOcStart, json::object()), kOcStart),
         oc_part("prt_1", "msg_a", oc_text("kept"), kOcStart),
         oc_part("prt_2", "msg_a", oc_step(tokens), kOcStart),
         oc_part("prt_3", "msg_a", oc_step(oc_tokens(5, 5, 0, 0, 0)), kOcStart)});
    EXPECT_TRUE(c.problems.empty());
    const auto lines = lines_of(c);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["content"], "kept");
    EXPECT_FALSE(lines[0].contains("tokens_in"));
    EXPECT_EQ(lines[0]["metadata"]["usage_invalid"], true);
  }
}

TEST(NativeOpenCode, BadRowsAreProblemsAndTheRestIsRead) {
  json bad_data = oc_message("msg_b", oc_user(kOcStart), kOcStart + 2);
  bad_data["data"] = "{not json";  // OpenCode's column as text: not valid JSON
  json no_role = oc_message("msg_c", {{"time", {{"created", kOcStart}}}}, kOcStart + 3);
  json no_time = oc_message("msg_d", {{"role", "user"}}, kOcStart + 4);
  no_time.erase("time_created");
  const std::string data =
      jsonl({oc_session(),
             oc_message("msg_a", oc_user(kOcStart), kOcStart),
             oc_part("prt_1", "msg_a", oc_text("first"), kOcStart),
             bad_data,
             oc_part("prt_2", "msg_b", oc_text("lost with its message"), kOcStart),
             no_role,
             no_time,
             oc_part("prt_3", "msg_zz", oc_text("orphan"), kOcStart),
             {{"record", "part"}, {"id", "prt_4"}},
             {{"id", "no record kind"}},
             {{"record", "todo"}}}) +
      "{\"record\":\"message\",\"id\":\"cut sh\n";
  const auto c = convert(data, Format::OpenCode);
  const auto lines = lines_of(c);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["content"], "first");
  std::vector<std::pair<std::uint64_t, std::string>> got;
  for (const auto& p : c.problems) {
    got.emplace_back(p.line, std::string(code_name(p.error.code)) + " " + p.error.field);
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::uint64_t, std::string>>{
                     {4, "INVALID_FIELD data"},
                     {5, "MISSING_FIELD message"},
                     {6, "MISSING_FIELD data.role"},
                     {7, "MISSING_FIELD data.time.created"},
                     {8, "MISSING_FIELD message"},
                     {9, "MISSING_FIELD message"},
                     {10, "MISSING_FIELD record"},
                     {12, "INVALID_JSON "}}));
  EXPECT_EQ(c.skipped, 1u);  // the todo record
}

TEST(NativeOpenCode, ARowRewrittenInPlaceKeepsItsTurnIds) {
  json running = {{"type", "tool"},
                  {"tool", "bash"},
                  {"callID", "call_1"},
                  {"state", {{"status", "running"}, {"input", {{"command", "ls"}}}}}};
  json done = running;
  done["state"] = {{"status", "error"},
                   {"input", {{"command", "ls"}}},
                   {"error", "no such file"},
                   {"time", {{"start", kOcStart}, {"end", kOcStart + 50}}}};
  const auto before = lines_of(convert_opencode(
      {oc_session(), oc_message("msg_a", oc_assistant(kOcStart, json::object()), kOcStart),
       oc_part("prt_1", "msg_a", running, kOcStart)}));
  const auto after = lines_of(convert_opencode(
      {oc_session(), oc_message("msg_a", oc_assistant(kOcStart, json::object()), kOcStart),
       oc_part("prt_1", "msg_a", done, kOcStart),
       oc_part("prt_2", "msg_a", oc_step(oc_tokens(3, 4, 0, 0, 0)), kOcStart + 60)}));
  ASSERT_EQ(before.size(), 1u);  // a call still running has no result yet
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(before[0]["turn_id"], after[0]["turn_id"]);
  EXPECT_EQ(before[0]["seq"], after[0]["seq"]);
  EXPECT_EQ(before[0]["tool_calls"], after[0]["tool_calls"]);
  EXPECT_EQ(after[0]["tokens_in"], 3);
  EXPECT_EQ(after[1]["turn_id"], "call_1:output");
  EXPECT_EQ(after[1]["content"], "no such file");
  EXPECT_EQ(after[1]["metadata"]["is_error"], true);
}

TEST(NativeOpenCode, ExportLinesAreDetectedByTheirAgentAndNothingElse) {
  EXPECT_EQ(native::detect_format(jsonl({oc_session(), oc_message("m", oc_user(1), 1)})),
            Format::OpenCode);
  json goose = oc_session();
  goose["agent"] = "goose";
  EXPECT_EQ(native::detect_format(goose.dump()), Format::Goose);
  json other = oc_session();
  other["agent"] = "codex";  // a file format's name: not an export
  EXPECT_EQ(native::detect_format(other.dump()), std::nullopt);
  other.erase("agent");
  EXPECT_EQ(native::detect_format(other.dump()), std::nullopt);
  // And no export line passes for a file format's record.
  for (const json& line : {oc_message("m", oc_user(1), 1), oc_part("p", "m", oc_text("x"), 1)}) {
    EXPECT_EQ(native::detect_format(line.dump()), std::nullopt) << line.dump();
  }
}

TEST(NativeOpenCode, RealDatabaseExportSumsToItsSessionTotals) {
  // The export of tests/fixtures/native/real/opencode-home (checked against
  // the database itself by AgentDb.TheRealExportIsTheFixture).
  const std::string data = read_source_file("tests/fixtures/native/opencode/real_export.jsonl");
  std::map<std::string, std::string> sessions;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> expected;
  std::istringstream in(data);
  for (std::string line; std::getline(in, line);) {
    const json record = json::parse(line);
    const std::string id = record["record"] == "session" ? record["id"] : record["session"];
    sessions[id] += line + "\n";
    if (record["record"] != "session") continue;
    expected[id] = {record["tokens_input"].get<std::int64_t>() +
                        record["tokens_cache_read"].get<std::int64_t>() +
                        record["tokens_cache_write"].get<std::int64_t>(),
                    record["tokens_output"].get<std::int64_t>() +
                        record["tokens_reasoning"].get<std::int64_t>()};
  }
  ASSERT_EQ(sessions.size(), 3u);
  for (const auto& [id, lines] : sessions) {
    SCOPED_TRACE(id);
    const auto c = convert(lines, Format::Auto);
    EXPECT_EQ(c.format, Format::OpenCode);
    EXPECT_TRUE(c.problems.empty());
    std::int64_t in_total = 0, out_total = 0;
    for (const json& l : lines_of(c)) {
      in_total += l.value("tokens_in", 0);
      out_total += l.value("tokens_out", 0);
    }
    EXPECT_EQ(std::make_pair(in_total, out_total), expected[id]);
  }
}

// ---------------------------------------------------------------------------
// Streaming: a conversion holds only what its format must hold back, never
// the whole file (the memory bound of docs/reference/native-formats.md, "What it
// costs"). Counted in items held, not bytes or time: nothing here depends on
// the machine.

// "2026-01-01T..." n seconds after midnight.
std::string at_second(int n) {
  char text[32];
  std::snprintf(text, sizeof text, "2026-01-01T%02d:%02d:%02d.000Z", n / 3600 % 24, n / 60 % 60,
                n % 60);
  return text;
}

struct Pulled {
  std::size_t lines = 0;
  std::size_t problems = 0;
  std::size_t peak_held = 0;
  std::uint64_t skipped = 0;
};

Pulled pull(const std::string& data, Format format) {
  auto converter = native::Converter::open(data, native_options(format));
  Pulled pulled;
  if (!converter) return pulled;
  native::Produced item;
  while (converter->next(item)) ++(item.problem ? pulled.problems : pulled.lines);
  pulled.peak_held = converter->peak_held();
  pulled.skipped = converter->skipped();
  EXPECT_EQ(converter->turns(), pulled.lines);
  return pulled;
}

constexpr int kExchanges = 400;

// Exchanges like the real files: a prompt, a response split over three
// records with a growing usage, its tool result, a progress record.
std::string claude_transcript() {
  std::vector<json> records;
  int t = 0;
  for (int i = 0; i < kExchanges; ++i) {
    const std::string n = std::to_string(i);
    records.push_back(claude_user("u" + n, at_second(t++), "prompt " + n));
    for (int part = 0; part < 3; ++part) {
      records.push_back(claude_assistant("a" + n + "-" + std::to_string(part), at_second(t++),
                                         "msg" + n, {text_block("part")},
                                         claude_usage(3, 300, 2500, 8 + 100 * part)));
    }
    records.push_back(
        claude_user("t" + n, at_second(t++),
                    {{{"type", "tool_result"}, {"tool_use_id", "tu" + n}, {"content", "out"}}}));
    records.push_back(claude("progress", "p" + n, at_second(t++)));
  }
  return jsonl(records);
}

std::string codex_transcript() {
  std::vector<json> records = {codex_meta("c1")};
  int t = 1;
  json total = codex_usage(0, 0, 0, 0);
  for (int i = 0; i < kExchanges; ++i) {
    const std::string n = std::to_string(i);
    records.push_back(codex_message(at_second(t++), "user", "prompt " + n));
    records.push_back(
        codex(at_second(t++), "event_msg", {{"type", "user_message"}, {"message", "prompt " + n}}));
    records.push_back(codex(at_second(t++), "response_item",
                            {{"type", "function_call"},
                             {"name", "shell"},
                             {"arguments", "{}"},
                             {"call_id", "call" + n}}));
    records.push_back(
        codex(at_second(t++), "response_item",
              {{"type", "function_call_output"}, {"call_id", "call" + n}, {"output", "done"}}));
    records.push_back(codex_message(at_second(t++), "assistant", "answer " + n));
    total = codex_usage(100 * (i + 1), 0, 10 * (i + 1), 0);
    records.push_back(codex_tokens(at_second(t), total));
    records.push_back(codex_tokens(at_second(t++), total));  // re-emitted
  }
  return jsonl(records);
}

// Each gemini message written three times as it streams.
std::string gemini_transcript() {
  std::vector<json> records = {gemini_header()};
  for (int i = 0; i < kExchanges; ++i) {
    const std::string n = std::to_string(i);
    records.push_back(gemini_message("u" + n, "user", {{{"text", "prompt " + n}}}));
    records.push_back({{"$set", {{"lastUpdated", "2026-01-01T00:00:02.000Z"}}}});
    records.push_back(gemini_message("g" + n, "gemini", ""));
    records.push_back(gemini_message("g" + n, "gemini", "half", {{"tokens", gemini_tokens(5, 1)}}));
    records.push_back(gemini_message("g" + n, "gemini", "all", {{"tokens", gemini_tokens(5, 9)}}));
  }
  return jsonl(records);
}

// Like the real files: a prompt, a call's telemetry, the assistant record,
// a tool call's telemetry, its result; every fourth exchange a call that
// made no record (its tokens wait on the previous answer).
std::string qwen_transcript() {
  std::vector<json> records;
  std::string parent;
  int t = 0;
  auto add = [&](json record) {
    parent = record["uuid"].get<std::string>();
    records.push_back(std::move(record));
  };
  for (int i = 0; i < kExchanges; ++i) {
    const std::string n = std::to_string(i);
    add(qwen_prompt("u" + n, parent.empty() ? std::nullopt : std::optional(parent), at_second(t++),
                    "prompt " + n));
    add(qwen_call("c" + n, parent, at_second(t++), "r" + n, 100, 10, 5, 110));
    add(qwen_answer("a" + n, parent, at_second(t++), {{{"text", "answer " + n}}}));
    add(qwen("x" + n, parent, at_second(t++), "system",
             {{"subtype", "ui_telemetry"},
              {"systemPayload", {{"uiEvent", {{"event.name", "qwen-code.tool_call"}}}}}}));
    add(qwen("t" + n, parent, at_second(t++), "tool_result",
             qwen_parts("user", {{{"functionResponse", {{"response", {{"output", "ok"}}}}}}})));
    if (i % 4 == 3) add(qwen_call("d" + n, parent, at_second(t++), "s" + n, 100, 10, 5, 110));
  }
  return jsonl(records);
}

// A prompt, a message with a tool request, the tool's start and result, a
// final message; a shutdown every tenth exchange (a resumed session).
std::string copilot_transcript() {
  std::vector<json> records = {copilot_start()};
  int t = 1;
  for (int i = 0; i < kExchanges; ++i) {
    const std::string n = std::to_string(i);
    records.push_back(
        copilot("user.message", "u" + n, at_second(t++), {{"content", "prompt " + n}}));
    records.push_back(copilot_answer(
        "a" + n, at_second(t++), "", 20,
        {{"toolRequests",
          {{{"toolCallId", "k" + n}, {"name", "view"}, {"arguments", json::object()}}}}}));
    records.push_back(copilot("tool.execution_start", "s" + n, at_second(t++),
                              {{"toolCallId", "k" + n}, {"toolName", "view"}}));
    records.push_back(
        copilot("tool.execution_complete", "c" + n, at_second(t++),
                {{"toolCallId", "k" + n}, {"success", true}, {"result", {{"content", "ok"}}}}));
    records.push_back(copilot_answer("b" + n, at_second(t++), "answer " + n, 30));
    if (i % 10 == 9) {
      records.push_back(
          copilot_shutdown("x" + n, at_second(t++), {{"m1", copilot_metric(20, 5000, 600)}}));
      records.push_back(copilot("session.resume", "r" + n, at_second(t++), {{"eventCount", 1}}));
    }
  }
  return jsonl(records);
}

std::string cursor_transcript() {
  std::vector<json> records;
  for (int i = 0; i < kExchanges; ++i) {
    const std::string n = std::to_string(i);
    records.push_back(cursor_line(
        "user", "<timestamp>Friday, Mar 6, 2026, 2:15 PM (UTC+1)</timestamp>\n<user_query>" + n +
                    "</user_query>"));
    records.push_back(cursor_line(
        "assistant",
        {{{"type", "text"}, {"text", "reading"}},
         {{"type", "tool_use"}, {"id", "t" + n}, {"name", "Read"}, {"input", json::object()}}}));
    records.push_back(cursor_line("assistant", "answer " + n));
    records.push_back({{"role", "system"}, {"message", {{"content", "note"}}}});
  }
  return jsonl(records);
}

// A prompt; an answer of a step-start, a tool call with its result, a text
// and a step-finish.
std::string opencode_transcript() {
  std::vector<json> records = {oc_session()};
  std::int64_t t = kOcStart;
  for (int i = 0; i < kExchanges; ++i) {
    const std::string n = std::to_string(i);
    records.push_back(oc_message("msg_u" + n, oc_user(t), t));
    records.push_back(oc_part("prt_u" + n, "msg_u" + n, oc_text("prompt " + n), t++));
    records.push_back(oc_message("msg_a" + n, oc_assistant(t, json::object()), t));
    records.push_back(oc_part("prt_s" + n, "msg_a" + n, {{"type", "step-start"}}, t++));
    records.push_back(oc_part("prt_t" + n, "msg_a" + n,
                              {{"type", "tool"},
                               {"tool", "read"},
                               {"callID", "call_" + n},
                               {"state", {{"status", "completed"}, {"output", "ok"}}}},
                              t++));
    records.push_back(oc_part("prt_x" + n, "msg_a" + n, oc_text("answer " + n), t++));
    records.push_back(oc_part("prt_f" + n, "msg_a" + n, oc_step(oc_tokens(10, 5, 0, 0, 0)), t++));
  }
  return jsonl(records);
}

TEST(NativeStreaming, EachFormatHoldsOnlyAFewTurnsAtOnce) {
  const struct {
    Format format;
    std::string data;
    std::size_t lines;
  } cases[] = {{Format::ClaudeCode, claude_transcript(), 3 * kExchanges},
               {Format::Codex, codex_transcript(), 4 * kExchanges},
               {Format::GeminiCli, gemini_transcript(), 2 * kExchanges},
               {Format::QwenCode, qwen_transcript(), 3 * kExchanges},
               {Format::CopilotCli, copilot_transcript(), 4 * kExchanges + kExchanges / 10},
               {Format::CursorCli, cursor_transcript(), 3 * kExchanges},
               {Format::OpenCode, opencode_transcript(), 3 * kExchanges}};
  for (const auto& c : cases) {
    const Pulled pulled = pull(c.data, c.format);
    EXPECT_EQ(pulled.lines, c.lines) << format_name(c.format);
    EXPECT_EQ(pulled.problems, 0u) << format_name(c.format);
    // Whole-file conversion would hold every one of the lines.
    EXPECT_LE(pulled.peak_held, 4u) << format_name(c.format);
    EXPECT_GT(pulled.skipped, 0u) << format_name(c.format);
  }
}

TEST(NativeStreaming, StreamingChangesNothingConvertShows) {
  for (const auto& [format, data] :
       std::vector<std::pair<Format, std::string>>{{Format::ClaudeCode, claude_transcript()},
                                                   {Format::Codex, codex_transcript()},
                                                   {Format::GeminiCli, gemini_transcript()},
                                                   {Format::QwenCode, qwen_transcript()},
                                                   {Format::CopilotCli, copilot_transcript()},
                                                   {Format::CursorCli, cursor_transcript()},
                                                   {Format::OpenCode, opencode_transcript()}}) {
    auto converter = native::Converter::open(data, native_options(format));
    const native::Conversion whole = convert(data, format);
    std::size_t i = 0;
    native::Produced item;
    while (converter->next(item)) {
      ASSERT_LT(i, whole.lines.size());
      EXPECT_EQ(item.wire, whole.lines[i].wire);
      EXPECT_EQ(item.line, whole.lines[i].line);
      ++i;
    }
    EXPECT_EQ(i, whole.lines.size());
    EXPECT_EQ(converter->skipped(), whole.skipped);
  }
}

TEST(NativeStreaming, AClaudeResponseWhoseLastRecordComesLateHoldsWhatIsBetween) {
  const json usage_early = claude_usage(3, 0, 0, 8);
  const json usage_late = claude_usage(3, 0, 0, 167);
  std::vector<json> records = {
      claude_assistant("a1", "2026-01-01T00:00:00Z", "m1", {text_block("one")}, usage_early)};
  for (int i = 0; i < 50; ++i) {
    records.push_back(claude_user("u" + std::to_string(i), at_second(i + 1), "typed"));
  }
  records.push_back(claude_assistant("a2", at_second(60), "m1", {text_block("two")}, usage_late));
  const std::string data = jsonl(records);
  const Pulled pulled = pull(data, Format::ClaudeCode);
  EXPECT_EQ(pulled.lines, 51u);
  EXPECT_GE(pulled.peak_held, 51u);  // the open response and every turn after it
  const auto lines = lines_of(convert(data, Format::ClaudeCode));
  ASSERT_EQ(lines.size(), 51u);
  EXPECT_EQ(lines[0]["turn_id"], "m1");
  EXPECT_EQ(lines[0]["tokens_out"], 167);  // the late record's usage
  EXPECT_EQ(lines[0]["content"], "one\n\ntwo");
}

TEST(NativeStreaming, ACodexAnswerWaitsOnlyForItsUserTurnsTokens) {
  const std::string data =
      jsonl({codex_meta("c1"), codex_message("2026-01-01T00:00:01Z", "user", "go"),
             codex_message("2026-01-01T00:00:02Z", "assistant", "first"),
             codex_message("2026-01-01T00:00:03Z", "assistant", "second"),
             codex_tokens("2026-01-01T00:00:04Z", codex_usage(10, 0, 2, 0)),
             codex_message("2026-01-01T00:00:05Z", "user", "again")});
  const Pulled pulled = pull(data, Format::Codex);
  EXPECT_EQ(pulled.lines, 4u);
  EXPECT_LE(pulled.peak_held, 2u);  // "second" until "again"; "first" went when "second" came
  const auto lines = lines_of(convert(data, Format::Codex));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_FALSE(lines[1].contains("tokens_in"));
  EXPECT_EQ(lines[2]["tokens_in"], 10);
}

TEST(NativeStreaming, AGeminiMessageInACheckpointWaitsForItsLaterVersions) {
  // "s" first stands in a $set.messages checkpoint, "a" in a line then the
  // checkpoint; both are rewritten by later lines: each is produced once,
  // in its last version, at its first appearance.
  const std::string data = jsonl(
      {gemini_header(),
       gemini_message("a", "user", "a1"),
       {{"$set",
         {{"messages", {gemini_message("a", "user", "a2"), gemini_message("s", "info", "s1")}}}}},
       gemini_message("x", "user", "x1"),
       gemini_message("s", "info", "s2"),
       gemini_message("a", "user", "a3")});
  const auto lines = lines_of(convert(data, Format::GeminiCli));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["turn_id"], "a");
  EXPECT_EQ(lines[0]["content"], "a3");
  EXPECT_EQ(lines[1]["turn_id"], "s");
  EXPECT_EQ(lines[1]["content"], "s2");
  EXPECT_EQ(lines[2]["turn_id"], "x");
  EXPECT_EQ(pull(data, Format::GeminiCli).lines, 3u);
}

// ---------------------------------------------------------------------------
// JSON text of a DOM: a turn's tool_calls and metadata are written by
// native::append_json, which must give nlohmann's dump() bytes exactly (the
// produced lines, and so lethe_convert's output, did not change with it).

std::string nlohmann_text(const native::Json& value) {
  return value.dump(-1, ' ', false, native::Json::error_handler_t::replace);
}

std::string lethe_text(const native::Json& value) {
  std::string out = "x";  // appends: what was there stays
  native::append_json(out, value);
  EXPECT_EQ(out[0], 'x');
  return out.substr(1);
}

TEST(NativeJsonText, TheSameBytesAsNlohmannsDump) {
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls += static_cast<char>(c);
  const std::vector<native::Json> values = {
      native::Json(),
      native::Json::object(),
      native::Json::array(),
      native::Json(true),
      native::Json(false),
      native::Json(""),
      native::Json(controls + "\"\\/\x7f end"),
      native::Json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
      native::Json(std::numeric_limits<std::int64_t>::min()),
      native::Json(std::numeric_limits<std::int64_t>::max()),
      native::Json(std::numeric_limits<std::uint64_t>::max()),
      native::Json(0),
      native::Json(-1),
      native::Json(1.5e4),
      native::Json(0.1),
      native::Json(-0.0),
      native::Json(1e300),
      native::Json(std::numeric_limits<double>::quiet_NaN()),
      native::Json::parse(R"({"b":1,"a":[1,2.5,{"k\n\"ey":null,"":[]}],"z":{"y":"x\ty"}})"),
      native::Json::parse(R"([[[[]]],{},"\u0000\u001f",-12,18446744073709551615])"),
  };
  for (const native::Json& value : values) {
    EXPECT_EQ(lethe_text(value), nlohmann_text(value)) << nlohmann_text(value);
  }
}

TEST(NativeJsonText, AnEscapeAtAnyPositionOfALongString) {
  // Strings are escaped sixteen bytes at a time (eight without SSE2): every
  // position and neighbour of a block boundary, each kind of character that needs an escape, and
  // bytes that are close to one (0x20, 0x21, 0x5b, 0x5d, 0x7f, UTF-8).
  for (const char special : {'"', '\\', '\n', '\x01', '\x1f', '\0'}) {
    for (std::size_t at = 0; at < 40; ++at) {
      std::string text(40, 'a');
      text[at] = special;
      text[(at * 7 + 3) % 40] = static_cast<char>(0x7f);
      text[(at * 5 + 1) % 40] = ' ';
      const native::Json value(text + "\x21\x5b\x5d\xc3\xa9" + std::string(1, special));
      EXPECT_EQ(lethe_text(value), nlohmann_text(value)) << "at " << at;
    }
  }
}

// The readers' DOM is built by lethe's own builder from text the scanner
// validated (docs/reference/native-formats.md): it must be the DOM nlohmann's parser
// gives, member order and number kinds included.
void expect_same_dom(const std::string& text) {
  native::Json ours;
  std::string problem;
  ASSERT_TRUE(native::parse_object(text, ours, problem)) << problem << ": " << text;
  const native::Json theirs = native::Json::parse(text);
  EXPECT_EQ(ours, theirs) << text;
  EXPECT_EQ(ours.dump(), theirs.dump()) << text;  // member order, number kinds
}

TEST(NativeDom, BuildsWhatNlohmannsParserBuilds) {
  for (const std::string text : {
           R"({})",
           R"({"a":1,"b":[],"c":{},"d":[{}],"e":null,"f":true,"g":false})",
           R"({"k":1,"x":2,"k":3})",  // a repeated key: first position, last value
           R"({"k":{"a":1},"k":[1]})",
           R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"b":0})",
           R"({"n":[-1,0,18446744073709551615,18446744073709551616,-9223372036854775808,
                   -9223372036854775809,1.5,-0.0,2.5E-3,1E2,1e308]})",
           R"({"s":"caf\u00e9 \ud83d\ude00 \" \\ \/ \b\f\n\r\t","\u0074ype":"escaped key"})",
           R"( { "spaced" : [ 1 , { "x" : "y" } ] } )",
       }) {
    expect_same_dom(text);
  }
}

TEST(NativeDom, EveryFixtureRecordBuildsWhatNlohmannsParserBuilds) {
  namespace fs = std::filesystem;
  int records = 0;
  for (const auto& entry :
       fs::recursive_directory_iterator(std::string(LETHE_SOURCE_DIR) + "/tests/fixtures/native")) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      const native::Json value = native::Json::parse(line, nullptr, false);
      if (value.is_discarded() || !value.is_object()) continue;
      expect_same_dom(line);
      ++records;
    }
  }
  EXPECT_GT(records, 50);
}

// The index pass of the Claude reader finds message.id by skipping over
// text the scanner validated: it must find what the scanner and the DOM see.
TEST(NativeScannedMember, FindsWhatTheDomFinds) {
  const std::vector<std::string> objects = {
      R"({"id":"a"})",
      R"({ "model" : "m" , "id" : "b" , "content" : [] })",
      R"({"content":[{"id":"nested"},"x\"id\":\"no\""],"id":"c"})",
      R"({"text":"ends in a backslash \\","id":"d"})",
      R"({"text":"\\\"","more":{"a":[1,{"b":"}"}]},"id":"e"})",
      R"({"id":"first","x":1,"id":"last"})",
      R"({"\u0069d":"escaped key"})",
      R"({"id":"caf\u00e9 \n"})",
      R"({"id":7})",
      R"({"id":null})",
      R"({"ids":"no","i":"no"})",
      R"({})",
      R"({"n":-1.5e3,"t":true,"f":false,"z":null,"id":"after literals"})",
  };
  for (const std::string& text : objects) {
    lethe::json::ScanError error;
    ASSERT_TRUE(lethe::json::scan_object(
        text, [](std::string_view, const lethe::json::Value&) {}, error))
        << text;
    const native::Json dom = native::Json::parse(text);
    std::optional<std::string> expected;
    if (dom.contains("id") && dom["id"].is_string()) expected = dom["id"].get<std::string>();
    EXPECT_EQ(native::string_member_of_scanned(text, "id"), expected) << text;
  }
}

TEST(NativeJsonText, EveryFixtureRecordGivesTheSameBytes) {
  namespace fs = std::filesystem;
  int records = 0;
  for (const auto& entry :
       fs::recursive_directory_iterator(std::string(LETHE_SOURCE_DIR) + "/tests/fixtures/native")) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      native::Json value = native::Json::parse(line, nullptr, false);
      if (value.is_discarded()) continue;  // a fixture's cut or broken line
      EXPECT_EQ(lethe_text(value), nlohmann_text(value)) << entry.path() << ": " << line;
      ++records;
    }
  }
  EXPECT_GT(records, 50);
}

}  // namespace
}  // namespace lethe
