#include "parse/options.hpp"

#include <limits>
#include <nlohmann/json.hpp>

#include "common/text.hpp"

namespace lethe {

namespace {

using nlohmann::json;

// A JSON integer (not 1.0) within [minimum, max of uint64].
std::optional<std::uint64_t> whole_number(const json& value, std::uint64_t minimum) {
  if (value.is_number_unsigned()) {
    const auto n = value.get<std::uint64_t>();
    if (n >= minimum) return n;
  } else if (value.is_number_integer()) {
    const auto n = value.get<std::int64_t>();
    if (n >= 0 && static_cast<std::uint64_t>(n) >= minimum) {
      return static_cast<std::uint64_t>(n);
    }
  }
  return std::nullopt;
}

bool host_text_ok(const std::string& host) { return is_host_text(host); }

// The keys only a native format reads; seen[] records which were given.
enum NativeKey { kHost, kSourceFile, kMaxFieldBytes, kNativeKeys };
constexpr const char* kNativeKeyNames[kNativeKeys] = {"host", "source_file", "max_field_bytes"};

void apply_native_option(const std::string& key, const json& value, IngestOptions& options) {
  if (key == "format") {
    const auto format = value.is_string() ? format_named(value.get<std::string>()) : std::nullopt;
    if (!format) {
      throw InputError(
          "options.format must be one of \"wire\", \"auto\", \"claude-code\", \"codex\", "
          "\"gemini-cli\", \"qwen-code\", \"copilot-cli\", \"cursor-cli\", \"opencode\", "
          "\"goose\", \"crush\", got " +
          value.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    options.format = *format;
  } else if (key == "host") {
    if (!value.is_string() || !host_text_ok(value.get<std::string>())) {
      throw InputError("options.host must be text of 1 to 256 bytes without control characters");
    }
    options.host = value.get<std::string>();
  } else if (key == "source_file") {
    if (value.is_null()) {
      options.source_file.reset();
      return;
    }
    if (!value.is_string() || value.get<std::string>().size() > 4096) {
      throw InputError("options.source_file must be text of at most 4096 bytes or null");
    }
    options.source_file = value.get<std::string>();
  } else {  // max_field_bytes
    const auto n = whole_number(value, kMinMaxFieldBytes);
    if (!n || *n > std::numeric_limits<std::size_t>::max()) {
      throw InputError("options.max_field_bytes must be an integer >= 1024, got " +
                       value.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    options.max_field_bytes = static_cast<std::size_t>(*n);
  }
}

bool is_native_key(const std::string& key) {
  return key == "format" || key == "host" || key == "source_file" || key == "max_field_bytes";
}

void apply_option(const std::string& key, const json& value, IngestOptions& options) {
  if (is_native_key(key)) return apply_native_option(key, value, options);
  if (key == "max_line_bytes") {
    const auto n = whole_number(value, 1);
    if (!n || *n > std::numeric_limits<std::size_t>::max()) {
      throw InputError("options.max_line_bytes must be an integer >= 1, got " + value.dump());
    }
    options.max_line_bytes = static_cast<std::size_t>(*n);
  } else if (key == "max_errors") {
    if (value.is_null()) {
      options.max_errors.reset();
      return;
    }
    const auto n = whole_number(value, 0);
    if (!n) {
      throw InputError("options.max_errors must be an integer >= 0 or null, got " + value.dump());
    }
    options.max_errors = *n;
  } else if (key == "dry_run") {
    if (!value.is_boolean()) {
      throw InputError("options.dry_run must be true or false, got " + value.dump());
    }
    options.dry_run = value.get<bool>();
  } else {
    throw InputError("unknown option \"" + key +
                     "\" (known: max_line_bytes, max_errors, dry_run, format, host, source_file, "
                     "max_field_bytes)");
  }
}

}  // namespace

std::string_view format_name(Format format) noexcept {
  switch (format) {
    case Format::Wire:
      return "wire";
    case Format::Auto:
      return "auto";
    case Format::ClaudeCode:
      return "claude-code";
    case Format::Codex:
      return "codex";
    case Format::GeminiCli:
      return "gemini-cli";
    case Format::QwenCode:
      return "qwen-code";
    case Format::CopilotCli:
      return "copilot-cli";
    case Format::CursorCli:
      return "cursor-cli";
    case Format::OpenCode:
      return "opencode";
    case Format::Goose:
      return "goose";
    case Format::Crush:
      return "crush";
  }
  return "wire";
}

bool is_database_format(Format format) noexcept {
  return format == Format::OpenCode || format == Format::Goose || format == Format::Crush;
}

std::optional<Format> format_named(std::string_view name) {
  for (Format f : {Format::Wire, Format::Auto, Format::ClaudeCode, Format::Codex, Format::GeminiCli,
                   Format::QwenCode, Format::CopilotCli, Format::CursorCli, Format::OpenCode,
                   Format::Goose, Format::Crush}) {
    if (format_name(f) == name) return f;
  }
  return std::nullopt;
}

IngestOptions default_options(OptionsFor call) {
  IngestOptions options;
  options.format = call == OptionsFor::Convert ? Format::Auto : Format::Wire;
  return options;
}

IngestOptions parse_options(std::string_view json_text, OptionsFor call) {
  // Parse without exceptions: a malformed options string is a user error.
  const json parsed = json::parse(json_text.begin(), json_text.end(),
                                  /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw InputError("options must be a JSON object such as {\"dry_run\": true}");
  }
  IngestOptions options = default_options(call);
  bool native_key_given[kNativeKeys] = {};
  for (const auto& [key, value] : parsed.items()) {
    apply_option(key, value, options);
    for (int k = 0; k < kNativeKeys; ++k) native_key_given[k] |= key == kNativeKeyNames[k];
  }
  if (options.format == Format::Wire) {
    for (int k = 0; k < kNativeKeys; ++k) {
      if (!native_key_given[k]) continue;
      throw InputError(std::string("options.") + kNativeKeyNames[k] +
                       " applies only to a native format: a wire line carries its own host and "
                       "source file (set options.format)");
    }
  }
  return options;
}

bool is_host_text(std::string_view host) {
  return !host.empty() && host.size() <= 256 && is_valid_utf8(host) && !has_control_character(host);
}

void check_owner_text(std::string_view owner) {
  if (owner.empty() || owner.size() > 256) {
    throw InputError("owner must be 1 to 256 bytes of text, got " + std::to_string(owner.size()) +
                     " bytes");
  }
  if (!is_valid_utf8(owner)) throw InputError("owner must be valid UTF-8");
  if (has_control_character(owner)) throw InputError("owner must not contain control characters");
}

}  // namespace lethe
