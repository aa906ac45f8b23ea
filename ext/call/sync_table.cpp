// lethe_sync(home [, options]): archives every agent folder lethe knows under
// a home folder, in one call, inside the caller's transaction (a CallScope,
// as lethe_ingest). It reads only the files that changed since the last
// sync (sync/files.hpp says what counts as a change) and returns one row per
// file it read and one per file it could not read: nothing is skipped
// without a row or a count. Its state is in tables of its own
// (write/sync_store.hpp).
//
//   SELECT * FROM lethe_sync('/home/ana');
//   SELECT * FROM lethe_sync('/home/ana', '{"host": "laptop", "owner": "ana"}');
//
// It reads the file system, so it is DIRECTONLY: no view or trigger of a
// database file can call it.
#include "call/sync_table.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "call/ingest.hpp"
#include "call/table_support.hpp"
#include "common/machine.hpp"
#include "common/text.hpp"
#include "native/converter.hpp"
#include "native/json_write.hpp"
#include "sync/files.hpp"
#include "sync/sync_options.hpp"
#include "write/agent_db.hpp"
#include "write/sync_store.hpp"

namespace lethe {

namespace {

enum Column {
  kPath,
  kFormat,
  kCode,
  kLines,
  kAccepted,
  kRejected,
  kMessage,
  kHomeArg,
  kOptionsArg
};

constexpr const char* kSchema =
    "CREATE TABLE x(path TEXT, format TEXT, code TEXT, lines INTEGER, accepted INTEGER,"
    " rejected INTEGER, message TEXT, home HIDDEN, options HIDDEN)";

constexpr int kHasHome = 1;
constexpr int kHasOptions = 2;
constexpr const char* kOutOfMemory = "out of memory; nothing of this sync was written";

// One result row: a file read, or one that could not be.
struct SyncRow {
  std::string path;
  std::string format;
  std::string_view code;  // static
  std::optional<std::uint64_t> lines;
  std::optional<std::uint64_t> accepted;
  std::optional<std::uint64_t> rejected;
  std::string message;
};

struct SyncTable {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
  ConnectionState* state = nullptr;
  std::optional<Store> store;
};

struct SyncCursor {
  sqlite3_vtab_cursor base{};
  std::vector<SyncRow> rows;
  std::size_t position = 0;
};

// A file name as session_meta.source_file can carry it: valid UTF-8 of at
// most 4096 bytes (the wire rule), else none (the sync tables keep the name
// itself, byte for byte).
std::optional<std::string> source_file_of(const std::string& path) {
  if (path.size() > 4096 || !is_valid_utf8(path)) return std::nullopt;
  return path;
}

// The home as given, made absolute and without trailing slashes: the same
// folder is the same key however it was typed.
std::string normalized_home(std::string home) {
  if (home.empty()) throw InputError("home must not be empty: give the home folder to archive");
  if (home.front() != '/') {
    std::string cwd(4096, '\0');
    if (::getcwd(cwd.data(), cwd.size()) == nullptr) {
      throw InputError("home '" + home + "' is relative and the current folder is unknown");
    }
    cwd.resize(std::char_traits<char>::length(cwd.c_str()));
    home = cwd + "/" + home;
  }
  while (home.size() > 1 && home.back() == '/') home.pop_back();
  return home;
}

std::string quoted(const std::string& text) { return "'" + text + "'"; }

class SyncCall {
 public:
  SyncCall(Store& store, ConnectionState& state, std::string home, sync::SyncOptions options)
      : store_(store), state_(state), home_(std::move(home)), options_(std::move(options)) {}

  std::vector<SyncRow> run() {
    const auto started = std::chrono::steady_clock::now();
    CallScope scope(store_);
    try {
      scope.refuse_if_nested();
      const CallMode mode = scope.begin();
      SyncStore sync_store(store_.db());
      sync_store.ensure_tables();
      const sync::HomeListing listing = sync::list_home(home_);
      binding_ = resolve_binding(sync_store);
      run_ = sync_store.start_run(home_, binding_);
      if (new_binding_) sync_store.bind(home_, binding_, run_);
      auto last_reads = sync_store.last_reads(binding_.host, home_);
      counts_.files_ignored = listing.ignored;
      FilesToRead to_read(*this, sync_store);
      std::vector<const sync::Found*> databases;
      for (const sync::Found& found : listing.found) {
        if (found.agent->kind == sync::AgentKind::Database &&
            found.trouble == sync::Trouble::None) {
          databases.push_back(&found);
        } else {
          consider(found, last_reads, sync_store, to_read);
        }
      }
      ingest_batches(scope, mode, binding_.owner, to_read);
      for (const sync::Found* database : databases)
        read_database(*database, last_reads, sync_store, scope, mode);
      std::stable_sort(rows_.begin(), rows_.end(),
                       [](const SyncRow& a, const SyncRow& b) { return a.path < b.path; });
      counts_.files_gone = sync_store.count_gone(binding_.host, home_, run_);
      counts_.elapsed_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count();
      sync_store.finish_run(run_, counts_);
      std::string summary = summary_json();
      scope.commit();
      state_.last_sync_json.swap(summary);
    } catch (const std::exception&) {
      scope.fail_current();
    }
    return std::move(rows_);
  }

 private:
  // The host and owner this run archives under: what the run says, else
  // what the home was first synced with, else the machine's name and the
  // login name. A run that says otherwise than the first is refused: it
  // would store every session a second time under the other name.
  HomeBinding resolve_binding(SyncStore& sync_store) {
    const std::optional<HomeBinding> first = sync_store.binding(home_);
    HomeBinding chosen;
    chosen.host = options_.host                   ? *options_.host
                  : first && !first->host.empty() ? first->host
                                                  : machine_host();
    chosen.owner = options_.owner                   ? *options_.owner
                   : first && !first->owner.empty() ? first->owner
                                                    : sync::login_name();
    check_owner_text(chosen.owner);
    if (!first) {
      new_binding_ = true;
      return chosen;
    }
    if (first->host.empty()) {  // the old sql/sync.sql's default host
      sync_store.adopt_default_host_rows(home_, chosen.host);
      new_binding_ = true;
    }
    refuse_other_name("host", first->host, chosen.host);
    refuse_other_name("owner", first->owner, chosen.owner);
    new_binding_ = new_binding_ || first->owner.empty();
    return chosen;
  }

  void refuse_other_name(const char* what, const std::string& first, const std::string& given) {
    if (first.empty() || first == given) return;
    throw InputError(std::string("home ") + quoted(home_) + " was first synced with " + what + " " +
                     quoted(first) + ", and this run says " + quoted(given) +
                     ": that would store every session again under the other name. Leave the " +
                     what + " out to keep " + quoted(first) +
                     "; to rename, see \"Renaming a machine or owner\" "
                     "in docs/guide/sync.md");
  }

  // The files a run reads, as the batches of one call: loaded (read from
  // disk, and checked to be this agent's format) on the parsing thread
  // while the previous file is written (call/ingest.hpp, ingest_batches).
  class FilesToRead : public BatchList {
   public:
    FilesToRead(SyncCall& call, SyncStore& store) : call_(call), store_(store) {}

    void add(const sync::Found& found) {
      File& file = files_.emplace_back();
      file.path = found.path;
      file.format = found.agent->format;
      file.options = default_options(OptionsFor::Ingest);
      file.options.format = found.agent->format;
      file.options.host = call_.binding_.host;
      file.options.source_file = source_file_of(found.path);
    }

    std::size_t size() const override { return files_.size(); }
    std::string_view data(std::size_t i) const override { return files_[i].read.data; }
    const IngestOptions& options(std::size_t i) const override { return files_[i].options; }
    std::size_t bytes(std::size_t i) const override { return files_[i].read.data.size(); }

    bool load(std::size_t i) override {
      File& file = files_[i];
      file.read_at = sync::now_ns();
      file.read = sync::read_file(file.path, call_.options_.max_file_bytes);
      if (file.read.trouble != sync::Trouble::None) return false;
      // A file in an agent's folder whose contents are plainly another
      // format is not stored under this agent's name.
      const std::optional<Format> detected = native::detect_format(file.read.data);
      if (detected && *detected != file.format && *detected != Format::Wire) {
        file.read.trouble = sync::Trouble::NotRecognised;
        file.read.message = std::string("its contents are ") + std::string(format_name(*detected)) +
                            "'s format, not " + std::string(format_name(file.format)) +
                            "'s: not stored";
        return false;
      }
      return true;
    }

    void written(std::size_t i, IngestResult* result) override {
      File& file = files_[i];
      const std::string_view format = format_name(file.format);
      if (result == nullptr) {
        call_.fail_file(file.path, format, file.read.trouble, file.read.message, file.read.identity,
                        store_);
      } else {
        call_.record_read(file.path, file.format, file.read, file.read_at, *result, store_);
      }
      // Its bytes are written: free them (assigning an empty string would
      // keep the buffer).
      std::string().swap(file.read.data);
    }

   private:
    struct File {
      std::string path;
      Format format = Format::Wire;
      IngestOptions options;
      std::int64_t read_at = 0;
      sync::FileRead read;
    };
    SyncCall& call_;
    SyncStore& store_;
    std::deque<File> files_;  // a deque: a file never moves while the other thread reads it
  };

  void consider(const sync::Found& found, std::unordered_map<std::string, sync::LastRead>& last,
                SyncStore& sync_store, FilesToRead& to_read) {
    ++counts_.files_seen;
    const std::string_view format = format_name(found.agent->format);
    if (found.trouble != sync::Trouble::None) {
      fail_file(found.path, format, found.trouble, found.message, {}, sync_store);
      return;
    }
    const auto previous = last.find(found.path);
    const std::optional<sync::LastRead> last_read =
        previous == last.end() ? std::nullopt : std::optional<sync::LastRead>(previous->second);
    if (!sync::needs_read(last_read, found.identity)) {
      ++counts_.files_unchanged;
      sync_store.mark_seen(binding_.host, found.path, run_);
      return;
    }
    to_read.add(found);
  }

  void record_read(const std::string& path, Format format, const sync::FileRead& read,
                   std::int64_t read_at, const IngestResult& result, SyncStore& sync_store) {
    const IngestSummary& s = result.summary;
    ++counts_.files_read;
    counts_.lines += s.lines;
    counts_.accepted += s.accepted;
    counts_.rejected += s.rejected;
    counts_.bytes += read.data.size();
    sync_store.replace_problems(binding_.host, path, result.rejects);
    FileRecord record;
    record.path = path;
    record.format = format_name(format);
    record.identity = read.identity;
    record.read_at_ns = read_at;
    record.status = "READ";
    record.problems = s.rejected;
    sync_store.record(binding_.host, record, run_);
    std::string message = "read " + std::to_string(read.data.size()) +
                          " bytes: " + std::to_string(s.source.turns) + " turns";
    if (s.rejected > 0) {
      message += ", " + std::to_string(s.rejected) +
                 " lines rejected (their rows are in lethe_sync_problems)";
    }
    rows_.push_back({path, std::string(format_name(format)), "READ", s.lines, s.accepted,
                     s.rejected, std::move(message)});
  }

  void fail_file(const std::string& path, std::string_view format, sync::Trouble trouble,
                 const std::string& message, const sync::FileIdentity& identity,
                 SyncStore& sync_store) {
    fail_unit(path, format, sync::trouble_code(trouble), message, identity, sync_store);
  }

  // `code` is static (a trouble's, or an AgentDbError's).
  void fail_unit(const std::string& path, std::string_view format, std::string_view code,
                 const std::string& message, const sync::FileIdentity& identity,
                 SyncStore& sync_store) {
    ++counts_.files_failed;
    FileRecord record;
    record.path = path;
    record.format = format;
    record.identity = identity;
    record.read_at_ns = sync::now_ns();
    record.status = code;
    record.message = message;
    sync_store.record(binding_.host, record, run_);
    rows_.push_back(
        {path, std::string(format), code, std::nullopt, std::nullopt, std::nullopt, message});
  }

  // The sessions of an agent's database to write, one batch each. The
  // parsing thread never calls SQLite. A session is exported on a thread of
  // its own (the export thread) when there are two hardware threads and
  // SQLite allows its connection there, so that exporting, converting and
  // writing run at once; otherwise on this (the caller's) thread by
  // prepare_next(), which ingest_batches calls between its writes. load(i)
  // waits until session i is exported. ARCHITECTURE.md, "The export thread".
  class SessionsToRead : public BatchList {
   public:
    SessionsToRead(SyncCall& call, SyncStore& store, AgentDatabase& database, Format format)
        : call_(call), store_(store), database_(database), format_(format) {}
    ~SessionsToRead() override { stop_exporting(); }
    SessionsToRead(const SessionsToRead&) = delete;
    SessionsToRead& operator=(const SessionsToRead&) = delete;

    void add(std::string path, std::string id, const sync::FileIdentity& identity,
             std::int64_t read_at, const std::string& database_path) {
      Session& session = sessions_.emplace_back();
      session.path = std::move(path);
      session.id = std::move(id);
      session.options = default_options(OptionsFor::Ingest);
      session.options.format = format_;
      session.options.host = call_.binding_.host;
      session.options.source_file = source_file_of(database_path);
      session.read_at = read_at;
      session.read.identity = identity;
    }

    std::size_t size() const override { return sessions_.size(); }
    std::string_view data(std::size_t i) const override { return sessions_[i].read.data; }
    const IngestOptions& options(std::size_t i) const override { return sessions_[i].options; }
    std::size_t bytes(std::size_t i) const override { return sessions_[i].read.data.size(); }

    // On the caller's thread: the first time, starts the export thread if it
    // can; without one, exports the next session here, unless the sessions
    // exported and not yet written hold kExportAheadBytes already.
    void prepare_next() override {
      rethrow_export_failure();
      if (!export_thread_tried_) {
        export_thread_tried_ = true;
        if (start_export_thread()) return;
      }
      if (export_thread_.joinable()) return;
      std::size_t next;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (exported_ == sessions_.size() || !room_to_export()) return;
        next = exported_;
      }
      export_one(next);
    }

    bool load(std::size_t i) override {
      std::unique_lock<std::mutex> lock(mutex_);
      exported_changed_.wait(lock, [&] { return exported_ > i || abandoned_ || failure_; });
      return exported_ > i && sessions_[i].trouble_code.empty();
    }

    // Stops the export thread (interrupting the session it is exporting, if
    // the call stopped early) and joins it: after this, the caller's thread
    // may use the database again.
    void abandon() override { stop_exporting(); }

    void written(std::size_t i, IngestResult* result) override {
      rethrow_export_failure();
      Session& session = sessions_[i];
      const std::string_view format = format_name(format_);
      if (result == nullptr) {
        call_.fail_unit(session.path, format, session.trouble_code, session.read.message, {},
                        store_);
      } else {
        call_.record_read(session.path, format_, session.read, session.read_at, *result, store_);
      }
      std::lock_guard<std::mutex> lock(mutex_);
      held_bytes_ -= session.read.data.size();
      std::string().swap(session.read.data);
      ++written_;
      room_changed_.notify_all();
    }

   private:
    // abandon(), and what the destructor must do whichever way the call
    // ended: stop the export thread and join it.
    void stop_exporting() {
      bool unfinished;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        abandoned_ = true;
        unfinished = exported_ < sessions_.size();
        exported_changed_.notify_all();
        room_changed_.notify_all();
      }
      if (!export_thread_.joinable()) return;
      if (unfinished) database_.interrupt();
      export_thread_.join();
    }

    struct Session {
      std::string path;  // <database>#<session id>
      std::string id;
      IngestOptions options;
      std::int64_t read_at = 0;
      sync::FileRead read;            // the exported lines and the session's identity
      std::string_view trouble_code;  // static; empty when exported
    };

    // Under mutex_: whether one more session may be exported now (one is,
    // however big, when only the session being written is held).
    bool room_to_export() const {
      return held_bytes_ < kExportAheadBytes || exported_ <= written_ + 1;
    }

    bool start_export_thread() {
      if (sessions_.size() < 2 || std::thread::hardware_concurrency() < 2 ||
          !database_.usable_from_another_thread()) {
        return false;
      }
      try {
        export_thread_ = std::thread([this] { export_in_order(); });
        return true;
      } catch (const std::system_error&) {
        return false;  // no thread to be had: export on the caller's thread
      }
    }

    // The export thread: every session in order, as far ahead of the writes
    // as room_to_export() allows. A failure other than the database's own
    // (std::bad_alloc) stops it; the caller's thread rethrows it.
    void export_in_order() noexcept {
      name_this_thread("lethe-export");
      try {
        for (;;) {
          std::size_t next;
          {
            std::unique_lock<std::mutex> lock(mutex_);
            room_changed_.wait(lock, [&] {
              return abandoned_ || exported_ == sessions_.size() || room_to_export();
            });
            if (abandoned_ || exported_ == sessions_.size()) return;
            next = exported_;
          }
          export_one(next);
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        failure_ = std::current_exception();
        exported_changed_.notify_all();
      }
    }

    // Exports session `next` (the one after those exported) on the calling
    // thread, the only one using the database meanwhile.
    void export_one(std::size_t next) {
      Session& session = sessions_[next];
      std::string lines;
      try {
        session.options.lines_scanned = database_.export_session(session.id, lines).scanned;
      } catch (const AgentDbError& error) {
        session.trouble_code = error.code();
        session.read.message = std::string("this session ") + error.what();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      held_bytes_ += lines.size();
      session.read.data = std::move(lines);
      ++exported_;
      exported_changed_.notify_all();
    }

    void rethrow_export_failure() {
      std::lock_guard<std::mutex> lock(mutex_);
      if (failure_) std::rethrow_exception(failure_);
    }

    SyncCall& call_;
    SyncStore& store_;
    AgentDatabase& database_;
    const Format format_;
    std::deque<Session> sessions_;  // a deque: a session never moves while another thread reads it
    std::mutex mutex_;
    std::condition_variable exported_changed_;
    std::condition_variable room_changed_;
    std::size_t exported_ = 0;  // sessions_[0, exported_) are exported (or failed to be)
    std::size_t written_ = 0;
    std::size_t held_bytes_ = 0;
    bool abandoned_ = false;
    std::exception_ptr failure_;  // of the export thread
    bool export_thread_tried_ = false;
    std::thread export_thread_;  // last: joined by abandon() before the members above go
  };

  // At most about this much of a database's export is held ahead of the
  // writes (one bigger session is exported alone).
  static constexpr std::size_t kExportAheadBytes = std::size_t{64} << 20;

  // Reads the sessions of an agent's database that changed since the last
  // sync. Each session is a unit of its own, recorded like a file under
  // <database>#<session id> with the session's own identity (its rows, its
  // latest change, a checksum of its rows' times; write/agent_db.hpp). A
  // database that can't be read is one problem row under its own path.
  void read_database(const sync::Found& found,
                     std::unordered_map<std::string, sync::LastRead>& last, SyncStore& sync_store,
                     CallScope& scope, CallMode mode) {
    const Format format = found.agent->format;
    const std::string_view name = format_name(format);
    const std::int64_t read_at = sync::now_ns();
    std::optional<AgentDatabase> database;
    std::vector<AgentSession> sessions;
    try {
      database.emplace(format, found.path);
      sessions = database->sessions();
    } catch (const AgentDbError& error) {
      ++counts_.files_seen;
      fail_unit(found.path, name, error.code(), error.what(), found.identity, sync_store);
      return;
    }
    record_database(found, name, sessions.size(), read_at, sync_store);
    SessionsToRead to_read(*this, sync_store, *database, format);
    for (AgentSession& session : sessions) {
      ++counts_.files_seen;
      std::string path = found.path + "#" + session.id;
      const sync::FileIdentity identity = session_identity(found.identity, session);
      const auto previous = last.find(path);
      const std::optional<sync::LastRead> last_read =
          previous == last.end() ? std::nullopt : std::optional<sync::LastRead>(previous->second);
      if (!sync::needs_read(last_read, identity)) {
        ++counts_.files_unchanged;
        sync_store.mark_seen(binding_.host, path, run_);
        continue;
      }
      to_read.add(std::move(path), std::move(session.id), identity, read_at, found.path);
    }
    ingest_batches(scope, mode, binding_.owner, to_read);
  }

  // A session's identity, kept in the columns of a file's (device: the
  // database's; inode: the checksum; size: its rows; mtime_ns: its latest
  // change), so that sync/files.hpp's needs_read decides for it too.
  static sync::FileIdentity session_identity(const sync::FileIdentity& database,
                                             const AgentSession& session) {
    constexpr std::int64_t kMaxMs = std::numeric_limits<std::int64_t>::max() / 1'000'000;
    const std::int64_t ms = std::clamp<std::int64_t>(session.changed_ms, -kMaxMs, kMaxMs);
    return {database.device, static_cast<std::uint64_t>(session.checksum),
            static_cast<std::uint64_t>(session.rows), ms * 1'000'000};
  }

  // The database itself: read (its sessions are the units), so that a
  // failure recorded by an earlier run does not stay as its status.
  void record_database(const sync::Found& found, std::string_view format, std::size_t sessions,
                       std::int64_t read_at, SyncStore& sync_store) {
    FileRecord record;
    record.path = found.path;
    record.format = format;
    record.identity = found.identity;
    record.read_at_ns = read_at;
    record.status = "READ";
    const std::string message = "a database of " + std::to_string(sessions) +
                                " sessions (each recorded as <database>#<session id>)";
    record.message = message;
    sync_store.record(binding_.host, record, run_);
  }

  // lethe_last_sync()'s JSON. Numbers with to_chars: the host's locale
  // must not turn a '.' into a ','.
  std::string summary_json() const {
    std::string out = "{\"run\":" + std::to_string(run_) + ",\"home\":";
    native::append_json_string(out, is_valid_utf8(home_) ? home_ : std::string("(not UTF-8)"));
    out += ",\"host\":";
    native::append_json_string(out, binding_.host);
    out += ",\"owner\":";
    native::append_json_string(out, binding_.owner);
    const std::pair<const char*, std::uint64_t> counts[] = {
        {"files_seen", counts_.files_seen},
        {"files_read", counts_.files_read},
        {"files_unchanged", counts_.files_unchanged},
        {"files_failed", counts_.files_failed},
        {"files_gone", counts_.files_gone},
        {"files_ignored", counts_.files_ignored},
        {"lines", counts_.lines},
        {"accepted", counts_.accepted},
        {"rejected", counts_.rejected},
        {"bytes", counts_.bytes}};
    for (const auto& [name, value] : counts) {
      out.append(",\"").append(name).append("\":").append(std::to_string(value));
    }
    char elapsed[64];
    const auto end = std::to_chars(elapsed, elapsed + sizeof elapsed, counts_.elapsed_ms,
                                   std::chars_format::fixed, 3);
    out.append(",\"elapsed_ms\":").append(elapsed, end.ptr).append("}");
    return out;
  }

  Store& store_;
  ConnectionState& state_;
  const std::string home_;
  const sync::SyncOptions options_;
  HomeBinding binding_;
  bool new_binding_ = false;
  std::int64_t run_ = 0;
  SyncCounts counts_;
  std::vector<SyncRow> rows_;
};

// The home argument: TEXT, or a BLOB for a name that is not UTF-8.
std::string home_argument(sqlite3_value* value) {
  const int type = sqlite3_value_type(value);
  if (type != SQLITE_TEXT && type != SQLITE_BLOB) {
    throw InputError("home must be the path of a home folder as TEXT (or a BLOB of its bytes)");
  }
  const auto* data = static_cast<const char*>(sqlite3_value_blob(value));
  return normalized_home(std::string(data == nullptr ? "" : data,
                                     static_cast<std::size_t>(sqlite3_value_bytes(value))));
}

sync::SyncOptions sync_options_argument(sqlite3_value* value) {
  if (value == nullptr || sqlite3_value_type(value) == SQLITE_NULL) return {};
  if (sqlite3_value_type(value) != SQLITE_TEXT) {
    throw InputError("options must be NULL or a JSON object in TEXT");
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  return sync::parse_sync_options({text, static_cast<std::size_t>(sqlite3_value_bytes(value))});
}

int sync_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out,
                 char**) noexcept {
  const int rc = sqlite3_declare_vtab(db, kSchema);
  if (rc != SQLITE_OK) return rc;
  auto* table = new (std::nothrow) SyncTable;
  if (table == nullptr) return SQLITE_NOMEM;
  table->db = db;
  table->state = static_cast<ConnectionState*>(aux);
  // It reads the file system and writes: only SQL the caller wrote may call it.
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = &table->base;
  return SQLITE_OK;
}

int sync_disconnect(sqlite3_vtab* vtab) noexcept {
  delete reinterpret_cast<SyncTable*>(vtab);
  return SQLITE_OK;
}

constexpr const char* kArgumentNames[] = {"home", "options"};

int sync_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) noexcept {
  return plan_arguments(vtab, info, "lethe_sync", kHomeArg, kArgumentNames, 1, 10);
}

int sync_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) noexcept {
  auto* cursor = new (std::nothrow) SyncCursor;
  if (cursor == nullptr) {
    set_vtab_error(vtab, "lethe_sync", kOutOfMemory);
    return sqlite3_get_autocommit(reinterpret_cast<SyncTable*>(vtab)->db) == 0 ? SQLITE_ERROR
                                                                               : SQLITE_NOMEM;
  }
  *out = &cursor->base;
  return SQLITE_OK;
}

int sync_filter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc,
                sqlite3_value** argv) noexcept {
  auto* cursor = reinterpret_cast<SyncCursor*>(cur);
  auto* table = reinterpret_cast<SyncTable*>(cur->pVtab);
  return guarded(table->db, cur->pVtab, "lethe_sync", kOutOfMemory, [&] {
    cursor->rows.clear();
    cursor->position = 0;
    if ((idx_num & kHasHome) == 0 || argc < 1) throw InputError("home argument is required");
    std::string home = home_argument(argv[0]);
    sync::SyncOptions options =
        sync_options_argument((idx_num & kHasOptions) != 0 && argc > 1 ? argv[1] : nullptr);
    if (!table->store) table->store.emplace(table->db, *table->state);
    cursor->rows =
        SyncCall(*table->store, *table->state, std::move(home), std::move(options)).run();
    return SQLITE_OK;
  });
}

void result_text(sqlite3_context* ctx, std::string_view text) noexcept {
  sqlite3_result_text64(ctx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void result_count(sqlite3_context* ctx, const std::optional<std::uint64_t>& n) noexcept {
  if (n) {
    sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(*n));
  } else {
    sqlite3_result_null(ctx);
  }
}

int sync_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) noexcept {
  const auto* cursor = reinterpret_cast<SyncCursor*>(cur);
  const SyncRow& row = cursor->rows[cursor->position];
  switch (column) {
    case kPath:
      if (is_valid_utf8(row.path)) {
        result_text(ctx, row.path);
      } else {  // the name's exact bytes
        sqlite3_result_blob64(ctx, row.path.data(), row.path.size(), SQLITE_TRANSIENT);
      }
      break;
    case kFormat:
      result_text(ctx, row.format);
      break;
    case kCode:
      result_text(ctx, row.code);
      break;
    case kLines:
      result_count(ctx, row.lines);
      break;
    case kAccepted:
      result_count(ctx, row.accepted);
      break;
    case kRejected:
      result_count(ctx, row.rejected);
      break;
    case kMessage:
      result_text(ctx, row.message);
      break;
    default:
      sqlite3_result_null(ctx);
      break;
  }
  return SQLITE_OK;
}

constexpr sqlite3_module kSyncModule = eponymous_rows_module<SyncCursor>(
    {sync_connect, sync_best_index, sync_disconnect, sync_open, sync_filter, sync_column});

}  // namespace

int register_sync_module(sqlite3* db, ConnectionState* state) {
  return sqlite3_create_module_v2(db, "lethe_sync", &kSyncModule, state, nullptr);
}

}  // namespace lethe
