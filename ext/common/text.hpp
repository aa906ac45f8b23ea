// Byte-level text rules every layer shares, each stated once: what valid
// UTF-8 is, what a control character is, the byte-order mark, and where text
// may be cut.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

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

// The length of the run at the start of `text` that a JSON string holds as
// it is: no '"', no '\\', no control byte below 0x20 and, when
// `stop_at_non_ascii`, no byte at or above 0x80 (where a scanner checks a
// UTF-8 sequence). Sixteen bytes at a time where SSE2 is there (x86-64),
// else eight: the long texts of transcripts are mostly such runs.
std::size_t plain_json_run(std::string_view text, bool stop_at_non_ascii) noexcept;

inline bool starts_with(std::string_view text, std::string_view prefix) noexcept {
  return text.substr(0, prefix.size()) == prefix;
}
inline bool contains(std::string_view text, std::string_view part) noexcept {
  return text.find(part) != std::string_view::npos;
}

}  // namespace lethe
