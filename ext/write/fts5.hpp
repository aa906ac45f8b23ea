// The FTS5 API of a connection, for lethe_rank (call/rank_function.cpp): SQL
// runs here, in write/, as everywhere in the extension.
#pragma once

#include "write/sqlite_api.hpp"

namespace lethe {

// FTS5's documented lookup, SELECT fts5(?1) with a pointer bound; nullptr
// when this SQLite has no FTS5.
inline fts5_api* fts5_api_of(sqlite3* db) noexcept {
  fts5_api* api = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(st, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(st);
  }
  sqlite3_finalize(st);
  return api;
}

}  // namespace lethe
