// Byte-level text rules every layer shares, each stated once: what valid
// UTF-8 is, what a control character is, the byte-order mark, and where text
// may be cut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lethe {

// The UTF-8 byte-order mark a batch may start with.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The length of the one UTF-8 character `text` starts with, 0 when it does
// not start with one: RFC 3629 (no overlong forms, no UTF-16 surrogates,
// nothing past U+10FFFF). The one statement of the rule, for every check.
std::size_t utf8_sequence_length(std::string_view text) noexcept;

// Every character of `s` is valid UTF-8.
bool is_valid_utf8(std::string_view s) noexcept;

// The control characters no identifier of the contract may hold (tool,
// host, session and turn ids, the owner): C0 and DEL.
constexpr bool is_control_character(unsigned char c) noexcept { return c < 0x20 || c == 0x7F; }
bool has_control_character(std::string_view s) noexcept;

// The length of the longest prefix of `text` of at most `limit` bytes that
// does not end inside a UTF-8 character.
std::size_t character_boundary(std::string_view text, std::size_t limit) noexcept;

namespace text_detail {

inline bool is_plain_json_byte(unsigned char c, bool stop_at_non_ascii) noexcept {
  return c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || !stop_at_non_ascii);
}

// Whether a word of 8 bytes holds a byte that is not plain (exact about
// whether there is one: a zero byte of x ^ c marks a c, and the borrow of
// x - n * 0x01.. reaches a high bit only from a byte below n <= 0x80).
inline bool word_has_special_byte(std::uint64_t word, bool stop_at_non_ascii) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const auto has_zero_byte = [](std::uint64_t x) { return ((x - kOnes) & ~x & kHighs) != 0; };
  const bool has_control = ((word - kOnes * 0x20) & ~word & kHighs) != 0;
  return has_control || (stop_at_non_ascii && (word & kHighs) != 0) ||
         has_zero_byte(word ^ (kOnes * '"')) || has_zero_byte(word ^ (kOnes * '\\'));
}

}  // namespace text_detail

// The length of the run at the start of `text` that a JSON string holds as
// it is: no '"', no '\\', no control byte below 0x20 and, when
// `stop_at_non_ascii`, no byte at or above 0x80 (where a scanner checks a
// UTF-8 sequence). Sixteen bytes at a time where SSE2 is there (x86-64),
// else eight: the long texts of transcripts are mostly such runs. Inline:
// it is called for every string a scan or a write meets, most of them short.
inline std::size_t plain_json_run(std::string_view text, bool stop_at_non_ascii) noexcept {
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
    if (text_detail::word_has_special_byte(word, stop_at_non_ascii)) break;
  }
  for (; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (!text_detail::is_plain_json_byte(byte, stop_at_non_ascii)) return i;
  }
  return text.size();
}

inline bool starts_with(std::string_view text, std::string_view prefix) noexcept {
  return text.substr(0, prefix.size()) == prefix;
}
inline bool contains(std::string_view text, std::string_view part) noexcept {
  return text.find(part) != std::string_view::npos;
}

}  // namespace lethe
