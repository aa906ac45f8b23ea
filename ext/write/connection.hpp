#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "parse/wire.hpp"
#include "write/feed.hpp"

namespace lethe {

// lethe_stats(): what the lethe_ingest calls of a connection did since it
// loaded lethe or since lethe_stats('reset'). Fixed size: counting a call
// never allocates (it happens after the call's commit).
struct IngestTotals {
  std::uint64_t calls = 0;          // every call, failed ones included
  std::uint64_t failed_calls = 0;   // ended with an error: nothing written
  std::uint64_t dry_run_calls = 0;  // of the calls that succeeded
  std::uint64_t lines = 0;          // the lines of the calls that succeeded
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::array<std::uint64_t, kErrorCodeCount> rejected_by_code{};
  std::uint64_t bytes = 0;  // the batches of the calls that succeeded
  double elapsed_ms = 0;    // the same calls, each its lethe_last_ingest() elapsed_ms
  std::int64_t since_unix_ms = 0;
};

// Per-connection state shared by the modules and functions of the extension.
struct ConnectionState {
  Feed* active_feed = nullptr;   // non-null only while the sink statement runs
  std::string last_ingest_json;  // lethe_last_ingest(); empty before any
  std::string last_sync_json;    // lethe_last_sync(); empty before any
  IngestTotals ingest_totals;    // lethe_stats()
  bool call_running = false;     // calls don't nest (docs/reference/contract.md section 1)
  // A call was refused for nesting: a trigger on sessions or turns calls
  // lethe_ingest, so lethe's cached statements hold that trigger's program,
  // which holds lethe_ingest itself, and sqlite3_close() would see them
  // unfinalized. The outer call then drops its statements.
  bool nested_call_refused = false;
  // Set by sqlite3_lethe_replicated_init: a call never opens a transaction
  // of its own (an autocommit SELECT); see docs/reference/contract.md section 1.
  bool refuse_own_transaction = false;
};

}  // namespace lethe
