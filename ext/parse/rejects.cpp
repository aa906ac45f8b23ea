#include "parse/rejects.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <new>
#include <tuple>

namespace lethe {

namespace {

// Texts are packed into blocks (a longer text gets a block of its own): few
// allocations, and a stored text never moves. The first block is small, so
// a call with one rejected line stays cheap; each next one is twice as big,
// up to the largest.
constexpr std::size_t kFirstBlockBytes = std::size_t{1} << 10;
constexpr std::size_t kLargestBlockBytes = std::size_t{64} << 10;

std::size_t hash_of(std::string_view text) { return std::hash<std::string_view>{}(text); }

// The message of a row whose text was not kept: what its code means, and
// why there is no more. Static text: building it allocates nothing.
std::string_view message_not_kept(ErrorCode code) noexcept {
  // One sentence for why, the same for every code.
#define LETHE_NOT_KEPT                                                               \
  " (details not kept: this call's rejected lines had more than 32 MiB of distinct " \
  "messages, or memory ran short)"
  switch (code) {
    case ErrorCode::InvalidJson:
      return "the line is not a valid JSON object" LETHE_NOT_KEPT;
    case ErrorCode::LineTooLong:
      return "the line is longer than max_line_bytes" LETHE_NOT_KEPT;
    case ErrorCode::MissingField:
      return "a required field is absent or null" LETHE_NOT_KEPT;
    case ErrorCode::InvalidField:
      return "a field has a value the contract does not allow" LETHE_NOT_KEPT;
    case ErrorCode::DbForeignKey:
      return "the database refused the line: a foreign key constraint failed" LETHE_NOT_KEPT;
    case ErrorCode::DbConstraint:
      return "the database refused the line: a constraint failed" LETHE_NOT_KEPT;
    case ErrorCode::DbUpsert:
      return "the database refused the line's values" LETHE_NOT_KEPT;
  }
#undef LETHE_NOT_KEPT
  return "the line was rejected";
}

}  // namespace

// ---------------------------------------------------------------------------
// TextPool

std::uint32_t TextPool::find(std::string_view text, std::size_t hash, std::size_t& slot) const {
  const std::size_t mask = index_.size() - 1;
  for (slot = hash & mask;; slot = (slot + 1) & mask) {
    const std::uint32_t stored = index_[slot];
    if (stored == 0) return kNotKept;
    if (entries_[stored - 1] == text) return stored - 1;
  }
}

const char* TextPool::store(std::string_view text) {
  if (text.size() > block_size_ - block_used_) {
    const std::size_t next =
        blocks_.empty() ? kFirstBlockBytes : std::min(block_size_ * 2, kLargestBlockBytes);
    block_size_ = std::max(next, text.size());
    // Not value-initialized: every byte is written before it is read.
    std::unique_ptr<char[]> block(new char[block_size_]);  // NOLINT(modernize-make-unique)
    blocks_.push_back(std::move(block));
    block_used_ = 0;
  }
  char* at = blocks_.back().get() + block_used_;
  if (!text.empty()) std::memcpy(at, text.data(), text.size());
  block_used_ += text.size();
  return at;
}

void TextPool::grow_index() {
  std::vector<std::uint32_t> bigger(index_.empty() ? 64 : index_.size() * 2, 0);
  const std::size_t mask = bigger.size() - 1;
  for (std::uint32_t id = 0; id < entries_.size(); ++id) {
    std::size_t slot = hash_of(entries_[id]) & mask;
    while (bigger[slot] != 0) slot = (slot + 1) & mask;
    bigger[slot] = id + 1;
  }
  index_.swap(bigger);
}

std::uint32_t TextPool::intern(std::string_view text) {
  // At most half full, so a probe ends soon.
  if ((entries_.size() + 1) * 2 > index_.size()) grow_index();
  const std::size_t hash = hash_of(text);
  std::size_t slot = 0;
  const std::uint32_t found = find(text, hash, slot);
  if (found != kNotKept) return found;
  if (text.size() > budget_ - std::min(budget_, bytes_) || entries_.size() >= kNotKept - 2) {
    return kNotKept;
  }
  const char* stored = store(text);
  entries_.emplace_back(stored, text.size());
  bytes_ += text.size();
  const auto id = static_cast<std::uint32_t>(entries_.size() - 1);
  index_[slot] = id + 1;
  return id;
}

// ---------------------------------------------------------------------------
// RejectList

std::uint32_t RejectList::keep_text(TextPool& pool, std::string_view text) noexcept {
  try {
    return pool.intern(text);
  } catch (const std::bad_alloc&) {
    return TextPool::kNotKept;  // the row stays; its message says the details are gone
  }
}

void RejectList::reserve(std::size_t more) {
  const std::size_t blocks = (size_ + more + kRowsPerBlock - 1) / kRowsPerBlock;
  blocks_.reserve(blocks);
  while (blocks_.size() < blocks) blocks_.push_back(std::make_unique<RejectRow[]>(kRowsPerBlock));
}

void RejectList::add(std::uint64_t line, std::uint64_t byte_offset, const LineError& error) {
  reserve(1);
  RejectRow& row = at(size_);
  row = RejectRow{};
  row.line = line;
  row.byte_offset = byte_offset;
  row.code = error.code;
  row.arrival = static_cast<std::uint32_t>(size_);
  if (!error.field.empty()) row.field = keep_text(fields_, error.field);
  // A row whose field could not be kept keeps no message either: the
  // sentence built from its code says the details are gone.
  if (row.field != TextPool::kNotKept) row.message = keep_text(messages_, error.message);
  ++size_;
}

void RejectList::append(const RejectList& other) {
  reserve(other.size_);
  for (std::size_t i = 0; i < other.size_; ++i) {
    const RejectRow& theirs = other.at(i);
    RejectRow& row = at(size_);
    row = theirs;
    row.arrival = static_cast<std::uint32_t>(size_);
    if (theirs.field != kNoRejectField && theirs.field != TextPool::kNotKept) {
      row.field = keep_text(fields_, other.fields_.text(theirs.field));
    }
    const bool message_kept = theirs.message != TextPool::kNotKept;
    row.message = message_kept && row.field != TextPool::kNotKept
                      ? keep_text(messages_, other.messages_.text(theirs.message))
                      : TextPool::kNotKept;
    ++size_;
  }
}

namespace {

bool before(const RejectRow& a, const RejectRow& b) noexcept {
  return std::tie(a.line, a.byte_offset, a.arrival) < std::tie(b.line, b.byte_offset, b.arrival);
}

}  // namespace

void RejectList::sift_down(std::size_t root, std::size_t end) noexcept {
  while (true) {
    std::size_t largest = root;
    const std::size_t left = 2 * root + 1;
    const std::size_t right = left + 1;
    if (left < end && before(at(largest), at(left))) largest = left;
    if (right < end && before(at(largest), at(right))) largest = right;
    if (largest == root) return;
    std::swap(at(root), at(largest));
    root = largest;
  }
}

void RejectList::sort() noexcept {
  bool in_order = true;
  for (std::size_t i = 1; i < size_ && in_order; ++i) in_order = !before(at(i), at(i - 1));
  if (in_order) return;  // the usual case: lines arrive in input order
  // Heapsort: in place, so sorting needs no memory a call may not have
  // (it runs after the writes).
  for (std::size_t i = size_ / 2; i-- > 0;) sift_down(i, size_);
  for (std::size_t end = size_; end-- > 1;) {
    std::swap(at(0), at(end));
    sift_down(0, end);
  }
}

std::string_view RejectList::field(const RejectRow& row) const {
  if (row.field == kNoRejectField || row.field == TextPool::kNotKept) return {};
  return fields_.text(row.field);
}

std::string_view RejectList::message(const RejectRow& row) const {
  if (row.message == TextPool::kNotKept) return message_not_kept(row.code);
  return messages_.text(row.message);
}

}  // namespace lethe
