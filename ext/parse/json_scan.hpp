// A strict RFC 8259 scanner for one NDJSON line.
//
// Why not nlohmann::json here: the contract stores `tool_calls`, `metadata`
// and `session_meta.metadata` as the exact bytes they had in the line (like
// Go's json.RawMessage: `1.10` stays `1.10`, big integers keep every digit).
// A DOM re-serializes, and nlohmann's SAX interface reports no byte
// positions. This scanner validates the whole line (grammar, UTF-8, escaped
// surrogate pairs, nesting depth) without building anything and hands back
// each member of an object as a typed span of the original text.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lethe::json {

enum class Type { Null, False, True, Number, String, Array, Object };

// One JSON value as it stands in the text.
struct Value {
  Type type = Type::Null;
  std::string_view raw;     // exact bytes; a string keeps its quotes
  bool has_escape = false;  // strings only: raw contains a backslash
};

// The line's own object counts as level 1 (contract section 2).
constexpr int kMaxDepth = 64;

struct ScanError {
  std::size_t offset = 0;  // where in the text the problem was found
  std::string message;     // what was wrong, for the line error
};

// Called once per member of the scanned object, in text order. `key` is the
// decoded key (escapes resolved), so "\u0074ool" matches "tool".
using MemberVisitor = std::function<void(std::string_view key, const Value&)>;

// Validates that `text` is exactly one JSON object (whitespace around it
// allowed) and visits its members. Returns false and fills `error` when the
// text is not valid JSON, not valid UTF-8, not an object, or nested deeper
// than kMaxDepth. Members are visited as they are scanned, so a caller must
// not act on them until this returns true.
bool scan_object(std::string_view text, const MemberVisitor& visit, ScanError& error);

// Whether `text` is exactly one JSON value (whitespace around it allowed)
// that can stand as a member of a line's object: valid JSON, valid UTF-8,
// nested at most kMaxDepth - 1 levels (the line's object is the first).
bool is_member_value(std::string_view text);

// The members named `keys` of one object, by index into `keys`: the value of
// the last member of each name, as a DOM keeps the last of a repeated key.
template <std::size_t N>
struct Members {
  std::array<std::optional<Value>, N> values;
  const Value* operator[](std::size_t i) const { return values[i] ? &*values[i] : nullptr; }
};

// scan_object, keeping the members named `keys` in `found`.
template <std::size_t N>
bool scan_members(std::string_view text, const std::array<std::string_view, N>& keys,
                  Members<N>& found, ScanError& error) {
  return scan_object(
      text,
      [&](std::string_view key, const Value& value) {
        for (std::size_t i = 0; i < N; ++i) {
          if (key == keys[i]) {
            found.values[i] = value;
            return;
          }
        }
      },
      error);
}

// Decodes the raw text of a valid JSON string value (with its quotes) into
// UTF-8. Only call it on a Value the scanner produced.
std::string decode_string(std::string_view raw);

}  // namespace lethe::json
