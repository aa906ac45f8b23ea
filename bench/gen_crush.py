#!/usr/bin/env python3
"""Deterministic generator of a home folder holding a Crush project database,
for bench/run (method sync_crush, which runs lethe_sync() on it).

Usage:
    python3 bench/gen_crush.py [--mb M] [--seed K] --out DIR

Writes DIR/shop/.crush/crush.db, about M megabytes (default 100), on Crush's
own schema (tests/fixtures/native/crush/schema.sql), in WAL mode as Crush
keeps it, and DIR/.local/share/crush/projects.json listing the project (how
lethe finds Crush's databases). Sessions of 100 exchanges, each a prompt, an
answer with reasoning, a text and a tool call, the tool's result (a "tool"
message) and a closing answer; parts as Crush marshals them
([{"type", "data"}]). Every time is in the past, so a sync that follows at
once sees the sessions as settled. Prints one JSON line: {"sessions": N,
"turns": T, "bytes": B}. The same arguments give the same rows
(random.Random(seed)).
"""
import json
import os
from pathlib import Path

from agent_db_gen import arguments, fill_database

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "fixtures" / "native" / "crush" / "schema.sql"
WORDS = ("the cart total price item order function return zero empty value list read file "
         "test check error fix change line call result answer").split()
EXCHANGES = 100
TURNS_PER_EXCHANGE = 4  # prompt, answer with its tool call, the tool's result, closing answer


def text(rnd, n):
    return " ".join(rnd.choice(WORDS) for _ in range(n))


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def add_session(db, rnd, s, t):
    sid = f"c0c0{s:04x}-0000-4000-8000-{s:012d}"
    db.execute("INSERT INTO sessions (id, title, message_count, prompt_tokens, completion_tokens, "
               "cost, updated_at, created_at) VALUES (?, 'bench', ?, 0, 0, 0.0, ?, ?)",
               (sid, EXCHANGES * 4, t, t))
    for e in range(EXCHANGES):
        call = f"toolu_{s:08d}{e:04d}"
        rows = [
            ("user", [{"type": "text", "data": {"text": text(rnd, 60)}}], None, None, t),
            ("assistant",
             [{"type": "reasoning", "data": {"thinking": text(rnd, 100), "signature": ""}},
              {"type": "text", "data": {"text": text(rnd, 150)}},
              {"type": "tool_call", "data": {"id": call, "name": "view",
                                             "input": compact({"file_path": "src/cart.py"}),
                                             "provider_executed": False, "finished": True}},
              {"type": "finish", "data": {"reason": "tool_use", "time": t + 2}}],
             "claude-sonnet-4-5", "anthropic", t + 1),
            ("tool",
             [{"type": "tool_result", "data": {"tool_call_id": call, "name": "view",
                                               "content": text(rnd, 300), "data": "",
                                               "mime_type": "", "metadata": "", "is_error": False}}],
             None, None, t + 3),
            ("assistant",
             [{"type": "text", "data": {"text": text(rnd, 60)}},
              {"type": "finish", "data": {"reason": "end_turn", "time": t + 5}}],
             "claude-sonnet-4-5", "anthropic", t + 4),
        ]
        for k, (role, parts, model, provider, at) in enumerate(rows):
            db.execute("INSERT INTO messages (id, session_id, role, parts, model, created_at, "
                       "updated_at, finished_at, provider, is_summary_message) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                       (f"m-{s:06d}-{e:04d}-{k}", sid, role, compact(parts), model, at, at,
                        at if role == "assistant" else None, provider))
        t += 10
    return t


def main():
    args = arguments(__doc__)
    home = Path(args.out).resolve()
    project = home / "shop"
    folder = project / ".crush"
    folder.mkdir(parents=True, exist_ok=True)
    listing = home / ".local" / "share" / "crush"
    listing.mkdir(parents=True, exist_ok=True)
    (listing / "projects.json").write_text(json.dumps(
        {"projects": [{"path": str(project), "data_dir": ".crush",
                       "last_accessed": "2026-01-01T00:00:00Z"}]}))
    path = folder / "crush.db"
    sessions = fill_database(path, SCHEMA, add_session, args.mb, args.seed,
                             1767225600)  # 2026-01-01, in seconds as Crush stores them
    print(json.dumps({"sessions": sessions, "turns": sessions * EXCHANGES * TURNS_PER_EXCHANGE,
                      "bytes": os.path.getsize(path)}))


if __name__ == "__main__":
    main()
