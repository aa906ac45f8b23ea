"""Checks what a headless Chromium saw of a `lethe report` page
(report_browser.js's JSON) against `lethe daily --json`, `lethe session
--json` and `lethe blocks --json` of the same range and zone, and against the
usage pack's views: no problem in the browser, no script, a bar per day in
every chart, each bar's height its figure's, and every figure on the page
equal to the one it names (data-f). Exits non-zero naming the first figure
that differs.

Usage: check_report_page.py <seen.json> <dir with daily/session/blocks.json> <db> [report args]
"""
import json
import os
import sqlite3
import sys
import time

seen_path, folder, db_path, *args = sys.argv[1:]
seen = json.load(open(seen_path))
daily = json.load(open(os.path.join(folder, "daily.json")))
sessions = json.load(open(os.path.join(folder, "session.json")))["sessions"]
blocks = json.load(open(os.path.join(folder, "blocks.json")))["blocks"]
option = {a[2:]: b for a, b in zip(args, args[1:] + [""]) if a.startswith("--")}
since, until = option.get("since", "0000-00-00"), option.get("until", "9999-12-31")
since, until = (d if "-" in d else f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in (since, until))
utc = option.get("tz", "UTC") == "UTC"


def fail(message):
    sys.exit(f"FAIL: {seen_path}: {message}")


# The views, in the report's zone (the local day's setting changed in a
# transaction that is rolled back, as the command does).
con = sqlite3.connect(db_path, isolation_level=None)
if not utc:
    os.environ["TZ"] = option["tz"]
    time.tzset()
    con.execute("BEGIN")
    con.execute("UPDATE usage_settings SET value = 'localtime' WHERE name = 'local_day_modifier'")
day_col = "day" if utc else "local_day"


def rows(sql, *params):
    return con.execute(sql, params).fetchall()


# 1. The browser: nothing loaded, nothing logged, nothing run.
if seen["problems"]:
    fail("the browser reported: " + "; ".join(seen["problems"]))
if seen["scripts"] != 0:
    fail(f"the page has {seen['scripts']} script elements")
if seen["stray"]:
    fail(f"text with digits that is neither a checked figure nor a label: {seen['stray']}")
# 2. The charts: a bar per day of `lethe daily`, in its order.
days = [d["date"] for d in daily["daily"]]
if [c["id"] for c in seen["charts"]] != ["cost-agent", "cost-model", "tokens-agent", "tokens-model"]:
    fail(f"charts: {[c['id'] for c in seen['charts']]}")
for chart in seen["charts"]:
    if chart["days"] != days:
        fail(f"chart {chart['id']} has bars for {chart['days']}, lethe daily has days {days}")
if not seen["charts"][0]["shown"] or seen["charts"][0]["height"] <= 0:
    fail("the first chart is not drawn")
if any(c["shown"] for c in seen["charts"][1:]):
    fail("more than one chart shown at once")


# 3. Every figure against its source.
def by_cost(obj, cost, unpriced, priced):
    return {"cost": obj[cost], "unpricedTurns": obj[unpriced], "pricedCost": obj[priced]}


def usage(obj, cost_key):
    u = {k: obj.get(k) for k in ("inputTokens", "outputTokens", "cacheCreationTokens",
                                 "cacheReadTokens", "totalTokens", "unpricedTurns", "pricedCost")}
    u["cost"] = obj[cost_key]
    return u


def view_usage(row):  # input, out, cw, cr, total, cost, unpriced, priced
    return dict(zip(["inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens",
                     "totalTokens", "cost", "unpricedTurns", "pricedCost"], row))


usage_cols = ("input_tokens, tokens_out, cache_write_tokens, cache_read_tokens, total_tokens, "
              "cost_usd, unpriced_turns, priced_cost_usd")
sources = {("totals",): usage(daily["totals"], "totalCost"),
           ("count",): {"days": len(days), "blocks": len(blocks)}}
for d in daily["daily"]:
    sources[("day", d["date"])] = usage(d, "totalCost")
    for b in d["modelBreakdowns"]:
        sources[("model", d["date"], b["agent"], b["modelName"])] = usage(b, "cost")
view = "usage_daily_by_agent" if utc else "usage_local_daily_by_agent"
agent_rows = rows(f"SELECT {day_col}, tool, {usage_cols} FROM {view} "
                  f"WHERE owner = 'ana' AND {day_col} BETWEEN ? AND ?", since, until)
for r in agent_rows:
    sources[("agent", r[0], r[1])] = view_usage(r[2:])
for s in sessions:
    sources[("session", s["agent"], s["sessionId"])] = usage(s, "totalCost")
for b in blocks:
    sources[("block", b["startTime"])] = {"totalTokens": b["totalTokens"], "cost": b["costUSD"],
                                          "unpricedTurns": b["unpricedTurns"],
                                          "pricedCost": b["pricedCost"]}


def rule(costs, unpriced, billable, priced):
    """The pack's rule for a sum of rows: unknown when a billable turn has no
    price, nothing when nothing is billable."""
    return {"cost": None if billable == 0 or unpriced > 0 else round(sum(c or 0 for c in costs), 6),
            "unpricedTurns": unpriced,
            "pricedCost": round(sum(p or 0 for p in priced), 6) if billable > unpriced else None}


# Projects, from usage_by_day's rows (per agent, model and project).
view = "usage_by_day" if utc else "usage_by_local_day"
projects = {}
for p, tin, tout, cost, unpriced, billable, priced in rows(
        f"SELECT project, tokens_in, tokens_out, cost_usd, unpriced_turns, billable_turns, "
        f"priced_cost_usd FROM {view} WHERE owner = 'ana' AND {day_col} BETWEEN ? AND ?", since, until):
    acc = projects.setdefault(p, {"tokens": 0, "costs": [], "unpriced": 0, "billable": 0, "priced": []})
    acc["tokens"] += tin + tout
    acc["costs"].append(cost)
    acc["unpriced"] += unpriced
    acc["billable"] += billable
    acc["priced"].append(priced)
for p, acc in projects.items():
    sources[("project", p)] = dict(rule(acc["costs"], acc["unpriced"], acc["billable"], acc["priced"]),
                                   totalTokens=acc["tokens"])

# Cache savings, per turn from turn_usage and the prices it was costed with.
savings = {}
for tool, model, reads, inp, read in rows(
        f"SELECT t.tool, t.model, t.cache_read_tokens, "
        f"CASE WHEN t.price_tier IS NULL THEN p.input_usd_per_mtok ELSE x.input_usd_per_mtok END, "
        f"CASE WHEN t.price_tier IS NULL THEN p.cache_read_usd_per_mtok ELSE x.cache_read_usd_per_mtok END "
        f"FROM turn_usage AS t LEFT JOIN model_prices AS p ON p.model = t.price_model "
        f"LEFT JOIN model_price_tiers AS x ON x.model = t.price_model AND x.above_input_tokens = t.price_tier "
        f"WHERE t.owner = 'ana' AND t.cache_read_tokens > 0 AND t.{day_col} BETWEEN ? AND ?", since, until):
    for key in (("savings", tool, model), ("savings-total",)):
        acc = savings.setdefault(key, {"reads": 0, "saved": 0.0, "unpriced": 0, "turns": 0})
        acc["reads"] += reads
        acc["turns"] += 1
        if inp is None or read is None:
            acc["unpriced"] += 1
        else:
            acc["saved"] += reads * (inp - read) / 1e6
if ("savings-total",) not in savings:
    savings[("savings-total",)] = {"reads": 0, "saved": 0.0, "unpriced": 0, "turns": 0}
for key, acc in savings.items():
    sources[key] = {"cacheReadTokens": acc["reads"],
                    "saved": None if acc["unpriced"] or not acc["turns"] else acc["saved"],
                    "unpricedTurns": acc["unpriced"],
                    "pricedCost": acc["saved"] if acc["turns"] > acc["unpriced"] else None}


def parse(text):
    text = text.strip()
    if text in ("unknown", "-"):
        return text, None, 0
    if text.startswith("$"):
        digits = text[1:].replace(",", "")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        return "usd", float(digits), 0.5 * 10 ** -decimals + 1e-9
    return "int", int(text.replace(",", "")), 0


def same(ref, text, want, unpriced):
    kind, value, tolerance = parse(text)
    if kind == "unknown":
        ok = want is None and (unpriced or 0) > 0
    elif kind == "-":
        ok = want is None and not unpriced
    elif kind == "usd":
        ok = want is not None and abs(value - want) <= tolerance
    else:
        ok = want == value
    if not ok:
        fail(f"{ref}: the page shows {text!r}, the source says {want!r} (unpriced turns: {unpriced})")


shown = {}
for fig in seen["figures"]:
    ref = fig["f"]
    key, field = tuple(ref[:-1]), ref[-1]
    if key not in sources or field not in sources[key]:
        fail(f"{ref}: a figure with no such source (rows: {sorted(map(str, sources))[:20]}...)")
    src = sources[key]
    want = src[field]
    shown.setdefault(key, set()).add(field)
    text = fig["text"]
    if fig["tag"] == "title":  # a bar's segment: "<day> <series>: <figure>[ (at least $x)]"
        chart = next(c for c in seen["charts"] if c["id"] == fig["chart"])
        bar = want if want is not None else (src.get("pricedCost") or 0.0)
        value = float(fig["value"])
        if abs(value - bar) > 1e-6 * max(1.0, abs(bar)):
            fail(f"{ref} in {chart['id']}: a bar of {value}, the source says {bar}")
        if abs(float(fig["height"]) - chart["plotH"] * bar / chart["top"]) > 0.06:
            fail(f"{ref} in {chart['id']}: height {fig['height']} for {bar} of {chart['top']}")
        label, text = text.split(" (at least ")[0].rsplit(": ", 1)
        if not label.startswith(ref[1] + " "):
            fail(f"{ref}: the tooltip {fig['text']!r} is not of its day")
    same(ref, text, want, src.get("unpricedTurns"))

# 4. Nothing left out: every day, agent and model row of the period is on the
# page, the totals whole, the top sessions, projects and latest blocks.
fields = {"inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens", "cost"}
for key, src in sources.items():
    if key[0] in ("day", "totals") and not fields <= shown.get(key, set()):
        fail(f"{key}: not every figure is shown ({sorted(shown.get(key, set()))})")
    if key[0] in ("model", "agent") and not {"cost", "totalTokens"} <= shown.get(key, set()):
        fail(f"{key}: missing from the charts")


def shown_of(kind):
    return {k for k in shown if k[0] == kind}


def cost_rank(key):
    s = sources[key]
    c = s["cost"] if s["cost"] is not None else s["pricedCost"]
    return (c is not None, c or 0, s["totalTokens"])


for kind, limit in (("session", 10), ("project", 10)):
    every = {k for k in sources if k[0] == kind}
    on_page = shown_of(kind)
    if len(on_page) != min(limit, len(every)):
        fail(f"{len(on_page)} {kind}s shown, {min(limit, len(every))} expected")
    if on_page and every - on_page and max(map(cost_rank, every - on_page)) > min(map(cost_rank, on_page)):
        fail(f"a {kind} left out costs more than one shown")
latest = {("block", b["startTime"]) for b in blocks[-20:]}
if shown_of("block") != latest:
    fail(f"blocks shown: {sorted(shown_of('block'))}, the latest: {sorted(latest)}")
for key in shown_of("project"):  # names from the archive show as text, markup or not
    if key[1] is not None and key[1] not in seen["text"]:
        fail(f"the project {key[1]!r} is not shown as text")
if shown.get(("count",)) != {"days", "blocks"}:
    fail(f"the counts shown: {shown.get(('count',))}")
print(f"ok: {seen_path}: {len(seen['figures'])} figures, {len(days)} days, "
      f"{len(seen['charts'])} charts checked")
