#pragma once

#include "write/connection.hpp"
#include "write/sqlite_api.hpp"

namespace lethe {

// Registers lethe_ingest. Takes ownership of `state` (freed at close).
int register_ingest_module(sqlite3* db, ConnectionState* state);

}  // namespace lethe
