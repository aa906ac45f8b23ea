// Unit tests for lethe::normalize_rfc3339 (project contract, section 4).
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>

#include "parse/timestamp.hpp"
#include "support/test_text.hpp"

namespace lethe {
namespace {

using lethe_test::escaped;

using namespace std::string_view_literals;

std::string to_string(const NormalizedTime& t) { return std::string(t.data(), t.size()); }

// ---------------------------------------------------------------------------
// Accepted inputs: each row pairs an input with its exact normalized output.
// ---------------------------------------------------------------------------

struct AcceptCase {
  std::string_view input;
  std::string_view expected;
};

void PrintTo(const AcceptCase& c, std::ostream* os) {
  *os << '"' << escaped(c.input) << "\" -> \"" << c.expected << '"';
}

class AcceptTest : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(AcceptTest, NormalizesToExpectedUtc) {
  const AcceptCase& c = GetParam();
  const std::optional<NormalizedTime> result = normalize_rfc3339(c.input);
  ASSERT_TRUE(result.has_value()) << "input: " << escaped(c.input);
  EXPECT_EQ(to_string(*result), c.expected) << "input: " << escaped(c.input);
}

// The normalized form is itself valid RFC 3339 in UTC, so it must be a fixed
// point of the normalization.
TEST_P(AcceptTest, OutputIsAFixedPoint) {
  const std::string expected(GetParam().expected);
  const std::optional<NormalizedTime> again = normalize_rfc3339(expected);
  ASSERT_TRUE(again.has_value()) << expected;
  EXPECT_EQ(to_string(*again), expected);
}

constexpr AcceptCase kBasicForms[] = {
    {"2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000Z"},
    {"2024-06-15T12:34:56Z", "2024-06-15T12:34:56.000Z"},
    {"2024-01-31T23:59:59Z", "2024-01-31T23:59:59.000Z"},
    {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"},
    {"1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500Z"},
    {"0999-07-04T01:02:03Z", "0999-07-04T01:02:03.000Z"},
    // Lowercase separators are allowed by RFC 3339; output is uppercase.
    {"2024-01-01t00:00:00Z", "2024-01-01T00:00:00.000Z"},
    {"2024-01-01T00:00:00z", "2024-01-01T00:00:00.000Z"},
    {"2024-01-01t00:00:00.5z", "2024-01-01T00:00:00.500Z"},
    // Zero offsets in every spelling.
    {"2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00.000Z"},
    {"2024-01-01T00:00:00-00:00", "2024-01-01T00:00:00.000Z"},
    {"2024-01-01t00:00:00.25+00:00", "2024-01-01T00:00:00.250Z"},
};
INSTANTIATE_TEST_SUITE_P(BasicForms, AcceptTest, ::testing::ValuesIn(kBasicForms));

constexpr AcceptCase kFractions[] = {
    // Every allowed length 1..9: padded below three digits, truncated above.
    {"2024-01-01T00:00:00.1Z", "2024-01-01T00:00:00.100Z"},
    {"2024-01-01T00:00:00.12Z", "2024-01-01T00:00:00.120Z"},
    {"2024-01-01T00:00:00.123Z", "2024-01-01T00:00:00.123Z"},
    {"2024-01-01T00:00:00.1234Z", "2024-01-01T00:00:00.123Z"},
    {"2024-01-01T00:00:00.12345Z", "2024-01-01T00:00:00.123Z"},
    {"2024-01-01T00:00:00.123456Z", "2024-01-01T00:00:00.123Z"},
    {"2024-01-01T00:00:00.1234567Z", "2024-01-01T00:00:00.123Z"},
    {"2024-01-01T00:00:00.12345678Z", "2024-01-01T00:00:00.123Z"},
    {"2024-01-01T00:00:00.123456789Z", "2024-01-01T00:00:00.123Z"},
    // Truncation, never rounding — even where rounding would carry.
    {"2024-01-01T00:00:00.9999Z", "2024-01-01T00:00:00.999Z"},
    {"2024-01-01T00:00:00.0009Z", "2024-01-01T00:00:00.000Z"},
    {"2024-01-01T00:00:00.0005Z", "2024-01-01T00:00:00.000Z"},
    {"2024-12-31T23:59:59.999999999Z", "2024-12-31T23:59:59.999Z"},
    {"2024-01-01T00:00:00.0Z", "2024-01-01T00:00:00.000Z"},
    {"2024-01-01T00:00:00.000000000Z", "2024-01-01T00:00:00.000Z"},
    {"2024-01-01T00:00:00.05Z", "2024-01-01T00:00:00.050Z"},
    {"2024-01-01T00:00:00.007Z", "2024-01-01T00:00:00.007Z"},
    // The fraction survives an offset conversion unchanged.
    {"2024-01-01T00:00:00.9999+01:00", "2023-12-31T23:00:00.999Z"},
};
INSTANTIATE_TEST_SUITE_P(Fractions, AcceptTest, ::testing::ValuesIn(kFractions));

constexpr AcceptCase kOffsets[] = {
    // Within the same day.
    {"2024-03-15T10:30:00+05:30", "2024-03-15T05:00:00.000Z"},
    {"2024-03-15T10:30:00-05:30", "2024-03-15T16:00:00.000Z"},
    {"2024-03-15T10:30:15.5+00:45", "2024-03-15T09:45:15.500Z"},
    // Crossing a day boundary in both directions.
    {"2024-03-15T01:00:00+02:00", "2024-03-14T23:00:00.000Z"},
    {"2024-03-15T23:00:00-02:00", "2024-03-16T01:00:00.000Z"},
    // Crossing a month boundary in both directions (30- and 31-day months).
    {"2024-05-01T00:30:00+01:00", "2024-04-30T23:30:00.000Z"},
    {"2024-04-30T23:30:00-01:00", "2024-05-01T00:30:00.000Z"},
    {"2024-08-01T00:30:00+01:00", "2024-07-31T23:30:00.000Z"},
    {"2024-07-31T23:30:00-01:00", "2024-08-01T00:30:00.000Z"},
    // Crossing into and out of February, leap and non-leap.
    {"2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00.000Z"},
    {"2023-03-01T00:30:00+01:00", "2023-02-28T23:30:00.000Z"},
    {"2024-02-28T23:30:00-01:00", "2024-02-29T00:30:00.000Z"},
    {"2024-02-29T23:30:00-01:00", "2024-03-01T00:30:00.000Z"},
    {"2023-02-28T23:30:00-01:00", "2023-03-01T00:30:00.000Z"},
    {"2000-03-01T00:00:00+00:01", "2000-02-29T23:59:00.000Z"},
    {"1900-03-01T00:00:00+00:01", "1900-02-28T23:59:00.000Z"},
    {"1600-03-01T00:00:00+00:01", "1600-02-29T23:59:00.000Z"},
    {"2100-02-28T23:59:00-00:01", "2100-03-01T00:00:00.000Z"},
    // Crossing a year boundary in both directions.
    {"2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00.000Z"},
    {"2023-12-31T23:30:00-01:00", "2024-01-01T00:30:00.000Z"},
    {"2000-01-01T00:00:00.123+05:00", "1999-12-31T19:00:00.123Z"},
    // The largest offsets allowed, in both directions.
    {"2024-06-15T00:00:00+23:59", "2024-06-14T00:01:00.000Z"},
    {"2024-06-15T23:59:59.999-23:59", "2024-06-16T23:58:59.999Z"},
};
INSTANTIATE_TEST_SUITE_P(Offsets, AcceptTest, ::testing::ValuesIn(kOffsets));

constexpr AcceptCase kCalendar[] = {
    // Leap days: divisible by 4, not by 100 unless by 400.
    {"2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z"},
    {"2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"},
    {"2400-02-29T00:00:00Z", "2400-02-29T00:00:00.000Z"},
    {"2023-02-28T00:00:00Z", "2023-02-28T00:00:00.000Z"},
    // Day 31 exists in the 31-day months and day 30 in the 30-day ones.
    {"2024-01-31T00:00:00Z", "2024-01-31T00:00:00.000Z"},
    {"2024-03-31T00:00:00Z", "2024-03-31T00:00:00.000Z"},
    {"2024-05-31T00:00:00Z", "2024-05-31T00:00:00.000Z"},
    {"2024-07-31T00:00:00Z", "2024-07-31T00:00:00.000Z"},
    {"2024-08-31T00:00:00Z", "2024-08-31T00:00:00.000Z"},
    {"2024-10-31T00:00:00Z", "2024-10-31T00:00:00.000Z"},
    {"2024-12-31T00:00:00Z", "2024-12-31T00:00:00.000Z"},
    {"2024-04-30T00:00:00Z", "2024-04-30T00:00:00.000Z"},
    {"2024-06-30T00:00:00Z", "2024-06-30T00:00:00.000Z"},
    {"2024-09-30T00:00:00Z", "2024-09-30T00:00:00.000Z"},
    {"2024-11-30T00:00:00Z", "2024-11-30T00:00:00.000Z"},
    // Upper limits of every time field.
    {"2024-01-01T23:59:59Z", "2024-01-01T23:59:59.000Z"},
};
INSTANTIATE_TEST_SUITE_P(Calendar, AcceptTest, ::testing::ValuesIn(kCalendar));

constexpr AcceptCase kYearRange[] = {
    // Year 0000 parses (as a leap year) as long as the UTC result is >= 0001.
    {"0000-12-31T23:00:00-02:00", "0001-01-01T01:00:00.000Z"},
    {"0000-12-31T23:59:59.999-00:01", "0001-01-01T00:00:59.999Z"},
    // Exact lower and upper limits.
    {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"},
    {"0001-01-01T00:30:00+00:30", "0001-01-01T00:00:00.000Z"},
    {"9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999Z"},
    {"9999-12-31T23:30:59-00:29", "9999-12-31T23:59:59.000Z"},
    {"9999-12-31T23:30:00+01:00", "9999-12-31T22:30:00.000Z"},
};
INSTANTIATE_TEST_SUITE_P(YearRange, AcceptTest, ::testing::ValuesIn(kYearRange));

// ---------------------------------------------------------------------------
// Rejected inputs.
// ---------------------------------------------------------------------------

struct RejectCase {
  std::string_view input;
  std::string_view why;
};

void PrintTo(const RejectCase& c, std::ostream* os) {
  *os << '"' << escaped(c.input) << "\" (" << c.why << ')';
}

class RejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RejectTest, ReturnsNullopt) {
  const RejectCase& c = GetParam();
  const std::optional<NormalizedTime> result = normalize_rfc3339(c.input);
  EXPECT_FALSE(result.has_value())
      << "input: " << escaped(c.input) << " (" << c.why
      << ") produced: " << (result ? to_string(*result) : std::string());
}

constexpr RejectCase kRejectedSyntax[] = {
    {"", "empty string"},
    {"2024-01-01T00:00:00", "no time zone"},
    {"2024-01-01T00:00:00.123", "fraction but no time zone"},
    {"2024-01-01 00:00:00Z", "space instead of T"},
    {"2024-01-01_00:00:00Z", "other separator instead of T"},
    {"2024-01-01X00:00:00Z", "other letter instead of T"},
    {"20240101T000000Z", "basic ISO 8601 format"},
    {"2024-01-01", "date only"},
    {"2024-01-01T00:00Z", "no seconds"},
    {"2024-01-01T00:00:00.Z", "'.' with no digits"},
    {"2024-01-01T00:00:00.+01:00", "'.' with no digits before offset"},
    {"2024-01-01T00:00:00.", "'.' at end"},
    {"2024-01-01T00:00:00.1234567890Z", "10 fraction digits"},
    {"2024-01-01T00:00:00.123456789012Z", "12 fraction digits"},
    {"2024-01-01T00:00:00,123Z", "comma as decimal separator"},
    {"2024-01-01T00:00:00..1Z", "double dot"},
    {"2024-01-01T00:00:00.12a4Z", "letter inside fraction"},
    {"2024-01-01T00:00:00.1e3Z", "exponent in fraction"},
    {" 2024-01-01T00:00:00Z", "leading space"},
    {"\t2024-01-01T00:00:00Z", "leading tab"},
    {"2024-01-01T00:00:00Z ", "trailing space"},
    {"2024-01-01T00:00:00Z\n", "trailing newline"},
    {"2024-01-01T00:00:00+01:00 ", "trailing space after offset"},
    {"2024-01-01T00:00:00ZZ", "doubled Z"},
    {"2024-01-01T00:00:00Zx", "trailing letter"},
    {"2024-01-01T00:00:00Z+01:00", "Z followed by offset"},
    {"2024-01-01T00:00:00+01:00Z", "offset followed by Z"},
    {"2024-01-01T00:00:00UTC", "named zone"},
    {"2024-01-01T00:00:00GMT", "named zone"},
    {"2024-1-01T00:00:00Z", "one-digit month"},
    {"2024-01-1T00:00:00Z", "one-digit day"},
    {"2024-01-01T0:00:00Z", "one-digit hour"},
    {"2024-01-01T00:0:00Z", "one-digit minute"},
    {"2024-01-01T00:00:0Z", "one-digit second"},
    {"24-01-01T00:00:00Z", "two-digit year"},
    {"20240-01-01T00:00:00Z", "five-digit year"},
    {"+2024-01-01T00:00:00Z", "signed year"},
    {"-2024-01-01T00:00:00Z", "negative year"},
    {"2024/01/01T00:00:00Z", "slashes in date"},
    {"2024-01-01T00.00.00Z", "dots in time"},
    {"2024-0a-01T00:00:00Z", "letter in month"},
    {"2024-01-01T00:00:00-0", "truncated offset"},
    {"2024-01-01T00:00:00+", "sign only"},
    {"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x94-01-01T00:00:00Z", "full-width digits"},
    {"2024-01-01T00:00:00\xe2\x88\x92"
     "01:00",
     "unicode minus sign"},
};
INSTANTIATE_TEST_SUITE_P(Syntax, RejectTest, ::testing::ValuesIn(kRejectedSyntax));

constexpr RejectCase kRejectedRanges[] = {
    {"2024-00-10T00:00:00Z", "month 00"},
    {"2024-13-10T00:00:00Z", "month 13"},
    {"2024-01-00T00:00:00Z", "day 00"},
    {"2024-01-32T00:00:00Z", "day 32"},
    {"2024-04-31T00:00:00Z", "day 31 in April"},
    {"2024-06-31T00:00:00Z", "day 31 in June"},
    {"2024-09-31T00:00:00Z", "day 31 in September"},
    {"2024-11-31T00:00:00Z", "day 31 in November"},
    {"2023-02-29T00:00:00Z", "2023 is not a leap year"},
    {"1900-02-29T00:00:00Z", "1900 is divisible by 100, not by 400"},
    {"2100-02-29T00:00:00Z", "2100 is divisible by 100, not by 400"},
    {"2024-02-30T00:00:00Z", "Feb 30"},
    {"2024-01-01T24:00:00Z", "hour 24"},
    {"2024-01-01T00:60:00Z", "minute 60"},
    {"2024-01-01T00:00:60Z", "second 60 (leap second)"},
    {"2016-12-31T23:59:60Z", "real leap second"},
    {"2024-01-01T99:00:00Z", "hour 99"},
};
INSTANTIATE_TEST_SUITE_P(Ranges, RejectTest, ::testing::ValuesIn(kRejectedRanges));

constexpr RejectCase kRejectedOffsets[] = {
    {"2024-01-01T00:00:00+24:00", "offset hour 24"},
    {"2024-01-01T00:00:00-24:00", "offset hour -24"},
    {"2024-01-01T00:00:00+05:60", "offset minute 60"},
    {"2024-01-01T00:00:00+0530", "missing colon in offset"},
    {"2024-01-01T00:00:00-0530", "missing colon in negative offset"},
    {"2024-01-01T00:00:00+05", "offset hours only"},
    {"2024-01-01T00:00:00+5:30", "one-digit offset hour"},
    {"2024-01-01T00:00:00+05:3", "one-digit offset minute"},
    {"2024-01-01T00:00:00+05:300", "three-digit offset minute"},
    {"2024-01-01T00:00:00+05:30:00", "offset with seconds"},
    {"2024-01-01T00:00:00 +05:30", "space before offset"},
};
INSTANTIATE_TEST_SUITE_P(Offsets, RejectTest, ::testing::ValuesIn(kRejectedOffsets));

constexpr RejectCase kRejectedYearRange[] = {
    {"0001-01-01T00:30:00+01:00", "UTC year 0"},
    {"0001-01-01T00:00:00+00:01", "UTC year 0 by one minute"},
    {"0000-01-01T00:00:00Z", "year 0 in UTC"},
    {"0000-02-29T12:00:00Z", "leap day of year 0, still year 0 in UTC"},
    {"9999-12-31T23:30:00-01:00", "UTC year 10000"},
    {"9999-12-31T23:59:00-00:01", "UTC year 10000 by one minute"},
};
INSTANTIATE_TEST_SUITE_P(YearRange, RejectTest, ::testing::ValuesIn(kRejectedYearRange));

// Embedded NULs must not end the text early (as they would for a C string).
constexpr RejectCase kRejectedNul[] = {
    {"2024-01-01T00:00:00Z\0"sv, "trailing NUL"},
    {"\0"
     "2024-01-01T00:00:00Z"sv,
     "leading NUL"},
    {"2024-01-01T00:00\0:00Z"sv, "NUL inside time"},
    {"2024-01-01T00:00:00.12\0"
     "3Z"sv,
     "NUL inside fraction"},
    {"2024-01-01T00:00:00\0"sv, "NUL in place of zone"},
    {"2024-01-01\0"
     "00:00:00Z"sv,
     "NUL in place of T"},
};
INSTANTIATE_TEST_SUITE_P(EmbeddedNul, RejectTest, ::testing::ValuesIn(kRejectedNul));

// The output never depends on bytes past the string_view's end.
TEST(NormalizeRfc3339, RespectsViewLength) {
  constexpr std::string_view kBuffer = "2024-01-01T00:00:00Z trailing";
  const auto result = normalize_rfc3339(kBuffer.substr(0, 20));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(to_string(*result), "2024-01-01T00:00:00.000Z");
  EXPECT_FALSE(normalize_rfc3339(kBuffer.substr(0, 19)).has_value());
  EXPECT_FALSE(normalize_rfc3339(kBuffer.substr(0, 21)).has_value());
}

TEST(NormalizeRfc3339, IsNoexcept) {
  static_assert(noexcept(normalize_rfc3339(std::string_view{})),
                "normalize_rfc3339 must be noexcept");
}

// ---------------------------------------------------------------------------
// Property test: with a zero offset the output is the input's own date and
// time, fraction truncated to milliseconds. The expectation is built by plain
// string formatting, independently of the calendar arithmetic under test.
// ---------------------------------------------------------------------------

bool is_leap(int year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

int month_length(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (month == 2 && is_leap(year)) ? 29 : kDays[month - 1];
}

TEST(NormalizeRfc3339Property, ZeroOffsetKeepsDateAndTruncatesFraction) {
  std::mt19937 rng(20240229u);  // Fixed seed: failures must be reproducible.
  auto uniform = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  constexpr std::string_view kZones[] = {"Z", "z", "+00:00", "-00:00"};
  constexpr int kIterations = 5000;

  for (int i = 0; i < kIterations; ++i) {
    const int year = uniform(1, 9999);
    const int month = uniform(1, 12);
    const int day = uniform(1, month_length(year, month));
    const int hour = uniform(0, 23);
    const int minute = uniform(0, 59);
    const int second = uniform(0, 59);
    const int fraction_digits = uniform(0, 9);
    std::string fraction;
    for (int d = 0; d < fraction_digits; ++d) {
      fraction += static_cast<char>('0' + uniform(0, 9));
    }
    const std::string_view zone = kZones[uniform(0, 3)];
    const char separator = uniform(0, 1) ? 'T' : 't';

    char head[32];
    std::snprintf(head, sizeof head, "%04d-%02d-%02d%c%02d:%02d:%02d", year, month, day, separator,
                  hour, minute, second);
    std::string input = head;
    if (fraction_digits > 0) input += "." + fraction;
    input += zone;

    char expected_head[32];
    std::snprintf(expected_head, sizeof expected_head, "%04d-%02d-%02dT%02d:%02d:%02d.", year,
                  month, day, hour, minute, second);
    std::string millis = (fraction + "000").substr(0, 3);
    const std::string expected = std::string(expected_head) + millis + "Z";

    const auto result = normalize_rfc3339(input);
    ASSERT_TRUE(result.has_value()) << "iteration " << i << ": " << input;
    ASSERT_EQ(to_string(*result), expected) << "iteration " << i << ": " << input;
  }
}

// ---------------------------------------------------------------------------
// Why a time is refused (issue 8 item 11): a date or time that does not exist
// is said to not exist, never reported as a missing time zone or a bad form.
// ---------------------------------------------------------------------------

struct ProblemCase {
  std::string_view input;
  TimeProblem problem;
  std::string_view says;  // a part of describe_time_problem's text
};

void PrintTo(const ProblemCase& c, std::ostream* os) { *os << '"' << escaped(c.input) << '"'; }

class ProblemTest : public ::testing::TestWithParam<ProblemCase> {};

TEST_P(ProblemTest, NamesTheRealProblem) {
  const ProblemCase& c = GetParam();
  const TimeResult result = check_rfc3339(c.input);
  EXPECT_FALSE(result.time.has_value());
  EXPECT_EQ(static_cast<int>(result.problem), static_cast<int>(c.problem));
  const std::string text = describe_time_problem(c.input);
  EXPECT_NE(text.find(c.says), std::string::npos) << text;
  // Only a missing zone is reported as one, and only a text of the wrong form
  // is told which form is expected.
  if (c.problem != TimeProblem::NoTimeZone) {
    EXPECT_EQ(text.find("no time zone"), std::string::npos) << text;
  }
  if (c.problem != TimeProblem::Malformed) {
    EXPECT_NE(text.rfind("must be", 0), 0u) << text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Timestamp, ProblemTest,
    ::testing::Values(
        ProblemCase{"2026-02-30T10:00:00Z", TimeProblem::NoSuchDay,
                    "date that does not exist: February 2026 has 28 days"},
        ProblemCase{"2026-02-29T10:00:00Z", TimeProblem::NoSuchDay, "February 2026 has 28 days"},
        ProblemCase{"1900-02-29T10:00:00+01:00", TimeProblem::NoSuchDay,
                    "February 1900 has 28 days"},
        ProblemCase{"2024-04-31T10:00:00Z", TimeProblem::NoSuchDay, "April 2024 has 30 days"},
        ProblemCase{"2026-01-00T10:00:00Z", TimeProblem::NoSuchDay, "there is no day 00"},
        ProblemCase{"2026-13-01T10:00:00Z", TimeProblem::NoSuchMonth, "there is no month 13"},
        ProblemCase{"2026-00-10T10:00:00Z", TimeProblem::NoSuchMonth, "there is no month 00"},
        ProblemCase{"2026-03-01T24:00:00Z", TimeProblem::NoSuchHour, "hours go from 00 to 23"},
        ProblemCase{"2026-03-01T10:60:00Z", TimeProblem::NoSuchMinute, "minutes go from 00 to 59"},
        ProblemCase{"2026-03-01T10:00:60Z", TimeProblem::LeapSecond, "leap second"},
        ProblemCase{"2026-03-01T10:00:61Z", TimeProblem::NoSuchSecond, "seconds go from 00 to 59"},
        ProblemCase{"2026-03-01T10:00:00+24:00", TimeProblem::NoSuchOffset,
                    "offset that does not exist"},
        ProblemCase{"2026-03-01T10:00:00", TimeProblem::NoTimeZone, "has no time zone"},
        ProblemCase{"2026-03-01T10:00:00.123", TimeProblem::NoTimeZone, "has no time zone"},
        ProblemCase{"2026-03-01 10:00:00Z", TimeProblem::SpaceSeparator, "not a space"},
        ProblemCase{"0001-01-01T00:00:00+00:01", TimeProblem::OutOfRange, "0001 to 9999"},
        ProblemCase{"2026-03-01", TimeProblem::Malformed, "RFC 3339 date-time with a time zone"},
        ProblemCase{"yesterday", TimeProblem::Malformed, "RFC 3339"},
        ProblemCase{"2026-03-01T10:00:00Zulu", TimeProblem::Malformed, "RFC 3339"}));

TEST(TimestampProblem, AcceptedTextHasNoProblem) {
  EXPECT_EQ(describe_time_problem("2024-02-29T23:59:59.999-00:30"), "");
  const TimeResult result = check_rfc3339("2024-02-29T23:59:59.999-00:30");
  ASSERT_TRUE(result.time.has_value());
  EXPECT_EQ(result.problem, TimeProblem::None);
  EXPECT_EQ(to_string(*result.time), "2024-03-01T00:29:59.999Z");
}

}  // namespace
}  // namespace lethe
