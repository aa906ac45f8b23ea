// The DOM the native readers read records into: built from text lethe's
// scanner (parse/json_scan) has validated, so a hostile line can't make it
// recurse without bound, and field access that never throws.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "parse/json_scan.hpp"

namespace lethe::native {

// Insertion-ordered, so a native object (`usage`, a `tool_use` block) keeps
// its key order when it is written back out.
using Json = nlohmann::ordered_json;

// Parses one JSON object: lethe's scanner validates it (UTF-8, depth 64,
// so a hostile line can't make the DOM recurse without bound), then its DOM
// is built. Fills `problem` when it is not one.
bool parse_object(std::string_view text, Json& value, std::string& problem);

// The DOM of a line that lethe's scanner accepted already: built without a
// second validation, so it never fails.
void parse_scanned(std::string_view text, Json& value);

// Empties a DOM from its leaves up. nlohmann's destructor moves the
// children of every container onto a heap stack first (safe at any depth),
// which cost a sixth of converting an agent database's export. A DOM parsed
// here is at most json::kMaxDepth deep, and a turn's tool calls and metadata
// wrap parts of one in a few levels more, so plain recursion is safe.
void free_parsed(Json& value) noexcept;

// A record's DOM, emptied by free_parsed when it goes out of scope.
struct ParsedRecord {
  Json value;
  ParsedRecord() {}  // not "= default": that would be noexcept, and Json() is not
  ParsedRecord(const ParsedRecord&) = delete;
  ParsedRecord& operator=(const ParsedRecord&) = delete;
  ~ParsedRecord() { free_parsed(value); }
};

// Parses JSON text of any kind within the depth limit; nullopt otherwise.
std::optional<Json> parse_any(std::string_view text);

// The text of a string value (nullptr or not a string: nullopt).
std::optional<std::string> string_value(const json::Value* value);

// The string member `key` of an object that lethe's scanner has already
// validated (a member the scanner handed back), found by skipping over the
// text instead of scanning it again: nullopt when it is absent or not a
// string.
std::optional<std::string> string_member_of_scanned(std::string_view object, std::string_view key);

// Field access that never throws.
const Json* member(const Json& object, const char* key);
const std::string* string_member(const Json& object, const char* key);
// The same, for a record whose parts a reader moves out (its DOM is gone
// after the record is read).
Json* member(Json& object, const char* key);
std::string* string_member(Json& object, const char* key);
std::optional<std::int64_t> integer_member(const Json& object, const char* key);
bool true_member(const Json& object, const char* key);
}  // namespace lethe::native
