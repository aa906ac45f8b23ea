// What a reader builds (sessions, turns, problems), held in native order
// until nothing read later can change it, then handed out as wire lines:
// the rules of adapters contract section 2 (stable seq, truncation) are
// applied here, once, for every format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "native/converter.hpp"
#include "native/json_dom.hpp"
#include "parse/timestamp.hpp"

namespace lethe::native {

// "YYYY-MM-DDTHH:MM:SS.sssZ" -> milliseconds since 1970 (negative before).
std::int64_t unix_millis(const NormalizedTime& time);

struct Position {
  std::uint64_t line = 0;
  std::uint64_t byte_offset = 0;
};

struct Session {
  std::string id;
  std::optional<NormalizedTime> started_at;
  std::optional<std::string> working_dir;
  Json metadata = Json::object();  // facts fixed at the session's start
};

struct Turn {
  Position at;
  std::size_t session = 0;  // index into Output's sessions
  std::string turn_id;
  const char* role = "assistant";
  NormalizedTime timestamp{};
  std::optional<std::string> content;
  std::optional<std::string> model;
  std::optional<std::int64_t> tokens_in;
  std::optional<std::int64_t> tokens_out;
  std::optional<double> cost_usd;
  Json tool_calls;  // null: none
  Json metadata = Json::object();
};

// What a reader finds, in native order, until it is handed out: a problem,
// or a slot of turns (one turn for Claude Code and Codex; a Gemini message
// and its tool results). A slot is open while its reader may still change
// it; nothing at or after an open slot is handed out.
struct Pending {
  Position at;
  bool open = false;
  bool taken = false;  // a problem handed out ahead of the slots of its line
  std::optional<LineError> problem;
  std::vector<Turn> turns;
  std::size_t next_turn = 0;  // turns already handed out
};

// Collects what a reader finds and hands out the wire lines, in native order,
// as soon as nothing before them can still change.
class Output {
 public:
  Output(const IngestOptions& options, Format format, Handout handout = Handout::WireLines);
  const IngestOptions& options() const { return options_; }

  // The index of the session with this id, created empty on first use.
  std::size_t session(const std::string& id);
  Session& session_at(std::size_t index) { return sessions_[index]; }

  // A new turn in a slot of its own, handed out once nothing before it is
  // open; `open` keeps it (and everything after it) until close(id). The
  // reference stays valid until the next add_turn or open_slot.
  Turn& add_turn(Position at, std::size_t session, std::string turn_id, const char* role,
                 NormalizedTime timestamp, bool open = false);
  // An open slot with no turn yet (filled by add_turn_to, then closed).
  void open_slot(Position at);
  Turn& add_turn_to(std::size_t slot, Position at, std::size_t session, std::string turn_id,
                    const char* role, NormalizedTime timestamp);
  // The id of the last slot made by add_turn or open_slot; stable until
  // the slot is handed out.
  std::size_t last_slot() const { return base_ + pending_.size() - 1; }
  Turn& turn_at(std::size_t slot) { return pending_[slot - base_].turns.front(); }
  Position slot_position(std::size_t slot) const { return pending_[slot - base_].at; }
  void close(std::size_t slot) { pending_[slot - base_].open = false; }

  // Always at the line being read: problems come in native order.
  void problem(Position at, ErrorCode code, std::string field, std::string message);
  void skip() { ++skipped_; }

  // Sets content, cut to max_field_bytes at a character boundary with
  // metadata.truncated saying so.
  void set_content(Turn& turn, std::string text) const;

  // The next item that nothing read later can change or precede; false
  // when there is none yet. Call it only between records (a problem of a
  // line must exist before the slots of that line are handed out).
  bool pop(Produced& item);

  std::size_t held() const { return pending_.size(); }
  std::uint64_t turns() const { return turns_; }
  std::uint64_t skipped() const { return skipped_; }

 private:
  // A turn's tool_calls and metadata as JSON text, after max_field_bytes
  // (metadata.truncated_fields says what was cut): what its wire line holds.
  struct TurnJson {
    std::optional<std::string> tool_calls;
    std::string metadata;
    bool members_scan = true;  // both texts are what the line's scanner accepts as members
  };
  // What parse_line makes of a session's part of every wire line (tool,
  // host, session_id, session_meta), found once by parsing one line that
  // holds only that: empty when that part breaks a rule (its turns are then
  // handed out as wire lines, for parse_line to say what is wrong).
  struct SessionRecord {
    std::optional<TurnRecord> fields;
  };

  TurnJson turn_json(Turn& turn) const;
  std::string wire_line(const Turn& turn, std::int64_t seq, const TurnJson& json);
  bool make_record(Turn& turn, std::int64_t seq, TurnJson& json, TurnRecord& record);
  const std::optional<TurnRecord>& session_record(std::size_t session);
  const std::string& session_meta_text(std::size_t session);
  void emit_turn(Pending& slot, Produced& item);

  const IngestOptions options_;  // a copy: a Converter may outlive the caller's options
  Format format_;
  std::string host_;
  std::vector<Session> sessions_;
  std::map<std::string, std::size_t, std::less<>> session_index_;
  std::deque<Pending> pending_;
  std::size_t base_ = 0;  // slot id of pending_.front()
  // seq rank: turns handed out per (session, millisecond).
  std::map<std::pair<std::size_t, std::int64_t>, int> rank_;
  std::vector<std::optional<std::string>> session_meta_texts_;  // made once per session
  const Handout handout_;
  std::vector<std::optional<SessionRecord>> session_records_;  // made once per session
  std::uint64_t turns_ = 0;
  std::uint64_t skipped_ = 0;
};
}  // namespace lethe::native
