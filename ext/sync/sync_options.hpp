// The options of lethe_sync (a JSON object; no value is ever read as SQL).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lethe::sync {

// Files larger than this are reported (TOO_BIG), not read: the whole file is
// held in memory while it is ingested.
inline constexpr std::uint64_t kDefaultMaxFileBytes = std::uint64_t{1} << 30;

struct SyncOptions {
  std::optional<std::string> host;   // nullopt: as the home was first synced, else the machine's
  std::optional<std::string> owner;  // nullopt: as the home was first synced, else the login name
  std::uint64_t max_file_bytes = kDefaultMaxFileBytes;
};

// Throws InputError naming the problem.
SyncOptions parse_sync_options(std::string_view json_text);

// The login name of the user running lethe (getpwuid(geteuid())), the
// default owner; "unknown" when the system has none.
std::string login_name();

}  // namespace lethe::sync
