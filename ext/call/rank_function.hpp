#pragma once

#include "write/sqlite_api.hpp"

namespace lethe {

// Registers the FTS5 auxiliary function lethe_rank(fts) on a connection
// whose SQLite has FTS5 (without it, there is nothing to rank, and nothing
// is registered).
//
// lethe_rank is bm25 without its idf factor: for each phrase of the query,
// tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)), k1 = 1.2 and
// b = 0.75 as FTS5's bm25, summed and negated (lower is better, like
// rank). For a query of one phrase, which is what `lethe search` sends, it
// orders the rows exactly as bm25 does (bm25 multiplies it by a constant,
// the phrase's idf). What it saves is bm25's first step: counting every
// row of the whole index that matches each phrase, a full scan of the
// match that costs more than ranking a thousand rows
// (bench/runs/2026-12-06-search.md).
//
// lethe_rank(fts, offsets), offsets a list like '0,1,4': the query's
// phrases are pieces of one text, phrase k starting offsets[k] tokens into
// it (for the trigram index, characters). It scores that text as
// lethe_rank scores a query of the whole text as one phrase (the same tf:
// the places where every piece is where the text puts it, read from
// FTS5's positions), and is NULL in a row that has the pieces elsewhere.
// `lethe search` asks FTS5 for a few rare pieces that together cover every
// character of the text: FTS5 reads each trigram's list of rows, and a
// rare text made of common trigrams costs their lists, all of them, as a
// phrase (bench/runs/2026-12-06-search.md, "The cover").
//
// lethe_rank(fts, offsets, text): the same, and the whole text must also
// follow from where the pieces put its start: the row's column, from that
// character on, tokenized by the table's tokenizer, gives the text's
// tokens (pieces that cover only part of a long text; NULL text: as
// without it).
int register_rank_function(sqlite3* db);

}  // namespace lethe
