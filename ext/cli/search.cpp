// `lethe search QUERY`: the search pack's view turn_search (sql/search.sql),
// the query taken as plain text.
#include <iostream>
#include <string>

#include "cli/archive.hpp"
#include "cli/args.hpp"
#include "cli/errors.hpp"
#include "cli/output.hpp"
#include "cli/verbs.hpp"

namespace lethe::cli {
namespace {

constexpr const char* kHelp = R"(Usage: lethe search QUERY [--limit N] [--db PATH]

Find what was said in your archived sessions (prompts, answers, tool output),
best hits first. QUERY is plain text, found as one phrase: go.mod, a-b,
"quoted" text and any punctuation work as written; words match their other
forms (export finds exports, exported) and accents are ignored. A QUERY that
starts with '-' goes after --: lethe search -- -v

Each hit shows when, which agent, machine (host), project (the session's
working folder) and session, and the matching text with the hit in [brackets].

Options:
  --limit N   show at most N hits (default 20)
  --db PATH   the database (default: $LETHE_DB, else
              ${XDG_DATA_HOME:-~/.local/share}/lethe/agents.db)

Exit status: 0 (also when nothing matches: that is said on stderr); 2 when
the search could not run.
)";

// The text as one FTS5 phrase (sql/search.sql): quotes doubled, no operator.
constexpr const char* kSearch =
    "SELECT timestamp, tool, host, project, session_id, snippet FROM turn_search\n"
    "WHERE query MATCH '\"' || replace(?1, '\"', '\"\"') || '\"'\n"
    "ORDER BY rank LIMIT ?2";

// One line of text: runs of newlines, tabs and spaces in a snippet become one space.
std::string one_line(const std::string& text) {
  std::string collapsed;
  collapsed.reserve(text.size());
  for (const char c : text) {
    const bool blank = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (blank && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed += blank ? ' ' : c;
  }
  return printable(collapsed);
}

}  // namespace

int run_search(const Args& raw) {
  const Arguments args("search", raw, {{"limit", true}, {"db", true}, {"help", false}});
  if (args.flag("help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    throw UsageError("search", args.positional().empty()
                                   ? "what to search for is missing: lethe search QUERY"
                                   : "give the query as one argument, in quotes: lethe search "
                                     "\"two words\"");
  }
  const std::string& query = args.positional().front();
  if (query.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw UsageError("search", "the query is empty");
  }
  const std::int64_t limit = args.number("limit", 1, 1000000).value_or(20);
  const Database db = open_archive(choose_database(args.value("db")), OpenMode::kExisting);
  Statement st(db, kSearch);
  st.bind(1, query).bind(2, limit);
  std::int64_t hits = 0;
  while (st.step()) {
    ++hits;
    std::cout << printable(st.bytes(0)) << "  " << printable(st.bytes(1)) << "  "
              << printable(st.bytes(2)) << "  " << printable(st.text(3).value_or("-"))
              << "  session " << printable(st.bytes(4)) << "\n    " << one_line(st.bytes(5))
              << "\n";
  }
  std::cout.flush();
  if (hits == 0) std::cerr << "lethe search: nothing matches " << log_value(query) << '\n';
  return kExitOk;
}

}  // namespace lethe::cli
