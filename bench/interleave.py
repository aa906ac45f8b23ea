#!/usr/bin/env python3
"""Interleaves the sessions of a wire-v1 NDJSON corpus at random.

Usage:
    python3 bench/interleave.py --in CORPUS --seed K --out FILE

The lines are the input's, byte for byte; only their order changes. Each
line's session is its (tool, host, session_id); the lines of one session keep
their relative order (so the same turn written twice still ends with the same
last write, and the tables ingested are identical to the input's), but which
session comes next is drawn at random over the whole corpus: the sequence of
session labels, one per line, is shuffled with random.Random(K). With the
default corpus (2,000 sessions) almost every line's neighbour belongs to
another session, the shape of a central database fed by many machines or an
export sorted by time, where bench/gen_corpus.py's own corpus keeps a window
of ~32 open sessions, the shape of a backfill of transcript files.

Lines that are not JSON objects with those keys (bad lines) form one extra
"session" of their own, so they are interleaved too. A one-line summary goes
to stderr.
"""

import argparse
import json
import random
import sys
from collections import deque


def session_of(line):
    try:
        obj = json.loads(line)
        return (obj["tool"], obj["host"], obj["session_id"])
    except (ValueError, KeyError, TypeError):
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description="Interleave the sessions of an NDJSON corpus at random.")
    ap.add_argument("--in", dest="src", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    queues = {}
    labels = []
    with open(args.src, "rb") as f:
        for line in f:
            key = session_of(line)
            queues.setdefault(key, deque()).append(line)
            labels.append(key)
    random.Random(args.seed).shuffle(labels)
    with open(args.out, "wb") as out:
        for key in labels:
            out.write(queues[key].popleft())
    print(f"interleave.py: {len(labels)} lines, {len(queues)} sessions, seed {args.seed}", file=sys.stderr)


if __name__ == "__main__":
    main()
