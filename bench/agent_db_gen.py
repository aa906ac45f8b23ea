"""What bench/gen_opencode.py, gen_goose.py and gen_crush.py share: their
command line and the loop that fills a new database, in WAL mode as the
agents keep theirs, one session at a time until it holds the megabytes asked
for."""
import argparse
import random
import sqlite3
from pathlib import Path


def arguments(doc):
    """--mb M (default 100), --seed K (default 1), --out DIR (required)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    return ap.parse_args()


def fill_database(path, schema, add_session, mb, seed, start):
    """A new database at `path` (any old one, -wal and -shm removed first) on
    the SQL of `schema`, filled by add_session(db, rnd, index, time), which
    returns the next session's time, from time `start` until the file holds
    `mb` megabytes; returns the number of sessions. The last connection
    closes it: checkpointed, its -wal and -shm removed."""
    for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        p.unlink(missing_ok=True)
    rnd = random.Random(seed)
    db = sqlite3.connect(path)
    db.executescript(schema.read_text())
    db.execute("PRAGMA journal_mode = WAL")
    t, sessions = start, 0
    while True:
        t = add_session(db, rnd, sessions, t)
        sessions += 1
        db.commit()
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        if pages * size >= mb * 1e6:
            break
    db.close()
    return sessions
