// The `lethe` command: a thin layer over the extension's functions and the
// SQL packs, for people who would rather not write SQL. main() picks the verb
// and is the one place an error becomes a message and an exit status.
#include <iostream>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "cli/archive.hpp"
#include "cli/errors.hpp"
#include "cli/sqlite.hpp"
#include "cli/verbs.hpp"

namespace lethe::cli {
namespace {

constexpr const char* kHelp = R"(Usage: lethe VERB [OPTIONS]

Keep the transcripts of your AI coding agents (Claude Code, Codex, Gemini CLI)
from every machine in one SQLite database, and see what they cost.

Verbs:
  sync      archive this machine's transcripts (the files that changed)
  search    find what was said: lethe search "go.mod"
  show      a session as a Markdown transcript: lethe show SESSION
  daily     tokens and cost per day, all agents together
  monthly   tokens and cost per month
  session   tokens and cost per session
  blocks    Claude Code's 5-hour billing blocks
  report    all of it as one HTML page: lethe report --out r.html
  merge     merge another machine's archive into this one
  sql       the sqlite3 shell on the archive, with lethe loaded

Start with:
  lethe sync
  lethe daily
then run `lethe sync` every hour (lethe sync --help says how, with cron or a
systemd timer).

  lethe VERB --help   what a verb does, and its options
  lethe --version     lethe's version

The archive is --db PATH, else $LETHE_DB, else
${XDG_DATA_HOME:-~/.local/share}/lethe/agents.db.

Exit status: 0 done; 1 done but not all of it (a file sync could not read, a
line merge could not store: each is named on stderr); 2 failed, nothing was
done (the message says why).
)";

struct Verb {
  std::string_view name;
  int (*run)(const Args&);
};

int report_daily(const Args& args) { return run_report("daily", args); }
int report_monthly(const Args& args) { return run_report("monthly", args); }
int report_session(const Args& args) { return run_report("session", args); }
int report_blocks(const Args& args) { return run_report("blocks", args); }

constexpr Verb kVerbs[] = {{"sync", run_sync},          {"search", run_search},
                           {"merge", run_merge},        {"sql", run_sql},
                           {"daily", report_daily},     {"monthly", report_monthly},
                           {"session", report_session}, {"blocks", report_blocks},
                           {"report", run_html_report}, {"show", run_show}};

// lethe_version() of the extension compiled in, as SQL sees it.
int print_version() {
  const Database db(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  std::cout << query_text(db, "SELECT lethe_version()").value_or("?") << '\n';
  return kExitOk;
}

int run(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    std::cerr << kHelp;
    return kExitFailed;
  }
  const std::string& verb = argv.front();
  if (verb == "--help" || verb == "-h" || verb == "help") {
    std::cout << kHelp;
    return kExitOk;
  }
  if (verb == "--version" || verb == "-V") return print_version();
  const Args rest(argv.begin() + 1, argv.end());
  for (const Verb& candidate : kVerbs) {
    if (candidate.name == verb) return candidate.run(rest);
  }
  throw Failure("unknown verb '" + verb + "' (see: lethe --help)");
}

}  // namespace
}  // namespace lethe::cli

int main(int argc, char** argv) {
  using lethe::cli::kExitFailed;
  try {
    lethe::cli::register_lethe();
    return lethe::cli::run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const lethe::cli::Failure& failure) {
    std::cerr << "lethe: " << failure.what() << '\n';
    return failure.status();
  } catch (const std::bad_alloc&) {
    std::cerr << "lethe: out of memory\n";
  } catch (const std::exception& error) {
    std::cerr << "lethe: unexpected error: " << error.what() << '\n';
  } catch (...) {
    std::cerr << "lethe: unexpected error\n";
  }
  return kExitFailed;
}
