// Shared by the fault-injection tests (tests/e2e_fault_test.cpp and
// tests/reliability/nomem_test.cpp): batches, a seeded database file to
// start every injection from, and what "the call left nothing" means.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/e2e_support.hpp"

namespace lethe_fault {

using lethe_test::Db;
using lethe_test::Row;
namespace fs = std::filesystem;

inline std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline bool mentions(const std::string& text, const std::vector<std::string>& words) {
  for (const auto& w : words) {
    if (lower(text).find(lower(w)) != std::string::npos) return true;
  }
  return false;
}

// n valid lines over 7 sessions; every 5th line updates the turn of the line
// 3 before it (an upsert), content pads each line.
inline std::string batch(int n, std::size_t content_bytes, const std::string& prefix) {
  std::string out;
  const std::string content(content_bytes, 'c');
  for (int i = 0; i < n; ++i) {
    const int turn = i % 5 == 4 ? i - 3 : i;
    out += lethe_test::line(
               "\"seq\":" + std::to_string(i) + ",\"timestamp\":\"2025-03-01T10:" +
                   std::to_string(10 + i % 50) + ":00Z\",\"content\":\"" + content + "\"",
               prefix + "-s" + std::to_string(turn % 7), prefix + "-t" + std::to_string(turn)) +
           "\n";
  }
  return out;
}

// Distinct turns a batch(n, ...) writes.
inline std::int64_t distinct_turns(int n) {
  std::int64_t count = 0;
  for (int i = 0; i < n; ++i) count += i % 5 == 4 ? 0 : 1;
  return count;
}

// The rows of every table a call could touch, plus the caller's notes.
using Snapshot = std::map<std::string, std::vector<Row>>;

inline Snapshot snapshot(Db& db) {
  Snapshot s;
  for (const char* table : {"sessions", "turns"}) s[table] = lethe_test::dump(db, table);
  lethe_test::Result notes = db.query("SELECT * FROM notes ORDER BY rowid");
  if (!notes.ok()) throw std::runtime_error("snapshot: " + notes.error);
  s["notes"] = notes.rows;
  return s;
}

// What differs between two snapshots, in a line or two (gtest would print
// every row).
inline std::string difference(const Snapshot& a, const Snapshot& b) {
  std::string out;
  for (const auto& [table, rows] : a) {
    const auto it = b.find(table);
    const std::size_t other = it == b.end() ? 0 : it->second.size();
    if (it == b.end() || it->second != rows) {
      out += table + ": " + std::to_string(rows.size()) + " rows vs " + std::to_string(other) +
             (rows.size() == other ? " (contents differ)" : "") + "; ";
    }
  }
  return out.empty() ? "same" : out;
}

// A database file with the schema, a table of the caller's own and some rows
// a failing call could touch (the sessions the batches upsert into).
inline fs::path make_template(const fs::path& dir, const std::string& journal_mode) {
  const fs::path path = dir / ("template-" + lower(journal_mode) + ".db");
  fs::remove(path);
  Db db(path.string());
  db.must("PRAGMA journal_mode = " + journal_mode);
  db.apply_schema();
  db.must("CREATE TABLE notes(x)");
  lethe_test::Ingest r = lethe_test::ingest(db, "alice", batch(20, 10, "f"));
  if (!r.ok() || !r.rejects.empty()) throw std::runtime_error("template: " + r.error);
  db.must("PRAGMA wal_checkpoint(TRUNCATE)");
  return path;
}

// A fresh copy of the template (its journal files removed) to fail in.
inline void restore(const fs::path& from, const fs::path& to) {
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(to.string() + suffix);
  fs::copy_file(from, to);
}

// The sweeps stop at the first failing point (its report is what one
// works on); LETHE_FAULT_ALL_POINTS=1 makes them go on through every point.
inline bool stop_at_first_failure() {
  const char* all = std::getenv("LETHE_FAULT_ALL_POINTS");
  return all == nullptr || std::string(all) != "1";
}

// Which N to try out of 1..total: all when few, else an even sample that
// keeps the first and last points. LETHE_FAULT_SAMPLE=K caps every sweep at
// K points (valgrind.sh uses it).
inline std::vector<long> sample(long total, long max_points) {
  if (const char* cap = std::getenv("LETHE_FAULT_SAMPLE")) {
    max_points = std::max(2L, std::min(max_points, std::atol(cap)));
  }
  std::vector<long> points;
  if (total <= max_points) {
    for (long n = 1; n <= total; ++n) points.push_back(n);
    return points;
  }
  for (long k = 0; k < max_points; ++k) {
    points.push_back(1 + k * (total - 1) / (max_points - 1));
  }
  points.erase(std::unique(points.begin(), points.end()), points.end());
  return points;
}

// A home holding an OpenCode database (its own schema, tests/fixtures'
// rows) of `sessions` sessions of three turns each: what a sync exports on
// its export thread. The caller removes home.parent_path().
inline fs::path opencode_home(int sessions) {
  const fs::path home = lethe_test::temp_dir() / "home";
  const fs::path db_path = home / ".local/share/opencode/opencode.db";
  fs::create_directories(db_path.parent_path());
  const auto fixture = [](const char* name) {
    return lethe_test::read_file(
        lethe_test::source_path(std::string("tests/fixtures/native/opencode/") + name));
  };
  Db agent(db_path.string(), /*load=*/false);
  agent.must(fixture("schema.sql"));
  agent.must(fixture("steps.sql"));
  const std::string last = std::to_string(sessions);
  agent.must(
      "WITH RECURSIVE n(v) AS (SELECT 2 UNION ALL SELECT v + 1 FROM n WHERE v < " + last +
      ") INSERT INTO session (id, project_id, slug, directory, title, version, time_created, "
      "time_updated) SELECT 'ses_' || v, 'global', 's', '/w', 't', '1', 1767258000000, "
      "1767258000000 FROM n;"
      "WITH RECURSIVE n(v) AS (SELECT 2 UNION ALL SELECT v + 1 FROM n WHERE v < " +
      last +
      ") INSERT INTO message SELECT m.id || v, 'ses_' || v, m.time_created, m.time_updated, "
      "m.data FROM message AS m, n WHERE m.session_id = 'ses_0c0de0001';"
      "WITH RECURSIVE n(v) AS (SELECT 2 UNION ALL SELECT v + 1 FROM n WHERE v < " +
      last +
      ") INSERT INTO part SELECT p.id || v, p.message_id || v, 'ses_' || v, p.time_created, "
      "p.time_updated, p.data FROM part AS p, n WHERE p.session_id = 'ses_0c0de0001'");
  return home;
}

}  // namespace lethe_fault
