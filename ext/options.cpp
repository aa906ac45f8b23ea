#include "options.hpp"

#include <limits>
#include <nlohmann/json.hpp>

namespace lethe {

bool is_valid_utf8(std::string_view s) {
  // Reuse nlohmann's UTF-8 check by round-tripping through a JSON string
  // would cost an allocation; a direct check is short.
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t length = 1;
    unsigned char lo = 0x80, hi = 0xBF;
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      const unsigned char min = k == 1 ? lo : 0x80;
      const unsigned char max = k == 1 ? hi : 0xBF;
      if (b < min || b > max) return false;
    }
    i += length;
  }
  return true;
}

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

bool apply_option(const std::string& key, const json& value, IngestOptions& options,
                  std::string& problem) {
  if (key == "max_line_bytes") {
    const auto n = whole_number(value, 1);
    if (!n || *n > std::numeric_limits<std::size_t>::max()) {
      problem = "options.max_line_bytes must be an integer >= 1, got " + value.dump();
      return false;
    }
    options.max_line_bytes = static_cast<std::size_t>(*n);
  } else if (key == "max_errors") {
    if (value.is_null()) {
      options.max_errors.reset();
      return true;
    }
    const auto n = whole_number(value, 0);
    if (!n) {
      problem = "options.max_errors must be an integer >= 0 or null, got " + value.dump();
      return false;
    }
    options.max_errors = *n;
  } else if (key == "dry_run") {
    if (!value.is_boolean()) {
      problem = "options.dry_run must be true or false, got " + value.dump();
      return false;
    }
    options.dry_run = value.get<bool>();
  } else {
    problem = "unknown option \"" + key + "\" (known: max_line_bytes, max_errors, dry_run)";
    return false;
  }
  return true;
}

}  // namespace

std::optional<IngestOptions> parse_options(std::string_view json_text, std::string& problem) {
  // Parse without exceptions: a malformed options string is a user error.
  const json parsed = json::parse(json_text.begin(), json_text.end(),
                                  /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    problem = "options must be a JSON object such as {\"dry_run\": true}";
    return std::nullopt;
  }
  IngestOptions options;
  for (const auto& [key, value] : parsed.items()) {
    if (!apply_option(key, value, options, problem)) return std::nullopt;
  }
  return options;
}

std::string check_owner_text(std::string_view owner) {
  if (owner.empty() || owner.size() > 256) {
    return "owner must be 1 to 256 bytes of text, got " + std::to_string(owner.size()) + " bytes";
  }
  if (!is_valid_utf8(owner)) return "owner must be valid UTF-8";
  for (char c : owner) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return "owner must not contain control characters";
  }
  return {};
}

}  // namespace lethe
