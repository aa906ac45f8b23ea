// How the command writes what it shows: times, log fields, text that may not
// be valid UTF-8 (a file name) made safe for a terminal or a log file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lethe::cli {

// Now in UTC, "2026-12-06T12:00:00Z".
std::string utc_now();

// `text` with every byte that is not valid UTF-8 and every control character
// written as \xNN (a backslash as \\), so one value stays on one line.
std::string printable(std::string_view text);

// `text` whole, lines and all, with each byte that is not part of valid
// UTF-8 written as \xNN, or as U+FFFD when `in_json` (JSON has no \x); and
// NUL as \x00 unless `in_json` (where it is written \u0000 already).
std::string valid_utf8(std::string_view text, bool in_json = false);

// A log line's value: printable(text), in double quotes (with \" inside)
// when it is empty or holds a space, a quote or '=', so `key=value` fields
// split back unambiguously.
std::string log_value(std::string_view text);

// `text` as a JSON string, quotes included; nullopt when it is not valid
// UTF-8 (JSON text is Unicode).
std::optional<std::string> json_string(std::string_view text);

// The width of `text` on a terminal, counting UTF-8 characters (a table's
// columns line up for names that are not ASCII).
std::size_t display_width(std::string_view text);

}  // namespace lethe::cli
