// Store: what lives as long as the connection: lethe's prepared statements
// and what the schema allows, checked again whenever the schema changes
// (PRAGMA schema_version).
#pragma once

#include <cstdint>

#include "write/connection.hpp"
#include "write/statement.hpp"

namespace lethe {

// The fix a schema message names.
inline constexpr const char* kApplySchema = "apply sql/schema.sql to this database";

class Store {
 public:
  Store(sqlite3* db, ConnectionState& state) : db_(db), state_(state) {}

  // Checks that the schema is usable and prepares the statements. Repeated
  // only when the schema changed (PRAGMA schema_version). Throws BatchError
  // that names the problem and its fix.
  void prepare();

  // True when nothing in the schema can tell a chunk's merged session
  // upsert from one upsert per line.
  bool grouping_is_unobservable() const noexcept { return grouping_unobservable_; }
  // True when, besides, no unique index on turns other than its primary key
  // could refuse a line in one order of a group's lines and accept it in
  // another: then a group may be written in key order.
  bool key_order_is_unobservable() const noexcept { return key_order_unobservable_; }

  // Finalizes the cached statements; the next call prepares them again.
  void forget_statements() noexcept;

  sqlite3* db() const noexcept { return db_; }
  ConnectionState& state() noexcept { return state_; }
  Statement& upsert_sessions() noexcept { return upsert_sessions_; }
  Statement& upsert_turns() noexcept { return upsert_turns_; }
  Statement& sink() noexcept { return sink_; }

 private:
  void check_write_path();
  void check_feed_not_shadowed();
  bool schema_hides_grouping();
  bool turns_have_other_unique_index();
  [[noreturn]] void fail_to_prepare(const BatchError& e);

  sqlite3* db_;
  ConnectionState& state_;
  Statement upsert_sessions_;
  Statement upsert_turns_;
  Statement sink_;
  Statement schema_version_query_;
  std::int64_t prepared_schema_version_ = -1;
  bool grouping_unobservable_ = false;
  bool key_order_unobservable_ = false;
};

}  // namespace lethe
