// Gemini CLI: ~/.gemini/tmp/<project>/chats/session-<time>-<id>.json (one
// document, rewritten whole) or .jsonl (an append log replayed into the
// same state: whole messages replace earlier ones with the same id, $set
// merges into the header, $set.messages replaces the list, $rewindTo drops
// messages). Adapters contract section 5.
#include <algorithm>
#include <map>
#include <unordered_set>

#include "native_common.hpp"

namespace lethe::native {

namespace {

// A message id seen in the file: produced once, in its last version, at the
// position of its first appearance.
struct Appearance {
  Position first;
  Position last;
  std::string path;  // where the last version stood, for problems ("messages.3.")
  Json message;
};

// The ids the replayed state holds, in order. Membership is a set: a long
// session has thousands of messages, each rewritten a few times.
class MessageList {
 public:
  void add(const std::string& id) {
    if (members_.insert(id).second) order_.push_back(id);
  }
  // Drops `id` and every later message; an id it doesn't hold drops nothing.
  void rewind_to(const std::string& id) {
    if (members_.count(id) == 0) return;
    const auto from = std::find(order_.begin(), order_.end(), id);
    for (auto it = from; it != order_.end(); ++it) members_.erase(*it);
    order_.erase(from, order_.end());
  }
  void clear() {
    order_.clear();
    members_.clear();
  }
  bool contains(const std::string& id) const { return members_.count(id) != 0; }

 private:
  std::vector<std::string> order_;
  std::unordered_set<std::string> members_;
};

class GeminiReader {
 public:
  explicit GeminiReader(Output& out) : out_(out) {}

  void read(std::string_view data) {
    LineSplitter splitter(data);
    Line line;
    while (splitter.next(line) && is_blank(line.text)) {
    }
    if (is_blank(line.text)) return;
    Json first;
    std::string problem;
    const Position at{line.number, line.byte_offset};
    const bool first_line_parses = parse_object(line.text, first, problem);
    if (!first_line_parses || member(first, "messages") != nullptr) {
      Json document;
      if (parse_object(data.substr(line.byte_offset), document, problem)) {
        read_document(document, at);
        produce();
        return;
      }
      if (!first_line_parses) {  // a cut document: nothing of it can be read
        out_.problem(at, ErrorCode::InvalidJson, "", "file is not valid JSON: " + problem);
        return;
      }
    }
    read_log(data);
    produce();
  }

 private:
  bool header(const Json& record, Position at) {
    const std::string* id = string_member(record, "sessionId");
    if (id == nullptr || id->empty()) {
      out_.problem(at,
                   member(record, "sessionId") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "sessionId", "the file's first record must name its sessionId");
      return false;
    }
    session_ = out_.session(*id);
    Session& session = out_.session_at(*session_);
    session.started_at = optional_time(record, "startTime");
    Json& meta = session.metadata;
    if (const std::string* v = string_member(record, "projectHash")) meta["project_hash"] = *v;
    if (const std::string* v = string_member(record, "kind")) meta["kind"] = *v;
    if (const std::string* v = string_member(record, "parentSessionId")) {
      meta["parent_session_id"] = *v;
    }
    return true;
  }

  void read_document(const Json& document, Position at) {
    if (!header(document, at)) return;
    const Json* messages = member(document, "messages");
    if (messages == nullptr || !messages->is_array()) return;
    std::size_t index = 0;
    for (const Json& message : *messages) {
      const std::string path = "messages." + std::to_string(index++) + ".";
      if (const std::string* id = appear(message, at, path)) state_.add(*id);
    }
  }

  void read_log(std::string_view data) {
    RecordReader reader(data, out_);
    Json record;
    Position at;
    bool have_header = false;
    bool first = true;
    while (reader.next(record, at)) {
      if (first) {
        first = false;
        have_header = header(record, at);
        out_.skip();
        continue;
      }
      // A message (a line with an id) is produced; every other record is
      // bookkeeping, and without a header there is no session to put
      // anything in (reported at the header).
      if (have_header && member(record, "$rewindTo") == nullptr &&
          member(record, "$set") == nullptr && member(record, "id") != nullptr) {
        if (const std::string* id = appear(std::move(record), at, "")) state_.add(*id);
        continue;
      }
      if (have_header) {
        if (const Json* target = member(record, "$rewindTo")) {
          rewind(*target);
        } else if (const Json* set = member(record, "$set")) {
          merge(*set, at);
        }
      }
      out_.skip();
    }
  }

  // Drops the target message and all later ones; an id the state doesn't
  // hold drops nothing.
  void rewind(const Json& target) {
    if (!target.is_string()) return;
    state_.rewind_to(target.get<std::string>());
  }

  void merge(const Json& set, Position at) {
    const Json* messages = member(set, "messages");
    if (messages == nullptr || !messages->is_array()) return;  // header facts only
    state_.clear();
    std::size_t index = 0;
    for (const Json& message : *messages) {
      const std::string path = "$set.messages." + std::to_string(index++) + ".";
      if (const std::string* id = appear(message, at, path)) state_.add(*id);
    }
  }

  // Records a version of a message; returns its id, or null when it has none.
  // Takes the message by value: a whole line moves in, no copy of its DOM.
  const std::string* appear(Json message, Position at, const std::string& path) {
    const std::string* id = string_member(message, "id");
    if (id == nullptr || id->empty()) {
      out_.problem(at, member(message, "id") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   path + "id", "a message needs a non-empty string id");
      return nullptr;
    }
    const auto [found, fresh] = index_.try_emplace(*id, seen_.size());
    if (fresh) {
      seen_.push_back({at, at, path, std::move(message)});
    } else {
      Appearance& earlier = seen_[found->second];
      earlier.last = at;
      earlier.path = path;
      earlier.message = std::move(message);
      out_.skip();  // the version it replaces makes no line of its own
    }
    return &found->first;
  }

  void produce() {
    if (!session_) return;
    for (Appearance& seen : seen_) {
      const std::string id = *string_member(seen.message, "id");
      produce_message(seen, id, !state_.contains(id));
      seen.message = Json();  // its turns hold what they need: free the DOM now
    }
  }

  static void part_texts(const Json& content, std::vector<std::string>& texts) {
    if (content.is_string()) {
      texts.push_back(content.get<std::string>());
      return;
    }
    if (!content.is_array()) return;
    for (const Json& part : content) {
      if (const std::string* text = string_member(part, "text")) {
        texts.push_back(*text);
      } else if (const Json* inline_data = member(part, "inlineData")) {
        const std::string* media = string_member(*inline_data, "mimeType");
        const std::string* data = string_member(*inline_data, "data");
        texts.push_back(image_placeholder(media ? *media : "", data ? *data : ""));
      }
    }
  }

  static const char* role_of(const std::string& type, const std::vector<std::string>& texts) {
    if (type == "gemini") return "assistant";
    if (type != "user") return "system";  // info, warning, error
    const std::string first = texts.empty() ? std::string() : texts.front();
    return starts_with(first, "<session_context>") || starts_with(first, "System: ") ? "system"
                                                                                     : "user";
  }

  void produce_message(Appearance& seen, const std::string& id, bool rewound) {
    const Json& message = seen.message;
    const std::string* type = string_member(message, "type");
    if (type == nullptr || !(*type == "user" || *type == "gemini" || *type == "info" ||
                             *type == "warning" || *type == "error")) {
      out_.skip();
      return;
    }
    const auto time = required_time(message, "timestamp", seen.path + "timestamp", seen.last, out_);
    if (!time) return;
    std::vector<std::string> texts;
    if (const Json* content = member(message, "content")) part_texts(*content, texts);
    Turn& turn = out_.add_turn(seen.first, *session_, id, role_of(*type, texts), *time);
    turn.metadata["native_type"] = *type;
    if (rewound) turn.metadata["rewound"] = true;
    if (auto text = join_texts(texts)) out_.set_content(turn, std::move(*text));
    if (*type != "gemini") return;
    if (const std::string* model = string_member(message, "model")) turn.model = *model;
    if (const Json* thoughts = member(message, "thoughts"); thoughts && !thoughts->is_null()) {
      turn.metadata["thoughts"] = *thoughts;
    }
    tokens(turn, message);
    const Json* calls = member(message, "toolCalls");
    if (calls == nullptr || !calls->is_array() || calls->empty()) return;
    Json tool_calls = Json::array();
    for (const Json& call : *calls) {
      Json entry = Json::object();
      entry["id"] = member(call, "id") ? call["id"] : Json();
      entry["name"] = member(call, "name") ? call["name"] : Json();
      entry["input"] = member(call, "args") ? call["args"] : Json();
      entry["status"] = member(call, "status") ? call["status"] : Json();
      tool_calls.push_back(std::move(entry));
    }
    turn.tool_calls = std::move(tool_calls);
    // The results, one tool turn each, after their message. (`turn` may
    // move from here on: add_turn grows the list.)
    const Position at = seen.first;
    const NormalizedTime message_time = *time;
    std::size_t index = 0;
    for (const Json& call : *calls) {
      tool_result(call, id, index++, at, message_time, rewound);
    }
  }

  void tokens(Turn& turn, const Json& message) {
    const Json* tokens = member(message, "tokens");
    if (tokens == nullptr || !tokens->is_object()) return;
    turn.metadata["usage"] = *tokens;
    const std::int64_t input = integer_member(*tokens, "input").value_or(0);
    const std::int64_t output = integer_member(*tokens, "output").value_or(0);
    const std::int64_t cached = integer_member(*tokens, "cached").value_or(0);
    const std::int64_t thoughts = integer_member(*tokens, "thoughts").value_or(0);
    const std::int64_t tool = integer_member(*tokens, "tool").value_or(0);
    if (input + output + cached + thoughts + tool == 0 &&
        integer_member(*tokens, "total").value_or(0) == 0) {
      turn.metadata["usage_missing"] = true;
      return;
    }
    turn.tokens_in = input + tool;
    turn.tokens_out = output + thoughts;
    turn.metadata["cache_read_tokens"] = cached;
    turn.metadata["reasoning_tokens"] = thoughts;
  }

  void tool_result(const Json& call, const std::string& message_id, std::size_t index, Position at,
                   NormalizedTime message_time, bool rewound) {
    const Json* result = member(call, "result");
    if (result == nullptr || result->is_null()) return;
    const std::string* call_id = string_member(call, "id");
    const std::string suffix = call_id != nullptr ? *call_id : std::to_string(index);
    const auto time = optional_time(call, "timestamp");
    Turn& turn = out_.add_turn(at, *session_, message_id + ":" + suffix, "tool",
                               time ? *time : message_time);
    turn.metadata["native_type"] = "toolCall";
    turn.metadata["message_id"] = message_id;
    if (call_id != nullptr) turn.metadata["call_id"] = *call_id;
    if (const std::string* name = string_member(call, "name")) turn.metadata["name"] = *name;
    if (const std::string* status = string_member(call, "status"))
      turn.metadata["status"] = *status;
    if (rewound) turn.metadata["rewound"] = true;
    std::vector<std::string> outputs;
    if (result->is_array()) {
      for (const Json& part : *result) {
        const Json* response = member(part, "functionResponse");
        const Json* body = response ? member(*response, "response") : nullptr;
        const Json* output = body ? member(*body, "output") : nullptr;
        if (output != nullptr && output->is_string()) outputs.push_back(output->get<std::string>());
      }
    }
    if (auto text = join_texts(outputs)) {
      out_.set_content(turn, std::move(*text));
    } else {
      out_.set_content(turn, result->dump(-1, ' ', false, Json::error_handler_t::replace));
    }
  }

  Output& out_;
  std::optional<std::size_t> session_;
  std::vector<Appearance> seen_;              // in order of first appearance
  std::map<std::string, std::size_t> index_;  // id -> seen_
  MessageList state_;                         // what the final state holds
};

}  // namespace

void read_gemini(std::string_view data, Output& out) { GeminiReader(out).read(data); }

}  // namespace lethe::native
