// The state lethe_sync keeps in the database, in tables of its own: each run,
// each file with what identifies the version read, each rejected line of a
// file's last read, and the host and owner each home was first synced with.
// Created (or brought up to date: a database synced by the old sql/sync.sql
// keeps its tables, with columns added) by the first sync.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "parse/rejects.hpp"
#include "sync/files.hpp"
#include "write/statement.hpp"

namespace lethe {

// The host and owner a home is archived under.
struct HomeBinding {
  std::string host;
  std::string owner;
};

// What one run did, for lethe_sync_runs and lethe_last_sync().
struct SyncCounts {
  std::uint64_t files_seen = 0;
  std::uint64_t files_read = 0;
  std::uint64_t files_unchanged = 0;
  std::uint64_t files_failed = 0;
  std::uint64_t files_gone = 0;
  std::uint64_t files_ignored = 0;
  std::uint64_t lines = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t bytes = 0;
  double elapsed_ms = 0;
};

// How a file's last look went: read (complete) or a trouble's code.
struct FileRecord {
  std::string_view path;
  std::string_view format;
  sync::FileIdentity identity;
  std::int64_t read_at_ns = 0;
  std::string_view status;   // "READ" or a trouble code
  std::string_view message;  // empty for a read
  std::uint64_t problems = 0;
};

class SyncStore {
 public:
  explicit SyncStore(sqlite3* db) : db_(db) {}

  // Creates the tables that are missing and adds the columns an older
  // release's tables lack.
  void ensure_tables();

  // The binding of `home`: its own row, else (adopted) what the old
  // sql/sync.sql recorded for it, else nullopt.
  std::optional<HomeBinding> binding(std::string_view home);
  void bind(std::string_view home, const HomeBinding& binding, std::int64_t run);
  // The old script stored the machine's default host as '': its rows of
  // this home become `host`'s.
  void adopt_default_host_rows(std::string_view home, const std::string& host);

  std::int64_t start_run(std::string_view home, const HomeBinding& binding);
  void finish_run(std::int64_t run, const SyncCounts& counts);

  // The last look at every file of `home` under `host`, by path.
  std::unordered_map<std::string, sync::LastRead> last_reads(const std::string& host,
                                                             std::string_view home);
  void record(const std::string& host, const FileRecord& file, std::int64_t run);
  void mark_seen(const std::string& host, std::string_view path, std::int64_t run);
  void replace_problems(const std::string& host, std::string_view path, const RejectList& rows);
  std::uint64_t count_gone(const std::string& host, std::string_view home, std::int64_t run);

 private:
  Statement& prepared(Statement& slot, const char* sql);
  void run_to_end(Statement& statement);
  // Throws BatchError unless `rc` is SQLITE_DONE; resets the statement.
  void finish(Statement& statement, int rc);
  void add_missing_columns(const char* table, const char* const* columns);

  sqlite3* db_;
  Statement record_;
  Statement mark_seen_;
  Statement delete_problems_;
  Statement insert_problem_;
};

}  // namespace lethe
