#pragma once

#include "write/connection.hpp"
#include "write/sqlite_api.hpp"

namespace lethe {

// Registers lethe_sync(home [, options]) on a connection.
int register_sync_module(sqlite3* db, ConnectionState* state);

}  // namespace lethe
