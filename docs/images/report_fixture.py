"""Two weeks of made-up agent sessions (wire-v1 lines on stdout) for the
picture of `lethe report` in README: three agents, five models, four
projects, a few sessions a day, fixed seed. Not real usage."""
import json
import random

rng = random.Random(19)
AGENTS = {
    "claude-code": ["claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101", "claude-haiku-4-5"],
    "codex": ["gpt-5.1-codex"],
    "gemini-cli": ["gemini-2.5-pro"],
}
PROJECTS = ["/home/ana/shop", "/home/ana/payroll", "/home/ana/blog", "/home/ana/infra"]
for day in range(1, 15):
    weekend = day % 7 in (0, 6)
    for s in range(rng.randint(0, 1) if weekend else rng.randint(2, 5)):
        tool = rng.choices(list(AGENTS), weights=[6, 3, 1])[0]
        project = rng.choice(PROJECTS)
        sid = f"{tool}-{day:02d}-{s}"
        hour = rng.randint(8, 18)
        meta = {"working_dir": project}
        for t in range(rng.randint(4, 30)):
            model = rng.choice(AGENTS[tool])
            ts = f"2026-03-{day:02d}T{hour:02d}:{(t * 2) % 60:02d}:{rng.randint(0, 59):02d}Z"
            base = {"tool": tool, "host": "laptop", "session_id": sid, "seq": 2 * t,
                    "timestamp": ts, "session_meta": meta}
            print(json.dumps(dict(base, turn_id=f"u{t}", role="user", content="...")))
            reads = rng.randint(5_000, 120_000)
            writes = rng.randint(0, 8_000) if tool == "claude-code" else 0
            fresh = rng.randint(200, 4_000)
            line = dict(base, turn_id=f"a{t}", seq=2 * t + 1, role="assistant", content="...",
                        model=model, tokens_in=fresh + reads + writes,
                        tokens_out=rng.randint(100, 3_000),
                        metadata={"message_id": f"{sid}-{t}", "cache_read_tokens": reads,
                                  "cache_write_tokens": writes})
            print(json.dumps(line))
