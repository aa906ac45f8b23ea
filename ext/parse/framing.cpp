#include "parse/framing.hpp"

#include <cstring>

#include "common/text.hpp"

namespace lethe {

LineSplitter::LineSplitter(std::string_view batch) noexcept : batch_(batch) {
  if (batch_.substr(0, kUtf8Bom.size()) == kUtf8Bom) position_ = kUtf8Bom.size();
}

bool LineSplitter::next(Line& line) noexcept {
  if (position_ >= batch_.size()) return false;
  const char* start = batch_.data() + position_;
  const std::size_t remaining = batch_.size() - position_;
  // memchr is vectorized by the C library: framing runs at memory speed.
  const void* newline = std::memchr(start, '\n', remaining);
  std::size_t length = newline != nullptr
                           ? static_cast<std::size_t>(static_cast<const char*>(newline) - start)
                           : remaining;
  line.byte_offset = position_;
  line.number = ++number_;
  position_ += length + (newline != nullptr ? 1 : 0);
  // Only a CR that stands right before the LF is a line ending (CRLF files).
  if (newline != nullptr && length > 0 && start[length - 1] == '\r') --length;
  line.text = std::string_view(start, length);
  return true;
}

bool is_blank(std::string_view line) noexcept {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

}  // namespace lethe
