// The export queries of the agents that keep a SQLite database, one file per
// agent in ext/write/agent_db/ (<format name>.sql), compiled into the module
// at build time (ext/cli/embed_sql.cmake), so that the files stay the one
// source. What a file holds: write/agent_db.hpp.
#pragma once

#include <string_view>
#include <vector>

namespace lethe::agent_db {

struct SqlFile {
  std::string_view name;  // "opencode.sql"
  std::string_view text;
};

// Every agent's file (CMakeLists.txt, LETHE_AGENT_DB_SQL).
const std::vector<SqlFile>& sql_files();

// SHA-256 (hex) of the names and texts above.
std::string_view sql_files_sha256();

}  // namespace lethe::agent_db
