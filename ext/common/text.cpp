#include "common/text.hpp"

#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lethe {

std::size_t utf8_sequence_length(std::string_view text) noexcept {
  if (text.empty()) return 0;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char min_second = 0x80;
  unsigned char max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min_second = 0xA0;  // overlong
    if (lead == 0xED) max_second = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;  // overlong
    if (lead == 0xF4) max_second = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < min_second || byte(1) > max_second) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

bool is_valid_utf8(std::string_view s) noexcept {
  while (!s.empty()) {
    const std::size_t length = utf8_sequence_length(s);
    if (length == 0) return false;
    s.remove_prefix(length);
  }
  return true;
}

bool has_control_character(std::string_view s) noexcept {
  for (char c : s) {
    if (is_control_character(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

std::size_t character_boundary(std::string_view text, std::size_t limit) noexcept {
  if (text.size() <= limit) return text.size();
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

namespace {

bool is_plain_json_byte(unsigned char c, bool stop_at_non_ascii) {
  return c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || !stop_at_non_ascii);
}

// Whether a word of 8 bytes holds a byte that is not plain (exact about
// whether there is one: a zero byte of x ^ c marks a c, and the borrow of
// x - n * 0x01.. reaches a high bit only from a byte below n <= 0x80).
bool word_has_special_byte(std::uint64_t word, bool stop_at_non_ascii) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const auto has_zero_byte = [](std::uint64_t x) { return ((x - kOnes) & ~x & kHighs) != 0; };
  const bool has_control = ((word - kOnes * 0x20) & ~word & kHighs) != 0;
  return has_control || (stop_at_non_ascii && (word & kHighs) != 0) ||
         has_zero_byte(word ^ (kOnes * '"')) || has_zero_byte(word ^ (kOnes * '\\'));
}

}  // namespace

std::size_t plain_json_run(std::string_view text, bool stop_at_non_ascii) noexcept {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  // A signed compare: a byte at or above 0x80 is negative, so "below 0x20"
  // holds it too; with the sign bits flipped first it holds only 0..0x1F.
  const __m128i sign = _mm_set1_epi8(static_cast<char>(0x80));
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i flipped_space = _mm_xor_si128(space, sign);
  for (; text.size() - i >= 16; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    const __m128i low = stop_at_non_ascii
                            ? _mm_cmplt_epi8(bytes, space)
                            : _mm_cmplt_epi8(_mm_xor_si128(bytes, sign), flipped_space);
    const __m128i special = _mm_or_si128(
        low, _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  for (; text.size() - i >= 8; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + i, sizeof word);
    if (word_has_special_byte(word, stop_at_non_ascii)) break;
  }
  for (; i < text.size(); ++i) {
    if (!is_plain_json_byte(static_cast<unsigned char>(text[i]), stop_at_non_ascii)) return i;
  }
  return text.size();
}

}  // namespace lethe
