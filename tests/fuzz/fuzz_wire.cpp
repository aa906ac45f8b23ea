// Fuzz target 1: framing + wire parsing of arbitrary bytes (lethe_core).
//
// The input is an NDJSON batch. Checks, besides "never crash" (ASan+UBSan):
// * LineSplitter agrees exactly with an independent framing of the batch:
//   line numbers 1, 2, 3..., offsets inside the input and increasing, every
//   line's text is the input's bytes at its offset, no LF inside a line;
// * parse_line agrees with the contract reference (wire_reference.hpp, built
//   on nlohmann::json): same verdict, same code and field for a rejected
//   line, the same values for an accepted one;
// * every error has a known code (never a DB_* code here) and a known field
//   path, and its message is one non-empty line of valid UTF-8 of bounded
//   size; a field's value is quoted with at most 120 bytes;
// * accepted records respect the field limits of section 3 and times are in
//   the stored form (24 characters, UTC);
// * max_line_bytes: a limit one byte short gives LINE_TOO_LONG, and a limit
//   of exactly the line's length gives the default verdict.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "parse/framing.hpp"
#include "parse/wire.hpp"
#include "wire_reference.hpp"

namespace {

constexpr std::size_t kDefaultMax = std::size_t{8} * 1024 * 1024;

const char* const kFields[] = {"",
                               "tool",
                               "host",
                               "session_id",
                               "turn_id",
                               "seq",
                               "role",
                               "timestamp",
                               "content",
                               "model",
                               "tokens_in",
                               "tokens_out",
                               "cost_usd",
                               "tool_calls",
                               "metadata",
                               "session_meta",
                               "session_meta.started_at",
                               "session_meta.working_dir",
                               "session_meta.source_file",
                               "session_meta.metadata"};

bool known_field(const std::string& field) {
  for (const char* f : kFields) {
    if (field == f) return true;
  }
  return false;
}

bool same_json_text(const std::optional<std::string>& lethe,
                    const std::optional<nlohmann::json>& reference, std::string_view line) {
  if (lethe.has_value() != reference.has_value()) return false;
  if (!lethe) return true;
  // Exact bytes of the value as it stood in the line...
  if (line.find(*lethe) == std::string_view::npos) return false;
  // ...and the same JSON value.
  const nlohmann::json reparsed =
      nlohmann::json::parse(lethe_ref::replace_overflowing_numbers(*lethe), nullptr, false);
  return !reparsed.is_discarded() && reparsed == *reference;
}

std::string time_text(const lethe::NormalizedTime& t) { return std::string(t.data(), t.size()); }

bool stored_time_form(const std::string& t) {
  // YYYY-MM-DDTHH:MM:SS.sssZ
  static const char kShape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (t.size() != 24) return false;
  for (std::size_t i = 0; i < 24; ++i) {
    if (kShape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != kShape[i]) return false;
  }
  return true;
}

void check_error(const lethe::LineError& e, std::string_view line) {
  const std::string code(lethe::code_name(e.code));
  FUZZ_CHECK(e.code == lethe::ErrorCode::InvalidJson || e.code == lethe::ErrorCode::LineTooLong ||
                 e.code == lethe::ErrorCode::MissingField ||
                 e.code == lethe::ErrorCode::InvalidField,
             "parse_line gave a database code " << code);
  FUZZ_CHECK(known_field(e.field), "unknown field path \"" << e.field << "\"");
  FUZZ_CHECK((e.code == lethe::ErrorCode::InvalidJson || e.code == lethe::ErrorCode::LineTooLong) ==
                 e.field.empty(),
             code << " with field \"" << e.field << "\"");
  FUZZ_CHECK(!e.message.empty(), "empty message");
  FUZZ_CHECK(fuzz::valid_utf8(e.message), "message is not valid UTF-8: " << fuzz::esc(e.message));
  FUZZ_CHECK(e.message.find('\n') == std::string::npos, "message has a newline");
  // A sentence of our own (< 300 bytes) plus at most 120 quoted bytes and
  // "...": anything longer quotes too much of the value.
  FUZZ_CHECK(e.message.size() <= 300 + lethe::kMaxQuotedBytes + 3,
             "message of " << e.message.size() << " bytes: " << fuzz::esc(e.message));
  (void)line;
}

void check_record(const lethe::TurnRecord& r) {
  auto name_ok = [](const std::string& s, std::size_t max) {
    return !s.empty() && s.size() <= max && !lethe_ref::has_control(s);
  };
  FUZZ_CHECK(name_ok(r.tool, 128), "tool " << fuzz::esc(r.tool));
  FUZZ_CHECK(name_ok(r.host, 256), "host " << fuzz::esc(r.host));
  FUZZ_CHECK(name_ok(r.session_id, 256), "session_id " << fuzz::esc(r.session_id));
  FUZZ_CHECK(name_ok(r.turn_id, 256), "turn_id " << fuzz::esc(r.turn_id));
  FUZZ_CHECK(r.seq >= 0, "seq");
  FUZZ_CHECK(r.role == "user" || r.role == "assistant" || r.role == "system" || r.role == "tool",
             "role");
  FUZZ_CHECK(stored_time_form(time_text(r.timestamp)), "timestamp " << time_text(r.timestamp));
  if (r.started_at) FUZZ_CHECK(stored_time_form(time_text(*r.started_at)), "started_at");
  FUZZ_CHECK(!r.model || r.model->size() <= 256, "model too long");
  FUZZ_CHECK(!r.tokens_in || *r.tokens_in >= 0, "tokens_in");
  FUZZ_CHECK(!r.tokens_out || *r.tokens_out >= 0, "tokens_out");
  FUZZ_CHECK(!r.cost_usd || (std::isfinite(*r.cost_usd) && *r.cost_usd >= 0), "cost_usd");
  FUZZ_CHECK(!r.working_dir || r.working_dir->size() <= 4096, "working_dir too long");
  FUZZ_CHECK(!r.source_file || r.source_file->size() <= 4096, "source_file too long");
  FUZZ_CHECK(!r.tool_calls || r.tool_calls->front() == '[', "tool_calls not an array");
  FUZZ_CHECK(!r.metadata || r.metadata->front() == '{', "metadata not an object");
  FUZZ_CHECK(!r.session_metadata || r.session_metadata->front() == '{',
             "session_meta.metadata not an object");
  for (const auto* s : {&r.content, &r.model, &r.working_dir, &r.source_file}) {
    if (*s) FUZZ_CHECK(fuzz::valid_utf8(**s), "decoded text is not valid UTF-8");
  }
}

void compare(const lethe::TurnRecord& r, const lethe_ref::Record& e, std::string_view line) {
  FUZZ_CHECK(r.tool == e.tool, "tool " << fuzz::esc(r.tool) << " vs " << fuzz::esc(e.tool));
  FUZZ_CHECK(r.host == e.host, "host");
  FUZZ_CHECK(r.session_id == e.session_id, "session_id");
  FUZZ_CHECK(r.turn_id == e.turn_id, "turn_id");
  FUZZ_CHECK(r.seq == e.seq, "seq " << r.seq << " vs " << e.seq);
  FUZZ_CHECK(r.role == e.role, "role");
  FUZZ_CHECK(time_text(r.timestamp) == e.timestamp,
             "timestamp " << time_text(r.timestamp) << " vs " << e.timestamp);
  FUZZ_CHECK(r.content == e.content, "content " << fuzz::esc(r.content.value_or("<null>")) << " vs "
                                                << fuzz::esc(e.content.value_or("<null>")));
  FUZZ_CHECK(r.model == e.model, "model");
  FUZZ_CHECK(r.tokens_in == e.tokens_in, "tokens_in");
  FUZZ_CHECK(r.tokens_out == e.tokens_out, "tokens_out");
  FUZZ_CHECK(r.cost_usd.has_value() == e.cost_usd.has_value(), "cost_usd presence");
  if (r.cost_usd) {
    FUZZ_CHECK(std::memcmp(&*r.cost_usd, &*e.cost_usd, sizeof(double)) == 0,
               "cost_usd " << fuzz::dbl(*r.cost_usd) << " vs " << fuzz::dbl(*e.cost_usd));
  }
  FUZZ_CHECK(same_json_text(r.tool_calls, e.tool_calls, line), "tool_calls");
  FUZZ_CHECK(same_json_text(r.metadata, e.metadata, line), "metadata");
  FUZZ_CHECK((r.started_at ? std::optional<std::string>(time_text(*r.started_at)) : std::nullopt) ==
                 e.started_at,
             "session_meta.started_at");
  FUZZ_CHECK(r.working_dir == e.working_dir, "session_meta.working_dir");
  FUZZ_CHECK(r.source_file == e.source_file, "session_meta.source_file");
  FUZZ_CHECK(same_json_text(r.session_metadata, e.session_metadata, line), "session_meta.metadata");
}

void check_line(std::string_view text) {
  lethe::TurnRecord record;
  lethe::LineError error;
  const bool ok = lethe::parse_line(text, kDefaultMax, record, error);
  const lethe_ref::Outcome expected = lethe_ref::parse_line(text, kDefaultMax);
  fuzz::context = text;
  if (ok) {
    check_record(record);
    FUZZ_CHECK(expected.accepted, "lethe accepted a line the contract rejects with "
                                      << expected.code << " " << expected.field);
    compare(record, expected.record, text);
  } else {
    check_error(error, text);
    FUZZ_CHECK(!expected.accepted, "lethe rejected a valid line: " << lethe::code_name(error.code)
                                                                   << " " << error.field << ": "
                                                                   << fuzz::esc(error.message));
    FUZZ_CHECK(
        std::string(lethe::code_name(error.code)) == expected.code && error.field == expected.field,
        "lethe: " << lethe::code_name(error.code) << " \"" << error.field << "\" ("
                  << fuzz::esc(error.message) << "), contract: " << expected.code << " \""
                  << expected.field << "\"");
  }

  // max_line_bytes is the line's length without its ending.
  if (!text.empty()) {
    lethe::TurnRecord r2;
    lethe::LineError e2;
    FUZZ_CHECK(!lethe::parse_line(text, text.size() - 1, r2, e2) &&
                   e2.code == lethe::ErrorCode::LineTooLong && e2.field.empty(),
               "no LINE_TOO_LONG one byte over the limit");
    check_error(e2, text);
    const bool ok3 = lethe::parse_line(text, text.size(), r2, e2);
    FUZZ_CHECK(ok3 == ok, "a limit of exactly the line's length changed the verdict");
    if (!ok) FUZZ_CHECK(e2.code == error.code && e2.field == error.field, "verdict changed");
  }
  fuzz::context = {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view batch(reinterpret_cast<const char*>(data), size);
  fuzz::input = batch;

  const std::vector<lethe_ref::Frame> frames = lethe_ref::split_lines(batch);
  lethe::LineSplitter splitter(batch);
  lethe::Line line;
  std::size_t index = 0;
  std::uint64_t previous_offset = 0;
  while (splitter.next(line)) {
    FUZZ_CHECK(index < frames.size(), "LineSplitter yielded an extra line " << line.number);
    const lethe_ref::Frame& f = frames[index++];
    FUZZ_CHECK(line.number == f.number, "line number " << line.number << " vs " << f.number);
    FUZZ_CHECK(line.byte_offset == f.byte_offset,
               "line " << f.number << " offset " << line.byte_offset << " vs " << f.byte_offset);
    FUZZ_CHECK(line.byte_offset < size, "offset outside the input");
    FUZZ_CHECK(index == 1 || line.byte_offset > previous_offset, "offsets do not increase");
    FUZZ_CHECK(
        line.text.data() == batch.data() + line.byte_offset && line.text.size() == f.text.size(),
        "line " << f.number << " text is not the input's bytes at its offset");
    FUZZ_CHECK(line.text.find('\n') == std::string_view::npos, "LF inside a line");
    FUZZ_CHECK(lethe::is_blank(line.text) == lethe_ref::blank(line.text), "is_blank");
    previous_offset = line.byte_offset;
    if (!lethe::is_blank(line.text)) check_line(line.text);
  }
  FUZZ_CHECK(index == frames.size(),
             "LineSplitter stopped after " << index << " of " << frames.size() << " lines");
  FUZZ_CHECK(!splitter.next(line), "LineSplitter resumed after the end");
  return 0;
}
