// Claude Code: ~/.claude/projects/<project>/<session id>.jsonl (adapters
// contract section 3). One record per line; an API response is split over
// several `assistant` records that share message.id and repeat a usage that
// grows while streaming, so they are grouped into one turn here.
#include <map>
#include <set>
#include <tuple>

#include "native_common.hpp"

namespace lethe::native {

namespace {

// One assistant turn being assembled from its records.
struct AssistantGroup {
  std::size_t turn = 0;  // index into Output's turns
  std::vector<std::string> texts;
  Json thinking = Json::array();
  Json tool_uses = Json::array();
  std::set<std::string> tool_use_ids;
  Json uuids = Json::array();
  Json usage;  // of the record chosen by the split-record rule
  std::int64_t best_output = -1;
  std::int64_t best_total = -1;
  std::optional<double> cost_usd;
  Json stop_reason;
  std::optional<std::string> model;
  std::optional<std::string> request_id;
};

std::int64_t usage_value(const Json& usage, const char* key) {
  return integer_member(usage, key).value_or(0);
}

class ClaudeReader {
 public:
  explicit ClaudeReader(Output& out) : out_(out) {}

  void read(std::string_view data) {
    RecordReader reader(data, out_);
    Json record;
    Position at;
    while (reader.next(record, at)) {
      note_session_facts(record);
      const std::string* type = string_member(record, "type");
      if (type != nullptr && *type == "assistant") {
        assistant(record, at);
      } else if (type != nullptr && *type == "user") {
        user(record, at);
      } else if (type != nullptr && *type == "system" && mapped_system(record)) {
        system(record, at);
      } else {
        out_.skip();  // summaries, titles, progress, snapshots, unknown kinds
      }
    }
    for (AssistantGroup& group : groups_) finish(group);
  }

 private:
  // The session a record belongs to: a sub-agent's records carry their
  // parent's sessionId and an agentId.
  static std::optional<std::string> session_key(const Json& record) {
    const std::string* session = string_member(record, "sessionId");
    if (session == nullptr || session->empty()) return std::nullopt;
    const std::string* agent = string_member(record, "agentId");
    if (agent == nullptr || agent->empty()) return *session;
    return *session + ":agent-" + *agent;
  }

  // started_at, working_dir and metadata come from every record of the
  // session, skipped kinds included (a session's hooks run before its
  // first prompt).
  void note_session_facts(const Json& record) {
    const auto key = session_key(record);
    if (!key) return;
    Session& session = out_.session_at(out_.session(*key));
    if (const auto time = optional_time(record, "timestamp")) {
      if (!session.started_at || *time < *session.started_at) session.started_at = time;
    }
    if (!session.working_dir) {
      if (const std::string* cwd = string_member(record, "cwd")) session.working_dir = *cwd;
    }
    if (!seen_sessions_.insert(*key).second) return;
    Json& meta = session.metadata;
    if (const std::string* v = string_member(record, "version")) meta["client_version"] = *v;
    if (const std::string* v = string_member(record, "gitBranch")) meta["git_branch"] = *v;
    if (const std::string* agent = string_member(record, "agentId"); agent && !agent->empty()) {
      meta["parent_session_id"] = *string_member(record, "sessionId");
      meta["agent_id"] = *agent;
    }
  }

  // The fields every mapped record needs: its session and its time.
  bool common_fields(const Json& record, Position at, std::size_t& session, NormalizedTime& time) {
    const auto key = session_key(record);
    if (!key) {
      const bool absent = member(record, "sessionId") == nullptr;
      out_.problem(at, absent ? ErrorCode::MissingField : ErrorCode::InvalidField, "sessionId",
                   "sessionId must be a non-empty string");
      return false;
    }
    const auto parsed = required_time(record, "timestamp", "timestamp", at, out_);
    if (!parsed) return false;
    session = out_.session(*key);
    time = *parsed;
    return true;
  }

  const Json* message_of(const Json& record, Position at) {
    const Json* message = member(record, "message");
    if (message == nullptr || !message->is_object()) {
      out_.problem(at, message == nullptr ? ErrorCode::MissingField : ErrorCode::InvalidField,
                   "message", "message must be an object");
      return nullptr;
    }
    return message;
  }

  void assistant(const Json& record, Position at) {
    const Json* message = message_of(record, at);
    if (message == nullptr) return;
    // The group: message.id, else requestId, else uuid.
    const std::string* id = string_member(*message, "id");
    if (id == nullptr) id = string_member(record, "requestId");
    if (id == nullptr) id = string_member(record, "uuid");
    if (id == nullptr || id->empty()) {
      out_.problem(at, ErrorCode::MissingField, "message.id",
                   "an assistant record needs message.id (or requestId or uuid)");
      return;
    }
    std::size_t session = 0;
    NormalizedTime time{};
    if (!common_fields(record, at, session, time)) return;
    const auto [found, fresh] = group_of_.try_emplace({session, *id}, groups_.size());
    if (fresh) {
      AssistantGroup& group = groups_.emplace_back();
      group.turn = out_.turn_count();
      Turn& turn = out_.add_turn(at, session, *id, "assistant", time);
      turn.metadata["native_type"] = "assistant";
    }
    add_record(groups_[found->second], record, *message);
  }

  static void add_record(AssistantGroup& group, const Json& record, const Json& message) {
    if (const std::string* uuid = string_member(record, "uuid")) group.uuids.push_back(*uuid);
    if (!group.request_id) {
      if (const std::string* r = string_member(record, "requestId")) group.request_id = *r;
    }
    if (const std::string* model = string_member(message, "model")) group.model = *model;
    const Json* stop = member(message, "stop_reason");
    group.stop_reason = stop != nullptr ? *stop : Json();
    add_blocks(group, message);
    const Json* usage = member(message, "usage");
    if (usage == nullptr || !usage->is_object()) return;
    // The split-record rule: the largest output_tokens; tie: the larger
    // total; tie: the later record.
    const std::int64_t output = usage_value(*usage, "output_tokens");
    const std::int64_t total = usage_value(*usage, "input_tokens") +
                               usage_value(*usage, "cache_creation_input_tokens") +
                               usage_value(*usage, "cache_read_input_tokens") + output;
    if (std::tie(output, total) < std::tie(group.best_output, group.best_total)) return;
    group.best_output = output;
    group.best_total = total;
    group.usage = *usage;
    const Json* cost = member(record, "costUSD");
    group.cost_usd =
        cost != nullptr && cost->is_number() ? std::optional(cost->get<double>()) : std::nullopt;
  }

  static void add_blocks(AssistantGroup& group, const Json& message) {
    const Json* content = member(message, "content");
    if (content == nullptr) return;
    if (content->is_string()) {
      group.texts.push_back(content->get<std::string>());
      return;
    }
    if (!content->is_array()) return;
    for (const Json& block : *content) {
      const std::string* type = string_member(block, "type");
      if (type == nullptr) continue;
      if (*type == "text") {
        if (const std::string* text = string_member(block, "text")) group.texts.push_back(*text);
      } else if (*type == "thinking") {
        if (const std::string* text = string_member(block, "thinking")) {
          group.thinking.push_back(*text);
        }
      } else if (*type == "tool_use") {
        const std::string* id = string_member(block, "id");
        if (id == nullptr || group.tool_use_ids.insert(*id).second)
          group.tool_uses.push_back(block);
      }
    }
  }

  void finish(AssistantGroup& group) {
    Turn& turn = out_.turn_at(group.turn);
    if (auto text = join_texts(group.texts)) out_.set_content(turn, std::move(*text));
    std::vector<std::string>().swap(group.texts);  // the content holds them now
    turn.model = group.model;
    if (!group.tool_uses.empty()) turn.tool_calls = std::move(group.tool_uses);
    Json& meta = turn.metadata;
    meta["message_id"] = turn.turn_id;
    if (group.request_id) meta["request_id"] = *group.request_id;
    meta["uuids"] = std::move(group.uuids);
    meta["stop_reason"] = group.stop_reason;
    if (!group.thinking.empty()) meta["thinking"] = std::move(group.thinking);
    turn.cost_usd = group.cost_usd;
    if (group.usage.is_null()) return;
    const Json& usage = group.usage;
    const std::int64_t uncached = usage_value(usage, "input_tokens");
    const std::int64_t write = usage_value(usage, "cache_creation_input_tokens");
    const std::int64_t read = usage_value(usage, "cache_read_input_tokens");
    const std::int64_t output = usage_value(usage, "output_tokens");
    meta["usage"] = usage;
    if (uncached + write + read + output == 0) {
      meta["usage_missing"] = true;  // an all-zero usage is no usage
      return;
    }
    turn.tokens_in = uncached + write + read;
    turn.tokens_out = output;
    meta["cache_read_tokens"] = read;
    meta["cache_write_tokens"] = write;
    meta["uncached_input_tokens"] = uncached;
  }

  // The text of one content block list: texts, and images as placeholders.
  static void block_texts(const Json& blocks, std::vector<std::string>& texts) {
    if (blocks.is_string()) {
      texts.push_back(blocks.get<std::string>());
      return;
    }
    if (!blocks.is_array()) return;
    for (const Json& block : blocks) {
      const std::string* type = string_member(block, "type");
      if (type == nullptr) continue;
      if (*type == "text") {
        if (const std::string* text = string_member(block, "text")) texts.push_back(*text);
      } else if (*type == "image") {
        const Json* source = member(block, "source");
        const std::string* media = source ? string_member(*source, "media_type") : nullptr;
        const std::string* data = source ? string_member(*source, "data") : nullptr;
        texts.push_back(image_placeholder(media ? *media : "", data ? *data : ""));
      } else if (*type == "tool_result") {
        if (const Json* inner = member(block, "content")) block_texts(*inner, texts);
      }
    }
  }

  static bool only_tool_results(const Json& content) {
    if (!content.is_array() || content.empty()) return false;
    for (const Json& block : content) {
      const std::string* type = string_member(block, "type");
      if (type == nullptr || *type != "tool_result") return false;
    }
    return true;
  }

  static const char* user_role(const Json& record, const std::vector<std::string>& texts) {
    if (true_member(record, "isMeta") || true_member(record, "isCompactSummary")) return "system";
    if (!texts.empty()) {
      const std::string& first = texts.front();
      if (starts_with(first, "<command-") || starts_with(first, "<local-command-") ||
          starts_with(first, "[Request interrupted")) {
        return "system";
      }
    }
    return "user";
  }

  void user(const Json& record, Position at) {
    const std::string* uuid = string_member(record, "uuid");
    if (uuid == nullptr || uuid->empty()) {
      out_.problem(at, ErrorCode::MissingField, "uuid", "a user record needs a uuid");
      return;
    }
    const Json* message = message_of(record, at);
    if (message == nullptr) return;
    const Json* content = member(*message, "content");
    if (content == nullptr || !(content->is_string() || content->is_array())) {
      out_.problem(at, content == nullptr ? ErrorCode::MissingField : ErrorCode::InvalidField,
                   "message.content", "message.content must be a string or an array of blocks");
      return;
    }
    std::size_t session = 0;
    NormalizedTime time{};
    if (!common_fields(record, at, session, time)) return;
    std::vector<std::string> texts;
    block_texts(*content, texts);
    const bool tool = only_tool_results(*content);
    Turn& turn = out_.add_turn(at, session, *uuid, tool ? "tool" : user_role(record, texts), time);
    turn.metadata["native_type"] = "user";
    turn.metadata["uuid"] = *uuid;
    if (tool) {
      Json ids = Json::array();
      bool is_error = false;
      for (const Json& block : *content) {
        if (const std::string* id = string_member(block, "tool_use_id")) ids.push_back(*id);
        is_error |= true_member(block, "is_error");
      }
      turn.metadata["tool_use_ids"] = std::move(ids);
      turn.metadata["is_error"] = is_error;
    }
    if (auto text = join_texts(texts)) out_.set_content(turn, std::move(*text));
  }

  static bool mapped_system(const Json& record) {
    const std::string* subtype = string_member(record, "subtype");
    return subtype != nullptr && (*subtype == "local_command" || *subtype == "compact_boundary" ||
                                  *subtype == "api_error");
  }

  void system(const Json& record, Position at) {
    const std::string* uuid = string_member(record, "uuid");
    if (uuid == nullptr || uuid->empty()) {
      out_.problem(at, ErrorCode::MissingField, "uuid", "a system record needs a uuid");
      return;
    }
    std::size_t session = 0;
    NormalizedTime time{};
    if (!common_fields(record, at, session, time)) return;
    Turn& turn = out_.add_turn(at, session, *uuid, "system", time);
    turn.metadata["native_type"] = "system";
    turn.metadata["subtype"] = *string_member(record, "subtype");
    turn.metadata["uuid"] = *uuid;
    if (const std::string* content = string_member(record, "content")) {
      out_.set_content(turn, *content);
    }
  }

  Output& out_;
  std::vector<AssistantGroup> groups_;
  std::map<std::pair<std::size_t, std::string>, std::size_t> group_of_;
  std::set<std::string> seen_sessions_;
};

}  // namespace

void read_claude(std::string_view data, Output& out) { ClaudeReader(out).read(data); }

}  // namespace lethe::native
