#include "sync/agents.hpp"

#include "common/text.hpp"

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
  };
  return folders;
}

}  // namespace lethe::sync
