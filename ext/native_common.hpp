// What the three native readers share: reading records, the turns and
// sessions they build, and the rules of adapters contract section 2 (stable
// seq, truncation, images, problems), applied once when the lines are made.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framing.hpp"
#include "json_scan.hpp"
#include "native.hpp"
#include "timestamp.hpp"

namespace lethe::native {

// Insertion-ordered, so a native object (`usage`, a `tool_use` block) keeps
// its key order when it is written back out.
using Json = nlohmann::ordered_json;

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
  Output(const IngestOptions& options, Format format);

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
  std::string wire_line(Turn& turn, std::int64_t seq);
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
  std::uint64_t turns_ = 0;
  std::uint64_t skipped_ = 0;
};

// A format's reader, pulled one record at a time.
class Reader {
 public:
  virtual ~Reader() = default;
  // Reads on (usually one record) and gives Output what it found; false
  // once the file is read and every slot closed.
  virtual bool step() = 0;
};

std::unique_ptr<Reader> claude_reader(std::string_view data, Output& out);
std::unique_ptr<Reader> codex_reader(std::string_view data, Output& out);
std::unique_ptr<Reader> gemini_reader(std::string_view data, Output& out);

// The members a reader's index pass looks at, read by lethe's scanner
// (json_scan): no DOM, spans of the line. `keys` names them; the value of
// the last member of each name is kept, as the DOM parser keeps the last.
template <std::size_t N>
struct Members {
  std::array<std::optional<json::Value>, N> values;
  const json::Value* operator[](std::size_t i) const { return values[i] ? &*values[i] : nullptr; }
};

template <std::size_t N>
bool scan_members(std::string_view text, const std::array<std::string_view, N>& keys,
                  Members<N>& found, json::ScanError& error) {
  return json::scan_object(
      text,
      [&](std::string_view key, const json::Value& value) {
        for (std::size_t i = 0; i < N; ++i) {
          if (key == keys[i]) {
            found.values[i] = value;
            return;
          }
        }
      },
      error);
}

// An index pass (the Claude Code and Gemini CLI readers): for each
// non-blank line, one `Info` in `lines`, marked Invalid when the line is not
// a JSON object, else handed to `on_line(line, info, members)`.
template <typename Info, std::size_t N, typename OnLine>
void index_lines(std::string_view data, const std::array<std::string_view, N>& keys,
                 std::vector<Info>& lines, OnLine on_line) {
  LineSplitter splitter(data);
  Line line;
  while (splitter.next(line)) {
    if (is_blank(line.text)) continue;
    Info& info = lines.emplace_back();
    Members<N> members;
    json::ScanError error;
    if (!scan_members(line.text, keys, members, error)) {
      info.kind = decltype(info.kind)::Invalid;
      continue;
    }
    on_line(line, info, members);
  }
}

// The text of a string value (nullptr or not a string: nullopt).
std::optional<std::string> string_value(const json::Value* value);

// The string member `key` of an object that lethe's scanner has already
// validated (a member the scanner handed back), found by skipping over the
// text instead of scanning it again: nullopt when it is absent or not a
// string.
std::optional<std::string> string_member_of_scanned(std::string_view object, std::string_view key);

// The records of an NDJSON file, one JSON object per non-blank line. A line
// that is not a JSON object is reported as INVALID_JSON and passed over.
class RecordReader {
 public:
  RecordReader(std::string_view data, Output& out) : splitter_(data), out_(out) {}
  bool next(Json& record, Position& at);
  // The next non-blank line, unparsed.
  bool next_line(Line& line);

 private:
  LineSplitter splitter_;
  Output& out_;
};

// The INVALID_JSON row of a line that is not a JSON object.
void invalid_line(Output& out, Position at, const std::string& problem);

// The INVALID_JSON row of a line an index pass found invalid: the index
// keeps no messages, so the line is scanned again for the scanner's.
void invalid_indexed_line(Output& out, std::string_view text, Position at);

// Parses one JSON object: lethe's scanner validates it (UTF-8, depth 64,
// so a hostile line can't make the DOM recurse without bound), then its DOM
// is built. Fills `problem` when it is not one.
bool parse_object(std::string_view text, Json& value, std::string& problem);

// The DOM of a line that lethe's scanner accepted already: built without a
// second validation, so it never fails.
void parse_scanned(std::string_view text, Json& value);

// Parses JSON text of any kind within the depth limit; nullopt otherwise.
std::optional<Json> parse_any(std::string_view text);

// Appends `value` as JSON text: the bytes nlohmann's dump() gives for a DOM
// whose strings are valid UTF-8 (every DOM a reader builds), with strings
// copied a run at a time.
void append_json(std::string& out, const Json& value);

// Field access that never throws.
const Json* member(const Json& object, const char* key);
const std::string* string_member(const Json& object, const char* key);
// The same, for a record whose parts a reader moves out (its DOM is gone
// after the record is read).
Json* member(Json& object, const char* key);
std::string* string_member(Json& object, const char* key);
std::optional<std::int64_t> integer_member(const Json& object, const char* key);
bool true_member(const Json& object, const char* key);
bool starts_with(std::string_view text, std::string_view prefix);

// The record's time at `key`: reports MISSING_FIELD / INVALID_FIELD `path`
// and returns nullopt when absent or not RFC 3339.
std::optional<NormalizedTime> required_time(const Json& object, const char* key,
                                            const std::string& path, Position at, Output& out);
std::optional<NormalizedTime> optional_time(const Json& object, const char* key);

// "YYYY-MM-DDTHH:MM:SS.sssZ" -> milliseconds since 1970 (negative before).
std::int64_t unix_millis(const NormalizedTime& time);

// "[image image/png 1234 bytes]" for base64 image data.
std::string image_placeholder(std::string_view media_type, std::string_view base64);

// Texts joined by a blank line; nullopt when there are none.
// Takes the texts by value: callers move them in, so one text is not copied.
std::optional<std::string> join_texts(std::vector<std::string> texts);

}  // namespace lethe::native
