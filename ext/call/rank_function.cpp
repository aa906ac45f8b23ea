#include "call/rank_function.hpp"

#include <new>
#include <vector>

#include "write/fts5.hpp"

namespace lethe {
namespace {

constexpr double kK1 = 1.2;  // FTS5's bm25 defaults
constexpr double kB = 0.75;

// The score of the current row, or an SQLite error code.
int score_row(const Fts5ExtensionApi* api, Fts5Context* fts, double* score) {
  sqlite3_int64 rows = 0;
  sqlite3_int64 tokens = 0;
  int length = 0;
  int instances = 0;
  int rc = api->xRowCount(fts, &rows);
  if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
  if (rc == SQLITE_OK) rc = api->xColumnSize(fts, -1, &length);
  if (rc == SQLITE_OK) rc = api->xInstCount(fts, &instances);
  if (rc != SQLITE_OK) return rc;
  std::vector<int> hits(static_cast<std::size_t>(api->xPhraseCount(fts)), 0);
  for (int i = 0; i < instances; ++i) {
    int phrase = 0;
    int column = 0;
    int offset = 0;
    rc = api->xInst(fts, i, &phrase, &column, &offset);
    if (rc != SQLITE_OK) return rc;
    if (phrase >= 0 && static_cast<std::size_t>(phrase) < hits.size()) ++hits[phrase];
  }
  const double average = rows > 0 && tokens > 0 ? static_cast<double>(tokens) / rows : 1.0;
  const double norm = kK1 * (1.0 - kB + kB * length / average);
  double sum = 0.0;
  for (const int tf : hits) {
    if (tf > 0) sum += tf * (kK1 + 1.0) / (tf + norm);
  }
  *score = -sum;
  return SQLITE_OK;
}

void rank_function(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int,
                   sqlite3_value**) noexcept {
  try {
    double score = 0.0;
    const int rc = score_row(api, fts, &score);
    if (rc == SQLITE_OK) {
      sqlite3_result_double(ctx, score);
    } else {
      sqlite3_result_error_code(ctx, rc);
    }
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  } catch (...) {
    sqlite3_result_error(ctx, "lethe_rank: unexpected error", -1);
  }
}

}  // namespace

int register_rank_function(sqlite3* db) {
  fts5_api* api = fts5_api_of(db);
  if (api == nullptr || api->iVersion < 2) return SQLITE_OK;
  return api->xCreateFunction(api, "lethe_rank", nullptr, rank_function, nullptr);
}

}  // namespace lethe
