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

}  // namespace

const std::vector<AgentFolder>& agent_folders() {
  static const std::vector<AgentFolder> folders = {
      {Format::ClaudeCode, ".claude/projects", jsonl_file},
      {Format::Codex, ".codex/sessions", jsonl_file},
      {Format::Codex, ".codex/archived_sessions", jsonl_file},
      {Format::GeminiCli, ".gemini/tmp", gemini_chat},
  };
  return folders;
}

}  // namespace lethe::sync
