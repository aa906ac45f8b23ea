// The rejected lines of one call, kept compact. A call may reject millions
// of lines (a wrong file, a batch of junk), and each becomes a result row
// that must be held until SQLite reads it: so a row is a small fixed record
// (docs/reference/contract.md section 1, "Memory"), and its field and message texts
// are stored once per distinct text in the call's TextPool and looked up
// only when SQLite reads the row's columns.
//
// The pool has a budget. Past it, a row whose message is new keeps its line,
// offset, code and field, and its message is built when read from the code
// alone, saying that the details were not kept. So a call's memory is its
// input, plus at most the budget, plus sizeof(RejectRow) per rejected line,
// whatever the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

#include "parse/wire.hpp"

namespace lethe {

// Distinct texts, each stored once, by id. Never moves a stored text: a
// string_view into it stays valid for the pool's life.
class TextPool {
 public:
  static constexpr std::uint32_t kNotKept = 0xFFFFFFFF;

  explicit TextPool(std::size_t budget_bytes) : budget_(budget_bytes) {}

  // The id of `text`, stored now if new; kNotKept when it is new and the
  // budget is spent.
  std::uint32_t intern(std::string_view text);
  std::string_view text(std::uint32_t id) const { return entries_[id]; }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  std::uint32_t find(std::string_view text, std::size_t hash, std::size_t& slot) const;
  const char* store(std::string_view text);
  void grow_index();

  std::size_t budget_;
  std::size_t bytes_ = 0;  // text bytes stored
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_used_ = 0;
  std::size_t block_size_ = 0;
  std::vector<std::string_view> entries_;  // by id
  std::vector<std::uint32_t> index_;       // open addressing: id + 1, 0 = empty
};

// A row's field id when the row has no field (the column is NULL).
inline constexpr std::uint32_t kNoRejectField = TextPool::kNotKept - 1;

// One result row of lethe_ingest (docs/reference/contract.md section 1, "Result
// columns"): 32 bytes whatever its message.
struct RejectRow {
  std::uint64_t line = 0;
  std::uint64_t byte_offset = 0;
  std::uint32_t message = TextPool::kNotKept;  // in the list's pool
  std::uint32_t field = kNoRejectField;        // in the list's field pool
  std::uint32_t arrival = 0;                   // keeps the sort deterministic
  ErrorCode code = ErrorCode::InvalidJson;
};
static_assert(sizeof(RejectRow) <= 32, "a reject row must stay compact");

class RejectList {
 public:
  // Message texts a call keeps: past this, new messages are not kept.
  static constexpr std::size_t kMessageBudgetBytes = std::size_t{32} << 20;

  void add(std::uint64_t line, std::uint64_t byte_offset, const LineError& error);
  // Appends `other`'s rows (its texts interned here).
  void append(const RejectList& other);
  // Makes room for `more` rows: adding them then allocates nothing for the
  // rows themselves, and a text that finds no memory is not kept (its row
  // is), so adding cannot fail.
  void reserve(std::size_t more);

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const RejectRow& operator[](std::size_t i) const noexcept { return at(i); }

  // Input order (line, then byte offset, then arrival). Allocates nothing.
  void sort() noexcept;

  // The row's field; empty when the row has none.
  std::string_view field(const RejectRow& row) const;
  // The row's message: its kept text, or, when it was not kept, a sentence
  // built from its code. Never allocates.
  std::string_view message(const RejectRow& row) const;

 private:
  // 8 KiB: small enough for a call with one rejected line, big enough that
  // the list of blocks stays short.
  static constexpr std::size_t kRowsPerBlock = 256;
  RejectRow& at(std::size_t i) const noexcept {
    return blocks_[i / kRowsPerBlock][i % kRowsPerBlock];
  }
  void sift_down(std::size_t root, std::size_t end) noexcept;
  std::uint32_t keep_text(TextPool& pool, std::string_view text) noexcept;

  // Blocks of rows: growing never copies a row, and a move of the list
  // (vectors and unique_ptrs only) never allocates.
  std::vector<std::unique_ptr<RejectRow[]>> blocks_;
  std::size_t size_ = 0;
  TextPool messages_{kMessageBudgetBytes};
  // Field names come from lethe's own code (a fixed set), so their pool
  // stays tiny; its budget only guards against a surprise.
  TextPool fields_{std::size_t{1} << 20};
};

// A committed call hands its rows to SQLite's cursor by moving the list,
// after which nothing may fail.
static_assert(std::is_nothrow_move_constructible_v<RejectList> &&
                  std::is_nothrow_move_assignable_v<RejectList>,
              "moving a call's rejected lines must not allocate");

}  // namespace lethe
