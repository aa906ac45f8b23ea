// OpenCode: ~/.local/share/opencode/opencode.db, read through lethe's export
// of it (ext/write/agent_db/opencode.sql): per session, a "session" record,
// then each message followed by its parts (docs/reference/adapters.md,
// "OpenCode").
//
// One pass. A message is one turn, held open while its parts come: its text
// parts make the content, its tool parts the tool calls (and, once run, a
// tool turn each), its step-finish parts the tokens. OpenCode writes one
// step-finish part per model request with that request's tokens, and
// overwrites the message's own `tokens` with the last request's: so a turn
// counts the sum of its step-finish parts, and the message's `tokens` only
// when it has none (each request once).
#include <cmath>

#include "native/reader.hpp"

namespace lethe::native {

namespace {

// The tokens of one or more requests, as OpenCode splits them.
struct Usage {
  TokenCount input = 0;  // uncached prompt tokens
  TokenCount output = 0;
  TokenCount reasoning = 0;
  TokenCount cache_read = 0;
  TokenCount cache_write = 0;

  // Adds OpenCode's {input, output, reasoning, cache: {read, write}}.
  void add(const Json& tokens) {
    const Json* cache = member(tokens, "cache");
    const Json empty = Json::object();
    const Json& buckets = cache != nullptr && cache->is_object() ? *cache : empty;
    input = checked_sum({input, token_count(tokens, "input")});
    output = checked_sum({output, token_count(tokens, "output")});
    reasoning = checked_sum({reasoning, token_count(tokens, "reasoning")});
    cache_read = checked_sum({cache_read, token_count(buckets, "read")});
    cache_write = checked_sum({cache_write, token_count(buckets, "write")});
  }
};

// The message being read: its turn stays open until the next message.
struct OpenMessage {
  std::size_t slot = 0;
  std::string id;
  bool assistant = false;
  std::vector<std::string> texts;
  Json message_tokens;  // the message's own `tokens` (the last request's)
  std::optional<double> message_cost;
  Usage steps;
  std::int64_t requests = 0;
  std::optional<double> steps_cost;
};

std::optional<double> number_member(const Json& object, const char* key) {
  const Json* v = member(object, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

class OpenCodeReader : public Reader {
 public:
  OpenCodeReader(std::string_view data, Output& out) : out_(out), records_(data, out) {}

  bool step() override {
    ParsedRecord parsed;
    Json& record = parsed.value;
    Position at;
    if (!records_.next(record, at)) {
      close_message();
      return false;
    }
    const std::string* kind = string_member(record, "record");
    if (kind == nullptr) {
      out_.problem(at, member(record, "record") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "record", "each exported line names its kind in \"record\"");
    } else if (*kind == "session") {
      close_message();
      session_record(record, at);
    } else if (*kind == "message") {
      close_message();
      message(record, at);
    } else if (*kind == "part") {
      part(record, at);
    } else {
      out_.skip();
    }
    return true;
  }

 private:
  void session_record(const Json& record, Position at) {
    const std::string* id = string_member(record, "id");
    if (id == nullptr || id->empty()) {
      out_.problem(at, member(record, "id") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "id", "the session record needs the session's id");
      return;
    }
    session_id_ = *id;
    session_ = out_.session(*id);
    Session& session = out_.session_at(*session_);
    session.started_at = millis_time(record, "time_created");
    if (const std::string* directory = string_member(record, "directory")) {
      session.working_dir = *directory;
    }
    Json& meta = session.metadata;
    if (const std::string* v = string_member(record, "version")) meta["client_version"] = *v;
    if (const std::string* v = string_member(record, "parent_id")) meta["parent_session_id"] = *v;
    if (const std::string* v = string_member(record, "project_id")) meta["project_id"] = *v;
  }

  // The session of a message or part: the session record's, else (a row
  // whose session row is missing) the one the line names.
  std::optional<std::size_t> session_of(const Json& record, Position at) {
    const std::string* named = string_member(record, "session");
    if (session_ && (named == nullptr || *named == session_id_)) return session_;
    if (named == nullptr || named->empty()) {
      out_.problem(at, ErrorCode::MissingField, "session",
                   "no session record before this line, and it names no session");
      return std::nullopt;
    }
    return out_.session(*named);
  }

  // The data object of a message or part; a problem when it is not one
  // (OpenCode's column was not valid JSON).
  Json* data_of(Json& record, Position at) {
    Json* data = member(record, "data");
    if (data == nullptr || !data->is_object()) {
      out_.problem(at, data == nullptr ? ErrorCode::MissingField : ErrorCode::InvalidField, "data",
                   "the row's data is not a JSON object (OpenCode's data column)");
      return nullptr;
    }
    return data;
  }

  void message(Json& record, Position at) {
    const std::string* id = string_member(record, "id");
    if (id == nullptr || id->empty()) {
      out_.problem(at, member(record, "id") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "id", "a message needs its id");
      return;
    }
    const std::optional<std::size_t> session = session_of(record, at);
    if (!session) return;
    Json* data = data_of(record, at);
    if (data == nullptr) return;
    const std::string* role = string_member(*data, "role");
    if (role == nullptr || (*role != "user" && *role != "assistant")) {
      out_.problem(at,
                   role == nullptr && !member(*data, "role") ? ErrorCode::MissingField
                                                             : ErrorCode::InvalidField,
                   "data.role", "a message's role is \"user\" or \"assistant\"");
      return;
    }
    const Json* times = member(*data, "time");
    std::optional<NormalizedTime> time =
        times != nullptr && times->is_object() ? millis_time(*times, "created") : std::nullopt;
    if (!time) time = millis_time(record, "time_created");
    if (!time) {
      out_.problem(at, ErrorCode::MissingField, "data.time.created",
                   "a message needs the time it was created (milliseconds since 1970)");
      return;
    }
    const bool assistant = *role == "assistant";
    Turn& turn = out_.add_turn(at, *session, *id, assistant ? "assistant" : "user", *time,
                               /*open=*/true);
    open_ = OpenMessage{};
    open_->slot = out_.last_slot();
    open_->id = *id;
    open_->assistant = assistant;
    Json& meta = turn.metadata;
    meta["native_type"] = "message";
    meta["message_id"] = *id;
    for (const char* key : {"agent", "mode", "finish"}) {
      if (const std::string* v = string_member(*data, key)) meta[key] = *v;
    }
    if (const std::string* parent = string_member(*data, "parentID")) meta["parent_id"] = *parent;
    if (Json* error = member(*data, "error"); error != nullptr && !error->is_null()) {
      meta["error"] = std::move(*error);
    }
    if (true_member(*data, "summary")) meta["summary"] = true;
    if (!assistant) return;
    if (const std::string* model = string_member(*data, "modelID")) turn.model = *model;
    if (const std::string* provider = string_member(*data, "providerID")) {
      meta["provider"] = *provider;
    }
    if (Json* tokens = member(*data, "tokens"); tokens != nullptr && tokens->is_object()) {
      open_->message_tokens = std::move(*tokens);
    }
    open_->message_cost = number_member(*data, "cost");
  }

  void part(Json& record, Position at) {
    const std::string* message_id = string_member(record, "message");
    if (!open_ || message_id == nullptr || *message_id != open_->id) {
      out_.problem(at, ErrorCode::MissingField, "message",
                   "a part of message " + (message_id ? *message_id : std::string("(none)")) +
                       ", which is not in the database or could not be read: the part is not "
                       "stored");
      return;
    }
    Json* data = data_of(record, at);
    if (data == nullptr) return;
    const std::string* type = string_member(*data, "type");
    if (type == nullptr) {
      out_.problem(at, member(*data, "type") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "data.type", "a part needs its type");
      return;
    }
    if (*type == "text") {
      text_part(*data);
    } else if (*type == "reasoning") {
      if (std::string* text = string_member(*data, "text"); text && !text->empty()) {
        Json& texts = out_.turn_at(open_->slot).metadata["reasoning"];
        if (!texts.is_array()) texts = Json::array();
        texts.push_back(std::move(*text));
      }
    } else if (*type == "tool") {
      tool_part(record, *data, at);
    } else if (*type == "step-finish") {
      step_finish(*data);
    } else if (*type == "file") {
      file_part(*data);
    } else {
      out_.skip();  // step-start, patch, snapshot, agent, subtask, retry, compaction, ...
    }
  }

  // Text the person typed or the model wrote. OpenCode marks text it added
  // itself (a file's contents read for an @mention) `synthetic`, and text
  // left out of the conversation `ignored`: neither is what was said.
  void text_part(Json& data) {
    std::string* text = string_member(data, "text");
    if (text == nullptr) return;
    if (true_member(data, "synthetic") || true_member(data, "ignored")) {
      Json& meta = out_.turn_at(open_->slot).metadata;
      const char* key = true_member(data, "ignored") ? "ignored_texts" : "synthetic_texts";
      meta[key] = meta.contains(key) ? meta[key].get<std::int64_t>() + 1 : 1;
      return;
    }
    open_->texts.push_back(std::move(*text));
  }

  void file_part(const Json& data) {
    const std::string* mime = string_member(data, "mime");
    const std::string* url = string_member(data, "url");
    const std::string* name = string_member(data, "filename");
    constexpr std::string_view kBase64 = ";base64,";
    if (mime != nullptr && url != nullptr && starts_with(*mime, "image/") &&
        starts_with(*url, "data:") && url->find(kBase64) != std::string::npos) {
      open_->texts.push_back(image_placeholder(
          *mime, std::string_view(*url).substr(url->find(kBase64) + kBase64.size())));
      return;
    }
    Json& files = out_.turn_at(open_->slot).metadata["files"];
    if (!files.is_array()) files = Json::array();
    Json file = Json::object();
    file["mime"] = mime != nullptr ? Json(*mime) : Json();
    file["filename"] = name != nullptr ? Json(*name) : Json();
    files.push_back(std::move(file));
  }

  // A tool part holds the call and, once run, its result: the call goes to
  // the message's tool_calls, the result is a tool turn of its own.
  void tool_part(const Json& record, Json& data, Position at) {
    const std::string* call_id = string_member(data, "callID");
    const std::string* name = string_member(data, "tool");
    if (call_id == nullptr || call_id->empty()) {
      out_.problem(at, member(data, "callID") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "data.callID", "a tool part needs the id of its call");
      return;
    }
    Json* state = member(data, "state");
    Json call = Json::object();
    call["id"] = *call_id;
    call["name"] = name != nullptr ? Json(*name) : Json();
    Json* input = state != nullptr && state->is_object() ? member(*state, "input") : nullptr;
    call["input"] = input != nullptr ? std::move(*input) : Json();
    Turn& message_turn = out_.turn_at(open_->slot);
    if (message_turn.tool_calls.is_null()) message_turn.tool_calls = Json::array();
    message_turn.tool_calls.push_back(std::move(call));
    const std::string* status =
        state != nullptr && state->is_object() ? string_member(*state, "status") : nullptr;
    if (status == nullptr || (*status != "completed" && *status != "error")) return;
    result_turn(record, *state, *call_id, name, *status, at);
  }

  void result_turn(const Json& record, Json& state, const std::string& call_id,
                   const std::string* name, const std::string& status, Position at) {
    const Json* times = member(state, "time");
    std::optional<NormalizedTime> time =
        times != nullptr && times->is_object() ? millis_time(*times, "end") : std::nullopt;
    if (!time) time = millis_time(record, "time_created");
    if (!time) {
      out_.problem(at, ErrorCode::MissingField, "data.state.time.end",
                   "a tool's result needs the time it ended (milliseconds since 1970)");
      return;
    }
    const std::size_t session = out_.turn_at(open_->slot).session;
    Turn& turn = out_.add_turn(at, session, call_id + ":output", "tool", *time);
    Json& meta = turn.metadata;
    meta["native_type"] = "tool";
    meta["call_id"] = call_id;
    meta["message_id"] = open_->id;
    if (name != nullptr) meta["name"] = *name;
    meta["is_error"] = status == "error";
    if (const std::string* title = string_member(state, "title")) meta["title"] = *title;
    std::string* text = string_member(state, status == "error" ? "error" : "output");
    if (text != nullptr) out_.set_content(turn, std::move(*text));
  }

  void step_finish(const Json& data) {
    ++open_->requests;
    if (const Json* tokens = member(data, "tokens"); tokens != nullptr && tokens->is_object()) {
      open_->steps.add(*tokens);
    }
    if (const auto cost = number_member(data, "cost")) {
      open_->steps_cost = open_->steps_cost.value_or(0) + *cost;
    }
  }

  // The message is complete: content, tokens and cost, and it is handed out.
  void close_message() {
    if (!open_) return;
    Turn& turn = out_.turn_at(open_->slot);
    if (!open_->texts.empty()) out_.set_content(turn, *join_texts(std::move(open_->texts)));
    if (open_->assistant) {
      assistant_tokens(turn);
      assistant_cost(turn);
    }
    out_.close(open_->slot);
    open_.reset();
  }

  void assistant_tokens(Turn& turn) {
    Json& meta = turn.metadata;
    if (!open_->message_tokens.is_null()) meta["usage"] = open_->message_tokens;
    Usage usage = open_->steps;
    if (open_->requests > 0) {
      meta["requests"] = open_->requests;
    } else if (open_->message_tokens.is_object()) {
      usage.add(open_->message_tokens);
    } else {
      return;  // no usage: NULL tokens
    }
    const TokenCount in = checked_sum({usage.input, usage.cache_read, usage.cache_write});
    const TokenCount out = checked_sum({usage.output, usage.reasoning});
    if (!in || !out || !checked_sum({in, out})) {
      meta["usage_invalid"] = true;
      return;
    }
    if (*in == 0 && *out == 0) {
      meta["usage_missing"] = true;
      return;
    }
    turn.tokens_in = in;
    turn.tokens_out = out;
    meta["uncached_input_tokens"] = *usage.input;
    meta["cache_read_tokens"] = *usage.cache_read;
    meta["cache_write_tokens"] = *usage.cache_write;
    meta["reasoning_tokens"] = *usage.reasoning;
  }

  // OpenCode prices each request from its own model table and writes 0 for
  // a model it has no price for (a local model, a custom provider): a
  // positive cost is kept, a 0 is NULL (unknown) with native_cost saying so.
  void assistant_cost(Turn& turn) {
    const std::optional<double> cost =
        open_->requests > 0 && open_->steps_cost ? open_->steps_cost : open_->message_cost;
    if (!cost) return;
    if (*cost > 0 && std::isfinite(*cost)) {
      turn.cost_usd = *cost;
    } else {
      turn.metadata["native_cost"] = *cost;
    }
  }

  Output& out_;
  RecordReader records_;
  std::optional<std::size_t> session_;
  std::string session_id_;
  std::optional<OpenMessage> open_;
};

}  // namespace

std::unique_ptr<Reader> opencode_reader(std::string_view data, Output& out) {
  return std::make_unique<OpenCodeReader>(data, out);
}

}  // namespace lethe::native
