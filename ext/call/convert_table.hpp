#pragma once

#include "write/sqlite_api.hpp"

namespace lethe {

// Registers lethe_convert(data [, options]): what a native file becomes,
// without writing anything.
int register_convert_module(sqlite3* db);

}  // namespace lethe
