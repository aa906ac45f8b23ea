// The write path, stated once: the columns lethe writes, where each value
// comes from, and how a new value merges with a stored one (docs/reference/contract.md
// section 7). Every piece of SQL that writes (the set-based upserts, the
// feed table's schema, the INSTEAD OF trigger of sql/schema.sql) and the
// canonical text of the tables are generated from the tables in
// write_path.cpp, and a unit test checks that sql/schema.sql holds exactly
// the generated text. No SQLite here: the store runs what this produces.
#pragma once

#include <string>

namespace lethe {

// The values lethe_sink_rows serves per row, in this order; the first
// kFeedValueCount are also the numbers of lethe_sink_value(k) in the
// trigger. For a line, started_at is session_meta.started_at or else its
// timestamp, and ended_at its timestamp; for merged sessions, their MIN and
// MAX.
enum FeedColumn {
  kOwner,
  kTool,
  kHost,
  kSessionId,
  kTurnId,
  kSeq,
  kRole,
  kTimestamp,
  kContent,
  kModel,
  kTokensIn,
  kTokensOut,
  kCostUsd,
  kToolCalls,
  kMetadata,
  kStartedAt,
  kWorkingDir,
  kSourceFile,
  kSessionMetadata,
  kEndedAt,
  kFeedValueCount,
  kRowIndex = kFeedValueCount,  // the row's position in the feed
  kFeedArgument,                // hidden: the pointer to the Feed
};

enum class Table { Sessions, Turns };

// Bumped whenever the generated trigger or view changes; written into the
// trigger's text, so a database keeps saying which write path it has.
inline constexpr int kWritePathVersion = 2;

// The names the write path uses in the database.
inline constexpr const char* kSinkViewName = "lethe_sink";
inline constexpr const char* kSinkTriggerName = "lethe_sink_write";
inline constexpr const char* kFeedTableName = "lethe_sink_rows";

// CREATE TABLE text of the feed table (sqlite3_declare_vtab).
std::string feed_table_declaration();

// INSERT INTO main.<table> ... SELECT ... FROM lethe_sink_rows(?1) ... ON
// CONFLICT DO UPDATE ...: one table's upsert over every row of a feed.
std::string set_based_upsert(Table table);

// What SQLite stores in sqlite_schema.sql for each object of the schema
// (it keeps the statement's text from CREATE on, without IF NOT EXISTS and
// without the final semicolon). sql/schema.sql holds each of these.
std::string stored_table_sql(Table table);
std::string stored_sink_view_sql();
std::string stored_sink_trigger_sql();

// The INSERT that writes a feed through the trigger, one row at a time in
// input order: a statement is atomic in every context.
std::string sink_insert();

}  // namespace lethe
