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
//
// The cover: a text of 6 to 64 characters is not asked as a phrase of
// every trigram but as the AND of fewer of them that still cover each of
// its characters: the first, the last, the rarest, and the least common
// others (each trigram's 64th newest row tells how common it is; FTS5
// reads the whole list of rows of each trigram it is asked, and a rare
// text made of common trigrams costs all of them). lethe_rank(query,
// offsets) keeps only the rows where the pieces sit where the text puts
// them, and scores them as the phrase. A longer text is asked as its 3
// rarest trigrams (32 probed, spread over it), and lethe_rank(query,
// offsets, text) also checks that the whole text follows, by the table's
// own tokens. Either way: the same rows and scores as the phrase of the
// whole text (bench/runs/2026-12-06-search.md, "The cover";
// tests/clients/packs/test_search_cover_property.py).
constexpr const char* kSearch = R"sql(
WITH RECURSIVE
-- Up to 64 characters, every trigram of the text is a piece; past that,
-- 32 of them, spread over it.
text(chars, step) AS (
  SELECT length(?1), CASE WHEN length(?1) > 64 THEN max(1, (length(?1) - 3) / 31) ELSE 1 END),
starts(i) AS (SELECT 0 FROM text WHERE chars >= 6
              UNION ALL SELECT i + step FROM starts, text WHERE i + step + 3 <= chars),
-- Each piece: the trigram as an FTS5 phrase, and how rare it is (its 64th
-- newest row; NULL, fewer rows: rarest).
pieces(i, piece, seen) AS MATERIALIZED (
  SELECT i, '"' || replace(substr(?1, i + 1, 3), '"', '""') || '"',
         (SELECT rowid FROM turn_text_fts
          WHERE turn_text_fts MATCH '"' || replace(substr(?1, i + 1, 3), '"', '""') || '"'
          ORDER BY rowid DESC LIMIT 1 OFFSET 63)
  FROM starts),
-- The cover: pieces that still cover every character, the first, the last
-- and the rarest among them (FTS5 skips to its rows in the others' lists),
-- of least total weight (each piece's share of the rows it is in, from its
-- probe; ties: fewer pieces). best[i] = weight[i] + the least best of the
-- three pieces before it, carried along in one row.
weights(i, piece, w) AS MATERIALIZED (
  SELECT i, piece, CASE WHEN i = (SELECT i FROM pieces ORDER BY seen LIMIT 1) THEN -1000.0
                        WHEN seen IS NULL THEN 0.0
                        ELSE 1.0 / ((SELECT max(rowid) FROM turns) - seen + 1) END
  FROM pieces),
cover(i, b1, o1, e1, b2, o2, e2, b3, o3, e3) AS (
  SELECT 0, w, '0', piece, NULL, NULL, NULL, NULL, NULL, NULL FROM weights WHERE i = 0
  UNION ALL
  SELECT p.i, p.w + min(c.b1, coalesce(c.b2, 1e300), coalesce(c.b3, 1e300)),
         CASE WHEN coalesce(c.b3, 1e300) <= min(c.b1, coalesce(c.b2, 1e300)) THEN c.o3
              WHEN coalesce(c.b2, 1e300) <= c.b1 THEN c.o2 ELSE c.o1 END || ',' || p.i,
         CASE WHEN coalesce(c.b3, 1e300) <= min(c.b1, coalesce(c.b2, 1e300)) THEN c.e3
              WHEN coalesce(c.b2, 1e300) <= c.b1 THEN c.e2 ELSE c.e1 END || ' AND ' || p.piece,
         c.b1, c.o1, c.e1, c.b2, c.o2, c.e2
  FROM cover AS c JOIN weights AS p ON p.i = c.i + 1),
-- A text of more than 64 characters: its 3 rarest pieces, as a filter
-- (lethe_rank checks them in place, then the whole text in the rows left).
rarest(expr, offsets) AS (
  SELECT group_concat(piece, ' AND '), group_concat(i, ',')
  FROM (SELECT i, piece FROM pieces ORDER BY seen, i LIMIT 3)),
-- The query: those, or the cover when it is shorter than the phrase, or
-- the phrase.
query(expr, offsets, whole) AS MATERIALIZED (
  SELECT coalesce(CASE WHEN chars > 64 THEN (SELECT expr FROM rarest)
                       ELSE (SELECT e1 FROM cover WHERE i = chars - 3 AND
                             length(o1) - length(replace(o1, ',', '')) + 1 < chars - 2) END,
                  '"' || replace(?1, '"', '""') || '"'),
         coalesce(CASE WHEN chars > 64 THEN (SELECT offsets FROM rarest)
                       ELSE (SELECT o1 FROM cover WHERE i = chars - 3 AND
                             length(o1) - length(replace(o1, ',', '')) + 1 < chars - 2) END, '0'),
         CASE WHEN chars > 64 THEN ?1 END
  FROM text),
candidates AS MATERIALIZED (
  SELECT turn_rowid, lethe_rank(query, (SELECT offsets FROM query), (SELECT whole FROM query))
         AS score FROM turn_search
  WHERE query MATCH (SELECT expr FROM query) AND score IS NOT NULL
  ORDER BY turn_rowid DESC LIMIT ?3),
best AS MATERIALIZED (
  SELECT turn_rowid, score FROM candidates ORDER BY score, turn_rowid DESC LIMIT ?2),
hits AS (
  SELECT best.score, best.turn_rowid, s.timestamp, s.tool, s.host, s.project, s.session_id,
         s.content, instr(lower(s.content), lower(?1)) AS at, length(?1) AS n
  FROM best CROSS JOIN turn_search AS s ON s.turn_rowid = best.turn_rowid)
SELECT timestamp, tool, host, project, session_id,
       CASE WHEN at > 0 THEN
         CASE WHEN at > 61 THEN '…' ELSE '' END || substr(content, max(1, at - 60), min(at - 1, 60))
         || '[' || substr(content, at, n) || ']' || substr(content, at + n, 80)
         || CASE WHEN length(content) >= at + n + 80 THEN '…' ELSE '' END
       ELSE substr(content, 1, 140) || CASE WHEN length(content) > 140 THEN '…' ELSE '' END
       END
FROM hits ORDER BY score, turn_rowid DESC
)sql";

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
