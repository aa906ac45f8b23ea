// RFC 3339 timestamp normalization to a fixed-width UTC form.
#ifndef LETHE_EXT_TIMESTAMP_HPP_
#define LETHE_EXT_TIMESTAMP_HPP_

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace lethe {

// A normalized UTC time "YYYY-MM-DDTHH:MM:SS.sssZ": always exactly 24 chars.
using NormalizedTime = std::array<char, 24>;

// Why a text is not an accepted date-time (contract section 4). The message
// must say a date does not exist when it doesn't, not that it is malformed.
enum class TimeProblem {
  None,
  Malformed,       // not the accepted form at all
  SpaceSeparator,  // a space where the 'T' goes
  NoTimeZone,      // the text ends after the time
  NoSuchMonth,     // month 00 or 13..99
  NoSuchDay,       // day 00, February 30th, February 29th outside leap years, ...
  NoSuchHour,      // hour 24..99
  NoSuchMinute,    // minute 60..99
  LeapSecond,      // second 60
  NoSuchSecond,    // second 61..99
  NoSuchOffset,    // offset hour > 23 or minute > 59
  OutOfRange,      // the UTC year falls outside 0001..9999
};

struct TimeResult {
  std::optional<NormalizedTime> time;  // set exactly when problem is None
  TimeProblem problem = TimeProblem::None;
};

// Parses an RFC 3339 date-time and converts it to UTC, or says why the text is
// not accepted. No allocation, no exceptions.
TimeResult check_rfc3339(std::string_view text) noexcept;

// check_rfc3339's time alone, for callers that don't report why.
std::optional<NormalizedTime> normalize_rfc3339(std::string_view text) noexcept;

// The rest of a sentence that starts with the field's name, saying what is
// wrong with `text` ("names a date that does not exist: February 2026 has 28
// days"); empty when the text is accepted.
std::string describe_time_problem(std::string_view text);

}  // namespace lethe

#endif  // LETHE_EXT_TIMESTAMP_HPP_
