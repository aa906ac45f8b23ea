#include "native/converter.hpp"

#include <algorithm>

#include "common/text.hpp"
#include "native/reader.hpp"

namespace lethe::native {

namespace {

bool has(const Json& object, const char* key) { return object.contains(key); }

}  // namespace

// ---------------------------------------------------------------------------
// Detection and dispatch

namespace {

// Claude Code and Qwen Code records look alike (type, sessionId, uuid): what
// one record says about which of the two wrote it.
enum class Family : std::uint8_t { Neither, Claude, Qwen, Either };

Family claude_or_qwen(const Json& record) {
  if (!has(record, "type") || !(has(record, "sessionId") || has(record, "uuid") ||
                                has(record, "leafUuid") || has(record, "messageId"))) {
    return Family::Neither;
  }
  if (has(record, "systemPayload") || has(record, "provenance")) return Family::Qwen;
  const std::string* type = string_member(record, "type");
  if (type != nullptr && *type == "tool_result") return Family::Qwen;
  if (type != nullptr && *type != "user" && *type != "assistant" && *type != "system") {
    return Family::Claude;  // summary, file-history-snapshot, queue-operation, progress, ...
  }
  for (const char* key : {"leafUuid", "messageId", "userType", "requestId", "content", "isMeta"}) {
    if (has(record, key)) return Family::Claude;
  }
  const Json* message = member(record, "message");
  if (message != nullptr && message->is_object()) {
    if (has(*message, "parts")) return Family::Qwen;
    if (has(*message, "content")) return Family::Claude;
  }
  return Family::Either;
}

// A first record that fits both: the first of the next lines that decides.
constexpr int kDecidingLines = 64;

Family decide_later(LineSplitter& splitter) {
  Line line;
  Json record;
  std::string problem;
  for (int read = 0; read < kDecidingLines && splitter.next(line);) {
    if (is_blank(line.text)) continue;
    ++read;
    if (!parse_object(line.text, record, problem)) continue;
    const Family family = claude_or_qwen(record);
    if (family == Family::Claude || family == Family::Qwen) return family;
  }
  return Family::Either;
}

// The legacy Gemini document opens with "{" alone on its line. One read
// while Gemini rewrites it may be cut short: its first keys still say what
// it is, and the reader reports it as one INVALID_JSON row.
std::vector<Format> detect_document(std::string_view data, std::string_view first_line) {
  Json whole;
  std::string problem;
  if (parse_object(data, whole, problem)) {
    if (has(whole, "sessionId") && has(whole, "projectHash")) return {Format::GeminiCli};
    return {};
  }
  const std::string_view head = data.substr(0, 4096);
  const auto start = first_line.find_first_not_of(" \t");
  if (start != std::string_view::npos && first_line.substr(start) == "{" &&
      head.find("\"sessionId\"") != std::string_view::npos) {
    return {Format::GeminiCli};
  }
  return {};
}

}  // namespace

std::vector<Format> detect_formats(std::string_view data) {
  if (starts_with(data, kUtf8Bom)) data.remove_prefix(kUtf8Bom.size());
  LineSplitter splitter(data);
  Line line;
  while (splitter.next(line) && is_blank(line.text)) {
  }
  if (is_blank(line.text)) return {Format::Wire};  // nothing to read
  Json first;
  std::string problem;
  if (!parse_object(line.text, first, problem)) return detect_document(data, line.text);
  // lethe's export of an agent's database opens with its session record,
  // which names the agent (write/agent_db.hpp); no file format has "record".
  if (has(first, "record")) {
    const std::string* agent = string_member(first, "agent");
    const std::optional<Format> named = agent ? format_named(*agent) : std::nullopt;
    if (named && is_database_format(*named)) return {*named};
    return {};
  }
  if (has(first, "tool") && has(first, "session_id") && has(first, "turn_id")) {
    return {Format::Wire};
  }
  if ((has(first, "type") && has(first, "payload")) ||
      (has(first, "id") && has(first, "timestamp") && has(first, "instructions"))) {
    return {Format::Codex};
  }
  if (has(first, "sessionId") && has(first, "projectHash")) return {Format::GeminiCli};
  if (has(first, "type") && has(first, "data") && has(first, "id") && has(first, "timestamp")) {
    return {Format::CopilotCli};
  }
  if (has(first, "role") && has(first, "message") && !has(first, "type") &&
      !has(first, "sessionId")) {
    return {Format::CursorCli};
  }
  Family family = claude_or_qwen(first);
  if (family == Family::Either) family = decide_later(splitter);
  switch (family) {
    case Family::Claude:
      return {Format::ClaudeCode};
    case Family::Qwen:
      return {Format::QwenCode};
    case Family::Either:
      return {Format::ClaudeCode, Format::QwenCode};
    default:
      return {};
  }
}

std::optional<Format> detect_format(std::string_view data) {
  const std::vector<Format> formats = detect_formats(data);
  if (formats.size() != 1) return std::nullopt;
  return formats.front();
}

// ---------------------------------------------------------------------------
// Converter

Converter::Converter(std::string_view data, const IngestOptions& options, Format format,
                     Handout handout)
    : format_(format), wire_lines_(data) {
  if (format == Format::Wire) return;
  out_ = std::make_unique<Output>(options, format, handout);
  switch (format) {
    case Format::ClaudeCode:
      reader_ = claude_reader(data, *out_);
      break;
    case Format::Codex:
      reader_ = codex_reader(data, *out_);
      break;
    case Format::QwenCode:
      reader_ = qwen_reader(data, *out_);
      break;
    case Format::CopilotCli:
      reader_ = copilot_reader(data, *out_);
      break;
    case Format::CursorCli:
      reader_ = cursor_reader(data, *out_, options.source_file);
      break;
    case Format::OpenCode:
      reader_ = opencode_reader(data, *out_);
      break;
    case Format::Goose:
      reader_ = goose_reader(data, *out_);
      break;
    case Format::Crush:
      reader_ = crush_reader(data, *out_);
      break;
    default:
      reader_ = gemini_reader(data, *out_);
      break;
  }
}

Converter::~Converter() = default;

std::unique_ptr<Converter> Converter::open(std::string_view data, const IngestOptions& options,
                                           Handout handout) {
  Format format = options.format;
  if (format == Format::Auto) {
    const std::vector<Format> detected = detect_formats(data);
    if (detected.empty()) throw InputError("format not recognized; set options.format");
    if (detected.size() > 1) {
      std::string names;
      for (const Format candidate : detected) {
        if (!names.empty()) names += " and ";
        names += format_name(candidate);
      }
      throw InputError("format not recognized: the data fits " + names + "; set options.format");
    }
    format = detected.front();
  }
  return std::unique_ptr<Converter>(new Converter(data, options, format, handout));
}

bool Converter::next(Produced& item) {
  if (!out_) {
    Line line;
    while (wire_lines_.next(line)) {
      if (is_blank(line.text)) continue;
      item = {std::string(line.text), line.number, line.byte_offset, std::nullopt, std::nullopt};
      ++wire_turns_;
      return true;
    }
    return false;
  }
  while (true) {
    if (out_->pop(item)) return true;
    if (read_all_) return false;
    read_all_ = !reader_->step();
    peak_held_ = std::max(peak_held_, out_->held());
  }
}

std::uint64_t Converter::turns() const { return out_ ? out_->turns() : wire_turns_; }
std::uint64_t Converter::skipped() const { return out_ ? out_->skipped() : 0; }
std::size_t Converter::peak_held() const { return peak_held_; }

Conversion convert(std::string_view data, const IngestOptions& options) {
  const auto converter = Converter::open(data, options);
  Conversion conversion;
  conversion.format = converter->format();
  Produced item;
  while (converter->next(item)) {
    if (item.problem) {
      conversion.problems.push_back({item.line, item.byte_offset, std::move(*item.problem)});
    } else {
      conversion.lines.push_back({std::move(item.wire), item.line, item.byte_offset});
    }
  }
  conversion.skipped = converter->skipped();
  return conversion;
}

}  // namespace lethe::native
