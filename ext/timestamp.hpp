// RFC 3339 timestamp normalization to a fixed-width UTC form.
#ifndef LETHE_EXT_TIMESTAMP_HPP_
#define LETHE_EXT_TIMESTAMP_HPP_

#include <array>
#include <optional>
#include <string_view>

namespace lethe {

// A normalized UTC time "YYYY-MM-DDTHH:MM:SS.sssZ": always exactly 24 chars.
using NormalizedTime = std::array<char, 24>;

// Parses an RFC 3339 date-time and converts it to UTC. Returns nullopt when the
// text is not accepted (see rules). No allocation, no exceptions, noexcept.
std::optional<NormalizedTime> normalize_rfc3339(std::string_view text) noexcept;

}  // namespace lethe

#endif  // LETHE_EXT_TIMESTAMP_HPP_
