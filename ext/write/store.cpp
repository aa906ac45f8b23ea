#include "write/store.hpp"

#include <algorithm>
#include <string>

#include "common/text.hpp"
#include "common/version.hpp"
#include "write/write_path.hpp"

namespace lethe {

// ---------------------------------------------------------------------------
// Store: the schema check, repeated only when SQLite's schema_version moved.

void Store::prepare() {
  if (!schema_version_query_) schema_version_query_ = Statement(db_, "PRAGMA main.schema_version");
  const int rc = schema_version_query_.step();
  const std::int64_t version =
      rc == SQLITE_ROW ? sqlite3_column_int64(schema_version_query_.get(), 0) : -1;
  if (rc != SQLITE_ROW) {
    const int code = sqlite3_extended_errcode(db_);
    const std::string message = sqlite3_errmsg(db_);
    schema_version_query_.reset();
    throw BatchError(code, "the database cannot take the writes: " + message);
  }
  schema_version_query_.reset();
  if (sink_ && version == prepared_schema_version_) return;
  upsert_sessions_ = Statement();
  upsert_turns_ = Statement();
  sink_ = Statement();
  try {
    try {
      upsert_sessions_ = Statement(db_, set_based_upsert(Table::Sessions));
      upsert_turns_ = Statement(db_, set_based_upsert(Table::Turns));
    } catch (const BatchError& e) {
      fail_to_prepare(e);
    }
    check_write_path();
    try {
      sink_ = Statement(db_, sink_insert());
    } catch (const BatchError& e) {
      fail_to_prepare(e);
    }
    grouping_unobservable_ = !schema_hides_grouping();
    key_order_unobservable_ = grouping_unobservable_ && !turns_have_other_unique_index();
  } catch (...) {
    upsert_sessions_ = Statement();
    upsert_turns_ = Statement();
    sink_ = Statement();
    throw;
  }
  prepared_schema_version_ = version;
}

// Why preparing lethe's statements failed, in words that say what to do.
void Store::fail_to_prepare(const BatchError& e) {
  const std::string cause = e.what();
  // An interrupt or a lock while preparing is the database's condition.
  if ((e.code() & 0xff) != SQLITE_ERROR) throw e;
  check_feed_not_shadowed();
  if (contains(cause, "unsafe use of")) {
    throw BatchError(SQLITE_ERROR,
                     "SQLite refused to run a trigger or view of this database because "
                     "PRAGMA trusted_schema is OFF (" +
                         cause +
                         "): lethe's writes fire the triggers on sessions and turns, and with "
                         "trusted_schema OFF SQLite lets them call only functions and virtual "
                         "tables marked safe; turn trusted_schema ON for this connection or "
                         "drop that trigger");
  }
  throw BatchError(SQLITE_ERROR,
                   "the tables sessions and turns (and lethe's view lethe_sink) are missing or "
                   "of another shape: " +
                       cause + "; " + kApplySchema);
}

// A table or view named like lethe's feed hides it: SQLite finds a schema
// object before an eponymous virtual table.
void Store::check_feed_not_shadowed() {
  for (const std::string& schema : column_of(db_, "SELECT name FROM pragma_database_list")) {
    std::string quoted = schema;
    for (std::size_t at = 0; (at = quoted.find('"', at)) != std::string::npos; at += 2) {
      quoted.insert(at, 1, '"');
    }
    const auto types = column_of(
        db_, "SELECT type FROM \"" + quoted + "\".sqlite_schema WHERE name = ?1 COLLATE NOCASE",
        {kFeedTableName});
    if (!types.empty()) {
      std::string message = "this connection has a " + types.front() + " named ";
      message.append(kFeedTableName).append(" in schema '").append(schema);
      message.append("', which hides the feed lethe writes through; rename or drop ");
      message.append(schema).append(".").append(kFeedTableName);
      throw BatchError(SQLITE_ERROR, message);
    }
  }
}

// The view lethe_sink and its trigger must be exactly this version's: a
// trigger that an older release wrote, that ALTER TABLE rewrote, or that was
// replaced by hand would write elsewhere, or nothing, while the lines are
// reported accepted.
void Store::check_write_path() {
  const auto found = column_of(
      db_,
      "SELECT type || ' ' || name || char(10) || coalesce(sql, '') FROM main.sqlite_schema "
      "WHERE name = ?1 COLLATE NOCASE OR name = ?2 COLLATE NOCASE "
      "OR (type = 'trigger' AND tbl_name = ?1 COLLATE NOCASE) "
      "UNION ALL SELECT 'temp trigger ' || name || char(10) || sql FROM temp.sqlite_schema "
      "WHERE type = 'trigger' AND tbl_name = ?1 COLLATE NOCASE",
      {kSinkViewName, kSinkTriggerName});
  const std::string view = std::string("view ") + kSinkViewName + "\n" + stored_sink_view_sql();
  const std::string trigger =
      std::string("trigger ") + kSinkTriggerName + "\n" + stored_sink_trigger_sql();
  std::string problem;
  if (std::find(found.begin(), found.end(), view) == found.end()) {
    problem = "the view lethe_sink is missing or not lethe's";
  } else if (std::find(found.begin(), found.end(), trigger) == found.end()) {
    problem =
        "its trigger lethe_sink_write is missing or not this version's (an older release's, "
        "one that ALTER TABLE rewrote, or one written by hand)";
  } else if (found.size() != 2) {
    problem = "another trigger is on the view lethe_sink";
  }
  if (!problem.empty()) {
    throw BatchError(SQLITE_ERROR, "lethe's write path in this database is not the one of lethe " +
                                       std::string(kVersion) + " (write path " +
                                       std::to_string(kWritePathVersion) + "): " + problem + "; " +
                                       kApplySchema +
                                       " again (it keeps your data and replaces only the view "
                                       "and its trigger)");
  }
}

// Whether anything in the schema could see how a chunk's lines are grouped:
// a user trigger on either table, a sessions table that is not exactly
// lethe's (a CHECK, a NOT NULL, a generated column), a user index on
// sessions (a UNIQUE one could refuse an intermediate state).
bool Store::schema_hides_grouping() {
  const auto count =
      column_of(db_,
                "SELECT (SELECT count(*) FROM main.sqlite_schema WHERE type = 'trigger' AND "
                "(tbl_name = 'sessions' COLLATE NOCASE OR tbl_name = 'turns' COLLATE NOCASE))"
                " + (SELECT count(*) FROM temp.sqlite_schema WHERE type = 'trigger' AND "
                "(tbl_name = 'sessions' COLLATE NOCASE OR tbl_name = 'turns' COLLATE NOCASE))"
                " + (SELECT count(*) FROM main.sqlite_schema WHERE type = 'index' AND "
                "tbl_name = 'sessions' COLLATE NOCASE AND sql IS NOT NULL)"
                " + (SELECT count(*) FROM main.sqlite_schema WHERE type = 'table' AND "
                "name = 'sessions' COLLATE NOCASE AND sql IS NOT ?1)",
                {stored_table_sql(Table::Sessions)});
  return count.empty() || count.front() != "0";
}

// A unique index on turns besides the primary key (a UNIQUE constraint or a
// CREATE UNIQUE INDEX) can refuse a line written before another line of its
// group and accept it written after: then a group keeps the input order.
bool Store::turns_have_other_unique_index() {
  const auto count = column_of(db_,
                               "SELECT count(*) FROM pragma_index_list('turns', 'main') "
                               "WHERE \"unique\" AND origin <> 'pk'");
  return count.empty() || count.front() != "0";
}

void Store::forget_statements() noexcept {
  upsert_sessions_ = Statement();
  upsert_turns_ = Statement();
  sink_ = Statement();
  prepared_schema_version_ = -1;
}

}  // namespace lethe
