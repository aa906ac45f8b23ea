// Goose: ~/.local/share/goose/sessions/sessions.db, exported by
// ext/write/agent_db/goose.sql (docs/reference/adapters.md, "Goose").
//
// Tokens come from usage_ledger, one row per model request: each row is a
// turn of its own (usage:<row>), because a request and the messages it wrote
// are not linked in the database; so each request is counted once. A
// session older than the ledger (schema 15) has only its accumulated
// totals: what they hold beyond the ledger's sums (both on the session line,
// so any prefix of the lines agrees) becomes one turn (session-totals), so
// the session sums to Goose's own totals, each token once.
#include "native/db_export.hpp"

namespace lethe::native {

namespace {

// What a message's content parts say, in order of kind.
struct Parts {
  std::vector<std::string> texts;      // runs of adjacent text parts
  std::vector<std::string> reasoning;  // runs of adjacent thinking parts
  Json tool_calls;                     // null: none
  std::vector<Json*> responses;        // toolResponse parts
  Json other_types = Json::array();    // kinds lethe doesn't map
  std::int64_t redacted = 0;
  bool notification_only = true;  // every part a systemNotification
};

// Appends `text` to the last run when the previous part was of the same
// kind: Goose stores a streamed answer one part per chunk.
void add_to_run(std::vector<std::string>& runs, bool continues, std::string text) {
  if (continues && !runs.empty()) {
    runs.back() += text;
  } else {
    runs.push_back(std::move(text));
  }
}

Json tool_call_of(Json& part) {
  Json call = Json::object();
  const std::string* id = string_member(part, "id");
  call["id"] = id != nullptr ? Json(*id) : Json();
  Json* request = member(part, "toolCall");
  Json* value = request != nullptr ? member(*request, "value") : nullptr;
  const std::string* name = value != nullptr ? string_member(*value, "name") : nullptr;
  Json* arguments = value != nullptr ? member(*value, "arguments") : nullptr;
  call["name"] = name != nullptr ? Json(*name) : Json();
  call["input"] = arguments != nullptr ? std::move(*arguments) : Json();
  if (const std::string* error = request != nullptr ? string_member(*request, "error") : nullptr) {
    call["error"] = *error;
  }
  return call;
}

Parts collect_parts(Json& content) {
  Parts parts;
  std::string previous;
  for (Json& part : content) {
    const std::string* type_text = string_member(part, "type");
    const std::string type = type_text != nullptr ? *type_text : "";
    if (type != "systemNotification") parts.notification_only = false;
    if (type == "text") {
      std::string* text = string_member(part, "text");
      if (text != nullptr) add_to_run(parts.texts, previous == "text", std::move(*text));
    } else if (type == "thinking") {
      std::string* text = string_member(part, "thinking");
      if (text != nullptr) add_to_run(parts.reasoning, previous == "thinking", std::move(*text));
    } else if (type == "image") {
      const std::string* media = string_member(part, "mimeType");
      const std::string* data = string_member(part, "data");
      parts.texts.push_back(image_placeholder(media ? *media : "", data ? *data : ""));
    } else if (type == "systemNotification") {
      std::string* text = string_member(part, "msg");
      if (text != nullptr) parts.texts.push_back(std::move(*text));
    } else if (type == "toolRequest" || type == "frontendToolRequest") {
      if (parts.tool_calls.is_null()) parts.tool_calls = Json::array();
      parts.tool_calls.push_back(tool_call_of(part));
    } else if (type == "toolResponse") {
      parts.responses.push_back(&part);
    } else if (type == "redactedThinking") {
      ++parts.redacted;
    } else {
      parts.other_types.push_back(type_text != nullptr ? Json(type) : Json());
    }
    previous = type;
  }
  return parts;
}

// The text of a tool result's content items (MCP content: text, image,
// resource).
std::optional<std::string> result_text(Json& items) {
  std::vector<std::string> texts;
  if (!items.is_array()) return std::nullopt;
  for (Json& item : items) {
    const std::string* type = string_member(item, "type");
    if (type == nullptr) continue;
    if (*type == "text") {
      if (std::string* text = string_member(item, "text")) texts.push_back(std::move(*text));
    } else if (*type == "image") {
      const std::string* media = string_member(item, "mimeType");
      const std::string* data = string_member(item, "data");
      texts.push_back(image_placeholder(media ? *media : "", data ? *data : ""));
    } else if (*type == "resource") {
      Json* resource = member(item, "resource");
      std::string* text = resource != nullptr ? string_member(*resource, "text") : nullptr;
      const std::string* uri = resource != nullptr ? string_member(*resource, "uri") : nullptr;
      if (text != nullptr) {
        texts.push_back(std::move(*text));
      } else if (uri != nullptr) {
        texts.push_back("[resource " + *uri + "]");
      }
    }
  }
  return join_texts(std::move(texts));
}

class GooseReader : public DbExportReader {
 public:
  using DbExportReader::DbExportReader;

 private:
  bool start_session(Json& record, Position at) override {
    const auto opened = open_session_record(record, at);
    if (!opened) return false;
    session_ = opened->index;
    const auto& created = opened->created;
    Session& session = out_.session_at(session_);
    if (const std::string* dir = string_member(record, "working_dir")) session.working_dir = *dir;
    Json& meta = session.metadata;
    if (const std::string* v = string_member(record, "session_type")) meta["kind"] = *v;
    if (const std::string* v = string_member(record, "parent_session_id")) {
      meta["parent_session_id"] = *v;
    }
    if (const std::string* v = string_member(record, "schedule_id")) meta["schedule_id"] = *v;
    const Json* config = member(record, "model_config");
    const std::string* model = config != nullptr ? string_member(*config, "model_name") : nullptr;
    model_ = model != nullptr ? *model : "";
    const std::string* provider = string_member(record, "provider_name");
    provider_ = provider != nullptr ? *provider : "";
    tool_names_.clear();
    beyond_ledger(record, created, at);
    return true;
  }

  bool read_record(const std::string& kind, Json& record, Position at) override {
    if (kind == "message") {
      message(record, at);
    } else if (kind == "usage") {
      usage(record, at);
    } else {
      return false;
    }
    return true;
  }

  static std::string message_turn_id(const Json& record, Position at) {
    const std::string* id = string_member(record, "message_id");
    if (id != nullptr && !id->empty()) return *id;
    if (const auto row = integer_member(record, "row")) return "row:" + std::to_string(*row);
    return "l" + std::to_string(at.line);
  }

  void message(Json& record, Position at) {
    const std::string* role = string_member(record, "role");
    if (role == nullptr) {
      out_.problem(at, member(record, "role") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "role", "a message needs its role");
      return;
    }
    Json* content = member(record, "content");
    if (content == nullptr || !content->is_array()) {
      out_.problem(at, content == nullptr ? ErrorCode::MissingField : ErrorCode::InvalidField,
                   "content", "a message's content_json must be a JSON array of content parts");
      return;
    }
    const auto time = required_time(record, "time", "time", at, out_);
    if (!time) return;
    Parts parts = collect_parts(*content);
    const bool only_responses =
        !parts.responses.empty() && parts.responses.size() == content->size();
    if (!only_responses) main_turn(record, *role, parts, at, *time);
    for (Json* response : parts.responses) tool_turn(*response, at, *time);
  }

  void main_turn(const Json& record, const std::string& role, Parts& parts, Position at,
                 NormalizedTime time) {
    const Json* meta = member(record, "metadata");
    const Json* visible = meta != nullptr ? member(*meta, "userVisible") : nullptr;
    const bool user_visible = visible == nullptr || !visible->is_boolean() || visible->get<bool>();
    const char* wire_role = "system";
    if (role == "assistant") {
      wire_role = "assistant";
    } else if (role == "user" && user_visible && !parts.notification_only) {
      wire_role = "user";
    }
    Turn& turn =
        out_.add_turn(at, session_, unique_turn_id(message_turn_id(record, at)), wire_role, time);
    Json& m = turn.metadata;
    m["native_type"] = "message";
    if (const std::string* id = string_member(record, "message_id")) m["message_id"] = *id;
    if (const auto row = integer_member(record, "row")) m["row"] = *row;
    if (role != "user" && role != "assistant") m["native_role"] = role;
    if (meta != nullptr && meta->is_object()) {
      for (const auto& [key, name] :
           {std::pair{"userVisible", "user_visible"}, std::pair{"agentVisible", "agent_visible"}}) {
        const Json* flag = member(*meta, key);
        if (flag != nullptr && flag->is_boolean()) m[name] = *flag;
      }
      // Counted on the request's usage turn, not here.
      if (const Json* usage = member(*meta, "usage")) m["message_usage"] = *usage;
    }
    if (!parts.reasoning.empty()) m["reasoning"] = parts.reasoning;
    if (parts.redacted > 0) m["redacted_thinking"] = parts.redacted;
    if (!parts.other_types.empty()) m["parts_not_mapped"] = std::move(parts.other_types);
    if (role == "assistant" && !model_.empty()) turn.model = model_;
    if (!parts.tool_calls.is_null()) {
      for (const Json& call : parts.tool_calls) {
        const std::string* id = string_member(call, "id");
        const std::string* name = string_member(call, "name");
        if (id != nullptr && name != nullptr) tool_names_[*id] = *name;
      }
      turn.tool_calls = std::move(parts.tool_calls);
    }
    if (auto text = join_texts(std::move(parts.texts))) out_.set_content(turn, std::move(*text));
  }

  void tool_turn(Json& response, Position at, NormalizedTime time) {
    const std::string* call_id = string_member(response, "id");
    const std::string id = call_id != nullptr ? *call_id : "";
    const std::string turn_id = (id.empty() ? "l" + std::to_string(at.line) : id) + ":output";
    Turn& turn = out_.add_turn(at, session_, unique_turn_id(turn_id), "tool", time);
    Json& m = turn.metadata;
    m["native_type"] = "toolResponse";
    m["call_id"] = id;
    if (const auto name = tool_names_.find(id); name != tool_names_.end()) m["name"] = name->second;
    Json* result = member(response, "toolResult");
    const std::string* status = result != nullptr ? string_member(*result, "status") : nullptr;
    Json* value = result != nullptr ? member(*result, "value") : nullptr;
    std::string* error = result != nullptr ? string_member(*result, "error") : nullptr;
    m["is_error"] = (status != nullptr && *status == "error") ||
                    (value != nullptr && true_member(*value, "isError"));
    if (error != nullptr) {
      out_.set_content(turn, std::move(*error));
    } else if (Json* items = value != nullptr ? member(*value, "content") : nullptr) {
      if (auto text = result_text(*items)) out_.set_content(turn, std::move(*text));
    }
  }

  void usage(const Json& record, Position at) {
    const auto row = integer_member(record, "row");
    if (!row) {
      out_.problem(at, member(record, "row") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "row", "a usage record needs its usage_ledger id");
      return;
    }
    const auto time = required_time(record, "time", "time", at, out_);
    if (!time) return;
    Turn& turn = out_.add_turn(at, session_, "usage:" + std::to_string(*row), "assistant", *time);
    Json& m = turn.metadata;
    m["native_type"] = "usage_ledger";
    m["row"] = *row;
    const std::string* model = string_member(record, "model");
    if (model != nullptr && !model->empty()) {
      turn.model = *model;
    } else if (!model_.empty()) {
      turn.model = model_;
    }
    if (!provider_.empty()) m["provider"] = provider_;
    if (true_member(record, "is_compaction") ||
        integer_member(record, "is_compaction").value_or(0) > 0) {
      m["compaction"] = true;
    }
    if (const std::string* source = string_member(record, "cost_source")) {
      m["cost_source"] = *source;
    }
    if (const Json* cost = member(record, "cost"); cost != nullptr && cost->is_number()) {
      turn.cost_usd = cost->get<double>();
    } else if (cost != nullptr && !cost->is_null()) {
      m["cost_invalid"] = *cost;  // said, not guessed at
    }
    Json usage = Json::object();
    for (const char* key : {"input_tokens", "output_tokens", "total_tokens", "cache_read_tokens",
                            "cache_write_tokens"}) {
      if (const Json* v = member(record, key)) usage[key] = *v;
    }
    const TokenCount input = token_count(usage, "input_tokens");
    const TokenCount output = token_count(usage, "output_tokens");
    const TokenCount read = token_count(usage, "cache_read_tokens");
    const TokenCount write = token_count(usage, "cache_write_tokens");
    m["usage"] = std::move(usage);
    if (!checked_sum({input, output, read, write})) {
      m["usage_invalid"] = true;
      return;
    }
    if (*input == 0 && *output == 0) {
      m["usage_missing"] = true;
      return;
    }
    // Goose's input_tokens is the whole prompt: its providers add the cache
    // reads and writes into it.
    turn.tokens_in = input;
    turn.tokens_out = output;
    m["cache_read_tokens"] = *read;
    m["cache_write_tokens"] = *write;
  }

  // What the session's accumulated totals hold beyond its ledger's sums.
  void beyond_ledger(const Json& record, const std::optional<NormalizedTime>& created,
                     Position at) {
    const Json* accumulated = member(record, "accumulated");
    const Json* ledger = member(record, "ledger");
    if (accumulated == nullptr || !accumulated->is_object()) return;
    const Json none = Json::object();
    const Json& counted = ledger != nullptr && ledger->is_object() ? *ledger : none;
    const TokenCount input = token_count(*accumulated, "input_tokens");
    const TokenCount output = token_count(*accumulated, "output_tokens");
    const TokenCount counted_input = token_count(counted, "input_tokens");
    const TokenCount counted_output = token_count(counted, "output_tokens");
    const bool invalid = !checked_sum({input, output}) || !counted_input || !counted_output;
    const std::int64_t rest_in = invalid || *input <= *counted_input ? 0 : *input - *counted_input;
    const std::int64_t rest_out =
        invalid || *output <= *counted_output ? 0 : *output - *counted_output;
    const double rest_cost = number(*accumulated, "cost") - number(counted, "cost");
    if (!invalid && rest_in == 0 && rest_out == 0 && rest_cost <= kCostEpsilon) return;
    if (!created) {
      out_.problem(at, ErrorCode::MissingField, "created_at",
                   "the session's totals beyond its usage rows need the session's created_at");
      return;
    }
    Turn& turn = out_.add_turn(at, session_, "session-totals", "assistant", *created);
    Json& m = turn.metadata;
    m["native_type"] = "sessions.accumulated";
    m["usage"] = *accumulated;
    m["counted_on_usage_rows"] = counted;
    if (!model_.empty()) turn.model = model_;
    if (invalid) {
      m["usage_invalid"] = true;
      return;
    }
    turn.tokens_in = rest_in;
    turn.tokens_out = rest_out;
    if (rest_cost > kCostEpsilon) turn.cost_usd = rest_cost;
  }

  static double number(const Json& object, const char* key) {
    const Json* v = member(object, key);
    return v != nullptr && v->is_number() ? v->get<double>() : 0;
  }

  static constexpr double kCostEpsilon = 1e-9;

  std::size_t session_ = 0;
  std::string model_;
  std::string provider_;
  std::map<std::string, std::string> tool_names_;  // toolRequest id -> tool name
};

}  // namespace

std::unique_ptr<Reader> goose_reader(std::string_view data, Output& out) {
  return std::make_unique<GooseReader>(data, out);
}

}  // namespace lethe::native
