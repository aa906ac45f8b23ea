#include "native/output.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/machine.hpp"
#include "common/text.hpp"
#include "native/json_write.hpp"
#include "parse/timestamp.hpp"
#include "parse/wire.hpp"

namespace lethe::native {

namespace {

// Cuts `text` to at most `limit` bytes, never inside a UTF-8 character.
void cut_at_character(std::string& text, std::size_t limit) {
  text.resize(character_boundary(text, limit));
}

// Cuts every string inside `value` to `limit`; true when one was cut.
bool bound_strings(Json& value, std::size_t limit) {
  bool cut = false;
  if (value.is_string()) {
    auto& text = value.get_ref<std::string&>();
    if (text.size() > limit) {
      cut_at_character(text, limit);
      cut = true;
    }
  } else if (value.is_structured()) {
    for (auto& child : value) cut |= bound_strings(child, limit);
  }
  return cut;
}

}  // namespace

std::int64_t unix_millis(const NormalizedTime& t) {
  auto digits = [&](int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  const int year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  // Days from civil (H. Hinnant's algorithm).
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = std::int64_t{era} * 146097 + doe - 719468;
  const std::int64_t seconds = days * 86400 + std::int64_t{digits(11, 2)} * 3600 +
                               std::int64_t{digits(14, 2)} * 60 + digits(17, 2);
  return seconds * 1000 + digits(20, 3);
}

Output::Output(const IngestOptions& options, Format format, Handout handout)
    : options_(options),
      format_(format),
      host_(options.host ? *options.host : machine_host()),
      handout_(handout) {}

std::size_t Output::session(const std::string& id) {
  const auto found = session_index_.find(id);
  if (found != session_index_.end()) return found->second;
  sessions_.push_back(Session{id, std::nullopt, std::nullopt, Json::object()});
  session_index_.emplace(id, sessions_.size() - 1);
  return sessions_.size() - 1;
}

namespace {

Turn make_turn(Position at, std::size_t session, std::string turn_id, const char* role,
               NormalizedTime timestamp) {
  Turn turn;
  turn.at = at;
  turn.session = session;
  turn.turn_id = std::move(turn_id);
  turn.role = role;
  turn.timestamp = timestamp;
  return turn;
}

}  // namespace

Turn& Output::add_turn(Position at, std::size_t session, std::string turn_id, const char* role,
                       NormalizedTime timestamp, bool open) {
  Pending& slot = pending_.emplace_back();
  slot.at = at;
  slot.open = open;
  return slot.turns.emplace_back(make_turn(at, session, std::move(turn_id), role, timestamp));
}

void Output::open_slot(Position at) {
  Pending& slot = pending_.emplace_back();
  slot.at = at;
  slot.open = true;
}

Turn& Output::add_turn_to(std::size_t slot, Position at, std::size_t session, std::string turn_id,
                          const char* role, NormalizedTime timestamp) {
  return pending_[slot - base_].turns.emplace_back(
      make_turn(at, session, std::move(turn_id), role, timestamp));
}

void Output::problem(Position at, ErrorCode code, std::string field, std::string message) {
  Pending& slot = pending_.emplace_back();
  slot.at = at;
  slot.problem = LineError{code, std::move(field), std::move(message)};
}

void Output::set_content(Turn& turn, std::string text) const {
  if (text.size() > options_.max_field_bytes) {
    turn.metadata["truncated"] = Json{{"field", "content"}, {"bytes", text.size()}};
    cut_at_character(text, options_.max_field_bytes);
  }
  turn.content = std::move(text);
}

bool Output::pop(Produced& item) {
  while (!pending_.empty()) {
    Pending& front = pending_.front();
    if (front.taken || (!front.problem && !front.open && front.next_turn == front.turns.size())) {
      pending_.pop_front();
      ++base_;
      continue;
    }
    if (front.problem) {
      item = {std::string(), front.at.line, front.at.byte_offset, std::move(front.problem),
              std::nullopt};
      front.taken = true;
      return true;
    }
    if (front.open) return false;
    // A problem of the same line goes first (native order: the line, then
    // problem before produced line). Lines only grow along the queue.
    for (std::size_t i = 1; i < pending_.size() && pending_[i].at.line == front.at.line; ++i) {
      Pending& later = pending_[i];
      if (later.problem && !later.taken) {
        item = {std::string(), later.at.line, later.at.byte_offset, std::move(later.problem),
                std::nullopt};
        later.problem.reset();
        later.taken = true;
        return true;
      }
    }
    emit_turn(front, item);
    return true;
  }
  return false;
}

void Output::emit_turn(Pending& slot, Produced& item) {
  Turn& turn = slot.turns[slot.next_turn++];
  // seq = Unix ms x 1000 + rank among the session's turns of that ms, in
  // native order (the order turns are handed out).
  const std::int64_t ms = unix_millis(turn.timestamp);
  const int k = std::min(rank_[{turn.session, ms}]++, 999);
  const std::int64_t seq = ms * 1000 + k;
  TurnJson json = turn_json(turn);
  item.line = turn.at.line;
  item.byte_offset = turn.at.byte_offset;
  item.problem.reset();
  item.wire.clear();
  item.record.reset();
  if (handout_ != Handout::Records || !make_record(turn, seq, json, item.record.emplace())) {
    item.record.reset();
    item.wire = wire_line(turn, seq, json);
  }
  free_parsed(turn.tool_calls);  // the line or the record holds it now
  free_parsed(turn.metadata);
  turn = Turn{};
  ++turns_;
}

Output::TurnJson Output::turn_json(Turn& turn) const {
  TurnJson json;
  Json truncated_fields = Json::array();
  if (!turn.tool_calls.is_null()) {
    if (bound_strings(turn.tool_calls, options_.max_field_bytes)) {
      truncated_fields.push_back("tool_calls");
    }
    json.members_scan &= append_member_json(json.tool_calls.emplace(), turn.tool_calls);
  }
  if (bound_strings(turn.metadata, options_.max_field_bytes))
    truncated_fields.push_back("metadata");
  if (!truncated_fields.empty()) turn.metadata["truncated_fields"] = std::move(truncated_fields);
  json.members_scan &= append_member_json(json.metadata, turn.metadata);
  return json;
}

std::string Output::wire_line(const Turn& turn, std::int64_t seq, const TurnJson& json) {
  // Written by hand around the DOM parts: the long strings (content) are
  // escaped a run at a time, and a session's session_meta once.
  const Session& session = sessions_[turn.session];
  std::string line;
  line.reserve(256 + (turn.content ? turn.content->size() : 0) +
               (json.tool_calls ? json.tool_calls->size() : 0) + json.metadata.size());
  line += "{\"tool\":";
  append_json_string(line, format_name(format_));
  line += ",\"host\":";
  append_json_string(line, host_);
  line += ",\"session_id\":";
  append_json_string(line, session.id);
  line += ",\"turn_id\":";
  append_json_string(line, turn.turn_id);
  line += ",\"seq\":" + std::to_string(seq) + ",\"role\":";
  append_json_string(line, turn.role);
  line += ",\"timestamp\":";
  append_json_string(line, {turn.timestamp.data(), turn.timestamp.size()});
  if (turn.content) {
    line += ",\"content\":";
    append_json_string(line, *turn.content);
  }
  if (turn.model) {
    line += ",\"model\":";
    append_json_string(line, *turn.model);
  }
  if (turn.tokens_in) line += ",\"tokens_in\":" + std::to_string(*turn.tokens_in);
  if (turn.tokens_out) line += ",\"tokens_out\":" + std::to_string(*turn.tokens_out);
  if (turn.cost_usd) line += ",\"cost_usd\":" + dump(Json(*turn.cost_usd));
  if (json.tool_calls) line += ",\"tool_calls\":" + *json.tool_calls;
  line += ",\"metadata\":" + json.metadata;
  line += ",\"session_meta\":" + session_meta_text(turn.session) + "}";
  return line;
}

namespace {

// What parse_line makes of cost_usd written as dump(Json(cost)): nlohmann
// writes a double's shortest round-trip digits (null for NaN and the
// infinities), which read back as the same double; NaN and the infinities
// are absent. Another value (negative, or one from_chars would round:
// subnormal) is not decided here: false.
bool cost_as_parsed(double cost, std::optional<double>& out) {
  if (!std::isfinite(cost)) {
    out.reset();
    return true;
  }
  if (cost == 0) {
    out = 0.0;  // -0 is stored as 0
    return true;
  }
  if (cost < std::numeric_limits<double>::min()) return false;
  out = cost;
  return true;
}

std::string_view role_name(const char* role) {
  for (std::string_view known : kRoleNames) {
    if (known == role) return known;
  }
  return {};
}

// At most how many bytes a string of `bytes` bytes takes in a line (each
// byte escaped as \u00XX), with its quotes.
constexpr std::size_t escaped_at_most(std::size_t bytes) { return 6 * bytes + 2; }

// seq, tokens_in, tokens_out and cost_usd, written as numbers: at most 24
// bytes each.
constexpr std::size_t kNumbersAtMost = std::size_t{4} * 24;

}  // namespace

// Fills `record` with exactly what parse_line makes of wire_line(turn, seq,
// json), or returns false when it can't be sure that the line passes every
// rule (then the wire line is handed out, and parse_line says what is
// wrong). Each check is the rule of parse/wire.cpp for that field, applied
// to the text the line would hold; tests/native/unit_records_test.cpp holds
// the two ways equal.
bool Output::make_record(Turn& turn, std::int64_t seq, TurnJson& json, TurnRecord& record) {
  const std::optional<TurnRecord>& session = session_record(turn.session);
  if (!session) return false;
  const std::string_view role = role_name(turn.role);
  const TimeResult time = check_rfc3339({turn.timestamp.data(), turn.timestamp.size()});
  const bool tokens_ok =
      (!turn.tokens_in || *turn.tokens_in >= 0) && (!turn.tokens_out || *turn.tokens_out >= 0);
  if (seq < 0 || role.empty() || !time.time || !tokens_ok || !is_valid_utf8(turn.turn_id) ||
      !is_identifier_text(turn.turn_id, kMaxIdBytes) ||
      (turn.content && !is_valid_utf8(*turn.content)) ||
      (turn.model && (turn.model->size() > kMaxModelBytes || !is_valid_utf8(*turn.model)))) {
    return false;
  }
  std::optional<double> cost;
  if (turn.cost_usd && !cost_as_parsed(*turn.cost_usd, cost)) return false;
  if (!json.members_scan || (json.tool_calls && !turn.tool_calls.is_array()) ||
      !turn.metadata.is_object()) {
    return false;
  }
  const std::size_t line_at_most =
      256 + escaped_at_most(format_name(format_).size()) + escaped_at_most(host_.size()) +
      escaped_at_most(session->session_id.size()) + escaped_at_most(turn.turn_id.size()) +
      escaped_at_most(turn.content ? turn.content->size() : 0) +
      escaped_at_most(turn.model ? turn.model->size() : 0) + kNumbersAtMost +
      (json.tool_calls ? json.tool_calls->size() : 0) + json.metadata.size() +
      session_meta_text(turn.session).size();
  if (line_at_most > options_.max_line_bytes) return false;
  record = *session;
  record.turn_id = std::move(turn.turn_id);
  record.seq = seq;
  record.role = role;
  record.timestamp = *time.time;
  record.content = std::move(turn.content);
  record.model = std::move(turn.model);
  record.tokens_in = turn.tokens_in;
  record.tokens_out = turn.tokens_out;
  record.cost_usd = cost;
  record.tool_calls = std::move(json.tool_calls);
  record.metadata = std::move(json.metadata);
  return true;
}

const std::optional<TurnRecord>& Output::session_record(std::size_t index) {
  if (session_records_.size() < sessions_.size()) session_records_.resize(sessions_.size());
  std::optional<SessionRecord>& made = session_records_[index];
  if (made) return made->fields;
  made.emplace();
  // The session's part of a line, with placeholders for the turn's own
  // required fields, read by the parser itself.
  std::string line = "{\"tool\":";
  append_json_string(line, format_name(format_));
  line += ",\"host\":";
  append_json_string(line, host_);
  line += ",\"session_id\":";
  append_json_string(line, sessions_[index].id);
  line += R"(,"turn_id":"t","seq":0,"role":"user","timestamp":"2000-01-01T00:00:00.000Z")";
  line += ",\"session_meta\":" + session_meta_text(index) + "}";
  TurnRecord parsed;
  LineError error;
  if (parse_line(line, std::numeric_limits<std::size_t>::max(), parsed, error)) {
    made->fields = std::move(parsed);
  }
  return made->fields;
}

const std::string& Output::session_meta_text(std::size_t index) {
  if (session_meta_texts_.size() < sessions_.size()) session_meta_texts_.resize(sessions_.size());
  std::optional<std::string>& text = session_meta_texts_[index];
  if (text) return *text;
  const Session& session = sessions_[index];
  Json meta = Json::object();
  if (session.started_at) {
    meta["started_at"] = std::string(session.started_at->data(), session.started_at->size());
  }
  if (session.working_dir) meta["working_dir"] = *session.working_dir;
  if (options_.source_file) meta["source_file"] = *options_.source_file;
  if (!session.metadata.empty()) meta["metadata"] = session.metadata;
  text = dump(meta);
  return *text;
}
}  // namespace lethe::native
