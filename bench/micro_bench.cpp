// Google Benchmark micro benchmarks of lethe's stages.
//
//   LETHE_BENCH_CORPUS=bench/out/corpus-200000-head20000.ndjson build-bench/bench/lethe_micro_bench
//
// (bench/run --micro builds, makes the corpus and runs this.)
//
//   BM_SqliteSelectOne        baseline: step+reset of `SELECT 1` (what any
//                             statement costs through the same API)
//   BM_IngestOneLine          one lethe_ingest call with a one-line batch,
//                             through a real connection with lethe.so loaded,
//                             in-memory database with sql/schema.sql, autocommit
//                             (each call upserts the same session and turn)
//   BM_IngestOneLineInTxn     the same inside one open transaction (BEGIN
//                             before the loop): no per-call commit
//   BM_IngestOneLineDryRun    the same with '{"dry_run":true}': call overhead
//                             plus parse, no writes
//   BM_Framing                LineSplitter + is_blank over the whole corpus
//   BM_ScanObject             json::scan_object (grammar, UTF-8, members;
//                             no field checks) over the corpus lines
//   BM_ParseLine              parse_line (scan + validate + build the
//                             TurnRecord) over the corpus lines
//
// Throughput benchmarks report bytes_per_second (MB/s = 1e6 bytes) and
// items_per_second (lines/s). The corpus benchmarks are skipped with an
// error when the corpus file is missing.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "parse/framing.hpp"
#include "parse/json_scan.hpp"
#include "parse/wire.hpp"

namespace {

// A typical assistant line (≈ 600 bytes; the corpus mean is ≈ 760, median
// ≈ 520), with tool_calls and metadata.
const std::string kOneLine =
    R"({"tool":"claude-code","host":"ana-laptop","session_id":"7d7a2b4e-5d1c-4c8e-9e57-0b8f3b2c9a11",)"
    R"("turn_id":"c1f0a7e2-3b44-4d0a-8f5e-2a9d6b7c8e01","parent_turn_id":"a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",)"
    R"("seq":42,"role":"assistant","timestamp":"2026-03-02T10:15:30.123+02:00",)"
    R"("content":"I'll read the parser first, then fix the off-by-one when the buffer ends in \\r.\n\n```cpp\n)"
    R"(if (n > 0 && buf[n - 1] == '\\r') --n;\n```\nCafé ✓ — let me run the tests.",)"
    R"("model":"claude-sonnet-4","tokens_in":18234,"tokens_out":412,"cost_usd":0.061902,)"
    R"("tool_calls":[{"id":"toolu_01","name":"Bash","input":{"command":"pytest -q tests/test_parser.py"}}],)"
    R"("metadata":{"cwd_hash":"5f2c9e1a","git_branch":"fix/crlf"}})";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string corpus_path() {
  const char* env = std::getenv("LETHE_BENCH_CORPUS");
  return env && *env ? env : LETHE_SOURCE_DIR "/bench/out/corpus-200000-head20000.ndjson";
}

// The corpus, read once; empty with `error` set when it is missing.
struct Corpus {
  std::string text;
  std::vector<std::string_view> lines;  // non-blank, framed
  std::size_t line_bytes = 0;
  std::string error;

  Corpus() {
    try {
      text = read_file(corpus_path());
    } catch (const std::exception& e) {
      error = std::string(e.what()) + " (set LETHE_BENCH_CORPUS or run bench/run --micro)";
      return;
    }
    lethe::LineSplitter splitter(text);
    lethe::Line line;
    while (splitter.next(line)) {
      if (lethe::is_blank(line.text)) continue;
      lines.push_back(line.text);
      line_bytes += line.text.size();
    }
  }
};

const Corpus& corpus() {
  static const Corpus c;
  return c;
}

// ---------------------------------------------------------------------------
// Through a real connection.

struct Connection {
  sqlite3* db = nullptr;

  Connection() {
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) throw std::runtime_error("open");
    sqlite3_enable_load_extension(db, 1);
    char* err = nullptr;
    if (sqlite3_load_extension(db, LETHE_EXTENSION_PATH, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("load " LETHE_EXTENSION_PATH ": " + msg);
    }
    exec(read_file(LETHE_SOURCE_DIR "/sql/schema.sql"));
  }
  ~Connection() { sqlite3_close_v2(db); }

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(msg);
    }
  }

  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db));
    }
    return s;
  }
};

void BM_SqliteSelectOne(benchmark::State& state) {
  Connection c;
  sqlite3_stmt* s = c.prepare("SELECT 1");
  for (auto _ : state) {
    if (sqlite3_step(s) != SQLITE_ROW) state.SkipWithError("SELECT 1 failed");
    benchmark::DoNotOptimize(sqlite3_column_int(s, 0));
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
}
BENCHMARK(BM_SqliteSelectOne)->Unit(benchmark::kMicrosecond);

// One call = bind the line, step once (count(*) runs the whole call), reset.
void ingest_one_line(benchmark::State& state, bool in_transaction, const char* options) {
  Connection c;
  if (in_transaction) c.exec("BEGIN");
  sqlite3_stmt* s = c.prepare("SELECT count(*) FROM lethe_ingest('bench', ?1, ?2)");
  sqlite3_bind_text(s, 1, kOneLine.data(), static_cast<int>(kOneLine.size()), SQLITE_STATIC);
  if (options) sqlite3_bind_text(s, 2, options, -1, SQLITE_STATIC);
  for (auto _ : state) {
    if (sqlite3_step(s) != SQLITE_ROW || sqlite3_column_int(s, 0) != 0) {
      state.SkipWithError(sqlite3_errmsg(c.db));
      break;
    }
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  if (in_transaction) c.exec("COMMIT");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kOneLine.size()));
  state.counters["line_bytes"] = static_cast<double>(kOneLine.size());
}

void BM_IngestOneLine(benchmark::State& state) { ingest_one_line(state, false, nullptr); }
BENCHMARK(BM_IngestOneLine)->Unit(benchmark::kMicrosecond);

void BM_IngestOneLineInTxn(benchmark::State& state) { ingest_one_line(state, true, nullptr); }
BENCHMARK(BM_IngestOneLineInTxn)->Unit(benchmark::kMicrosecond);

void BM_IngestOneLineDryRun(benchmark::State& state) {
  ingest_one_line(state, false, R"({"dry_run":true})");
}
BENCHMARK(BM_IngestOneLineDryRun)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------
// Over the corpus, no SQLite.

bool need_corpus(benchmark::State& state) {
  if (!corpus().error.empty()) {
    state.SkipWithError(corpus().error.c_str());
    return false;
  }
  return true;
}

void BM_Framing(benchmark::State& state) {
  if (!need_corpus(state)) return;
  const std::string& text = corpus().text;
  std::uint64_t n = 0;
  for (auto _ : state) {
    lethe::LineSplitter splitter(text);
    lethe::Line line;
    while (splitter.next(line)) {
      if (!lethe::is_blank(line.text)) ++n;
      benchmark::DoNotOptimize(line);
    }
  }
  benchmark::DoNotOptimize(n);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * corpus().lines.size()));
}
BENCHMARK(BM_Framing)->Unit(benchmark::kMillisecond);

void BM_ScanObject(benchmark::State& state) {
  if (!need_corpus(state)) return;
  lethe::json::ScanError error;
  std::size_t members = 0;
  const lethe::json::MemberVisitor visit = [&members](std::string_view, const lethe::json::Value&) {
    ++members;
  };
  std::size_t failed = 0;
  for (auto _ : state) {
    for (std::string_view line : corpus().lines) {
      if (!lethe::json::scan_object(line, visit, error)) ++failed;
    }
  }
  benchmark::DoNotOptimize(members);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().line_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * corpus().lines.size()));
  state.counters["invalid_lines"] =
      static_cast<double>(failed) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ScanObject)->Unit(benchmark::kMillisecond);

void BM_ParseLine(benchmark::State& state) {
  if (!need_corpus(state)) return;
  lethe::LineError error;
  std::size_t rejected = 0;
  for (auto _ : state) {
    for (std::string_view line : corpus().lines) {
      lethe::TurnRecord record;  // fresh per line, as ingest does
      if (!lethe::parse_line(line, 8u * 1024u * 1024u, record, error)) ++rejected;
      benchmark::DoNotOptimize(record);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().line_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * corpus().lines.size()));
  state.counters["rejected_lines"] =
      static_cast<double>(rejected) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ParseLine)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
