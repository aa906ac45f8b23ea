#!/usr/bin/env python3
"""Deterministic generator of a home folder of agent transcripts for bench/run
(method sync_home, which runs lethe_sync() on it).

Usage:
    python3 bench/gen_home.py [--mb M] [--seed K] --out DIR

Writes about M megabytes (default 1000) of native transcripts, a third of
the bytes for each agent, laid out as the agents lay them out:
  DIR/.claude/projects/-home-ana-<project>/<session>.jsonl
  DIR/.codex/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-<session>.jsonl
  DIR/.gemini/tmp/<sha256 of the project path>/chats/session-YYYY-MM-DDTHH-MM-<id>.jsonl
Each file is one session of bench/gen_native.py's generators
(write_session). File sizes are log-normal (median 250 kB, a few of several
MB, clipped to 4 kB..30 MB: a mean of about 0.5 MB, so 1 GB makes about
2,000 files). Every file's mtime is set to its session's start, in the past,
so a sync that follows at once sees unchanged files as unchanged.
With --files N: N small files (4 to 8 kB) instead, for the re-sync of many
files. Prints one JSON line: {"files": N, "bytes": B, "by_format": {...}}.
The same arguments give byte-identical files (random.Random(seed)).
"""
import argparse
import datetime
import hashlib
import json
import os
import random
from pathlib import Path

from gen_native import Gen, write_session

FORMATS = ("claude-code", "codex", "gemini-cli")
PROJECTS = ["proj", "lethe", "web-app", "infra", "notes", "api", "ml-exp", "dotfiles"]


def sizes(r, total):
    """File sizes in bytes until they add up to `total`."""
    out = []
    while sum(out) < total:
        out.append(int(min(max(r.lognormvariate(0.0, 1.2) * 250e3, 4e3), 30e6)))
    return out


def path_for(home, fmt, r, start, session):
    project = r.choice(PROJECTS)
    stamp = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=start)
    if fmt == "claude-code":
        return home / ".claude" / "projects" / f"-home-ana-{project}" / f"{session}.jsonl"
    if fmt == "codex":
        return (home / ".codex" / "sessions" / stamp.strftime("%Y/%m/%d") /
                f"rollout-{stamp.strftime('%Y-%m-%dT%H-%M-%S')}-{session}.jsonl")
    project_hash = hashlib.sha256(f"/home/ana/{project}".encode()).hexdigest()
    return (home / ".gemini" / "tmp" / project_hash / "chats" /
            f"session-{stamp.strftime('%Y-%m-%dT%H-%M')}-{session[:8]}.jsonl")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--files", type=int, default=0,
                    help="instead of --mb: this many small files (4 to 8 kB each), for the re-sync "
                         "of many files")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    home = Path(a.out)
    r = random.Random(a.seed)
    g = Gen(a.seed)
    files, total, by_format = 0, 0, {}
    for fmt in FORMATS:
        written = 0
        targets = ([r.randint(4000, 8000) for _ in range(a.files // len(FORMATS) +
                                                         (1 if FORMATS.index(fmt) < a.files % len(FORMATS) else 0))]
                   if a.files else sizes(r, a.mb * 1e6 / len(FORMATS)))
        for target in targets:
            start = g.ms
            session = "%08x-%04x-4%03x-8%03x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                                       r.getrandbits(12), r.getrandbits(48))
            path = path_for(home, fmt, r, start, session)
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                size, _ = write_session(f, fmt, g, target)
            os.utime(path, (start / 1000, start / 1000))
            written += size
            files += 1
        by_format[fmt] = written
        total += written
    print(json.dumps({"files": files, "bytes": total, "by_format": by_format}))


if __name__ == "__main__":
    main()
