// JSON text out: what a turn's wire line is written with.
#pragma once

#include <string>
#include <string_view>

#include "native/json_dom.hpp"
#include "parse/json_scan.hpp"

namespace lethe::native {

// How deep a member of a line may nest: the line's own object is the first
// of json::kMaxDepth levels.
inline constexpr int kMaxMemberLevels = json::kMaxDepth - 1;

// Appends `value` as JSON text: the bytes nlohmann's dump() gives for a DOM
// whose strings are valid UTF-8 (every DOM a reader builds), with strings
// copied a run at a time.
void append_json(std::string& out, const Json& value);

// append_json, and whether the appended text is a value that lethe's scanner
// accepts as a member of a line, exactly as json::is_member_value would say
// of it: every string and key valid UTF-8, nested at most kMaxMemberLevels
// levels, only kinds the readers build. Not scanning the text again is the
// point (Output::make_record).
bool append_member_json(std::string& out, const Json& value);

// Appends `text` as a JSON string (the text is valid UTF-8).
void append_json_string(std::string& out, std::string_view text);

// nlohmann's dump(), invalid UTF-8 replaced (for floats and messages).
std::string dump(const Json& value);

}  // namespace lethe::native
