// Codex CLI: ~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl
// (adapters contract section 4). Every line is {timestamp, type, payload};
// 2025 legacy files have a bare first line and bare response items. Token
// counts come as separate, often re-emitted events: their deltas are summed
// per user turn onto its last assistant or tool-call turn, so that turn is
// held back until the next answer or the next typed message; every other
// turn is handed out as soon as it is read.
#include <array>
#include <optional>

#include "native/reader.hpp"

namespace lethe::native {

namespace {

// The five counters of a Codex token usage object.
struct Usage {
  static constexpr std::array<const char*, 5> kKeys = {"input_tokens", "cached_input_tokens",
                                                       "output_tokens", "reasoning_output_tokens",
                                                       "total_tokens"};
  std::array<std::int64_t, 5> n{};
  bool invalid = false;  // a counter no integer holds, or a sum past 2^63-1

  static std::optional<Usage> from(const Json* object) {
    if (object == nullptr || !object->is_object()) return std::nullopt;
    Usage u;
    for (std::size_t i = 0; i < kKeys.size(); ++i) {
      const TokenCount count = token_count(*object, kKeys[i]);
      u.n[i] = count.value_or(0);
      u.invalid |= !count;
    }
    return u;
  }
  bool operator==(const Usage& o) const { return n == o.n && invalid == o.invalid; }
  Usage minus(const Usage& o) const {
    Usage d;
    d.invalid = invalid || o.invalid;
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (n[i] < o.n[i]) return *this;  // the counter restarted: the total is the delta
      d.n[i] = n[i] - o.n[i];
    }
    return d;
  }
  void add(const Usage& o) {
    invalid |= o.invalid;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const TokenCount sum = checked_sum({n[i], o.n[i]});
      n[i] = sum.value_or(0);
      invalid |= !sum;
    }
  }
  bool zero() const { return n == std::array<std::int64_t, 5>{}; }
  Json json() const {
    Json object = Json::object();
    for (std::size_t i = 0; i < kKeys.size(); ++i) object[kKeys[i]] = n[i];
    return object;
  }
};

// From one person-typed user message to the next.
struct UserTurn {
  Usage sum;
  std::int64_t requests = 0;
  std::optional<std::size_t> last_answer;  // slot of its last assistant/tool-call turn (open)
  // Slot of the typed message that opened it, open until its first answer:
  // an interrupted user turn has no answer, and its tokens were spent.
  std::optional<std::size_t> prompt;
};

constexpr std::array<std::string_view, 3> kEnvelopeKeys = {"timestamp", "type", "payload"};
enum EnvelopeKey { kTimestamp, kType, kPayload };

class CodexReader : public Reader {
 public:
  CodexReader(std::string_view data, Output& out) : out_(out), records_(data, out) {}

  bool step() override {
    Line line;
    if (!records_.next_line(line)) {
      put_tokens();
      return false;
    }
    const Position at{line.number, line.byte_offset};
    // lethe's scanner validates the line and reads its envelope; the DOM
    // is built only for records that make turns or count tokens.
    Members<kEnvelopeKeys.size()> m;
    json::ScanError error;
    if (!scan_members(line.text, kEnvelopeKeys, m, error)) {
      invalid_line(out_, at, error.message);
      return true;
    }
    const auto stamp = string_value(m[kTimestamp]);
    const auto time = stamp ? normalize_rfc3339(*stamp) : std::nullopt;
    if (time) last_time_ = time;
    if (!first_time_) first_time_ = last_time_;
    if (is_mirror(m)) {
      in_replay(time);
      out_.skip();  // an event that mirrors a response item
      return true;
    }
    ParsedRecord parsed;
    Json& record = parsed.value;
    parse_scanned(line.text, record);
    if (in_replay(time)) {
      replay(record);
      return true;
    }
    const std::string* type = string_member(record, "type");
    const Json* payload = member(record, "payload");
    if (type != nullptr && payload != nullptr && payload->is_object()) {
      envelope(*type, record, *payload, at);
    } else {
      legacy(record, at);
    }
    return true;
  }

 private:
  void envelope(const std::string& type, const Json& record, const Json& payload, Position at) {
    if (type == "session_meta") {
      session_meta(payload, at);
    } else if (type == "turn_context") {
      if (const std::string* model = string_member(payload, "model")) model_ = *model;
      out_.skip();
    } else if (type == "response_item") {
      item(payload, record, at);
    } else if (type == "event_msg") {
      const std::string* kind = string_member(payload, "type");
      if (kind != nullptr && *kind == "token_count") token_count(payload, false);
      out_.skip();  // mirrors of response items, and the counts folded in above
    } else if (type == "compacted") {
      compacted(payload, record, at);
    } else {
      out_.skip();
    }
  }

  // 2025: {id, timestamp, instructions, git} first, {"record_type": "state"}
  // separators, then bare response items.
  void legacy(const Json& record, Position at) {
    if (!session_ && member(record, "id") && member(record, "instructions")) {
      start_session(record, at);
      legacy_ = true;
      out_.skip();
      return;
    }
    if (member(record, "record_type") != nullptr || string_member(record, "type") == nullptr) {
      out_.skip();
      return;
    }
    item(record, record, at);
  }

  void session_meta(const Json& payload, Position at) {
    ++session_metas_;
    out_.skip();
    if (session_metas_ == 1) {
      start_session(payload, at);
    } else if (session_metas_ == 2) {
      replaying_ = true;  // a fork or sub-agent: the parent's history follows
    }
  }

  void start_session(const Json& payload, Position at) {
    const std::string* id = string_member(payload, "id");
    if (id == nullptr || id->empty()) {
      out_.problem(at, member(payload, "id") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "payload.id", "the session's first record needs its id");
      return;
    }
    session_ = out_.session(*id);
    Session& session = out_.session_at(*session_);
    session.started_at = optional_time(payload, "timestamp");
    if (const std::string* cwd = string_member(payload, "cwd")) session.working_dir = *cwd;
    Json& meta = session.metadata;
    auto copy = [&](const char* from, const char* to) {
      const Json* v = member(payload, from);
      if (v != nullptr && !v->is_null()) meta[to] = *v;
    };
    copy("cli_version", "client_version");
    copy("originator", "originator");
    copy("source", "source");
    copy("model_provider", "model_provider");
    copy("git", "git");
    copy("forked_from_id", "forked_from_id");
    const Json* source = member(payload, "source");
    const Json* subagent = source ? member(*source, "subagent") : nullptr;
    const Json* spawn = subagent ? member(*subagent, "thread_spawn") : nullptr;
    if (const std::string* parent = spawn ? string_member(*spawn, "parent_thread_id") : nullptr) {
      meta["parent_session_id"] = *parent;
    }
  }

  // An event_msg other than token_count: skipped whatever it says.
  static bool is_mirror(const Members<3>& m) {
    if (string_value(m[kType]) != "event_msg") return false;
    const json::Value* payload = m[kPayload];
    if (payload == nullptr || payload->type != json::Type::Object) return false;
    Members<1> inner;
    json::ScanError error;
    scan_members(payload->raw, std::array<std::string_view, 1>{"type"}, inner, error);
    return string_value(inner[0]) != "token_count";
  }

  // Records after the second session_meta within the second of the file's
  // first record are the parent's history: no turns, only running totals.
  bool in_replay(const std::optional<NormalizedTime>& time) {
    if (!replaying_) return false;
    if (time && first_time_ && within_first_second(*time)) return true;
    replaying_ = false;
    return false;
  }

  bool within_first_second(const NormalizedTime& time) const {
    return unix_millis(time) < unix_millis(*first_time_) + 1000;
  }

  void replay(const Json& record) {
    out_.skip();
    const std::string* type = string_member(record, "type");
    const Json* payload = member(record, "payload");
    if (type == nullptr || *type != "event_msg" || payload == nullptr) return;
    const std::string* kind = string_member(*payload, "type");
    if (kind != nullptr && *kind == "token_count") token_count(*payload, true);
  }

  void token_count(const Json& payload, bool replayed) {
    const Json* info = member(payload, "info");
    if (info == nullptr || !info->is_object()) return;  // info null: nothing counted
    const auto total = Usage::from(member(*info, "total_token_usage"));
    const auto last = Usage::from(member(*info, "last_token_usage"));
    if (total && previous_total_ && *total == *previous_total_) return;  // a re-emit
    std::optional<Usage> delta = last;
    if (!delta && total) delta = previous_total_ ? total->minus(*previous_total_) : *total;
    if (total) previous_total_ = total;
    if (replayed || !delta) return;
    UserTurn& current = user_turn_;
    current.sum.add(*delta);
    ++current.requests;
  }

  bool session_known(Position at) {
    if (session_) return true;
    out_.problem(at, ErrorCode::MissingField, "session_meta",
                 "no session_meta record (with payload.id) before this record");
    return false;
  }

  // Legacy items carry ids of their own (msg_..., lsc_...; a user message's
  // is null). The envelope format keeps r<ordinal> / l<line>, so archives
  // made before do not change.
  std::string turn_id(const Json& record, const Json& payload, Position at) const {
    if (legacy_) {
      const std::string* id = string_member(payload, "id");
      if (id != nullptr && !id->empty()) return *id;
    }
    auto ordinal = integer_member(record, "ordinal");
    if (!ordinal) ordinal = integer_member(payload, "ordinal");
    if (ordinal) return "r" + std::to_string(*ordinal);
    return "l" + std::to_string(at.line);
  }

  std::optional<NormalizedTime> time_of(const Json& record, Position at) {
    if (member(record, "timestamp") == nullptr && last_time_) return last_time_;  // legacy items
    return required_time(record, "timestamp", "timestamp", at, out_);
  }

  static std::vector<std::string> texts_of(const Json& payload) {
    std::vector<std::string> texts;
    const Json* content = member(payload, "content");
    if (content == nullptr) return texts;
    if (content->is_string()) {
      texts.push_back(content->get<std::string>());
      return texts;
    }
    if (!content->is_array()) return texts;
    for (const Json& part : *content) {
      const std::string* type = string_member(part, "type");
      if (type == nullptr) continue;
      if (*type == "input_image") {
        const std::string* url = string_member(part, "image_url");
        std::string_view media, data;
        if (url != nullptr && starts_with(*url, "data:")) {
          const std::string_view u = *url;
          const auto semicolon = u.find(';');
          const auto comma = u.find(',');
          if (semicolon != std::string_view::npos) media = u.substr(5, semicolon - 5);
          if (comma != std::string_view::npos) data = u.substr(comma + 1);
        }
        texts.push_back(image_placeholder(media, data));
      } else if (const std::string* text = string_member(part, "text")) {
        texts.push_back(*text);
      }
    }
    return texts;
  }

  void item(const Json& payload, const Json& record, Position at) {
    const std::string* type = string_member(payload, "type");
    if (type == nullptr) {
      out_.skip();
      return;
    }
    if (*type == "reasoning") {
      reasoning(payload);
      return;
    }
    if (*type == "message") {
      message(payload, record, at);
    } else if (*type == "function_call" || *type == "custom_tool_call" ||
               *type == "local_shell_call" || *type == "web_search_call") {
      tool_call(*type, payload, record, at);
    } else if (*type == "function_call_output" || *type == "custom_tool_call_output") {
      tool_output(*type, payload, record, at);
    } else {
      out_.skip();
    }
  }

  void reasoning(const Json& payload) {
    const Json* summary = member(payload, "summary");
    if (summary == nullptr || !summary->is_array()) return;
    for (const Json& part : *summary) {
      if (const std::string* text = string_member(part, "text")) reasoning_.push_back(*text);
    }
  }

  // An answer is held open (`open`): its user turn's tokens may land on it;
  // so is a typed message until its first answer.
  Turn* new_turn(const Json& record, Position at, std::string id, const char* role,
                 const std::string& native_type, bool open) {
    if (!session_known(at)) return nullptr;
    const auto time = time_of(record, at);
    if (!time) return nullptr;
    Turn& turn = out_.add_turn(at, *session_, std::move(id), role, *time, open);
    turn.model = model_;
    turn.metadata["native_type"] = native_type;
    return &turn;
  }

  // The assistant side of a request: reasoning summaries so far go on it,
  // and it may carry its user turn's tokens.
  void answered(Turn& turn) {
    if (!reasoning_.empty()) {
      turn.metadata["reasoning_summary"] = reasoning_;
      reasoning_.clear();
    }
    // The previous answer of this user turn, or its typed message, gets no
    // tokens now: hand it out.
    if (user_turn_.last_answer) {
      out_.close(*user_turn_.last_answer);
    } else if (user_turn_.prompt) {
      out_.close(*user_turn_.prompt);
    }
    user_turn_.last_answer = out_.last_slot();
  }

  void message(const Json& payload, const Json& record, Position at) {
    const std::string* role = string_member(payload, "role");
    if (role == nullptr) {
      out_.problem(at, member(payload, "role") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "payload.role", "a message needs a role");
      return;
    }
    std::vector<std::string> texts = texts_of(payload);
    const char* wire_role = nullptr;
    bool typed_by_person = false;
    if (*role == "user") {
      const std::string first = texts.empty() ? std::string() : texts.front();
      const bool injected = starts_with(first, "<environment_context>") ||
                            starts_with(first, "<user_instructions>") ||
                            starts_with(first, "# AGENTS.md instructions");
      wire_role = injected ? "system" : "user";
      typed_by_person = !injected;
    } else if (*role == "developer" || *role == "system") {
      wire_role = "system";
    } else if (*role == "assistant") {
      wire_role = "assistant";
    } else {
      out_.skip();
      return;
    }
    if (typed_by_person) put_tokens();  // the user turn before it is complete
    const bool answer = *role == "assistant";
    Turn* turn = new_turn(record, at, turn_id(record, payload, at), wire_role, "message",
                          answer || typed_by_person);
    if (turn == nullptr) return;
    if (auto text = join_texts(std::move(texts))) out_.set_content(*turn, std::move(*text));
    if (answer) answered(*turn);
    if (typed_by_person) user_turn_.prompt = out_.last_slot();
  }

  void tool_call(const std::string& type, const Json& payload, const Json& record, Position at) {
    const std::string* call_id = string_member(payload, "call_id");
    std::string id =
        call_id != nullptr && !call_id->empty() ? *call_id : turn_id(record, payload, at);
    Turn* turn = new_turn(record, at, id, "assistant", type, true);
    if (turn == nullptr) return;
    Json call = Json::object();
    call["id"] = call_id != nullptr ? Json(*call_id) : Json();
    const std::string* name = string_member(payload, "name");
    call["name"] = name != nullptr ? *name : type;
    Json input;
    if (const std::string* arguments = string_member(payload, "arguments")) {
      const auto parsed = parse_any(*arguments);
      input = parsed ? *parsed : Json(*arguments);
    } else if (const Json* raw = member(payload, "input")) {
      input = *raw;
    } else if (const Json* action = member(payload, "action")) {
      input = *action;
    }
    call["input"] = std::move(input);
    turn->tool_calls = Json::array({std::move(call)});
    if (call_id != nullptr) turn->metadata["call_id"] = *call_id;
    answered(*turn);
  }

  void tool_output(const std::string& type, const Json& payload, const Json& record, Position at) {
    const std::string* call_id = string_member(payload, "call_id");
    if (call_id == nullptr || call_id->empty()) {
      out_.problem(at,
                   member(payload, "call_id") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "payload.call_id", "a tool output needs the call_id of its call");
      return;
    }
    Turn* turn = new_turn(record, at, *call_id + ":output", "tool", type, false);
    if (turn == nullptr) return;
    turn->metadata["call_id"] = *call_id;
    const Json* output = member(payload, "output");
    if (output == nullptr || output->is_null()) return;
    if (output->is_string()) {
      out_.set_content(*turn, output->get<std::string>());
    } else if (const std::string* text = string_member(*output, "content")) {
      out_.set_content(*turn, *text);
    } else {
      out_.set_content(*turn, output->dump(-1, ' ', false, Json::error_handler_t::replace));
    }
  }

  void compacted(const Json& payload, const Json& record, Position at) {
    Turn* turn = new_turn(record, at, turn_id(record, payload, at), "system", "compacted", false);
    if (turn == nullptr) return;
    if (const std::string* text = string_member(payload, "message")) out_.set_content(*turn, *text);
  }

  // The user turn's summed usage onto its last answer, else onto its typed
  // message (interrupted: no answer, tokens spent), which is then handed
  // out; a new user turn starts. Tokens with no turn to take them (before
  // any typed message and any answer) go on to the next user turn.
  void put_tokens() {
    const UserTurn done = user_turn_;
    user_turn_ = UserTurn{};
    const std::optional<std::size_t> target = done.last_answer ? done.last_answer : done.prompt;
    if (!target) {
      user_turn_.sum = done.sum;
      user_turn_.requests = done.requests;
      return;
    }
    Turn& turn = out_.turn_at(*target);
    out_.close(*target);
    if (done.requests == 0) return;
    const Usage& u = done.sum;
    turn.metadata["usage"] = u.json();
    turn.metadata["requests"] = done.requests;
    if (u.invalid) {
      turn.metadata["usage_invalid"] = true;
      return;
    }
    if (u.zero()) {
      turn.metadata["usage_missing"] = true;
      return;
    }
    turn.tokens_in = u.n[0];
    turn.tokens_out = u.n[2];
    turn.metadata["cache_read_tokens"] = u.n[1];
    turn.metadata["reasoning_tokens"] = u.n[3];
  }

  Output& out_;
  RecordReader records_;
  std::optional<std::size_t> session_;
  int session_metas_ = 0;
  bool legacy_ = false;  // the session came from a legacy (pre-envelope) first line
  bool replaying_ = false;
  std::optional<NormalizedTime> first_time_;
  std::optional<NormalizedTime> last_time_;
  std::optional<std::string> model_;
  std::vector<std::string> reasoning_;
  std::optional<Usage> previous_total_;
  UserTurn user_turn_;  // the current one
};

}  // namespace

std::unique_ptr<Reader> codex_reader(std::string_view data, Output& out) {
  return std::make_unique<CodexReader>(data, out);
}

}  // namespace lethe::native
