#!/usr/bin/python3
"""The single-node side of deploy/dqlite/test.sh, with Debian's python3 and
its sqlite3 module (the system SQLite, as the dqlite nodes use).

    reference.py replay LETHE_SO SCHEMA_SQL DB PLAN OUT_DIR
        Apply SCHEMA_SQL and the rejects table to a new plain SQLite database
        DB, then every step of PLAN (lines "STEP MODE OWNER FILE", MODE tx or
        exec) once, in order, the way the cluster was given them: "tx" in
        BEGIN ... COMMIT, writing the rejected lines to OUT_DIR/STEP.tsv as
        the example client prints them; "exec" as INSERT INTO rejects SELECT.

    reference.py hash DB
        Print "TABLE ROWS SHA256" for sessions, turns and rejects: a hash of
        every row of each, in primary-key order (rejects, which has none, in
        the order of all its columns).

    reference.py count DB OWNER
        Print how many turns OWNER has.
"""
import hashlib
import os
import sqlite3
import sys

REJECTS_TABLE = "CREATE TABLE IF NOT EXISTS rejects(line, byte_offset, code, field, message)"

ORDERED_ROWS = {
    "sessions": "SELECT * FROM sessions ORDER BY owner, tool, host, session_id",
    "turns": "SELECT * FROM turns ORDER BY owner, tool, host, session_id, turn_id",
    "rejects": "SELECT * FROM rejects ORDER BY line, byte_offset, code, field, message",
}


def replay(lethe, schema, path, plan, out_dir):
    db = sqlite3.connect(path, isolation_level=None)  # we say BEGIN ourselves
    db.enable_load_extension(True)
    db.load_extension(lethe)
    with open(schema) as f:
        db.executescript(f.read())
    db.execute(REJECTS_TABLE)
    with open(plan) as f:
        steps = [line.split() for line in f if line.strip()]
    for step, mode, owner, batch in steps:
        with open(batch, "rb") as f:
            ndjson = f.read()
        if mode == "tx":
            db.execute("BEGIN")
            rows = db.execute("SELECT * FROM lethe_ingest(?, ?)", (owner, ndjson)).fetchall()
            db.execute("COMMIT")
            with open(os.path.join(out_dir, step + ".tsv"), "w") as out:
                for row in rows:
                    out.write("\t".join("" if v is None else str(v) for v in row) + "\n")
        elif mode == "exec":
            db.execute("INSERT INTO rejects SELECT * FROM lethe_ingest(?, ?)", (owner, ndjson))
        else:
            sys.exit(f"reference.py: unknown mode {mode!r} in {plan}")
    db.close()


def table_hashes(path):
    db = sqlite3.connect(path)
    for table, query in ORDERED_ROWS.items():
        digest = hashlib.sha256()
        count = 0
        for row in db.execute(query):
            digest.update((repr(row) + "\n").encode())
            count += 1
        print(table, count, digest.hexdigest())
    db.close()


def main(argv):
    if len(argv) == 7 and argv[1] == "replay":
        replay(*argv[2:])
    elif len(argv) == 3 and argv[1] == "hash":
        table_hashes(argv[2])
    elif len(argv) == 4 and argv[1] == "count":
        db = sqlite3.connect(argv[2])
        print(db.execute("SELECT count(*) FROM turns WHERE owner = ?", (argv[3],)).fetchone()[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
