// Where each agent keeps its transcripts under a home folder, and which of
// the files there are transcripts. lethe_sync reads every folder listed here:
// an agent added to this table is found by the same statement.
#pragma once

#include <string_view>
#include <vector>

#include "parse/options.hpp"

namespace lethe::sync {

struct AgentFolder {
  Format format;
  std::string_view folder;  // relative to the home folder
  // Whether a file under `folder` (its path relative to `folder`) is one of
  // the agent's transcripts; other files there (logs, checkpoints, notes)
  // are not read.
  bool (*is_transcript)(std::string_view relative_path);
};

// Every agent folder lethe knows, in the order a sync reads them.
const std::vector<AgentFolder>& agent_folders();

}  // namespace lethe::sync
