#!/usr/bin/env python3
"""Deterministic generator of a home folder holding an OpenCode database, for
bench/run (method sync_opencode, which runs lethe_sync() on it).

Usage:
    python3 bench/gen_opencode.py [--mb M] [--seed K] --out DIR

Writes DIR/.local/share/opencode/opencode.db, about M megabytes (default
100), on OpenCode's own schema (tests/fixtures/native/opencode/schema.sql),
in WAL mode as OpenCode keeps it: sessions of 100 exchanges, each a user
message with its text part and an assistant message with a step-start, a
reasoning part, a completed tool call, a text and a step-finish part (so 3
turns per exchange: prompt, answer, tool result). Every time is in the past,
so a sync that follows at once sees the sessions as settled. Prints one JSON
line: {"sessions": N, "turns": T, "bytes": B}. The same arguments give the
same rows (random.Random(seed)).
"""
import json
import os
from pathlib import Path

from agent_db_gen import arguments, fill_database

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "fixtures" / "native" / "opencode" / "schema.sql"
WORDS = ("the cart total price item order function return zero empty value list read file "
         "test check error fix change line call result answer").split()
EXCHANGES = 100


def text(rnd, n):
    return " ".join(rnd.choice(WORDS) for _ in range(n))


def add_session(db, rnd, s, t):
    sid = f"ses_{s:08d}"
    db.execute("INSERT INTO session (id, project_id, slug, directory, title, version, "
               "time_created, time_updated) VALUES (?, 'global', 'bench', '/home/ana/shop', "
               "'bench', '1.18.13', ?, ?)", (sid, t, t))
    for e in range(EXCHANGES):
        user, answer = f"msg_{s:08d}{e:04d}u", f"msg_{s:08d}{e:04d}a"
        db.execute("INSERT INTO message VALUES (?, ?, ?, ?, ?)",
                   (user, sid, t, t, json.dumps({"role": "user", "time": {"created": t}})))
        db.execute("INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)",
                   (f"prt_{s:08d}{e:04d}0", user, sid, t, t,
                    json.dumps({"type": "text", "text": text(rnd, 60)})))
        t += 1000
        tokens = {"input": rnd.randint(10, 500), "output": rnd.randint(50, 900), "reasoning": 0,
                  "cache": {"read": rnd.randint(0, 50000), "write": 0}}
        db.execute("INSERT INTO message VALUES (?, ?, ?, ?, ?)",
                   (answer, sid, t, t + 5000, json.dumps({
                       "role": "assistant", "parentID": user, "modelID": "claude-sonnet-4",
                       "providerID": "anthropic", "cost": 0.01, "tokens": tokens,
                       "time": {"created": t, "completed": t + 5000}, "finish": "stop"})))
        parts = [{"type": "step-start"},
                 {"type": "reasoning", "text": text(rnd, 100)},
                 {"type": "tool", "tool": "read", "callID": f"call_{s:08d}{e:04d}",
                  "state": {"status": "completed", "input": {"filePath": "src/cart.py"},
                            "output": text(rnd, 300), "title": "src/cart.py",
                            "time": {"start": t + 1000, "end": t + 2000}}},
                 {"type": "text", "text": text(rnd, 150)},
                 {"type": "step-finish", "reason": "stop", "tokens": tokens, "cost": 0.01}]
        for k, part in enumerate(parts):
            db.execute("INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)",
                       (f"prt_{s:08d}{e:04d}{k + 1}", answer, sid, t + k, t + k, json.dumps(part)))
        t += 10000
    return t


def main():
    args = arguments(__doc__)
    folder = Path(args.out) / ".local" / "share" / "opencode"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "opencode.db"
    sessions = fill_database(path, SCHEMA, add_session, args.mb, args.seed,
                             1767225600000)  # 2026-01-01
    print(json.dumps({"sessions": sessions, "turns": sessions * EXCHANGES * 3,
                      "bytes": os.path.getsize(path)}))


if __name__ == "__main__":
    main()
