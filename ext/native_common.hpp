// What the three native readers share: reading records, the turns and
// sessions they build, and the rules of adapters contract section 2 (stable
// seq, truncation, images, problems), applied once when the lines are made.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framing.hpp"
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

// Collects what a reader finds, then makes the wire lines.
class Output {
 public:
  Output(const IngestOptions& options, Format format, Conversion& conversion);

  // The index of the session with this id, created empty on first use.
  std::size_t session(const std::string& id);
  Session& session_at(std::size_t index) { return sessions_[index]; }

  // A new turn; the reference stays valid until the next add_turn.
  Turn& add_turn(Position at, std::size_t session, std::string turn_id, const char* role,
                 NormalizedTime timestamp);
  std::size_t turn_count() const { return turns_.size(); }
  Turn& turn_at(std::size_t index) { return turns_[index]; }

  void problem(Position at, ErrorCode code, std::string field, std::string message);
  void skip() { ++conversion_.skipped; }

  // Sets content, cut to max_field_bytes at a character boundary with
  // metadata.truncated saying so.
  void set_content(Turn& turn, std::string text) const;

  // Sorts the turns into native order, numbers them (seq) and writes the
  // lines into the conversion.
  void finish();

 private:
  std::string wire_line(Turn& turn, std::int64_t seq);
  const std::string& session_meta_text(std::size_t session);

  const IngestOptions& options_;
  Format format_;
  std::string host_;
  Conversion& conversion_;
  std::vector<Session> sessions_;
  std::map<std::string, std::size_t, std::less<>> session_index_;
  std::vector<Turn> turns_;
  std::vector<std::optional<std::string>> session_meta_texts_;  // made once per session
};

// The records of an NDJSON file, one JSON object per non-blank line. A line
// that is not a JSON object is reported as INVALID_JSON and passed over.
class RecordReader {
 public:
  RecordReader(std::string_view data, Output& out) : splitter_(data), out_(out) {}
  bool next(Json& record, Position& at);

 private:
  LineSplitter splitter_;
  Output& out_;
};

// Parses one JSON object with lethe's own limits (UTF-8, depth 64) first,
// so that a hostile line can't make the DOM parser recurse without bound.
// Fills `problem` when it is not one.
bool parse_object(std::string_view text, Json& value, std::string& problem);

// Parses JSON text of any kind within the depth limit; nullopt otherwise.
std::optional<Json> parse_any(std::string_view text);

// Field access that never throws.
const Json* member(const Json& object, const char* key);
const std::string* string_member(const Json& object, const char* key);
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
std::optional<std::string> join_texts(const std::vector<std::string>& texts);

// The readers (one file each).
void read_claude(std::string_view data, Output& out);
void read_codex(std::string_view data, Output& out);
void read_gemini(std::string_view data, Output& out);

}  // namespace lethe::native
