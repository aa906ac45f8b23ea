#include "sync/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>
#include <utility>

#include "common/errors.hpp"

namespace lethe::sync {

namespace {

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_;
};

// Owns a DIR stream.
class Dir {
 public:
  explicit Dir(const std::string& path) noexcept : dir_(::opendir(path.c_str())) {}
  ~Dir() {
    if (dir_ != nullptr) ::closedir(dir_);
  }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  explicit operator bool() const noexcept { return dir_ != nullptr; }
  // The entry names, without "." and "..", sorted (a sync reads in name
  // order, the same on every run). False on a read error.
  bool names(std::vector<std::string>& out) {
    errno = 0;
    while (const dirent* entry = ::readdir(dir_)) {
      const std::string_view name(entry->d_name);
      if (name != "." && name != "..") out.emplace_back(name);
      errno = 0;
    }
    std::sort(out.begin(), out.end());
    return errno == 0;
  }

 private:
  DIR* dir_;
};

FileIdentity identity_of(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::uint64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::string error_text(int error) { return std::strerror(error); }

std::string unreadable_message(int error) {
  std::string message = "could not be read: " + error_text(error);
  if (error == EACCES || error == EPERM) {
    message +=
        " (check its owner and mode: a transcript written under sudo belongs to root; it is "
        "read again on the next sync)";
  }
  return message;
}

// Walks one agent folder, following symbolic links. A folder is walked once
// (by device and inode): a link back to a folder being walked is a loop, a
// second path to a folder already walked is reported as such.
class Walker {
 public:
  Walker(const AgentFolder& agent, HomeListing& listing) : agent_(agent), listing_(listing) {}

  void walk(const std::string& root) {
    root_ = root;
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0) return;
    walk_folder(root, st);
  }

 private:
  using Key = std::pair<std::uint64_t, std::uint64_t>;

  void report(const std::string& path, Trouble trouble, std::string message) {
    Found found;
    found.path = path;
    found.agent = &agent_;
    found.trouble = trouble;
    found.message = std::move(message);
    listing_.found.push_back(std::move(found));
  }

  void walk_folder(const std::string& path, const struct stat& st) {
    const Key key{st.st_dev, st.st_ino};
    if (std::find(open_.begin(), open_.end(), key) != open_.end()) {
      report(path, Trouble::Loop,
             "a symbolic link to a folder that contains it: not walked again (the loop is cut "
             "here; the folder's files are read once, under its first path)");
      return;
    }
    if (!walked_.insert(key).second) {
      report(path, Trouble::SameFolder,
             "the same folder as another path already walked (a symbolic link): its files are "
             "read once, under the first path");
      return;
    }
    Dir dir(path);
    std::vector<std::string> names;
    if (!dir || !dir.names(names)) {
      report(path, Trouble::Unreadable, "this folder " + unreadable_message(errno));
      return;
    }
    open_.push_back(key);
    std::string child;
    for (const std::string& name : names) {
      child.assign(path).append(1, '/').append(name);
      visit(child);
    }
    open_.pop_back();
  }

  void visit(const std::string& path) {
    struct stat link {};
    if (::lstat(path.c_str(), &link) != 0) {
      if (errno != ENOENT) report(path, Trouble::Unreadable, unreadable_message(errno));
      return;  // gone since the folder was listed: nothing to read
    }
    struct stat st = link;
    if (S_ISLNK(link.st_mode) && ::stat(path.c_str(), &st) != 0) {
      report(path, Trouble::BrokenLink,
             "a symbolic link to nothing (" + error_text(errno) + "): fix or remove it");
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      walk_folder(path, st);
      return;
    }
    const std::string_view relative = std::string_view(path).substr(root_.size());
    if (!agent_.is_transcript(relative)) {
      ++listing_.ignored;
      return;
    }
    if (!S_ISREG(st.st_mode)) {
      report(path, Trouble::NotAFile, "named like a transcript, but not a regular file");
      return;
    }
    Found found;
    found.path = path;
    found.agent = &agent_;
    found.identity = identity_of(st);
    listing_.found.push_back(std::move(found));
  }

  const AgentFolder& agent_;
  HomeListing& listing_;
  std::string root_;
  std::vector<Key> open_;  // the folders on the current path
  std::set<Key> walked_;
};

// A database agent's folder: its databases are entries of the folder itself
// (its other entries, such as OpenCode's snapshot/ with a git repository per
// project, are never walked), plus those the agent lists elsewhere.
void list_databases(const AgentFolder& agent, const std::string& home, const std::string& root,
                    HomeListing& listing) {
  std::vector<std::string> paths;
  Dir dir(root);
  std::vector<std::string> names;
  if (!dir || !dir.names(names)) {
    Found found;
    found.path = root;
    found.agent = &agent;
    found.trouble = Trouble::Unreadable;
    found.message = "this folder " + unreadable_message(errno);
    listing.found.push_back(std::move(found));
    return;
  }
  for (const std::string& name : names) {
    if (agent.is_transcript("/" + name)) {
      std::string path = root;
      path += '/';
      path += name;
      paths.push_back(std::move(path));
    } else {
      ++listing.ignored;
    }
  }
  const std::size_t picked = paths.size();  // the ones after: listed by the agent
  std::vector<std::string> problems(picked);
  if (agent.locate != nullptr) {
    for (Located& located : agent.locate(home)) {
      paths.push_back(std::move(located.path));
      problems.push_back(std::move(located.problem));
    }
  }
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    Found found;
    found.path = path;
    found.agent = &agent;
    struct stat st {};
    if (!problems[i].empty()) {
      found.trouble = Trouble::Unreadable;
      found.message = problems[i];
    } else if (::stat(path.c_str(), &st) != 0) {
      const int error = errno;
      if (error == ENOENT && i < picked) continue;  // gone since the folder was listed
      found.trouble = error == ENOENT ? Trouble::Vanished : Trouble::Unreadable;
      found.message = error == ENOENT ? "is listed by the agent as a project's database, but is "
                                        "not there (a project moved or deleted?); nothing of it "
                                        "was read"
                                      : unreadable_message(error);
    } else if (!S_ISREG(st.st_mode)) {
      found.trouble = Trouble::NotAFile;
      found.message = "named like the agent's database, but not a regular file";
    } else {
      found.identity = identity_of(st);
    }
    listing.found.push_back(std::move(found));
  }
}

}  // namespace

std::string_view trouble_code(Trouble trouble) noexcept {
  switch (trouble) {
    case Trouble::None:
      return "READ";
    case Trouble::Unreadable:
      return "UNREADABLE";
    case Trouble::Vanished:
      return "VANISHED";
    case Trouble::TooBig:
      return "TOO_BIG";
    case Trouble::NotAFile:
      return "NOT_A_FILE";
    case Trouble::BrokenLink:
      return "BROKEN_LINK";
    case Trouble::Loop:
      return "LOOP";
    case Trouble::SameFolder:
      return "SAME_FOLDER";
    case Trouble::NotRecognised:
      return "NOT_RECOGNISED";
  }
  return "UNREADABLE";
}

HomeListing list_home(const std::string& home) {
  struct stat st {};
  const bool exists = ::stat(home.c_str(), &st) == 0;
  if (!exists || !S_ISDIR(st.st_mode)) {
    throw InputError("home '" + home + "' is not a folder" +
                     (exists ? std::string() : " (" + error_text(errno) + ")") +
                     ": give the home folder whose agents' transcripts to archive");
  }
  HomeListing listing;
  std::string looked_for;
  for (const AgentFolder& agent : agent_folders()) {
    const std::string root = home + "/" + std::string(agent.folder);
    looked_for += (looked_for.empty() ? "" : ", ") + std::string(agent.folder);
    struct stat folder {};
    if (::stat(root.c_str(), &folder) != 0 || !S_ISDIR(folder.st_mode)) continue;
    listing.folders_present.push_back(root);
    if (agent.kind == AgentKind::Database) {
      list_databases(agent, home, root, listing);
      continue;
    }
    // Each agent folder is walked on its own: a folder two agents share
    // would be read by each.
    Walker(agent, listing).walk(root);
  }
  if (listing.folders_present.empty()) {
    throw InputError("home '" + home + "' has none of the agents' folders (looked for " +
                     looked_for +
                     "): is it the home folder itself (not ~/.claude), and spelled right?");
  }
  std::stable_sort(listing.found.begin(), listing.found.end(),
                   [](const Found& a, const Found& b) { return a.path < b.path; });
  return listing;
}

bool needs_read(const std::optional<LastRead>& last, const FileIdentity& now) {
  if (!last || !last->complete) return true;
  const FileIdentity& was = last->identity;
  if (was.device != now.device || was.inode != now.inode || was.size != now.size ||
      was.mtime_ns != now.mtime_ns) {
    return true;
  }
  // (Compared without adding to mtime_ns: an agent database's change time
  // may be as late as an int64 of nanoseconds holds.)
  return now.mtime_ns > last->read_at_ns - kSettleNanoseconds;
}

FileRead read_file(const std::string& path, std::uint64_t max_bytes) {
  FileRead read;
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    read.trouble = errno == ENOENT ? Trouble::Vanished : Trouble::Unreadable;
    read.message = errno == ENOENT ? "gone since the folder was listed (it is read when it is "
                                     "back)"
                                   : unreadable_message(errno);
    return read;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    read.trouble = Trouble::Unreadable;
    read.message = unreadable_message(errno);
    return read;
  }
  read.identity = identity_of(st);
  if (read.identity.size > max_bytes) {
    read.trouble = Trouble::TooBig;
    read.message = std::to_string(read.identity.size) + " bytes, more than max_file_bytes (" +
                   std::to_string(max_bytes) + "): raise max_file_bytes to read it";
    return read;
  }
  // Read to the end: an agent may still be appending.
  read.data.resize(static_cast<std::size_t>(read.identity.size) + 1);
  std::size_t used = 0;
  while (true) {
    if (used == read.data.size()) read.data.resize(read.data.size() * 2);
    const ssize_t n = ::read(fd.get(), read.data.data() + used, read.data.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read.trouble = Trouble::Unreadable;
      read.message = unreadable_message(errno);
      read.data.clear();
      return read;
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    if (used > max_bytes) {
      read.trouble = Trouble::TooBig;
      read.message = "grew past max_file_bytes (" + std::to_string(max_bytes) +
                     ") while it was read: raise max_file_bytes to read it";
      read.data.clear();
      return read;
    }
  }
  read.data.resize(used);
  read.identity.size = used;
  return read;
}

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace lethe::sync
