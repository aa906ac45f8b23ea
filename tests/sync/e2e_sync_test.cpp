// lethe_sync(home [, options]) through a real connection: every file of
// every agent folder read once, nothing skipped without a row, the home's
// host and owner kept, atomic in the caller's transaction, and equal to one
// clean sync whatever happened before (appends, rewrites, deletions, two
// syncs at once, a kill -9).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/e2e_support.hpp"

namespace {

namespace fs = std::filesystem;
using lethe_test::Db;
using lethe_test::Result;
using lethe_test::Row;

// A home folder as the agents leave it.
class Home {
 public:
  Home() : root_(lethe_test::temp_dir() / "home") { fs::create_directories(root_); }
  ~Home() {
    std::error_code ignored;
    fs::permissions(root_.parent_path(), fs::perms::all, ignored);
    fs::remove_all(root_.parent_path(), ignored);
  }
  Home(const Home&) = delete;
  Home& operator=(const Home&) = delete;

  const fs::path& root() const { return root_; }
  std::string path() const { return root_.string(); }
  fs::path at(const std::string& relative) const { return root_ / relative; }

  void write(const std::string& relative, const std::string& text) const {
    fs::create_directories(at(relative).parent_path());
    std::ofstream(at(relative), std::ios::binary | std::ios::trunc) << text;
  }
  void append(const std::string& relative, const std::string& text) const {
    fs::create_directories(at(relative).parent_path());
    std::ofstream(at(relative), std::ios::binary | std::ios::app) << text;
  }
  // Every file's time set back, so the next sync sees settled files (a
  // file changed within two seconds of a read is read again, for clocks
  // with coarse ticks).
  // One fixed time for every settle: a file's time then moves only when it
  // is written again.
  void settle() const {
    static const auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
    for (const auto& entry : fs::recursive_directory_iterator(root_)) {
      if (entry.is_regular_file()) fs::last_write_time(entry.path(), old);
    }
  }

 private:
  fs::path root_;
};

// One Claude Code user record and one assistant record per turn.
std::string claude_turn(const std::string& session, int n) {
  char t[32];
  std::snprintf(t, sizeof t, "2026-03-02T%02d:%02d:%02d.000Z", 9 + n / 3600, n / 60 % 60, n % 60);
  const std::string id = session + "-" + std::to_string(n);
  return R"({"type":"user","sessionId":")" + session + R"(","uuid":"u)" + id +
         R"(","timestamp":")" + t + R"(","cwd":"/w","message":{"role":"user","content":"ask )" +
         std::to_string(n) + R"("}})" + "\n" + R"({"type":"assistant","sessionId":")" + session +
         R"(","uuid":"a)" + id + R"(","timestamp":")" + t + R"(","message":{"id":"m)" + id +
         R"(","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"answer )" +
         std::to_string(n) + R"("}],"usage":{"input_tokens":3,"output_tokens":5}}})" + "\n";
}

std::string claude_file(const std::string& session, int turns) {
  std::string text;
  for (int n = 0; n < turns; ++n) text += claude_turn(session, n);
  return text;
}

std::string claude_path(const std::string& project, const std::string& session) {
  return ".claude/projects/" + project + "/" + session + ".jsonl";
}

// A database with lethe's schema.
class Archive : public Db {
 public:
  explicit Archive(const std::string& path = ":memory:") : Db(path) { apply_schema(); }
};

Result sync(Db& db, const Home& home, const std::string& options = "") {
  if (options.empty()) return db.query("SELECT * FROM lethe_sync(?1)", home.path());
  return db.query("SELECT * FROM lethe_sync(?1, ?2)", home.path(), options);
}

Result must_sync(Db& db, const Home& home, const std::string& options = "") {
  Result r = sync(db, home, options);
  EXPECT_TRUE(r.ok()) << r.error;
  return r;
}

// The archive as a person reads it: sessions and turns.
std::vector<Row> archive_rows(Db& db) {
  Result s = db.query(
      "SELECT owner, tool, host, session_id, started_at, ended_at, working_dir, source_file "
      "FROM sessions ORDER BY 1, 2, 3, 4");
  Result t = db.query("SELECT * FROM turns ORDER BY 1, 2, 3, 4, 5");
  EXPECT_TRUE(s.ok() && t.ok()) << s.error << t.error;
  std::vector<Row> rows = s.rows;
  rows.push_back({std::string("--")});
  rows.insert(rows.end(), t.rows.begin(), t.rows.end());
  return rows;
}

std::map<std::string, std::string> codes_by_path(const Result& r) {
  std::map<std::string, std::string> codes;
  for (const Row& row : r.rows) codes[row[0].value_or("")] = row[2].value_or("");
  return codes;
}

const std::string kNoOptions;

// --- The home folder ----------------------------------------------------------

TEST(Sync, AHomeWithNoAgentFolderIsABatchErrorNamingTheFoldersLookedFor) {
  Home home;
  home.write("notes.txt", "not a transcript\n");
  Archive db;
  Result r = sync(db, home);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find(".claude/projects"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(".codex/sessions"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(".gemini/tmp"), std::string::npos) << r.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
}

TEST(Sync, AMistypedHomeOrTheAgentsOwnFolderIsABatchError) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 2));
  Archive db;
  Result typo = db.query("SELECT * FROM lethe_sync(?1)", home.path() + "x");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error.find("is not a folder"), std::string::npos) << typo.error;
  // A home pointed at ~/.claude: the folders are not there.
  Result inside = db.query("SELECT * FROM lethe_sync(?1)", home.path() + "/.claude");
  ASSERT_FALSE(inside.ok());
  EXPECT_NE(inside.error.find("none of the agents' folders"), std::string::npos) << inside.error;
  EXPECT_EQ(db.count("SELECT count(*) FROM sqlite_schema WHERE name = 'lethe_sync_runs'"), 0);
}

TEST(Sync, ReadsEveryAgentFolderAndReturnsARowPerFileRead) {
  Archive db;
  const fs::path fixture = lethe_test::source_path("tests/clients/sync/home");
  Home home;
  fs::copy(fixture, home.root(), fs::copy_options::recursive);
  Result r = must_sync(db, home, R"({"host":"laptop","owner":"ana"})");
  std::set<std::string> formats;
  for (const Row& row : r.rows) {
    EXPECT_EQ(row[2], "READ") << *row[0] << ": " << row[6].value_or("");
    formats.insert(row[1].value_or(""));
  }
  EXPECT_EQ(formats, (std::set<std::string>{"claude-code", "codex", "gemini-cli"}));
  EXPECT_EQ(r.rows.size(), 4u);  // notes.txt and logs.json are not transcripts
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE host = 'laptop' AND owner = 'ana'"),
            db.count("SELECT count(*) FROM turns"));
  EXPECT_GT(db.count("SELECT count(*) FROM turns"), 0);
  const std::string last = db.scalar("SELECT lethe_last_sync()").value_or("");
  EXPECT_NE(last.find("\"files_read\":4"), std::string::npos) << last;
  EXPECT_NE(last.find("\"files_ignored\":2"), std::string::npos) << last;
  EXPECT_EQ(
      db.scalar(
          "SELECT json_valid(lethe_last_sync()) AND "
          "lethe_last_sync() ->> 'elapsed_ms' >= 0 AND lethe_last_sync() ->> 'owner' = 'ana'"),
      "1");
}

// An OpenCode database at its default place (the tests of agent databases,
// below).
std::unique_ptr<Db> opencode_db(const Home& home, const std::string& rows = "steps.sql");
// A Goose database at its default place; a Crush project listed in
// projects.json, its database in <project>/.crush.
std::unique_ptr<Db> goose_db(const Home& home, const std::string& rows = "sessions.sql");
std::unique_ptr<Db> crush_project(const Home& home, const std::string& project,
                                  const std::string& rows = "sessions.sql");

TEST(Sync, FindsEveryAgentInItsDefaultPlace) {
  Home home;
  fs::copy(lethe_test::source_path("tests/fixtures/native/home"), home.root(),
           fs::copy_options::recursive);
  home.settle();
  opencode_db(home);
  goose_db(home);
  crush_project(home, "shop");
  Archive db;
  Result r = must_sync(db, home, R"({"host":"laptop","owner":"ana"})");
  std::set<std::string> formats;
  for (const Row& row : r.rows) {
    EXPECT_EQ(row[2], "READ") << *row[0] << ": " << row[6].value_or("");
    formats.insert(row[1].value_or(""));
  }
  EXPECT_EQ(formats,
            (std::set<std::string>{"claude-code", "codex", "gemini-cli", "qwen-code", "copilot-cli",
                                   "cursor-cli", "opencode", "goose", "crush"}));
  for (const char* tool : {"claude-code", "codex", "gemini-cli", "qwen-code", "copilot-cli",
                           "cursor-cli", "opencode", "goose", "crush"}) {
    EXPECT_GT(db.count(std::string("SELECT count(*) FROM turns WHERE tool = '") + tool + "'"), 0)
        << tool;
  }
}

// --- Change detection -----------------------------------------------------------

TEST(Sync, AnUnchangedFileIsNotReadAgainAndAGrownOneIs) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 2));
  home.write(claude_path("p", "s2"), claude_file("s2", 2));
  home.settle();
  Archive db;
  EXPECT_EQ(must_sync(db, home).rows.size(), 2u);
  EXPECT_EQ(must_sync(db, home).rows.size(), 0u);
  home.append(claude_path("p", "s1"), claude_turn("s1", 2));
  home.settle();
  Result again = must_sync(db, home);
  ASSERT_EQ(again.rows.size(), 1u);
  EXPECT_NE(again.rows[0][0]->find("s1.jsonl"), std::string::npos);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE session_id = 's1'"), 6);
}

TEST(Sync, AFileThatShrankOrWasReplacedIsReadAgain) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 3));
  home.settle();
  Archive db;
  must_sync(db, home);
  // The same size and time, another inode: a rewrite by rename.
  const fs::path file = home.at(claude_path("p", "s1"));
  const auto when = fs::last_write_time(file);
  const std::string replaced = claude_file("s1", 3);
  home.write(claude_path("p", "s1.tmp"), replaced);
  fs::rename(home.at(claude_path("p", "s1.tmp")), file);
  fs::last_write_time(file, when);
  EXPECT_EQ(must_sync(db, home).rows.size(), 1u);
  // Shorter, with its time set back: read again all the same.
  home.write(claude_path("p", "s1"), claude_file("s1", 1));
  fs::last_write_time(file, when);
  EXPECT_EQ(must_sync(db, home).rows.size(), 1u);
}

TEST(Sync, AFileChangedInTheSameClockTickAsItsReadIsReadAgain) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 1));  // its time: now
  Archive db;
  must_sync(db, home);
  // An append in the same tick would keep size-changes visible, but not a
  // rewrite of the same size: the file is read again until it has settled.
  EXPECT_EQ(must_sync(db, home).rows.size(), 1u);
  home.settle();
  must_sync(db, home);
  EXPECT_EQ(must_sync(db, home).rows.size(), 0u);
}

// --- Files that can't be read ---------------------------------------------------

// Runs `body` in a child process, as the user nobody when this is root
// (root reads any file, whatever its mode); returns its exit status.
template <typename Body>
int as_nobody(Body body) {
  const pid_t child = ::fork();
  if (child == 0) {
    int status = 1;
    if (::geteuid() != 0 || (::setgid(65534) == 0 && ::setuid(65534) == 0)) status = body();
    ::_exit(status);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

void open_to_all(const fs::path& path) {
  fs::permissions(path, fs::perms::all);
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    fs::permissions(entry.path(), entry.is_directory()
                                      ? fs::perms::all
                                      : fs::perms::owner_read | fs::perms::owner_write |
                                            fs::perms::group_read | fs::perms::others_read |
                                            fs::perms::others_write);
  }
}

TEST(Sync, AnUnreadableFileIsARowAndIsReadOnceItCanBe) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 2));
  home.write(claude_path("p", "s2"), claude_file("s2", 2));
  home.settle();
  const fs::path db_path = home.root().parent_path() / "agents.db";
  { Archive created(db_path.string()); }
  open_to_all(home.root().parent_path());
  const fs::path secret = home.at(claude_path("p", "s2"));
  fs::permissions(secret, fs::perms::none);  // mode 000; root reads it anyway, hence as_nobody
  // As another user: s2 can't be read; a row says so and the sync goes on.
  const std::string home_path = home.path();
  const auto run = [&](const char* expected_s2_code) {
    return as_nobody([&] {
      try {
        Db db(db_path.string());
        Result r = db.query("SELECT path, format, code FROM lethe_sync(?1)", home_path);
        if (!r.ok()) return 2;
        const auto codes = codes_by_path(r);
        const auto s2 = codes.find(secret.string());
        if (expected_s2_code == nullptr) return s2 == codes.end() ? 0 : 3;
        return s2 != codes.end() && s2->second == expected_s2_code ? 0 : 4;
      } catch (...) {
        return 5;
      }
    });
  };
  ASSERT_EQ(run("UNREADABLE"), 0);
  {
    Db db(db_path.string());
    EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE session_id = 's1'"), 4);
    EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE session_id = 's2'"), 0);
    EXPECT_EQ(db.scalar("SELECT status FROM lethe_sync_files WHERE path LIKE '%s2.jsonl'"),
              "UNREADABLE");
  }
  // chmod changes no time and no size: the file is read all the same.
  fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
  ASSERT_EQ(run("READ"), 0);
  Db db(db_path.string());
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE session_id = 's2'"), 4);
}

TEST(Sync, ANameThatIsNotUtf8IsKeptByteForByteAndTheRestIsArchived) {
  Home home;
  const std::string odd = ".claude/projects/p/caf\xE9-\xFF.jsonl";
  home.write(odd, claude_file("odd", 1));
  home.write(claude_path("p", "s1"), claude_file("s1", 1));
  home.settle();
  Archive db;
  Result r = must_sync(db, home);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 4);
  // The name is a BLOB of its bytes, in the result and in the sync table.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM lethe_sync_files WHERE typeof(path) = 'blob' AND "
                      "path = CAST(?1 AS BLOB)",
                      home.at(odd).string()),
            "1");
  EXPECT_EQ(must_sync(db, home).rows.size(), 0u);  // and it is found again next time
}

TEST(Sync, AFileOverSqlitesLengthLimitIsRead) {
  Home home;
  const std::string big = claude_file("big", 200);
  home.write(claude_path("p", "big"), big);
  home.settle();
  Archive db;
  sqlite3_limit(db.handle(), SQLITE_LIMIT_LENGTH, static_cast<int>(big.size() / 4));
  Result r = must_sync(db, home);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][2], "READ");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 400);
}

TEST(Sync, AFileOverMaxFileBytesIsARowNotASilentSkip) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 5));
  home.settle();
  Archive db;
  Result r = must_sync(db, home, R"({"max_file_bytes": 100})");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][2], "TOO_BIG");
  EXPECT_NE(r.rows[0][6]->find("max_file_bytes"), std::string::npos);
  // Not read, so read by the next run that may.
  EXPECT_EQ(must_sync(db, home).rows.size(), 1u);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 10);
}

TEST(Sync, AFileOfAnotherAgentsFormatIsNotStoredUnderThisAgentsName) {
  Home home;
  const std::string codex_first_line =
      R"({"timestamp":"2026-03-02T10:20:11.000Z","type":"session_meta","payload":{"id":"c1","timestamp":"2026-03-02T10:20:11.000Z","cwd":"/w"}})"
      "\n";
  home.write(claude_path("p", "stray"), codex_first_line);
  home.write(claude_path("p", "s1"), claude_file("s1", 1));
  home.settle();
  Archive db;
  const auto codes = codes_by_path(must_sync(db, home));
  EXPECT_EQ(codes.at(home.at(claude_path("p", "stray")).string()), "NOT_RECOGNISED");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE tool <> 'claude-code'"), 0);
}

// --- Symbolic links -------------------------------------------------------------

TEST(Sync, SymlinkedProjectFoldersAndTranscriptsAreReadAndALoopIsARow) {
  Home home;
  const fs::path elsewhere = home.root().parent_path() / "elsewhere";
  fs::create_directories(elsewhere / "proj");
  std::ofstream(elsewhere / "proj" / "s1.jsonl") << claude_file("s1", 1);
  std::ofstream(elsewhere / "s2.jsonl") << claude_file("s2", 1);
  fs::create_directories(home.at(".claude/projects/p"));
  fs::create_directory_symlink(elsewhere / "proj", home.at(".claude/projects/linked"));
  fs::create_symlink(elsewhere / "s2.jsonl", home.at(".claude/projects/p/s2.jsonl"));
  fs::create_directory_symlink(home.at(".claude/projects"), home.at(".claude/projects/p/loop"));
  fs::create_symlink(elsewhere / "gone.jsonl", home.at(".claude/projects/p/broken.jsonl"));
  home.settle();
  Archive db;
  const auto codes = codes_by_path(must_sync(db, home));
  EXPECT_EQ(codes.at(home.at(".claude/projects/linked/s1.jsonl").string()), "READ");
  EXPECT_EQ(codes.at(home.at(".claude/projects/p/s2.jsonl").string()), "READ");
  EXPECT_EQ(codes.at(home.at(".claude/projects/p/loop").string()), "LOOP");
  EXPECT_EQ(codes.at(home.at(".claude/projects/p/broken.jsonl").string()), "BROKEN_LINK");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 4);
}

// --- Host and owner -------------------------------------------------------------

TEST(Sync, HostAndOwnerAreStoredVerbatimNeverEvaluated) {
  for (const std::string host : {"10-0-0-5", "007", "1e3", "a'b\"c", "x;DROP TABLE turns"}) {
    Home home;
    home.write(claude_path("p", "s1"), claude_file("s1", 1));
    home.settle();
    Archive db;
    std::string escaped;
    for (const char c : host) escaped += (c == '"' ? std::string("\\\"") : std::string(1, c));
    must_sync(db, home, "{\"host\":\"" + escaped + "\",\"owner\":\"" + escaped + "\"}");
    EXPECT_EQ(db.scalar("SELECT DISTINCT host FROM turns"), host);
    EXPECT_EQ(db.scalar("SELECT DISTINCT owner FROM turns"), host);
    EXPECT_EQ(db.scalar("SELECT typeof(host) FROM turns LIMIT 1"), "text");
  }
}

TEST(Sync, TheFirstHostAndOwnerAreKeptAndAnotherNameIsRefused) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 1));
  home.settle();
  Archive db;
  must_sync(db, home, R"({"host":"laptop","owner":"ana"})");
  // A scheduled run says nothing: the first names are used.
  home.append(claude_path("p", "s1"), claude_turn("s1", 1));
  home.settle();
  must_sync(db, home);
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 1);
  EXPECT_EQ(db.scalar("SELECT host || '/' || owner FROM sessions"), "laptop/ana");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 4);
  Result other = sync(db, home, R"({"host":"desktop"})");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error.find("first synced with host 'laptop'"), std::string::npos) << other.error;
  EXPECT_NE(other.error.find("rename"), std::string::npos) << other.error;
  EXPECT_FALSE(sync(db, home, R"({"owner":"ben"})").ok());
  EXPECT_EQ(db.count("SELECT count(*) FROM sessions"), 1);
}

// The SQL block under "Renaming a machine or owner" in docs/guide/sync.md.
std::string renaming_recipe() {
  const std::string guide = lethe_test::read_file(lethe_test::source_path("docs/guide/sync.md"));
  const std::size_t section = guide.find("### Renaming a machine or owner");
  const std::size_t open = guide.find("```sql\n", section);
  const std::size_t close = guide.find("```", open + 7);
  if (section == std::string::npos || open == std::string::npos || close == std::string::npos) {
    throw std::runtime_error("docs/guide/sync.md has no renaming recipe");
  }
  return guide.substr(open + 7, close - open - 7);
}

TEST(Sync, TheRenamingRecipeOfTheGuideWorks) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 2));
  home.settle();
  Archive db;
  db.must("PRAGMA foreign_keys = ON");
  must_sync(db, home, R"({"host":"laptop","owner":"ana"})");
  db.must(renaming_recipe());
  must_sync(db, home, R"({"host":"desk"})");
  EXPECT_EQ(db.scalar("SELECT group_concat(DISTINCT host) FROM turns"), "desk");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 4);
  EXPECT_EQ(db.count("SELECT count(*) FROM lethe_sync_files WHERE host = 'desk'"), 1);
}

TEST(Sync, OptionsAreJsonAndUnknownKeysAreRefused) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 1));
  Archive db;
  for (const char* bad : {"not json", "[]", R"({"hots":"x"})", R"({"host":""})", R"({"host":7})",
                          R"({"owner":"a\u0001b"})", R"({"max_file_bytes":0})"}) {
    Result r = sync(db, home, bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error.rfind("lethe_sync: ", 0), 0u) << r.error;
  }
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
}

// --- Atomic in the caller's transaction ----------------------------------------

TEST(Sync, RunsInsideTheCallersTransaction) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 2));
  home.settle();
  Archive db;
  db.must("BEGIN");
  must_sync(db, home);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 4);
  db.must("ROLLBACK");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM sqlite_schema WHERE name = 'lethe_sync_runs'"), 0);
  // Inside the caller's writing statement too (INSERT ... SELECT).
  db.must("CREATE TABLE synced AS SELECT * FROM lethe_sync('" + home.path() + "') WHERE 0");
  db.must("INSERT INTO synced SELECT * FROM lethe_sync('" + home.path() + "')");
  EXPECT_EQ(db.count("SELECT count(*) FROM synced"), 1);
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 4);
}

TEST(Sync, AFailedSyncLeavesNothing) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 2));
  home.write(claude_path("p", "s2"), claude_file("s2", 2));
  home.settle();
  Archive db;
  // The second file's turns are refused by the database as a whole (a
  // trigger that fails the statement): the call fails and keeps nothing.
  db.must(
      "CREATE TRIGGER no_s2 BEFORE INSERT ON sessions WHEN NEW.session_id = 's2' "
      "BEGIN SELECT RAISE(ROLLBACK, 'no s2'); END");
  db.must("BEGIN; CREATE TABLE mine(x); INSERT INTO mine VALUES (1);");
  Result r = sync(db, home);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM sqlite_schema WHERE name = 'lethe_sync_runs'"), 0);
}

TEST(Sync, CannotBeCalledFromAViewOrTriggerOfTheDatabase) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 1));
  Archive db;
  db.must("CREATE VIEW hostile AS SELECT * FROM lethe_sync('" + home.path() + "')");
  Result r = db.query("SELECT * FROM hostile");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
}

// --- Equal to one clean sync ---------------------------------------------------

TEST(Sync, TwoSyncsAtOnceEqualOne) {
  Home home;
  for (int s = 0; s < 12; ++s) {
    home.write(claude_path("p", "s" + std::to_string(s)), claude_file("s" + std::to_string(s), 30));
  }
  home.settle();
  const fs::path db_path = home.root().parent_path() / "agents.db";
  { Archive(db_path.string()).must("PRAGMA journal_mode = WAL"); }
  // Threads, each with its connection, the way the command does it: wait
  // for the write lock (BEGIN IMMEDIATE), sync, commit.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  // Connections are opened one at a time: every loadable extension's entry
  // point stores SQLite's routines table in one global (SQLITE_EXTENSION_INIT2),
  // which ThreadSanitizer reports when two threads load it at once; the
  // syncs themselves run at once.
  std::mutex opening;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      try {
        std::unique_lock lock(opening);
        Db db(db_path.string());
        lock.unlock();
        sqlite3_busy_timeout(db.handle(), 60000);
        db.must("BEGIN IMMEDIATE");
        if (!sync(db, home).ok()) ++failures;
        db.must("COMMIT");
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  Db db(db_path.string());
  Archive clean;
  must_sync(clean, home,
            R"({"host":")" + *db.scalar("SELECT DISTINCT host FROM turns") + R"(","owner":")" +
                *db.scalar("SELECT DISTINCT owner FROM turns") + "\"}");
  EXPECT_EQ(archive_rows(db), archive_rows(clean));
  EXPECT_EQ(db.count("SELECT count(*) FROM lethe_sync_files"), 12);
}

TEST(Sync, TwoProcessesAtOnceEqualOne) {
  Home home;
  for (int s = 0; s < 8; ++s) {
    home.write(claude_path("p", "s" + std::to_string(s)), claude_file("s" + std::to_string(s), 40));
  }
  home.settle();
  const fs::path db_path = home.root().parent_path() / "agents.db";
  { Archive(db_path.string()).must("PRAGMA journal_mode = WAL"); }
  std::vector<pid_t> children;
  for (int p = 0; p < 3; ++p) {
    const pid_t child = ::fork();
    if (child == 0) {
      int status = 1;
      try {
        Db db(db_path.string());
        sqlite3_busy_timeout(db.handle(), 60000);
        db.must("BEGIN IMMEDIATE");
        status = sync(db, home, R"({"host":"h","owner":"o"})").ok() ? 0 : 2;
        db.must("COMMIT");
      } catch (...) {
        status = 3;
      }
      ::_exit(status);
    }
    children.push_back(child);
  }
  for (const pid_t child : children) {
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  Db db(db_path.string());
  Archive clean;
  must_sync(clean, home, R"({"host":"h","owner":"o"})");
  EXPECT_EQ(archive_rows(db), archive_rows(clean));
}

TEST(Sync, KillNineAtAnyPointThenARerunEqualsOneCleanSync) {
  Home home;
  for (int s = 0; s < 40; ++s) {
    home.write(claude_path("p", "s" + std::to_string(s)), claude_file("s" + std::to_string(s), 60));
  }
  home.settle();
  const fs::path db_path = home.root().parent_path() / "agents.db";
  { Archive created(db_path.string()); }
  std::mt19937 random(17);
  for (int attempt = 0; attempt < 6; ++attempt) {
    const pid_t child = ::fork();
    if (child == 0) {
      try {
        Db db(db_path.string());
        sqlite3_busy_timeout(db.handle(), 60000);
        sync(db, home, R"({"host":"h","owner":"o"})");
      } catch (...) {
      }
      ::_exit(0);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 40000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
  }
  Db db(db_path.string());
  sqlite3_busy_timeout(db.handle(), 60000);
  must_sync(db, home, R"({"host":"h","owner":"o"})");
  EXPECT_EQ(db.scalar("PRAGMA integrity_check"), "ok");
  Archive clean;
  must_sync(clean, home, R"({"host":"h","owner":"o"})");
  EXPECT_EQ(archive_rows(db), archive_rows(clean));
}

// Any interleaving of appends, rewrites, deletions and syncs equals one sync
// of the final home plus the turns of the deleted files.
TEST(Sync, AnyInterleavingEqualsOneSyncOfTheFinalHomePlusTheDeletedFiles) {
  for (unsigned seed = 1; seed <= 6; ++seed) {
    std::mt19937 random(seed);
    Home home;
    Archive db;
    std::map<std::string, int> turns;   // session -> turns in its file
    std::map<std::string, int> synced;  // session -> turns in its file at the last sync
    std::set<std::string> deleted;
    for (int step = 0; step < 30; ++step) {
      const std::string session = "s" + std::to_string(random() % 5);
      const std::string file = claude_path("p", session);
      switch (random() % 5) {
        case 0:
        case 1:  // append a turn
          if (deleted.count(session)) break;
          home.append(file, claude_turn(session, turns[session]++));
          break;
        case 2:  // rewrite whole (same turns, so the content converges)
          if (deleted.count(session) || turns[session] == 0) break;
          home.write(file, claude_file(session, turns[session]));
          break;
        case 3:  // delete
          if (deleted.count(session) || turns[session] == 0) break;
          fs::remove(home.at(file));
          deleted.insert(session);
          break;
        default:
          if (step % 3 == 0) home.settle();
          if (fs::exists(home.at(".claude/projects"))) {
            const Result r = sync(db, home, R"({"host":"h","owner":"o"})");
            ASSERT_TRUE(r.ok()) << r.error;
            for (const auto& [name, count] : turns) {
              if (!deleted.count(name)) synced[name] = count;
            }
          }
      }
    }
    home.settle();
    if (!fs::exists(home.at(".claude/projects")))
      fs::create_directories(home.at(".claude/projects"));
    const Result last = sync(db, home, R"({"host":"h","owner":"o"})");
    ASSERT_TRUE(last.ok()) << last.error;
    // The model: one sync of the final home, then each deleted file as the
    // last sync before its deletion saw it.
    Archive model;
    ASSERT_TRUE(sync(model, home, R"({"host":"h","owner":"o"})").ok());
    Home gone;
    fs::create_directories(gone.at(".claude/projects"));
    for (const std::string& session : deleted) {
      if (synced[session] > 0)
        gone.write(claude_path("p", session), claude_file(session, synced[session]));
    }
    {
      gone.settle();
      ASSERT_TRUE(sync(model, gone, R"({"host":"h","owner":"o"})").ok());
    }
    const auto strip_sources = [](std::vector<Row> rows) {
      for (Row& row : rows) {
        if (row.size() == 8) row[7].reset();  // source_file: which home it came from
      }
      return rows;
    };
    EXPECT_EQ(strip_sources(archive_rows(db)), strip_sources(archive_rows(model)))
        << "seed " << seed;
  }
}

// --- A database the old sql/sync.sql wrote --------------------------------------

TEST(Sync, TheOldScriptsTablesAreAdoptedNotDuplicated) {
  Home home;
  home.write(claude_path("p", "s1"), claude_file("s1", 2));
  home.settle();
  Archive db;
  // What sql/sync.sql (removed) left: its three tables, a run with the
  // default host '' and the home's name as owner, a file row.
  db.must(R"(
    CREATE TABLE lethe_sync_runs (run INTEGER PRIMARY KEY, started_at TEXT NOT NULL, home TEXT,
      host TEXT NOT NULL, owner TEXT, files_seen INTEGER, files_read INTEGER, problems INTEGER,
      files_gone INTEGER);
    CREATE TABLE lethe_sync_files (host TEXT NOT NULL, path TEXT NOT NULL, format TEXT NOT NULL,
      mtime INTEGER, size INTEGER, read_at INTEGER, last_seen_run INTEGER, problems INTEGER,
      PRIMARY KEY (host, path));
    CREATE TABLE lethe_sync_problems (host TEXT NOT NULL, path TEXT NOT NULL, line INTEGER,
      byte_offset INTEGER, code TEXT, field TEXT, message TEXT);)");
  db.query(
      "INSERT INTO lethe_sync_runs (started_at, home, host, owner) VALUES "
      "('2026-03-01T00:00:00Z', ?1, '', 'ana')",
      home.path());
  db.query("INSERT INTO lethe_sync_files VALUES ('', ?1, 'claude-code', 1, 10, 1, 1, 0)",
           home.at(claude_path("p", "s1")).string());
  must_sync(db, home);
  EXPECT_EQ(db.count("SELECT count(*) FROM lethe_sync_files"), 1);
  EXPECT_EQ(db.count("SELECT count(*) FROM lethe_sync_files WHERE host = ''"), 0);
  EXPECT_EQ(db.scalar("SELECT owner FROM lethe_sync_homes"), "ana");
  EXPECT_EQ(db.scalar("SELECT DISTINCT owner FROM turns"), "ana");
  EXPECT_EQ(db.count("SELECT count(*) FROM lethe_sync_runs"), 2);
}

// --- Agents that keep a database: OpenCode ----------------------------------

constexpr const char* kOpenCodeDb = ".local/share/opencode/opencode.db";

std::string opencode_fixture(const std::string& name) {
  return lethe_test::read_file(lethe_test::source_path("tests/fixtures/native/opencode/" + name));
}

// Built on OpenCode's own schema; the connection is the agent's, as OpenCode
// would hold it.
std::unique_ptr<Db> opencode_db(const Home& home, const std::string& rows) {
  fs::create_directories(home.at(kOpenCodeDb).parent_path());
  auto agent = std::make_unique<Db>(home.at(kOpenCodeDb).string(), /*load=*/false);
  agent->must(opencode_fixture("schema.sql"));
  agent->must(opencode_fixture(rows));
  return agent;
}

std::string file_bytes(const fs::path& path) { return lethe_test::read_file(path); }

TEST(SyncAgentDb, OpenCodeIsFoundInItsDefaultPlaceOneUnitPerSession) {
  Home home;
  opencode_db(home);
  Archive db;
  Result r = must_sync(db, home, R"({"host":"laptop","owner":"ana"})");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], home.at(kOpenCodeDb).string() + "#ses_0c0de0001");
  EXPECT_EQ(r.rows[0][1], "opencode");
  EXPECT_EQ(r.rows[0][2], "READ");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE tool = 'opencode'"), 3);
  EXPECT_EQ(db.count("SELECT sum(tokens_in + tokens_out) FROM turns"), 2315);
  EXPECT_EQ(db.scalar("SELECT source_file FROM sessions"), home.at(kOpenCodeDb).string());
  // The database itself is recorded as looked at, its sessions as units.
  EXPECT_EQ(db.scalar("SELECT status FROM lethe_sync_files WHERE path = ?1",
                      home.at(kOpenCodeDb).string()),
            "READ");
}

TEST(SyncAgentDb, AnUnchangedSessionIsNotReadAgainAndARewrittenRowIs) {
  Home home;
  auto agent = opencode_db(home);
  agent->must(
      "INSERT INTO session (id, project_id, slug, directory, title, version, time_created, "
      "time_updated) VALUES ('ses_other', 'global', 's', '/w', 't', '1', 1767258000000, "
      "1767258000000)");
  Archive db;
  EXPECT_EQ(must_sync(db, home).rows.size(), 2u);
  Result again = must_sync(db, home);
  EXPECT_EQ(again.rows.size(), 0u);
  EXPECT_EQ(db.scalar("SELECT json_extract(lethe_last_sync(), '$.files_unchanged')"), "2");
  // OpenCode rewrites a part in place (a text streamed to its end).
  agent->must(
      "UPDATE part SET data = json_set(data, '$.text', 'total() returns 0 now.'), "
      "time_updated = time_updated + 1 WHERE id = 'prt_0c0de0007'");
  Result rewritten = must_sync(db, home);
  ASSERT_EQ(rewritten.rows.size(), 1u);
  EXPECT_NE(rewritten.rows[0][0]->find("#ses_0c0de0001"), std::string::npos);
  EXPECT_EQ(db.scalar("SELECT content FROM turns WHERE turn_id = 'msg_0c0de0001a'"),
            "total() returns 0 now.");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE session_id = 'ses_0c0de0001'"), 3);
  // Last write wins: the archive is what one sync of the final database makes.
  Archive fresh;
  must_sync(fresh, home);
  EXPECT_EQ(archive_rows(db), archive_rows(fresh));
  // Any row's time moving is a change.
  agent->must("UPDATE message SET time_updated = time_updated + 1 WHERE id = 'msg_0c0de0001u'");
  EXPECT_EQ(must_sync(db, home).rows.size(), 1u);
}

// Each session's export is a unit of its own: it must find the session's
// rows through OpenCode's indexes, not scan every row of the database once
// per session (which made a first sync of 200 sessions 6x slower).
TEST(SyncAgentDb, OneSessionsExportFindsItsRowsThroughTheIndexes) {
  Home home;
  auto agent = opencode_db(home);
  const std::string sql =
      lethe_test::read_file(lethe_test::source_path("ext/write/agent_db/opencode.sql"));
  sqlite3_stmt* sessions = nullptr;
  const char* tail = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(agent->handle(), sql.c_str(), -1, &sessions, &tail), SQLITE_OK);
  sqlite3_finalize(sessions);
  const Result plan = agent->query("EXPLAIN QUERY PLAN " + std::string(tail), "ses_0c0de0001");
  ASSERT_TRUE(plan.ok()) << plan.error;
  std::string details;
  for (const Row& row : plan.rows) details += row.back().value_or("") + "\n";
  for (const char* scan : {"SCAN s\n", "SCAN m\n", "SCAN p\n"}) {
    EXPECT_EQ(details.find(scan), std::string::npos) << details;
  }
  EXPECT_NE(details.find("SEARCH p USING INDEX part_session_idx"), std::string::npos) << details;
}

// What OpenCode never writes but a damaged or hand-edited database may hold:
// each bad row is a problem of its session (in lethe_sync_problems), the
// rest is read, and no value fails the export.
TEST(SyncAgentDb, HostileValuesInTheRowsAreProblemsNotFailures) {
  Home home;
  auto agent = opencode_db(home);
  agent->must(
      "UPDATE part SET data = x'00ff7b' WHERE id = 'prt_0c0de0001';"  // a BLOB, not UTF-8
      "UPDATE part SET data = '{\"type\":\"text\",' WHERE id = 'prt_0c0de0007';"  // cut JSON
      "UPDATE message SET time_created = 'yesterday' WHERE id = 'msg_0c0de0001u';"
      "UPDATE session SET model = x'01', time_updated = 'soon', tokens_input = 9e999;"
      "UPDATE part SET time_updated = -9e999 WHERE id = 'prt_0c0de0003';"
      "UPDATE part SET data = json_set(data, '$.tokens.input', 9223372036854775807) "
      "  WHERE id = 'prt_0c0de0005';");
  Archive db;
  Result r = must_sync(db, home);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][2], "READ") << r.rows[0][6].value_or("");
  EXPECT_EQ(r.rows[0][5], "2");  // the BLOB part and the cut JSON
  const Result problems =
      db.query("SELECT line, code, field FROM lethe_sync_problems ORDER BY line");
  ASSERT_EQ(problems.rows.size(), 2u);
  for (const Row& row : problems.rows) {
    EXPECT_EQ(row[1], "INVALID_FIELD");
    EXPECT_EQ(row[2], "data");
  }
  // The user message is dated by its data; the answer keeps its text with
  // NULL tokens (the counter would overflow the sum).
  EXPECT_EQ(db.scalar("SELECT timestamp FROM turns WHERE turn_id = 'msg_0c0de0001u'"),
            "2026-01-01T09:00:00.000Z");
  EXPECT_EQ(db.scalar("SELECT tokens_in FROM turns WHERE turn_id = 'msg_0c0de0001a'"),
            std::nullopt);
  EXPECT_EQ(db.scalar("SELECT json_extract(metadata, '$.usage_invalid') FROM turns "
                      "WHERE turn_id = 'msg_0c0de0001a'"),
            "1");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 3);
}

// A data column that SQLite's json_valid accepts but lethe's rules refuse
// (a NUL and text after it, nesting deeper than a line may hold, a lone
// surrogate escape) went into its line as it was, and made the whole line
// not JSON (INVALID_JSON, the row's id lost). write/agent_db.cpp checks the
// column with lethe's own scanner: such a column is a JSON string, each line
// stays JSON, and the reader reports the row's data.
TEST(SyncAgentDb, AColumnLethesScannerRefusesIsAStringInALineThatStaysJson) {
  Home home;
  auto agent = opencode_db(home);
  agent->must(
      "UPDATE part SET data = '{}' || char(0) || '{\"type\":\"text\"}' "
      "  WHERE id = 'prt_0c0de0001';"
      "UPDATE part SET data = replace(hex(zeroblob(70)), '00', '[') || "
      "  replace(hex(zeroblob(70)), '00', ']') WHERE id = 'prt_0c0de0003';"
      "UPDATE part SET data = '\"\\ud800\"' WHERE id = 'prt_0c0de0007';");
  ASSERT_EQ(agent->count("SELECT count(*) FROM part WHERE json_valid(data) AND id IN "
                         "('prt_0c0de0001', 'prt_0c0de0003', 'prt_0c0de0007')"),
            3);
  Db reader(":memory:");
  const std::string path = home.at(kOpenCodeDb).string();
  EXPECT_EQ(reader.scalar("SELECT count(*) FROM lethe_agent_export('opencode', ?1) "
                          "WHERE NOT json_valid(line) OR instr(line, char(0))",
                          path),
            "0");
  EXPECT_EQ(reader.scalar("SELECT group_concat(json_type(line, '$.data'), ' ') FROM "
                          "lethe_agent_export('opencode', ?1) WHERE json_extract(line, '$.id') "
                          "IN ('prt_0c0de0001', 'prt_0c0de0003', 'prt_0c0de0007')",
                          path),
            "text text text");
  Archive db;
  Result r = must_sync(db, home);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][2], "READ") << r.rows[0][6].value_or("");
  const Result problems = db.query("SELECT code, field FROM lethe_sync_problems ORDER BY line");
  ASSERT_EQ(problems.rows.size(), 3u);
  for (const Row& row : problems.rows) {
    EXPECT_EQ(row[0], "INVALID_FIELD");
    EXPECT_EQ(row[1], "data");
  }
}

// A sync hands the reader its export as already scanned only when every
// line was checked as it was built (write/agent_db.cpp). A line that is not
// JSON (SQLite's json_object copies a TEXT column that is not UTF-8 byte for
// byte) must still reach the reader's own scan: an INVALID_JSON problem of
// its session, the rest read.
TEST(SyncAgentDb, AnExportLineThatIsNotJsonIsStillScannedByTheReader) {
  Home home;
  auto agent = opencode_db(home);
  agent->must("UPDATE part SET id = CAST(x'7072745fff' AS TEXT) WHERE id = 'prt_0c0de0007'");
  Archive db;
  Result r = must_sync(db, home);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][2], "READ") << r.rows[0][6].value_or("");
  EXPECT_EQ(db.scalar("SELECT group_concat(code) FROM lethe_sync_problems"), "INVALID_JSON");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 3);
}

// Sessions are exported on the export thread while the parsing thread
// converts the previous one, and that thread may wait for the next export:
// a write that fails the call must stop the export thread (interrupting the
// session it exports) and must not leave the parsing thread waiting (a
// hang), and nothing of the call is kept. 60 sessions, so that the export
// thread is still at work when the first write fails.
TEST(SyncAgentDb, AWriteThatFailsTheCallStopsTheExportsAndKeepsNothing) {
  Home home;
  auto agent = opencode_db(home);
  agent->must(
      "WITH RECURSIVE n(v) AS (SELECT 2 UNION ALL SELECT v + 1 FROM n WHERE v < 60) "
      "INSERT INTO session (id, project_id, slug, directory, title, version, time_created, "
      "  time_updated) SELECT 'ses_' || v, 'global', 's', '/w', 't', '1', 1767258000000, "
      "  1767258000000 FROM n;"
      "WITH RECURSIVE n(v) AS (SELECT 2 UNION ALL SELECT v + 1 FROM n WHERE v < 60) "
      "INSERT INTO message SELECT m.id || v, 'ses_' || v, m.time_created, m.time_updated, m.data "
      "  FROM message AS m, n WHERE m.session_id = 'ses_0c0de0001';"
      "WITH RECURSIVE n(v) AS (SELECT 2 UNION ALL SELECT v + 1 FROM n WHERE v < 60) "
      "INSERT INTO part SELECT p.id || v, p.message_id || v, 'ses_' || v, p.time_created, "
      "  p.time_updated, p.data FROM part AS p, n WHERE p.session_id = 'ses_0c0de0001'");
  {
    Archive all;
    Result r = must_sync(all, home);
    EXPECT_EQ(r.rows.size(), 60u);
    EXPECT_EQ(all.count("SELECT count(*) FROM turns"), 180);
  }
  Archive db;
  db.must(
      "CREATE TRIGGER no_first BEFORE INSERT ON sessions WHEN NEW.session_id = 'ses_0c0de0001' "
      "BEGIN SELECT RAISE(ROLLBACK, 'not the first'); END");
  Result r = sync(db, home);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
  // And the next sync, without the trigger, reads every session.
  db.must("DROP TRIGGER no_first");
  EXPECT_EQ(must_sync(db, home).rows.size(), 60u);
}

TEST(SyncAgentDb, TheRealDatabaseSumsToItsOwnSessionTotals) {
  Home home;
  fs::copy(lethe_test::source_path("tests/fixtures/native/real/opencode-home"), home.root(),
           fs::copy_options::recursive);
  Archive db;
  Result r = must_sync(db, home);
  ASSERT_EQ(r.rows.size(), 3u);
  for (const Row& row : r.rows) EXPECT_EQ(row[2], "READ") << row[6].value_or("");
  Db agent(home.at(kOpenCodeDb).string(), /*load=*/false);
  const Result totals = agent.query(
      "SELECT id, tokens_input + tokens_cache_read + tokens_cache_write, "
      "tokens_output + tokens_reasoning FROM session ORDER BY id");
  ASSERT_EQ(totals.rows.size(), 3u);
  for (const Row& row : totals.rows) {
    SCOPED_TRACE(*row[0]);
    EXPECT_EQ(db.scalar("SELECT sum(tokens_in) FROM turns WHERE session_id = ?1", *row[0]), row[1]);
    EXPECT_EQ(db.scalar("SELECT sum(tokens_out) FROM turns WHERE session_id = ?1", *row[0]),
              row[2]);
  }
}

TEST(SyncAgentDb, TheRealExportIsTheFixture) {
  Db db;
  Result r = db.query(
      "SELECT group_concat(line, char(10)) || char(10) FROM lethe_agent_export('opencode', ?1)",
      lethe_test::source_path(
          "tests/fixtures/native/real/opencode-home/.local/share/opencode/opencode.db")
          .string());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rows.at(0).at(0), opencode_fixture("real_export.jsonl"));
  Home home;
  opencode_db(home);
  EXPECT_EQ(db.scalar("SELECT group_concat(line, char(10)) || char(10) FROM "
                      "lethe_agent_export('opencode', ?1, 'ses_0c0de0001')",
                      home.at(kOpenCodeDb).string()),
            opencode_fixture("steps.jsonl"));
}

TEST(SyncAgentDb, ADatabaseThatCantBeReadIsAProblemRow) {
  const struct {
    const char* name;
    std::function<void(const Home&)> make;
    const char* code;
  } cases[] = {
      {"not a database", [](const Home& home) { home.write(kOpenCodeDb, std::string(4096, 'x')); },
       "NOT_A_DATABASE"},
      {"another schema",
       [](const Home& home) {
         fs::create_directories(home.at(kOpenCodeDb).parent_path());
         Db(home.at(kOpenCodeDb).string(), false).must("CREATE TABLE session (id TEXT)");
       },
       "UNKNOWN_SCHEMA"},
      {"damaged",
       [](const Home& home) {
         opencode_db(home);
         std::string bytes = file_bytes(home.at(kOpenCodeDb));
         const std::size_t page = 4096;  // SQLite's default page size
         ASSERT_GT(bytes.size(), 3 * page);
         for (std::size_t i = page; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5);
         home.write(kOpenCodeDb, bytes);
       },
       "CORRUPT"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Home home;
    c.make(home);
    Archive db;
    Result r = must_sync(db, home);
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0][0], home.at(kOpenCodeDb).string());
    EXPECT_EQ(r.rows[0][1], "opencode");
    EXPECT_EQ(r.rows[0][2], c.code) << r.rows[0][6].value_or("");
    EXPECT_NE(r.rows[0][6].value_or("").find("nothing of it was read"), std::string::npos);
    EXPECT_EQ(db.scalar("SELECT json_extract(lethe_last_sync(), '$.files_failed')"), "1");
    EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 0);
  }
}

TEST(SyncAgentDb, TheAgentsFilesAreUntouchedAndAWriterIsNotLockedOut) {
  for (const bool wal : {false, true}) {
    SCOPED_TRACE(wal ? "WAL" : "rollback journal");
    Home home;
    auto agent = opencode_db(home);
    if (wal) agent->must("PRAGMA journal_mode = WAL");
    const fs::path folder = home.at(kOpenCodeDb).parent_path();
    std::map<std::string, std::string> before;
    for (const auto& entry : fs::directory_iterator(folder)) {
      before[entry.path().filename().string()] = file_bytes(entry.path());
    }
    // The agent is in the middle of a write transaction, uncommitted.
    agent->must(
        "BEGIN IMMEDIATE; UPDATE part SET data = json_set(data, '$.text', 'half written'), "
        "time_updated = time_updated + 1 WHERE id = 'prt_0c0de0007'");
    Archive db;
    const auto started = std::chrono::steady_clock::now();
    Result r = must_sync(db, home);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4))
        << "the sync waited for the agent's transaction";
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0][2], "READ");
    EXPECT_EQ(db.scalar("SELECT content FROM turns WHERE turn_id = 'msg_0c0de0001a'"),
              "total() now returns 0 for an empty cart.");  // what was committed
    agent->must("COMMIT");                                  // the agent was not locked out
    agent.reset();
    std::map<std::string, std::string> after;
    for (const auto& entry : fs::directory_iterator(folder)) {
      after[entry.path().filename().string()] = file_bytes(entry.path());
    }
    // Only the agent's own commit changed its files; nothing of lethe's is there.
    EXPECT_EQ(before.count("opencode.db"), 1u);
    for (const auto& [name, bytes] : after) {
      EXPECT_TRUE(name == "opencode.db" || name == "opencode.db-wal" || name == "opencode.db-shm")
          << name;
    }
    must_sync(db, home);
    EXPECT_EQ(db.scalar("SELECT content FROM turns WHERE turn_id = 'msg_0c0de0001a'"),
              "half written");
  }
}

TEST(SyncAgentDb, ASyncLeavesTheDatabaseBytesAsTheyWere) {
  Home home;
  opencode_db(home);  // closed: no -wal, no -shm
  const std::string before = file_bytes(home.at(kOpenCodeDb));
  const auto when = fs::last_write_time(home.at(kOpenCodeDb));
  Archive db;
  must_sync(db, home);
  must_sync(db, home);
  EXPECT_EQ(file_bytes(home.at(kOpenCodeDb)), before);
  EXPECT_EQ(fs::last_write_time(home.at(kOpenCodeDb)), when);
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(home.at(kOpenCodeDb).parent_path())) {
    names.insert(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::set<std::string>{"opencode.db"});
}

TEST(SyncAgentDb, AgentExportIsDirectOnlyAndNamesItsProblems) {
  Home home;
  opencode_db(home);
  Archive db;
  const std::string path = home.at(kOpenCodeDb).string();
  EXPECT_EQ(db.count("SELECT count(*) FROM lethe_agent_export('opencode', '" + path + "')"), 11);
  db.must("CREATE VIEW exported AS SELECT * FROM lethe_agent_export('opencode', '" + path + "')");
  Result through_view = db.query("SELECT count(*) FROM exported");
  EXPECT_FALSE(through_view.ok());
  EXPECT_NE(through_view.error.find("unsafe use"), std::string::npos) << through_view.error;
  Result codex = db.query("SELECT * FROM lethe_agent_export('codex', ?1)", path);
  EXPECT_NE(codex.error.find("keeps a database"), std::string::npos) << codex.error;
  // The session from a join's other side: that session's lines only.
  db.must("CREATE TABLE wanted (id TEXT); INSERT INTO wanted VALUES ('ses_0c0de0001'), ('nope')");
  EXPECT_EQ(db.count("SELECT count(*) FROM wanted w, lethe_agent_export('opencode', '" + path +
                     "', w.id) e"),
            11);
  EXPECT_EQ(db.count("SELECT count(*) FROM wanted w JOIN lethe_agent_export('opencode', '" + path +
                     "') e ON e.session_id = w.id"),
            11);
  Result missing = db.query("SELECT * FROM lethe_agent_export('opencode', ?1)", path + ".gone");
  EXPECT_NE(missing.error.find("UNREADABLE"), std::string::npos) << missing.error;
  EXPECT_FALSE(fs::exists(path + ".gone")) << "a read-only open never creates the file";
}

// --- Agents that keep a database: Goose and Crush ---------------------------

constexpr const char* kGooseDb = ".local/share/goose/sessions/sessions.db";
constexpr const char* kCrushProjects = ".local/share/crush/projects.json";

std::string fixture(const std::string& agent, const std::string& name) {
  return lethe_test::read_file(
      lethe_test::source_path("tests/fixtures/native/" + agent + "/" + name));
}

// A database of the agent's schema and the fixture's rows, as the agent
// would hold it.
std::unique_ptr<Db> agent_db(const fs::path& path, const std::string& agent,
                             const std::string& rows, const std::string& schema = "schema.sql") {
  fs::create_directories(path.parent_path());
  auto db = std::make_unique<Db>(path.string(), /*load=*/false);
  db->must(fixture(agent, schema));
  db->must(fixture(agent, rows));
  return db;
}

std::unique_ptr<Db> goose_db(const Home& home, const std::string& rows) {
  return agent_db(home.at(kGooseDb), "goose", rows);
}

// projects.json as Crush writes it (internal/projects), one entry per call.
void list_crush_project(const Home& home, const std::string& path, const std::string& data_dir) {
  nlohmann::json list = {{"projects", nlohmann::json::array()}};
  if (fs::exists(home.at(kCrushProjects))) {
    list = nlohmann::json::parse(lethe_test::read_file(home.at(kCrushProjects)));
  }
  list["projects"].push_back(
      {{"path", path}, {"data_dir", data_dir}, {"last_accessed", "2026-03-01T10:00:00Z"}});
  home.write(kCrushProjects, list.dump(2));
}

std::unique_ptr<Db> crush_project(const Home& home, const std::string& project,
                                  const std::string& rows) {
  const fs::path folder = home.at("work/" + project);
  list_crush_project(home, folder.string(), (folder / ".crush").string());
  return agent_db(folder / ".crush/crush.db", "crush", rows);
}

std::string export_of(Db& db, const std::string& format, const fs::path& path) {
  Result r = db.query(
      "SELECT coalesce(group_concat(line, char(10)) || char(10), '') "
      "FROM lethe_agent_export(?1, ?2)",
      format, path.string());
  EXPECT_TRUE(r.ok()) << r.error;
  return r.ok() ? r.rows.at(0).at(0).value_or("") : "";
}

TEST(SyncAgentDb, GooseIsFoundInItsDefaultPlaceOneUnitPerSession) {
  Home home;
  auto agent = goose_db(home);
  Archive db;
  const std::string options = R"({"host":"laptop","owner":"ana"})";
  Result r = must_sync(db, home, options);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0][0], home.at(kGooseDb).string() + "#20260301_1");
  EXPECT_EQ(r.rows[1][0], home.at(kGooseDb).string() + "#20260301_2");
  for (const Row& row : r.rows) {
    EXPECT_EQ(row[1], "goose");
    EXPECT_EQ(row[2], "READ") << row[6].value_or("");
  }
  EXPECT_EQ(db.count("SELECT sum(tokens_in + tokens_out) FROM turns WHERE tool = 'goose'"),
            5700 + 3590);
  // Unchanged: nothing is read again.
  EXPECT_EQ(must_sync(db, home, options).rows.size(), 0u);
  // Goose appends a request to one session: only that session is read again.
  agent->must(
      "INSERT INTO messages (message_id, session_id, role, content_json, created_timestamp) "
      "VALUES ('chatcmpl-2', '20260301_2', 'assistant', '[{\"type\":\"text\",\"text\":\"more\"}]', "
      "1772359400);"
      "INSERT INTO usage_ledger (session_id, created_timestamp, model, input_tokens, "
      "output_tokens) VALUES ('20260301_2', 1772359400, 'claude-haiku-4-5', 700, 7);"
      "UPDATE sessions SET accumulated_input_tokens = accumulated_input_tokens + 700, "
      "accumulated_output_tokens = accumulated_output_tokens + 7 WHERE id = '20260301_2'");
  Result grown = must_sync(db, home, options);
  ASSERT_EQ(grown.rows.size(), 1u);
  EXPECT_EQ(grown.rows[0][0], home.at(kGooseDb).string() + "#20260301_2");
  EXPECT_EQ(db.count("SELECT sum(tokens_in + tokens_out) FROM turns WHERE session_id = "
                     "'20260301_2'"),
            3590 + 707);
  // Goose rewrites a conversation: its rows deleted and inserted again.
  agent->must(
      "CREATE TEMP TABLE kept AS SELECT * FROM messages WHERE session_id = '20260301_1';"
      "DELETE FROM messages WHERE session_id = '20260301_1';"
      "INSERT INTO messages (message_id, session_id, role, content_json, created_timestamp, "
      "metadata_json) SELECT message_id, session_id, role, content_json, created_timestamp, "
      "metadata_json FROM kept ORDER BY id");
  Result rewritten = must_sync(db, home, options);
  ASSERT_EQ(rewritten.rows.size(), 1u);
  EXPECT_EQ(rewritten.rows[0][0], home.at(kGooseDb).string() + "#20260301_1");
  Archive fresh;
  must_sync(fresh, home, options);
  EXPECT_EQ(archive_rows(db), archive_rows(fresh));
}

TEST(SyncAgentDb, TheRealGooseDatabaseSumsToItsOwnTotals) {
  Home home;
  fs::copy(lethe_test::source_path("tests/fixtures/native/real/goose-home"), home.root(),
           fs::copy_options::recursive);
  Archive db;
  Result r = must_sync(db, home);
  ASSERT_EQ(r.rows.size(), 4u);
  for (const Row& row : r.rows) EXPECT_EQ(row[2], "READ") << row[6].value_or("");
  Db agent(home.at(kGooseDb).string(), /*load=*/false);
  const Result totals = agent.query(
      "SELECT s.id, s.accumulated_input_tokens, s.accumulated_output_tokens, "
      "(SELECT sum(input_tokens) FROM usage_ledger WHERE session_id = s.id), "
      "(SELECT sum(output_tokens) FROM usage_ledger WHERE session_id = s.id) "
      "FROM sessions AS s ORDER BY s.id");
  ASSERT_EQ(totals.rows.size(), 4u);
  for (const Row& row : totals.rows) {
    SCOPED_TRACE(*row[0]);
    EXPECT_EQ(row[1], row[3]);  // the ledger holds every request of these sessions
    EXPECT_EQ(db.scalar("SELECT sum(tokens_in) FROM turns WHERE session_id = ?1", *row[0]), row[1]);
    EXPECT_EQ(db.scalar("SELECT sum(tokens_out) FROM turns WHERE session_id = ?1", *row[0]),
              row[2]);
  }
}

TEST(SyncAgentDb, TheGooseAndCrushExportsAreTheFixtures) {
  Db db;
  EXPECT_EQ(export_of(db, "goose",
                      lethe_test::source_path("tests/fixtures/native/real/goose-home/") / kGooseDb),
            fixture("goose", "real_export.jsonl"));
  const struct {
    const char* agent;
    const char* rows;
    const char* expected;
  } cases[] = {{"goose", "sessions.sql", "sessions.jsonl"},
               {"goose", "hostile.sql", "hostile.jsonl"},
               {"crush", "sessions.sql", "sessions.jsonl"},
               {"crush", "hostile.sql", "hostile.jsonl"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.agent) + " " + c.rows);
    const fs::path path = lethe_test::temp_dir() / "agent.db";
    agent_db(path, c.agent, c.rows);
    EXPECT_EQ(export_of(db, c.agent, path), fixture(c.agent, c.expected));
  }
}

// Crush's first schema (no provider, is_summary_message,
// summary_message_id yet) is read by the same file.
TEST(SyncAgentDb, CrushsFirstSchemaIsReadToo) {
  const fs::path path = lethe_test::temp_dir() / "crush.db";
  fs::create_directories(path.parent_path());
  Db agent(path.string(), /*load=*/false);
  agent.must(fixture("crush", "old_schema.sql"));
  agent.must(
      "INSERT INTO sessions VALUES ('old-1', NULL, 't', 1, 10, 2, 0.5, 1772359300, 1772359200);"
      "INSERT INTO messages VALUES ('o-1', 'old-1', 'user', "
      "'[{\"type\":\"text\",\"data\":{\"text\":\"hi\"}}]', NULL, 1772359200, 1772359200, "
      "NULL)");
  Db db;
  const std::string lines = export_of(db, "crush", path);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM lethe_convert(?1, '{\"format\":\"crush\"}') "
                      "WHERE wire IS NOT NULL",
                      lines),
            "2");
  EXPECT_NE(lines.find("\"provider\":null"), std::string::npos);
}

// goose before schema 15 kept no usage_ledger: said, never guessed at.
TEST(SyncAgentDb, AGooseDatabaseOlderThanItsLedgerIsAnUnknownSchema) {
  Home home;
  fs::create_directories(home.at(kGooseDb).parent_path());
  Db(home.at(kGooseDb).string(), false)
      .must(
          "CREATE TABLE sessions (id TEXT PRIMARY KEY, working_dir TEXT);"
          "CREATE TABLE messages (id INTEGER PRIMARY KEY, session_id TEXT, role TEXT, "
          "content_json TEXT, created_timestamp INTEGER)");
  Archive db;
  Result r = must_sync(db, home);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][1], "goose");
  EXPECT_EQ(r.rows[0][2], "UNKNOWN_SCHEMA") << r.rows[0][6].value_or("");
}

TEST(SyncAgentDb, CrushProjectsAreFoundThroughItsProjectList) {
  Home home;
  auto shop = crush_project(home, "shop");
  // A relative data_dir is the project's; a project whose database is gone,
  // and one whose "database" is a folder, are said, every sync.
  const fs::path blog = home.at("work/blog");
  list_crush_project(home, blog.string(), "state");
  agent_db(blog / "state/crush.db", "crush", "hostile.sql");
  list_crush_project(home, home.at("work/gone").string(), home.at("work/gone/.crush").string());
  list_crush_project(home, home.at("work/odd").string(), home.at("work/odd/.crush").string());
  fs::create_directories(home.at("work/odd/.crush/crush.db"));
  Archive db;
  Result r = must_sync(db, home, R"({"host":"laptop","owner":"ana"})");
  std::map<std::string, std::string> status;
  for (const Row& row : r.rows) {
    EXPECT_EQ(row[1], "crush");
    status[*row[0]] = *row[2];
  }
  const std::string shop_db = home.at("work/shop/.crush/crush.db").string();
  const std::string blog_db = (blog / "state/crush.db").string();
  const std::string gone_db = home.at("work/gone/.crush/crush.db").string();
  const std::string odd_db = home.at("work/odd/.crush/crush.db").string();
  EXPECT_EQ(status, (std::map<std::string, std::string>{
                        {shop_db + "#c0c0a001-0000-4000-8000-000000000001", "READ"},
                        {shop_db + "#c0c0a002-0000-4000-8000-000000000002", "READ"},
                        {blog_db + "#c0c0a003-0000-4000-8000-000000000003", "READ"},
                        {blog_db + "#c0c0a003-0000-4000-8000-000000000009", "READ"},
                        {blog_db + "#c0c0a004-0000-4000-8000-000000000004", "READ"},
                        {gone_db, "VANISHED"},
                        {odd_db, "NOT_A_FILE"}}));
  EXPECT_EQ(db.count("SELECT sum(tokens_in + tokens_out) FROM turns WHERE tool = 'crush'"),
            12800 + 3045);
  // Unchanged: nothing is read again but the hostile session, whose change
  // time is far in the future (updated_at 99999999999999999 s): a session
  // changed after its last read is read again until that time has passed
  // (the settle rule, compared without overflow); the missing ones are said
  // again.
  const std::string future = blog_db + "#c0c0a003-0000-4000-8000-000000000003";
  Result again = must_sync(db, home);
  std::set<std::string> said;
  for (const Row& row : again.rows) said.insert(*row[0] + " " + *row[2]);
  EXPECT_EQ(said, (std::set<std::string>{future + " READ", gone_db + " VANISHED",
                                         odd_db + " NOT_A_FILE"}));
  // Crush streams into a message row in place, in the same second.
  shop->must(
      "UPDATE messages SET parts = '[{\"type\":\"text\",\"data\":{\"text\":\"Done.\"}}]', "
      "finished_at = finished_at + 1 WHERE id = 'm-004'");
  Result rewritten = must_sync(db, home);
  std::size_t read = 0;
  for (const Row& row : rewritten.rows) read += row[2] == "READ" && *row[0] != future;
  EXPECT_EQ(read, 1u);
  EXPECT_EQ(db.scalar("SELECT content FROM turns WHERE turn_id = 'm-004'"), "Done.");
}

TEST(SyncAgentDb, ACrushProjectListThatCantBeReadIsAProblemRow) {
  const std::string good = R"({"path":"/nowhere/a","data_dir":"/nowhere/a/.crush"})";
  const struct {
    const char* name;
    std::string text;
    const char* says;
  } cases[] = {
      {"not JSON", "{\"projects\": [", "is not the list of projects Crush writes"},
      {"no projects array", R"({"projects": {"a": 1}})", "no \"projects\" array"},
      {"a project without its path", R"({"projects": [{"data_dir": 7}, )" + good + "]}",
       "names a project without its path"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Home home;
    home.write(kCrushProjects, c.text);
    Archive db;
    Result r = must_sync(db, home);
    std::size_t problems = 0;
    for (const Row& row : r.rows) {
      if (*row[0] != home.at(kCrushProjects).string()) continue;
      ++problems;
      EXPECT_EQ(row[2], "UNREADABLE");
      EXPECT_NE(row[6].value_or("").find(c.says), std::string::npos) << row[6].value_or("");
    }
    EXPECT_EQ(problems, 1u);
  }
}

// One session's export (what lethe_sync runs per changed session) finds its
// rows through the agent's own indexes, never by scanning every row.
TEST(SyncAgentDb, GooseAndCrushFindOneSessionsRowsThroughTheirIndexes) {
  const struct {
    const char* agent;
    const char* session;
    std::vector<const char*> scans;  // of the tables holding every row
    const char* index;
  } cases[] = {{"goose",
                "20260301_1",
                {"SCAN s\n", "SCAN m\n", "SCAN u\n"},
                "SEARCH u USING INDEX idx_usage_ledger_session"},
               {"crush",
                "c0c0a001-0000-4000-8000-000000000001",
                {"SCAN s\n", "SCAN m\n"},
                "SEARCH m USING INDEX idx_messages_session_id"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.agent);
    const fs::path path = lethe_test::temp_dir() / "agent.db";
    auto agent = agent_db(path, c.agent, "sessions.sql");
    const std::string sql = lethe_test::read_file(
        lethe_test::source_path(std::string("ext/write/agent_db/") + c.agent + ".sql"));
    sqlite3_stmt* sessions = nullptr;
    const char* tail = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(agent->handle(), sql.c_str(), -1, &sessions, &tail), SQLITE_OK);
    sqlite3_finalize(sessions);
    const Result plan = agent->query("EXPLAIN QUERY PLAN " + std::string(tail), c.session);
    ASSERT_TRUE(plan.ok()) << plan.error;
    std::string details;
    for (const Row& row : plan.rows) details += row.back().value_or("") + "\n";
    for (const char* scan : c.scans) EXPECT_EQ(details.find(scan), std::string::npos) << details;
    EXPECT_NE(details.find(c.index), std::string::npos) << details;
  }
}

// The exports put a column that is valid JSON into its line as it is (one
// parse, in json_valid): one written over several lines must still make one
// line (the reader splits the export at newlines), with the same JSON as the
// column written on one line, through lethe_agent_export and through a sync.
TEST(SyncAgentDb, AJsonColumnWrittenOverSeveralLinesIsExportedOnOneLine) {
  const struct {
    const char* agent;
    const char* rows;
    const char* spread;       // rewrites the JSON columns over several lines
    const char* spread_rows;  // counts the rows it rewrote
  } cases[] = {
      {"opencode", "steps.sql",
       "UPDATE message SET data = replace(replace(data, '{', '{' || char(10) || '  '), ',\"', "
       "',' || char(13) || char(10) || '\"');"
       "UPDATE part SET data = replace(data, '{\"', '{' || char(10) || char(9) || '\"') || "
       "char(10);",
       "SELECT count(*) FROM part WHERE instr(data, char(10))"},
      {"goose", "sessions.sql",
       "UPDATE messages SET content_json = replace(content_json, '[{', '[' || char(10) || '{'), "
       "metadata_json = replace(metadata_json, ',\"', ',' || char(13) || char(10) || '\"');",
       "SELECT count(*) FROM messages WHERE instr(content_json, char(10))"},
      {"crush", "sessions.sql",
       "UPDATE messages SET parts = replace(parts, '},{', '},' || char(10) || '{');",
       "SELECT count(*) FROM messages WHERE instr(parts, char(10))"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.agent);
    const fs::path path = lethe_test::temp_dir() / (std::string(c.agent) + "-spread.db");
    fs::remove(path);
    auto agent = agent_db(path, c.agent, c.rows);
    Db reader(":memory:");
    const std::string json_lines =
        "SELECT group_concat(json(line), char(10)) FROM lethe_agent_export(?1, ?2)";
    const std::string before = reader.scalar(json_lines, c.agent, path.string()).value_or("");
    agent->must(c.spread);
    ASSERT_GT(agent->count(c.spread_rows), 0);
    EXPECT_EQ(reader.scalar(json_lines, c.agent, path.string()), before);
    EXPECT_EQ(reader.scalar("SELECT count(*) FROM lethe_agent_export(?1, ?2) "
                            "WHERE instr(line, char(10)) OR instr(line, char(13))",
                            c.agent, path.string()),
              "0");
  }
  // A sync (its exports one session at a time) reads the same turns, with
  // no problem.
  Home home;
  auto agent = opencode_db(home);
  agent->must(cases[0].spread);
  Archive db;
  Result r = must_sync(db, home);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][2], "READ") << r.rows[0][6].value_or("");
  EXPECT_EQ(r.rows[0][5], "0");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns"), 3);
  EXPECT_EQ(db.scalar("SELECT content FROM turns WHERE turn_id = 'msg_0c0de0001a'"),
            "total() now returns 0 for an empty cart.");
}

}  // namespace
