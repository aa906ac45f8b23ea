// `lethe sql`: the sqlite3 shell on the archive, with the lethe module loaded.
// The command execs the shell in its place: the terminal is the shell's.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/archive.hpp"
#include "cli/errors.hpp"
#include "cli/verbs.hpp"

namespace lethe::cli {
namespace {

constexpr const char* kHelp = R"(Usage: lethe sql [--db PATH] [SQLITE3 ARGUMENTS...]

Open the sqlite3 shell on the archive with lethe loaded (lethe_ingest,
lethe_sync, lethe_convert, ...), its schema and packs current. The other
arguments go to sqlite3 after the database: SQL to run, or its options.

  lethe sql                                      an interactive shell
  lethe sql "SELECT tool, count(*) FROM sessions GROUP BY 1"
  lethe sql -json "SELECT * FROM usage_daily LIMIT 3"
  lethe sql "SELECT * FROM lethe_sync_problems"

Options (before the sqlite3 arguments):
  --db PATH   the database (default: $LETHE_DB, else
              ${XDG_DATA_HOME:-~/.local/share}/lethe/agents.db, created when
              missing)

Needs the sqlite3 shell (apt-get install sqlite3) and the module lethe.so,
found next to this command: <prefix>/lib/.../lethe.so when installed,
build/lethe.so in the build tree. The exit status is sqlite3's.
)";

// A dot-command argument in the shell's quoting: single quotes take the text
// as it is; a path with a single quote goes in double quotes, escaped.
std::string shell_quoted(const std::string& text) {
  if (text.find('\'') == std::string::npos) return "'" + text + "'";
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + '"';
}

}  // namespace

int run_sql(const Args& args) {
  std::optional<std::string> db_option;
  std::size_t first = 0;
  for (; first < args.size(); ++first) {  // lethe's options come first
    const std::string& arg = args[first];
    if (arg == "--help" || arg == "-h") {
      std::cout << kHelp;
      return kExitOk;
    }
    if (arg == "--db" && first + 1 < args.size()) {
      db_option = args[++first];
    } else if (arg.compare(0, 5, "--db=") == 0) {
      db_option = arg.substr(5);
    } else if (arg == "--db") {
      throw UsageError("sql", "--db needs a value");
    } else {
      break;
    }
  }
  const DatabaseChoice choice = choose_database(db_option);
  const std::string module = module_path();
  { const Database db = open_archive(choice, OpenMode::kCreate); }  // closed before the exec

  std::vector<std::string> argv = {"sqlite3",
                                   "-cmd",
                                   ".load " + shell_quoted(module),
                                   "-cmd",
                                   ".timeout " + std::to_string(kBusyTimeoutMs),
                                   choice.path.front() == '-' ? "./" + choice.path : choice.path};
  argv.insert(argv.end(), args.begin() + static_cast<std::ptrdiff_t>(first), args.end());
  std::vector<char*> pointers;
  pointers.reserve(argv.size() + 1);
  for (std::string& arg : argv) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  std::cout.flush();
  ::execvp("sqlite3", pointers.data());
  const int error = errno;
  if (error == ENOENT) {
    throw Failure("the sqlite3 shell is not installed (apt-get install sqlite3)");
  }
  throw Failure(std::string("cannot run sqlite3: ") + std::strerror(error));
}

}  // namespace lethe::cli
