// Native transcript formats (docs/reference/native-formats.md): the files Claude Code,
// Codex CLI and Gemini CLI write, turned into wire-v1 lines. Needs no SQLite:
// lethe_ingest feeds the produced lines through the wire flow, and
// lethe_convert shows them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parse/framing.hpp"
#include "parse/options.hpp"
#include "parse/wire.hpp"

namespace lethe::native {

// One produced wire-v1 line and the native record it was built from (the
// first one, when several records make one turn).
struct ProducedLine {
  std::string wire;  // exact JSON text, no line ending
  std::uint64_t line = 0;
  std::uint64_t byte_offset = 0;
};

// A native record that could not be read or mapped.
struct Problem {
  std::uint64_t line = 0;
  std::uint64_t byte_offset = 0;
  LineError error;
};

struct Conversion {
  Format format = Format::Wire;     // as resolved (never Auto)
  std::vector<ProducedLine> lines;  // in native order (line of the first record)
  std::vector<Problem> problems;    // in native order
  std::uint64_t skipped = 0;        // records read and deliberately not turned into lines
};

// One item of a conversion, handed out in native order: a produced wire
// line (`problem` empty) or a problem (`wire` empty). At one native line a
// problem comes before the lines built there. A converter opened with
// Handout::Records hands out a turn as `record` instead of `wire` where it
// can: exactly the TurnRecord parse_line makes of the wire line (ARCHITECTURE.md,
// "Records without their wire text").
struct Produced {
  std::string wire;
  std::uint64_t line = 0;
  std::uint64_t byte_offset = 0;
  std::optional<LineError> problem;
  std::optional<TurnRecord> record;
};

// What a converter hands out for a turn: its wire line always (lethe_convert,
// and what a caller shows), or, where it can, the record parse_line would
// make of that line (lethe_ingest: no printing and parsing again).
enum class Handout : std::uint8_t { WireLines, Records };

class Reader;  // one per format (native_common.hpp)
class Output;

// A conversion pulled one item at a time, so that a caller can write each
// line as it comes: only what a format must hold back (an open Claude
// response, a Codex answer waiting for its tokens, a Gemini message before
// its last version) is in memory, plus the compact index a reader builds of
// the whole file first (docs/reference/native-formats.md, "What it costs").
class Converter {
 public:
  // Throws InputError when the format is `auto` and not recognized. `data`
  // must outlive the converter (`options` are copied).
  static std::unique_ptr<Converter> open(std::string_view data, const IngestOptions& options,
                                         Handout handout = Handout::WireLines);
  ~Converter();
  Converter(const Converter&) = delete;
  Converter& operator=(const Converter&) = delete;

  Format format() const { return format_; }  // as resolved (never Auto)

  // The next item; false at the end. Deterministic: the same input and
  // options give byte-identical items.
  bool next(Produced& item);

  // Lines handed out so far, and records deliberately not turned into
  // lines so far; final once next() returned false.
  std::uint64_t turns() const;
  std::uint64_t skipped() const;

  // The most items (turns, problems) that were converted and held at once
  // before being handed out: what bounds the memory of a call.
  std::size_t peak_held() const;

 private:
  Converter(std::string_view data, const IngestOptions& options, Format format, Handout handout);

  Format format_;
  LineSplitter wire_lines_;  // Format::Wire: the lines as they stand
  std::unique_ptr<Output> out_;
  std::unique_ptr<Reader> reader_;
  bool read_all_ = false;
  std::size_t peak_held_ = 0;
  std::uint64_t wire_turns_ = 0;
};

// The formats the first non-blank line fits (adapters contract section 2):
// none, one, or, when a Claude Code or Qwen Code record could be either and
// none of the next lines decides, both. An empty or blank `data` is wire (a
// batch with no lines, whatever the format).
std::vector<Format> detect_formats(std::string_view data);

// The one format detect_formats finds; nullopt when none or several fit.
std::optional<Format> detect_format(std::string_view data);

// Converts the whole of `data` with `options` (format, host, source_file,
// max_field_bytes) into one Conversion (a Converter run to its end: for
// lethe_convert and the tests). Throws InputError when the format is `auto`
// and not recognized. For the wire format every non-blank line is produced as
// it stands.
Conversion convert(std::string_view data, const IngestOptions& options);

}  // namespace lethe::native
