// The arguments of a call (contract section 1, "Arguments"). Anything wrong
// here is a batch error: the call fails before it reads a line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/errors.hpp"

namespace lethe {

// How `data` is read (adapters contract section 1): wire lines, or the
// files an agent writes, named or detected from the first non-blank line.
// OpenCode, Goose and Crush keep a SQLite database: their format is the
// lines lethe exports from it (write/agent_db.hpp), one session at a time.
enum class Format {
  Wire,
  Auto,
  ClaudeCode,
  Codex,
  GeminiCli,
  QwenCode,
  CopilotCli,
  CursorCli,
  OpenCode,
  Goose,
  Crush
};

// Whether the agent keeps a database (its format is lethe's export of it).
bool is_database_format(Format format) noexcept;

// The format a name ("opencode", "claude-code", ...) names; nullopt if none.
std::optional<Format> format_named(std::string_view name);

// The option value and the produced lines' `tool`: "wire", "claude-code", ...
std::string_view format_name(Format format) noexcept;

// Which function the options are for: they differ only in the default format.
enum class OptionsFor { Ingest, Convert };

inline constexpr std::size_t kDefaultMaxFieldBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMinMaxFieldBytes = 1024;

struct IngestOptions {
  std::size_t max_line_bytes = std::size_t{8} * 1024 * 1024;
  std::optional<std::uint64_t> max_errors;  // nullopt: no limit
  bool dry_run = false;
  // Native formats only (a wire line carries its own host).
  Format format = Format::Wire;
  std::optional<std::string> host;  // nullopt: the machine's host name
  std::optional<std::string> source_file;
  std::size_t max_field_bytes = kDefaultMaxFieldBytes;
  // Set only by lethe_sync, never from a call's options: every line of the
  // input is one JSON object lethe's scanner accepted already (an agent
  // database's export, checked as write/agent_db.cpp built it), so a
  // native reader builds each line's DOM without scanning it again.
  bool lines_scanned = false;
};

// The options of a call that passes none.
IngestOptions default_options(OptionsFor call);

// Parses the `options` argument (a JSON object, already known to be TEXT).
// Throws InputError with a sentence for the batch error.
IngestOptions parse_options(std::string_view json_text, OptionsFor call = OptionsFor::Ingest);

// The rule of a wire line's host: 1..256 bytes of valid UTF-8 without
// control characters.
bool is_host_text(std::string_view host);

// The owner argument's text rule: 1..256 bytes of valid UTF-8 without
// control characters. Throws InputError naming the problem.
void check_owner_text(std::string_view owner);

}  // namespace lethe
