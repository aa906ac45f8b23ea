#include "native/reader.hpp"

namespace lethe::native {

bool RecordReader::next(Json& record, Position& at) {
  Line line;
  std::string problem;
  while (next_line(line)) {
    at = {line.number, line.byte_offset};
    if (lines_scanned_) {
      parse_scanned(line.text, record);
      return true;
    }
    if (parse_object(line.text, record, problem)) return true;
    invalid_line(out_, at, problem);
  }
  return false;
}

bool RecordReader::next_line(Line& line) {
  while (splitter_.next(line)) {
    if (!is_blank(line.text)) return true;
  }
  return false;
}

void invalid_line(Output& out, Position at, const std::string& problem) {
  out.problem(at, ErrorCode::InvalidJson, "",
              "line is not valid JSON: " + problem + " (the rest of the file is still read)");
}

void invalid_indexed_line(Output& out, std::string_view text, Position at) {
  json::ScanError error;
  json::scan_object(
      text, [](std::string_view, const json::Value&) {}, error);
  invalid_line(out, at, error.message);
}

std::optional<NormalizedTime> optional_time(const Json& object, const char* key) {
  const std::string* text = string_member(object, key);
  return text == nullptr ? std::nullopt : normalize_rfc3339(*text);
}

std::optional<NormalizedTime> time_of_millis(std::int64_t ms) {
  // 0001-01-01 and 9999-12-31T23:59:59.999 in Unix milliseconds.
  constexpr std::int64_t kMin = -62135596800000;
  constexpr std::int64_t kMax = 253402300799999;
  if (ms < kMin || ms > kMax) return std::nullopt;
  const std::int64_t millis = ((ms % 1000) + 1000) % 1000;
  const std::int64_t seconds = (ms - millis) / 1000;
  const std::int64_t second_of_day = ((seconds % 86400) + 86400) % 86400;
  const std::int64_t days = (seconds - second_of_day) / 86400;
  // Civil from days (H. Hinnant's algorithm), the inverse of unix_millis.
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  NormalizedTime time{};
  const auto put = [&](std::size_t at, std::size_t width, std::int64_t value) {
    for (std::size_t i = width; i-- > 0;) {
      time[at + i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, 4, year);
  time[4] = '-';
  put(5, 2, month);
  time[7] = '-';
  put(8, 2, day);
  time[10] = 'T';
  put(11, 2, second_of_day / 3600);
  time[13] = ':';
  put(14, 2, second_of_day / 60 % 60);
  time[16] = ':';
  put(17, 2, second_of_day % 60);
  time[19] = '.';
  put(20, 3, millis);
  time[23] = 'Z';
  return time;
}

std::optional<NormalizedTime> millis_time(const Json& object, const char* key) {
  const auto ms = integer_member(object, key);
  return ms ? time_of_millis(*ms) : std::nullopt;
}

std::optional<NormalizedTime> required_time(const Json& object, const char* key,
                                            const std::string& path, Position at, Output& out) {
  const Json* v = member(object, key);
  if (v == nullptr || v->is_null()) {
    out.problem(at, ErrorCode::MissingField, path, path + " is required for this record");
    return std::nullopt;
  }
  const auto time =
      v->is_string() ? normalize_rfc3339(v->get_ref<const std::string&>()) : std::nullopt;
  if (!time) {
    std::string quoted = dump(*v);
    quoted.resize(character_boundary(quoted, kMaxQuotedBytes));
    out.problem(at, ErrorCode::InvalidField, path,
                path + " must be an RFC 3339 date-time, got " + quoted);
  }
  return time;
}

std::string image_placeholder(std::string_view media_type, std::string_view base64) {
  std::size_t padding = 0;
  while (padding < 2 && padding < base64.size() && base64[base64.size() - 1 - padding] == '=') {
    ++padding;
  }
  const std::size_t bytes =
      base64.size() / 4 * 3 + (base64.size() % 4 == 0 ? 0 : base64.size() % 4 - 1);
  return "[image " + std::string(media_type.empty() ? "unknown" : media_type) + " " +
         std::to_string(bytes >= padding ? bytes - padding : 0) + " bytes]";
}

TokenCount token_count(const Json& usage, const char* key) {
  const Json* v = member(usage, key);
  if (v == nullptr || v->is_null()) return 0;
  const TokenCount n = integer_member(usage, key);
  if (!n || *n < 0) return std::nullopt;
  return n;
}

TokenCount checked_sum(std::initializer_list<TokenCount> counts) {
  std::int64_t sum = 0;
  for (const TokenCount& n : counts) {
    if (!n || __builtin_add_overflow(sum, *n, &sum)) return std::nullopt;
  }
  return sum;
}

std::optional<std::string> join_texts(std::vector<std::string> texts) {
  if (texts.empty()) return std::nullopt;
  std::string joined = std::move(texts.front());
  for (std::size_t i = 1; i < texts.size(); ++i) joined.append("\n\n").append(texts[i]);
  return joined;
}

void note_envelope_facts(const EnvelopeFacts& facts, Session& session, bool first_record) {
  if (const auto text = string_value(facts.timestamp)) {
    if (const auto time = normalize_rfc3339(*text)) {
      if (!session.started_at || *time < *session.started_at) session.started_at = time;
    }
  }
  if (!session.working_dir) {
    if (auto cwd = string_value(facts.cwd)) session.working_dir = std::move(cwd);
  }
  if (!first_record) return;
  Json& meta = session.metadata;
  if (const auto v = string_value(facts.version)) meta["client_version"] = *v;
  if (const auto v = string_value(facts.git_branch)) meta["git_branch"] = *v;
  if (const auto agent = string_value(facts.agent_id); agent && !agent->empty()) {
    meta["parent_session_id"] = string_value(facts.session_id).value_or("");
    meta["agent_id"] = *agent;
  }
}

}  // namespace lethe::native
