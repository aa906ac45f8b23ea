// The memory bound of a native ingest (docs/reference/native-formats.md, "What it
// costs"): lethe_ingest pulls the wire lines from the converter one at a
// time, so a call on a native transcript holds what the format must hold
// back and the chunks in flight, never a copy of the file. A binary of its
// own because it replaces operator new for the whole process (the loaded
// lethe module included) to count the C++ heap in use; SQLite's own memory
// and the bound input are not C++ heap. Counted in bytes, not timed: the
// same on a loaded machine.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>

#include "support/e2e_support.hpp"

namespace {

std::atomic<std::size_t> g_live{0};
std::atomic<std::size_t> g_peak{0};

void* counted(void* p) {
  if (p == nullptr) return nullptr;
  const std::size_t live = g_live += malloc_usable_size(p);
  std::size_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
  return p;
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  g_live -= malloc_usable_size(p);
  std::free(p);
}

}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted(std::malloc(n != 0 ? n : 1))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted(std::malloc(n != 0 ? n : 1));
}
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept {
  return ::operator new(n, tag);
}
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }

namespace {

using lethe_test::Db;

constexpr std::size_t kInputBytes = std::size_t{48} << 20;
// What a call may hold above its input: the chunks alive at once (the one
// being filled, the one parsed ahead, the one being written, and a written
// one the parsing thread has not freed yet, at most these four: which exist depends on
// how the two threads interleave), each at most 8 MiB of wire lines
// (kMaxChunkBytes) and its parsed rows; the format's held-back turns; the
// index of the file. Measured at 48 MiB of input: Claude Code 20, Codex 22,
// Gemini CLI 32 MiB on an idle machine, Gemini 43 MiB in a CI run with other
// tests beside it (one chunk more alive); at 144 MiB: 23, 27, 56 MiB (a
// Gemini log's index keeps each message id, ~250 bytes per message: it grows
// with the file, slowly). The bound is the ingest goal's 64 MiB over the
// input less 8 MiB for what is not C++ heap (SQLite's page cache, the
// shell). Whole-file conversion held every produced line: more than twice
// the input, 96 MiB and up here.
constexpr std::size_t kBoundBytes = std::size_t{56} << 20;

std::string words(int n, int seed) {
  static const char* const kWords[] = {"the", "file",  "test",   "run",    "build", "error",
                                       "fix", "value", "return", "module", "cache", "session"};
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ' ';
    out += kWords[(i * 7 + seed) % 12];
  }
  return out;
}

std::string stamp(int n) {
  char text[40];
  std::snprintf(text, sizeof text, "2026-01-%02dT%02d:%02d:%02d.000Z", 1 + n / 86400 % 28,
                n / 3600 % 24, n / 60 % 60, n % 60);
  return text;
}

// One long session of each agent, in the shape of bench/gen_native.py.
std::string claude_file() {
  std::string out;
  const std::string base =
      R"("sessionId":"s1","cwd":"/home/ana/proj","version":"2.1.40","gitBranch":"main")";
  for (int i = 0, t = 0; out.size() < kInputBytes; ++i) {
    const std::string n = std::to_string(i);
    out += R"({"type":"user","uuid":"u)" + n + R"(","timestamp":")" + stamp(t++) + "\"," + base +
           R"(,"message":{"role":"user","content":")" + words(60, i) + "\"}}\n";
    for (int part = 0; part < 3; ++part) {
      out += R"({"type":"assistant","uuid":"a)" + n + "-" + std::to_string(part) +
             R"(","timestamp":")" + stamp(t++) + "\"," + base + R"(,"requestId":"r)" + n +
             R"(","message":{"id":"m)" + n +
             R"(","model":"claude-x","role":"assistant","content":[{"type":"text","text":")" +
             words(200, i + part) +
             R"("}],"stop_reason":null,"usage":{"input_tokens":3,"output_tokens":)" +
             std::to_string(8 + 100 * part) + "}}}\n";
    }
    out += R"({"type":"user","uuid":"t)" + n + R"(","timestamp":")" + stamp(t++) + "\"," + base +
           R"(,"message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"x)" + n +
           R"(","content":")" + words(300, i) + "\"}]}}\n";
  }
  return out;
}

std::string codex_file() {
  std::string out =
      R"({"timestamp":"2026-01-01T00:00:00.000Z","type":"session_meta","payload":{"id":"c1","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}})"
      "\n";
  auto envelope = [&](int t, const char* type, const std::string& payload) {
    out += R"({"timestamp":")" + stamp(t) + R"(","type":")" + type + R"(","payload":)" + payload +
           "}\n";
  };
  for (int i = 0, t = 1; out.size() < kInputBytes; ++i) {
    const std::string n = std::to_string(i);
    envelope(t++, "response_item",
             R"({"type":"message","role":"user","content":[{"type":"input_text","text":")" +
                 words(60, i) + "\"}]}");
    envelope(t++, "response_item",
             R"({"type":"function_call","name":"shell","arguments":"{}","call_id":"c)" + n + "\"}");
    envelope(t++, "response_item",
             R"({"type":"function_call_output","call_id":"c)" + n + R"(","output":")" +
                 words(500, i) + "\"}");
    envelope(t++, "response_item",
             R"({"type":"message","role":"assistant","content":[{"type":"output_text","text":")" +
                 words(150, i) + "\"}]}");
    envelope(t++, "event_msg",
             R"({"type":"token_count","info":{"total_token_usage":{"input_tokens":)" +
                 std::to_string(100 * (i + 1)) + R"(,"output_tokens":)" +
                 std::to_string(10 * (i + 1)) + "}}}");
  }
  return out;
}

std::string gemini_file() {
  std::string out = R"({"sessionId":"g1","projectHash":"p","startTime":"2026-01-01T00:00:00.000Z"})"
                    "\n";
  for (int i = 0, t = 1; out.size() < kInputBytes; ++i) {
    const std::string n = std::to_string(i);
    out += R"({"id":"u)" + n + R"(","timestamp":")" + stamp(t++) +
           R"(","type":"user","content":[{"text":")" + words(60, i) + "\"}]}\n";
    const std::string head = R"({"id":"g)" + n + R"(","timestamp":")" + stamp(t++) +
                             R"(","type":"gemini","model":"gemini-x","content":")";
    out += head + words(50, i) + "\"}\n";  // rewritten as it streams
    out += head + words(150, i) + R"(","tokens":{"input":5,"output":9,"total":14}})" + "\n";
  }
  return out;
}

std::string qwen_file() {
  std::string out;
  std::string parent = "null";
  const std::string base =
      R"("sessionId":"q1","cwd":"/home/ana/proj","version":"0.21.6","gitBranch":"main")";
  auto record = [&](const std::string& uuid, int t, const std::string& rest) {
    out += R"({"uuid":")" + uuid + R"(","parentUuid":)" + parent + R"(,"timestamp":")" + stamp(t) +
           "\"," + base + "," + rest + "}\n";
    parent = "\"" + uuid + "\"";
  };
  for (int i = 0, t = 0; out.size() < kInputBytes; ++i) {
    const std::string n = std::to_string(i);
    record("u" + n, t++,
           R"("type":"user","message":{"role":"user","parts":[{"text":")" + words(60, i) + "\"}]}");
    record(
        "c" + n, t++,
        R"("type":"system","subtype":"ui_telemetry","systemPayload":{"uiEvent":{"event.name":"qwen-code.api_response","response_id":"r)" +
            n +
            R"(","input_token_count":2050,"output_token_count":120,"thoughts_token_count":80,"total_token_count":2170}})");
    record(
        "a" + n, t++,
        R"("type":"assistant","model":"qwen3-coder-plus","message":{"role":"model","parts":[{"text":")" +
            words(100, i) + R"(","thought":true},{"text":")" + words(150, i) +
            R"("},{"functionCall":{"id":"k)" + n + R"(","name":"read_file","args":{"p":"x"}}}]})");
    record(
        "t" + n, t++,
        R"("type":"tool_result","message":{"role":"user","parts":[{"functionResponse":{"id":"k)" +
            n + R"(","name":"read_file","response":{"output":")" + words(300, i) + "\"}}}]}");
  }
  return out;
}

std::string copilot_file() {
  std::string out =
      R"({"type":"session.start","data":{"sessionId":"cp1","copilotVersion":"1.0.78","startTime":"2026-01-01T00:00:00.000Z","context":{"cwd":"/w"}},"id":"e0","timestamp":"2026-01-01T00:00:00.000Z","parentId":null})"
      "\n";
  auto event = [&](const char* type, const std::string& id, int t, const std::string& data) {
    out += R"({"type":")" + std::string(type) + R"(","data":)" + data + R"(,"id":")" + id +
           R"(","timestamp":")" + stamp(t) + R"(","parentId":null})" + "\n";
  };
  for (int i = 0, t = 1; out.size() < kInputBytes; ++i) {
    const std::string n = std::to_string(i);
    event("user.message", "u" + n, t++, R"({"content":")" + words(60, i) + "\"}");
    event("assistant.message", "a" + n, t++,
          R"({"messageId":"m)" + n + R"(","model":"m1","content":")" + words(150, i) +
              R"(","reasoningText":")" + words(100, i) + R"(","toolRequests":[{"toolCallId":"k)" +
              n + R"(","name":"view","arguments":{"p":"x"}}],"outputTokens":300})");
    event("tool.execution_start", "s" + n, t++,
          R"({"toolCallId":"k)" + n + R"(","toolName":"view"})");
    event("tool.execution_complete", "c" + n, t++,
          R"({"toolCallId":"k)" + n + R"(","success":true,"result":{"content":")" + words(300, i) +
              "\"}}");
  }
  event(
      "session.shutdown", "x", 0,
      R"({"modelMetrics":{"m1":{"requests":{"count":1},"usage":{"inputTokens":5,"outputTokens":5}}}})");
  return out;
}

std::string cursor_file() {
  std::string out;
  for (int i = 0; out.size() < kInputBytes; ++i) {
    const std::string n = std::to_string(i);
    out +=
        R"({"role":"user","message":{"content":[{"type":"text","text":"<timestamp>Friday, Mar 6, 2026, 2:15 PM (UTC+1)</timestamp>\n<user_query>)" +
        words(60, i) + R"(</user_query>"}]}})" + "\n";
    out += R"({"role":"assistant","message":{"content":[{"type":"thinking","thinking":")" +
           words(100, i) + R"("},{"type":"text","text":")" + words(150, i) +
           R"("},{"type":"tool_use","id":"t)" + n + R"(","name":"Read","input":{"p":"x"}}]}})" +
           "\n";
    out += R"({"role":"assistant","message":{"content":")" + words(300, i) + "\"}}\n";
  }
  return out;
}

// One OpenCode session as lethe exports it from the database: a prompt, an
// answer of reasoning, a tool call with its result, a text and its
// step-finish part.
std::string opencode_file() {
  std::string out =
      R"({"record":"session","agent":"opencode","id":"ses_1","directory":"/w","version":"1.18.13","time_created":1767225600000})"
      "\n";
  std::int64_t t = 1767225600000;
  auto row = [&](const char* record, const std::string& id, const std::string& message,
                 const std::string& data) {
    out += R"({"record":")" + std::string(record) + R"(","id":")" + id + R"(","session":"ses_1",)" +
           (message.empty() ? "" : R"("message":")" + message + "\",") + R"("time_created":)" +
           std::to_string(t++) + R"(,"data":)" + data + "}\n";
  };
  for (int i = 0; out.size() < kInputBytes; ++i) {
    const std::string n = std::to_string(i);
    row("message", "mu" + n, "", R"({"role":"user","time":{"created":)" + std::to_string(t) + "}}");
    row("part", "pu" + n, "mu" + n, R"({"type":"text","text":")" + words(60, i) + "\"}");
    row("message", "ma" + n, "",
        R"({"role":"assistant","modelID":"m1","time":{"created":)" + std::to_string(t) + "}}");
    row("part", "pr" + n, "ma" + n, R"({"type":"reasoning","text":")" + words(100, i) + "\"}");
    row("part", "pt" + n, "ma" + n,
        R"({"type":"tool","tool":"read","callID":"k)" + n +
            R"(","state":{"status":"completed","input":{"p":"x"},"output":")" + words(300, i) +
            "\"}}");
    row("part", "px" + n, "ma" + n, R"({"type":"text","text":")" + words(150, i) + "\"}");
    row("part", "pf" + n, "ma" + n,
        R"({"type":"step-finish","tokens":{"input":10,"output":300,"reasoning":0,"cache":{"read":0,"write":0}},"cost":0})");
  }
  return out;
}

// One Goose session as lethe exports it from goose's database: a prompt, an
// answer of thinking, text and a tool request, the tool's response, and the
// request's usage row.
std::string goose_file() {
  std::string out =
      R"({"record":"session","agent":"goose","id":"g1","session_type":"user","working_dir":"/w","created_at":"2026-03-01T10:00:00.000Z","updated_at":"2026-03-01T10:05:00.000Z","provider_name":"anthropic","model_config":{"model_name":"m1","context_limit":null},"parent_session_id":null,"schedule_id":null,"accumulated":null,"ledger":null})"
      "\n";
  int row = 0;
  auto message = [&](const std::string& id, const char* role, const char* time,
                     const std::string& content) {
    out += R"({"record":"message","session":"g1","row":)" + std::to_string(++row) +
           R"(,"message_id":")" + id + R"(","role":")" + role + R"(","time":")" + time +
           R"(","content":)" + content +
           R"(,"metadata":{"userVisible":true,"agentVisible":true}})" + "\n";
  };
  for (int i = 0; out.size() < kInputBytes; ++i) {
    const std::string n = std::to_string(i);
    message("u" + n, "user", "2026-03-01T10:00:00.000Z",
            R"([{"type":"text","text":")" + words(60, i) + "\"}]");
    message(
        "a" + n, "assistant", "2026-03-01T10:00:10.000Z",
        R"([{"type":"thinking","thinking":")" + words(100, i) +
            R"(","signature":""},{"type":"text","text":")" + words(150, i) +
            R"("},{"type":"toolRequest","id":"c)" + n +
            R"(","toolCall":{"status":"success","value":{"name":"read","arguments":{"p":"x"}}}}])");
    message(
        "r" + n, "user", "2026-03-01T10:00:12.000Z",
        R"([{"type":"toolResponse","id":"c)" + n +
            R"(","toolResult":{"status":"success","value":{"content":[{"type":"text","text":")" +
            words(300, i) + R"("}],"isError":false}}}])");
    out +=
        R"({"record":"usage","session":"g1","row":)" + std::to_string(i + 1) +
        R"(,"time":"2026-03-01T10:00:10.000Z","model":"m1","input_tokens":1200,"output_tokens":100,"total_tokens":1300,"cache_read_tokens":0,"cache_write_tokens":0,"cost":null,"cost_source":null,"is_compaction":0})"
        "\n";
  }
  return out;
}

// One Crush session as lethe exports it from a project's crush.db: a prompt,
// an answer of reasoning, text and a tool call, and the tool's result.
std::string crush_file() {
  const std::string session = "c0c0a001-0000-4000-8000-000000000001";
  std::string out =
      R"({"record":"session","agent":"crush","id":")" + session +
      R"(","parent_session_id":null,"message_count":0,"prompt_tokens":12000,"completion_tokens":800,"cost":0.042,"summary_message_id":null,"created_at":"2026-03-01T10:00:00.000Z","updated_at":"2026-03-01T10:01:40.000Z"})"
      "\n";
  auto message = [&](const std::string& id, const char* role, const char* time,
                     const char* finished_model_provider, const std::string& parts) {
    out += R"({"record":"message","session":")" + session + R"(","id":")" + id + R"(","role":")" +
           role + R"(","time":")" + time + "\"," + finished_model_provider +
           R"(,"is_summary":0,"parts":)" + parts + "}\n";
  };
  constexpr const char* kNone = R"("finished":null,"model":null,"provider":null)";
  for (int i = 0; out.size() < kInputBytes; ++i) {
    const std::string n = std::to_string(i);
    message("u" + n, "user", "2026-03-01T10:00:00.000Z", kNone,
            R"([{"type":"text","data":{"text":")" + words(60, i) + "\"}}]");
    message(
        "a" + n, "assistant", "2026-03-01T10:00:10.000Z",
        R"("finished":"2026-03-01T10:00:15.000Z","model":"m1","provider":"anthropic")",
        R"([{"type":"reasoning","data":{"thinking":")" + words(100, i) +
            R"(","signature":""}},{"type":"text","data":{"text":")" + words(150, i) +
            R"("}},{"type":"tool_call","data":{"id":"t)" + n +
            R"(","name":"view","input":"{\"p\":\"x\"}","provider_executed":false,"finished":true}},{"type":"finish","data":{"reason":"tool_use","time":1772359215}}])");
    message("r" + n, "tool", "2026-03-01T10:00:16.000Z", kNone,
            R"([{"type":"tool_result","data":{"tool_call_id":"t)" + n +
                R"(","name":"view","content":")" + words(300, i) +
                R"(","data":"","mime_type":"","metadata":"","is_error":false}}])");
  }
  return out;
}

// The C++ heap a call used above what was in use before it.
std::size_t heap_above_input(const std::string& data, const char* format) {
  Db db;
  db.apply_schema();
  const std::size_t before = g_live.load();
  g_peak = before;
  const lethe_test::Result r =
      db.query(std::string("SELECT count(*) FROM lethe_ingest('ana', ?1, json_object('format', '") +
                   format + "', 'host', 'h'))",
               data);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rows.at(0).at(0), "0") << "every line should be accepted";
  const lethe_test::Result turns = db.query("SELECT count(*) FROM turns");
  EXPECT_GT(std::stoll(*turns.rows.at(0).at(0)), 10000);
  return g_peak.load() - before;
}

TEST(NativeMemory, AnIngestHoldsABoundedAmountWhateverTheFileSize) {
  const struct {
    const char* format;
    std::string (*make)();
  } cases[] = {
      {"claude-code", claude_file}, {"codex", codex_file},         {"gemini-cli", gemini_file},
      {"qwen-code", qwen_file},     {"copilot-cli", copilot_file}, {"cursor-cli", cursor_file},
      {"opencode", opencode_file},  {"goose", goose_file},         {"crush", crush_file}};
  for (const auto& c : cases) {
    const std::string data = c.make();
    ASSERT_GE(data.size(), kInputBytes);
    const std::size_t used = heap_above_input(data, c.format);
    std::printf("%s: %.1f MiB of C++ heap above a %.1f MiB input\n", c.format,
                static_cast<double>(used) / (1 << 20),
                static_cast<double>(data.size()) / (1 << 20));
    EXPECT_LE(used, kBoundBytes) << c.format;
  }
}

// lethe_sync holds a file's bytes until they are written, at most the one
// being written and the one read ahead, never the home: 24 files of 2 MiB
// stay within two files and the chunks in flight.
TEST(NativeMemory, ASyncHoldsTwoFilesAtATimeNotTheHome) {
  std::string one = claude_file().substr(0, std::size_t{2} << 20);
  one.resize(one.rfind('\n') + 1);
  const std::filesystem::path home = lethe_test::temp_dir() / "home";
  const std::filesystem::path project = home / ".claude" / "projects" / "p";
  std::filesystem::create_directories(project);
  std::size_t total = 0;
  for (int n = 0; n < 24; ++n) {
    std::string file = one;
    const std::string id = "\"sessionId\":\"s" + std::to_string(n) + "\"";
    for (std::size_t at = 0; (at = file.find("\"sessionId\":\"s1\"", at)) != std::string::npos;
         at += id.size()) {
      file.replace(at, 16, id);
    }
    std::ofstream(project / ("s" + std::to_string(n) + ".jsonl"), std::ios::binary) << file;
    total += file.size();
  }
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  for (const auto& entry : std::filesystem::directory_iterator(project)) {
    std::filesystem::last_write_time(entry.path(), old);
  }
  Db db;
  db.apply_schema();
  const std::size_t before = g_live.load();
  g_peak = before;
  const lethe_test::Result r = db.query(
      "SELECT count(*) FROM lethe_sync(?1, '{\"host\": \"h\", \"owner\": \"o\"}') WHERE code = "
      "'READ'",
      home.string());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rows.at(0).at(0), "24");
  const std::size_t used = g_peak.load() - before;
  std::printf("sync: %.1f MiB of C++ heap for a home of %.1f MiB\n",
              static_cast<double>(used) / (1 << 20), static_cast<double>(total) / (1 << 20));
  EXPECT_LE(used, std::size_t{32} << 20) << "a sync must not hold the home's files";
  std::filesystem::remove_all(home.parent_path());
}

}  // namespace
