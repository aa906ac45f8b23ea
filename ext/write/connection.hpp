#pragma once

#include <string>

#include "write/feed.hpp"

namespace lethe {

// Per-connection state shared by the modules and functions of the extension.
struct ConnectionState {
  Feed* active_feed = nullptr;   // non-null only while the sink statement runs
  std::string last_ingest_json;  // lethe_last_ingest(); empty before any
  std::string last_sync_json;    // lethe_last_sync(); empty before any
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
