// JSON text out: what a turn's wire line is written with.
#pragma once

#include <string>
#include <string_view>

#include "native/json_dom.hpp"

namespace lethe::native {

// Appends `value` as JSON text: the bytes nlohmann's dump() gives for a DOM
// whose strings are valid UTF-8 (every DOM a reader builds), with strings
// copied a run at a time.
void append_json(std::string& out, const Json& value);

// Appends `text` as a JSON string (the text is valid UTF-8).
void append_json_string(std::string& out, std::string_view text);

// nlohmann's dump(), invalid UTF-8 replaced (for floats and messages).
std::string dump(const Json& value);

}  // namespace lethe::native
