// One lethe_ingest call: the batch flows line by line through framing, wire
// and store; the rejected lines come back as result rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parse/options.hpp"
#include "parse/rejects.hpp"
#include "parse/wire.hpp"
#include "write/call_scope.hpp"

namespace lethe {

// Lines parsed and written per chunk when the call has its own savepoint:
// the first chunk holds kChunkRows lines, so that writing starts soon, and
// each next one twice as many, up to kMaxChunkRows lines or kMaxChunkBytes
// of input. A chunk is written in one savepoint (CallScope::write_in_groups),
// and bigger ones write less: SQLite journals, once per savepoint and per
// statement, every page the chunk touches that existed before it. The bounds
// cap the memory a call holds (about four chunks: being written, queued,
// being parsed, being freed) and what a refused line costs (at most its
// chunk is written again, in smaller groups).
inline constexpr std::size_t kChunkRows = 1024;
inline constexpr std::size_t kMaxChunkRows = 16384;
inline constexpr std::size_t kMaxChunkBytes = std::size_t{8} << 20;

// Batches at least this big are parsed on a worker thread while the caller's
// thread writes the previous chunk: parsing is a fifth to a third of the
// work and the machines have two cores. Smaller batches don't repay a
// thread's start.
inline constexpr std::size_t kPipelineMinBytes = std::size_t{4} << 20;

// How a call's input was read: its format, the wire lines produced from it
// and the native records deliberately not turned into lines. For wire
// input, turns = lines and skipped = 0.
struct SourceCounts {
  std::string_view format = "wire";  // a static name
  std::uint64_t turns = 0;
  std::uint64_t skipped = 0;
};

struct IngestSummary {
  std::uint64_t lines = 0;  // non-blank lines
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t bytes = 0;
  bool dry_run = false;
  double elapsed_ms = 0;
  SourceCounts source;
};

// The JSON object lethe_last_ingest() returns, at most this long.
inline constexpr std::size_t kSummaryJsonCapacity = 512;
std::string summary_json(const IngestSummary& summary);
// The same into `out`, whose capacity is already kSummaryJsonCapacity: no
// allocation.
void write_summary_json(const IngestSummary& summary, std::string& out);

struct IngestResult {
  RejectList rejects;  // in input order
  IngestSummary summary;
  std::string summary_json;  // made before the commit: nothing allocates after it
};

// Runs a whole call. Throws CallError when the call fails, with the code and
// message that say what became of its writes (CallScope::fail).
IngestResult ingest(Store& store, const std::string& owner, std::string_view batch,
                    const IngestOptions& options);

// Reads and writes one batch inside a call that writes several (lethe_sync):
// `scope` is open (begin() returned `mode`) and stays the caller's to commit
// or fail. Throws what the writes throw (BatchError, InputError, ...).
IngestResult ingest_batch(CallScope& scope, CallMode mode, const std::string& owner,
                          std::string_view batch, const IngestOptions& options);

// The batches of a call that writes many (lethe_sync: a home's files, an
// agent database's sessions). load(i) and data(i)/options(i) run on the
// parsing thread when there is one, so they touch nothing but batch i's own
// state (no SQLite); written(i) and prepare_next() run on the caller's
// thread, written(i) in order, after batch i is written (result) or when
// load(i) said it is not to be written (nullptr).
class BatchList {
 public:
  virtual ~BatchList() = default;
  virtual std::size_t size() const = 0;
  // Reads batch i; false when it is not to be written.
  virtual bool load(std::size_t i) = 0;
  virtual std::string_view data(std::size_t i) const = 0;
  virtual const IngestOptions& options(std::size_t i) const = 0;
  virtual std::size_t bytes(std::size_t i) const = 0;
  virtual void written(std::size_t i, IngestResult* result) = 0;
  // On the caller's thread, before the first load and after each write: a
  // step of the work batches need done there (an agent database's export,
  // which calls SQLite), for the next batch not yet prepared, so that it
  // runs while the parsing thread parses. load(i) may wait for it: each
  // call must prepare batch i once batches before i are written.
  virtual void prepare_next() {}
  // On the caller's thread when the call stops writing batches, done or
  // failed, before the parsing thread is joined: load() must not wait any
  // more (it returns false).
  virtual void abandon() {}
};

// Writes every batch of `list` inside an open call, in order. With the
// call's savepoint and two hardware threads, batch i + 1 is loaded and
// parsed on a second thread while batch i is written. Throws what the
// writes throw; the caller fails or commits the call.
void ingest_batches(CallScope& scope, CallMode mode, const std::string& owner, BatchList& list);

}  // namespace lethe
