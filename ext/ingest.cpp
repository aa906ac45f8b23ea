#include "ingest.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <deque>

#include "framing.hpp"

namespace lethe {

namespace {

// Rows written per statement when the call has its own savepoint: bounds the
// memory a call holds and what one refused line costs to retry.
constexpr std::size_t kChunkRows = 1024;

class Call {
 public:
  Call(Store& store, const std::string& owner, const IngestOptions& options)
      : store_(store), owner_(owner), options_(options) {}

  IngestResult run(std::string_view batch) {
    const auto started = std::chrono::steady_clock::now();
    try {
      if (!options_.dry_run) {
        store_.prepare();
        chunked_ = store_.begin_call() == CallMode::Savepoint;
      }
      read_lines(batch);
      flush();
      if (!options_.dry_run) store_.commit_call();
    } catch (const BatchError& e) {
      if (options_.dry_run) throw;
      store_.rollback_call();
      if (!store_.left_own_transaction_open()) throw;
      // Only SQLITE_IOERR (or FULL, NOMEM) makes SQLite roll back the open
      // transaction when this statement ends; nothing else would close it.
      throw BatchError(SQLITE_IOERR, std::string(e.what()) +
                                         "; the cleanup was interrupted too, so the call "
                                         "reports SQLITE_IOERR to make SQLite roll back "
                                         "the transaction lethe opened");
    } catch (...) {
      if (!options_.dry_run) store_.rollback_call();
      throw;
    }
    std::stable_sort(result_.rejects.begin(), result_.rejects.end(),
                     [](const RejectRow& a, const RejectRow& b) { return a.line < b.line; });
    IngestSummary& s = result_.summary;
    s.rejected = result_.rejects.size();
    s.accepted = s.lines - s.rejected;
    s.bytes = batch.size();
    s.dry_run = options_.dry_run;
    s.elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    return std::move(result_);
  }

 private:
  void read_lines(std::string_view batch) {
    LineSplitter splitter(batch);
    Line line;
    LineError error;
    while (splitter.next(line)) {
      if (is_blank(line.text)) continue;
      ++result_.summary.lines;
      PendingRow& row = pending_.emplace_back();
      if (!parse_line(line.text, options_.max_line_bytes, row.record, error)) {
        pending_.pop_back();
        reject(line.number, line.byte_offset, std::move(error));
        continue;
      }
      row.line = line.number;
      row.byte_offset = line.byte_offset;
      if (options_.dry_run) {
        pending_.pop_back();
      } else if (chunked_ && pending_.size() >= kChunkRows) {
        flush();
      }
    }
  }

  void flush() {
    if (pending_.empty()) return;
    std::vector<const PendingRow*> rows;
    rows.reserve(pending_.size());
    for (const PendingRow& row : pending_) rows.push_back(&row);
    for (DbRejection& refused : store_.write(owner_, rows)) {
      const PendingRow& row = *rows[refused.row];
      reject(row.line, row.byte_offset, std::move(refused.error));
    }
    pending_.clear();
  }

  void reject(std::uint64_t line, std::uint64_t byte_offset, LineError error) {
    result_.rejects.push_back({line, byte_offset, std::move(error)});
    if (options_.max_errors && result_.rejects.size() > *options_.max_errors) {
      const RejectRow& first = result_.rejects.front();
      throw BatchError(SQLITE_ERROR,
                       "more than " + std::to_string(*options_.max_errors) +
                           " lines were rejected (max_errors), so nothing was written; "
                           "line " +
                           std::to_string(first.line) + ": " +
                           std::string(code_name(first.error.code)) + ": " + first.error.message);
    }
  }

  Store& store_;
  const std::string& owner_;
  const IngestOptions& options_;
  bool chunked_ = false;
  std::deque<PendingRow> pending_;  // a deque: rows never move once parsed
  IngestResult result_;
};

}  // namespace

std::string summary_json(const IngestSummary& s) {
  // to_chars, not printf: the host's locale must not turn '.' into ','.
  char elapsed[64];
  const auto end = std::to_chars(elapsed, elapsed + sizeof elapsed - 1, s.elapsed_ms,
                                 std::chars_format::fixed, 3);
  *end.ptr = '\0';
  return "{\"lines\":" + std::to_string(s.lines) + ",\"accepted\":" + std::to_string(s.accepted) +
         ",\"rejected\":" + std::to_string(s.rejected) +
         ",\"dry_run\":" + (s.dry_run ? "true" : "false") +
         ",\"bytes\":" + std::to_string(s.bytes) + ",\"elapsed_ms\":" + elapsed + "}";
}

IngestResult ingest(Store& store, const std::string& owner, std::string_view batch,
                    const IngestOptions& options) {
  return Call(store, owner, options).run(batch);
}

}  // namespace lethe
