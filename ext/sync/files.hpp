// The file system side of a sync: finding an agent's transcripts under a
// home folder (symlinks followed, loops detected, any name kept as its
// bytes), telling a changed file from an unchanged one, and reading a file
// once. No SQLite here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/agents.hpp"

namespace lethe::sync {

// What identifies a version of a file: a rewrite changes the inode, an
// append the size, an edit in place the time (in nanoseconds).
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

// Why a path that should have been read was not.
enum class Trouble {
  None,
  Unreadable,    // permission, or an I/O error
  Vanished,      // gone between being listed and being read
  TooBig,        // larger than max_file_bytes
  NotAFile,      // a FIFO, socket or device named like a transcript
  BrokenLink,    // a symbolic link to nothing
  Loop,          // a symbolic link to a folder that contains it
  SameFolder,    // a folder already walked under another path
  NotRecognised  // its contents are another agent's or no agent's format
};

std::string_view trouble_code(Trouble trouble) noexcept;

// One path found under an agent folder: a transcript to consider, or a
// path that could not be walked or read (with why).
struct Found {
  std::string path;  // bytes as the file system has them
  const AgentFolder* agent = nullptr;
  FileIdentity identity;
  Trouble trouble = Trouble::None;
  std::string message;  // for a trouble: what happened and what to do
};

struct HomeListing {
  std::vector<std::string> folders_present;  // the agent folders that exist
  std::vector<Found> found;                  // sorted by path
  std::uint64_t ignored = 0;                 // other files in agent folders
};

// Lists every transcript of every agent folder under `home`. Throws
// InputError when `home` is not a folder, or holds none of the agent
// folders (the message names the folders looked for).
HomeListing list_home(const std::string& home);

// Whether a file must be read again: it is new, its last read failed, or
// anything that identifies its version moved. A file changed less than
// kSettleNanoseconds before the last read began may have changed again in
// the same clock tick (file times are coarse), so it is read again too.
inline constexpr std::int64_t kSettleNanoseconds = 2'000'000'000;
struct LastRead {
  FileIdentity identity;
  std::int64_t read_at_ns = 0;  // when that read began (wall clock)
  bool complete = false;        // the file was read and ingested
};
bool needs_read(const std::optional<LastRead>& last, const FileIdentity& now);

// A file's contents, read once: the identity comes from the open file (so
// it is the version read), and the contents are read to the end whatever
// size it had when listed.
struct FileRead {
  std::string data;
  FileIdentity identity;
  Trouble trouble = Trouble::None;
  std::string message;
};
FileRead read_file(const std::string& path, std::uint64_t max_bytes);

// The wall clock in nanoseconds since 1970.
std::int64_t now_ns();

}  // namespace lethe::sync
