// The write floor: what the database writes of an ingest cost at the least.
//
//   lethe_write_floor CORPUS DB [OWNER [SETTINGS]]
//
// 1. (not timed) Reads CORPUS and turns every line into the record lethe
//    would store, with lethe's own parse_line (lethe_core), so the floor
//    writes byte-for-byte the values lethe writes: same normalized
//    timestamps, same exact JSON text of tool_calls/metadata. Lines that
//    parse_line rejects are skipped and counted (use a corpus without bad
//    lines). DB must already have sql/schema.sql applied.
// 2. (timed) BEGIN; for each row: the session upsert and the turn upsert of
//    sql/schema.sql's trigger, each prepared once (before the clock starts),
//    bound per row (SQLITE_STATIC, no copy, as lethe binds), stepped, reset;
//    COMMIT. Default connection settings, as the sqlite3 shell has them
//    (journal_mode=DELETE, synchronous=FULL, foreign_keys=OFF), unless
//    SETTINGS (SQL, e.g. "PRAGMA cache_size=-65536") is given: it runs right
//    after the database is opened, not timed (bench/run --settings).
//
// Prints one JSON object on stdout:
//   {"lines":..,"rows":..,"skipped":..,"bytes":..,"parse_s":..,
//    "write_s":..,"commit_s":..,"total_s":..}
// total_s = BEGIN..COMMIT inclusive (write_s + commit_s + BEGIN).
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "parse/framing.hpp"
#include "parse/wire.hpp"

namespace {

constexpr const char* kSessionUpsert =
    "INSERT INTO sessions (owner, tool, host, session_id, started_at, ended_at,"
    " working_dir, source_file, metadata)"
    " VALUES (?1, ?2, ?3, ?4, coalesce(?5, ?6), ?6, ?7, ?8, ?9)"
    " ON CONFLICT (owner, tool, host, session_id) DO UPDATE SET"
    "  started_at  = min(started_at, excluded.started_at),"
    "  ended_at    = max(ended_at, excluded.ended_at),"
    "  working_dir = coalesce(working_dir, excluded.working_dir),"
    "  source_file = coalesce(source_file, excluded.source_file),"
    "  metadata    = coalesce(metadata, excluded.metadata)";

constexpr const char* kTurnUpsert =
    "INSERT INTO turns (owner, tool, host, session_id, turn_id, seq, role,"
    " timestamp, content, model, tokens_in, tokens_out, cost_usd, tool_calls,"
    " metadata)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    " ON CONFLICT (owner, tool, host, session_id, turn_id) DO UPDATE SET"
    "  seq = excluded.seq, role = excluded.role, timestamp = excluded.timestamp,"
    "  content = excluded.content, model = excluded.model,"
    "  tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out,"
    "  cost_usd = excluded.cost_usd, tool_calls = excluded.tool_calls,"
    "  metadata = excluded.metadata";

[[noreturn]] void die(const std::string& what, sqlite3* db = nullptr) {
  std::fprintf(stderr, "lethe_write_floor: %s%s%s\n", what.c_str(), db ? ": " : "",
               db ? sqlite3_errmsg(db) : "");
  std::exit(1);
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE) die(what, db);
}

void bind_text(sqlite3_stmt* s, int i, const char* data, std::size_t n) {
  sqlite3_bind_text(s, i, data, static_cast<int>(n), SQLITE_STATIC);
}
void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  bind_text(s, i, v.data(), v.size());
}
void bind_text(sqlite3_stmt* s, int i, const std::optional<std::string>& v) {
  if (v)
    bind_text(s, i, *v);
  else
    sqlite3_bind_null(s, i);
}
void bind_int(sqlite3_stmt* s, int i, const std::optional<std::int64_t>& v) {
  if (v)
    sqlite3_bind_int64(s, i, *v);
  else
    sqlite3_bind_null(s, i);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: lethe_write_floor CORPUS DB [OWNER [SETTINGS]]\n");
    return 2;
  }
  const std::string owner = argc > 3 ? argv[3] : "bench";

  // ---- 1. parse, not timed -------------------------------------------------
  const auto parse_start = std::chrono::steady_clock::now();
  std::string batch;
  {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) die(std::string("cannot read ") + argv[1]);
    std::ostringstream ss;
    ss << in.rdbuf();
    batch = ss.str();
  }
  std::vector<lethe::TurnRecord> rows;
  std::uint64_t lines = 0, skipped = 0;
  {
    lethe::LineSplitter splitter(batch);
    lethe::Line line;
    lethe::LineError error;
    lethe::TurnRecord record;
    while (splitter.next(line)) {
      if (lethe::is_blank(line.text)) continue;
      ++lines;
      if (lethe::parse_line(line.text, 8u * 1024u * 1024u, record, error)) {
        rows.push_back(std::move(record));
        record = lethe::TurnRecord{};
      } else {
        ++skipped;
      }
    }
  }
  const double parse_s = seconds_since(parse_start);

  sqlite3* db = nullptr;
  if (sqlite3_open(argv[2], &db) != SQLITE_OK) die("cannot open database", db);
  if (argc > 4) check(sqlite3_exec(db, argv[4], nullptr, nullptr, nullptr), db, "SETTINGS");
  sqlite3_stmt* session = nullptr;
  sqlite3_stmt* turn = nullptr;
  check(sqlite3_prepare_v3(db, kSessionUpsert, -1, SQLITE_PREPARE_PERSISTENT, &session, nullptr),
        db, "prepare session upsert (is sql/schema.sql applied?)");
  check(sqlite3_prepare_v3(db, kTurnUpsert, -1, SQLITE_PREPARE_PERSISTENT, &turn, nullptr), db,
        "prepare turn upsert");

  // ---- 2. timed: BEGIN, two upserts per row, COMMIT ---------------------------
  const auto t0 = std::chrono::steady_clock::now();
  check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "BEGIN");
  for (const lethe::TurnRecord& r : rows) {
    bind_text(session, 1, owner);
    bind_text(session, 2, r.tool);
    bind_text(session, 3, r.host);
    bind_text(session, 4, r.session_id);
    if (r.started_at)
      bind_text(session, 5, r.started_at->data(), r.started_at->size());
    else
      sqlite3_bind_null(session, 5);
    bind_text(session, 6, r.timestamp.data(), r.timestamp.size());
    bind_text(session, 7, r.working_dir);
    bind_text(session, 8, r.source_file);
    bind_text(session, 9, r.session_metadata);
    check(sqlite3_step(session), db, "session upsert");
    sqlite3_reset(session);

    bind_text(turn, 1, owner);
    bind_text(turn, 2, r.tool);
    bind_text(turn, 3, r.host);
    bind_text(turn, 4, r.session_id);
    bind_text(turn, 5, r.turn_id);
    sqlite3_bind_int64(turn, 6, r.seq);
    bind_text(turn, 7, r.role.data(), r.role.size());
    bind_text(turn, 8, r.timestamp.data(), r.timestamp.size());
    bind_text(turn, 9, r.content);
    bind_text(turn, 10, r.model);
    bind_int(turn, 11, r.tokens_in);
    bind_int(turn, 12, r.tokens_out);
    if (r.cost_usd)
      sqlite3_bind_double(turn, 13, *r.cost_usd);
    else
      sqlite3_bind_null(turn, 13);
    bind_text(turn, 14, r.tool_calls);
    bind_text(turn, 15, r.metadata);
    check(sqlite3_step(turn), db, "turn upsert");
    sqlite3_reset(turn);
  }
  const double write_s = seconds_since(t0);
  const auto c0 = std::chrono::steady_clock::now();
  check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "COMMIT");
  const double commit_s = seconds_since(c0);
  const double total_s = seconds_since(t0);

  sqlite3_finalize(session);
  sqlite3_finalize(turn);
  sqlite3_close(db);
  std::printf(
      "{\"lines\":%llu,\"rows\":%zu,\"skipped\":%llu,\"bytes\":%zu,\"parse_s\":%.6f,"
      "\"write_s\":%.6f,\"commit_s\":%.6f,\"total_s\":%.6f}\n",
      static_cast<unsigned long long>(lines), rows.size(), static_cast<unsigned long long>(skipped),
      batch.size(), parse_s, write_s, commit_s, total_s);
  return 0;
}
