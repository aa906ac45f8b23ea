// The compact store of a call's rejected lines (ext/parse/rejects.hpp): each
// distinct text kept once, a budget past which a row keeps everything but
// its message, input order whatever the arrival order.
#include <gtest/gtest.h>

#include <string>

#include "parse/rejects.hpp"

namespace {

using lethe::ErrorCode;
using lethe::LineError;
using lethe::RejectList;
using lethe::TextPool;

TEST(TextPool, KeepsEachDistinctTextOnce) {
  TextPool pool(1 << 20);
  const auto a = pool.intern("alpha");
  const auto b = pool.intern("beta");
  EXPECT_NE(a, b);
  EXPECT_EQ(pool.intern("alpha"), a);
  EXPECT_EQ(pool.text(a), "alpha");
  EXPECT_EQ(pool.text(b), "beta");
  EXPECT_EQ(pool.bytes(), 9u);
  // Many texts: the index grows and every id still finds its text.
  for (int i = 0; i < 5000; ++i) pool.intern("text " + std::to_string(i));
  for (int i = 0; i < 5000; i += 97) {
    const auto id = pool.intern("text " + std::to_string(i));
    EXPECT_EQ(pool.text(id), "text " + std::to_string(i));
  }
  EXPECT_EQ(pool.text(a), "alpha");  // stored texts never move
}

TEST(TextPool, PastItsBudgetANewTextIsNotKeptButAKnownOneIs) {
  TextPool pool(10);
  const auto a = pool.intern("12345678");
  EXPECT_NE(a, TextPool::kNotKept);
  EXPECT_EQ(pool.intern("abc"), TextPool::kNotKept);  // 8 + 3 > 10
  EXPECT_EQ(pool.intern("12345678"), a);
  EXPECT_NE(pool.intern("xy"), TextPool::kNotKept);  // 8 + 2 fits
  EXPECT_EQ(pool.bytes(), 10u);
}

TEST(TextPool, ATextLongerThanABlockGetsItsOwn) {
  TextPool pool(1 << 22);
  const std::string big(200000, 'x');
  const auto small = pool.intern("small");
  const auto id = pool.intern(big);
  const auto after = pool.intern("after");
  EXPECT_EQ(pool.text(id), big);
  EXPECT_EQ(pool.text(small), "small");
  EXPECT_EQ(pool.text(after), "after");
}

LineError error(ErrorCode code, std::string field, std::string message) {
  return LineError{code, std::move(field), std::move(message)};
}

TEST(RejectList, RowsAreCompactAndReadBackTheirTexts) {
  static_assert(sizeof(lethe::RejectRow) <= 32);
  RejectList list;
  list.add(3, 40, error(ErrorCode::InvalidField, "tokens_in", "tokens_in must be ..."));
  list.add(5, 90, error(ErrorCode::InvalidJson, "", "not JSON"));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].line, 3u);
  EXPECT_EQ(list[0].byte_offset, 40u);
  EXPECT_EQ(list[0].code, ErrorCode::InvalidField);
  EXPECT_EQ(list.field(list[0]), "tokens_in");
  EXPECT_EQ(list.message(list[0]), "tokens_in must be ...");
  EXPECT_EQ(list.field(list[1]), "");  // NULL
  EXPECT_EQ(list.message(list[1]), "not JSON");
}

TEST(RejectList, SortsIntoInputOrderKeepingArrivalOrderForOneLine) {
  RejectList list;
  // Parse rejects of a chunk, then the database's refusals of the same
  // chunk: two runs in line order.
  for (std::uint64_t line : {2, 7, 9})
    list.add(line, line * 10, error(ErrorCode::InvalidJson, "", "p"));
  for (std::uint64_t line : {1, 8})
    list.add(line, line * 10, error(ErrorCode::DbConstraint, "", "d"));
  list.add(7, 70, error(ErrorCode::MissingField, "tool", "second problem of line 7"));
  list.sort();
  std::string order;
  for (std::size_t i = 0; i < list.size(); ++i) order += std::to_string(list[i].line) + " ";
  EXPECT_EQ(order, "1 2 7 7 8 9 ");
  EXPECT_EQ(list.message(list[2]), "p");  // arrived first
  EXPECT_EQ(list.message(list[3]), "second problem of line 7");
}

TEST(RejectList, AppendKeepsTextsAndOrder) {
  RejectList chunk;
  chunk.add(1, 0, error(ErrorCode::InvalidField, "seq", "seq must be an integer"));
  chunk.add(2, 10, error(ErrorCode::InvalidJson, "", "not JSON"));
  RejectList call;
  call.add(0, 0, error(ErrorCode::InvalidJson, "", "not JSON"));
  call.append(chunk);
  chunk = RejectList();  // the chunk's texts are gone; the call's copies stay
  ASSERT_EQ(call.size(), 3u);
  EXPECT_EQ(call.field(call[1]), "seq");
  EXPECT_EQ(call.message(call[1]), "seq must be an integer");
  EXPECT_EQ(call.message(call[2]), "not JSON");
}

TEST(RejectList, AMessageNotKeptIsBuiltFromItsCode) {
  RejectList list;
  const std::string filler(1 << 16, 'm');
  std::size_t i = 0;
  // Distinct messages until the budget is spent.
  while (list.size() < 2 ||
         list.message(list[list.size() - 1]).find("details not kept") == std::string_view::npos) {
    ++i;
    list.add(i, i, error(ErrorCode::InvalidField, "cost_usd", filler + std::to_string(i)));
    ASSERT_LT(i, 1000u) << "the budget never ran out";
  }
  const lethe::RejectRow& last = list[list.size() - 1];
  EXPECT_EQ(list.field(last), "cost_usd");  // still there
  EXPECT_EQ(last.code, ErrorCode::InvalidField);
  EXPECT_NE(list.message(last).find("a field has a value"), std::string_view::npos);
  EXPECT_EQ(list.message(list[0]).substr(0, 3), "mmm");  // early ones keep theirs
  // A message already kept is still found past the budget.
  list.add(9999, 0, error(ErrorCode::InvalidField, "cost_usd", filler + "1"));
  EXPECT_EQ(list.message(list[list.size() - 1]), filler + "1");
}

}  // namespace
