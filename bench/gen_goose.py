#!/usr/bin/env python3
"""Deterministic generator of a home folder holding a Goose database, for
bench/run (method sync_goose, which runs lethe_sync() on it).

Usage:
    python3 bench/gen_goose.py [--mb M] [--seed K] --out DIR

Writes DIR/.local/share/goose/sessions/sessions.db, about M megabytes
(default 100), on Goose's own schema (tests/fixtures/native/goose/schema.sql),
in WAL mode as Goose keeps it: sessions of 100 exchanges, each a prompt, an
answer with streamed thinking, a text and a tool request (and its row in the
usage ledger), the tool's response and a closing answer. Every time is in
the past, so a sync that follows at once sees the sessions as settled.
Prints one JSON line: {"sessions": N, "turns": T, "bytes": B} (T: the turns
lethe makes of them, counted by bench/run's check). The same arguments give
the same rows (random.Random(seed)).
"""
import json
import os
from pathlib import Path

from agent_db_gen import arguments, fill_database

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "fixtures" / "native" / "goose" / "schema.sql"
WORDS = ("the cart total price item order function return zero empty value list read file "
         "test check error fix change line call result answer").split()
EXCHANGES = 100
# prompt, answer with its tool call, its usage row (a turn of its own), the
# tool's response, closing answer
TURNS_PER_EXCHANGE = 5
SHOWN = json.dumps({"userVisible": True, "agentVisible": True}, separators=(",", ":"))


def text(rnd, n):
    return " ".join(rnd.choice(WORDS) for _ in range(n))


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def add_session(db, rnd, s, t):
    sid = f"20260101_{s}"
    db.execute("INSERT INTO sessions (id, name, session_type, working_dir, created_at, updated_at, "
               "provider_name, model_config_json) VALUES (?, 'bench', 'user', '/home/ana/shop', "
               "datetime(?, 'unixepoch'), datetime(?, 'unixepoch'), 'anthropic', ?)",
               (sid, t, t, compact({"model_name": "claude-sonnet-4-5", "context_limit": None})))
    for e in range(EXCHANGES):
        call = f"call_{s:08d}{e:04d}"
        usage = {"inputTokens": rnd.randint(10, 500), "outputTokens": rnd.randint(50, 900)}
        rows = [
            (f"msg_{s}_{e}_u", "user", [{"type": "text", "text": text(rnd, 60)}], t, SHOWN),
            (f"chatcmpl-{s}-{e}", "assistant",
             [{"type": "thinking", "thinking": text(rnd, 100), "signature": ""},
              {"type": "text", "text": text(rnd, 150)},
              {"type": "toolRequest", "id": call, "toolCall": {"status": "success", "value": {
                  "name": "developer__text_editor",
                  "arguments": {"command": "view", "path": "src/cart.py"}}}}],
             t + 1, compact({"userVisible": True, "agentVisible": True, "usage": usage})),
            (f"msg_{s}_{e}_r", "user",
             [{"type": "toolResponse", "id": call, "toolResult": {"status": "success", "value": {
                 "content": [{"type": "text", "text": text(rnd, 300)}], "isError": False}}}],
             t + 2, SHOWN),
            (f"chatcmpl-{s}-{e}b", "assistant", [{"type": "text", "text": text(rnd, 60)}], t + 3, SHOWN),
        ]
        for message_id, role, content, at, meta in rows:
            db.execute("INSERT INTO messages (message_id, session_id, role, content_json, "
                       "created_timestamp, metadata_json) VALUES (?, ?, ?, ?, ?, ?)",
                       (message_id, sid, role, compact(content), at, meta))
        db.execute("INSERT INTO usage_ledger (session_id, created_timestamp, model, input_tokens, "
                   "output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, cost, "
                   "cost_source, is_compaction) VALUES (?, ?, 'claude-sonnet-4-5', ?, ?, ?, 0, 0, "
                   "0.01, 'provider', 0)",
                   (sid, t + 1, usage["inputTokens"], usage["outputTokens"],
                    usage["inputTokens"] + usage["outputTokens"]))
        t += 10
    return t


def main():
    args = arguments(__doc__)
    folder = Path(args.out) / ".local" / "share" / "goose" / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sessions.db"
    sessions = fill_database(path, SCHEMA, add_session, args.mb, args.seed,
                             1767225600)  # 2026-01-01, in seconds as Goose stores them
    print(json.dumps({"sessions": sessions, "turns": sessions * EXCHANGES * TURNS_PER_EXCHANGE,
                      "bytes": os.path.getsize(path)}))


if __name__ == "__main__":
    main()
