// End-to-end tests of native transcripts (docs/reference/native-formats.md) through a
// real SQLite connection: lethe_ingest with a native format and
// lethe_convert, over the project's fixtures (tests/fixtures/native, one
// rule each, laid out like the agents' own folders) and over generated
// files. The properties of the contract: deterministic, idempotent,
// convergent, and the equivalence of lethe_ingest with lethe_convert; then
// the token totals of every pitfall, the quirks of real files, and the wire
// rules (max_errors, dry_run, atomicity, batch errors) for native input.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "support/e2e_support.hpp"

using namespace lethe_test;

namespace {

constexpr const char* kOptions = R"({"format":"auto","host":"laptop","source_file":"f.jsonl"})";

struct Fixture {
  const char* path;  // under tests/fixtures/native
  const char* format;
  std::map<std::string, std::int64_t> tokens;  // session -> sum(tokens_in + tokens_out)
};

// Each fixture shows one rule; the totals are the native usage counted once
// per request, worked out by hand from the files.
const std::vector<Fixture>& fixtures() {
  static const std::vector<Fixture> all = {
      // A split message whose usage grows 8 -> 8 -> 167: 1103 + 167, then 1205 + 20.
      {"home/.claude/projects/-home-ana-shop/5e551011-0000-4000-8000-00000000c1a1.jsonl",
       "claude-code",
       {{"5e551011-0000-4000-8000-00000000c1a1", 2495}}},
      {"home/.claude/projects/-home-ana-shop/5e551011-0000-4000-8000-00000000c1a1/subagents/"
       "agent-a7f3.jsonl",
       "claude-code",
       {{"5e551011-0000-4000-8000-00000000c1a1:agent-a7f3", 22}}},
      // Interrupted: every record says 13, the final usage never came.
      {"claude/interrupted.jsonl", "claude-code", {{"5e551011-0000-4000-8000-00000000c1a2", 566}}},
      {"claude/kinds.jsonl", "claude-code", {{"5e551011-0000-4000-8000-00000000c1a3", 0}}},
      {"home/.claude/projects/-home-ana-live/5e551011-0000-4000-8000-00000000c1a4.jsonl",
       "claude-code",
       {{"5e551011-0000-4000-8000-00000000c1a4", 5}}},
      {"claude/problems.jsonl", "claude-code", {{"5e551011-0000-4000-8000-00000000c1a5", 0}}},
      // token_count before its items, re-emitted, info null: 250+30 and 150+5,
      // the file's final total_tokens (435).
      {"home/.codex/sessions/2026/03/02/"
       "rollout-2026-03-02T11-00-00-019c0000-0000-7000-8000-0000000c0d01.jsonl",
       "codex",
       {{"019c0000-0000-7000-8000-0000000c0d01", 435}}},
      // After its items, re-emitted: 55 + 200 = the final total (255).
      {"codex/token_after.jsonl", "codex", {{"019c0000-0000-7000-8000-0000000c0d02", 255}}},
      // A fork replays its parent (1100 tokens): only the child's 330 count.
      {"codex/forked.jsonl", "codex", {{"019c0000-0000-7000-8000-0000000c0d04", 330}}},
      {"codex/legacy.jsonl", "codex", {{"0d5e0000-0000-4000-8000-0000000c0d05", 0}}},
      // ~/.codex/archived_sessions holds rollouts too; legacy items named by
      // their own ids (msg_..., call_...).
      {"home/.codex/archived_sessions/"
       "rollout-2025-08-20T13-20-47-0d5e0000-0000-4000-8000-0000000c0d07.jsonl",
       "codex",
       {{"0d5e0000-0000-4000-8000-0000000c0d07", 0}}},
      // Interrupted: the first user turn has no answer; its 1000 tokens stay
      // on its typed message (the file's final total_tokens: 2050).
      {"codex/interrupted.jsonl", "codex", {{"019c0000-0000-7000-8000-0000000c0d06", 2050}}},
      // One message rewritten three times: its last version (100 + 12 + 5).
      {"home/.gemini/tmp/9da8b3df/chats/session-2026-03-02T14-00-0a000001.jsonl",
       "gemini-cli",
       {{"0a000001-0000-4000-8000-00000000e001", 117}}},
      // A $set.messages checkpoint drops two messages; their tokens were spent.
      {"gemini/checkpoint.jsonl", "gemini-cli", {{"0a000002-0000-4000-8000-00000000e002", 231}}},
      // A $rewindTo: the rewound reply still counts.
      {"gemini/rewind.jsonl", "gemini-cli", {{"0a000003-0000-4000-8000-00000000e003", 66}}},
      {"home/.gemini/tmp/ab14fe39/chats/session-2026-03-01T17-00-0a000004.json",
       "gemini-cli",
       {{"0a000004-0000-4000-8000-00000000e004", 228}}},
      // Each call's telemetry onto the assistant record after it: 1800 + 120
      // (cache read and thoughts inside), then 2100 + 60.
      {"home/.qwen/projects/-home-ana-shop/chats/7a000001-0000-4000-8000-00000000a001.jsonl",
       "qwen-code",
       {{"7a000001-0000-4000-8000-00000000a001", 4080}}},
      // Three calls, one assistant record (the CLI's usage_record: 6150 + 884).
      {"qwen/calls_without_record.jsonl",
       "qwen-code",
       {{"7a000001-0000-4000-8000-00000000a002", 7034}}},
      // /rewind: the abandoned branch's call still counts (940 + 995).
      {"qwen/rewind.jsonl", "qwen-code", {{"7a000001-0000-4000-8000-00000000a003", 1935}}},
      // No telemetry (0.10): the assistant record's own usageMetadata.
      {"qwen/no_telemetry.jsonl", "qwen-code", {{"7a000001-0000-4000-8000-00000000a004", 3050}}},
      // Output on each message (90 + 40), the shutdown's input and the output
      // no message counted (155 - 130) on its model's turn.
      {"home/.copilot/session-state/c0a10001-0000-4000-8000-0000000c0b01/events.jsonl",
       "copilot-cli",
       {{"c0a10001-0000-4000-8000-0000000c0b01", 30155}}},
      // Resumed: each shutdown counts its own segment (1012 + 1520).
      {"copilot/resumed.jsonl", "copilot-cli", {{"c0a10001-0000-4000-8000-0000000c0b02", 2532}}},
      // The older flat layout; no shutdown: only the message's output.
      {"home/.copilot/session-state/c0a10001-0000-4000-8000-0000000c0b03.jsonl",
       "copilot-cli",
       {{"c0a10001-0000-4000-8000-0000000c0b03", 33}}},
      // A sub-agent is a session of its own; a message in two chunks; two
      // models in the totals (8080 + 3015, the sub-agent's 15 on its message).
      {"copilot/subagent_and_chunks.jsonl",
       "copilot-cli",
       {{"c0a10001-0000-4000-8000-0000000c0b04", 11080},
        {"c0a10001-0000-4000-8000-0000000c0b04:agent-explore-1", 15}}},
      // Cursor CLI (experimental): no tokens; the session is the file's name
      // (source_file "f.jsonl" here); times from the <timestamp> tags.
      {"home/.cursor/projects/home-ana-shop/agent-transcripts/"
       "d1c0a001-0000-4000-8000-0000000c0c01/d1c0a001-0000-4000-8000-0000000c0c01.jsonl",
       "cursor-cli",
       {{"f", 0}}},
      // No <timestamp> tag at all: one problem, nothing dated, nothing stored.
      {"cursor/no_timestamp.jsonl", "cursor-cli", {}},
      // A prompt typed while the agent worked, folded into its turn (a queue
      // enqueue taken by remove), one run later (dequeue: its user record),
      // and a task notification: 1125 + 1165.
      {"claude/queued.jsonl", "claude-code", {{"5e551011-0000-4000-8000-00000000c1a6", 2290}}},
      // OpenCode's export (of steps.sql on schema.sql): two requests of one
      // message, each counted once with cache and reasoning:
      // (100 + 1000 + 50 + 20 + 5) + (30 + 1100 + 10).
      {"opencode/steps.jsonl", "opencode", {{"ses_0c0de0001", 2315}}},
      // Goose's export (of sessions.sql on goose/schema.sql): one turn per usage
      // row (1200 + 100), and what the totals hold beyond them (5000 + 700 in
      // all); a sub-agent's two requests, cache reads inside input (2560 + 1030).
      {"goose/sessions.jsonl", "goose", {{"20260301_1", 5700}, {"20260301_2", 3590}}},
      // Rows no Goose writes: problems, flagged usage, an orphan message.
      {"goose/hostile.jsonl", "goose", {{"20260302_1", 0}, {"20260302_2", 0}, {"20260302_9", 0}}},
      // The real database's export: each session's own accumulated totals.
      {"goose/real_export.jsonl",
       "goose",
       {{"20260805_1", 4633}, {"20260805_2", 4992}, {"20260805_3", 7594}, {"20260805_4", 4871}}},
      // Crush's export: each session's counters once (12000 + 800, 3000 + 45).
      {"crush/sessions.jsonl",
       "crush",
       {{"c0c0a001-0000-4000-8000-000000000001", 12800},
        {"c0c0a002-0000-4000-8000-000000000002", 3045}}},
      {"crush/hostile.jsonl",
       "crush",
       {{"c0c0a003-0000-4000-8000-000000000003", 0},
        {"c0c0a003-0000-4000-8000-000000000009", 0},
        {"c0c0a004-0000-4000-8000-000000000004", 0}}},
  };
  return all;
}

std::string fixture_text(const Fixture& f) {
  return read_file(source_path(std::string("tests/fixtures/native/") + f.path));
}

// A connection with the schema applied.
struct Archive {
  Db db;
  Archive() { db.apply_schema(); }
  std::vector<Row> sessions() { return dump(db, "sessions"); }
  std::vector<Row> turns() { return dump(db, "turns"); }
};

// One row of lethe_convert.
struct ConvertRow {
  std::int64_t line = 0;
  std::int64_t byte_offset = 0;
  Value wire, code, field, message;
  bool operator==(const ConvertRow& o) const {
    return line == o.line && byte_offset == o.byte_offset && wire == o.wire && code == o.code &&
           field == o.field && message == o.message;
  }
};

std::vector<ConvertRow> convert(Db& db, const std::string& data,
                                const std::string& options = kOptions) {
  Result r =
      db.query("SELECT line, byte_offset, wire, code, field, message FROM lethe_convert(?1, ?2)",
               data, options);
  EXPECT_TRUE(r.ok()) << r.error;
  std::vector<ConvertRow> rows;
  for (const Row& row : r.rows) {
    rows.push_back({std::stoll(*row[0]), std::stoll(*row[1]), row[2], row[3], row[4], row[5]});
  }
  return rows;
}

std::string joined_wire(const std::vector<ConvertRow>& rows) {
  std::string out;
  for (const ConvertRow& row : rows) {
    if (!row.wire) continue;
    if (!out.empty()) out += '\n';
    out += *row.wire;
  }
  return out;
}

// The rows of a native file's lines cut after `lines` line ends.
std::string prefix_lines(const std::string& data, std::size_t lines) {
  std::size_t end = 0;
  for (std::size_t i = 0; i < lines; ++i) {
    const std::size_t newline = data.find('\n', end);
    if (newline == std::string::npos) return data;
    end = newline + 1;
  }
  return data.substr(0, end);
}

std::size_t line_count(const std::string& data) {
  return static_cast<std::size_t>(std::count(data.begin(), data.end(), '\n')) +
         (data.empty() || data.back() == '\n' ? 0 : 1);
}

std::string describe(const Reject& r) {
  return std::to_string(r.line) + "@" + std::to_string(r.byte_offset) + " " + r.code + " " +
         r.field.value_or("-") + " " + r.message;
}

std::vector<std::string> described(const std::vector<Reject>& rejects) {
  std::vector<std::string> out;
  for (const Reject& r : rejects) out.push_back(describe(r));
  return out;
}

// ---------------------------------------------------------------------------
// The four properties, checked on one native file.

void expect_deterministic(const std::string& data) {
  Db db(":memory:");
  EXPECT_EQ(convert(db, data), convert(db, data));
}

void expect_idempotent(const std::string& data) {
  Archive once, twice;
  ASSERT_TRUE(ingest(once.db, "ana", data, kOptions).ok());
  ASSERT_TRUE(ingest(twice.db, "ana", data, kOptions).ok());
  ASSERT_TRUE(ingest(twice.db, "ana", data, kOptions).ok());
  EXPECT_EQ(once.sessions(), twice.sessions());
  EXPECT_EQ(once.turns(), twice.turns());
}

// Ingest every prefix cut at a line end, then the whole file: the tables of
// the whole file once (how a live, growing transcript is archived). With
// the format named: a prefix of a few lines may not say what it is.
void expect_convergent(const std::string& data, const std::string& options) {
  Archive whole;
  ASSERT_TRUE(ingest(whole.db, "ana", data, options).ok());
  const auto sessions = whole.sessions();
  const auto turns = whole.turns();
  for (std::size_t k = 1; k < line_count(data); ++k) {
    Archive grown;
    const Ingest first = ingest(grown.db, "ana", prefix_lines(data, k), options);
    ASSERT_TRUE(first.ok()) << first.error;
    ASSERT_TRUE(ingest(grown.db, "ana", data, options).ok());
    EXPECT_EQ(grown.sessions(), sessions) << "prefix of " << k << " lines";
    EXPECT_EQ(grown.turns(), turns) << "prefix of " << k << " lines";
  }
}

// lethe_ingest(o, data, opts) writes what lethe_ingest(o, <wire column of
// lethe_convert joined by LF>) writes; its rows are convert's problems and
// the produced lines' rejects, at native positions, in native order.
void expect_equivalent(const std::string& data) {
  Archive native, wire;
  const Ingest direct = ingest(native.db, "ana", data, kOptions);
  ASSERT_TRUE(direct.ok()) << direct.error;
  const std::vector<ConvertRow> rows = convert(native.db, data);
  const Ingest via_wire = ingest(wire.db, "ana", joined_wire(rows));
  ASSERT_TRUE(via_wire.ok()) << via_wire.error;
  EXPECT_EQ(native.sessions(), wire.sessions());
  EXPECT_EQ(native.turns(), wire.turns());

  std::vector<const ConvertRow*> produced;
  std::vector<Reject> expected;
  for (const ConvertRow& row : rows) {
    if (row.wire) {
      produced.push_back(&row);
    } else {
      expected.push_back({row.line, row.byte_offset, *row.code, row.field, *row.message});
    }
  }
  for (Reject r : via_wire.rejects) {
    const ConvertRow& source = *produced.at(static_cast<std::size_t>(r.line - 1));
    r.line = source.line;
    r.byte_offset = source.byte_offset;
    expected.push_back(r);
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [](const Reject& a, const Reject& b) { return a.line < b.line; });
  EXPECT_EQ(described(direct.rejects), described(expected));
}

std::string named_format(const char* format) {
  return std::string(R"({"host":"laptop","source_file":"f.jsonl","format":")") + format + "\"}";
}

void expect_properties(const std::string& data, const char* format) {
  expect_deterministic(data);
  expect_idempotent(data);
  expect_convergent(data, named_format(format));
  expect_equivalent(data);
}

// ---------------------------------------------------------------------------
// Fixtures

TEST(NativeFixtures, PropertiesHoldForEveryFixture) {
  for (const Fixture& f : fixtures()) {
    SCOPED_TRACE(f.path);
    expect_properties(fixture_text(f), f.format);
  }
}

TEST(NativeFixtures, TokenTotalsPerSessionCountEachRequestOnce) {
  for (const Fixture& f : fixtures()) {
    SCOPED_TRACE(f.path);
    Archive a;
    const Ingest result = ingest(a.db, "ana", fixture_text(f), kOptions);
    ASSERT_TRUE(result.ok()) << result.error;
    const Result totals = a.db.query(
        "SELECT session_id, coalesce(sum(tokens_in + tokens_out), 0) FROM turns "
        "GROUP BY session_id ORDER BY session_id");
    std::map<std::string, std::int64_t> got;
    for (const Row& row : totals.rows) got[*row[0]] = std::stoll(*row[1]);
    EXPECT_EQ(got, f.tokens);
    EXPECT_EQ(a.db.scalar("SELECT json_extract(lethe_last_ingest(), '$.format')"), Value(f.format));
  }
}

TEST(NativeFixtures, AutoDetectsAndTheNamedFormatReadsTheSame) {
  for (const Fixture& f : fixtures()) {
    SCOPED_TRACE(f.path);
    Db db;
    EXPECT_EQ(convert(db, fixture_text(f)), convert(db, fixture_text(f), named_format(f.format)));
  }
}

TEST(NativeFixtures, LastIngestReportsFormatTurnsAndSkipped) {
  Archive a;
  const Fixture& kinds = fixtures()[3];
  ASSERT_TRUE(ingest(a.db, "ana", fixture_text(kinds), kOptions).ok());
  const auto summary = nlohmann::json::parse(*a.db.scalar("SELECT lethe_last_ingest()"));
  EXPECT_EQ(summary["format"], "claude-code");
  EXPECT_EQ(summary["turns"], 4);
  // summary, progress, other system subtype, queue-operation, unknown kind, title
  EXPECT_EQ(summary["skipped"], 6);
  EXPECT_EQ(summary["lines"], 4);
  EXPECT_EQ(summary["accepted"], 4);
  ASSERT_TRUE(ingest(a.db, "ana", line()).ok());
  const auto wire = nlohmann::json::parse(*a.db.scalar("SELECT lethe_last_ingest()"));
  EXPECT_EQ(wire["format"], "wire");
  EXPECT_EQ(wire["turns"], 1);
  EXPECT_EQ(wire["skipped"], 0);
}

TEST(NativeFixtures, ACutLastLineIsOneInvalidJsonRowAndTheRestIsRead) {
  Archive a;
  const std::string data = fixture_text(fixtures()[4]);
  const Ingest result = ingest(a.db, "ana", data, kOptions);
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(result.rejects.size(), 1u);
  EXPECT_EQ(result.rejects[0].line, 3);
  EXPECT_EQ(result.rejects[0].byte_offset, static_cast<std::int64_t>(prefix_lines(data, 2).size()));
  EXPECT_EQ(result.rejects[0].code, "INVALID_JSON");
  EXPECT_EQ(a.db.count("SELECT count(*) FROM turns"), 2);
}

TEST(NativeFixtures, ProblemsAtNativeLinesWithNativeFields) {
  Archive a;
  const Ingest result = ingest(a.db, "ana", fixture_text(fixtures()[5]), kOptions);
  ASSERT_TRUE(result.ok()) << result.error;
  std::vector<std::string> got;
  for (const Reject& r : result.rejects) {
    got.push_back(std::to_string(r.line) + " " + r.code + " " + r.field.value_or("-"));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"2 MISSING_FIELD timestamp", "3 INVALID_FIELD timestamp",
                                           "4 INVALID_JSON -", "5 MISSING_FIELD message",
                                           "6 MISSING_FIELD uuid"}));
  EXPECT_EQ(a.db.count("SELECT count(*) FROM turns"), 1);
}

TEST(NativeFixtures, SessionsKeepTheFactsOfTheirStart) {
  Archive a;
  for (const Fixture& f : fixtures())
    ASSERT_TRUE(ingest(a.db, "ana", fixture_text(f), kOptions).ok());
  EXPECT_EQ(a.db.scalar("SELECT json_extract(metadata, '$.parent_session_id') FROM sessions "
                        "WHERE session_id LIKE '%:agent-a7f3'"),
            Value("5e551011-0000-4000-8000-00000000c1a1"));
  EXPECT_EQ(a.db.scalar("SELECT json_extract(metadata, '$.forked_from_id') FROM sessions "
                        "WHERE session_id = '019c0000-0000-7000-8000-0000000c0d04'"),
            Value("019c0000-0000-7000-8000-0000000c0d03"));
  // A progress hook ran before the first prompt: the session started then.
  EXPECT_EQ(a.db.scalar("SELECT started_at FROM sessions "
                        "WHERE session_id = '5e551011-0000-4000-8000-00000000c1a3'"),
            Value("2026-03-04T08:59:59.000Z"));
  EXPECT_EQ(a.db.count("SELECT count(DISTINCT host) FROM sessions"), 1);
  EXPECT_EQ(a.db.count("SELECT count(*) FROM sessions WHERE source_file = 'f.jsonl'"),
            a.db.count("SELECT count(*) FROM sessions"));
  EXPECT_EQ(a.db.count("SELECT count(*) FROM turns WHERE json_extract(metadata, '$.native_type') "
                       "IS NULL"),
            0);
}

// ---------------------------------------------------------------------------
// Bounds and quirks

TEST(NativeQuirks, MaxFieldBytesBoundsAHugeToolOutputAndAScreenshot) {
  const std::string output(3 << 20, 'x');
  const std::string base64(2 << 20, 'A');
  nlohmann::json result = {
      {"type", "user"},
      {"uuid", "u1"},
      {"sessionId", "s"},
      {"timestamp", "2026-01-01T00:00:00Z"},
      {"message",
       {{"role", "user"},
        {"content", {{{"type", "tool_result"}, {"tool_use_id", "t"}, {"content", output}}}}}}};
  nlohmann::json shot = {
      {"type", "user"},
      {"uuid", "u2"},
      {"sessionId", "s"},
      {"timestamp", "2026-01-01T00:00:01Z"},
      {"message",
       {{"role", "user"},
        {"content",
         {{{"type", "image"},
           {"source", {{"type", "base64"}, {"media_type", "image/png"}, {"data", base64}}}}}}}}};
  Archive a;
  const std::string data = result.dump() + "\n" + shot.dump() + "\n";
  const Ingest r = ingest(a.db, "ana", data, R"({"format":"claude-code","max_field_bytes":65536})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.rejects.empty());
  EXPECT_EQ(a.db.scalar("SELECT length(content) FROM turns WHERE turn_id = 'u1'"), Value("65536"));
  EXPECT_EQ(
      a.db.scalar("SELECT json_extract(metadata, '$.truncated') FROM turns WHERE turn_id = 'u1'"),
      Value(R"({"field":"content","bytes":3145728})"));
  EXPECT_EQ(a.db.scalar("SELECT content FROM turns WHERE turn_id = 'u2'"),
            Value("[image image/png 1572864 bytes]"));
  // The default bound is 1 MiB.
  Archive b;
  ASSERT_TRUE(ingest(b.db, "ana", data, R"({"format":"claude-code"})").ok());
  EXPECT_EQ(b.db.scalar("SELECT length(content) FROM turns WHERE turn_id = 'u1'"),
            Value("1048576"));
}

TEST(NativeQuirks, AProducedLineStillGoesThroughTheWireRules) {
  // A 300-byte native session id: INVALID_FIELD session_id at its native line.
  const std::string id(300, 's');
  const std::string data =
      R"({"type":"user","uuid":"u0","sessionId":"ok","timestamp":"2026-01-01T00:00:00Z","message":{"content":"a"}})"
      "\n"
      R"({"type":"user","uuid":"u1","sessionId":")" +
      id + R"(","timestamp":"2026-01-01T00:00:00Z","message":{"content":"a"}})" + "\n";
  Archive a;
  const Ingest r = ingest(a.db, "ana", data, kOptions);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 2);
  EXPECT_EQ(r.rejects[0].byte_offset, static_cast<std::int64_t>(data.find('\n') + 1));
  EXPECT_EQ(r.rejects[0].code, "INVALID_FIELD");
  EXPECT_EQ(r.rejects[0].field, Value("session_id"));
  expect_equivalent(data);
}

TEST(NativeQuirks, OwnerOnlyFromTheArgument) {
  Archive a;
  const std::string data = fixture_text(fixtures()[0]);
  ASSERT_TRUE(ingest(a.db, "bob", data, kOptions).ok());
  EXPECT_EQ(a.db.count("SELECT count(*) FROM turns WHERE owner <> 'bob'"), 0);
  EXPECT_EQ(a.db.count("SELECT count(*) FROM sessions WHERE owner <> 'bob'"), 0);
}

// ---------------------------------------------------------------------------
// Wire rules for native input

TEST(NativeWireRules, MaxErrorsCountsProblemsAndWritesNothingWhenExceeded) {
  const std::string data = fixture_text(fixtures()[5]);  // 5 problems, 1 good record
  Archive a;
  a.db.must(
      "INSERT INTO sessions(owner, tool, host, session_id, started_at, ended_at) "
      "VALUES ('x','t','h','s','2026-01-01T00:00:00.000Z','2026-01-01T00:00:00.000Z')");
  const Ingest over = ingest(a.db, "ana", data, R"({"format":"auto","max_errors":4})");
  EXPECT_FALSE(over.ok());
  EXPECT_NE(over.error.find("lethe_ingest: more than 4 lines were rejected"), std::string::npos)
      << over.error;
  EXPECT_EQ(a.db.count("SELECT count(*) FROM turns"), 0);
  EXPECT_EQ(a.db.count("SELECT count(*) FROM sessions"), 1);
  const Ingest at_limit = ingest(a.db, "ana", data, R"({"format":"auto","max_errors":5})");
  EXPECT_TRUE(at_limit.ok()) << at_limit.error;
  EXPECT_EQ(at_limit.rejects.size(), 5u);
  EXPECT_EQ(a.db.count("SELECT count(*) FROM turns"), 1);
}

TEST(NativeWireRules, DryRunReportsTheSameRowsAndWritesNothing) {
  for (const Fixture& f : fixtures()) {
    SCOPED_TRACE(f.path);
    Archive real, dry;
    const Ingest written = ingest(real.db, "ana", fixture_text(f), kOptions);
    const Ingest checked = ingest(dry.db, "ana", fixture_text(f),
                                  R"({"format":"auto","host":"laptop","dry_run":true})");
    ASSERT_TRUE(checked.ok()) << checked.error;
    EXPECT_EQ(described(written.rejects), described(checked.rejects));
    EXPECT_EQ(dry.db.count("SELECT count(*) FROM turns"), 0);
    EXPECT_EQ(dry.db.count("SELECT count(*) FROM sessions"), 0);
  }
}

TEST(NativeWireRules, RolledBackWithTheCallersTransaction) {
  Archive a;
  a.db.must("BEGIN");
  ASSERT_TRUE(ingest(a.db, "ana", fixture_text(fixtures()[0]), kOptions).ok());
  EXPECT_EQ(a.db.count("SELECT count(*) FROM turns"), 4);
  a.db.must("ROLLBACK");
  EXPECT_EQ(a.db.count("SELECT count(*) FROM turns"), 0);
}

TEST(NativeWireRules, InsertIntoRejectsFromANativeFile) {
  Archive a;
  a.db.must("CREATE TABLE rejects(line, byte_offset, code, field, message)");
  Result r = a.db.query("INSERT INTO rejects SELECT * FROM lethe_ingest('ana', ?1, ?2)",
                        fixture_text(fixtures()[5]), std::string(kOptions));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(a.db.count("SELECT count(*) FROM rejects"), 5);
  EXPECT_EQ(a.db.count("SELECT count(*) FROM turns"), 1);
}

TEST(NativeWireRules, BatchErrorsOfTheOptionsAndTheFormat) {
  Archive a;
  const std::string data = fixture_text(fixtures()[0]);
  const Ingest wire_host = ingest(a.db, "ana", data, R"({"host":"h"})");
  EXPECT_FALSE(wire_host.ok());
  EXPECT_NE(wire_host.error.find("lethe_ingest: options.host applies only to a native format"),
            std::string::npos)
      << wire_host.error;
  const Ingest unknown = ingest(a.db, "ana", "{\"a\":1}\n", R"({"format":"auto"})");
  EXPECT_EQ(unknown.error.rfind("lethe_ingest: format not recognized; set options.format", 0), 0u)
      << unknown.error;
  const Ingest small = ingest(a.db, "ana", data, R"({"format":"auto","max_field_bytes":10})");
  EXPECT_FALSE(small.ok());
  EXPECT_EQ(a.db.count("SELECT count(*) FROM turns"), 0);
  // A native file read as wire: every line is a line error, as before.
  const Ingest as_wire = ingest(a.db, "ana", data);
  ASSERT_TRUE(as_wire.ok());
  EXPECT_EQ(as_wire.rejects.size(), line_count(data));
}

// ---------------------------------------------------------------------------
// lethe_convert

TEST(NativeConvert, NeedsNoSchemaAndWritesNothing) {
  Db db;  // no sql/schema.sql
  const auto rows = convert(db, fixture_text(fixtures()[0]));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].line, 2);
  EXPECT_EQ(rows[1].line, 3);  // the split message, at its first record
  EXPECT_FALSE(rows[0].code.has_value());
  EXPECT_EQ(db.count("SELECT count(*) FROM sqlite_master"), 0);
  EXPECT_EQ(db.scalar("SELECT lethe_last_ingest()"), std::nullopt);
}

TEST(NativeConvert, RowsInInputOrderWithProblemsBetweenLines) {
  Db db;
  const auto rows = convert(db, fixture_text(fixtures()[5]));
  std::vector<std::string> got;
  for (const auto& r : rows)
    got.push_back(std::to_string(r.line) + (r.wire ? " wire" : " " + *r.code));
  EXPECT_EQ(got,
            (std::vector<std::string>{"1 wire", "2 MISSING_FIELD", "3 INVALID_FIELD",
                                      "4 INVALID_JSON", "5 MISSING_FIELD", "6 MISSING_FIELD"}));
}

TEST(NativeConvert, DefaultFormatIsAutoAndOptionsAreOptional) {
  Db db;
  Result r = db.query("SELECT count(*) FROM lethe_convert(?1)", fixture_text(fixtures()[6]));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rows[0][0], Value("7"));
  // Wire lines pass through as they stand.
  Result w = db.query("SELECT wire FROM lethe_convert(?1)", line());
  ASSERT_TRUE(w.ok()) << w.error;
  EXPECT_EQ(w.rows.at(0)[0], Value(line()));
}

// Options from a join's other side are the options of the call: a plan
// without them (and a filter on the hidden column, which reads NULL) gave
// 0 rows and no error.
TEST(NativeConvert, OptionsFromAJoinAreUsed) {
  Db db(":memory:");
  const std::string data = fixture_text({"opencode/steps.jsonl", "opencode", {}});
  db.must(
      "CREATE TABLE o (options TEXT); INSERT INTO o VALUES "
      "('{\"format\":\"opencode\",\"host\":\"h\"}')");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM o, lethe_convert(?1, o.options) c", data), "3");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM o, lethe_convert(?1, o.options) c "
                      "WHERE c.wire IS NOT NULL",
                      data),
            "3");
}

TEST(NativeConvert, BatchErrors) {
  Db db;
  struct Case {
    std::string sql;
    std::string message;
  };
  const Case cases[] = {
      {"SELECT * FROM lethe_convert(NULL)", "lethe_convert: data is NULL"},
      {"SELECT * FROM lethe_convert('{\"a\":1}')",
       "lethe_convert: format not recognized; set options.format"},
      {"SELECT * FROM lethe_convert('', '{\"format\":\"x\"}')",
       "lethe_convert: options.format must be"},
      {"SELECT * FROM lethe_convert('', 'nope')", "lethe_convert: options must be a JSON object"},
      {"SELECT * FROM lethe_convert('', 7)",
       "lethe_convert: options must be NULL or a JSON object"},
      {"SELECT * FROM lethe_convert()", "lethe_convert: data argument is required"},
  };
  for (const Case& c : cases) {
    Result r = db.query(c.sql);
    EXPECT_FALSE(r.ok()) << c.sql;
    EXPECT_EQ(r.error.substr(0, c.message.size()), c.message) << c.sql << ": " << r.error;
  }
}

TEST(NativeConvert, OverAStagingTable) {
  Db db;
  db.must("CREATE TABLE inbox(name TEXT, body BLOB)");
  for (const Fixture& f : fixtures()) {
    db.query("INSERT INTO inbox VALUES (?1, ?2)", std::string(f.path),
             Db::BlobArg{fixture_text(f)});
  }
  Result r = db.query(
      "SELECT count(*) FROM inbox i, lethe_convert(i.body, '{\"host\":\"h\"}') c WHERE c.wire IS "
      "NOT NULL");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_GT(std::stoll(*r.rows[0][0]), 40);
}

// ---------------------------------------------------------------------------
// Generated files: the properties beyond the hand-written fixtures.

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  std::string claude() {
    std::string out;
    const std::string session = "gen-claude-" + std::to_string(pick(1000));
    for (int exchange = 0; exchange < 6; ++exchange) {
      out += record({{"type", "user"},
                     {"uuid", id("u")},
                     {"sessionId", session},
                     {"timestamp", tick()},
                     {"cwd", "/w"},
                     {"message", {{"role", "user"}, {"content", "question " + id("q")}}}});
      if (chance(4))
        out += record({{"type", "progress"},
                       {"uuid", id("p")},
                       {"sessionId", session},
                       {"timestamp", tick()}});
      const std::string message = id("msg");
      int output = 1 + pick(10);
      for (int part = 0, parts = 1 + pick(4); part < parts; ++part) {
        output += pick(3) == 0 ? 0 : pick(200);
        nlohmann::json block =
            chance(3) ? nlohmann::json{{"type", "tool_use"},
                                       {"id", id("toolu")},
                                       {"name", "Bash"},
                                       {"input", {{"n", pick(9)}}}}
                      : nlohmann::json{{"type", "text"}, {"text", "part " + std::to_string(part)}};
        out += record({{"type", "assistant"},
                       {"uuid", id("a")},
                       {"sessionId", session},
                       {"timestamp", tick()},
                       {"requestId", "req_" + message},
                       {"message",
                        {{"id", message},
                         {"model", "claude-x"},
                         {"content", {block}},
                         {"usage",
                          {{"input_tokens", pick(9)},
                           {"cache_read_input_tokens", pick(999)},
                           {"output_tokens", output}}}}}});
      }
    }
    return maybe_cut(out);
  }

  std::string codex() {
    std::string out = record(
        {{"timestamp", tick()},
         {"type", "session_meta"},
         {"payload", {{"id", "gen-codex-" + std::to_string(pick(1000))}, {"timestamp", tick()}}}});
    nlohmann::json total = {{"input_tokens", 0},
                            {"cached_input_tokens", 0},
                            {"output_tokens", 0},
                            {"reasoning_output_tokens", 0},
                            {"total_tokens", 0}};
    auto tokens = [&] {
      nlohmann::json last = {{"input_tokens", pick(500)},
                             {"cached_input_tokens", 0},
                             {"output_tokens", pick(50)},
                             {"reasoning_output_tokens", 0},
                             {"total_tokens", 0}};
      for (auto& [k, v] : last.items()) total[k] = total[k].get<int>() + v.get<int>();
      std::string events;
      for (int emit = 0, emits = 1 + pick(3); emit < emits; ++emit) {  // re-emits
        nlohmann::json info = {{"total_token_usage", total}};
        if (chance(2)) info["last_token_usage"] = last;
        events += record({{"timestamp", tick()},
                          {"type", "event_msg"},
                          {"payload", {{"type", "token_count"}, {"info", info}}}});
      }
      return events;
    };
    for (int exchange = 0; exchange < 5; ++exchange) {
      out +=
          record({{"timestamp", tick()},
                  {"type", "response_item"},
                  {"payload", {{"type", "message"}, {"role", "user"}, {"content", "q" + id("")}}}});
      for (int call = 0, calls = pick(3); call < calls; ++call) {
        const bool before = chance(2);
        if (before) out += tokens();
        const std::string call_id = id("call");
        out += record({{"timestamp", tick()},
                       {"type", "response_item"},
                       {"payload",
                        {{"type", "function_call"},
                         {"name", "shell"},
                         {"arguments", "{}"},
                         {"call_id", call_id}}}});
        out +=
            record({{"timestamp", tick()},
                    {"type", "response_item"},
                    {"payload",
                     {{"type", "function_call_output"}, {"call_id", call_id}, {"output", "ok"}}}});
        if (!before) out += tokens();
      }
      out += record(
          {{"timestamp", tick()},
           {"type", "response_item"},
           {"payload", {{"type", "message"}, {"role", "assistant"}, {"content", "answer"}}}});
      out += tokens();
    }
    return maybe_cut(out);
  }

  std::string gemini() {
    std::string out = record({{"sessionId", "gen-gemini-" + std::to_string(pick(1000))},
                              {"projectHash", "p"},
                              {"startTime", tick()}});
    std::vector<nlohmann::json> messages;
    for (int n = 0; n < 8; ++n) {
      nlohmann::json m = {{"id", id("m")},
                          {"timestamp", tick()},
                          {"type", n % 2 ? "gemini" : "user"},
                          {"content", "x"}};
      for (int version = 0, versions = 1 + pick(3); version < versions; ++version) {
        if (n % 2)
          m["tokens"] = {{"input", pick(100)},
                         {"output", pick(10)},
                         {"thoughts", pick(5)},
                         {"tool", 0},
                         {"total", 0}};
        out += record(m);
      }
      messages.push_back(m);
      if (chance(5)) out += record({{"$set", {{"lastUpdated", tick()}}}});
      if (chance(6))
        out += record(
            {{"$rewindTo",
              messages[static_cast<std::size_t>(pick(static_cast<int>(messages.size())))]["id"]}});
      if (chance(8)) out += record({{"$set", {{"messages", {messages.front()}}}}});
    }
    return maybe_cut(out);
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int one_in) { return pick(one_in) == 0; }
  std::string id(const std::string& prefix) { return prefix + std::to_string(++ids_); }
  // Times that advance, sometimes within the same millisecond.
  std::string tick() {
    if (!chance(3)) ms_ += 1 + pick(3000);
    char text[32];
    const long long s = ms_ / 1000;
    std::snprintf(text, sizeof text, "2026-02-01T%02lld:%02lld:%02lld.%03lldZ", (s / 3600) % 24,
                  (s / 60) % 60, s % 60, ms_ % 1000);
    return text;
  }
  static std::string record(const nlohmann::json& r) { return r.dump() + "\n"; }
  // Sometimes the agent is still writing its last line.
  std::string maybe_cut(std::string text) {
    if (chance(2)) text += "{\"type\":\"assistant\",\"uuid\":\"cut";
    return text;
  }

  std::mt19937 rng_;
  long long ms_ = 0;
  int ids_ = 0;
};

TEST(NativeGenerated, PropertiesHoldForGeneratedFiles) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Generator g(seed);
    expect_properties(g.claude(), "claude-code");
    expect_properties(g.codex(), "codex");
    expect_properties(g.gemini(), "gemini-cli");
  }
}

}  // namespace
