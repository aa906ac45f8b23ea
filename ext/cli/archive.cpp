#include "cli/archive.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "cli/embedded_sql.hpp"
#include "cli/errors.hpp"
#include "cli/output.hpp"
#include "cli/usage_query.hpp"
#include "common/version.hpp"

// The extension's entry point, compiled into the command (ext/call/extension.cpp).
extern "C" int sqlite3_lethe_init(sqlite3* db, char** error, const sqlite3_api_routines* api);

namespace lethe::cli {
namespace {

// Where the module is relative to this executable's folder; CMakeLists.txt
// sets both from the install layout and the build tree.
#ifndef LETHE_MODULE_FROM_INSTALLED_BIN
#define LETHE_MODULE_FROM_INSTALLED_BIN "../lib/lethe.so"
#endif
#ifndef LETHE_MODULE_FROM_BUILD_BIN
#define LETHE_MODULE_FROM_BUILD_BIN "../lethe.so"
#endif

constexpr const char* kMetaTable =
    "CREATE TABLE IF NOT EXISTS lethe_meta (\n"
    "  name  TEXT PRIMARY KEY,  -- sql_sha256, sql_files, applied_by, applied_at\n"
    "  value TEXT NOT NULL\n"
    ") STRICT";

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at start only
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// mkdir -p, for the default database's folders.
void create_folders(const std::filesystem::path& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    throw Failure("cannot create the folder " + folder.string() +
                  " for the database: " + error.message());
  }
}

std::optional<std::string> recorded_sha256(const Database& db) {
  if (!db.has_table("lethe_meta")) return std::nullopt;
  return query_text(db, "SELECT value FROM lethe_meta WHERE name = 'sql_sha256'");
}

void record_application(const Database& db) {
  std::string names;
  for (const SqlFile& file : sql_files())
    names += (names.empty() ? "" : " ") + std::string(file.name);
  db.exec(kMetaTable);
  Statement st(db,
               "INSERT INTO lethe_meta (name, value) VALUES ('sql_sha256', ?1), ('sql_files', ?2), "
               "('applied_by', ?3), ('applied_at', strftime('%Y-%m-%dT%H:%M:%fZ')) "
               "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  st.bind(1, sql_files_sha256()).bind(2, names).bind(3, std::string("lethe ") + kVersion);
  st.step();
}

std::string executable_folder() {
  std::vector<char> buffer(4096);
  const ssize_t length = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  if (length <= 0) {
    throw Failure(std::string("cannot tell where this program is (/proc/self/exe): ") +
                  std::strerror(errno));
  }
  return std::filesystem::path(std::string(buffer.data(), static_cast<std::size_t>(length)))
      .parent_path()
      .string();
}

}  // namespace

void register_lethe() {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): SQLite's own signature
  const int rc = sqlite3_auto_extension(reinterpret_cast<void (*)()>(sqlite3_lethe_init));
  if (rc != SQLITE_OK) throw Failure(std::string("cannot register lethe: ") + sqlite3_errstr(rc));
}

std::string home_folder() {
  if (auto home = environment("HOME")) return *home;
  const passwd* entry = ::getpwuid(::geteuid());  // NOLINT(concurrency-mt-unsafe): one thread
  if (entry != nullptr && entry->pw_dir != nullptr && *entry->pw_dir != '\0') return entry->pw_dir;
  throw Failure("HOME is not set and this user has no home folder: give --home and --db");
}

DatabaseChoice choose_database(const std::optional<std::string>& option) {
  if (option) {
    if (option->empty()) throw Failure("--db is empty: give the database file's path");
    return {*option, false};
  }
  if (auto from_environment = environment("LETHE_DB")) return {*from_environment, false};
  std::filesystem::path data = environment("XDG_DATA_HOME").value_or("");
  // The XDG spec ignores a relative XDG_DATA_HOME.
  if (data.empty() || data.is_relative())
    data = std::filesystem::path(home_folder()) / ".local/share";
  return {(data / "lethe" / "agents.db").string(), true};
}

Database open_archive(const DatabaseChoice& choice, OpenMode mode) {
  // A name SQLite would read as an option or a URI stays a file name.
  std::string path = choice.path;
  if (path.front() != '/') path = "./" + path;
  struct stat info {};
  const bool exists = ::stat(path.c_str(), &info) == 0;
  if (!exists && mode == OpenMode::kExisting) {
    throw Failure("there is no archive at " + choice.path +
                  " yet: run `lethe sync` first (or give --db / LETHE_DB)");
  }
  if (exists && S_ISDIR(info.st_mode)) {
    throw Failure(choice.path + " is a folder: --db and LETHE_DB name the database file");
  }
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (!exists && choice.is_default) create_folders(folder);
  std::error_code error;
  if (!exists && !std::filesystem::is_directory(folder, error)) {
    throw Failure("cannot create the database " + choice.path + ": the folder " +
                  folder.lexically_normal().string() + " does not exist (create it first)");
  }
  const int flags = SQLITE_OPEN_READWRITE | (mode == OpenMode::kCreate ? SQLITE_OPEN_CREATE : 0);
  Database db(path, flags);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  try {
    apply_sql_files(db);
  } catch (const Failure& failure) {
    throw Failure("cannot bring " + choice.path +
                  " up to date with lethe's schema and packs: " + failure.what());
  }
  return db;
}

bool apply_sql_files(const Database& db) {
  if (recorded_sha256(db) == sql_files_sha256()) return false;
  Transaction transaction(db);
  if (recorded_sha256(db) == sql_files_sha256()) return false;  // another command just did
  persist_machine_zone(db);  // the packs end with a refresh of the usage caches
  for (const SqlFile& file : sql_files()) {
    try {
      db.exec(file.text);
    } catch (const Failure& failure) {
      throw Failure("sql/" + std::string(file.name) + ": " + failure.what());
    }
  }
  record_application(db);
  transaction.commit();
  return true;
}

std::string module_path() {
  const std::string folder = executable_folder();
  const std::array<std::filesystem::path, 2> candidates = {
      std::filesystem::path(folder) / LETHE_MODULE_FROM_INSTALLED_BIN,
      std::filesystem::path(folder) / LETHE_MODULE_FROM_BUILD_BIN};
  for (const auto& candidate : candidates) {
    if (::access(candidate.c_str(), R_OK) == 0) return candidate.lexically_normal().string();
  }
  throw Failure("the loadable module lethe.so is neither at " +
                candidates[0].lexically_normal().string() + " (installed) nor at " +
                candidates[1].lexically_normal().string() +
                " (build tree): install lethe again, or build it (cmake --build build)");
}

std::optional<std::string> refresh_usage_if_changed(const Database& db) {
  if (!db.has_view("usage_refresh")) return std::nullopt;
  // The local days' sums are computed for this machine's zone.
  const std::optional<std::string> was = persist_machine_zone(db);
  if (db.has_view("usage_cache_status") &&
      query_text(db, "SELECT fresh AND sums_fresh FROM usage_cache_status").value_or("0") == "1") {
    return std::nullopt;
  }
  db.exec("INSERT INTO usage_refresh DEFAULT VALUES");
  if (!was) return std::nullopt;
  return "local days: " +
         log_value(query_text(db, "SELECT value FROM usage_settings WHERE name = 'local_zone'")
                       .value_or("?")) +
         ", were " + log_value(*was) + " (their sums computed again for this machine's zone)";
}

}  // namespace lethe::cli
