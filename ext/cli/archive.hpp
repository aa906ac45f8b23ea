// The archive the command works on: which database file, opened with lethe
// registered on the connection, and its schema and packs kept current.
#pragma once

#include <optional>
#include <string>

#include "cli/sqlite.hpp"

namespace lethe::cli {

// How long a connection waits for another one that holds the database (a
// sync in cron while you run one by hand) before it gives up: 10 minutes.
inline constexpr int kBusyTimeoutMs = 10 * 60 * 1000;

// Registers the extension compiled into the command (sqlite3_lethe_init) on
// every connection opened from now on. Once, at start.
void register_lethe();

// The user's home folder: $HOME, else the password database's entry.
std::string home_folder();

struct DatabaseChoice {
  std::string path;
  bool is_default = false;  // neither --db nor $LETHE_DB: its folders are created
};

// --db, else $LETHE_DB, else ${XDG_DATA_HOME:-$HOME/.local/share}/lethe/agents.db.
DatabaseChoice choose_database(const std::optional<std::string>& option);

enum class OpenMode {
  kCreate,    // a missing database is created (sync, merge, sql)
  kExisting,  // a missing database is an error that says to run `lethe sync`
};

// Opens the archive: lethe registered, a busy timeout of kBusyTimeoutMs, and
// sql/schema.sql and the packs applied when the database does not record
// (in lethe_meta) that exactly these texts were applied.
Database open_archive(const DatabaseChoice& choice, OpenMode mode);

// Applies the embedded SQL files when lethe_meta says otherwise; true when it
// did. In one transaction (BEGIN IMMEDIATE), checked again once the write
// lock is held, so two commands starting together apply them once.
bool apply_sql_files(const Database& db);

// Brings the usage pack's cached sums up to date after a write (sync,
// merge), when the pack has them and something changed since their last
// refresh: a refresh recomputes the sums whole (seconds on millions of
// turns), so an unchanged re-sync must not pay for one. The local days'
// sums are computed for this machine's zone (persist_machine_zone): a
// change of zone refreshes them once, and the note returned says so ("local
// days: Asia/Tokyo, were UTC ..."). Inside the caller's transaction.
std::optional<std::string> refresh_usage_if_changed(const Database& db);

// The loadable module for `lethe sql`, found from where this executable is:
// an installed layout (bin/lethe and <libdir>/lethe.so) or the build tree
// (build/bin/lethe and build/lethe.so). Throws a Failure naming both places.
std::string module_path();

}  // namespace lethe::cli
