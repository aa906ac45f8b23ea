// GitHub Copilot CLI: ~/.copilot/session-state/<id>/events.jsonl (older
// versions: session-state/<id>.jsonl), an append-only event log
// {type, data, id, timestamp, parentId, agentId?} (docs/reference/adapters.md,
// "GitHub Copilot CLI").
//
// One pass. Copilot records a request's output tokens on its
// assistant.message, and everything else (input, cache, the output of
// calls that wrote no message) only as per-model totals in session.shutdown,
// once per segment (a start or resume up to its shutdown). So a message
// carries its outputTokens, and each (shutdown, model) is a turn of its own
// with the segment's input and the output its messages did not already
// count: each token once, and the session sums to what Copilot shows.
#include <map>

#include "native/reader.hpp"

namespace lethe::native {

namespace {

constexpr std::array<std::string_view, 4> kEnvelopeKeys = {"type", "id", "timestamp", "agentId"};
enum EnvelopeKey { kType, kId, kTimestamp, kAgentId };

// The event types that make turns or change what later turns say; every
// other type is skipped from its envelope, without a DOM.
bool is_read(std::string_view type) {
  return type == "session.start" || type == "session.resume" || type == "session.model_change" ||
         type == "user.message" || type == "system.message" || type == "assistant.message" ||
         type == "tool.execution_start" || type == "tool.execution_complete" ||
         type == "session.compaction_complete" || type == "abort" || type == "session.shutdown";
}

// An assistant message whose chunks (chunkIndex of chunkCount) are not all
// read yet.
struct OpenMessage {
  std::size_t slot = 0;
  std::string id;
  std::int64_t chunks_left = 0;
  std::int64_t output = -1;  // the largest outputTokens of its chunks
  std::string model;
};

class CopilotReader : public Reader {
 public:
  CopilotReader(std::string_view data, Output& out) : out_(out), records_(data, out) {}

  bool step() override {
    Line line;
    if (!records_.next_line(line)) {
      close_message();
      return false;
    }
    const Position at{line.number, line.byte_offset};
    Members<kEnvelopeKeys.size()> m;
    json::ScanError error;
    if (!scan_members(line.text, kEnvelopeKeys, m, error)) {
      invalid_line(out_, at, error.message);
      return true;
    }
    const auto type = string_value(m[kType]);
    if (!type || !is_read(*type)) {
      out_.skip();
      return true;
    }
    Json event;
    parse_scanned(line.text, event);
    Json* data = member(event, "data");
    if (data == nullptr || !data->is_object()) {
      out_.problem(at, data == nullptr ? ErrorCode::MissingField : ErrorCode::InvalidField, "data",
                   "an event needs its data object");
      return true;
    }
    read_event(*type, event, *data, at);
    return true;
  }

 private:
  void read_event(const std::string& type, const Json& event, Json& data, Position at) {
    if (type == "session.start" || type == "session.resume") {
      segment_start(type, event, data, at);
      return;
    }
    if (type == "session.model_change") {
      if (const std::string* model = string_member(data, "newModel")) model_ = *model;
      out_.skip();
      return;
    }
    if (type == "tool.execution_start") {
      tool_start(data);
      return;
    }
    std::size_t session = 0;
    NormalizedTime time{};
    if (!common_fields(event, at, session, time)) return;
    if (type == "assistant.message") {
      assistant(event, data, at, session, time);
      return;
    }
    close_message();  // no later chunk of it comes after another event
    if (type == "user.message") {
      user(event, data, at, session, time);
    } else if (type == "system.message") {
      text_turn(event, data, at, session, time, "content", "system.message");
    } else if (type == "tool.execution_complete") {
      tool_complete(data, at, session, time);
    } else if (type == "session.compaction_complete") {
      text_turn(event, data, at, session, time, "summaryContent", "session.compaction_complete");
    } else if (type == "abort") {
      text_turn(event, data, at, session, time, "reason", "abort");
    } else {
      shutdown(event, data, at, session, time);
    }
  }

  // session.start names the session; a resume starts a new segment (its
  // shutdown counts only itself).
  void segment_start(const std::string& type, const Json& event, const Json& data, Position at) {
    close_message();
    segment_output_.clear();
    out_.skip();
    if (const std::string* model = string_member(data, "selectedModel")) model_ = *model;
    if (type != "session.start" || session_) return;
    const std::string* id = string_member(data, "sessionId");
    if (id == nullptr || id->empty()) {
      out_.problem(at,
                   member(data, "sessionId") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "data.sessionId", "session.start needs the session's id");
      return;
    }
    session_id_ = *id;
    session_ = out_.session(*id);
    Session& session = out_.session_at(*session_);
    session.started_at = optional_time(data, "startTime");
    if (!session.started_at) session.started_at = optional_time(event, "timestamp");
    Json& meta = session.metadata;
    if (const std::string* v = string_member(data, "copilotVersion")) meta["client_version"] = *v;
    if (const std::string* v = string_member(data, "producer")) meta["producer"] = *v;
    const Json* context = member(data, "context");
    if (context == nullptr) return;
    if (const std::string* cwd = string_member(*context, "cwd")) session.working_dir = *cwd;
    if (const std::string* v = string_member(*context, "branch")) meta["git_branch"] = *v;
    if (const std::string* v = string_member(*context, "gitRoot")) meta["git_root"] = *v;
    if (const std::string* v = string_member(*context, "repository")) meta["repository"] = *v;
  }

  // The session of an event (a sub-agent's events carry an agentId) and its
  // time.
  bool common_fields(const Json& event, Position at, std::size_t& session, NormalizedTime& time) {
    if (!session_) {
      out_.problem(at, ErrorCode::MissingField, "session.start",
                   "no session.start event (with data.sessionId) before this event");
      return false;
    }
    const auto parsed = required_time(event, "timestamp", "timestamp", at, out_);
    if (!parsed) return false;
    time = *parsed;
    session = *session_;
    const std::string* agent = string_member(event, "agentId");
    if (agent == nullptr || agent->empty()) return true;
    session = out_.session(session_id_ + ":agent-" + *agent);
    Session& sub = out_.session_at(session);
    if (!sub.started_at) {  // its first event: the facts of its start
      sub.started_at = time;
      sub.working_dir = out_.session_at(*session_).working_dir;
      sub.metadata["parent_session_id"] = session_id_;
      sub.metadata["agent_id"] = *agent;
    }
    return true;
  }

  Turn& new_turn(Position at, std::size_t session, std::string id, const char* role,
                 NormalizedTime time, const char* native_type, bool open = false) {
    Turn& turn = out_.add_turn(at, session, std::move(id), role, time, open);
    turn.metadata["native_type"] = native_type;
    return turn;
  }

  static std::string event_id(const Json& event, Position at) {
    const std::string* id = string_member(event, "id");
    return id != nullptr && !id->empty() ? *id : "l" + std::to_string(at.line);
  }

  void user(const Json& event, Json& data, Position at, std::size_t session, NormalizedTime time) {
    // `source` names a message that is not a person's (skill-..., agent-...).
    const std::string* source = string_member(data, "source");
    const bool person = source == nullptr || source->empty() || *source == "user";
    Turn& turn = new_turn(at, session, event_id(event, at), person ? "user" : "system", time,
                          "user.message");
    if (source != nullptr) turn.metadata["source"] = *source;
    if (const std::string* delivery = string_member(data, "delivery")) {
      turn.metadata["delivery"] = *delivery;
    }
    if (std::string* content = string_member(data, "content")) {
      out_.set_content(turn, std::move(*content));
    }
  }

  // A turn whose content is one string member of data.
  void text_turn(const Json& event, Json& data, Position at, std::size_t session,
                 NormalizedTime time, const char* key, const char* native_type) {
    Turn& turn = new_turn(at, session, event_id(event, at), "system", time, native_type);
    if (std::string* text = string_member(data, key)) out_.set_content(turn, std::move(*text));
  }

  void assistant(const Json& event, Json& data, Position at, std::size_t session,
                 NormalizedTime time) {
    const std::string* message_id = string_member(data, "messageId");
    std::string id =
        message_id != nullptr && !message_id->empty() ? *message_id : event_id(event, at);
    if (!open_ || open_->id != id) {
      close_message();
      const std::string* model = string_member(data, "model");
      open_ = OpenMessage{0, id, 0, -1, model != nullptr ? *model : model_};
      Turn& turn = new_turn(at, session, std::move(id), "assistant", time, "assistant.message",
                            /*open=*/true);
      if (!open_->model.empty()) turn.model = open_->model;
      open_->slot = out_.last_slot();
    }
    add_chunk(data);
    if (open_->chunks_left <= 0) close_message();
  }

  // One chunk (most messages have one): its text, reasoning, tool requests.
  void add_chunk(Json& data) {
    Turn& turn = out_.turn_at(open_->slot);
    if (std::string* content = string_member(data, "content"); content && !content->empty()) {
      out_.set_content(turn, turn.content ? *turn.content + *content : std::move(*content));
    }
    if (std::string* reasoning = string_member(data, "reasoningText");
        reasoning && !reasoning->empty()) {
      Json& texts = turn.metadata["reasoning"];
      if (!texts.is_array()) texts = Json::array();
      texts.push_back(std::move(*reasoning));
    }
    if (Json* requests = member(data, "toolRequests"); requests && requests->is_array()) {
      for (Json& request : *requests) add_tool_request(turn, request);
    }
    if (const TokenCount output = token_count(data, "outputTokens");
        output && *output > open_->output) {
      open_->output = *output;
    }
    const auto index = integer_member(data, "chunkIndex");
    const auto count = integer_member(data, "chunkCount");
    open_->chunks_left = index && count ? *count - *index - 1 : 0;
  }

  static void add_tool_request(Turn& turn, Json& request) {
    if (turn.tool_calls.is_null()) turn.tool_calls = Json::array();
    Json call = Json::object();
    Json* id = member(request, "toolCallId");
    Json* name = member(request, "name");
    Json* arguments = member(request, "arguments");
    call["id"] = id != nullptr ? std::move(*id) : Json();
    call["name"] = name != nullptr ? std::move(*name) : Json();
    call["input"] = arguments != nullptr ? std::move(*arguments) : Json();
    turn.tool_calls.push_back(std::move(call));
  }

  // The message is complete: its output tokens (input: on the segment's
  // shutdown turn), and it is handed out.
  void close_message() {
    if (!open_) return;
    Turn& turn = out_.turn_at(open_->slot);
    if (open_->output >= 0) {
      turn.tokens_in = 0;
      turn.tokens_out = open_->output;
      turn.metadata["output_tokens"] = open_->output;
      std::int64_t& counted = segment_output_[open_->model];
      counted = checked_sum({counted, open_->output}).value_or(counted);
    }
    out_.close(open_->slot);
    open_.reset();
  }

  void tool_start(const Json& data) {
    out_.skip();
    const std::string* id = string_member(data, "toolCallId");
    const std::string* name = string_member(data, "toolName");
    if (id != nullptr && name != nullptr) tool_names_[*id] = *name;
  }

  void tool_complete(Json& data, Position at, std::size_t session, NormalizedTime time) {
    const std::string* call_id = string_member(data, "toolCallId");
    if (call_id == nullptr || call_id->empty()) {
      out_.problem(at,
                   member(data, "toolCallId") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "data.toolCallId", "a tool result needs the toolCallId of its call");
      return;
    }
    Turn& turn =
        new_turn(at, session, *call_id + ":output", "tool", time, "tool.execution_complete");
    turn.metadata["call_id"] = *call_id;
    const auto name = tool_names_.find(*call_id);
    if (name != tool_names_.end()) {
      turn.metadata["name"] = name->second;
      tool_names_.erase(name);
    }
    const bool success = true_member(data, "success");
    turn.metadata["is_error"] = !success;
    Json* result = member(data, "result");
    Json* error = member(data, "error");
    if (std::string* text = result ? string_member(*result, "content") : nullptr) {
      out_.set_content(turn, std::move(*text));
    } else if (std::string* message = error ? string_member(*error, "message") : nullptr) {
      out_.set_content(turn, std::move(*message));
    }
  }

  // One turn per model of the segment's totals.
  void shutdown(const Json& event, Json& data, Position at, std::size_t session,
                NormalizedTime time) {
    Json* metrics = member(data, "modelMetrics");
    if (metrics == nullptr || !metrics->is_object() || metrics->empty()) {
      out_.skip();
      return;
    }
    const std::string id = event_id(event, at);
    auto& by_model = metrics->get_ref<Json::object_t&>();
    // Output counted on messages of a model the totals don't name (a
    // message without its model) belongs to the only model there is.
    std::int64_t unmatched = 0;
    for (const auto& [model, output] : segment_output_) {
      if (member(*metrics, model.c_str()) == nullptr) unmatched += output;
    }
    for (auto& [model, metric] : by_model) {
      std::string turn_id = id;
      turn_id.append(":").append(model);
      Turn& turn = new_turn(at, session, std::move(turn_id), "assistant", time, "session.shutdown");
      turn.model = model;
      if (const std::string* kind = string_member(data, "shutdownType")) {
        turn.metadata["shutdown_type"] = *kind;
      }
      const std::int64_t counted = segment_output_[model] + (by_model.size() == 1 ? unmatched : 0);
      model_tokens(turn, metric, counted);
    }
    segment_output_.clear();
  }

  static void model_tokens(Turn& turn, Json& metric, std::int64_t counted) {
    Json& meta = turn.metadata;
    const Json* requests = member(metric, "requests");
    if (const auto count = requests ? integer_member(*requests, "count") : std::nullopt) {
      meta["requests"] = *count;
    }
    Json* usage = member(metric, "usage");
    if (usage == nullptr || !usage->is_object()) return;
    const TokenCount input = token_count(*usage, "inputTokens");
    const TokenCount output = token_count(*usage, "outputTokens");
    const TokenCount read = token_count(*usage, "cacheReadTokens");
    const TokenCount write = token_count(*usage, "cacheWriteTokens");
    const TokenCount reasoning = token_count(*usage, "reasoningTokens");
    meta["usage"] = *usage;
    meta["counted_on_messages"] = counted;
    if (!checked_sum({input, output, read, write, reasoning})) {
      meta["usage_invalid"] = true;
      return;
    }
    if (*input == 0 && *output == 0) {
      meta["usage_missing"] = true;
      return;
    }
    turn.tokens_in = input;
    turn.tokens_out = *output >= counted ? *output - counted : 0;
    if (*output < counted) meta["output_overcounted"] = counted - *output;
    meta["cache_read_tokens"] = *read;
    meta["cache_write_tokens"] = *write;
    meta["reasoning_tokens"] = *reasoning;
  }

  Output& out_;
  RecordReader records_;
  std::optional<std::size_t> session_;
  std::string session_id_;
  std::string model_;  // the latest session.model_change
  std::optional<OpenMessage> open_;
  std::map<std::string, std::int64_t> segment_output_;  // per model: output counted on messages
  std::map<std::string, std::string> tool_names_;       // calls started, not yet complete
};

}  // namespace

std::unique_ptr<Reader> copilot_reader(std::string_view data, Output& out) {
  return std::make_unique<CopilotReader>(data, out);
}

}  // namespace lethe::native
