"""Property test of `lethe search`'s query (ext/cli/search.cpp, kSearch).

For a text of 6 characters or more the query asks FTS5 for a cover of the
text (fewer of its trigrams that still cover every one of its first 64
characters, the least common) and keeps, with lethe_rank(query, offsets,
whole), the rows where those pieces sit where the text puts them (and,
past 64 characters, where the whole text follows). Whatever the text, it must return
exactly what the phrase of the whole text returns: the same newest N
matches, the same scores to the last bit, the same order, the same lines.

Random archives over a small alphabet, so that texts and their trigrams
repeat and most near misses are there: the pieces of a text in the wrong
places, in the wrong order, overlapping occurrences ('aaaa'), case
(ASCII and not: É/é, Σ/σ, the Kelvin sign), Chinese, quotes, `go.mod`,
`a-b`, FTS5's operator words, sessions stored on two machines (one hit),
and more matches than the newest N. Texts: substrings of the turns (found),
pieces glued together (mostly not found), 1 to 2 characters, more than 64
(the cover holds the first 64; the rest is checked by tokens), found or
changed past the 64th character.

Usage: /usr/bin/python3 test_search_cover_property.py <lethe module> <repository root> [seeds]
"""

import json
import random
import re
import sys
import time

from lethe_packs import connect

WORDS = ["owner", "_", "backoff", "retry", "go.mod", "a-b", '"', "'", "数据库", "缓存", "连接",
         "É", "é", "Σ", "σ", "ς", "\u212a", "k", "K", "aaaa", "ab", "AND", "OR", "NEAR(a b)", "*",
         " ", " ", " ", "node", "de", "no", ".", "-", "\n", "\t", "x"]
HOSTS = ["laptop", "desk"]
RANK = "lethe_rank(query, (SELECT offsets FROM query), (SELECT whole FROM query))"


def search_query(root):
    """kSearch as the command runs it, from its raw string literal."""
    source = open(f"{root}/ext/cli/search.cpp", encoding="utf-8").read()
    found = re.search(r'kSearch = R"sql\((.*?)\)sql"', source, re.S)
    if not found:
        sys.exit("FAIL: kSearch's raw string literal R\"sql(...)sql\" not found in ext/cli/search.cpp")
    return found.group(1)


# The reference: the phrase of the whole text, ranked by lethe_rank, the
# newest ?3 matches, the best ?2 (kSearch before the cover).
PHRASE = """WITH candidates AS MATERIALIZED (
  SELECT turn_rowid, lethe_rank(query) AS score FROM turn_search
  WHERE query MATCH '"' || replace(?1, '"', '""') || '"'
  ORDER BY turn_rowid DESC LIMIT ?3),
best AS MATERIALIZED (
  SELECT turn_rowid, score FROM candidates ORDER BY score, turn_rowid DESC LIMIT ?2)
SELECT turn_rowid, score FROM best ORDER BY score, turn_rowid DESC"""


def ranked_only(query):
    """The query up to its best hits: their rowids and scores, in order."""
    head = query[:query.index("hits AS (")].rstrip().rstrip(",")
    return head + "\nSELECT turn_rowid, score FROM best ORDER BY score, turn_rowid DESC"


def content(rng):
    return "".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 70)))


def archive(module, root, rng, turns):
    db = connect(module)
    for pack in ("schema.sql", "search.sql"):
        db.executescript(open(f"{root}/sql/{pack}", encoding="utf-8").read())
    lines = []
    for n in range(turns):
        session = f"s{n // 20}"
        line = {"tool": "codex", "session_id": session, "turn_id": f"t{n}", "seq": n,
                "role": "user", "timestamp": f"2026-05-01T08:{n // 60 % 60:02d}:{n % 60:02d}Z",
                "content": content(rng)}
        # A tenth of the sessions was synced from both machines: one hit.
        for host in HOSTS if n // 20 % 10 == 3 else [rng.choice(HOSTS)]:
            lines.append(json.dumps(dict(line, host=host), ensure_ascii=False))
    rejected = db.execute("SELECT count(*) FROM lethe_ingest('ana', ?)", ("\n".join(lines),)).fetchone()[0]
    if rejected:
        sys.exit(f"FAIL: {rejected} generated lines rejected")
    return db


def texts(db, rng, count):
    stored = [row[0] for row in db.execute("SELECT content FROM turns ORDER BY random() LIMIT 200")]
    fixed = ['"', '""', "go.mod", "a-b", "数据库连接", "ab", "x", "k", "\u212aK", "aaaa", "aaaaa",
             "AND", "NEAR(a b)", "owner_backoff", "retry backoff", "éÉσΣ", "backoff_owner"]
    out = list(fixed)
    while len(out) < count:
        kind = rng.random()
        if kind < 0.5:  # a piece of a stored turn: found, 1 to 70 characters
            text = rng.choice(stored)
            start = rng.randrange(len(text))
            out.append(text[start:start + rng.choice([1, 2, 3, 5, 6, 7, 9, 12, 20, 40, 70])])
        elif kind < 0.8:  # words glued together: mostly not found, or rarely
            out.append("".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 6))))
        elif kind < 0.9:  # a stored piece with one character changed: a near miss
            text = rng.choice(stored)
            start = rng.randrange(len(text))
            piece = list(text[start:start + rng.randrange(6, 30)])
            piece[rng.randrange(len(piece))] = rng.choice("xé\u212a\"-")
            out.append("".join(piece))
        else:  # longer than the cover's 64 characters: found, or changed past them
            text = max(rng.sample(stored, 5), key=len)
            piece = list(text[:rng.choice([65, 66, 80, 120])])
            if rng.random() < 0.5 and len(piece) > 64:
                piece[rng.randrange(64, len(piece))] = rng.choice("xé\u212a\"-")
            out.append("".join(piece))
    return [t for t in out if t.strip()]


def check_seed(module, root, seed, query):
    rng = random.Random(seed)
    db = archive(module, root, rng, turns=rng.choice([300, 1500]))
    cover, phrase = ranked_only(query), PHRASE
    compared = 0
    for text in texts(db, rng, 60):
        for newest, best in ((1000, 1000), (7, 3), (1, 1)):
            want = db.execute(phrase, (text, best, newest)).fetchall()
            got = db.execute(cover, (text, best, newest)).fetchall()
            if got != want:
                return (f"seed {seed}, text {text!r}, newest {newest}, best {best}: "
                        f"the cover gives {got[:5]}..., the phrase {want[:5]}...")
        # The whole command's query: the same lines.
        want = db.execute(query.replace(RANK, "lethe_rank(query)").replace(
            "query MATCH (SELECT expr FROM query) AND score IS NOT NULL",
            "query MATCH '\"' || replace(?1, '\"', '\"\"') || '\"'"), (text, 20, 1000)).fetchall()
        if db.execute(query, (text, 20, 1000)).fetchall() != want:
            return f"seed {seed}, text {text!r}: kSearch's lines differ from the phrase's"
        compared += 1
    return None if compared > 40 else f"seed {seed}: only {compared} texts compared"


def main():
    module, root = sys.argv[1], sys.argv[2]
    seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    query = search_query(root)
    if RANK not in query:
        sys.exit("FAIL: kSearch no longer ranks with lethe_rank(query, offsets, whole): update this test")
    started = time.monotonic()
    failures = [f for f in (check_seed(module, root, seed, query) for seed in range(seeds)) if f]
    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print(f"search cover property: {seeds} seeds, the cover == the phrase "
          f"({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
