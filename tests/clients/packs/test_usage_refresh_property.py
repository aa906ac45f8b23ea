"""Property test of sql/usage.sql's incremental refresh.

`INSERT INTO usage_refresh DEFAULT VALUES` recomputes only the cached rows
touched since the last refresh (the changed sessions' turns and grain, and
the days, local days, months, session sums and quarter hours they are in).
Whatever happened before it, its caches must be exactly those of a full
rebuild (`INSERT INTO usage_refresh (reason) VALUES ('full')`), every row of
every cache table.

Random steps over a small key space so that writes collide: batches whose
lines rewrite earlier turns (last write wins: a turn moves to another day,
month, quarter hour, model or session project, its tokens change),
responses copied into several sessions (message ids), sub-agent sessions,
turns and sessions deleted, turns updated in place, the local day's offset
and a price changed; a refresh after most steps, not all (changes pile up).

Usage: /usr/bin/python3 test_usage_refresh_property.py <lethe module> <repository root> [seeds]
"""

import json
import math
import os
import random
import sys
import time

from lethe_packs import connect

CACHES = ["usage_turn_cache", "usage_grain_cache", "usage_sums_cache", "usage_session_sums_cache",
          "usage_claude_units_cache", "usage_savings_cache", "usage_bucket_sums_cache",
          "usage_session_days"]
TOOLS = ["claude-code", "codex", "gemini-cli"]
MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-5", "gpt-5.1-codex", "gemini-2.5-pro",
          "mystery-model", None]
OFFSETS = ["+00:00", "+09:00", "-05:00", "+05:45", "localtime"]
ZONES = ["Asia/Tokyo", "America/New_York", "Europe/Paris", "UTC"]


def timestamp(rng):
    """Around a month's end (days and months change), at any minute, some
    exactly at a quarter hour's first millisecond (a block's edge)."""
    day = rng.choice(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"])
    hour, minute = rng.randrange(24), rng.choice([0, 14, 15, 29, 30, 44, 45, 59, rng.randrange(60)])
    second = 0 if rng.random() < 0.3 else rng.randrange(60)
    return f"{day}T{hour:02d}:{minute:02d}:{second:02d}.{rng.choice([0, 0, 1, 999]):03d}Z"


def line(rng):
    tool = rng.choice(TOOLS)
    # Odd ids too: the bucket of a session is read from its id's first and
    # last characters (one character, non-ASCII).
    session = rng.choice(["s0", "s1", "s2", "s3", "s4", "x", "会話", "ñ-ﬁ"])
    sub_agent = tool == "claude-code" and rng.random() < 0.2
    if sub_agent:
        session = f"{session}:agent-{rng.randrange(2)}"
    meta = {}
    turn = f"t{rng.randrange(8)}"
    if tool == "claude-code" and rng.random() < 0.7:
        turn = f"msg_{rng.randrange(6)}"  # the same response in several sessions
        meta["message_id"] = turn
    role = rng.choice(["assistant", "assistant", "user", "tool"])
    rec = {"tool": tool, "host": rng.choice(["laptop", "desk"]), "session_id": session,
           "turn_id": turn, "seq": rng.randrange(50), "role": role, "timestamp": timestamp(rng)}
    model = rng.choice(MODELS)
    if model and role == "assistant":
        rec["model"] = model
        rec["tokens_in"] = rng.randrange(0, 300000)
        rec["tokens_out"] = rng.randrange(0, 3000)
        if rng.random() < 0.5:
            meta["cache_read_tokens"] = rng.randrange(0, rec["tokens_in"] + 1)
        if rng.random() < 0.3:
            meta["cache_write_tokens"] = rng.randrange(0, 2000)
            if rng.random() < 0.5:
                meta["usage"] = {"cache_creation": {"ephemeral_1h_input_tokens":
                                                    rng.randrange(0, meta["cache_write_tokens"] + 1)}}
        if rng.random() < 0.1:
            rec["cost_usd"] = round(rng.random(), 4)
    if meta:
        rec["metadata"] = meta
    smeta = {}
    if rng.random() < 0.6:
        smeta["working_dir"] = rng.choice(["/home/ana/shop", "/srv/pay", "/tmp/x"])
    if sub_agent:
        smeta["metadata"] = {"parent_session_id": session.split(":")[0]}
    if smeta:
        rec["session_meta"] = smeta
    return json.dumps(rec)


def step(db, rng):
    """One random change; returns what it did."""
    r = rng.random()
    if r < 0.55:
        lines = [line(rng) for _ in range(rng.randrange(1, 12))]
        db.execute("SELECT count(*) FROM lethe_ingest(?, ?)",
                   (rng.choice(["ana", "ana", "bo"]), "\n".join(lines))).fetchone()
        return f"ingest {len(lines)}"
    if r < 0.65:
        db.execute("DELETE FROM turns WHERE rowid IN (SELECT rowid FROM turns ORDER BY random() LIMIT 2)")
        return "delete turns"
    if r < 0.72:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions ORDER BY random() LIMIT 1)")
        db.execute("PRAGMA foreign_keys = OFF")
        return "delete a session"
    if r < 0.82:
        db.execute("UPDATE turns SET timestamp = ?, model = ?, tokens_out = ? WHERE rowid = "
                   "(SELECT rowid FROM turns ORDER BY random() LIMIT 1)",
                   (timestamp(rng), rng.choice(MODELS), rng.randrange(5000)))
        return "update a turn"
    if r < 0.90:
        modifier = rng.choice(OFFSETS)
        db.execute("UPDATE usage_settings SET value = ? WHERE name = 'local_day_modifier'",
                   (modifier,))
        if modifier == "localtime":
            # 'localtime' is cached for a named zone (what lethe sync records):
            # this process moves to another zone, as a laptop does, and says so.
            zone = rng.choice(ZONES)
            os.environ["TZ"] = zone
            time.tzset()
            db.execute("UPDATE usage_settings SET value = ? WHERE name = 'local_zone'", (zone,))
            return f"local days in {zone}"
        return "local day offset"
    if r < 0.95:
        db.execute("UPDATE sessions SET working_dir = ? WHERE rowid = "
                   "(SELECT rowid FROM sessions ORDER BY random() LIMIT 1)",
                   (rng.choice(["/home/ana/shop", "/elsewhere", None]),))
        return "a session's project"
    db.execute("UPDATE model_prices SET output_usd_per_mtok = ? WHERE model = 'claude-opus-4-5'",
               (rng.choice([25.0, 30.0, 75.0]),))
    return "a price"


def names_sorted(row):
    """usage_sums_cache's agents and models are group_concat(DISTINCT ...):
    the names, in an order SQLite does not define (it follows the rows')."""
    return row[:-2] + tuple(None if v is None else ",".join(sorted(v.split(","))) for v in row[-2:])


BUCKET_KNOWN_COST = 12  # usage_bucket_sums_cache.known_cost's column


def bucket_row(row):
    """usage_bucket_sums_cache's agents and models are JSON arrays of
    json_group_array(DISTINCT ...), in the rows' order as well; its
    known_cost is an unrounded total(), whose last bit follows the order
    SQLite reads the grain in (a partial refresh reads a subset). It is
    compared apart, with math.isclose; the sums the views read are rounded
    and compared exactly."""
    row = row[:-2] + tuple(None if v is None else json.dumps(sorted(json.loads(v))) for v in row[-2:])
    return row[:BUCKET_KNOWN_COST] + (None,) + row[BUCKET_KNOWN_COST + 1:], row[BUCKET_KNOWN_COST]


def snapshot(db):
    out = {}
    for table in CACHES:
        rows = db.execute(f"SELECT * FROM {table}").fetchall()
        if table == "usage_sums_cache":
            rows = [names_sorted(row) for row in rows]
        if table == "usage_bucket_sums_cache":
            costs = [bucket_row(row) for row in rows]
            rows = [row for row, _ in costs]
            out["bucket_known_cost"] = sorted(costs, key=lambda c: [(v is not None, type(v).__name__, v)
                                                                   for v in c[0]])
        out[table] = sorted(rows, key=lambda row: [(v is not None, type(v).__name__, v) for v in row])
    out["status"] = db.execute("SELECT fresh, sums_fresh, changed_sessions FROM usage_cache_status").fetchall()
    return out


def full_rebuild_of(db, module):
    copy = connect(module)
    db.backup(copy)
    copy.execute("INSERT INTO usage_refresh (reason) VALUES ('full')")
    return copy


def check_seed(module, root, seed):
    rng = random.Random(seed)
    db = connect(module)
    for pack in ["schema.sql", "usage.sql"]:
        with open(os.path.join(root, "sql", pack), encoding="utf-8") as f:
            db.executescript(f.read())
    done = []
    refreshes = 0
    for _ in range(40):
        done.append(step(db, rng))
        if rng.random() < 0.3:
            continue  # changes pile up until a later refresh
        db.execute("INSERT INTO usage_refresh DEFAULT VALUES")
        refreshes += 1
        mine = snapshot(db)
        full = snapshot(full_rebuild_of(db, module))
        for agents, models in db.execute("SELECT agents, models FROM usage_sums"):
            for names in (agents, models):
                if names is not None and names.split(",") != sorted(set(names.split(","))):
                    return f"seed {seed}: names not sorted once each: {names!r} after {done}"
        if mine["status"] != [(1, 1, 0)]:
            return f"seed {seed}: not fresh after the refresh: {mine['status']} after {done}"
        costs = zip(mine["bucket_known_cost"], full["bucket_known_cost"])
        if not all(a[0] == b[0] and math.isclose(a[1], b[1], rel_tol=1e-12, abs_tol=1e-15) for a, b in costs):
            return f"seed {seed}: usage_bucket_sums_cache's known costs differ from a full rebuild after {done}"
        for table in CACHES:
            if mine[table] != full[table]:
                extra = [r for r in mine[table] if r not in full[table]][:3]
                missing = [r for r in full[table] if r not in mine[table]][:3]
                return (f"seed {seed}: {table} differs from a full rebuild after {done}:\n"
                        f"  only incremental: {extra}\n  only full: {missing}")
    turns = db.execute("SELECT count(*) FROM usage_turn_cache").fetchone()[0]
    if refreshes == 0 or turns == 0:
        return f"seed {seed}: nothing checked ({refreshes} refreshes, {turns} turns)"
    return None


def check_partial_is_partial(module, root, zone=None):
    """The refresh after a small change must not rebuild the sums: the rows
    of untouched days keep their rowids (a full rebuild gives new ones).
    With `zone`, local days in 'localtime' named `zone`, as lethe sync keeps
    them off UTC."""
    db = connect(module)
    for pack in ["schema.sql", "usage.sql"]:
        with open(os.path.join(root, "sql", pack), encoding="utf-8") as f:
            db.executescript(f.read())
    if zone:
        os.environ["TZ"] = zone
        time.tzset()
        db.execute("UPDATE usage_settings SET value = 'localtime' WHERE name = 'local_day_modifier'")
        db.execute("UPDATE usage_settings SET value = ? WHERE name = 'local_zone'", (zone,))
    rec = {"tool": "codex", "host": "h", "session_id": "a", "turn_id": "1", "seq": 0, "role": "assistant",
           "timestamp": "2026-01-05T10:00:00Z", "model": "gpt-5.1-codex", "tokens_in": 10, "tokens_out": 5}
    db.execute("SELECT count(*) FROM lethe_ingest('ana', ?)", (json.dumps(rec),)).fetchone()
    db.execute("INSERT INTO usage_refresh DEFAULT VALUES")
    before = db.execute("SELECT rowid FROM usage_sums_cache WHERE period = '2026-01-05' "
                        "AND period_kind = 'day' AND grain = 'all'").fetchall()
    rec.update(session_id="b", timestamp="2026-02-07T10:00:00Z")
    db.execute("SELECT count(*) FROM lethe_ingest('ana', ?)", (json.dumps(rec),)).fetchone()
    db.execute("INSERT INTO usage_refresh DEFAULT VALUES")
    after = db.execute("SELECT rowid FROM usage_sums_cache WHERE period = '2026-01-05' "
                       "AND period_kind = 'day' AND grain = 'all'").fetchall()
    days = db.execute("SELECT count(*) FROM usage_daily").fetchone()[0]
    if len(before) != 1 or before != after or days != 2:
        return (f"a small change rebuilt untouched sums (local days {zone or 'UTC'}; "
                f"rowids {before} -> {after}, {days} days)")
    return None


def check_dense_month_is_partial(module, root):
    """A month of many sessions: the refresh after one of them changed
    computes again that session's bucket of the month's sums, not the whole
    month (every bucket of it recomputed took 1.4 s for 10,000 sessions).
    The other buckets' rows keep their rowids; the month's totals are a
    full rebuild's."""
    rng = random.Random(7)
    db = connect(module)
    for pack in ["schema.sql", "usage.sql"]:
        with open(os.path.join(root, "sql", pack), encoding="utf-8") as f:
            db.executescript(f.read())
    lines = []
    for n in range(300):
        sid = "%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                              rng.getrandbits(12), rng.getrandbits(48))
        lines.append(json.dumps({"tool": rng.choice(["claude-code", "codex"]), "host": "h", "session_id": sid,
                                 "turn_id": "1", "seq": 0, "role": "assistant",
                                 "timestamp": "2026-03-%02dT10:00:00Z" % (1 + n % 28),
                                 "model": "gpt-5.1-codex", "tokens_in": 10 + n, "tokens_out": 5}))
    db.execute("SELECT count(*) FROM lethe_ingest('ana', ?)", ("\n".join(lines),)).fetchone()
    db.execute("INSERT INTO usage_refresh DEFAULT VALUES")
    key = "period_kind, grain, period, bucket, tool, model, project"
    before = dict(((r[:-1]), r[-1]) for r in db.execute(f"SELECT {key}, rowid FROM usage_bucket_sums_cache"))
    changed = json.loads(lines[123])
    changed.update(turn_id="2", tokens_in=1000)
    db.execute("SELECT count(*) FROM lethe_ingest('ana', ?)", (json.dumps(changed),)).fetchone()
    db.execute("INSERT INTO usage_refresh DEFAULT VALUES")
    bucket = db.execute("SELECT DISTINCT bucket FROM usage_session_days WHERE session_id = ?",
                        (changed["session_id"],)).fetchone()[0]
    after = dict(((r[:-1]), r[-1]) for r in db.execute(f"SELECT {key}, rowid FROM usage_bucket_sums_cache"))
    buckets = {k[3] for k in after}
    kept = [k for k in after if k[3] != bucket and before.get(k) == after[k]]
    redone = [k for k in after if k[3] == bucket and before.get(k) != after[k]]
    others = [k for k in after if k[3] != bucket]
    month = "SELECT * FROM usage_monthly"
    mine, full = db.execute(month).fetchall(), full_rebuild_of(db, module).execute(month).fetchall()
    if len(buckets) < 32 or len(kept) != len(others) or not redone or mine != full:
        return (f"a dense month was not refreshed by its changed bucket: {len(buckets)} buckets, "
                f"{len(kept)} of {len(others)} other rows kept, {len(redone)} rows of bucket {bucket} "
                f"recomputed; monthly {mine} vs full {full}")
    return None


def main():
    module, root = sys.argv[1], sys.argv[2]
    seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    failures = [f for f in [check_partial_is_partial(module, root),
                            check_partial_is_partial(module, root, "Asia/Tokyo"),
                            check_dense_month_is_partial(module, root)] if f]
    failures += [f for f in (check_seed(module, root, seed) for seed in range(seeds)) if f]
    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print(f"usage refresh property: {seeds} seeds, incremental == full rebuild in every cache table")


if __name__ == "__main__":
    main()
