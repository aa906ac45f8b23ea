// What the native readers share: the Reader interface, the index pass,
// reading records, and the mapping helpers (times, images, texts).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"
#include "native/json_dom.hpp"
#include "native/json_write.hpp"
#include "native/output.hpp"
#include "parse/framing.hpp"
#include "parse/json_scan.hpp"
#include "parse/timestamp.hpp"

namespace lethe::native {

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
std::unique_ptr<Reader> qwen_reader(std::string_view data, Output& out);
std::unique_ptr<Reader> copilot_reader(std::string_view data, Output& out);
// Cursor's files don't name their session: the file's name does.
std::unique_ptr<Reader> cursor_reader(std::string_view data, Output& out,
                                      const std::optional<std::string>& source_file);
// The database agents: the lines lethe exports from their database
// (write/agent_db.hpp), one session's lines read like one file.
std::unique_ptr<Reader> opencode_reader(std::string_view data, Output& out);
std::unique_ptr<Reader> goose_reader(std::string_view data, Output& out);
std::unique_ptr<Reader> crush_reader(std::string_view data, Output& out);

// The members a reader's index pass looks at, read by lethe's scanner
// (json_scan): no DOM, spans of the line.
using json::Members;
using json::scan_members;

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

// The records of an NDJSON file, one JSON object per non-blank line. A line
// that is not a JSON object is reported as INVALID_JSON and passed over.
class RecordReader {
 public:
  RecordReader(std::string_view data, Output& out)
      : splitter_(data), out_(out), lines_scanned_(out.options().lines_scanned) {}
  bool next(Json& record, Position& at);
  // The next non-blank line, unparsed.
  bool next_line(Line& line);

 private:
  LineSplitter splitter_;
  Output& out_;
  const bool lines_scanned_;  // IngestOptions::lines_scanned
};

// The INVALID_JSON row of a line that is not a JSON object.
void invalid_line(Output& out, Position at, const std::string& problem);

// The INVALID_JSON row of a line an index pass found invalid: the index
// keeps no messages, so the line is scanned again for the scanner's.
void invalid_indexed_line(Output& out, std::string_view text, Position at);

// The record's time at `key`: reports MISSING_FIELD / INVALID_FIELD `path`
// and returns nullopt when absent or not RFC 3339.
std::optional<NormalizedTime> required_time(const Json& object, const char* key,
                                            const std::string& path, Position at, Output& out);
std::optional<NormalizedTime> optional_time(const Json& object, const char* key);

// Milliseconds since 1970 (the database agents' times) as a time; nullopt
// outside the years 1..9999.
std::optional<NormalizedTime> time_of_millis(std::int64_t ms);
// The time of a JSON integer of milliseconds at `key`; nullopt when absent,
// not an integer, or out of range.
std::optional<NormalizedTime> millis_time(const Json& object, const char* key);

// "[image image/png 1234 bytes]" for base64 image data.
std::string image_placeholder(std::string_view media_type, std::string_view base64);

// Token counters. One that is absent or null counts 0; one that is not an
// integer from 0 to 2^63-1 makes the usage invalid (nullopt), and so does a
// sum past 2^63-1: a reader then keeps the turn and its text with NULL
// tokens and metadata.usage_invalid, instead of an overflow.
using TokenCount = std::optional<std::int64_t>;
TokenCount token_count(const Json& usage, const char* key);
TokenCount checked_sum(std::initializer_list<TokenCount> counts);

// The session facts of a Claude-style record envelope (Claude Code, Qwen
// Code), as the index pass scanned them: the earliest timestamp, the first
// cwd, and from the session's first record its client version, git branch
// and, for a sub-agent, its parent and agent id.
struct EnvelopeFacts {
  const json::Value* timestamp;
  const json::Value* cwd;
  const json::Value* version;
  const json::Value* git_branch;
  const json::Value* agent_id;
  const json::Value* session_id;
};
void note_envelope_facts(const EnvelopeFacts& facts, Session& session, bool first_record);

// Texts joined by a blank line; nullopt when there are none.
// Takes the texts by value: callers move them in, so one text is not copied.
std::optional<std::string> join_texts(std::vector<std::string> texts);
}  // namespace lethe::native
