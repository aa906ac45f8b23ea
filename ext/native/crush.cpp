// Crush (experimental): <project>/.crush/crush.db, exported by
// ext/write/agent_db/crush.sql (docs/reference/adapters.md, "Crush"). No real
// database has been published; the reader follows Crush's migrations and
// its message/content.go, and is experimental until one is.
//
// Crush keeps no token count per request or per message: a session row
// holds prompt_tokens and completion_tokens as Crush last set them (the
// latest request's, for its context meter) and its accumulated cost. They
// become one turn per session (session-usage), so nothing is counted twice.
#include "native/db_export.hpp"

namespace lethe::native {

namespace {

// "data:image/png;base64,AAAA" -> the placeholder; any other URL as it is.
std::string image_url_text(const std::string& url) {
  constexpr std::string_view kData = "data:";
  constexpr std::string_view kBase64 = ";base64,";
  const auto marker = url.find(kBase64);
  if (url.rfind(kData, 0) == 0 && marker != std::string::npos) {
    const std::string_view text(url);
    return image_placeholder(text.substr(kData.size(), marker - kData.size()),
                             text.substr(marker + kBase64.size()));
  }
  return "[image " + url + "]";
}

// A tool call's input: Crush stores the arguments as JSON text.
Json tool_input(Json* input) {
  if (input == nullptr) return Json();
  if (const std::string* text =
          input->is_string() ? &input->get_ref<const std::string&>() : nullptr) {
    if (auto parsed = parse_any(*text)) return std::move(*parsed);
  }
  return std::move(*input);
}

class CrushReader : public DbExportReader {
 public:
  using DbExportReader::DbExportReader;

 private:
  bool start_session(Json& record, Position at) override {
    const auto opened = open_session_record(record, at);
    if (!opened) return false;
    session_ = opened->index;
    const auto& created = opened->created;
    Session& session = out_.session_at(session_);
    if (const std::string* parent = string_member(record, "parent_session_id")) {
      session.metadata["parent_session_id"] = *parent;
    }
    updated_ = optional_time(record, "updated_at");
    if (!updated_) updated_ = created;
    totals_ = Json::object();
    for (const char* key : {"prompt_tokens", "completion_tokens", "cost"}) {
      if (Json* v = member(record, key)) totals_[key] = std::move(*v);
    }
    model_.clear();
    last_time_.reset();
    tool_names_.clear();
    last_at_ = at;
    return true;
  }

  bool read_record(const std::string& kind, Json& record, Position at) override {
    last_at_ = at;
    if (kind != "message") return false;
    message(record, at);
    return true;
  }

  void message(Json& record, Position at) {
    const std::string* id = string_member(record, "id");
    const std::string* role = string_member(record, "role");
    if (id == nullptr || id->empty() || role == nullptr) {
      const char* field = id == nullptr || id->empty() ? "id" : "role";
      out_.problem(at, member(record, field) ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   field, "a message needs its id and role");
      return;
    }
    Json* parts = member(record, "parts");
    if (parts == nullptr || !parts->is_array()) {
      out_.problem(at, parts == nullptr ? ErrorCode::MissingField : ErrorCode::InvalidField,
                   "parts", "a message's parts must be a JSON array of {type, data}");
      return;
    }
    const auto time = required_time(record, "time", "time", at, out_);
    if (!time) return;
    last_time_ = time;
    std::vector<Json*> results;
    std::size_t other = 0;
    for (Json& part : *parts) {
      const std::string* type = string_member(part, "type");
      if (type != nullptr && *type == "tool_result") {
        results.push_back(&part);
      } else {
        ++other;
      }
    }
    if (other > 0 || results.empty()) main_turn(record, *id, *role, *parts, at, *time);
    for (Json* result : results) tool_turn(*result, at, *time);
  }

  void main_turn(Json& record, const std::string& id, const std::string& role, Json& parts,
                 Position at, NormalizedTime time) {
    const char* wire_role = role == "user" ? "user" : role == "assistant" ? "assistant" : "system";
    Turn& turn = out_.add_turn(at, session_, unique_turn_id(id), wire_role, time);
    Json& m = turn.metadata;
    m["native_type"] = "message";
    m["message_id"] = id;
    if (role != "user" && role != "assistant" && role != "system") m["native_role"] = role;
    if (const std::string* model = string_member(record, "model"); model && !model->empty()) {
      turn.model = *model;
      if (role == "assistant") model_ = *model;
    }
    if (const std::string* provider = string_member(record, "provider")) m["provider"] = *provider;
    if (true_member(record, "is_summary") || integer_member(record, "is_summary").value_or(0) > 0) {
      m["summary"] = true;
    }
    std::vector<std::string> texts;
    for (Json& part : parts) read_part(part, turn, texts);
    if (auto text = join_texts(std::move(texts))) out_.set_content(turn, std::move(*text));
  }

  void read_part(Json& part, Turn& turn, std::vector<std::string>& texts) {
    const std::string* type = string_member(part, "type");
    Json* data = member(part, "data");
    Json& m = turn.metadata;
    if (type == nullptr || data == nullptr || !data->is_object()) {
      m["parts_not_mapped"].push_back(type != nullptr ? Json(*type) : Json());
      return;
    }
    if (*type == "text") {
      if (std::string* text = string_member(*data, "text")) texts.push_back(std::move(*text));
    } else if (*type == "reasoning") {
      if (std::string* text = string_member(*data, "thinking"); text && !text->empty()) {
        m["reasoning"].push_back(std::move(*text));
      }
    } else if (*type == "image_url") {
      if (const std::string* url = string_member(*data, "url"))
        texts.push_back(image_url_text(*url));
    } else if (*type == "binary") {
      const std::string* media = string_member(*data, "MIMEType");
      const std::string* bytes = string_member(*data, "Data");
      texts.push_back(image_placeholder(media ? *media : "", bytes ? *bytes : ""));
    } else if (*type == "tool_call") {
      tool_call(*data, turn);
    } else if (*type == "finish") {
      if (const std::string* reason = string_member(*data, "reason")) m["finish_reason"] = *reason;
      if (const std::string* message = string_member(*data, "message");
          message && !message->empty()) {
        m["finish_message"] = *message;
      }
    } else if (*type == "shell_command") {
      const std::string* command = string_member(*data, "command");
      const std::string* output = string_member(*data, "output");
      texts.push_back("$ " + (command ? *command : "") + (output ? "\n" + *output : ""));
      if (const auto code = integer_member(*data, "exit_code")) m["exit_code"] = *code;
    } else {
      m["parts_not_mapped"].push_back(*type);
    }
  }

  void tool_call(Json& data, Turn& turn) {
    if (turn.tool_calls.is_null()) turn.tool_calls = Json::array();
    const std::string* id = string_member(data, "id");
    const std::string* name = string_member(data, "name");
    if (id != nullptr && name != nullptr) tool_names_[*id] = *name;
    Json call = Json::object();
    call["id"] = id != nullptr ? Json(*id) : Json();
    call["name"] = name != nullptr ? Json(*name) : Json();
    call["input"] = tool_input(member(data, "input"));
    turn.tool_calls.push_back(std::move(call));
  }

  void tool_turn(Json& part, Position at, NormalizedTime time) {
    Json* data = member(part, "data");
    const std::string* call_id = data != nullptr ? string_member(*data, "tool_call_id") : nullptr;
    const std::string id = call_id != nullptr ? *call_id : "";
    const std::string turn_id = (id.empty() ? "l" + std::to_string(at.line) : id) + ":output";
    Turn& turn = out_.add_turn(at, session_, unique_turn_id(turn_id), "tool", time);
    Json& m = turn.metadata;
    m["native_type"] = "tool_result";
    m["call_id"] = id;
    m["is_error"] = data != nullptr && true_member(*data, "is_error");
    if (data == nullptr) return;
    if (const std::string* name = string_member(*data, "name"); name && !name->empty()) {
      m["name"] = *name;
    } else if (const auto known = tool_names_.find(id); known != tool_names_.end()) {
      m["name"] = known->second;
    }
    const std::string* media = string_member(*data, "mime_type");
    const std::string* bytes = string_member(*data, "data");
    std::vector<std::string> texts;
    if (std::string* content = string_member(*data, "content"); content && !content->empty()) {
      texts.push_back(std::move(*content));
    }
    if (bytes != nullptr && !bytes->empty()) {
      texts.push_back(image_placeholder(media ? *media : "", *bytes));
    }
    if (auto text = join_texts(std::move(texts))) out_.set_content(turn, std::move(*text));
  }

  // The session row's counters as one turn.
  void end_session() override {
    const std::optional<NormalizedTime> time = updated_ ? updated_ : last_time_;
    const TokenCount input = token_count(totals_, "prompt_tokens");
    const TokenCount output = token_count(totals_, "completion_tokens");
    const Json* cost = member(totals_, "cost");
    const bool has_cost = cost != nullptr && cost->is_number() && cost->get<double>() > 0;
    const bool invalid = !checked_sum({input, output});
    const bool cost_invalid = cost != nullptr && !cost->is_number() && !cost->is_null();
    if (!invalid && *input == 0 && *output == 0 && !has_cost && !cost_invalid) return;
    if (!time) {
      out_.problem(last_at_, ErrorCode::MissingField, "updated_at",
                   "the session's token counters need a time: the session has no updated_at "
                   "and no message");
      return;
    }
    Turn& turn = out_.add_turn(last_at_, session_, "session-usage", "assistant", *time);
    Json& m = turn.metadata;
    m["native_type"] = "sessions";
    m["usage"] = totals_;
    m["tokens_scope"] = "latest_request";
    if (!model_.empty()) turn.model = model_;
    // Crush writes 0 for a model it has no price for: unknown, not free.
    if (has_cost) turn.cost_usd = cost->get<double>();
    if (cost_invalid) m["cost_invalid"] = *cost;
    if (invalid) {
      m["usage_invalid"] = true;
    } else if (*input == 0 && *output == 0) {
      m["usage_missing"] = true;
    } else {
      turn.tokens_in = input;
      turn.tokens_out = output;
    }
  }

  std::size_t session_ = 0;
  std::optional<NormalizedTime> updated_;
  std::optional<NormalizedTime> last_time_;
  Position last_at_;
  Json totals_ = Json::object();
  std::string model_;  // the model of the session's latest assistant message
  std::map<std::string, std::string> tool_names_;  // tool call id -> tool name
};

}  // namespace

std::unique_ptr<Reader> crush_reader(std::string_view data, Output& out) {
  return std::make_unique<CrushReader>(data, out);
}

}  // namespace lethe::native
