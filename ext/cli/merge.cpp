// `lethe merge OTHER.db`: another archive's sessions and turns into this one,
// as sql/merge.sql says: its view lethe_wire_lines turns OTHER's rows back
// into wire lines, and lethe_ingest stores them, one owner per call. OTHER
// is opened read-only and gets the pack's views as TEMP views of that
// connection, so the file is never written.
#include <sys/stat.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/archive.hpp"
#include "cli/args.hpp"
#include "cli/embedded_sql.hpp"
#include "cli/errors.hpp"
#include "cli/output.hpp"
#include "cli/verbs.hpp"

namespace lethe::cli {
namespace {

constexpr const char* kHelp = R"(Usage: lethe merge OTHER.db [--owner NAME] [--db PATH]

Merge another machine's archive (OTHER.db, a lethe database such as its
~/.local/share/lethe/agents.db, copied here) into yours. Merging again, or
in any order, gives what archiving everything in one place gives: a session
is stored once per machine it was on. OTHER.db is only read.

Options:
  --owner NAME  merge only this owner's sessions (default: every owner of
                OTHER.db, each under its own name)
  --db PATH     the database to merge into (default: $LETHE_DB, else
                ${XDG_DATA_HOME:-~/.local/share}/lethe/agents.db, created
                when missing)

It prints one line per owner (wire lines read from OTHER.db, stored,
refused) and the archive's sessions and turns before and after. One
transaction: a merge that fails stores nothing.

Exit status: 0 when every line was stored; 1 when some were refused (each
named on stderr); 2 when nothing was merged (the message says why).
)";

// Lines are handed to lethe_ingest in batches of about this many bytes, far
// under SQLite's 1 GB limit on one value.
constexpr std::size_t kBatchBytes = std::size_t{64} << 20;

// The merge pack's views, made TEMP: the same text, each CREATE VIEW a
// CREATE TEMP VIEW (and its DROP the temp one's), read against OTHER's own
// tables (a TEMP view's unqualified names resolve to the main database).
std::string temp_views_sql() {
  std::string text;
  for (const SqlFile& file : sql_files()) {
    if (file.name == "merge.sql") text = "\n" + std::string(file.text);
  }
  const auto replace_all = [&text](const std::string& from, const std::string& to) {
    std::size_t count = 0;
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
      ++count;
    }
    return count;
  };
  replace_all("\nDROP VIEW IF EXISTS ", "\nDROP VIEW IF EXISTS temp.");
  replace_all("\nCREATE VIEW ", "\nCREATE TEMP VIEW ");
  if (text.find("\nCREATE TEMP VIEW lethe_wire_lines AS") == std::string::npos) {
    throw Failure(
        "sql/merge.sql no longer creates the view lethe_wire_lines: ext/cli/merge.cpp "
        "must follow it");
  }
  return text;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat first {};
  struct stat second {};
  return ::stat(a.c_str(), &first) == 0 && ::stat(b.c_str(), &second) == 0 &&
         first.st_dev == second.st_dev && first.st_ino == second.st_ino;
}

Database open_other(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    throw Failure("there is no database file " + path);
  }
  Database other(path.front() == '/' ? path : "./" + path, SQLITE_OPEN_READONLY);
  sqlite3_busy_timeout(other.get(), kBusyTimeoutMs);
  if (!other.has_table("sessions") || !other.has_table("turns")) {
    throw Failure(path + " is not a lethe archive: it has no tables sessions and turns");
  }
  other.exec(temp_views_sql());
  return other;
}

struct Counts {
  std::int64_t sessions = 0;
  std::int64_t turns = 0;
};

Counts count(const Database& db) {
  Statement st(db, "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM turns)");
  st.step();
  return {st.integer(0).value_or(0), st.integer(1).value_or(0)};
}

struct OwnerResult {
  std::int64_t lines = 0;
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
};

// One lethe_ingest call; its refused lines go to stderr.
void ingest(const Database& archive, const std::string& owner, const std::string& batch,
            OwnerResult& result) {
  Statement st(archive, "SELECT line, code, field, message FROM lethe_ingest(?1, ?2)");
  st.bind(1, owner).bind(2, batch);
  while (st.step()) {
    std::cerr << "lethe merge: owner " << log_value(owner) << ": refused (" << st.bytes(1)
              << (st.is_null(2) ? "" : " " + printable(st.bytes(2)))
              << "): " << printable(st.bytes(3)) << '\n';
  }
  Statement last(archive,
                 "SELECT json_extract(j, '$.lines'), json_extract(j, '$.accepted'), "
                 "json_extract(j, '$.rejected') FROM (SELECT lethe_last_ingest() AS j) "
                 "WHERE json_valid(j)");
  if (!last.step()) return;
  result.lines += last.integer(0).value_or(0);
  result.accepted += last.integer(1).value_or(0);
  result.rejected += last.integer(2).value_or(0);
}

OwnerResult merge_owner(const Database& archive, const Database& other, const std::string& owner) {
  OwnerResult result;
  Statement lines(other, "SELECT line FROM temp.lethe_wire_lines WHERE owner = ?1");
  lines.bind(1, owner);
  std::string batch;
  while (lines.step()) {
    if (!batch.empty()) batch += '\n';
    batch += lines.bytes(0);
    if (batch.size() >= kBatchBytes) {
      ingest(archive, owner, batch, result);
      batch.clear();
    }
  }
  if (!batch.empty()) ingest(archive, owner, batch, result);
  return result;
}

std::vector<std::string> owners_of(const Database& other, const std::optional<std::string>& only) {
  std::vector<std::string> owners;
  Statement st(other,
               "SELECT DISTINCT owner FROM sessions WHERE ?1 IS NULL OR owner = ?1 ORDER BY 1");
  if (only) st.bind(1, *only);
  while (st.step()) owners.push_back(st.bytes(0));
  return owners;
}

}  // namespace

int run_merge(const Args& raw) {
  const Arguments args("merge", raw, {{"owner", true}, {"db", true}, {"help", false}});
  if (args.flag("help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    throw UsageError("merge", "name one database to merge from: lethe merge OTHER.db");
  }
  const std::string& other_path = args.positional().front();
  const DatabaseChoice choice = choose_database(args.value("db"));
  if (same_file(other_path, choice.path)) {
    throw Failure(other_path + " is the archive itself: nothing to merge");
  }
  const Database other = open_other(other_path);
  const Database archive = open_archive(choice, OpenMode::kCreate);
  const std::vector<std::string> owners = owners_of(other, args.value("owner"));
  if (owners.empty()) {
    throw Failure(args.value("owner")
                      ? other_path + " has no sessions of owner " + log_value(*args.value("owner"))
                      : other_path + " holds no sessions");
  }
  Transaction transaction(archive);
  const Counts before = count(archive);
  std::int64_t refused = 0;
  std::vector<std::pair<std::string, OwnerResult>> results;
  for (const std::string& owner : owners) {
    results.emplace_back(owner, merge_owner(archive, other, owner));
    refused += results.back().second.rejected;
  }
  const std::optional<std::string> zone_note = refresh_usage_if_changed(archive);
  const Counts after = count(archive);
  transaction.commit();
  if (zone_note) std::cout << "lethe merge: " << *zone_note << '\n';
  for (const auto& [owner, result] : results) {
    std::cout << "lethe merge: owner=" << log_value(owner) << " lines=" << result.lines
              << " stored=" << result.accepted << " refused=" << result.rejected << '\n';
  }
  std::cout << "lethe merge: " << printable(other_path) << " into " << printable(choice.path)
            << ": sessions " << before.sessions << " -> " << after.sessions << ", turns "
            << before.turns << " -> " << after.turns << std::endl;
  return refused == 0 ? kExitOk : kExitIncomplete;
}

}  // namespace lethe::cli
