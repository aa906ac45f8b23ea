// `lethe sync`: one call of lethe_sync(home, options) in a write transaction,
// and the log line that says what it did.
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <utility>
#include <vector>

#include "cli/archive.hpp"
#include "cli/args.hpp"
#include "cli/errors.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "cli/verbs.hpp"

namespace lethe::cli {
namespace {

constexpr const char* kHelp =
    R"(Usage: lethe sync [--db PATH] [--home DIR] [--host NAME] [--owner NAME]

Archive every transcript your AI coding agents left in a home folder (Claude
Code's ~/.claude/projects, Codex's ~/.codex/sessions, Gemini CLI's
~/.gemini/tmp/*/chats, Qwen Code, Copilot CLI, Cursor CLI, and the
databases of OpenCode, Goose and Crush, read read-only) into the database.
Files (and database sessions) that did not change since the last run are
not read again; a file that disappeared keeps its turns.
One transaction: a run that fails leaves the database as it was.

Options:
  --db PATH     the database (default: $LETHE_DB, else
                ${XDG_DATA_HOME:-~/.local/share}/lethe/agents.db, created with
                lethe's schema and packs on first use, upgraded when they change)
  --home DIR    the home folder to read (default: $HOME)
  --host NAME   the machine name stored with its sessions (default: what this
                home was first synced with, else this machine's name)
  --owner NAME  whose transcripts they are (default: what this home was first
                synced with, else your login name)

When another program is writing the database (a sync from cron), it waits
for it, up to 10 minutes. On a terminal, a run longer than a second shows
its progress. Then it prints one line on stdout, for a log:

  2026-12-06T12:00:00Z lethe sync: home=/home/ana host=laptop owner=ana files=120
  read=3 unchanged=117 failed=0 gone=0 lines=1234 rejected=0
  db=/home/ana/.local/share/lethe/agents.db 0.42s

  files      transcripts found           read       read by this run
  unchanged  not read again (no change)  failed     could not be read
  gone       seen before, now missing    lines      lines read
  rejected   lines lethe refused: lethe sql "SELECT * FROM lethe_sync_problems"

and, on stderr, one line for each file it could not read, with why.
The reports' sums are cached for this machine's time zone (TZ, else
/etc/localtime): when it changed since the last sync, the local days' sums
are computed again once, and a line before the log line says so
("lethe sync: local days: Asia/Tokyo, were Europe/Paris ...").

Exit status: 0 when every file was read; 1 when the run was stored but some
files could not be read (the next run tries them again); 2 when nothing was
stored (the message says why).

Every hour, with cron (crontab -e):
  0 * * * * lethe sync >> "$HOME/.lethe-sync.log" 2>&1
or with the systemd user timer installed with lethe:
  systemctl --user enable --now lethe-sync.timer
)";

constexpr const char* kSyncQuery =
    "SELECT path, format, code, lines, accepted, rejected, message FROM lethe_sync(?1, ?2)";

// A file lethe_sync could not read, as it reported it.
struct Unread {
  std::string path;
  std::string code;
  std::string message;
};

struct Outcome {
  std::vector<std::string> summary;  // the log line's values (kSummaryFields)
  std::vector<Unread> unread;
  std::optional<std::string> zone_note;  // the local days changed zone
};

// The home as one text, the same however it was written (relative, trailing
// slash, through a symlink), so a run by hand and one from cron name it alike.
std::string normalized_home(const std::string& home) {
  if (home.empty()) throw UsageError("sync", "--home is empty");
  std::error_code error;
  std::filesystem::path path = std::filesystem::weakly_canonical(home, error);
  if (error) path = std::filesystem::absolute(home, error).lexically_normal();
  std::string text = error ? home : path.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

// {"host": ..., "owner": ...}: JSON written here, handed over as a bound
// value, never read as SQL.
std::string options_json(const Arguments& args) {
  std::string json;
  for (const char* key : {"host", "owner"}) {
    const std::optional<std::string> value = args.value(key);
    if (!value) continue;
    const std::optional<std::string> quoted = json_string(*value);
    if (!quoted) throw UsageError("sync", std::string("--") + key + " must be UTF-8 text");
    json += (json.empty() ? "{\"" : ", \"") + std::string(key) + "\": " + *quoted;
  }
  return json.empty() ? "{}" : json + "}";
}

// The log line's fields and lethe_last_sync()'s keys, in the line's order.
constexpr std::pair<const char*, const char*> kSummaryFields[] = {
    {"home", "home"},           {"host", "host"},       {"owner", "owner"},
    {"files", "files_seen"},    {"read", "files_read"}, {"unchanged", "files_unchanged"},
    {"failed", "files_failed"}, {"gone", "files_gone"}, {"lines", "lines"},
    {"rejected", "rejected"}};
constexpr std::size_t kSummarySize = sizeof kSummaryFields / sizeof kSummaryFields[0];

// lethe_last_sync()'s values for the log line, read with SQLite's JSON
// functions ("?" for a key it does not have).
std::vector<std::string> read_summary(const Database& db) {
  std::string sql = "SELECT ";
  for (const auto& [label, key] : kSummaryFields) {
    sql += std::string(sql.size() > 7 ? ", " : "") + "json_extract(s, '$." + key + "')";
  }
  sql += " FROM (SELECT lethe_last_sync() AS s) WHERE json_valid(s)";
  Statement st(db, sql);
  if (!st.step()) throw Failure("lethe_last_sync() says nothing of the run that just ended");
  std::vector<std::string> values;
  values.reserve(kSummarySize);
  for (std::size_t i = 0; i < kSummarySize; ++i) {
    values.push_back(log_value(st.text(static_cast<int>(i)).value_or("?")));
  }
  return values;
}

Outcome sync(const Database& db, const std::string& home, const std::string& options) {
  Outcome outcome;
  Progress progress("lethe sync:", "files");
  Transaction transaction(db);  // BEGIN IMMEDIATE: waits for another writer
  Statement st(db, kSyncQuery);
  st.bind(1, home).bind(2, options);
  std::int64_t rows = 0;
  while (st.step()) {
    progress.set_count(++rows);
    const std::string code = st.bytes(2);
    if (code != "READ") outcome.unread.push_back({st.bytes(0), code, st.bytes(6)});
  }
  outcome.summary = read_summary(db);  // before the commit: a run is stored whole or not at all
  outcome.zone_note = refresh_usage_if_changed(db);
  transaction.commit();
  progress.stop();
  return outcome;
}

std::string summary_value(const std::vector<std::string>& values, std::string_view label) {
  for (std::size_t i = 0; i < kSummarySize; ++i) {
    if (label == kSummaryFields[i].first) return values[i];
  }
  return "?";
}

std::string seconds_since(std::chrono::steady_clock::time_point start) {
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.2fs", elapsed.count());
  return text.data();
}

void print_summary(const std::vector<std::string>& values, const std::string& db_path,
                   std::chrono::steady_clock::time_point start) {
  std::cout << utc_now() << " lethe sync:";
  for (std::size_t i = 0; i < kSummarySize; ++i) {
    std::cout << ' ' << kSummaryFields[i].first << '=' << values[i];
  }
  std::cout << " db=" << log_value(db_path) << ' ' << seconds_since(start) << std::endl;
}

void print_unread(const std::vector<Unread>& unread) {
  const std::string now = utc_now();
  for (const Unread& file : unread) {
    std::cerr << now << " lethe sync: " << file.code << ' ' << printable(file.path) << ": "
              << printable(file.message) << '\n';
  }
  std::cerr.flush();
}

}  // namespace

int run_sync(const Args& raw) {
  const Arguments args(
      "sync", raw,
      {{"db", true}, {"home", true}, {"host", true}, {"owner", true}, {"help", false}});
  if (args.flag("help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (!args.positional().empty()) {
    throw UsageError("sync", "unexpected argument '" + args.positional().front() +
                                 "' (the home folder is --home DIR)");
  }
  const auto start = std::chrono::steady_clock::now();
  const DatabaseChoice choice = choose_database(args.value("db"));
  const std::optional<std::string> home_option = args.value("home");
  const std::string home = normalized_home(home_option ? *home_option : home_folder());
  const std::string options = options_json(args);
  try {
    const Database db = open_archive(choice, OpenMode::kCreate);
    const Outcome outcome = sync(db, home, options);
    print_unread(outcome.unread);
    if (outcome.zone_note) std::cout << utc_now() << " lethe sync: " << *outcome.zone_note << '\n';
    std::error_code error;
    const std::filesystem::path db_path = std::filesystem::absolute(choice.path, error);
    print_summary(outcome.summary, error ? choice.path : db_path.lexically_normal().string(),
                  start);
    const bool all_read = outcome.unread.empty() && summary_value(outcome.summary, "failed") == "0";
    return all_read ? kExitOk : kExitIncomplete;
  } catch (const Failure& failure) {
    // A failed run leaves a line in the log too, with when and where.
    std::cerr << utc_now() << " lethe sync: failed: " << failure.what()
              << " (home=" << log_value(home) << " db=" << log_value(choice.path) << ")"
              << std::endl;
    return failure.status();
  }
}

}  // namespace lethe::cli
