// RFC 3339 parsing and UTC normalization (project contract, section 4).
//
// The parser works on fixed positions: every field of the accepted grammar
// has a fixed width except the optional fraction, so a single left-to-right
// cursor with exact-width digit reads is enough and rejects anything extra.
#include "parse/timestamp.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace lethe {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
constexpr std::size_t kMaxFractionDigits = 9;

// The fields of an accepted input, before any time zone conversion.
struct ParsedTime {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  // Milliseconds already truncated from the fraction (0..999).
  int millis = 0;
  // Signed offset east of UTC in minutes (local = UTC + offset).
  int offset_minutes = 0;
};

// A civil (proleptic Gregorian) date.
struct CivilDate {
  std::int64_t year;
  int month;
  int day;
};

// Deliberately locale-independent: std::isdigit may accept other characters
// under some locales, and the contract demands ASCII digits only.
constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Small cursor over the input; every read either consumes exactly what it
// promises or reports failure, so the caller never sees partial fields.
class Cursor {
 public:
  explicit constexpr Cursor(std::string_view text) noexcept : text_(text) {}

  bool at_end() const noexcept { return pos_ == text_.size(); }

  // Reads exactly `width` ASCII digits as a non-negative number.
  bool read_fixed(std::size_t width, int& out) noexcept {
    if (text_.size() - pos_ < width) return false;
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const char c = text_[pos_ + i];
      if (!is_ascii_digit(c)) return false;
      value = value * 10 + (c - '0');
    }
    pos_ += width;
    out = value;
    return true;
  }

  // Consumes exactly the character `c`.
  bool expect(char c) noexcept {
    if (at_end() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  // Returns the current character without consuming it ('\0' at the end; a
  // literal NUL in the input can never match any grammar token either way).
  char peek() const noexcept { return at_end() ? '\0' : text_[pos_]; }

  void advance() noexcept { ++pos_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

constexpr bool is_leap_year(int year) noexcept {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr int days_in_month(int year, int month) noexcept {
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (month == 2 && is_leap_year(year)) ? 29 : kDays[month - 1];
}

// Days since 1970-01-01 for a proleptic Gregorian date. Counting years from
// March makes the leap day the last day of the (shifted) year, so the day of
// the year is a closed formula; 400-year eras make the leap rule periodic.
constexpr std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
  y -= (m <= 2) ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t year_of_era = y - era * 400;                 // [0, 399]
  const int shifted_month = m > 2 ? m - 3 : m + 9;                // Mar = 0
  const int day_of_year = (153 * shifted_month + 2) / 5 + d - 1;  // [0, 365]
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0,146096]
  return era * 146097 + day_of_era - 719468;
}

// Inverse of days_from_civil, using the same March-based era decomposition.
constexpr CivilDate civil_from_days(std::int64_t days) noexcept {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;  // [0, 146096]
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) /
      365;  // [0, 399]
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int shifted_month = static_cast<int>((5 * day_of_year + 2) / 153);
  const int day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  const int month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return CivilDate{year, month, day};
}

// Floor division: the minute count may be negative before 1970, and C++
// division truncates toward zero.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// "YYYY-MM-DDTHH:MM:SS": all fixed-width fields. A field of the right shape
// but out of range gets its own problem, so the message can say that the
// date or time does not exist rather than that the text is malformed.
TimeProblem parse_date_time(Cursor& cur, ParsedTime& out) noexcept {
  if (!cur.read_fixed(4, out.year) || !cur.expect('-') || !cur.read_fixed(2, out.month) ||
      !cur.expect('-') || !cur.read_fixed(2, out.day)) {
    return TimeProblem::Malformed;
  }
  // RFC 3339 allows 't' in place of 'T'; a space (ISO 8601 style) is refused.
  const char sep = cur.peek();
  if (sep != 'T' && sep != 't') {
    return sep == ' ' ? TimeProblem::SpaceSeparator : TimeProblem::Malformed;
  }
  cur.advance();
  if (!cur.read_fixed(2, out.hour) || !cur.expect(':') || !cur.read_fixed(2, out.minute) ||
      !cur.expect(':') || !cur.read_fixed(2, out.second)) {
    return TimeProblem::Malformed;
  }
  if (out.month < 1 || out.month > 12) return TimeProblem::NoSuchMonth;
  if (out.day < 1 || out.day > days_in_month(out.year, out.month)) return TimeProblem::NoSuchDay;
  if (out.hour > 23) return TimeProblem::NoSuchHour;
  if (out.minute > 59) return TimeProblem::NoSuchMinute;
  // Leap second 60 is rejected by contract: it has no unique UTC mapping here.
  if (out.second == 60) return TimeProblem::LeapSecond;
  if (out.second > 59) return TimeProblem::NoSuchSecond;
  return TimeProblem::None;
}

// Optional ".d{1,9}", truncated (never rounded) to milliseconds so that the
// result never moves into the next second, minute, or day.
bool parse_fraction(Cursor& cur, ParsedTime& out) noexcept {
  out.millis = 0;
  if (cur.peek() != '.') return true;
  cur.advance();
  std::size_t digits = 0;
  while (is_ascii_digit(cur.peek())) {
    if (digits < 3) out.millis = out.millis * 10 + (cur.peek() - '0');
    ++digits;
    cur.advance();
  }
  if (digits == 0 || digits > kMaxFractionDigits) return false;
  // Fewer than three digits still denote a fraction of a second: ".5" is 500.
  for (std::size_t i = digits; i < 3; ++i) out.millis *= 10;
  return true;
}

// "Z" / "z" or "+HH:MM" / "-HH:MM"; the zone is mandatory.
TimeProblem parse_offset(Cursor& cur, ParsedTime& out) noexcept {
  const char c = cur.peek();
  if (cur.at_end()) return TimeProblem::NoTimeZone;
  if (c == 'Z' || c == 'z') {
    cur.advance();
    out.offset_minutes = 0;
    return TimeProblem::None;
  }
  if (c != '+' && c != '-') return TimeProblem::Malformed;
  cur.advance();
  int hours = 0;
  int minutes = 0;
  if (!cur.read_fixed(2, hours) || !cur.expect(':') || !cur.read_fixed(2, minutes)) {
    return TimeProblem::Malformed;
  }
  if (hours > 23 || minutes > 59) return TimeProblem::NoSuchOffset;
  const int magnitude = hours * 60 + minutes;
  out.offset_minutes = (c == '-') ? -magnitude : magnitude;
  return TimeProblem::None;
}

// Writes `value` as exactly `width` zero-padded decimal digits.
void write_fixed(char* dst, std::size_t width, std::int64_t value) noexcept {
  for (std::size_t i = width; i > 0; --i) {
    dst[i - 1] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Every check of contract section 4 except the final year range, in the order
// of the text, so that the first problem is the one reported.
TimeProblem parse_rfc3339(std::string_view text, ParsedTime& t) noexcept {
  Cursor cur(text);
  if (const TimeProblem problem = parse_date_time(cur, t); problem != TimeProblem::None) {
    return problem;
  }
  if (!parse_fraction(cur, t)) return TimeProblem::Malformed;
  if (const TimeProblem problem = parse_offset(cur, t); problem != TimeProblem::None) {
    return problem;
  }
  return cur.at_end() ? TimeProblem::None : TimeProblem::Malformed;
}

}  // namespace

TimeResult check_rfc3339(std::string_view text) noexcept {
  ParsedTime t;
  TimeResult result;
  result.problem = parse_rfc3339(text, t);
  if (result.problem != TimeProblem::None) return result;

  // Seconds and milliseconds are unaffected by a whole-minute offset, so the
  // conversion only needs to move a minute count and rebuild the date.
  const std::int64_t local_minutes = days_from_civil(t.year, t.month, t.day) * kMinutesPerDay +
                                     std::int64_t{t.hour} * 60 + t.minute;
  const std::int64_t utc_minutes = local_minutes - t.offset_minutes;
  const std::int64_t utc_days = floor_div(utc_minutes, kMinutesPerDay);
  const std::int64_t minute_of_day = utc_minutes - utc_days * kMinutesPerDay;
  const CivilDate date = civil_from_days(utc_days);

  // Four output digits only: years 0 and 10000 cannot be represented.
  if (date.year < 1 || date.year > 9999) {
    result.problem = TimeProblem::OutOfRange;
    return result;
  }

  NormalizedTime& out = result.time.emplace();
  char* p = out.data();
  write_fixed(p + 0, 4, date.year);
  p[4] = '-';
  write_fixed(p + 5, 2, date.month);
  p[7] = '-';
  write_fixed(p + 8, 2, date.day);
  p[10] = 'T';
  write_fixed(p + 11, 2, minute_of_day / 60);
  p[13] = ':';
  write_fixed(p + 14, 2, minute_of_day % 60);
  p[16] = ':';
  write_fixed(p + 17, 2, t.second);
  p[19] = '.';
  write_fixed(p + 20, 3, t.millis);
  p[23] = 'Z';
  return result;
}

std::optional<NormalizedTime> normalize_rfc3339(std::string_view text) noexcept {
  return check_rfc3339(text).time;
}

namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

std::string two_digits(int value) {
  return std::string{static_cast<char>('0' + value / 10 % 10), static_cast<char>('0' + value % 10)};
}

}  // namespace

std::string describe_time_problem(std::string_view text) {
  constexpr std::string_view kForm =
      "an RFC 3339 date-time with a time zone, such as 2025-01-31T09:15:00.250Z";
  ParsedTime t;
  TimeProblem problem = parse_rfc3339(text, t);
  if (problem == TimeProblem::None) problem = check_rfc3339(text).problem;  // the UTC year
  switch (problem) {
    case TimeProblem::None:
      return {};
    case TimeProblem::SpaceSeparator:
      return "must have a 'T' between the date and the time, not a space (" + std::string(kForm) +
             ")";
    case TimeProblem::NoTimeZone:
      return "has no time zone: end it with Z for UTC or an offset such as +02:00 (" +
             std::string(kForm) + ")";
    case TimeProblem::NoSuchMonth:
      return "names a date that does not exist: there is no month " + two_digits(t.month);
    case TimeProblem::NoSuchDay:
      if (t.day < 1) return "names a date that does not exist: there is no day 00";
      return "names a date that does not exist: " +
             std::string(kMonthNames[static_cast<std::size_t>(t.month - 1)]) + " " +
             std::to_string(t.year) + " has " + std::to_string(days_in_month(t.year, t.month)) +
             " days";
    case TimeProblem::NoSuchHour:
      return "names a time that does not exist: hours go from 00 to 23 (24:00 is 00:00 of the "
             "next day)";
    case TimeProblem::NoSuchMinute:
      return "names a time that does not exist: minutes go from 00 to 59";
    case TimeProblem::LeapSecond:
      return "is a leap second (second 60), which is not accepted: seconds go from 00 to 59";
    case TimeProblem::NoSuchSecond:
      return "names a time that does not exist: seconds go from 00 to 59";
    case TimeProblem::NoSuchOffset:
      return "has a time zone offset that does not exist: its hours go from 00 to 23 and its "
             "minutes from 00 to 59";
    case TimeProblem::OutOfRange:
      return "falls outside the years 0001 to 9999 once converted to UTC";
    case TimeProblem::Malformed:
      break;
  }
  return "must be " + std::string(kForm);
}

}  // namespace lethe
