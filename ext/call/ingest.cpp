#include "call/ingest.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

#include "common/machine.hpp"
#include "native/converter.hpp"
#include "parse/framing.hpp"

namespace lethe {

namespace {

// Chunks parsed ahead of the writer: parsing a chunk takes about half the
// time of writing it, so one keeps both threads busy, and each chunk held
// costs up to kMaxChunkBytes of memory.
constexpr std::size_t kChunksInFlight = 1;

// What parsing produces for the writer: accepted rows (a deque, so a row
// never moves once parsed: the writer points at it) and the rejected lines.
struct Chunk {
  std::deque<PendingRow> rows;
  RejectList rejects;
  std::uint64_t lines = 0;  // non-blank lines
  // How the call's input was read, up to this chunk.
  std::optional<SourceCounts> source;
  // Several batches in one call (ingest_batches): which batch, and whether
  // this marks its end (no rows) or that it was not to be written at all.
  std::size_t batch = 0;
  enum class Mark { None, End, NotLoaded } mark = Mark::None;
};

// Where the wire lines come from: the batch itself, or, for a native format
// (docs/reference/native-formats.md), the lines converted from it, each at the native
// line and byte offset of the record it was built from, pulled from the
// converter one at a time (only what a format must hold back is in memory).
// So the rest of the flow (validation, writing, max_errors, dry_run) is the
// same for both, and lethe_ingest on a native file writes what it would
// write from the wire lines lethe_convert shows.
class LineSource {
 public:
  LineSource(std::string_view batch, const IngestOptions& options) : splitter_(batch) {
    if (options.format == Format::Wire) return;
    converter_ = native::Converter::open(batch, options, native::Handout::Records);
    if (converter_->format() == Format::Wire) converter_.reset();  // read the batch as it is
  }

  // The next non-blank wire line, or a problem of the conversion (which
  // counts as a line), or a converted turn already made a record (record()
  // set, `line.text` empty); false at the end. `line.text` and record() stay
  // valid until the next call.
  bool next(Line& line, std::optional<LineError>& problem) {
    if (!converter_) {
      while (splitter_.next(line)) {
        if (!is_blank(line.text)) return true;
      }
      return false;
    }
    if (!converter_->next(produced_)) return false;
    line = Line{produced_.wire, produced_.line, produced_.byte_offset};
    problem = std::move(produced_.problem);
    return true;
  }

  std::optional<TurnRecord>& record() { return produced_.record; }

  // How the input was read, so far (final at the end).
  SourceCounts counts() const {
    if (!converter_) return {};
    return {format_name(converter_->format()), converter_->turns(), converter_->skipped()};
  }

 private:
  LineSplitter splitter_;
  std::unique_ptr<native::Converter> converter_;
  native::Produced produced_;
};

// About the bytes of the wire line a record stands for: what bounds a
// chunk's memory.
std::size_t record_bytes(const TurnRecord& record) {
  constexpr std::size_t kFixedFields = 256;
  const auto size = [](const std::optional<std::string>& text) { return text ? text->size() : 0; };
  return kFixedFields + record.session_id.size() + record.turn_id.size() + size(record.content) +
         size(record.tool_calls) + size(record.metadata) + size(record.session_metadata);
}

// Framing (or conversion) + wire: turns the batch into chunks. Touches no
// SQLite state, so it may run on any thread.
//
// In chunks, the first chunk holds kChunkRows lines, so the writer starts
// soon, and each next one twice as many, up to kMaxChunkRows lines or
// kMaxChunkBytes of input: a chunk is what the writer writes in one go, and
// bigger ones cost less (see CallScope::write_in_groups). Otherwise (a
// writing statement with max_errors or foreign keys on) the whole batch is
// one chunk.
class ChunkParser {
 public:
  ChunkParser(std::string_view batch, const IngestOptions& options, bool chunked)
      : source_(batch, options),
        options_(options),
        chunked_(chunked),
        max_rows_(chunked ? kChunkRows : SIZE_MAX),
        max_bytes_(chunked ? kMaxChunkBytes : SIZE_MAX) {}

  // Fills `chunk` with the next lines; returns false once the batch is
  // exhausted and nothing was added. Stops early once more lines
  // were rejected than max_errors allows: the call fails then, and reading
  // on would only cost time and memory. Every chunk says how the input was
  // read so far; the last one (possibly with no line) has the final counts.
  bool next(Chunk& chunk) {
    if (finished_) return false;
    Line line;
    LineError error;
    std::optional<LineError> problem;
    bool any = false;
    std::size_t bytes = 0;
    while (chunk.rows.size() + chunk.rejects.size() < max_rows_ && bytes < max_bytes_ &&
           !too_many_rejects()) {
      if (!source_.next(line, problem)) {
        finished_ = true;
        any = true;  // the final counts
        break;
      }
      any = true;
      ++chunk.lines;
      std::optional<TurnRecord>& record = source_.record();
      bytes += record ? record_bytes(*record) : line.text.size();
      if (problem) {
        chunk.rejects.add(line.number, line.byte_offset, *problem);
        problem.reset();
        ++rejected_;
        continue;
      }
      PendingRow& row = chunk.rows.emplace_back();
      if (record) {
        row.record = std::move(*record);
        record.reset();
      } else if (!parse_line(line.text, options_.max_line_bytes, row.record, error)) {
        chunk.rows.pop_back();
        chunk.rejects.add(line.number, line.byte_offset, error);
        ++rejected_;
        continue;
      }
      row.line = line.number;
      row.byte_offset = line.byte_offset;
      if (options_.dry_run) chunk.rows.pop_back();  // validate only
    }
    if (chunked_) max_rows_ = std::min(kMaxChunkRows, 2 * max_rows_);
    chunk.source = source_.counts();
    return any;
  }

 private:
  bool too_many_rejects() const { return options_.max_errors && rejected_ > *options_.max_errors; }

  LineSource source_;
  const IngestOptions& options_;
  const bool chunked_;
  std::size_t max_rows_;
  const std::size_t max_bytes_;
  bool finished_ = false;
  std::uint64_t rejected_ = 0;
};

// A fixed-capacity FIFO of owned chunks. Handing a chunk over moves a
// pointer and allocates nothing, so the allocations a call makes don't
// depend on how its two threads interleave (the out-of-memory sweep fails
// the Nth allocation and must find the same N every run).
class ChunkRing {
 public:
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == slots_.size(); }
  void push(std::unique_ptr<Chunk> chunk) {
    slots_[(head_ + size_) % slots_.size()] = std::move(chunk);
    ++size_;
  }
  std::unique_ptr<Chunk> pop() {
    std::unique_ptr<Chunk> chunk = std::move(slots_[head_]);
    head_ = (head_ + 1) % slots_.size();
    --size_;
    return chunk;
  }

 private:
  std::array<std::unique_ptr<Chunk>, kChunksInFlight> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

// A bounded hand-off from the parsing thread to the writing thread, and
// back for the written chunks.
class ChunkQueue {
 public:
  // Producer side. Returns false when the consumer has stopped.
  bool push(std::unique_ptr<Chunk> chunk) {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return stopped_ || !parsed_.full(); });
    if (stopped_) return false;
    parsed_.push(std::move(chunk));
    ready_.notify_one();
    return true;
  }
  void finish(std::exception_ptr failure) {
    std::lock_guard lock(mutex_);
    finished_ = true;
    failure_ = std::move(failure);
    ready_.notify_one();
  }
  // Consumer side. Returns false at the end; rethrows the producer's failure.
  bool pop(std::unique_ptr<Chunk>& chunk) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !parsed_.empty() || finished_; });
    if (!parsed_.empty()) {
      chunk = parsed_.pop();
      space_.notify_one();
      return true;
    }
    if (failure_) std::rethrow_exception(failure_);
    return false;
  }
  void stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    space_.notify_all();
  }
  // A written chunk goes back so that the parsing thread, not the writing
  // one, pays for freeing its thousands of strings. When the parser is
  // behind on taking them, the writer frees this one itself.
  void recycle(std::unique_ptr<Chunk> chunk) {
    std::unique_lock lock(mutex_);
    if (written_.full()) {
      lock.unlock();
      chunk.reset();
      return;
    }
    written_.push(std::move(chunk));
  }
  // Producer side: frees the written chunks outside the lock.
  void free_written() {
    ChunkRing taken;
    {
      std::lock_guard lock(mutex_);
      std::swap(taken, written_);
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable space_;
  ChunkRing parsed_;
  ChunkRing written_;
  bool finished_ = false;
  bool stopped_ = false;
  std::exception_ptr failure_;
};

// Runs a producer of chunks on its own thread (a ChunkParser over one batch,
// or over the batches of ingest_batches). The destructor stops and joins
// it, so no exit path of a call can leave the thread running.
class ParserThread {
 public:
  using Producer = std::function<void(ParserThread&)>;

  explicit ParserThread(Producer produce)
      : produce_(std::move(produce)), thread_([this] { run(); }) {}
  ~ParserThread() {
    queue_.stop();
    thread_.join();
  }
  ParserThread(const ParserThread&) = delete;
  ParserThread& operator=(const ParserThread&) = delete;

  // Producer side: hands a chunk to the writer; false when the writer has
  // stopped (the producer returns then). Frees the chunks written since.
  bool push(std::unique_ptr<Chunk> chunk) {
    if (!queue_.push(std::move(chunk))) return false;
    queue_.free_written();  // here, on this thread
    return true;
  }

  bool pop(std::unique_ptr<Chunk>& chunk) { return queue_.pop(chunk); }
  void recycle(std::unique_ptr<Chunk> chunk) { queue_.recycle(std::move(chunk)); }

  // The chunks of one batch, pushed as they are parsed; false when the
  // writer stopped.
  bool parse_batch(std::string_view batch, const IngestOptions& options, std::size_t index) {
    ChunkParser parser(batch, options, true);
    auto chunk = std::make_unique<Chunk>();
    while (parser.next(*chunk)) {
      chunk->batch = index;
      if (!push(std::move(chunk))) return false;
      chunk = std::make_unique<Chunk>();
    }
    return true;
  }

 private:
  void run() noexcept {
    name_this_thread("lethe-parse");
    std::exception_ptr failure;
    try {
      produce_(*this);
    } catch (...) {
      failure = std::current_exception();  // std::bad_alloc: SQLITE_NOMEM
    }
    queue_.finish(failure);
  }

  Producer produce_;
  ChunkQueue queue_;
  std::thread thread_;  // last: starts after the queue and the producer exist
};

// Where SQLite lets a call write, and how much of a batch goes at once: with
// the call's savepoint, in chunks; inside a caller's writing statement with
// max_errors or foreign keys on, the batch is the one statement run that
// must succeed whole, so it is one chunk (CallScope::write_in_statements).
struct WriteMode {
  bool savepoint = false;
  bool in_chunks = true;
};

WriteMode write_mode(CallScope& scope, CallMode mode, bool max_errors) {
  WriteMode m;
  m.savepoint = mode == CallMode::Savepoint;
  m.in_chunks = m.savepoint || scope.keeps_written_prefixes(max_errors);
  return m;
}

// One batch's lines read and written inside a call whose scope is open. It
// neither commits nor fails the call: whoever opened the scope does.
class BatchRun {
 public:
  BatchRun(CallScope& scope, const std::string& owner, const IngestOptions& options)
      : scope_(scope), owner_(owner), options_(options) {
    // Reserved now, so that nothing allocates once the writes are in.
    result_.summary_json.reserve(kSummaryJsonCapacity);
  }

  IngestResult run(std::string_view batch, WriteMode mode) {
    read_and_write(batch, mode.savepoint, mode.in_chunks, scope_);
    return finish(batch.size());
  }

  // For chunks parsed elsewhere (ingest_batches): one chunk of the batch,
  // then the result once its last chunk was taken.
  void take(Chunk& chunk, bool savepoint) { consume(chunk, scope_, savepoint); }
  IngestResult finish(std::size_t bytes) {
    summarize(bytes);
    return std::move(result_);
  }

 private:
  void summarize(std::size_t bytes) {
    result_.rejects.sort();
    IngestSummary& s = result_.summary;
    s.rejected = result_.rejects.size();
    s.accepted = s.lines - s.rejected;
    s.bytes = bytes;
    s.dry_run = options_.dry_run;
    s.elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
            .count();
    write_summary_json(s, result_.summary_json);
  }

  // The batch goes in chunks (ChunkParser), or, when `in_chunks` is false,
  // as one; with the call's savepoint a big batch is parsed ahead on a
  // worker thread.
  void read_and_write(std::string_view batch, bool savepoint, bool in_chunks, CallScope& scope) {
    std::optional<ParserThread> parser_thread;
    if (savepoint && batch.size() >= kPipelineMinBytes && std::thread::hardware_concurrency() > 1) {
      try {
        parser_thread.emplace(
            [&, batch](ParserThread& thread) { thread.parse_batch(batch, options_, 0); });
      } catch (const std::system_error&) {
        // No thread to be had (a process limit, a sandbox): parse here.
      }
    }
    if (parser_thread) {
      std::unique_ptr<Chunk> parsed;
      while (parser_thread->pop(parsed)) {
        consume(*parsed, scope, savepoint);
        parser_thread->recycle(std::move(parsed));
      }
      return;
    }
    Chunk chunk;
    ChunkParser parser(batch, options_, in_chunks);
    while (parser.next(chunk)) {
      consume(chunk, scope, savepoint);
      chunk = Chunk{};
    }
  }

  void consume(Chunk& chunk, CallScope& scope, bool savepoint) {
    result_.summary.lines += chunk.lines;
    if (chunk.source) result_.summary.source = *chunk.source;
    result_.rejects.append(chunk.rejects);
    check_max_errors();
    if (chunk.rows.empty() || options_.dry_run) return;
    std::vector<const PendingRow*> rows;
    rows.reserve(chunk.rows.size());
    for (const PendingRow& row : chunk.rows) rows.push_back(&row);
    // Without a savepoint the write below is the call's commit: room for its
    // rejections now, so that nothing after it can fail.
    if (!savepoint) result_.rejects.reserve(rows.size());
    std::optional<std::uint64_t> allowed;
    if (options_.max_errors) allowed = *options_.max_errors - result_.rejects.size();
    for (const DbRejection& refused : scope.write(owner_, rows, allowed)) {
      const PendingRow& row = *rows[refused.row];
      result_.rejects.add(row.line, row.byte_offset, refused.error);
    }
    check_max_errors();
  }

  void check_max_errors() const {
    if (!options_.max_errors || result_.rejects.size() <= *options_.max_errors) return;
    // The earliest line, not the first row: a chunk's parse rejects are
    // added before the database refuses an earlier line of it.
    const RejectRow* first = &result_.rejects[0];
    for (std::size_t i = 1; i < result_.rejects.size(); ++i) {
      const RejectRow& row = result_.rejects[i];
      if (std::tie(row.line, row.byte_offset) < std::tie(first->line, first->byte_offset)) {
        first = &row;
      }
    }
    throw BatchError(SQLITE_ERROR, "more than " + std::to_string(*options_.max_errors) +
                                       " lines were rejected (max_errors); line " +
                                       std::to_string(first->line) + ": " +
                                       std::string(code_name(first->code)) + ": " +
                                       std::string(result_.rejects.message(*first)));
  }

  CallScope& scope_;
  const std::string& owner_;
  const IngestOptions& options_;
  IngestResult result_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// ingest_batches on two threads: the parsing thread loads and parses batch
// i + 1 while this one writes batch i (ARCHITECTURE.md, "Chunks and the
// parsing thread").
void write_batches_pipelined(CallScope& scope, const std::string& owner, BatchList& list,
                             ParserThread& parser) {
  std::optional<BatchRun> current;
  std::size_t index = 0;
  std::unique_ptr<Chunk> parsed;
  list.prepare_next();
  while (parser.pop(parsed)) {
    if (parsed->mark == Chunk::Mark::NotLoaded) {
      list.written(parsed->batch, nullptr);
    } else if (parsed->mark == Chunk::Mark::End) {
      IngestResult result = current->finish(list.bytes(parsed->batch));
      current.reset();
      list.written(parsed->batch, &result);
    } else {
      if (!current || index != parsed->batch) {
        index = parsed->batch;
        current.emplace(scope, owner, list.options(index));
      }
      current->take(*parsed, true);
    }
    parser.recycle(std::move(parsed));
    list.prepare_next();
  }
}

// The parsing thread's side of write_batches_pipelined: every batch loaded,
// parsed and marked, in order.
void parse_batches(ParserThread& thread, BatchList& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto mark = std::make_unique<Chunk>();
    mark->batch = i;
    if (!list.load(i)) {
      mark->mark = Chunk::Mark::NotLoaded;
    } else {
      if (!thread.parse_batch(list.data(i), list.options(i), i)) return;
      mark->mark = Chunk::Mark::End;
    }
    if (!thread.push(std::move(mark))) return;
  }
}

}  // namespace

void write_summary_json(const IngestSummary& s, std::string& out) {
  // to_chars, not printf: the host's locale must not turn '.' into ','. A
  // fixed buffer, and `out` reserved by the caller: nothing allocates here.
  char text[kSummaryJsonCapacity];
  char* at = text;
  char* const end = text + sizeof text;
  auto put = [&](std::string_view part) {
    for (char c : part) {
      if (at < end) *at++ = c;
    }
  };
  auto number = [&](auto value, auto... format) {
    char digits[64];
    const auto r = std::to_chars(digits, digits + sizeof digits, value, format...);
    put(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
  };
  put("{\"lines\":");
  number(s.lines);
  put(",\"accepted\":");
  number(s.accepted);
  put(",\"rejected\":");
  number(s.rejected);
  put(",\"dry_run\":");
  put(s.dry_run ? "true" : "false");
  put(",\"bytes\":");
  number(s.bytes);
  put(",\"elapsed_ms\":");
  number(s.elapsed_ms, std::chars_format::fixed, 3);
  put(",\"format\":\"");
  put(s.source.format);
  put("\",\"turns\":");
  number(s.source.format == format_name(Format::Wire) ? s.lines : s.source.turns);
  put(",\"skipped\":");
  number(s.source.skipped);
  put("}");
  out.assign(text, static_cast<std::size_t>(at - text));
}

std::string summary_json(const IngestSummary& s) {
  std::string out;
  out.reserve(kSummaryJsonCapacity);
  write_summary_json(s, out);
  return out;
}

namespace {

// Every failure leaves through CallScope::fail, which undoes the call and
// decides its code and message: it throws CallError.
IngestResult run_call(Store& store, const std::string& owner, std::string_view batch,
                      const IngestOptions& options) {
  CallScope scope(store);
  try {
    scope.refuse_if_nested();
    WriteMode mode;  // dry_run: nothing opened, the batch read in chunks
    if (!options.dry_run) mode = write_mode(scope, scope.begin(), options.max_errors.has_value());
    IngestResult result = BatchRun(scope, owner, options).run(batch, mode);
    if (!options.dry_run) scope.commit();
    return result;
  } catch (const std::exception&) {
    scope.fail_current();
  }
}

// A committed call into lethe_stats()'s totals: additions only.
void count_call(IngestTotals& totals, const IngestResult& result) noexcept {
  const IngestSummary& s = result.summary;
  ++totals.calls;
  if (s.dry_run) ++totals.dry_run_calls;
  totals.lines += s.lines;
  totals.accepted += s.accepted;
  totals.rejected += s.rejected;
  for (std::size_t i = 0; i < result.rejects.size(); ++i) {
    ++totals.rejected_by_code[static_cast<std::size_t>(result.rejects[i].code)];
  }
  totals.bytes += s.bytes;
  totals.elapsed_ms += s.elapsed_ms;
}

}  // namespace

IngestResult ingest(Store& store, const std::string& owner, std::string_view batch,
                    const IngestOptions& options) {
  IngestTotals& totals = store.state().ingest_totals;
  try {
    IngestResult result = run_call(store, owner, batch, options);
    count_call(totals, result);
    return result;
  } catch (...) {
    ++totals.calls;
    ++totals.failed_calls;
    throw;
  }
}

IngestResult ingest_batch(CallScope& scope, CallMode mode, const std::string& owner,
                          std::string_view batch, const IngestOptions& options) {
  return BatchRun(scope, owner, options)
      .run(batch, write_mode(scope, mode, options.max_errors.has_value()));
}

void ingest_batches(CallScope& scope, CallMode mode, const std::string& owner, BatchList& list) {
  std::optional<ParserThread> parser;
  // Destroyed before `parser` joins its thread, whichever way this returns:
  // a load() waiting for the caller's prepare_next() gives up.
  struct Abandon {
    BatchList& list;
    ~Abandon() { list.abandon(); }
  } abandon{list};
  if (mode == CallMode::Savepoint && list.size() > 1 && std::thread::hardware_concurrency() > 1) {
    try {
      parser.emplace([&list](ParserThread& thread) { parse_batches(thread, list); });
    } catch (const std::system_error&) {
      // No thread to be had: load, parse and write each batch here.
    }
  }
  if (parser) {
    write_batches_pipelined(scope, owner, list, *parser);
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    list.prepare_next();
    if (!list.load(i)) {
      list.written(i, nullptr);
      continue;
    }
    IngestResult result = ingest_batch(scope, mode, owner, list.data(i), list.options(i));
    list.written(i, &result);
  }
}

}  // namespace lethe
