// The feed's SQL side (ARCHITECTURE.md, "The feed"): the eponymous table
// lethe_sink_rows that serves a bound Feed to lethe's statements, and the
// functions lethe_sink_row / lethe_sink_value that the sink view's trigger
// (sql/schema.sql) calls.
#pragma once

#include "write/connection.hpp"
#include "write/sqlite_api.hpp"

namespace lethe {

// Registers lethe_sink_rows, lethe_sink_row and lethe_sink_value on a
// connection.
int register_feed_table(sqlite3* db, ConnectionState* state);

}  // namespace lethe
