// Native transcript formats (docs/native-formats.md): the files Claude Code,
// Codex CLI and Gemini CLI write, turned into wire-v1 lines. Needs no SQLite:
// lethe_ingest feeds the produced lines through the wire flow, and
// lethe_convert shows them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"
#include "wire.hpp"

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

// Decides the format from the first non-blank line (adapters contract
// section 2). nullopt when nothing fits; an empty or blank `data` is wire
// (a batch with no lines, whatever the format).
std::optional<Format> detect_format(std::string_view data);

// Converts the whole of `data` with `options` (format, host, source_file,
// max_field_bytes). Deterministic: the same input gives byte-identical
// lines. Returns nullopt and fills `problem` with the batch error's sentence
// when the format is `auto` and not recognized. For the wire format every
// non-blank line is produced as it stands.
std::optional<Conversion> convert(std::string_view data, const IngestOptions& options,
                                  std::string& problem);

}  // namespace lethe::native
