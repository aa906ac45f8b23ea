// Where each agent keeps its transcripts under a home folder, and which of
// the files there are transcripts. lethe_sync reads every folder listed here:
// an agent added to this table is found by the same statement.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "parse/options.hpp"

namespace lethe::sync {

// Files: the agent writes one file per session somewhere under `folder`.
// Database: the agent keeps its sessions in SQLite databases, found in
// `folder` itself (not below it) by `is_transcript`, or listed by `locate`.
enum class AgentKind { Files, Database };

struct AgentFolder {
  Format format;
  std::string_view folder;  // relative to the home folder
  // Files: whether a file under `folder` (its path relative to `folder`,
  // starting with '/') is one of the agent's transcripts; other files there
  // (logs, checkpoints, notes) are not read. Database: whether an entry of
  // `folder` (its name, "/opencode.db") is one of the agent's databases.
  bool (*is_transcript)(std::string_view relative_path);
  AgentKind kind = AgentKind::Files;
  // Database only, optional: the agent's databases that `folder` lists
  // (Crush: a projects file naming each project's database), in addition to
  // those `is_transcript` picks. Each is reported when it can't be read,
  // missing included: the agent said it is there.
  std::vector<struct Located> (*locate)(const std::string& home) = nullptr;
};

// A database an agent lists (AgentFolder::locate): its absolute path, or,
// when the list itself can't be read, the list's path and why.
struct Located {
  std::string path;
  std::string problem;  // empty: a database to read
};

// Every agent folder lethe knows, in the order a sync reads them.
const std::vector<AgentFolder>& agent_folders();

}  // namespace lethe::sync
