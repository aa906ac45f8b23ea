// Qwen Code: ~/.qwen/projects/<sanitized cwd>/chats/<session id>.jsonl
// (docs/reference/adapters.md, "Qwen Code"): Claude-like records (uuid,
// parentUuid, sessionId) around Gemini-like message parts.
//
// Two passes. The index pass (lethe's scanner, no DOM) finds each line's
// kind, which records lie on their session's conversation (the parentUuid
// chain from the session's last record: /rewind leaves the abandoned branch
// in the file) and whether a session records its model calls (ui_telemetry
// qwen-code.api_response). The read pass builds the turns in file order.
// The tokens of a call go to the assistant record that follows it; calls
// that no assistant record follows before the next prompt (a call that only
// ran tools, or one cut short) go to the last answer of that prompt, which
// is held open until then, else to the prompt itself.
#include <map>
#include <set>
#include <unordered_map>

#include "native/reader.hpp"

namespace lethe::native {

namespace {

// What the index pass found on a non-blank line.
enum class Kind : std::uint8_t { Invalid, Skip, Prompt, User, Assistant, Tool, System, Call };
struct LineInfo {
  Kind kind = Kind::Skip;
  bool rewound = false;  // not on its session's conversation (the chain from its last record)
};

constexpr std::array<std::string_view, 11> kIndexKeys = {
    "type",      "subtype", "sessionId", "agentId",       "uuid",     "parentUuid",
    "timestamp", "cwd",     "version",   "systemPayload", "gitBranch"};
enum IndexKey {
  kType,
  kSubtype,
  kSessionId,
  kAgentId,
  kUuid,
  kParentUuid,
  kTimestamp,
  kCwd,
  kVersion,
  kSystemPayload,
  kGitBranch
};

constexpr std::string_view kApiResponse = "qwen-code.api_response";

// The kind of a record from its type and subtype.
Kind kind_of(const std::optional<std::string>& type, const std::optional<std::string>& subtype) {
  if (type == "assistant") return Kind::Assistant;
  if (type == "tool_result") return Kind::Tool;
  if (type == "user") {
    if (!subtype) return Kind::Prompt;
    if (*subtype == "mid_turn_user_message" || *subtype == "realtime_message") return Kind::User;
    return Kind::Prompt;  // notification, cron, goal_runtime: a turn the model answers
  }
  if (type == "system" && (subtype == "chat_compression" || subtype == "slash_command")) {
    return Kind::System;
  }
  return Kind::Skip;
}

// A user record the person typed; the others (background notifications,
// cron prompts, goal runtime messages) are the CLI's.
bool typed_by_person(const Json& record) {
  const std::string* subtype = string_member(record, "subtype");
  return subtype == nullptr || *subtype == "mid_turn_user_message" ||
         *subtype == "realtime_message";
}

// The event name of a ui_telemetry record's systemPayload.uiEvent.
std::optional<std::string> event_name(const json::Value* payload) {
  if (payload == nullptr || payload->type != json::Type::Object) return std::nullopt;
  Members<1> inner;
  json::ScanError error;
  if (!scan_members(payload->raw, std::array<std::string_view, 1>{"uiEvent"}, inner, error) ||
      inner[0] == nullptr || inner[0]->type != json::Type::Object) {
    return std::nullopt;
  }
  return string_member_of_scanned(inner[0]->raw, "event.name");
}

// The tokens of one or more model calls. Qwen's input count includes the
// cache (it folds Anthropic's split fields into it); whether output includes
// the thoughts depends on the provider (OpenAI-style: total = input +
// output; Gemini: total = input + output + thoughts), so tokens_out is the
// total less the input where the total covers the output.
struct CallTokens {
  TokenCount in = 0;
  TokenCount out = 0;
  TokenCount cached = 0;
  TokenCount thoughts = 0;
  std::int64_t requests = 0;
  Json response_ids = Json::array();

  // One call's counters under the names of `keys` (input, output, cached,
  // thoughts, tool, total).
  void add(const Json& counts, const std::array<const char*, 6>& keys) {
    const TokenCount input = token_count(counts, keys[0]);
    const TokenCount output = token_count(counts, keys[1]);
    const TokenCount tool = token_count(counts, keys[4]);
    const TokenCount total = token_count(counts, keys[5]);
    const TokenCount call_in = checked_sum({input, tool});
    TokenCount call_out = output;
    if (call_in && total && output && *total >= *call_in && *total - *call_in >= *output) {
      call_out = *total - *call_in;
    }
    in = checked_sum({in, call_in});
    out = checked_sum({out, call_out});
    cached = checked_sum({cached, token_count(counts, keys[2])});
    thoughts = checked_sum({thoughts, token_count(counts, keys[3])});
    ++requests;
  }

  void add(const CallTokens& other) {
    in = checked_sum({in, other.in});
    out = checked_sum({out, other.out});
    cached = checked_sum({cached, other.cached});
    thoughts = checked_sum({thoughts, other.thoughts});
    requests += other.requests;
    for (const Json& id : other.response_ids) response_ids.push_back(id);
  }

  void put_on(Turn& turn) const {
    if (requests == 0) return;
    Json& meta = turn.metadata;
    meta["requests"] = requests;
    if (!response_ids.empty()) meta["response_ids"] = response_ids;
    if (!in || !out || !cached || !thoughts) {
      meta["usage_invalid"] = true;
      return;
    }
    meta["usage"] =
        Json{{"input", *in}, {"output", *out}, {"cached", *cached}, {"thoughts", *thoughts}};
    if (*in == 0 && *out == 0) {
      meta["usage_missing"] = true;
      return;
    }
    turn.tokens_in = in;
    turn.tokens_out = out;
    meta["cache_read_tokens"] = *cached;
    meta["reasoning_tokens"] = *thoughts;
  }
};

constexpr std::array<const char*, 6> kTelemetryKeys = {
    "input_token_count",    "output_token_count", "cached_content_token_count",
    "thoughts_token_count", "tool_token_count",   "total_token_count"};
constexpr std::array<const char*, 6> kUsageMetadataKeys = {
    "promptTokenCount",   "candidatesTokenCount",    "cachedContentTokenCount",
    "thoughtsTokenCount", "toolUsePromptTokenCount", "totalTokenCount"};

// Per session, the calls not yet given to a turn, and the turns that may
// still take some.
struct TokenState {
  bool from_telemetry = false;        // the session records its calls
  CallTokens waiting;                 // calls since the last assistant record
  std::optional<std::size_t> answer;  // slot of the last assistant turn of the prompt (open)
  CallTokens answer_tokens;
  std::optional<std::size_t> prompt;  // slot of the prompt, open until its first answer
};

class QwenReader : public Reader {
 public:
  QwenReader(std::string_view data, Output& out) : out_(out), records_(data, out) { index(data); }

  bool step() override {
    Line line;
    if (!records_.next_line(line)) {
      for (auto& [session, state] : tokens_) end_prompt(state);
      return false;
    }
    const LineInfo info = lines_[next_line_++];
    read_record(line.text, info, {line.number, line.byte_offset});
    return true;
  }

 private:
  // ---- The index pass

  // Per session: the line of each uuid and of each record's parent, and
  // the session's last record, to walk the conversation back from it.
  struct Chain {
    std::unordered_map<std::string, std::size_t> line_of;
    std::size_t last = 0;
    bool has_last = false;
  };

  void index(std::string_view data) {
    std::map<std::size_t, Chain> chains;
    std::vector<std::optional<std::size_t>> parent;  // per line: the parent record's line
    std::set<std::size_t> seen_sessions;
    index_lines(data, kIndexKeys, lines_, [&](const Line&, LineInfo& info, const auto& m) {
      const std::size_t line = lines_.size() - 1;
      parent.resize(lines_.size());
      info.kind = kind_of(string_value(m[kType]), string_value(m[kSubtype]));
      const auto key = session_key(string_value(m[kSessionId]), string_value(m[kAgentId]));
      if (!key) return;
      const std::size_t session = out_.session(*key);
      note_session_facts(m, out_.session_at(session), seen_sessions.insert(session).second);
      if (string_value(m[kSubtype]) == "ui_telemetry" &&
          event_name(m[kSystemPayload]) == kApiResponse) {
        info.kind = Kind::Call;
        tokens_[session].from_telemetry = true;
      }
      Chain& chain = chains[session];
      if (const auto up = string_value(m[kParentUuid])) {  // always an earlier line
        const auto found = chain.line_of.find(*up);
        if (found != chain.line_of.end()) parent[line] = found->second;
      }
      if (const auto uuid = string_value(m[kUuid])) {
        chain.line_of[*uuid] = line;
        chain.last = line;
        chain.has_last = true;
      }
    });
    parent.resize(lines_.size());
    // Everything is rewound but the chain from each session's last record.
    for (LineInfo& info : lines_) info.rewound = true;
    for (const auto& [session, chain] : chains) {
      if (!chain.has_last) continue;
      for (std::optional<std::size_t> at = chain.last; at && lines_[*at].rewound;
           at = parent[*at]) {
        lines_[*at].rewound = false;
      }
    }
  }

  // A sub-agent's records carry their parent's sessionId and an agentId.
  static std::optional<std::string> session_key(const std::optional<std::string>& session,
                                                const std::optional<std::string>& agent) {
    if (!session || session->empty()) return std::nullopt;
    if (!agent || agent->empty()) return session;
    return *session + ":agent-" + *agent;
  }

  // started_at, working_dir and metadata from every record of the session.
  static void note_session_facts(const Members<kIndexKeys.size()>& m, Session& session,
                                 bool first_record) {
    note_envelope_facts(
        {m[kTimestamp], m[kCwd], m[kVersion], m[kGitBranch], m[kAgentId], m[kSessionId]}, session,
        first_record);
  }

  // ---- The read pass

  void read_record(std::string_view text, const LineInfo& info, Position at) {
    if (info.kind == Kind::Invalid) {
      invalid_indexed_line(out_, text, at);
      return;
    }
    if (info.kind == Kind::Skip) {
      out_.skip();  // snapshots, titles, other telemetry, rewind markers, unknown kinds
      return;
    }
    ParsedRecord parsed;
    Json& record = parsed.value;
    parse_scanned(text, record);
    std::size_t session = 0;
    NormalizedTime time{};
    if (!common_fields(record, at, session, time)) return;
    if (info.kind == Kind::Call) {
      call(record, session);
      return;
    }
    const std::string* uuid = string_member(record, "uuid");
    if (uuid == nullptr || uuid->empty()) {
      out_.problem(at, member(record, "uuid") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "uuid", "a record needs a uuid");
      return;
    }
    if (info.kind == Kind::System) {
      system(record, *uuid, at, session, time, info.rewound);
      return;
    }
    Json* message = member(record, "message");
    if (message == nullptr || !message->is_object()) {
      out_.problem(at, message == nullptr ? ErrorCode::MissingField : ErrorCode::InvalidField,
                   "message", "message must be an object");
      return;
    }
    if (info.kind == Kind::Assistant) {
      assistant(record, *message, *uuid, at, session, time, info.rewound);
    } else if (info.kind == Kind::Tool) {
      tool(record, *message, *uuid, at, session, time, info.rewound);
    } else {
      user(record, *message, *uuid, at, session, time, info);
    }
  }

  // The session and time every mapped record needs.
  bool common_fields(const Json& record, Position at, std::size_t& session, NormalizedTime& time) {
    const std::string* id = string_member(record, "sessionId");
    if (id == nullptr || id->empty()) {
      out_.problem(at,
                   member(record, "sessionId") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "sessionId", "sessionId must be a non-empty string");
      return false;
    }
    const auto parsed = required_time(record, "timestamp", "timestamp", at, out_);
    if (!parsed) return false;
    const std::string* agent = string_member(record, "agentId");
    session = out_.session(agent != nullptr && !agent->empty() ? *id + ":agent-" + *agent : *id);
    time = *parsed;
    return true;
  }

  Turn& new_turn(Position at, std::size_t session, const std::string& uuid, const char* role,
                 NormalizedTime time, const char* native_type, bool rewound, bool open = false) {
    Turn& turn = out_.add_turn(at, session, uuid, role, time, open);
    turn.metadata["native_type"] = native_type;
    turn.metadata["uuid"] = uuid;
    if (rewound) turn.metadata["rewound"] = true;
    return turn;
  }

  // One model call: its tokens wait for the assistant record that follows.
  void call(const Json& record, std::size_t session) {
    const Json* payload = member(record, "systemPayload");
    const Json* event = payload != nullptr ? member(*payload, "uiEvent") : nullptr;
    if (event == nullptr || !event->is_object()) return;
    CallTokens& waiting = tokens_[session].waiting;
    waiting.add(*event, kTelemetryKeys);
    if (const std::string* id = string_member(*event, "response_id"); id && !id->empty()) {
      waiting.response_ids.push_back(*id);
    }
    out_.skip();
  }

  // The texts of a message's parts: plain text (thoughts apart), and images
  // as placeholders. Moves the texts out of `parts` (the record's DOM).
  static void part_texts(Json& parts, std::vector<std::string>& texts, Json* thoughts) {
    if (!parts.is_array()) return;
    for (Json& part : parts) {
      if (std::string* text = string_member(part, "text")) {
        if (true_member(part, "thought")) {
          if (thoughts != nullptr) thoughts->push_back(std::move(*text));
        } else {
          texts.push_back(std::move(*text));
        }
      } else if (const Json* inline_data = member(part, "inlineData")) {
        const std::string* media = string_member(*inline_data, "mimeType");
        const std::string* data = string_member(*inline_data, "data");
        texts.push_back(image_placeholder(media ? *media : "", data ? *data : ""));
      }
    }
  }

  void user(const Json& record, Json& message, const std::string& uuid, Position at,
            std::size_t session, NormalizedTime time, const LineInfo& info) {
    const bool person = typed_by_person(record);
    TokenState& state = tokens_[session];
    if (info.kind == Kind::Prompt) end_prompt(state);  // the previous prompt's calls are in
    std::vector<std::string> texts;
    if (Json* parts = member(message, "parts")) part_texts(*parts, texts, nullptr);
    const bool prompt = info.kind == Kind::Prompt;
    Turn& turn =
        new_turn(at, session, uuid, person ? "user" : "system", time, "user", info.rewound, prompt);
    if (const std::string* subtype = string_member(record, "subtype")) {
      turn.metadata["subtype"] = *subtype;
    }
    if (auto text = join_texts(std::move(texts))) out_.set_content(turn, std::move(*text));
    if (prompt) state.prompt = out_.last_slot();
  }

  void assistant(const Json& record, Json& message, const std::string& uuid, Position at,
                 std::size_t session, NormalizedTime time, bool rewound) {
    TokenState& state = tokens_[session];
    close_answer(state);
    if (state.prompt) {
      out_.close(*state.prompt);  // answered: it takes no tokens
      state.prompt.reset();
    }
    std::vector<std::string> texts;
    Json thoughts = Json::array();
    Json calls = Json::array();
    if (Json* parts = member(message, "parts")) {
      part_texts(*parts, texts, &thoughts);
      for (Json& part : *parts) {
        if (Json* function_call = member(part, "functionCall")) {
          calls.push_back(tool_call(*function_call));
        }
      }
    }
    Turn& turn =
        new_turn(at, session, uuid, "assistant", time, "assistant", rewound, state.from_telemetry);
    if (const std::string* model = string_member(record, "model")) turn.model = *model;
    if (auto text = join_texts(std::move(texts))) out_.set_content(turn, std::move(*text));
    if (!thoughts.empty()) turn.metadata["thoughts"] = std::move(thoughts);
    if (!calls.empty()) turn.tool_calls = std::move(calls);
    if (!state.from_telemetry) {  // an older file: the record's own usage
      if (const Json* usage = member(record, "usageMetadata"); usage && usage->is_object()) {
        CallTokens own;
        own.add(*usage, kUsageMetadataKeys);
        own.put_on(turn);
      }
      return;
    }
    state.answer = out_.last_slot();
    state.answer_tokens = std::move(state.waiting);
    state.waiting = CallTokens{};
  }

  static Json tool_call(Json& function_call) {
    Json entry = Json::object();
    Json* id = member(function_call, "id");
    Json* name = member(function_call, "name");
    Json* args = member(function_call, "args");
    entry["id"] = id != nullptr ? std::move(*id) : Json();
    entry["name"] = name != nullptr ? std::move(*name) : Json();
    entry["input"] = args != nullptr ? std::move(*args) : Json();
    return entry;
  }

  // The answer's calls are all in: its tokens, and it is handed out.
  void close_answer(TokenState& state) {
    if (!state.answer) return;
    state.answer_tokens.put_on(out_.turn_at(*state.answer));
    out_.close(*state.answer);
    state.answer.reset();
    state.answer_tokens = CallTokens{};
  }

  // A new prompt (or the end): calls no assistant record followed go to the
  // prompt's last answer, else to the prompt.
  void end_prompt(TokenState& state) {
    if (state.answer) {
      state.answer_tokens.add(state.waiting);
      state.waiting = CallTokens{};
      close_answer(state);
    }
    if (state.prompt) {
      state.waiting.put_on(out_.turn_at(*state.prompt));
      state.waiting = CallTokens{};
      out_.close(*state.prompt);
      state.prompt.reset();
    }
  }

  void tool(const Json& record, Json& message, const std::string& uuid, Position at,
            std::size_t session, NormalizedTime time, bool rewound) {
    std::vector<std::string> outputs;
    Json call_ids = Json::array();
    bool is_error = false;
    if (Json* parts = member(message, "parts"); parts && parts->is_array()) {
      for (Json& part : *parts) {
        Json* response = member(part, "functionResponse");
        if (response == nullptr) continue;
        if (const std::string* id = string_member(*response, "id")) call_ids.push_back(*id);
        is_error |= response_text(*response, outputs);
      }
    }
    Turn& turn = new_turn(at, session, uuid, "tool", time, "tool_result", rewound);
    turn.metadata["call_ids"] = std::move(call_ids);
    const Json* result = member(record, "toolCallResult");
    const std::string* status = result != nullptr ? string_member(*result, "status") : nullptr;
    if (status != nullptr) turn.metadata["status"] = *status;
    turn.metadata["is_error"] = is_error || (status != nullptr && *status == "error");
    if (auto text = join_texts(std::move(outputs))) out_.set_content(turn, std::move(*text));
  }

  // A functionResponse's text: response.output, else response.error, else
  // the JSON of response. True when it is an error.
  static bool response_text(Json& response, std::vector<std::string>& outputs) {
    Json* body = member(response, "response");
    if (body == nullptr) return false;
    if (std::string* output = string_member(*body, "output")) {
      outputs.push_back(std::move(*output));
      return false;
    }
    if (std::string* error = string_member(*body, "error")) {
      outputs.push_back(std::move(*error));
      return true;
    }
    outputs.push_back(body->dump(-1, ' ', false, Json::error_handler_t::replace));
    return false;
  }

  void system(const Json& record, const std::string& uuid, Position at, std::size_t session,
              NormalizedTime time, bool rewound) {
    const std::string subtype = *string_member(record, "subtype");
    const Json* payload = member(record, "systemPayload");
    if (subtype == "slash_command") {
      const std::string* phase = payload ? string_member(*payload, "phase") : nullptr;
      if (phase != nullptr && *phase != "invocation") {
        out_.skip();  // the command's output, replayed by the UI
        return;
      }
    }
    Turn& turn = new_turn(at, session, uuid, "system", time, "system", rewound);
    turn.metadata["subtype"] = subtype;
    const std::string* command = payload ? string_member(*payload, "rawCommand") : nullptr;
    if (command != nullptr) out_.set_content(turn, *command);
  }

  Output& out_;
  RecordReader records_;
  std::vector<LineInfo> lines_;  // per non-blank line
  std::size_t next_line_ = 0;
  std::map<std::size_t, TokenState> tokens_;  // per session
};

}  // namespace

std::unique_ptr<Reader> qwen_reader(std::string_view data, Output& out) {
  return std::make_unique<QwenReader>(data, out);
}

}  // namespace lethe::native
