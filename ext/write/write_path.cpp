#include "write/write_path.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>

namespace lethe {

namespace {

// Names of the feed's values, by FeedColumn.
constexpr std::array<const char*, kFeedValueCount> kFeedNames = {
    "owner",      "tool",        "host",        "session_id",       "turn_id",
    "seq",        "role",        "timestamp",   "content",          "model",
    "tokens_in",  "tokens_out",  "cost_usd",    "tool_calls",       "metadata",
    "started_at", "working_dir", "source_file", "session_metadata", "ended_at"};

// How a new value meets the stored one when the row exists.
enum class Merge {
  Key,            // part of the primary key
  Min,            // the earlier: a session's start
  Max,            // the later: a session's end
  FirstNonNull,   // kept when not NULL, else filled from the new line
  LastWriteWins,  // overwritten, NULLs included
};

struct Column {
  const char* name;
  const char* type;
  bool not_null;
  Merge merge;
  FeedColumn source;
};

// docs/reference/contract.md sections 7 and 8.
constexpr Column kSessionColumns[] = {
    {"owner", "TEXT", true, Merge::Key, kOwner},
    {"tool", "TEXT", true, Merge::Key, kTool},
    {"host", "TEXT", true, Merge::Key, kHost},
    {"session_id", "TEXT", true, Merge::Key, kSessionId},
    {"started_at", "TEXT", true, Merge::Min, kStartedAt},
    {"ended_at", "TEXT", true, Merge::Max, kEndedAt},
    {"working_dir", "TEXT", false, Merge::FirstNonNull, kWorkingDir},
    {"source_file", "TEXT", false, Merge::FirstNonNull, kSourceFile},
    {"metadata", "TEXT", false, Merge::FirstNonNull, kSessionMetadata},
};

constexpr Column kTurnColumns[] = {
    {"owner", "TEXT", true, Merge::Key, kOwner},
    {"tool", "TEXT", true, Merge::Key, kTool},
    {"host", "TEXT", true, Merge::Key, kHost},
    {"session_id", "TEXT", true, Merge::Key, kSessionId},
    {"turn_id", "TEXT", true, Merge::Key, kTurnId},
    {"seq", "INTEGER", true, Merge::LastWriteWins, kSeq},
    {"role", "TEXT", true, Merge::LastWriteWins, kRole},
    {"timestamp", "TEXT", true, Merge::LastWriteWins, kTimestamp},
    {"content", "TEXT", false, Merge::LastWriteWins, kContent},
    {"model", "TEXT", false, Merge::LastWriteWins, kModel},
    {"tokens_in", "INTEGER", false, Merge::LastWriteWins, kTokensIn},
    {"tokens_out", "INTEGER", false, Merge::LastWriteWins, kTokensOut},
    {"cost_usd", "REAL", false, Merge::LastWriteWins, kCostUsd},
    {"tool_calls", "TEXT", false, Merge::LastWriteWins, kToolCalls},
    {"metadata", "TEXT", false, Merge::LastWriteWins, kMetadata},
};

struct TableSpec {
  const char* name;
  const Column* begin;
  const Column* end;
  const char* foreign_key;  // the clause after the primary key, or nullptr
};

TableSpec spec(Table table) {
  if (table == Table::Sessions) {
    return {"sessions", std::begin(kSessionColumns), std::end(kSessionColumns), nullptr};
  }
  return {"turns", std::begin(kTurnColumns), std::end(kTurnColumns),
          "FOREIGN KEY (owner, tool, host, session_id)\n"
          "    REFERENCES sessions (owner, tool, host, session_id) ON DELETE CASCADE"};
}

// "a, b, c" over the columns, each written by `item`.
template <typename Item>
std::string list(const TableSpec& t, const char* separator, bool keys_only, Item item) {
  std::string out;
  for (const Column* c = t.begin; c != t.end; ++c) {
    if (keys_only && c->merge != Merge::Key) continue;
    if (!out.empty()) out += separator;
    out += item(*c);
  }
  return out;
}

std::string name_of(const Column& c) { return c.name; }

std::string merge_expression(const Column& c) {
  const std::string name = c.name;
  switch (c.merge) {
    case Merge::Min:
      return name + " = min(" + name + ", excluded." + name + ")";
    case Merge::Max:
      return name + " = max(" + name + ", excluded." + name + ")";
    case Merge::FirstNonNull:
      return name + " = coalesce(" + name + ", excluded." + name + ")";
    default:
      return name + " = excluded." + name;
  }
}

std::string on_conflict(const TableSpec& t, const char* indent) {
  std::string updates;
  for (const Column* c = t.begin; c != t.end; ++c) {
    if (c->merge == Merge::Key) continue;
    if (!updates.empty()) updates += ",";
    updates += std::string("\n") + indent + merge_expression(*c);
  }
  return "ON CONFLICT (" + list(t, ", ", true, name_of) + ") DO UPDATE SET" + updates;
}

std::string padded(const char* name) {
  std::string out = name;
  out.resize(std::max<std::size_t>(out.size() + 1, 12), ' ');
  return out;
}

}  // namespace

std::string feed_table_declaration() {
  std::string names;
  for (const char* name : kFeedNames) names += std::string(name) + ", ";
  return "CREATE TABLE x(" + names + "row_index, feed HIDDEN)";
}

std::string set_based_upsert(Table table) {
  const TableSpec t = spec(table);
  const std::string values =
      list(t, ", ", false, [](const Column& c) { return std::string(kFeedNames[c.source]); });
  // WHERE true: without it SQLite would read ON CONFLICT as a join clause.
  return std::string("INSERT INTO main.") + t.name + " (" + list(t, ", ", false, name_of) +
         ") SELECT " + values + " FROM " + kFeedTableName + "(?1) WHERE true " +
         on_conflict(t, " ");
}

std::string stored_table_sql(Table table) {
  const TableSpec t = spec(table);
  std::string out = std::string("CREATE TABLE ") + t.name + " (\n";
  for (const Column* c = t.begin; c != t.end; ++c) {
    out += "  " + padded(c->name) + c->type + (c->not_null ? " NOT NULL" : "") + ",\n";
  }
  out += "  PRIMARY KEY (" + list(t, ", ", true, name_of) + ")";
  if (t.foreign_key != nullptr) out += std::string(",\n  ") + t.foreign_key;
  return out + "\n) STRICT";
}

std::string stored_sink_view_sql() {
  return std::string("CREATE VIEW ") + kSinkViewName + " AS SELECT NULL AS row_index WHERE 0";
}

std::string stored_sink_trigger_sql() {
  auto upsert = [](Table table) {
    const TableSpec t = spec(table);
    const std::string values = list(t, ", ", false, [](const Column& c) {
      return "lethe_sink_value(" + std::to_string(static_cast<int>(c.source)) + ")";
    });
    return std::string("  INSERT INTO ") + t.name + " (" + list(t, ", ", false, name_of) +
           ")\n  VALUES (" + values + ")\n  " + on_conflict(t, "    ") + ";\n";
  };
  // The comment names the generator's path before ext/ had layers: the
  // trigger's text is compared byte for byte with what databases hold, so it
  // changes only with kWritePathVersion.
  return std::string("CREATE TRIGGER ") + kSinkTriggerName + "\nINSTEAD OF INSERT ON " +
         kSinkViewName + "\nBEGIN\n  -- lethe write path " + std::to_string(kWritePathVersion) +
         ", generated from ext/write_path.cpp: apply sql/schema.sql to update it.\n" +
         "  SELECT lethe_sink_row(NEW.row_index);\n" + upsert(Table::Sessions) +
         upsert(Table::Turns) + "END";
}

std::string sink_insert() {
  return std::string("INSERT INTO main.") + kSinkViewName + " (row_index) SELECT row_index FROM " +
         kFeedTableName + "(?1)";
}

}  // namespace lethe
