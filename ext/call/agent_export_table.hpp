#pragma once

#include "write/sqlite_api.hpp"

namespace lethe {

// Registers lethe_agent_export(format, path [, session]): the lines lethe
// reads from an agent's database, as lethe_sync reads them.
int register_agent_export_module(sqlite3* db);

}  // namespace lethe
