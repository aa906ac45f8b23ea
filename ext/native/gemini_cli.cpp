// Gemini CLI: ~/.gemini/tmp/<project>/chats/session-<time>-<id>.json (one
// document, rewritten whole) or .jsonl (an append log replayed into the
// same state: whole messages replace earlier ones with the same id, $set
// merges into the header, $set.messages replaces the list, $rewindTo drops
// messages). Adapters contract section 5.
#include <algorithm>
#include <climits>
#include <map>
#include <unordered_set>

#include "native/reader.hpp"

namespace lethe::native {

namespace {

// The latest version of a message read so far, and where it stood.
struct Version {
  Position at;
  std::string path;  // for problems ("messages.3.")
  Json message;
};

// A message id of the file: produced once, in its last version, at the
// position of its first appearance (its slot).
struct MessageState {
  const std::string* id = nullptr;  // the key in the id map
  std::optional<std::size_t> slot;
  std::uint64_t last_line = 0;  // a log's index pass: the line of its last version
  bool in_final_state = false;  // a log's index pass: not rewound
  bool produced = false;
  std::unique_ptr<Version> latest;  // one pointer: most ids have none for most of the file
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

// What a log's index pass found on a non-blank line.
enum class Kind : std::uint8_t { Invalid, Header, Skip, Version, Parse };
constexpr std::uint32_t kNoId = UINT32_MAX;
struct LineInfo {
  Kind kind = Kind::Skip;
  std::uint32_t id = kNoId;  // Version: the message
};

constexpr std::array<std::string_view, 5> kIndexKeys = {"sessionId", "$rewindTo", "$set", "id",
                                                        "messages"};
enum IndexKey { kSessionId, kRewindTo, kSet, kId, kMessages };

class GeminiReader : public Reader {
 public:
  GeminiReader(std::string_view data, Output& out) : out_(out), data_(data), records_(data, out) {
    LineSplitter splitter(data);
    Line line;
    while (splitter.next(line) && is_blank(line.text)) {
    }
    if (is_blank(line.text)) {
      done_ = true;
      return;
    }
    Json first;
    std::string problem;
    first_ = {line.number, line.byte_offset};
    const bool first_line_parses = parse_object(line.text, first, problem);
    if (!first_line_parses || member(first, "messages") != nullptr) {
      document_ = true;
      first_line_parses_ = first_line_parses;
      return;
    }
    index_log(data);
  }

  bool step() override {
    if (done_) return false;
    if (document_) {
      done_ = true;
      Json document;
      std::string problem;
      if (parse_object(data_.substr(first_.byte_offset), document, problem)) {
        read_document(document, first_);
        return true;
      }
      if (!first_line_parses_) {  // a cut document: nothing of it can be read
        out_.problem(first_, ErrorCode::InvalidJson, "", "file is not valid JSON: " + problem);
        return true;
      }
      document_ = false;  // its first line is a record of its own: a log after all
      done_ = false;
      index_log(data_);
      return true;
    }
    Line line;
    if (!records_.next_line(line)) {
      for (std::size_t i = 0; i < messages_.size(); ++i) finalize(i);
      done_ = true;
      return false;
    }
    const LineInfo info = lines_[next_line_++];
    const Position at{line.number, line.byte_offset};
    read_line(line.text, info, at);
    // The messages whose last version this line held, in order of first
    // appearance (the order of their slots).
    std::sort(touched_.begin(), touched_.end());
    for (const std::uint32_t i : touched_) {
      if (messages_[i].last_line <= at.line) finalize(i);
    }
    touched_.clear();
    return true;
  }

 private:
  // The log's index pass: where each message's last version is, and which
  // messages the final state holds (so a message is produced as soon as its
  // last version is read, and knows whether it was rewound).
  void index_log(std::string_view data) {
    MessageList state;
    bool first = true;
    bool have_header = false;
    index_lines(data, kIndexKeys, lines_, [&](const Line& line, LineInfo& info, const auto& m) {
      if (first) {
        first = false;
        info.kind = Kind::Header;
        const auto id = string_value(m[kSessionId]);
        have_header = id && !id->empty();
        // A document written on one line, then appended to: its messages
        // are versions, as in a $set.messages.
        if (have_header && m[kMessages] != nullptr)
          index_messages(*m[kMessages], line.number, state);
        return;
      }
      if (!have_header) return;  // nothing of a log without its header is read
      if (const json::Value* target = m[kRewindTo]) {
        if (const auto id = string_value(target)) state.rewind_to(*id);
      } else if (const json::Value* set = m[kSet]) {
        index_set(*set, line.number, state, info);
      } else if (const json::Value* id_value = m[kId]) {
        const auto id = string_value(id_value);
        if (!id || id->empty()) {
          info.kind = Kind::Parse;  // its problem is reported from the DOM
          return;
        }
        info.kind = Kind::Version;
        info.id = index_version(*id, line.number);
        state.add(*id);
      }
    });
    for (MessageState& message : messages_) message.in_final_state = state.contains(*message.id);
  }

  // $set.messages replaces the list: rare, read with the DOM.
  void index_set(const json::Value& set, std::uint64_t line, MessageList& state, LineInfo& info) {
    if (set.type != json::Type::Object) return;
    Members<1> inner;
    json::ScanError error;
    if (!scan_members(set.raw, std::array<std::string_view, 1>{"messages"}, inner, error) ||
        inner[0] == nullptr || inner[0]->type != json::Type::Array) {
      return;
    }
    info.kind = Kind::Parse;
    index_messages(*inner[0], line, state);
  }

  // A list of messages that replaces the state (a $set.messages, or the
  // messages of a header); each is a version at `line`.
  void index_messages(const json::Value& list, std::uint64_t line, MessageList& state) {
    if (list.type != json::Type::Array) return;
    // The DOM the read pass builds (lethe's scanner validated the line), so
    // both passes see the same messages: nlohmann's parser refuses numbers
    // a double can't hold, where the builder takes them.
    Json messages;
    parse_scanned(list.raw, messages);
    state.clear();
    for (const Json& message : messages) {
      const std::string* id = string_member(message, "id");
      if (id == nullptr || id->empty()) continue;
      index_version(*id, line);
      state.add(*id);
    }
  }

  // The index pass: `line` holds a version of `id`, the latest so far.
  std::uint32_t index_version(const std::string& id, std::uint64_t line) {
    const std::uint32_t i = message_index(id, line);
    messages_[i].last_line = line;
    return i;
  }

  // The message of `id`; one not seen before (a document's, or one the
  // index pass missed) ends at `line`.
  std::uint32_t message_index(const std::string& id, std::uint64_t line) {
    const auto [found, fresh] =
        index_.try_emplace(id, static_cast<std::uint32_t>(messages_.size()));
    if (fresh) {
      MessageState& message = messages_.emplace_back();
      message.id = &found->first;
      message.last_line = line;
    }
    return found->second;
  }

  void read_line(std::string_view text, const LineInfo& info, Position at) {
    if (info.kind == Kind::Invalid) {
      invalid_indexed_line(out_, text, at);
      return;
    }
    if (info.kind == Kind::Skip) {
      out_.skip();
      return;
    }
    if (info.kind == Kind::Version && messages_[info.id].last_line != at.line) {
      appeared(info.id, at);  // a version a later one replaces: no DOM needed
      return;
    }
    ParsedRecord parsed;
    Json& record = parsed.value;
    parse_scanned(text, record);
    if (info.kind == Kind::Header) {
      if (header(record, at) && member(record, "messages") != nullptr) {
        merge(record, at, nullptr, "messages.");
      } else {
        out_.skip();
      }
      return;
    }
    // A message (a line with an id) is produced; every other record is
    // bookkeeping.
    if (member(record, "$rewindTo") == nullptr && member(record, "$set") == nullptr &&
        member(record, "id") != nullptr) {
      appear(std::move(record), at, "");
      return;
    }
    if (const Json* set = member(record, "$set")) merge(*set, at, nullptr, "$set.messages.");
    out_.skip();
  }

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

  // The document: one DOM, produced whole (no later line can change it).
  void read_document(const Json& document, Position at) {
    if (!header(document, at)) return;
    const Json* messages = member(document, "messages");
    if (messages == nullptr || !messages->is_array()) return;
    MessageList state;
    std::size_t index = 0;
    for (const Json& message : *messages) {
      const std::string path = "messages." + std::to_string(index++) + ".";
      if (const std::string* id = appear(message, at, path)) state.add(*id);
    }
    for (MessageState& message : messages_) message.in_final_state = state.contains(*message.id);
    for (std::size_t i = 0; i < messages_.size(); ++i) finalize(i);
    touched_.clear();
  }

  // $set.messages: the list is replaced; those messages are versions too.
  // `path` names the list in problems ("$set.messages.", "messages.").
  void merge(const Json& set, Position at, MessageList* state, const std::string& path_prefix) {
    const Json* messages = member(set, "messages");
    if (messages == nullptr || !messages->is_array()) return;  // header facts only
    if (state != nullptr) state->clear();
    std::size_t index = 0;
    for (const Json& message : *messages) {
      const std::string path = path_prefix + std::to_string(index++) + ".";
      if (const std::string* id = appear(message, at, path); id && state) state->add(*id);
    }
  }

  // A version of a message at `at`: its first appearance opens its slot;
  // a later one replaces it and makes no line of its own.
  void appeared(std::uint32_t i, Position at) {
    MessageState& message = messages_[i];
    if (!message.slot && !message.produced) {
      out_.open_slot(at);
      message.slot = out_.last_slot();
    } else {
      out_.skip();
    }
    touched_.push_back(i);
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
    // A log's index pass knows every id and where its last version is (a
    // later line may still replace this one); a document's ids are indexed
    // now, all produced at its end.
    const std::uint32_t i = message_index(*id, at.line);
    MessageState& state = messages_[i];
    appeared(i, at);
    if (!state.produced)
      state.latest = std::make_unique<Version>(Version{at, path, std::move(message)});
    return state.id;
  }

  void finalize(std::size_t i) {
    MessageState& message = messages_[i];
    if (!message.slot || message.produced) return;
    if (message.latest && session_) {
      produce_message(*message.slot, *message.latest, *message.id, !message.in_final_state);
    }
    out_.close(*message.slot);
    message.produced = true;
    message.latest.reset();  // its turns hold what they need: free the DOM now
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

  void produce_message(std::size_t slot, const Version& seen, const std::string& id, bool rewound) {
    const Json& message = seen.message;
    const Position first = out_.slot_position(slot);
    const std::string* type = string_member(message, "type");
    if (type == nullptr || !(*type == "user" || *type == "gemini" || *type == "info" ||
                             *type == "warning" || *type == "error")) {
      out_.skip();
      return;
    }
    const auto time = required_time(message, "timestamp", seen.path + "timestamp", seen.at, out_);
    if (!time) return;
    std::vector<std::string> texts;
    if (const Json* content = member(message, "content")) part_texts(*content, texts);
    Turn& turn = out_.add_turn_to(slot, first, *session_, id, role_of(*type, texts), *time);
    turn.metadata["native_type"] = *type;
    if (rewound) turn.metadata["rewound"] = true;
    if (auto text = join_texts(std::move(texts))) out_.set_content(turn, std::move(*text));
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
    // move from here on: add_turn_to grows the slot.)
    const NormalizedTime message_time = *time;
    std::size_t index = 0;
    for (const Json& call : *calls) {
      tool_result(slot, call, id, index++, first, message_time, rewound);
    }
  }

  void tokens(Turn& turn, const Json& message) {
    const Json* tokens = member(message, "tokens");
    if (tokens == nullptr || !tokens->is_object()) return;
    turn.metadata["usage"] = *tokens;
    const TokenCount input = token_count(*tokens, "input");
    const TokenCount output = token_count(*tokens, "output");
    const TokenCount cached = token_count(*tokens, "cached");
    const TokenCount thoughts = token_count(*tokens, "thoughts");
    const TokenCount tool = token_count(*tokens, "tool");
    const TokenCount total = token_count(*tokens, "total");
    const TokenCount tokens_in = checked_sum({input, tool});
    const TokenCount tokens_out = checked_sum({output, thoughts});
    if (!tokens_in || !tokens_out || !cached || !total) {
      turn.metadata["usage_invalid"] = true;
      return;
    }
    if (*tokens_in == 0 && *tokens_out == 0 && *cached == 0 && *total == 0) {
      turn.metadata["usage_missing"] = true;
      return;
    }
    turn.tokens_in = tokens_in;
    turn.tokens_out = tokens_out;
    turn.metadata["cache_read_tokens"] = *cached;
    turn.metadata["reasoning_tokens"] = *thoughts;
  }

  void tool_result(std::size_t slot, const Json& call, const std::string& message_id,
                   std::size_t index, Position at, NormalizedTime message_time, bool rewound) {
    const Json* result = member(call, "result");
    if (result == nullptr || result->is_null()) return;
    const std::string* call_id = string_member(call, "id");
    const std::string suffix = call_id != nullptr ? *call_id : std::to_string(index);
    const auto time = optional_time(call, "timestamp");
    Turn& turn = out_.add_turn_to(slot, at, *session_, message_id + ":" + suffix, "tool",
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
    if (auto text = join_texts(std::move(outputs))) {
      out_.set_content(turn, std::move(*text));
    } else {
      out_.set_content(turn, result->dump(-1, ' ', false, Json::error_handler_t::replace));
    }
  }

  Output& out_;
  std::string_view data_;
  RecordReader records_;
  Position first_;
  bool document_ = false;
  bool first_line_parses_ = false;
  bool done_ = false;
  std::optional<std::size_t> session_;
  std::vector<LineInfo> lines_;  // a log's, per non-blank line
  std::size_t next_line_ = 0;
  std::map<std::string, std::uint32_t> index_;  // id -> messages_
  std::vector<MessageState> messages_;          // in order of first appearance
  std::vector<std::uint32_t> touched_;          // messages of the line being read
};

}  // namespace

std::unique_ptr<Reader> gemini_reader(std::string_view data, Output& out) {
  return std::make_unique<GeminiReader>(data, out);
}

}  // namespace lethe::native
