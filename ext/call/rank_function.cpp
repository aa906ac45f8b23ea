#include "call/rank_function.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "write/fts5.hpp"

namespace lethe {
namespace {

constexpr double kK1 = 1.2;  // FTS5's bm25 defaults
constexpr double kB = 0.75;

// The score of the current row given each phrase's count of occurrences
// (tf), or an SQLite error code.
int score_of(const Fts5ExtensionApi* api, Fts5Context* fts, const std::vector<int>& hits,
             double* score) {
  sqlite3_int64 rows = 0;
  sqlite3_int64 tokens = 0;
  int length = 0;
  int rc = api->xRowCount(fts, &rows);
  if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
  if (rc == SQLITE_OK) rc = api->xColumnSize(fts, -1, &length);
  if (rc != SQLITE_OK) return rc;
  const double average = rows > 0 && tokens > 0 ? static_cast<double>(tokens) / rows : 1.0;
  const double norm = kK1 * (1.0 - kB + kB * length / average);
  double sum = 0.0;
  for (const int tf : hits) {
    if (tf > 0) sum += tf * (kK1 + 1.0) / (tf + norm);
  }
  *score = -sum;
  return SQLITE_OK;
}

// Each phrase's occurrences in the current row.
int phrase_hits(const Fts5ExtensionApi* api, Fts5Context* fts, std::vector<int>* hits) {
  int instances = 0;
  int rc = api->xInstCount(fts, &instances);
  if (rc != SQLITE_OK) return rc;
  hits->assign(static_cast<std::size_t>(api->xPhraseCount(fts)), 0);
  for (int i = 0; i < instances; ++i) {
    int phrase = 0;
    int column = 0;
    int offset = 0;
    rc = api->xInst(fts, i, &phrase, &column, &offset);
    if (rc != SQLITE_OK) return rc;
    if (phrase >= 0 && static_cast<std::size_t>(phrase) < hits->size()) ++(*hits)[phrase];
  }
  return SQLITE_OK;
}

// "0,1,4": the offsets of lethe_rank's second argument; false unless it is
// a list of numbers from 0 to 1,000,000 separated by commas.
bool parse_offsets(const char* text, std::vector<int>* offsets) {
  offsets->clear();
  if (text == nullptr || *text == '\0') return false;
  const std::string list(text);
  std::size_t at = 0;
  while (at <= list.size()) {
    const std::size_t end = std::min(list.find(',', at), list.size());
    const std::string item = list.substr(at, end - at);
    if (item.empty() || item.size() > 7 ||
        item.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    offsets->push_back(std::atoi(item.c_str()));
    if (offsets->back() > 1000000) return false;
    at = end + 1;
  }
  return true;
}

using Position = std::pair<int, int>;  // (column, token offset)

// What one query's calls of lethe_rank(fts, offsets) keep between rows
// (FTS5's auxiliary data): the offsets parsed once, and the buffers.
struct Pieces {
  std::string text;
  bool fits = false;  // text is a list of offsets, one per phrase
  std::vector<int> offsets;
  std::vector<Position> starts;
  std::vector<Position> kept;
  // The third argument: the whole text, its characters and its tokens
  // (the table's tokenizer), when the pieces cover only part of it.
  bool has_whole = false;
  std::string whole;
  int whole_chars = 0;
  std::vector<std::string> whole_tokens;
  std::vector<std::string> seen_tokens;  // a row's, compared with them
};

void delete_pieces(void* pieces) { delete static_cast<Pieces*>(pieces); }

// The bytes of the character starting at z[at], as FTS5 reads UTF-8
// (READ_UTF8: a byte from 0xc0 up takes every continuation byte after it).
int char_bytes(const unsigned char* z, int at, int end) {
  int next = at + 1;
  if (z[at] >= 0xc0) {
    while (next < end && (z[next] & 0xc0) == 0x80) ++next;
  }
  return next - at;
}

// The characters of z[0, n) up to a NUL byte (where FTS5's trigram
// tokenizer stops).
int count_chars(const char* text, int n) {
  const auto* z = reinterpret_cast<const unsigned char*>(text);
  int chars = 0;
  for (int at = 0; at < n && z[at] != 0; at += char_bytes(z, at, n)) ++chars;
  return chars;
}

int collect_token(void* tokens, int, const char* token, int size, int, int) {
  try {
    static_cast<std::vector<std::string>*>(tokens)->emplace_back(token, size);
    return SQLITE_OK;
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
}

// The tokens of text[0, n) by the table's tokenizer, into *tokens.
int tokens_of(const Fts5ExtensionApi* api, Fts5Context* fts, const char* text, int n,
              std::vector<std::string>* tokens) {
  tokens->clear();
  return api->xTokenize(fts, text, n, tokens, collect_token);
}

// Whether the row's column holds the whole text at token `start` (for the
// trigram tokenizer, character `start`): its characters from there,
// tokenized as the table does, give the whole text's tokens. *found is
// set; an SQLite code is returned.
int whole_at(const Fts5ExtensionApi* api, Fts5Context* fts, Pieces* p, Position start,
             bool* found) {
  *found = false;
  const char* text = nullptr;
  int n = 0;
  int rc = api->xColumnText(fts, start.first, &text, &n);
  if (rc != SQLITE_OK || text == nullptr) return rc;
  const auto* z = reinterpret_cast<const unsigned char*>(text);
  int at = 0;
  for (int c = 0; c < start.second; ++c) {  // to the character `start`
    if (at >= n || z[at] == 0) return SQLITE_OK;
    at += char_bytes(z, at, n);
  }
  int end = at;
  for (int c = 0; c < p->whole_chars; ++c) {  // and as many as the text has
    if (end >= n || z[end] == 0) return SQLITE_OK;
    end += char_bytes(z, end, n);
  }
  rc = tokens_of(api, fts, text + at, end - at, &p->seen_tokens);
  *found = rc == SQLITE_OK && p->seen_tokens == p->whole_tokens;
  return rc;
}

// The occurrences of one text whose pieces are the query's phrases, phrase k
// starting `offsets[k]` tokens into the text: the places where every piece
// is where the text puts it (FTS5's own positions, so the same folding and
// the same tokens as a phrase of the whole text). Each phrase's positions
// come sorted (column, then offset): the places where the text may start
// are narrowed phrase by phrase, and a row without the text usually stops
// after a phrase or two.
int pieced_hits(const Fts5ExtensionApi* api, Fts5Context* fts, Pieces* p, int* hits) {
  p->starts.clear();
  for (std::size_t k = 0; k < p->offsets.size(); ++k) {
    if (k > 0 && p->starts.empty()) break;
    p->kept.clear();
    Fts5PhraseIter it{};
    int column = 0;
    int offset = 0;
    const int rc = api->xPhraseFirst(fts, static_cast<int>(k), &it, &column, &offset);
    if (rc != SQLITE_OK) return rc;
    auto next = p->starts.cbegin();
    for (; column >= 0; api->xPhraseNext(fts, &it, &column, &offset)) {
      const Position start(column, offset - p->offsets[k]);
      if (start.second < 0) continue;
      if (k == 0) {
        p->kept.push_back(start);
        continue;
      }
      while (next != p->starts.cend() && *next < start) ++next;
      if (next == p->starts.cend()) break;
      if (*next == start) p->kept.push_back(start);
    }
    p->starts.swap(p->kept);
  }
  *hits = 0;
  for (const Position& start : p->starts) {
    bool found = true;
    if (p->has_whole) {
      const int rc = whole_at(api, fts, p, start, &found);
      if (rc != SQLITE_OK) return rc;
    }
    if (found) ++*hits;
  }
  return SQLITE_OK;
}

// The pieces of this query, parsed at its first row (again if the
// argument changes): SQLITE_OK with *pieces nullptr when the argument does
// not fit the query.
int pieces_of(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_value* arg, Pieces** pieces) {
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(arg));
  auto* p = static_cast<Pieces*>(api->xGetAuxdata(fts, 0));
  *pieces = nullptr;
  if (p != nullptr && text != nullptr && p->text == text) {
    *pieces = p->fits ? p : nullptr;
    return SQLITE_OK;
  }
  if (p == nullptr) {
    p = new Pieces();
    const int rc = api->xSetAuxdata(fts, p, delete_pieces);  // on an error, FTS5 deletes it
    if (rc != SQLITE_OK) return rc;
  }
  p->text = text == nullptr ? "" : text;
  p->fits = text != nullptr && parse_offsets(text, &p->offsets) &&
            p->offsets.size() == static_cast<std::size_t>(api->xPhraseCount(fts));
  if (p->fits) *pieces = p;
  return SQLITE_OK;
}

// The third argument of lethe_rank(fts, offsets, text): the whole text,
// tokenized once per query (again if it changes); NULL, none.
int whole_of(const Fts5ExtensionApi* api, Fts5Context* fts, Pieces* p, sqlite3_value* arg) {
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(arg));
  if (text == nullptr) {
    p->has_whole = false;
    return SQLITE_OK;
  }
  const int n = sqlite3_value_bytes(arg);
  if (p->has_whole && p->whole.size() == static_cast<std::size_t>(n) &&
      p->whole.compare(0, std::string::npos, text, n) == 0) {
    return SQLITE_OK;
  }
  p->whole.assign(text, n);
  p->whole_chars = count_chars(text, n);
  const int rc = tokens_of(api, fts, text, n, &p->whole_tokens);
  p->has_whole = rc == SQLITE_OK;
  return rc;
}

constexpr int kBadOffsets = -1;  // not an SQLite code

// lethe_rank(fts, offsets[, text]): the occurrences of the text whose
// pieces the query's phrases are, in hits[0]; kBadOffsets when the
// argument does not fit the query.
int text_hits(const Fts5ExtensionApi* api, Fts5Context* fts, int argc, sqlite3_value** argv,
              std::vector<int>* hits) {
  if (argc > 2) return kBadOffsets;
  Pieces* pieces = nullptr;
  int rc = pieces_of(api, fts, argv[0], &pieces);
  if (rc != SQLITE_OK) return rc;
  if (pieces == nullptr) return kBadOffsets;
  if (argc == 2) {
    rc = whole_of(api, fts, pieces, argv[1]);
  } else {
    pieces->has_whole = false;
  }
  int found = 0;
  if (rc == SQLITE_OK) rc = pieced_hits(api, fts, pieces, &found);
  hits->assign(1, found);
  return rc;
}

void rank_function(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc,
                   sqlite3_value** argv) noexcept {
  try {
    std::vector<int> hits;
    int rc = argc == 0 ? phrase_hits(api, fts, &hits) : text_hits(api, fts, argc, argv, &hits);
    if (rc == kBadOffsets) {
      sqlite3_result_error(ctx,
                           "lethe_rank: the second argument lists each phrase's offset in the "
                           "text, e.g. '0,3,5' for a query of three phrases",
                           -1);
      return;
    }
    if (rc == SQLITE_OK && argc > 0 && hits[0] == 0) {  // the pieces, but not the text
      sqlite3_result_null(ctx);
      return;
    }
    double score = 0.0;
    if (rc == SQLITE_OK) rc = score_of(api, fts, hits, &score);
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
