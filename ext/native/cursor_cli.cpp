// Cursor CLI (experimental): ~/.cursor/projects/<workspace>/agent-transcripts/
// <id>/<id>.jsonl, sub-agents in <id>/subagents/ (docs/reference/adapters.md,
// "Cursor CLI"). Lines {role, message: {content}} with Anthropic-style
// blocks, and nothing else: no ids, no model, no tokens, no time but a
// human <timestamp> tag in the user's text. No real file has been
// published; the reader follows the public descriptions until one is.
//
// Turn ids are l<line> (the file only grows); the session id is the file's
// name (Cursor names it by the conversation id), given as
// options.source_file, else a hash of the first line. A turn's time is the
// latest <timestamp> tag at or before it; the turns before the first tag
// take the first tag's time (found by a first pass over the raw lines).
#include <array>
#include <cstdio>

#include "native/reader.hpp"

namespace lethe::native {

namespace {

constexpr std::string_view kTagOpen = "<timestamp>";
constexpr std::string_view kTagClose = "</timestamp>";

// Skips `text` up to and past `separator`; false when it is not there.
bool skip_past(std::string_view& text, std::string_view separator) {
  const auto at = text.find(separator);
  if (at == std::string_view::npos) return false;
  text.remove_prefix(at + separator.size());
  return true;
}

bool read_number(std::string_view& text, int& value, std::size_t max_digits) {
  std::size_t digits = 0;
  value = 0;
  while (digits < text.size() && digits < max_digits && text[digits] >= '0' &&
         text[digits] <= '9') {
    value = value * 10 + (text[digits] - '0');
    ++digits;
  }
  text.remove_prefix(digits);
  return digits > 0;
}

int month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (name.substr(0, 3) == kMonths[i]) return static_cast<int>(i) + 1;
  }
  return 0;
}

// "(UTC+3)", "(UTC-07:00)", "(UTC+5:30)", "(UTC)" -> "+03:00" ...
std::optional<std::string> utc_offset(std::string_view text) {
  if (!skip_past(text, "(UTC")) return std::nullopt;
  if (!text.empty() && text[0] == ')') return std::string("Z");
  if (text.empty() || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  const char sign = text[0];
  text.remove_prefix(1);
  int hours = 0;
  int minutes = 0;
  if (!read_number(text, hours, 2)) return std::nullopt;
  if (!text.empty() && text[0] == ':') {
    text.remove_prefix(1);
    if (!read_number(text, minutes, 2)) return std::nullopt;
  }
  std::array<char, 8> out{};
  std::snprintf(out.data(), out.size(), "%c%02d:%02d", sign, hours, minutes);
  return std::string(out.data());
}

// "Tuesday, Apr 28, 2026, 10:15 AM (UTC+3)" as a normalized time.
std::optional<NormalizedTime> parse_tag(std::string_view text) {
  if (!skip_past(text, ", ")) return std::nullopt;  // the weekday
  const int month = month_number(text);
  if (month == 0 || !skip_past(text, " ")) return std::nullopt;
  int day = 0;
  int year = 0;
  int hour = 0;
  int minute = 0;
  if (!read_number(text, day, 2) || !skip_past(text, ", ") || !read_number(text, year, 4) ||
      !skip_past(text, ", ") || !read_number(text, hour, 2) || !skip_past(text, ":") ||
      !read_number(text, minute, 2) || !skip_past(text, " ") || text.size() < 2) {
    return std::nullopt;
  }
  const bool pm = text.substr(0, 2) == "PM";
  if (!pm && text.substr(0, 2) != "AM") return std::nullopt;
  if (hour < 1 || hour > 12) return std::nullopt;
  hour = hour % 12 + (pm ? 12 : 0);
  const auto offset = utc_offset(text);
  if (!offset) return std::nullopt;
  std::array<char, 40> rfc{};
  std::snprintf(rfc.data(), rfc.size(), "%04d-%02d-%02dT%02d:%02d:00%s", year, month, day, hour,
                minute, offset->c_str());
  return normalize_rfc3339(rfc.data());
}

// The time of the last <timestamp> tag in `text`, if any parses.
std::optional<NormalizedTime> last_tag_time(std::string_view text) {
  std::optional<NormalizedTime> found;
  while (skip_past(text, kTagOpen)) {
    const auto end = text.find(kTagClose);
    if (end == std::string_view::npos) break;
    if (auto time = parse_tag(text.substr(0, end))) found = time;
    text.remove_prefix(end + kTagClose.size());
  }
  return found;
}

// FNV-1a, 64 bits: a stable name for a file given without its path.
std::string fnv1a_hex(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  std::array<char, 17> hex{};
  std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(hash));
  return std::string(hex.data());
}

// The file's stem ("<id>" of ".../<id>.jsonl"), and the parent
// conversation of a sub-agent's file (".../<parent>/subagents/<id>.jsonl").
std::string stem_of(std::string_view path) {
  const auto slash = path.find_last_of('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const auto dot = name.find_last_of('.');
  return std::string(dot == std::string_view::npos || dot == 0 ? name : name.substr(0, dot));
}

std::optional<std::string> parent_of(std::string_view path) {
  const auto at = path.rfind("/subagents/");
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  return stem_of(path.substr(0, at));
}

class CursorReader : public Reader {
 public:
  CursorReader(std::string_view data, Output& out, const std::optional<std::string>& source_file)
      : out_(out), records_(data, out), source_file_(source_file) {
    index(data);
  }

  bool step() override {
    ParsedRecord parsed;
    Json& record = parsed.value;
    Position at;
    if (!records_.next(record, at)) return false;
    if (!time_) {  // a file without a single tag: nothing can be dated
      if (!reported_) {
        out_.problem(at, ErrorCode::MissingField, "timestamp",
                     "no <timestamp> tag in the file's user messages: its turns can't be dated");
        reported_ = true;
      }
      out_.skip();
      return true;
    }
    read_record(record, at);
    return true;
  }

 private:
  // The session, and the first tag's time (for the turns before it).
  void index(std::string_view data) {
    LineSplitter splitter(data);
    Line line;
    std::optional<std::string> first_line;
    while (splitter.next(line)) {
      if (is_blank(line.text)) continue;
      if (!first_line) first_line = std::string(line.text);
      if ((time_ = last_tag_time(line.text))) break;
    }
    if (!first_line) return;
    const bool named = source_file_ && !stem_of(*source_file_).empty();
    session_ = out_.session(named ? stem_of(*source_file_) : "cursor-" + fnv1a_hex(*first_line));
    Session& session = out_.session_at(session_);
    session.started_at = time_;
    if (!named) session.metadata["session_id_from"] = "first_line_hash";
    if (named) {
      if (auto parent = parent_of(*source_file_)) session.metadata["parent_session_id"] = *parent;
    }
  }

  void read_record(Json& record, Position at) {
    const std::string* role = string_member(record, "role");
    if (role == nullptr || (*role != "user" && *role != "assistant")) {
      out_.skip();  // other roles and kinds
      return;
    }
    Json* message = member(record, "message");
    Json* content = message != nullptr ? member(*message, "content") : nullptr;
    if (content == nullptr || !(content->is_string() || content->is_array())) {
      out_.problem(at, content == nullptr ? ErrorCode::MissingField : ErrorCode::InvalidField,
                   "message.content", "message.content must be a string or an array of blocks");
      return;
    }
    if (*role == "user") {
      user(*content, at);
    } else {
      assistant(*content, at);
    }
  }

  void user(Json& content, Position at) {
    std::vector<std::string> texts;
    bool only_results = content.is_array() && !content.empty();
    if (content.is_string()) texts.push_back(std::move(content.get_ref<std::string&>()));
    if (content.is_array()) {
      for (Json& block : content) {
        const std::string* type = string_member(block, "type");
        only_results &= type != nullptr && *type == "tool_result";
        block_text(block, texts);
      }
    }
    for (const std::string& text : texts) {
      if (auto time = last_tag_time(text)) time_ = time;
    }
    Turn& turn = new_turn(at, only_results ? "tool" : "user", "user");
    auto text = join_texts(std::move(texts));
    if (text && !only_results) text = user_query(*text);
    if (text) out_.set_content(turn, std::move(*text));
  }

  // The typed text: the inside of <user_query> when the editor wrapped it.
  static std::string user_query(const std::string& text) {
    const auto open = text.find("<user_query>");
    const auto close = text.find("</user_query>");
    if (open == std::string::npos || close == std::string::npos || close < open) return text;
    const auto start = text.find_first_not_of(" \n", open + 12);
    const auto end = text.find_last_not_of(" \n", close - 1);
    if (start == std::string::npos || end < start) return std::string();
    return text.substr(start, end - start + 1);
  }

  static void block_text(Json& block, std::vector<std::string>& texts) {
    const std::string* type = string_member(block, "type");
    if (type == nullptr) return;
    if (*type == "text") {
      if (std::string* text = string_member(block, "text")) texts.push_back(std::move(*text));
    } else if (*type == "tool_result") {
      Json* inner = member(block, "content");
      if (inner != nullptr && inner->is_string()) {
        texts.push_back(std::move(inner->get_ref<std::string&>()));
      } else if (inner != nullptr && inner->is_array()) {
        for (Json& part : *inner) block_text(part, texts);
      }
    }
  }

  void assistant(Json& content, Position at) {
    std::vector<std::string> texts;
    Json thinking = Json::array();
    Json calls = Json::array();
    if (content.is_string()) texts.push_back(std::move(content.get_ref<std::string&>()));
    if (content.is_array()) {
      for (Json& block : content) {
        const std::string* type = string_member(block, "type");
        if (type == nullptr) continue;
        if (*type == "text") {
          if (std::string* text = string_member(block, "text")) texts.push_back(std::move(*text));
        } else if (*type == "thinking") {
          if (std::string* text = string_member(block, "thinking"))
            thinking.push_back(std::move(*text));
        } else if (*type == "tool_use") {
          calls.push_back(tool_call(block));
        }
      }
    }
    Turn& turn = new_turn(at, "assistant", "assistant");
    if (auto text = join_texts(std::move(texts))) out_.set_content(turn, std::move(*text));
    if (!thinking.empty()) turn.metadata["thinking"] = std::move(thinking);
    if (!calls.empty()) turn.tool_calls = std::move(calls);
  }

  static Json tool_call(Json& block) {
    Json call = Json::object();
    Json* id = member(block, "id");
    Json* name = member(block, "name");
    Json* input = member(block, "input");
    call["id"] = id != nullptr ? std::move(*id) : Json();
    call["name"] = name != nullptr ? std::move(*name) : Json();
    call["input"] = input != nullptr ? std::move(*input) : Json();
    return call;
  }

  Turn& new_turn(Position at, const char* role, const char* native_type) {
    Turn& turn = out_.add_turn(at, session_, "l" + std::to_string(at.line), role, *time_);
    turn.metadata["native_type"] = native_type;
    return turn;
  }

  Output& out_;
  RecordReader records_;
  std::optional<std::string> source_file_;
  std::size_t session_ = 0;
  std::optional<NormalizedTime> time_;  // the latest tag read (the first, before it)
  bool reported_ = false;
};

}  // namespace

std::unique_ptr<Reader> cursor_reader(std::string_view data, Output& out,
                                      const std::optional<std::string>& source_file) {
  return std::make_unique<CursorReader>(data, out, source_file);
}

}  // namespace lethe::native
