// Unit tests for lethe::LineSplitter and lethe::is_blank (wire contract v1,
// section 2 "Framing", and the `line` / `byte_offset` result columns).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "parse/framing.hpp"
#include "support/test_text.hpp"

namespace lethe {
namespace {

using lethe_test::escaped;

using namespace std::string_literals;

struct Expected {
  std::string text;
  std::uint64_t number;
  std::uint64_t byte_offset;

  bool operator==(const Expected& o) const {
    return text == o.text && number == o.number && byte_offset == o.byte_offset;
  }
};

void PrintTo(const Expected& e, std::ostream* os) {
  *os << "{\"" << escaped(e.text) << "\", line " << e.number << ", offset " << e.byte_offset << "}";
}

// Splits a whole batch and checks the invariants every line must satisfy:
// its text is a view into the batch that starts exactly at byte_offset.
std::vector<Expected> split(std::string_view batch) {
  std::vector<Expected> lines;
  LineSplitter splitter(batch);
  Line line;
  while (splitter.next(line)) {
    EXPECT_EQ(static_cast<std::uint64_t>(line.text.data() - batch.data()), line.byte_offset)
        << "line " << line.number << " of \"" << escaped(batch) << "\"";
    EXPECT_LE(line.byte_offset + line.text.size(), batch.size());
    lines.push_back({std::string(line.text), line.number, line.byte_offset});
    if (lines.size() > batch.size() + 1) {
      ADD_FAILURE() << "splitter does not terminate on \"" << escaped(batch) << "\"";
      break;
    }
  }
  // Exhausted stays exhausted.
  EXPECT_FALSE(splitter.next(line));
  EXPECT_FALSE(splitter.next(line));
  return lines;
}

const std::string kBom = "\xEF\xBB\xBF";

struct FramingCase {
  const char* name;
  std::string batch;
  std::vector<Expected> lines;
};

void PrintTo(const FramingCase& c, std::ostream* os) { *os << c.name; }

class FramingTable : public ::testing::TestWithParam<FramingCase> {};

TEST_P(FramingTable, SplitsIntoExpectedLines) {
  const FramingCase& c = GetParam();
  EXPECT_EQ(split(c.batch), c.lines) << "batch: \"" << escaped(c.batch) << "\"";
}

// clang-format off
const FramingCase kFramingCases[] = {
  // Empty input and line endings.
  {"Empty", "", {}},
  {"SingleLineNoNewline", "{}", {{"{}", 1, 0}}},
  {"SingleLineWithLf", "{}\n", {{"{}", 1, 0}}},
  {"TrailingLfGivesNoExtraLine", "a\nb\n", {{"a", 1, 0}, {"b", 2, 2}}},
  {"LastLineWithoutNewline", "a\nbc", {{"a", 1, 0}, {"bc", 2, 2}}},
  {"Crlf", "a\r\nb\r\n", {{"a", 1, 0}, {"b", 2, 3}}},
  {"CrlfLastLineWithoutNewline", "ab\r\ncd", {{"ab", 1, 0}, {"cd", 2, 4}}},
  {"MixedLfAndCrlf", "a\nb\r\nc\n", {{"a", 1, 0}, {"b", 2, 2}, {"c", 3, 5}}},
  {"OnlyOneCrDropped", "a\r\r\nb", {{"a\r", 1, 0}, {"b", 2, 4}}},
  {"CrInsideLineKept", "a\rb\nc", {{"a\rb", 1, 0}, {"c", 2, 4}}},
  {"CrAloneIsNotALineEnding", "a\rb\rc", {{"a\rb\rc", 1, 0}}},
  {"CrAtEndWithoutLfKept", "a\nb\r", {{"a", 1, 0}, {"b\r", 2, 2}}},
  {"LoneCr", "\r", {{"\r", 1, 0}}},
  {"LeadingCrKept", "\ra\r\n", {{"\ra", 1, 0}}},
  {"OnlyLf", "\n", {{"", 1, 0}}},
  {"OnlyCrlf", "\r\n", {{"", 1, 0}}},
  {"TwoLf", "\n\n", {{"", 1, 0}, {"", 2, 1}}},
  // Blank lines count for numbers and offsets.
  {"BlankLinesCount", "\n\na", {{"", 1, 0}, {"", 2, 1}, {"a", 3, 2}}},
  {"SpaceAndTabLines", "  \n\t\n{}", {{"  ", 1, 0}, {"\t", 2, 3}, {"{}", 3, 5}}},
  {"OffsetsAfterCrlfBlankLines", "x\r\n\r\n\r\ny",
   {{"x", 1, 0}, {"", 2, 3}, {"", 3, 5}, {"y", 4, 7}}},
  {"OffsetsAfterLongLine", "0123456789\n\nab\r\n  \nz",
   {{"0123456789", 1, 0}, {"", 2, 11}, {"ab", 3, 12}, {"  ", 4, 16}, {"z", 5, 19}}},
  {"EmbeddedNulKept", "a\0b\nc"s, {{"a\0b"s, 1, 0}, {"c", 2, 4}}},
  {"NoOtherLineTerminators", "a\x0b" "b\x0c" "c\xe2\x80\xa8" "d\x85",
   {{"a\x0b" "b\x0c" "c\xe2\x80\xa8" "d\x85", 1, 0}}},
  // Byte-order mark: skipped only at the very start, still counted in offsets.
  {"BomSkipped", kBom + "{}", {{"{}", 1, 3}}},
  {"BomSkippedWithNewline", kBom + "{}\n{}", {{"{}", 1, 3}, {"{}", 2, 6}}},
  {"BomThenCrlf", kBom + "a\r\nb", {{"a", 1, 3}, {"b", 2, 6}}},
  {"OnlyBomGivesNoLines", kBom, {}},
  {"BomThenLf", kBom + "\n", {{"", 1, 3}}},
  {"BomThenBlankLine", kBom + "\n{}", {{"", 1, 3}, {"{}", 2, 4}}},
  {"SecondBomKept", kBom + kBom + "a", {{kBom + "a", 1, 3}}},
  {"BomOnSecondLineKept", "a\n" + kBom + "b", {{"a", 1, 0}, {kBom + "b", 2, 2}}},
  {"BomAfterSpaceKept", " " + kBom + "a", {{" " + kBom + "a", 1, 0}}},
  {"BomAtEndKept", "a" + kBom, {{"a" + kBom, 1, 0}}},
  {"PartialBomKept", "\xEF\xBB" "a", {{"\xEF\xBB" "a", 1, 0}}},
  {"PartialBomOnlyKept", "\xEF", {{"\xEF", 1, 0}}},
  {"Utf16BomNotSkipped", "\xFF\xFE" "a", {{"\xFF\xFE" "a", 1, 0}}},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Framing, FramingTable, ::testing::ValuesIn(kFramingCases),
                         [](const ::testing::TestParamInfo<FramingCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(Framing, ManyLinesNumberedAndOffsetExactly) {
  std::string batch;
  std::vector<Expected> expected;
  for (std::uint64_t i = 1; i <= 5000; ++i) {
    const std::string text = (i % 7 == 0) ? "" : std::string(i % 13, 'x');
    expected.push_back({text, i, batch.size()});
    batch += text;
    batch += (i % 3 == 0) ? "\r\n" : "\n";
  }
  EXPECT_EQ(split(batch), expected);
}

TEST(Framing, OffsetsAreOffsetsIntoTheWholeBatch) {
  // A large first line: offsets are byte positions, not per-line counters.
  const std::string big(100000, 'a');
  const std::string batch = kBom + big + "\r\n" + "b";
  const auto lines = split(batch);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].byte_offset, 3u);
  EXPECT_EQ(lines[0].text.size(), big.size());
  EXPECT_EQ(lines[1].byte_offset, 3u + big.size() + 2u);
  EXPECT_EQ(lines[1].number, 2u);
}

// Reference splitter written straight from the contract.
std::vector<Expected> reference_split(const std::string& batch) {
  std::vector<Expected> out;
  std::size_t pos = 0;
  if (batch.compare(0, 3, kBom) == 0) pos = 3;
  std::uint64_t number = 0;
  while (pos < batch.size()) {
    const std::size_t lf = batch.find('\n', pos);
    const std::size_t end = lf == std::string::npos ? batch.size() : lf;
    std::string text = batch.substr(pos, end - pos);
    if (lf != std::string::npos && !text.empty() && text.back() == '\r') text.pop_back();
    out.push_back({text, ++number, pos});
    pos = lf == std::string::npos ? batch.size() : lf + 1;
  }
  return out;
}

TEST(Framing, RandomBatchesMatchReferenceSplitter) {
  std::mt19937 rng(20250131);
  const std::vector<std::string> pieces = {"\n", "\r",  "\r\n", "\r\r\n", " ",   "\t",  "{}",
                                           "a",  "xyz", kBom,   "\xEF",   "\0"s, "\x0b"};
  for (int round = 0; round < 2000; ++round) {
    std::string batch;
    if (rng() % 4 == 0) batch += kBom;
    const int count = static_cast<int>(rng() % 12);
    for (int i = 0; i < count; ++i) batch += pieces[rng() % pieces.size()];
    ASSERT_EQ(split(batch), reference_split(batch)) << "batch: \"" << escaped(batch) << "\"";
  }
}

// is_blank: empty or only spaces and tabs; nothing else is blank.
struct BlankCase {
  std::string text;
  bool blank;
};

TEST(IsBlank, Table) {
  const BlankCase cases[] = {
      {"", true},
      {" ", true},
      {"\t", true},
      {"  \t", true},
      {"\t \t  \t", true},
      {std::string(10000, ' '), true},
      {"\v", false},
      {"\f", false},
      {"\r", false},
      {" \r", false},
      {"\n", false},
      {"\0"s, false},
      {" \0"s, false},
      {"a", false},
      {" a ", false},
      {"\t{}", false},
      {"\xC2\xA0", false},      // NO-BREAK SPACE is not a space here
      {"\xE3\x80\x80", false},  // IDEOGRAPHIC SPACE
      {kBom, false},
  };
  for (const BlankCase& c : cases) {
    EXPECT_EQ(is_blank(c.text), c.blank) << "\"" << escaped(c.text) << "\"";
  }
}

}  // namespace
}  // namespace lethe
