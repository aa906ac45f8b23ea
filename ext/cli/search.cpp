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
best hits first. QUERY is plain text, found as one phrase wherever it occurs,
as written but for case: go.mod, a-b, "quoted" text, any punctuation, and a
word inside Chinese or Japanese text (3 characters or more). A QUERY that
starts with '-' goes after --: lethe search -- -v

Best first: ranked as bm25 ranks one phrase (more occurrences in a shorter
turn first), ties newest first. A text found in more than 1,000 turns shows
the best of the newest 1,000 (a search stays fast on millions of turns).

Each hit shows when, which agent, machine (host), project (the session's
working folder) and session, and the matching text with the hit in [brackets].

Options:
  --limit N   show at most N hits (default 20)
  --db PATH   the database (default: $LETHE_DB, else
              ${XDG_DATA_HOME:-~/.local/share}/lethe/agents.db)

Exit status: 0 (also when nothing matches: that is said on stderr); 2 when
the search could not run.
)";

// How many of the newest matching turns are ranked (docs/guide/packs.md,
// "Ranked, fast"): a text found in more turns shows the best of its newest
// kRankedTurns, so that a search stays fast over millions of turns
// (bench/runs/2026-12-06-search.md).
constexpr int kRankedTurns = 1000;

// The text as one FTS5 phrase (sql/search.sql): quotes doubled, no operator.
// Ranked by lethe_rank (bm25's order for one phrase, without bm25's scan
// of every match: ext/call/rank_function.hpp), ties newest first; the
// snippet is cut around the first place the text occurs (FTS5's snippet()
// would search the index again for each hit).
constexpr const char* kSearch =
    "WITH candidates AS MATERIALIZED (\n"
    "  SELECT turn_rowid, lethe_rank(query) AS score FROM turn_search\n"
    "  WHERE query MATCH '\"' || replace(?1, '\"', '\"\"') || '\"'\n"
    "  ORDER BY turn_rowid DESC LIMIT ?3),\n"
    "best AS MATERIALIZED (\n"
    "  SELECT turn_rowid, score FROM candidates ORDER BY score, turn_rowid DESC LIMIT ?2),\n"
    "hits AS (\n"
    "  SELECT best.score, best.turn_rowid, s.timestamp, s.tool, s.host, s.project, s.session_id,\n"
    "         s.content, instr(lower(s.content), lower(?1)) AS at, length(?1) AS n\n"
    "  FROM best CROSS JOIN turn_search AS s ON s.turn_rowid = best.turn_rowid)\n"
    "SELECT timestamp, tool, host, project, session_id,\n"
    "       CASE WHEN at > 0 THEN\n"
    "         CASE WHEN at > 61 THEN '…' ELSE '' END || substr(content, max(1, at - 60), min(at - "
    "1, 60))\n"
    "         || '[' || substr(content, at, n) || ']' || substr(content, at + n, 80)\n"
    "         || CASE WHEN length(content) >= at + n + 80 THEN '…' ELSE '' END\n"
    "       ELSE substr(content, 1, 140) || CASE WHEN length(content) > 140 THEN '…' ELSE '' END\n"
    "       END\n"
    "FROM hits ORDER BY score, turn_rowid DESC";

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
  st.bind(1, query).bind(2, limit).bind(3, std::int64_t{kRankedTurns});
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
