#include "sync/sync_options.hpp"

#include <pwd.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "common/errors.hpp"
#include "parse/options.hpp"

namespace lethe::sync {

namespace {

std::string shown(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

SyncOptions parse_sync_options(std::string_view json_text) {
  using nlohmann::json;
  const json parsed = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw InputError("options must be a JSON object such as {\"host\": \"laptop\"}");
  }
  SyncOptions options;
  for (const auto& [key, value] : parsed.items()) {
    if (key == "host") {
      if (!value.is_string() || !is_host_text(value.get<std::string>())) {
        throw InputError("options.host must be text of 1 to 256 bytes without control characters");
      }
      options.host = value.get<std::string>();
    } else if (key == "owner") {
      if (!value.is_string()) throw InputError("options.owner must be text, got " + shown(value));
      check_owner_text(value.get<std::string>());
      options.owner = value.get<std::string>();
    } else if (key == "max_file_bytes") {
      if (!value.is_number_unsigned() || value.get<std::uint64_t>() == 0) {
        throw InputError("options.max_file_bytes must be an integer >= 1, got " + shown(value));
      }
      options.max_file_bytes = value.get<std::uint64_t>();
    } else {
      throw InputError("unknown option \"" + key + "\" (known: host, owner, max_file_bytes)");
    }
  }
  return options;
}

std::string login_name() {
  const long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(::geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr && found->pw_name != nullptr && found->pw_name[0] != '\0') {
    return found->pw_name;
  }
  return "unknown";
}

}  // namespace lethe::sync
