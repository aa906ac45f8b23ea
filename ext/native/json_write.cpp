#include "native/json_write.hpp"

#include <cstdint>
#include <cstring>

#include "common/text.hpp"

namespace lethe::native {

// Appends `text` as a JSON string. Runs without a quote, backslash or
// control character are copied whole, found sixteen bytes at a time
// (common/text.hpp; tool inputs and outputs are long). The text is valid UTF-8 already (the DOM
// parser checked it; cuts fall on character boundaries).
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    i += plain_json_run(text.substr(i), /*stop_at_non_ascii=*/false);
    if (i == text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

// append_json's walk. `level` is how deep `value` is (1: the value itself),
// and `clean` turns false when the text could not stand as a member of a
// line (a string that is not UTF-8, nesting deeper than a line holds, a
// kind the readers never build).
void write_json(std::string& out, const Json& value, int level, bool& clean) {
  switch (value.type()) {
    case Json::value_t::object: {
      if (level > kMaxMemberLevels) clean = false;
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.get_ref<const Json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        if (!is_valid_utf8(key)) clean = false;
        append_json_string(out, key);
        out += ':';
        write_json(out, member, level + 1, clean);
      }
      out += '}';
      break;
    }
    case Json::value_t::array: {
      if (level > kMaxMemberLevels) clean = false;
      out += '[';
      bool first = true;
      for (const Json& element : value.get_ref<const Json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        write_json(out, element, level + 1, clean);
      }
      out += ']';
      break;
    }
    case Json::value_t::string: {
      const std::string& text = value.get_ref<const std::string&>();
      if (!is_valid_utf8(text)) clean = false;
      append_json_string(out, text);
      break;
    }
    case Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      break;
    case Json::value_t::null:
      out += "null";
      break;
    case Json::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      break;
    case Json::value_t::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      break;
    case Json::value_t::number_float:
      out += dump(value);  // the shortest round-trip digits; null for NaN and infinities
      break;
    default:  // kinds the readers never build (binary, discarded)
      clean = false;
      out += dump(value);
  }
}

}  // namespace

// Appends `value` as JSON text, the same bytes as dump(value) for the DOMs
// the readers build (their strings are valid UTF-8): nlohmann's serializer
// escapes a string a byte at a time, and a turn's tool calls and metadata
// hold the long strings of tool inputs, so this writes strings a run at a
// time (append_json_string) and leaves only floats to nlohmann's formatting.
void append_json(std::string& out, const Json& value) { append_member_json(out, value); }

bool append_member_json(std::string& out, const Json& value) {
  bool clean = true;
  write_json(out, value, 1, clean);
  return clean;
}
}  // namespace lethe::native
