#include "sync/agents.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/text.hpp"
#include "parse/json_scan.hpp"

namespace lethe::sync {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool jsonl_file(std::string_view path) { return ends_with(path, ".jsonl"); }

// Gemini CLI keeps logs.json and checkpoints beside its chats: only
// <project hash>/chats/ holds sessions (.json, and .jsonl since 0.39).
bool gemini_chat(std::string_view path) {
  return contains(path, "/chats/") && (ends_with(path, ".json") || ends_with(path, ".jsonl"));
}

// Qwen Code: <project>/chats/<session>.jsonl, and chats/archive/.
bool qwen_chat(std::string_view path) {
  return contains(path, "/chats/") && ends_with(path, ".jsonl");
}

// Copilot CLI: <session>/events.jsonl, or the older flat <session>.jsonl;
// a session's folder holds other files too (its workspace, checkpoints).
bool copilot_events(std::string_view path) {
  const bool flat = path.find('/', 1) == std::string_view::npos;
  return ends_with(path, "/events.jsonl") || (flat && ends_with(path, ".jsonl"));
}

// Cursor CLI: <workspace>/agent-transcripts/<id>/<id>.jsonl (sub-agents
// below it); a workspace folder holds other state.
bool cursor_transcript(std::string_view path) {
  return contains(path, "/agent-transcripts/") && ends_with(path, ".jsonl");
}

// OpenCode: <data>/opencode.db (XDG_DATA_HOME, by default ~/.local/share/
// opencode); a release channel other than latest/beta keeps
// opencode-<channel>.db beside it. Not the -wal/-shm files.
bool opencode_database(std::string_view name) {
  return name == "/opencode.db" || (starts_with(name, "/opencode-") && ends_with(name, ".db"));
}

// Goose: <data>/sessions/sessions.db (~/.local/share/goose on Linux and
// macOS). Not the -wal/-shm files, nor the .jsonl sessions of goose before
// 1.10 (it imports them into the database itself).
bool goose_database(std::string_view name) { return name == "/sessions.db"; }

// Crush keeps one database per project, <project>/.crush/crush.db (the
// project's data_directory option may move it), and lists the projects in
// ~/.local/share/crush/projects.json: {"projects": [{"path", "data_dir",
// "last_accessed"}]}.
constexpr const char* kCrushProjects = "/.local/share/crush/projects.json";
constexpr std::size_t kMaxProjectsBytes = std::size_t{16} << 20;

bool no_database(std::string_view) { return false; }

std::string crush_database(const std::string& project, const std::string& data_dir) {
  if (data_dir.empty()) return project + "/.crush/crush.db";
  if (data_dir.front() == '/') return data_dir + "/crush.db";
  return project + "/" + data_dir + "/crush.db";
}

std::vector<Located> crush_projects(const std::string& home) {
  const std::string list = home + kCrushProjects;
  struct stat st {};
  if (::stat(list.c_str(), &st) != 0 && errno == ENOENT) return {};  // Crush has not run here
  std::ifstream in(list, std::ios::binary);
  if (!in || !S_ISREG(st.st_mode)) {
    return {{list, std::string("the list of Crush's projects could not be read") +
                       (in ? ": not a regular file" : ": " + std::string(std::strerror(errno))) +
                       " (check its owner and mode); no project of it was read"}};
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string text = bytes.str();
  const auto shape_problem = [&](const std::string& why) {
    return std::vector<Located>{{list,
                                 "is not the list of projects Crush writes ({\"projects\": "
                                 "[{\"path\", \"data_dir\"}]}): " +
                                     why + "; no project of it was read"}};
  };
  json::ScanError error;
  if (text.size() > kMaxProjectsBytes) return shape_problem("larger than 16 MiB");
  if (!json::scan_object(
          text, [](std::string_view, const json::Value&) {}, error)) {
    return shape_problem(error.message);
  }
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  const auto projects = doc.find("projects");
  if (projects == doc.end() || !(projects->is_array() || projects->is_null())) {
    return shape_problem("no \"projects\" array");
  }
  std::vector<Located> found;
  std::set<std::string> seen;
  if (projects->is_null()) return found;
  for (const nlohmann::json& project : *projects) {
    const auto path = project.is_object() ? project.find("path") : project.end();
    const auto data_dir = project.is_object() ? project.find("data_dir") : project.end();
    const bool has_dir = data_dir != project.end() && data_dir->is_string();
    if (!project.is_object() || path == project.end() || !path->is_string() ||
        (path->get_ref<const std::string&>().empty() && !has_dir)) {
      found.push_back(
          {list, "names a project without its path: " +
                     project.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                     "; the other projects are read"});
      continue;
    }
    std::string database =
        crush_database(*path, has_dir ? data_dir->get<std::string>() : std::string());
    if (seen.insert(database).second) found.push_back({std::move(database), ""});
  }
  return found;
}

}  // namespace

const std::vector<AgentFolder>& agent_folders() {
  static const std::vector<AgentFolder> folders = {
      {Format::ClaudeCode, ".claude/projects", jsonl_file},
      {Format::Codex, ".codex/sessions", jsonl_file},
      {Format::Codex, ".codex/archived_sessions", jsonl_file},
      {Format::GeminiCli, ".gemini/tmp", gemini_chat},
      {Format::QwenCode, ".qwen/projects", qwen_chat},
      {Format::CopilotCli, ".copilot/session-state", copilot_events},
      {Format::CursorCli, ".cursor/projects", cursor_transcript},
      {Format::OpenCode, ".local/share/opencode", opencode_database, AgentKind::Database},
      {Format::Goose, ".local/share/goose/sessions", goose_database, AgentKind::Database},
      {Format::Crush, ".local/share/crush", no_database, AgentKind::Database, crush_projects},
  };
  return folders;
}

}  // namespace lethe::sync
