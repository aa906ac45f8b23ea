// The SQL files of sql/ that the command applies to its database, compiled
// into it at build time (ext/cli/embed_sql.cmake writes embedded_sql.cpp from
// sql/), so the command needs no path to them and sql/ stays the one source.
#pragma once

#include <string_view>
#include <vector>

namespace lethe::cli {

struct SqlFile {
  std::string_view name;  // "schema.sql"
  std::string_view text;
};

// schema.sql, then the packs, in the order they are applied (CMakeLists.txt,
// LETHE_EMBEDDED_SQL).
const std::vector<SqlFile>& sql_files();

// SHA-256 (hex) of the names and texts above: what lethe_meta records of the
// last application, so a database is upgraded when a file changed.
std::string_view sql_files_sha256();

}  // namespace lethe::cli
