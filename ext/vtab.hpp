#pragma once

#include "sqlite_api.hpp"
#include "store.hpp"

namespace lethe {

// Registers lethe_ingest. Takes ownership of `state` (freed at close).
int register_ingest_module(sqlite3* db, ConnectionState* state);

}  // namespace lethe
