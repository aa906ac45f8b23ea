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

std::optional<Format> detect_format(std::string_view data) {
  if (starts_with(data, kUtf8Bom)) data.remove_prefix(kUtf8Bom.size());
  LineSplitter splitter(data);
  Line line;
  while (splitter.next(line) && is_blank(line.text)) {
  }
  if (is_blank(line.text)) return Format::Wire;  // nothing to read
  Json first;
  std::string problem;
  if (!parse_object(line.text, first, problem)) {
    // The legacy Gemini document opens with "{" alone on its line. One read
    // while Gemini rewrites it may be cut short: its first keys still say
    // what it is, and the reader reports it as one INVALID_JSON row.
    Json whole;
    if (parse_object(data, whole, problem)) {
      if (has(whole, "sessionId") && has(whole, "projectHash")) return Format::GeminiCli;
      return std::nullopt;
    }
    const std::string_view head = data.substr(0, 4096);
    if (line.text.find_first_not_of(" \t") != std::string_view::npos &&
        line.text.substr(line.text.find_first_not_of(" \t")) == "{" &&
        head.find("\"sessionId\"") != std::string_view::npos) {
      return Format::GeminiCli;
    }
    return std::nullopt;
  }
  if (has(first, "tool") && has(first, "session_id") && has(first, "turn_id")) {
    return Format::Wire;
  }
  if ((has(first, "type") && has(first, "payload")) ||
      (has(first, "id") && has(first, "timestamp") && has(first, "instructions"))) {
    return Format::Codex;
  }
  if (has(first, "sessionId") && has(first, "projectHash")) return Format::GeminiCli;
  if (has(first, "type") && (has(first, "sessionId") || has(first, "uuid") ||
                             has(first, "leafUuid") || has(first, "messageId"))) {
    return Format::ClaudeCode;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Converter

Converter::Converter(std::string_view data, const IngestOptions& options, Format format)
    : format_(format), wire_lines_(data) {
  if (format == Format::Wire) return;
  out_ = std::make_unique<Output>(options, format);
  switch (format) {
    case Format::ClaudeCode:
      reader_ = claude_reader(data, *out_);
      break;
    case Format::Codex:
      reader_ = codex_reader(data, *out_);
      break;
    default:
      reader_ = gemini_reader(data, *out_);
      break;
  }
}

Converter::~Converter() = default;

std::unique_ptr<Converter> Converter::open(std::string_view data, const IngestOptions& options) {
  Format format = options.format;
  if (format == Format::Auto) {
    const auto detected = detect_format(data);
    if (!detected) throw InputError("format not recognized; set options.format");
    format = *detected;
  }
  return std::unique_ptr<Converter>(new Converter(data, options, format));
}

bool Converter::next(Produced& item) {
  if (!out_) {
    Line line;
    while (wire_lines_.next(line)) {
      if (is_blank(line.text)) continue;
      item = {std::string(line.text), line.number, line.byte_offset, std::nullopt};
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
