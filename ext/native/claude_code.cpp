// Claude Code: ~/.claude/projects/<project>/<session id>.jsonl (adapters
// contract section 3). One record per line; an API response is split over
// several `assistant` records that share message.id and repeat a usage that
// grows while streaming, so they are grouped into one turn here.
//
// Two passes. The index pass reads every line with lethe's scanner (no DOM):
// the session facts (started_at is the earliest time of the whole file) and,
// per assistant group, the line of its last record. The second pass parses
// the mapped records with the DOM and hands a group's turn out as soon as its
// last record is read; skipped kinds are never parsed into a DOM.
#include <algorithm>
#include <climits>
#include <deque>
#include <map>
#include <set>
#include <tuple>

#include "native/reader.hpp"

namespace lethe::native {

namespace {

// One assistant turn being assembled from its records.
struct AssistantGroup {
  std::size_t turn = 0;  // its slot in Output (open until the last record)
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

// The four counters of a usage object (nullopt: invalid, see token_count).
struct ClaudeUsage {
  TokenCount uncached, write, read, output;
  explicit ClaudeUsage(const Json& usage)
      : uncached(token_count(usage, "input_tokens")),
        write(token_count(usage, "cache_creation_input_tokens")),
        read(token_count(usage, "cache_read_input_tokens")),
        output(token_count(usage, "output_tokens")) {}
  TokenCount input() const { return checked_sum({uncached, write, read}); }
  TokenCount total() const { return checked_sum({input(), output}); }
};

// What the index pass found on a non-blank line.
enum class Kind : std::uint8_t { Invalid, Skip, Assistant, User, System, Queued };
constexpr std::uint32_t kNoGroup = UINT32_MAX;
struct LineInfo {
  Kind kind = Kind::Skip;
  // Assistant: its group. Queued: how many enqueues of its session came
  // before it with the same timestamp (its turn id's suffix).
  std::uint32_t group = kNoGroup;
};

// A prompt typed while the agent was busy (a queue-operation enqueue), until
// a later record says what became of it.
struct QueuedPrompt {
  std::size_t line = 0;  // index into the lines of the index pass
  std::string content;
  std::uint32_t same_time = 0;
};

// A group of assistant records: where its last record is, and the turn
// being assembled between its first and last record.
struct GroupState {
  std::uint64_t last_line = 0;
  std::unique_ptr<AssistantGroup> open;
};

constexpr std::array<std::string_view, 13> kIndexKeys = {
    "type",    "sessionId", "agentId", "timestamp", "cwd",       "version", "gitBranch",
    "message", "requestId", "uuid",    "subtype",   "operation", "content"};
enum IndexKey {
  kType,
  kSessionId,
  kAgentId,
  kTimestamp,
  kCwd,
  kVersion,
  kGitBranch,
  kMessage,
  kRequestId,
  kUuid,
  kSubtype,
  kOperation,
  kContent
};

bool is_mapped_subtype(std::string_view subtype) {
  return subtype == "local_command" || subtype == "compact_boundary" || subtype == "api_error";
}

class ClaudeReader : public Reader {
 public:
  ClaudeReader(std::string_view data, Output& out) : out_(out), records_(data, out) { index(data); }

  bool step() override {
    Line line;
    if (!records_.next_line(line)) {
      for (std::size_t g = 0; g < groups_.size(); ++g) close_group(g);
      return false;
    }
    const LineInfo info = lines_[next_line_++];
    const Position at{line.number, line.byte_offset};
    read_record(line.text, info, at);
    if (info.kind == Kind::Assistant && info.group != kNoGroup &&
        groups_[info.group].last_line == at.line) {
      close_group(info.group);
    }
    return true;
  }

 private:
  void read_record(std::string_view text, const LineInfo& info, Position at) {
    if (info.kind == Kind::Invalid) {
      invalid_indexed_line(out_, text, at);
      return;
    }
    if (info.kind == Kind::Skip) {
      out_.skip();  // summaries, titles, progress, snapshots, unknown kinds
      return;
    }
    ParsedRecord parsed;
    Json& record = parsed.value;
    parse_scanned(text, record);
    if (info.kind == Kind::Assistant) {
      assistant(record, at, info.group);
    } else if (info.kind == Kind::User) {
      user(record, at);
    } else if (info.kind == Kind::Queued) {
      queued(record, at, info.group);
    } else {
      system(record, at);
    }
  }

  // The index pass: session facts and where each group ends.
  void index(std::string_view data) {
    std::map<std::pair<std::size_t, std::string>, std::uint32_t> group_of;
    std::set<std::size_t> seen_sessions;
    std::map<std::size_t, std::deque<QueuedPrompt>> queues;
    std::map<std::pair<std::size_t, std::string>, std::uint32_t> enqueued_at;
    index_lines(data, kIndexKeys, lines_, [&](const Line& line, LineInfo& info, const auto& m) {
      const auto type = string_value(m[kType]);
      if (type == "assistant") {
        info.kind = Kind::Assistant;
      } else if (type == "user") {
        info.kind = Kind::User;
      } else if (type == "system") {
        const auto subtype = string_value(m[kSubtype]);
        if (subtype && is_mapped_subtype(*subtype)) info.kind = Kind::System;
      }
      const auto key = session_key(string_value(m[kSessionId]), string_value(m[kAgentId]));
      if (!key) return;
      const std::size_t session = out_.session(*key);
      note_session_facts(m, out_.session_at(session), seen_sessions.insert(session).second);
      if (type == "queue-operation") {
        queue_operation(m, queues[session], enqueued_at[{session, time_key(m)}]);
      }
      if (info.kind != Kind::Assistant) return;
      const auto id = group_id(m);
      if (!id || id->empty()) return;
      const auto [found, fresh] =
          group_of.try_emplace({session, *id}, static_cast<std::uint32_t>(groups_.size()));
      if (fresh) groups_.emplace_back();
      groups_[found->second].last_line = line.number;
      info.group = found->second;
    });
  }

  // The queue of prompts typed while the agent was busy: `enqueue` adds one;
  // `remove` folds the one with its text into the running turn (the model
  // sees it; no user record is written, so the enqueue is its turn);
  // `dequeue` runs the oldest as a user record of its own; `popAll`
  // withdraws them all. A prompt still queued makes no turn yet.
  void queue_operation(const Members<kIndexKeys.size()>& m, std::deque<QueuedPrompt>& waiting,
                       std::uint32_t& same_time) {
    const auto operation = string_value(m[kOperation]);
    if (operation == "enqueue") {
      if (auto content = string_value(m[kContent])) {
        waiting.push_back({lines_.size() - 1, std::move(*content), same_time++});
      }
    } else if (operation == "remove") {
      const auto content = string_value(m[kContent]);
      auto it = std::find_if(waiting.begin(), waiting.end(),
                             [&](const QueuedPrompt& q) { return q.content == content; });
      if (it == waiting.end()) it = waiting.begin();
      if (it == waiting.end()) return;
      lines_[it->line] = {Kind::Queued, it->same_time};
      waiting.erase(it);
    } else if (operation == "dequeue") {
      if (!waiting.empty()) waiting.pop_front();
    } else if (operation == "popAll") {
      waiting.clear();
    }
  }

  // The enqueues of a session with the same time are told apart by their
  // order (a queue record has no uuid).
  static std::string time_key(const Members<kIndexKeys.size()>& m) {
    const auto text = string_value(m[kTimestamp]);
    const auto time = text ? normalize_rfc3339(*text) : std::nullopt;
    return time ? std::string(time->data(), time->size()) : std::string();
  }

  // message.id, else requestId, else uuid: the first of them that is a string.
  static std::optional<std::string> group_id(const Members<kIndexKeys.size()>& m) {
    const json::Value* message = m[kMessage];
    if (message == nullptr || message->type != json::Type::Object) return std::nullopt;
    if (auto id = string_member_of_scanned(message->raw, "id")) return id;
    if (auto id = string_value(m[kRequestId])) return id;
    return string_value(m[kUuid]);
  }

  // The session a record belongs to: a sub-agent's records carry their
  // parent's sessionId and an agentId.
  static std::optional<std::string> session_key(const std::optional<std::string>& session,
                                                const std::optional<std::string>& agent) {
    if (!session || session->empty()) return std::nullopt;
    if (!agent || agent->empty()) return session;
    return *session + ":agent-" + *agent;
  }
  static std::optional<std::string> session_key(const Json& record) {
    const std::string* session = string_member(record, "sessionId");
    const std::string* agent = string_member(record, "agentId");
    return session_key(session ? std::optional(*session) : std::nullopt,
                       agent ? std::optional(*agent) : std::nullopt);
  }

  // started_at, working_dir and metadata come from every record of the
  // session, skipped kinds included (a session's hooks run before its
  // first prompt).
  static void note_session_facts(const Members<kIndexKeys.size()>& m, Session& session,
                                 bool first_record) {
    note_envelope_facts(
        {m[kTimestamp], m[kCwd], m[kVersion], m[kGitBranch], m[kAgentId], m[kSessionId]}, session,
        first_record);
  }

  void close_group(std::size_t g) {
    GroupState& state = groups_[g];
    if (!state.open) return;
    finish(*state.open);
    out_.close(state.open->turn);
    state.open.reset();
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

  Json* message_of(Json& record, Position at) {
    Json* message = member(record, "message");
    if (message == nullptr || !message->is_object()) {
      out_.problem(at, message == nullptr ? ErrorCode::MissingField : ErrorCode::InvalidField,
                   "message", "message must be an object");
      return nullptr;
    }
    return message;
  }

  // `record` is this line's DOM, gone after the call: its texts, tool_use
  // blocks and usage are moved into the turn, not copied.
  void assistant(Json& record, Position at, std::uint32_t group) {
    Json* message = message_of(record, at);
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
    if (group == kNoGroup) {  // the index missed it: a group of its own record
      group = static_cast<std::uint32_t>(groups_.size());
      groups_.push_back({at.line, nullptr});
    }
    GroupState& state = groups_[group];
    if (!state.open) {
      state.open = std::make_unique<AssistantGroup>();
      Turn& turn = out_.add_turn(at, session, *id, "assistant", time, /*open=*/true);
      turn.metadata["native_type"] = "assistant";
      state.open->turn = out_.last_slot();
    }
    add_record(*state.open, record, *message);
  }

  static void add_record(AssistantGroup& group, const Json& record, Json& message) {
    if (const std::string* uuid = string_member(record, "uuid")) group.uuids.push_back(*uuid);
    if (!group.request_id) {
      if (const std::string* r = string_member(record, "requestId")) group.request_id = *r;
    }
    if (const std::string* model = string_member(message, "model")) group.model = *model;
    const Json* stop = member(message, "stop_reason");
    group.stop_reason = stop != nullptr ? *stop : Json();
    add_blocks(group, message);
    Json* usage = member(message, "usage");
    if (usage == nullptr || !usage->is_object()) return;
    // The split-record rule: the largest output_tokens; tie: the larger
    // total; tie: the later record. An invalid usage ranks below any valid.
    const ClaudeUsage counts(*usage);
    const TokenCount total = counts.total();
    const std::int64_t output = total ? *counts.output : -1;
    if (std::make_tuple(output, total.value_or(-1)) <
        std::tie(group.best_output, group.best_total)) {
      return;
    }
    group.best_output = output;
    group.best_total = total.value_or(-1);
    group.usage = std::move(*usage);
    const Json* cost = member(record, "costUSD");
    group.cost_usd =
        cost != nullptr && cost->is_number() ? std::optional(cost->get<double>()) : std::nullopt;
  }

  static void add_blocks(AssistantGroup& group, Json& message) {
    Json* content = member(message, "content");
    if (content == nullptr) return;
    if (content->is_string()) {
      group.texts.push_back(std::move(content->get_ref<std::string&>()));
      return;
    }
    if (!content->is_array()) return;
    for (Json& block : *content) {
      const std::string* type = string_member(block, "type");
      if (type == nullptr) continue;
      if (*type == "text") {
        if (std::string* text = string_member(block, "text")) {
          group.texts.push_back(std::move(*text));
        }
      } else if (*type == "thinking") {
        if (std::string* text = string_member(block, "thinking")) {
          group.thinking.push_back(std::move(*text));
        }
      } else if (*type == "tool_use") {
        const std::string* id = string_member(block, "id");
        if (id == nullptr || group.tool_use_ids.insert(*id).second) {
          group.tool_uses.push_back(std::move(block));
        }
      }
    }
  }

  void finish(AssistantGroup& group) {
    Turn& turn = out_.turn_at(group.turn);
    if (auto text = join_texts(std::move(group.texts))) out_.set_content(turn, std::move(*text));
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
    const ClaudeUsage counts(group.usage);
    meta["usage"] = group.usage;
    const TokenCount input = counts.input();
    const TokenCount total = counts.total();
    if (!total) {
      meta["usage_invalid"] = true;
      return;
    }
    if (*total == 0) {
      meta["usage_missing"] = true;  // an all-zero usage is no usage
      return;
    }
    turn.tokens_in = input;
    turn.tokens_out = counts.output;
    meta["cache_read_tokens"] = *counts.read;
    meta["cache_write_tokens"] = *counts.write;
    meta["uncached_input_tokens"] = *counts.uncached;
  }

  // The text of one content block list: texts, and images as placeholders.
  // Moves the texts out of `blocks` (the record's DOM, gone after the call).
  static void block_texts(Json& blocks, std::vector<std::string>& texts) {
    if (blocks.is_string()) {
      texts.push_back(std::move(blocks.get_ref<std::string&>()));
      return;
    }
    if (!blocks.is_array()) return;
    for (Json& block : blocks) {
      const std::string* type = string_member(block, "type");
      if (type == nullptr) continue;
      if (*type == "text") {
        if (std::string* text = string_member(block, "text")) texts.push_back(std::move(*text));
      } else if (*type == "image") {
        const Json* source = member(block, "source");
        const std::string* media = source ? string_member(*source, "media_type") : nullptr;
        const std::string* data = source ? string_member(*source, "data") : nullptr;
        texts.push_back(image_placeholder(media ? *media : "", data ? *data : ""));
      } else if (*type == "tool_result") {
        if (Json* inner = member(block, "content")) block_texts(*inner, texts);
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

  // A prompt is what a person typed: Claude Code also writes user records
  // of its own (command echoes, interruptions, and, from 2.1, a
  // <task-notification> when a background command or sub-agent ends).
  static bool written_by_claude(std::string_view text) {
    return starts_with(text, "<command-") || starts_with(text, "<local-command-") ||
           starts_with(text, "[Request interrupted") || starts_with(text, "<task-notification>");
  }

  static const char* user_role(const Json& record, const std::vector<std::string>& texts) {
    if (true_member(record, "isMeta") || true_member(record, "isCompactSummary")) return "system";
    const Json* origin = member(record, "origin");
    const std::string* kind = origin != nullptr ? string_member(*origin, "kind") : nullptr;
    if (kind != nullptr && *kind == "task-notification") return "system";
    if (!texts.empty() && written_by_claude(texts.front())) return "system";
    return "user";
  }

  void user(Json& record, Position at) {
    const std::string* uuid = string_member(record, "uuid");
    if (uuid == nullptr || uuid->empty()) {
      out_.problem(at, ErrorCode::MissingField, "uuid", "a user record needs a uuid");
      return;
    }
    Json* message = message_of(record, at);
    if (message == nullptr) return;
    Json* content = member(*message, "content");
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
    if (auto text = join_texts(std::move(texts))) out_.set_content(turn, std::move(*text));
  }

  // A queued prompt the model saw without a user record (see queue_operation).
  void queued(const Json& record, Position at, std::uint32_t same_time) {
    std::size_t session = 0;
    NormalizedTime time{};
    if (!common_fields(record, at, session, time)) return;
    const std::string* content = string_member(record, "content");
    if (content == nullptr) return;  // the index pass queued only strings
    std::vector<std::string> texts{*content};
    std::string id = "queued:" + std::string(time.data(), time.size());
    if (same_time > 0) id += "#" + std::to_string(same_time);
    Turn& turn = out_.add_turn(at, session, std::move(id), user_role(record, texts), time);
    turn.metadata["native_type"] = "queue-operation";
    turn.metadata["operation"] = "enqueue";
    out_.set_content(turn, std::move(texts.front()));
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
  RecordReader records_;
  std::vector<LineInfo> lines_;  // per non-blank line
  std::size_t next_line_ = 0;
  std::vector<GroupState> groups_;
};

}  // namespace

std::unique_ptr<Reader> claude_reader(std::string_view data, Output& out) {
  return std::make_unique<ClaudeReader>(data, out);
}

}  // namespace lethe::native
