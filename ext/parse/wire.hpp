// Wire: the second step of a line's flow. Parses and validates one line
// against wire contract v1 (sections 2-4) and turns it into a typed record
// that the store can write without looking at JSON again.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "parse/timestamp.hpp"

namespace lethe {

// The stable codes of contract section 5.
enum class ErrorCode {
  InvalidJson,
  LineTooLong,
  MissingField,
  InvalidField,
  DbForeignKey,
  DbConstraint,
  DbUpsert,
};
inline constexpr std::size_t kErrorCodeCount = static_cast<std::size_t>(ErrorCode::DbUpsert) + 1;

std::string_view code_name(ErrorCode code) noexcept;

// The first problem found in a line. An empty `field` means the problem is
// the line as a whole (the result column is then NULL).
struct LineError {
  ErrorCode code = ErrorCode::InvalidJson;
  std::string field;
  std::string message;
};

// One accepted line, every value already in the form it is stored in.
struct TurnRecord {
  std::string tool;
  std::string host;
  std::string session_id;
  std::string turn_id;
  std::int64_t seq = 0;
  std::string_view role;  // one of the four static role names
  NormalizedTime timestamp{};
  std::optional<std::string> content;
  std::optional<std::string> model;
  std::optional<std::int64_t> tokens_in;
  std::optional<std::int64_t> tokens_out;
  std::optional<double> cost_usd;
  std::optional<std::string> tool_calls;  // exact JSON text of the value
  std::optional<std::string> metadata;    // exact JSON text of the value
  // From session_meta.
  std::optional<NormalizedTime> started_at;
  std::optional<std::string> working_dir;
  std::optional<std::string> source_file;
  std::optional<std::string> session_metadata;  // exact JSON text
};

// Messages quote at most this many bytes of an offending value.
constexpr std::size_t kMaxQuotedBytes = 120;

// The limits of contract section 3, in bytes of the decoded text.
inline constexpr std::size_t kMaxToolBytes = 128;
inline constexpr std::size_t kMaxIdBytes = 256;  // host, session_id, turn_id
inline constexpr std::size_t kMaxModelBytes = 256;
inline constexpr std::size_t kMaxMetaTextBytes = 4096;  // session_meta.working_dir, source_file

// The four roles; TurnRecord::role is one of these views.
inline constexpr std::array<std::string_view, 4> kRoleNames = {"user", "assistant", "system",
                                                               "tool"};

// The rule of an identifier field (tool, host, session_id, turn_id) for its
// decoded text: 1 to max_bytes bytes, no control characters.
bool is_identifier_text(std::string_view text, std::size_t max_bytes) noexcept;

// Validates one non-blank line (already framed: no line ending). On success
// fills `record` and returns true; otherwise fills `error` with the first
// problem, checking fields in the order of contract section 3.
bool parse_line(std::string_view line, std::size_t max_line_bytes, TurnRecord& record,
                LineError& error);

}  // namespace lethe
