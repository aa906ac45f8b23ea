// Framing: the first step of a line's flow. Splits an NDJSON batch into
// physical lines, remembering where each one starts, so that every later
// stage can report "line N at byte B" without rescanning the batch.
#pragma once

#include <cstdint>
#include <string_view>

namespace lethe {

struct Line {
  std::string_view text;          // without LF, without the one CR before it
  std::uint64_t number = 0;       // 1-based physical line number
  std::uint64_t byte_offset = 0;  // 0-based offset of text in the batch
};

// Yields the lines of a batch in order. A UTF-8 byte-order mark at the very
// start is skipped (it still counts for byte offsets). The last line needs no
// newline; a batch that ends with LF has no extra empty line after it.
class LineSplitter {
 public:
  explicit LineSplitter(std::string_view batch) noexcept;

  // Returns false when the batch is exhausted.
  bool next(Line& line) noexcept;

 private:
  std::string_view batch_;
  std::size_t position_ = 0;
  std::uint64_t number_ = 0;
};

// True for a line that is empty or only spaces and tabs: such a line is
// skipped (no row, no write) but still counts for line numbers.
bool is_blank(std::string_view line) noexcept;

}  // namespace lethe
