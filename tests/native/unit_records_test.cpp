// A converter opened for lethe_ingest hands out a turn as the TurnRecord
// parse_line makes of its wire line, without printing and parsing the line
// (native/output.cpp, Output::make_record; ARCHITECTURE.md, "Records without
// their wire text"). The wire line stays the one truth: these tests hold the
// record equal to parse_line(wire line) for every fixture of every format
// and for every rule a turn can break, where the record must not be made
// and the wire line must be handed out for parse_line to reject.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "native/converter.hpp"
#include "native/output.hpp"
#include "parse/options.hpp"
#include "parse/timestamp.hpp"
#include "parse/wire.hpp"

namespace lethe {
namespace {

namespace fs = std::filesystem;

std::string text(const std::optional<std::string>& value) {
  return value ? "\"" + *value + "\"" : "absent";
}

template <typename T>
std::string number(const std::optional<T>& value) {
  if (!value) return "absent";
  std::ostringstream out;
  out.precision(17);
  out << *value;
  return out.str();
}

// Every field of a record, to compare two and show how they differ.
std::string describe(const TurnRecord& r) {
  std::ostringstream out;
  out << "tool=" << r.tool << " host=" << r.host << " session_id=" << r.session_id
      << " turn_id=" << r.turn_id << " seq=" << r.seq << " role=" << r.role
      << " timestamp=" << std::string(r.timestamp.data(), r.timestamp.size())
      << " content=" << text(r.content) << " model=" << text(r.model)
      << " tokens_in=" << number(r.tokens_in) << " tokens_out=" << number(r.tokens_out)
      << " cost_usd=" << number(r.cost_usd)
      << " cost_is_negative_zero=" << (r.cost_usd && std::signbit(*r.cost_usd))
      << " tool_calls=" << text(r.tool_calls) << " metadata=" << text(r.metadata) << " started_at="
      << (r.started_at ? std::string(r.started_at->data(), r.started_at->size()) : "absent")
      << " working_dir=" << text(r.working_dir) << " source_file=" << text(r.source_file)
      << " session_metadata=" << text(r.session_metadata);
  return out.str();
}

std::string describe(const std::optional<LineError>& e) {
  if (!e) return "none";
  return std::string(code_name(e->code)) + " " + e->field + ": " + e->message;
}

// What lethe_ingest stores of one handed-out item, or rejects: the record,
// else what parse_line makes of the wire line.
std::string stored(const native::Produced& item, std::size_t max_line_bytes) {
  std::ostringstream out;
  out << item.line << "@" << item.byte_offset << " ";
  if (item.problem) return out.str() + "problem " + describe(item.problem);
  if (item.record) return out.str() + "record " + describe(*item.record);
  TurnRecord parsed;
  LineError error;
  if (!parse_line(item.wire, max_line_bytes, parsed, error)) {
    return out.str() + "rejected " + describe(std::optional<LineError>(error));
  }
  return out.str() + "record " + describe(parsed);
}

struct Handed {
  std::vector<std::string> stored;
  std::size_t records = 0;  // items handed out as records
};

template <typename Next>
Handed hand_out(Next next, std::size_t max_line_bytes) {
  Handed out;
  native::Produced item;
  while (next(item)) {
    if (item.record) ++out.records;
    out.stored.push_back(stored(item, max_line_bytes));
  }
  return out;
}

Handed convert(std::string_view data, const IngestOptions& options, native::Handout handout) {
  const auto converter = native::Converter::open(data, options, handout);
  return hand_out([&](native::Produced& item) { return converter->next(item); },
                  options.max_line_bytes);
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(Records, EveryFixtureStoresWhatItsWireLinesStore) {
  std::size_t files = 0;
  std::size_t records = 0;
  for (const auto& entry :
       fs::recursive_directory_iterator(std::string(LETHE_SOURCE_DIR) + "/tests/fixtures/native")) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".jsonl" && ext != ".json" && ext != ".ndjson") continue;
    const std::string data = read(entry.path());
    // Three settings: the defaults, cut fields (metadata.truncated_fields),
    // and a line limit that long turns break.
    for (const auto& [field_bytes, line_bytes] :
         {std::pair<std::size_t, std::size_t>{kDefaultMaxFieldBytes, 8u << 20},
          {64, 8u << 20},
          {kDefaultMaxFieldBytes, 600}}) {
      IngestOptions options = default_options(OptionsFor::Ingest);
      options.host = "laptop";
      options.source_file = entry.path().filename().string();
      options.format = Format::Auto;
      options.max_field_bytes = field_bytes;
      options.max_line_bytes = line_bytes;
      std::optional<Handed> lines;
      try {
        lines = convert(data, options, native::Handout::WireLines);
      } catch (const InputError&) {
        break;  // not a native file lethe recognizes (a wire fixture, a part of a home)
      }
      const Handed made = convert(data, options, native::Handout::Records);
      EXPECT_EQ(made.stored, lines->stored)
          << entry.path() << " " << field_bytes << " " << line_bytes;
      EXPECT_EQ(lines->records, 0u);
      records += made.records;
      ++files;
    }
  }
  EXPECT_GE(files, 60u);
  EXPECT_GE(records, 400u) << "records were hardly ever made: the test proves little";
}

// Turns built by hand, one rule broken each, given to two Outputs: the
// items of the one that makes records must store what the wire lines do.
class TwoOutputs {
 public:
  explicit TwoOutputs(IngestOptions options) : options_(std::move(options)) {}

  // Adds the same turn to both (`edit` fills it) and returns what each
  // hands out, stored.
  template <typename Edit>
  std::pair<Handed, Handed> turn(const std::string& session_id, const std::string& timestamp,
                                 Edit edit) {
    std::pair<Handed, Handed> out;
    for (const native::Handout handout : {native::Handout::WireLines, native::Handout::Records}) {
      native::Output output(options_, Format::ClaudeCode, handout);
      const std::size_t session = output.session(session_id);
      const TimeResult time = check_rfc3339(timestamp);
      native::Turn& turn =
          output.add_turn({1, 0}, session, "turn-1", "assistant", time.time.value());
      edit(output, turn);
      Handed handed = hand_out([&](native::Produced& item) { return output.pop(item); },
                               options_.max_line_bytes);
      (handout == native::Handout::Records ? out.second : out.first) = std::move(handed);
    }
    return out;
  }

 private:
  IngestOptions options_;
};

IngestOptions options_with(const std::string& host) {
  IngestOptions options = default_options(OptionsFor::Ingest);
  options.host = host;
  options.source_file = "a.jsonl";
  return options;
}

constexpr const char* kNoon = "2026-01-01T12:00:00.000Z";

// 1 inside `levels` arrays. As a member of metadata it nests levels + 1
// deep (metadata's own object is the first level), and the line's object is
// one more: a line holds 64.
native::Json arrays_around(int levels) {
  native::Json deep = 1;
  for (int i = 0; i < levels; ++i) deep = native::Json::array({deep});
  return deep;
}

TEST(Records, AValidTurnIsARecordEqualToItsParsedLine) {
  TwoOutputs two(options_with("laptop"));
  const auto [lines, records] = two.turn("s1", kNoon, [](native::Output& out, native::Turn& t) {
    out.set_content(t, "hello \"world\"\n\x01 \xC3\xA9");
    t.model = "m";
    t.tokens_in = 10;
    t.tokens_out = 0;
    t.cost_usd = 0.1;
    t.tool_calls = native::Json::array({native::Json{{"name", "Read"}, {"input", 1.5}}});
    t.metadata["k"] = "v";
    native::Session& session = out.session_at(t.session);
    session.working_dir = "/w";
    session.started_at = check_rfc3339(kNoon).time;
    session.metadata["git_branch"] = "main";
  });
  EXPECT_EQ(records.records, 1u);
  EXPECT_EQ(records.stored, lines.stored);
  ASSERT_EQ(lines.stored.size(), 1u);
  EXPECT_NE(lines.stored[0].find("record "), std::string::npos) << lines.stored[0];
}

// Each case breaks one rule parse_line checks; the record must not be made
// where the line is rejected, and must equal the parsed line where it is not.
TEST(Records, EveryRuleATurnCanBreakStoresWhatTheWireLineStores) {
  using Edit = void (*)(native::Output&, native::Turn&);
  struct Case {
    const char* name;
    std::string host;
    std::string session_id;
    std::string timestamp;
    Edit edit;
  };
  const std::string long_id(kMaxIdBytes + 1, 'x');
  static std::string long_model(kMaxModelBytes + 1, 'm');
  static std::string long_dir(kMaxMetaTextBytes + 1, 'd');
  const std::vector<Case> cases = {
      {"turn_id with a control character", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.turn_id = "a\x01"; }},
      {"turn_id not UTF-8", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.turn_id = "a\xff"; }},
      {"turn_id empty", "h", "s", kNoon, [](native::Output&, native::Turn& t) { t.turn_id = ""; }},
      {"turn_id too long", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.turn_id = std::string(kMaxIdBytes + 1, 't'); }},
      {"turn_id at the limit", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.turn_id = std::string(kMaxIdBytes, 't'); }},
      {"content not UTF-8", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.content = "bad \xC3"; }},
      {"content empty", "h", "s", kNoon, [](native::Output&, native::Turn& t) { t.content = ""; }},
      {"model too long", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.model = long_model; }},
      {"model not UTF-8", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.model = "\xff"; }},
      {"a time before 1970: seq below 0", "h", "s", "1969-12-31T23:59:59.000Z",
       [](native::Output&, native::Turn&) {}},
      {"negative tokens", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.tokens_in = -1; }},
      {"the largest tokens", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) {
         t.tokens_out = std::numeric_limits<std::int64_t>::max();
       }},
      {"cost NaN (written as null)", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.cost_usd = std::nan(""); }},
      {"cost infinite", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) {
         t.cost_usd = std::numeric_limits<double>::infinity();
       }},
      {"cost negative", "h", "s", kNoon, [](native::Output&, native::Turn& t) { t.cost_usd = -1; }},
      {"cost negative zero", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.cost_usd = -0.0; }},
      {"cost subnormal", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) {
         t.cost_usd = std::numeric_limits<double>::denorm_min();
       }},
      {"cost the largest double", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.cost_usd = std::numeric_limits<double>::max(); }},
      {"cost with many digits", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.cost_usd = 0.1 + 0.2; }},
      {"tool_calls an object", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) {
         t.tool_calls = native::Json{{"a", 1}};
       }},
      {"tool_calls a string", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.tool_calls = "call"; }},
      {"metadata not an object", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.metadata = native::Json::array(); }},
      {"metadata nested far too deep (71 levels)", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.metadata["deep"] = arrays_around(70); }},
      {"metadata nested one level below the limit (62 levels)", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.metadata["deep"] = arrays_around(61); }},
      {"metadata nested to the limit (63 levels)", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.metadata["deep"] = arrays_around(62); }},
      {"metadata nested one level over the limit (64 levels)", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.metadata["deep"] = arrays_around(63); }},
      {"tool_calls nested one level over the limit", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) {
         native::Json deep = native::Json::object();
         for (int i = 0; i < 62; ++i) deep = native::Json{{"k", deep}};
         t.tool_calls = native::Json::array({deep});
       }},
      {"metadata with a binary value (no reader builds one)", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) {
         t.metadata["b"] = native::Json::binary({1, 2, 3});
       }},
      {"metadata with a key not UTF-8", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.metadata["\xC3"] = 1; }},
      {"metadata with a string not UTF-8", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.metadata["k"] = "\xC3"; }},
      {"tool_calls with a key not UTF-8", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) {
         t.tool_calls = native::Json::array({native::Json{{"\xff", 1}}});
       }},
      {"metadata with NaN (written as null)", "h", "s", kNoon,
       [](native::Output&, native::Turn& t) { t.metadata["x"] = std::nan(""); }},
      {"a line longer than max_line_bytes", "h", "s", kNoon,
       [](native::Output& out, native::Turn& t) { out.set_content(t, std::string(4096, '\x01')); }},
      {"host with a control character", "h\x01", "s", kNoon, [](native::Output&, native::Turn&) {}},
      {"host not UTF-8", "h\xff", "s", kNoon, [](native::Output&, native::Turn&) {}},
      {"host too long", std::string(kMaxIdBytes + 1, 'h'), "s", kNoon,
       [](native::Output&, native::Turn&) {}},
      {"session id too long", "h", long_id, kNoon, [](native::Output&, native::Turn&) {}},
      {"session id with a newline", "h", "s\n", kNoon, [](native::Output&, native::Turn&) {}},
      {"session id not UTF-8", "h", "s\xff", kNoon, [](native::Output&, native::Turn&) {}},
      {"working_dir too long", "h", "s", kNoon,
       [](native::Output& out,
          native::Turn& t) { out.session_at(t.session).working_dir = long_dir; }},
      {"working_dir not UTF-8", "h", "s", kNoon,
       [](native::Output& out,
          native::Turn& t) { out.session_at(t.session).working_dir = "\xff"; }},
      {"session metadata with a string not UTF-8", "h", "s", kNoon,
       [](native::Output& out, native::Turn& t) {
         out.session_at(t.session).metadata["k"] = "\xff";
       }},
  };
  for (const Case& c : cases) {
    IngestOptions options = options_with(c.host);
    options.max_line_bytes = 8000;
    TwoOutputs two(options);
    const auto [lines, records] = two.turn(c.session_id, c.timestamp, c.edit);
    EXPECT_EQ(records.stored, lines.stored) << c.name;
  }
}

// The nesting limit from both sides: 63 levels in metadata is a record, 64
// is the parser's rejection of the line.
TEST(Records, TheNestingLimitIsTheParsers) {
  TwoOutputs two(options_with("h"));
  const auto at_limit = two.turn(
      "s", kNoon, [](native::Output&, native::Turn& t) { t.metadata["deep"] = arrays_around(62); });
  EXPECT_EQ(at_limit.second.records, 1u);
  EXPECT_EQ(at_limit.second.stored, at_limit.first.stored);
  const auto over = two.turn(
      "s", kNoon, [](native::Output&, native::Turn& t) { t.metadata["deep"] = arrays_around(63); });
  EXPECT_EQ(over.second.records, 0u);
  ASSERT_EQ(over.first.stored.size(), 1u);
  EXPECT_NE(over.first.stored[0].find("rejected INVALID_JSON"), std::string::npos)
      << over.first.stored[0];
  EXPECT_EQ(over.second.stored, over.first.stored);
}

// A session whose part of the line breaks a rule is found once: every turn
// of it is handed out as its wire line, and a good session next to it is
// still made records.
TEST(Records, ASessionThatBreaksARuleHandsOutEachOfItsTurnsAsALine) {
  IngestOptions options = options_with("h");
  native::Output output(options, Format::Codex, native::Handout::Records);
  const std::size_t bad = output.session("bad\x01");
  const std::size_t good = output.session("good");
  const NormalizedTime noon = check_rfc3339(kNoon).time.value();
  output.add_turn({1, 0}, bad, "a", "user", noon);
  output.add_turn({2, 10}, good, "b", "user", noon);
  output.add_turn({3, 20}, bad, "c", "user", noon);
  native::Produced item;
  std::vector<bool> records;
  while (output.pop(item)) {
    records.push_back(item.record.has_value());
    EXPECT_EQ(item.record.has_value(), item.wire.empty());
  }
  EXPECT_EQ(records, (std::vector<bool>{false, true, false}));
}

}  // namespace
}  // namespace lethe
