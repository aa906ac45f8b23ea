// The feed: how lethe hands parsed rows to SQL. While one of lethe's
// statements runs, the eponymous table lethe_sink_rows (call/feed_table.cpp)
// serves a Feed, bound as a pointer so SQL text can never forge one
// (ARCHITECTURE.md, "The feed").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "parse/wire.hpp"

namespace lethe {

// A record waiting to be written, with where its line stood in the batch.
struct PendingRow {
  TurnRecord record;
  std::uint64_t line = 0;
  std::uint64_t byte_offset = 0;
};

// A line the database refused (DB_FOREIGN_KEY, DB_CONSTRAINT, DB_UPSERT).
struct DbRejection {
  std::size_t row = 0;  // index into the rows passed to CallScope::write
  LineError error;
};

// What one line, or several lines of one session merged, write into the
// session's row (docs/reference/contract.md section 7: MIN start, MAX end, first
// non-null descriptive value).
struct SessionValues {
  const TurnRecord* key = nullptr;  // tool, host, session_id
  const NormalizedTime* started_at = nullptr;
  const NormalizedTime* ended_at = nullptr;
  const std::optional<std::string>* working_dir = nullptr;
  const std::optional<std::string>* source_file = nullptr;
  const std::optional<std::string>* metadata = nullptr;
};

// What lethe_sink_rows serves while one of lethe's statements runs: lines,
// or merged sessions.
struct Feed {
  enum class Kind { Lines, MergedSessions };
  Kind kind = Kind::Lines;
  const std::string* owner = nullptr;
  std::vector<const PendingRow*> rows;  // Kind::Lines
  std::vector<SessionValues> sessions;  // Kind::MergedSessions
  // The sink statement: index into `rows` of the row whose trigger ran last
  // (-1 before any).
  std::int64_t marked = -1;
};

// The type tag of the Feed pointer bound to lethe_sink_rows.
inline constexpr const char* kFeedPointerType = "lethe_feed";

}  // namespace lethe
