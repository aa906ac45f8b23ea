#!/usr/bin/env python3
"""Deterministic generator of realistic lethe wire-v1 NDJSON corpora.

Usage:
    python3 bench/gen_corpus.py [--lines N] [--sessions S] [--bad-fraction F]
                                [--seed K] [--out FILE]

    --lines N         number of output lines               (default 200000)
    --sessions S      number of sessions the lines span    (default 2000;
                      clamped to N, so every session has at least one line)
    --bad-fraction F  fraction 0..1 of lines made invalid  (default 0.0)
    --seed K          integer seed                         (default 1)
    --out FILE        output file                          (default stdout)

Examples:
    python3 bench/gen_corpus.py --out /tmp/corpus.ndjson
    python3 bench/gen_corpus.py --lines 20000 --bad-fraction 0.05 --seed 7 \\
        --out /tmp/bad.ndjson

Output: NDJSON, one JSON object per line, LF endings, UTF-8 (raw non-ASCII,
compact separators). The same arguments always give byte-identical output:
everything comes from random.Random seeded with --seed, nothing from the clock
or from str hashing. A one-line summary (lines, bytes, mean line bytes incl.
the LF, bad lines, sessions) goes to stderr.

What a good line looks like (docs/reference/contract.md, section 3):
  - tool "claude-code" | "codex" | "gemini-cli"; host from a handful of
    machines (Linux, macOS and one Windows box whose paths have backslashes
    and whose shell output uses CRLF inside content).
  - session_id uuid-like; turn_id uuid-like (claude-code, gemini-cli) or
    "<session_id>-<seq>" (codex); seq 0,1,2,... per session.
  - role user | assistant | system | tool, following a plausible agent loop
    (user -> assistant [-> tool ... -> assistant] -> user ...).
  - timestamp RFC 3339, strictly increasing within a session; per session
    "Z" or a fixed offset (+02:00, -05:00, +05:30, ...) and 0, 3, 6 or 9
    fraction digits.
  - content: prose (some French/Japanese/German/Chinese/emoji), fenced code,
    tool output (ls, pytest, cargo with ANSI colour escapes, gcc, git diff,
    numbered file reads, codex's JSON-in-a-string outputs), quotes and
    backslashes. Sometimes null (codex assistant lines carrying tool calls).
    About 2% of lines are 5-50 KB (pasted files, long tool output; JSON
    escaping pushes a handful just past 50 KB). Default corpus: ~151 MB,
    mean ~757 bytes a line, median ~520; about 4 s on one core.
  - model/tokens_in/tokens_out/cost_usd on assistant lines (codex writes
    "model": null on other lines, the other tools leave it out).
  - tool_calls on ~40% of assistant lines: [{"id", "name", "input"}] with
    per-tool names (Bash/Read/Edit..., shell/apply_patch..., run_shell_command...).
  - metadata on some lines: {"cwd_hash", "git_branch"[, "tool_call_id"]}.
  - session_meta {started_at, working_dir, source_file, metadata{version}}
    on the first line (seq 0) of each session only.
  - Key order differs per tool; claude-code lines also carry an unknown key
    "parent_turn_id" (the contract says unknown keys are ignored).
Sessions are interleaved like a multi-machine backfill: a window of ~32 open
sessions, lines drawn from them in short runs.

--bad-fraction F picks round(F * N) lines (from a separate random stream, so
the good lines are the same whatever F is) and breaks each in one way,
rotating in output order through:
  0 truncated line            -> INVALID_JSON
  1 "role" removed            -> MISSING_FIELD
  2 seq as a string ("3")     -> INVALID_FIELD
  3 bad timestamp (month 13, hour 25, Feb 30, second 60, no zone,
    space for T)              -> INVALID_FIELD
  4 role "robot"              -> INVALID_FIELD
  5 negative tokens_in        -> INVALID_FIELD
  6 control char in tool ("cl\\u0001aude-code") -> INVALID_FIELD
So with --bad-fraction 0 every line is one lethe_ingest should accept.
"""

import argparse
import bisect
import datetime
import json
import re
import sys

import random

# ---------------------------------------------------------------------------
# Vocabulary

WORDS = (
    "parse token buffer session turn ingest batch cursor offset line record "
    "schema index cache writer reader config handler request response stream "
    "chunk frame owner payload result error status queue worker limit budget "
    "cost model prompt reply event source target path entry node graph state "
    "timer clock retry backoff store table column row key value hash digest"
).split()

TYPES_CPP = ["std::string", "std::vector<Turn>", "Result", "int64_t",
             "std::optional<Session>", "LineError", "Span"]
MODULES = ["framing", "json_scan", "wire", "timestamp", "options", "store",
           "ingest", "cli", "config", "server", "utils", "parser", "report"]

COMMENTS = [
    "TODO: handle the empty case",
    "NOTE: must stay in sync with contract.md §4",
    "FIXME(alice): off-by-one when the buffer ends in \\r",
    "gérer le cas où la ligne est vide",
    "ここで改行を処理する",
    "edge case: an emoji like 👍 is 4 bytes in UTF-8",
    "hot path — avoid allocations",
    "keep the order: MIN(started_at) wins",
    "see https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
    "don't \"fix\" this: the caller relies on it",
    "Windows paths look like C:\\Users\\sam — escape them",
    "XXX: quadratic for long lines, fine below 1 MiB",
    "Überprüfung der Eingabe",
    "兼容旧版本的字段名",
]

PHRASES = [
    "failed to parse line", "unexpected end of input", "session not found",
    "returns an empty list for blank input", "handles CRLF line endings",
    "rejects a negative seq", "keeps the exact bytes of tool_calls",
    "normalizes offsets to UTC", "invalid UTF-8 in payload",
    "upstream returned 502", "budget exceeded", "timestamp out of range",
    "le fichier est introuvable", "ファイルが見つかりません",
]

DOCS = [
    "Return the turns of one session in seq order.",
    "Split the batch into lines, dropping one trailing CR.",
    "Normalize an RFC 3339 time to UTC with millisecond precision.",
    "Parse one NDJSON line into a Turn, or raise LineError.",
    "Upsert the session row; the earliest start wins.",
    "Read the config file, falling back to defaults.",
    "Compute the cost of a call from token counts.",
    "Yield (offset, line) pairs without copying the buffer.",
]

# ---------------------------------------------------------------------------
# Code templates. Placeholders are @NAME (upper case); each is filled once per
# block, consistently within the block.

CODE_TEMPLATES = {
    "python": [
        '''def @F(@A, @B=None):
    """@DOC"""
    if @A is None:
        raise ValueError(f"@A must not be None, got {@A!r}")
    @X = [@Y.strip() for @Y in @A.split("\\n") if @Y]
    for i, @Y in enumerate(@X):
        if @Y.startswith("#"):
            continue
        @B = re.sub(r"\\s+", " ", @Y)
    return @X
''',
        '''class @C:
    """@DOC"""

    def __init__(self, @A: str, @B: int = @N) -> None:
        self.@A = @A
        self.@B = @B
        self._@X: dict[str, list[int]] = {}

    def @F(self, key: str) -> list[int]:
        # @CMT
        return self._@X.setdefault(key, [])

    def __repr__(self) -> str:
        return f"@C(@A={self.@A!r}, @B={self.@B})"
''',
        '''async def @F(session, @A):
    async with session.get(f"/api/v1/@X/{@A}") as resp:
        if resp.status != 200:
            log.warning("@S: %s", await resp.text())
            return None
        data = await resp.json()
    return data.get("@Y", [])
''',
        '''@pytest.mark.parametrize("@A,expected", [
    ("", []),
    ("a\\nb", ["a", "b"]),
    ("café\\t日本", ["café", "日本"]),
    ('say "hi"', ['say "hi"']),
])
def test_@F(@A, expected):
    assert @F(@A) == expected
''',
        '''def @F(path: Path) -> dict:
    # @CMT
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                rec = json.loads(raw)
            except json.JSONDecodeError as exc:
                print(f"{path}:{lineno}: {exc}", file=sys.stderr)
                continue
            yield rec["@X"], rec.get("@Y")
''',
    ],
    "cpp": [
        '''static @T @F(std::string_view @A, size_t @B) {
  // @CMT
  if (@A.empty()) return @T{};
  std::vector<std::string_view> @X;
  size_t start = 0;
  for (size_t i = 0; i < @A.size(); ++i) {
    if (@A[i] == '\\n') {
      @X.emplace_back(@A.data() + start, i - start);
      start = i + 1;
    }
  }
  if (@X.size() > @B) throw std::runtime_error("@S");
  return @T{std::move(@X)};
}
''',
        '''int @F(sqlite3* db, const char* @A) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT @X, @Y FROM turns WHERE session_id = ?1", -1, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "prepare failed: %s\\n", sqlite3_errmsg(db));
    return rc;
  }
  sqlite3_bind_text(stmt, 1, @A, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    printf("%lld\\t%s\\n", (long long)sqlite3_column_int64(stmt, 0),
           reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
  }
  sqlite3_finalize(stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}
''',
        '''struct @C {
  std::string @A;
  int64_t @B = 0;
  std::optional<double> @X;  // @CMT
  bool operator==(const @C&) const = default;
};
''',
        '''namespace {
constexpr size_t k@C = @N;
// @CMT
inline bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }
}  // namespace
''',
    ],
    "rust": [
        '''pub fn @F(@A: &str) -> Result<Vec<@C>, Error> {
    // @CMT
    let mut out = Vec::with_capacity(@N);
    for (i, line) in @A.lines().enumerate() {
        let trimmed = line.trim_end_matches('\\r');
        if trimmed.is_empty() {
            continue;
        }
        let v: @C = serde_json::from_str(trimmed)
            .map_err(|e| Error::Parse { line: i + 1, msg: format!("{e}") })?;
        out.push(v);
    }
    Ok(out)
}
''',
        '''#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct @C {
    pub @A: String,
    pub @B: Option<i64>,
    #[serde(default)]
    pub @X: Vec<String>,
}
''',
        '''#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn @F_handles_unicode() {
        let input = "{\\"@A\\":\\"héllo 🌍\\"}";
        assert_eq!(@F(input).unwrap().len(), 1);
    }
}
''',
        '''impl fmt::Display for @C {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} ({})", self.@A, self.@B.unwrap_or(-1), "@S")
    }
}
''',
    ],
    "ts": [
        '''export async function @F(@A: string, opts: { @B?: number } = {}): Promise<@C[]> {
  const res = await fetch(`${BASE_URL}/@X/${encodeURIComponent(@A)}`);
  if (!res.ok) {
    throw new Error(`@S: ${res.status} ${res.statusText}`);
  }
  const body = (await res.json()) as { items: @C[] };
  return body.items.slice(0, opts.@B ?? @N);
}
''',
        '''export interface @C {
  @A: string;
  @B?: number | null;
  @X: Record<string, unknown>; // @CMT
}
''',
        '''describe("@F", () => {
  it("@S", () => {
    expect(@F("a\\\\b")).toEqual(["a", "b"]);
    expect(@F("日本語")).toHaveLength(1);
  });
});
''',
        '''const @F = (@A: @C[]): Map<string, number> =>
  @A.reduce((acc, x) => acc.set(x.@X, (acc.get(x.@X) ?? 0) + 1), new Map());
''',
    ],
    "go": [
        '''func @F(ctx context.Context, @A string) (*@C, error) {
\t// @CMT
\trow := db.QueryRowContext(ctx, `SELECT @X, @Y FROM sessions WHERE id = $1`, @A)
\tvar v @C
\tif err := row.Scan(&v.@X, &v.@Y); err != nil {
\t\treturn nil, fmt.Errorf("@F: %w", err)
\t}
\treturn &v, nil
}
''',
        '''type @C struct {
\t@X string `json:"@A"`
\t@Y int64  `json:"@B,omitempty"`
}
''',
    ],
    "sql": [
        '''SELECT s.session_id, count(*) AS turns, sum(t.tokens_in) AS @X
FROM sessions s JOIN turns t USING (owner, tool, host, session_id)
WHERE s.started_at >= '2026-02-01T00:00:00.000Z'
GROUP BY 1
ORDER BY turns DESC
LIMIT @N;
''',
        '''CREATE TABLE IF NOT EXISTS @X (
  id    INTEGER PRIMARY KEY,
  @A    TEXT NOT NULL,   -- @CMT
  @B    INTEGER,
  @Y    TEXT CHECK (json_valid(@Y))
) STRICT;
''',
        '''-- @DOC
SELECT role, count(*), round(sum(cost_usd), 4) AS usd
FROM turns
WHERE timestamp BETWEEN '2026-03-01T00:00:00.000Z' AND '2026-03-31T23:59:59.999Z'
GROUP BY role;
''',
    ],
    "sh": [
        '''#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
for f in src/*.py; do
  echo "checking $f"
  grep -nE '\\b(TODO|FIXME)\\b' "$f" || true
done
''',
        '''@F() {
  local @A="${1:?usage: @F <path>}"
  # @CMT
  if [[ ! -f "$@A" ]]; then
    printf 'missing: %s\\n' "$@A" >&2
    return 1
  fi
  sed -e 's/\\r$//' "$@A" | jq -c 'select(.@X != null)'
}
''',
    ],
    "yaml": [
        '''name: @X
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make -j4 test
      - run: python3 bench/run.py --corpus "@Y.ndjson"  # @CMT
''',
    ],
    "md": [
        '''## @S

The `@F` function reads NDJSON and writes one row per rejected line.
See [the contract](docs/contract.md) for details — «@CMT».

| field | type |
|---|---|
| `@A` | string |
| `@B` | integer |
''',
    ],
}

LANG_EXT = {"python": "py", "cpp": "cpp", "rust": "rs", "ts": "ts", "go": "go",
            "sql": "sql", "sh": "sh", "yaml": "yml", "md": "md"}
EXT_LANG = {v: k for k, v in LANG_EXT.items()}
FENCE = {"python": "python", "cpp": "cpp", "rust": "rust", "ts": "ts",
         "go": "go", "sql": "sql", "sh": "bash", "yaml": "yaml", "md": "markdown"}

PLACEHOLDER = re.compile(r"@[A-Z]+")


def snake(r):
    return r.choice(WORDS) + "_" + r.choice(WORDS)


def camel(r):
    return r.choice(WORDS).capitalize() + r.choice(WORDS).capitalize()


def fill(r, template):
    """Fill @NAME placeholders, one value per name per call."""
    values = {}

    def sub(m):
        name = m.group(0)[1:]
        if name not in values:
            if name in ("F", "A", "B", "X", "Y"):
                v = snake(r)
            elif name == "C":
                v = camel(r)
            elif name == "T":
                v = r.choice(TYPES_CPP)
            elif name == "N":
                v = str(r.choice([8, 16, 64, 100, 128, 256, 1000, 4096]))
            elif name == "S":
                v = r.choice(PHRASES)
            elif name == "DOC":
                v = r.choice(DOCS)
            elif name == "CMT":
                v = r.choice(COMMENTS)
            elif name == "P":
                v = "src/%s.%s" % (r.choice(MODULES), r.choice(["py", "rs", "cpp", "ts"]))
            elif name == "M":
                v = r.choice(MODULES)
            elif name == "CMD":
                v = r.choice(SHELL_COMMANDS)[0]
            else:
                v = snake(r).upper()
            values[name] = v
        return values[name]

    return PLACEHOLDER.sub(sub, template)


# ---------------------------------------------------------------------------
# Text pools: large pre-generated texts that content is sliced from (cheap at
# generation time, and realistic: the same files get read again and again).

class Pool:
    def __init__(self, text):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        if self.starts[-1] == len(text):
            self.starts.pop()

    def lines(self, r, k):
        """k consecutive lines from a random place (without final LF)."""
        n = len(self.starts)
        k = max(1, min(k, n - 1))
        i = r.randrange(0, n - k)
        return self.text[self.starts[i]:self.starts[i + k] - 1]

    def nbytes(self, r, size):
        """About `size` characters of whole lines from a random place."""
        total = len(self.text)
        if size >= total - 1:
            return self.text
        i = r.randrange(0, bisect.bisect_right(self.starts, total - size - 1))
        a = self.starts[i]
        j = bisect.bisect_left(self.starts, a + size)
        b = self.starts[j] - 1 if j < len(self.starts) else total
        return self.text[a:b]


def build_code_pool(r, lang, size):
    parts, n = [], 0
    templates = CODE_TEMPLATES[lang]
    while n < size:
        block = fill(r, r.choice(templates))
        parts.append(block)
        parts.append("\n")
        n += len(block) + 1
    return "".join(parts)


def numbered(text, fmt):
    return "\n".join(fmt % (i, l) for i, l in enumerate(text.split("\n"), 1))


ANSI_GREEN, ANSI_RED, ANSI_BOLD, ANSI_RESET = "\x1b[32m", "\x1b[31m", "\x1b[1m", "\x1b[0m"


def build_log_pool(r, kind, size):
    out, n = [], 0
    while n < size:
        if kind == "pytest":
            mod = r.choice(MODULES)
            lines = ["============================= test session starts ==============================",
                     "platform linux -- Python 3.11.2, pytest-8.3.4, pluggy-1.5.0",
                     "rootdir: /home/u/src/lethe", "collected %d items" % r.randint(20, 400), ""]
            for _ in range(r.randint(10, 40)):
                res = r.choice(["PASSED", "PASSED", "PASSED", "PASSED", "FAILED", "SKIPPED"])
                lines.append("tests/test_%s.py::test_%s %s [%3d%%]" % (mod, snake(r), res, r.randint(0, 100)))
            lines += ["", "=================================== FAILURES ===================================",
                      "___________________________ test_%s ___________________________" % snake(r),
                      "", "    def test_%s():" % snake(r),
                      ">       assert parse('{\"seq\": \"3\"}') == []",
                      "E       AssertionError: assert [LineError(code='INVALID_FIELD', field='seq')] == []",
                      "E         Left contains one more item: LineError(code='INVALID_FIELD', field='seq')",
                      "", "tests/test_%s.py:%d: AssertionError" % (mod, r.randint(10, 900)),
                      "=========================== short test summary info ============================",
                      "FAILED tests/test_%s.py::test_%s - AssertionError: assert [...] == []" % (mod, snake(r)),
                      "========================= %d failed, %d passed in %.2fs =========================="
                      % (r.randint(1, 5), r.randint(20, 400), r.uniform(0.3, 90))]
        elif kind == "cargo":
            lines = ["%s   Compiling%s %s v0.%d.%d (/home/u/src/%s)" % (ANSI_GREEN + ANSI_BOLD, ANSI_RESET, r.choice(WORDS), r.randint(0, 9), r.randint(0, 20), r.choice(WORDS))
                     for _ in range(r.randint(2, 8))]
            lines += ["%swarning%s: unused variable: `%s`" % (ANSI_BOLD + "\x1b[33m", ANSI_RESET, snake(r)),
                      "  --> src/%s.rs:%d:%d" % (r.choice(MODULES), r.randint(1, 800), r.randint(1, 60)),
                      "   |", "%d |     let %s = %s(&buf)?;" % (r.randint(10, 99), snake(r), snake(r)),
                      "   |         ^^^^^^ help: if this is intentional, prefix it with an underscore", ""]
            lines.append("     Running unittests src/lib.rs (target/debug/deps/lethe-%016x)" % r.getrandbits(64))
            for _ in range(r.randint(5, 30)):
                ok = r.random() < 0.93
                lines.append("test %s::tests::%s ... %s" % (r.choice(MODULES), snake(r),
                             (ANSI_GREEN + "ok" + ANSI_RESET) if ok else (ANSI_RED + "FAILED" + ANSI_RESET)))
            lines.append("")
            lines.append("test result: %s. %d passed; %d failed; 0 ignored; 0 measured; 0 filtered out; finished in %.2fs"
                         % (ANSI_GREEN + "ok" + ANSI_RESET, r.randint(5, 300), 0, r.uniform(0.01, 20)))
        elif kind == "gcc":
            f = "ext/%s.cpp" % r.choice(MODULES)
            lines = ["g++ -std=c++20 -O2 -fPIC -Wall -Wextra -c %s -o build/%s.o" % (f, r.choice(MODULES)),
                     "%s: In function ‘int %s(sqlite3*, const char*)’:" % (f, snake(r)),
                     "%s:%d:%d: error: no matching function for call to ‘%s(std::string_view&, int)’" % (f, r.randint(1, 900), r.randint(1, 80), snake(r)),
                     "  %d |   auto rc = %s(line, -1);" % (r.randint(1, 900), snake(r)),
                     "      |             ~~~~~~^~~~~~~~~~",
                     "%s:%d:%d: note: candidate: ‘bool %s(std::string_view, size_t)’" % (f, r.randint(1, 900), r.randint(1, 80), snake(r)),
                     "%s:%d:%d: warning: comparison of integer expressions of different signedness: ‘int’ and ‘size_t’ {aka ‘long unsigned int’} [-Wsign-compare]" % (f, r.randint(1, 900), r.randint(1, 80)),
                     "make: *** [Makefile:%d: build/%s.o] Error 1" % (r.randint(10, 80), r.choice(MODULES))]
        elif kind == "npm":
            lines = ["", "> %s@%d.%d.%d test" % (r.choice(WORDS), r.randint(0, 3), r.randint(0, 20), r.randint(0, 9)),
                     "> vitest run", "", " RUN  v2.1.8 /home/u/src/%s" % r.choice(WORDS), ""]
            for _ in range(r.randint(4, 20)):
                lines.append(" %s src/%s.test.ts (%d tests) %dms" % (r.choice(["✓", "✓", "✓", "❯"]), r.choice(MODULES), r.randint(1, 40), r.randint(2, 900)))
            lines += ["", " Test Files  %d passed (%d)" % (r.randint(4, 20), r.randint(4, 20)),
                      "      Tests  %d passed (%d)" % (r.randint(20, 300), r.randint(20, 300)),
                      "   Duration  %.2fs" % r.uniform(0.5, 30)]
        elif kind == "gitlog":
            lines = ["%07x %s" % (r.getrandbits(28), r.choice([
                "fix(ingest): drop one trailing CR per line",
                "feat: add dry_run option", "test: cover Feb 29 in leap years",
                "refactor(store): one statement per line", "docs: wire-v1 §4 timestamps",
                "chore(deps): bump sqlite to 3.46.1", "Revert \"perf: reuse statement\"",
                "fix: quote at most 120 bytes of the value", "wip", "Merge branch 'main' into feat/%s" % r.choice(WORDS)]))
                for _ in range(r.randint(5, 20))]
        elif kind == "diff":
            lang = r.choice(["python", "cpp", "rust", "ts"])
            mod = r.choice(MODULES)
            lines = ["diff --git a/src/%s.%s b/src/%s.%s" % (mod, LANG_EXT[lang], mod, LANG_EXT[lang]),
                     "index %07x..%07x 100644" % (r.getrandbits(28), r.getrandbits(28)),
                     "--- a/src/%s.%s" % (mod, LANG_EXT[lang]), "+++ b/src/%s.%s" % (mod, LANG_EXT[lang]),
                     "@@ -%d,%d +%d,%d @@" % (r.randint(1, 400), r.randint(3, 30), r.randint(1, 400), r.randint(3, 30))]
            for l in fill(r, r.choice(CODE_TEMPLATES[lang])).split("\n"):
                x = r.random()
                lines.append(("-" if x < 0.12 else "+" if x < 0.28 else " ") + l)
        else:  # ls
            lines = ["total %d" % r.randint(8, 400)]
            for _ in range(r.randint(5, 25)):
                name = r.choice([snake(r) + "." + r.choice(list(LANG_EXT.values())),
                                 r.choice(["src", "tests", "docs", ".git", "node_modules", "build"]),
                                 r.choice(["README.md", "Makefile", "package.json", "Cargo.toml", "pyproject.toml", "データ.csv", "notes — draft.md"])])
                lines.append("%s %2d %s %s %7d %s %2d %02d:%02d %s" % (
                    r.choice(["-rw-r--r--", "drwxr-xr-x", "-rwxr-xr-x"]), r.randint(1, 9),
                    "u", "u", r.randint(0, 99999), r.choice(["Jan", "Feb", "Mar"]),
                    r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), name))
        block = "\n".join(lines) + "\n"
        out.append(block)
        n += len(block)
    return "".join(out)


# ---------------------------------------------------------------------------
# Prose

ASSIST_SENTENCES = [
    "I'll start by reading `@P` to see how `@F` handles empty input.",
    "Let me run the test suite to see what's failing.",
    "The failure is in `@F`: it assumes the buffer ends with `\\n`, but the last line of a file needs no newline.",
    "Found it — `@C::@F` returns early when `@A` is empty, so the cursor is never reset.",
    "Now I'll update the call site in `@P`.",
    "All @N tests pass. ✅",
    "The build is green now 🎉",
    "This is a classic off-by-one: the loop uses `<=` where it should use `<`.",
    "I've updated `@P` so that `@F` trims a trailing `\\r` before parsing.",
    "Let me check whether anything else calls `@F`.",
    "There are @N call sites; only two of them pass a non-empty `@A`.",
    "The regex `^\\d{4}-\\d{2}-\\d{2}T` only checks the shape, not that the date is real, so `2026-02-30` slips through.",
    "On Windows the path comes in as `C:\\Users\\sam\\src\\@X`, which is why the backslashes get doubled.",
    "Note that `\"é\"` is two bytes in UTF-8 but one code point, so `len()` and the byte limit disagree.",
    "I'd suggest we keep the current behaviour and add a test instead.",
    "The error message says \"@S\", which points at the JSON parser rather than the schema.",
    "I couldn't reproduce the crash with the small fixture, so let me try the full corpus.",
    "That's expected: SQLite refuses `SAVEPOINT` while a writing statement is active.",
    "The root cause is that we compare timestamps as strings before normalizing them to UTC.",
    "Let me look at the git history for `@P`.",
    "Both approaches work; the second one avoids an extra allocation per line.",
    "I'll add a regression test for the `日本語.txt` filename case.",
    "Running `@CMD` now.",
    "The output shows @N warnings but no errors.",
    "Heads-up: this touches the public API, so the README needs an update too.",
    "Good question! The short answer is no — `tool_calls` is stored as the exact JSON text.",
    "`@F` is only called from `@M`, so changing its signature is safe.",
    "I'm going to leave `@P` alone; the bug is upstream of it.",
    "The benchmark went from @N ms to about half that after switching to a prepared statement.",
    "Hmm, the test still fails, but with a different message now: `@S`.",
    "Let me double-check the edge case where the line is just `{}`.",
    "The `--dry-run` path never touches the database, which is why the numbers differ.",
    "Ça marche maintenant — the accented filename `résumé.md` is handled too.",
    "Per the contract, `\"seq\": 3.0` must be rejected, not silently truncated.",
    "I've kept the change minimal: one new branch in `@F` and a test.",
    "Strings like `\"C:\\\\temp\\\\x\"` need their backslashes escaped twice when they go through the shell.",
    "You're right, I misread the stack trace. Let me take another look.",
    "I'll update the todo list and move on to the next item.",
    "Everything else looks fine: lint is clean and the types check.",
    "⚠️ One thing to watch: `max_errors` counts rejected lines, not bytes.",
]

FOLLOWUPS = {"continue", "yes", "looks good 👍 ship it", "/compact",
             "ok, looks good. commit it with a sensible message",
             "hmm, that broke something else. revert the last change",
             "stop. undo that and just add a comment", "now do the same for @P",
             "no, don't change the schema — find another way", "what does this error mean?",
             "how much did this session cost so far?"}

USER_PROMPTS = [
    "fix the failing test in @P",
    "why does `@F` panic on empty input?",
    "can you add a --dry-run flag to the ingest command",
    "run the tests and tell me what's broken",
    "The CI is red again, can you look",
    "refactor @P, it's getting way too long",
    "add type hints to @P",
    "what does this error mean?",
    "ok, looks good. commit it with a sensible message",
    "no, don't change the schema — find another way",
    "please write a README section about the wire format",
    "Peux-tu corriger le test qui échoue dans @P ?",
    "このエラーを直してください: `@S`",
    "Warum schlägt der Build auf macOS fehl?",
    "¿Puedes añadir pruebas para `@F`?",
    "请帮我重构这个函数 `@F`",
    "continue",
    "yes",
    "looks good 👍 ship it",
    "hmm, that broke something else. revert the last change",
    "use \"double quotes\" in the error messages, not 'single'",
    "the path on my machine is C:\\Users\\sam\\src\\@X\\data — does that matter?",
    "make `@F` handle timestamps with +05:30 offsets",
    "how much did this session cost so far?",
    "explain what `@C` is for, I didn't write it",
    "can we make ingest faster? 200k lines takes too long",
    "add a test where the content has an emoji 🦀 and a tab\tin it",
    "now do the same for @P",
    "stop. undo that and just add a comment",
    "/compact",
]

SYSTEM_MSGS = [
    "<system-reminder>The TodoWrite tool hasn't been used recently. If you're working on tasks that would benefit from tracking progress, consider using it.</system-reminder>",
    "Conversation compacted. Summary: the user asked to fix `@F` in @P; tests pass except `@C`.",
    "Session resumed.",
    "Model switched to gemini-2.5-flash for the rest of this session due to quota limits.",
    "approval policy: on-request; sandbox: workspace-write; network access: disabled",
    "Caveat: The messages below were generated by the user while running local commands. DO NOT respond to these messages unless the user explicitly asks you to.",
    "[Request interrupted by user]",
    "Context left until auto-compact: @N%",
]

CODEX_ENV = ("<environment_context>\n  <cwd>%s</cwd>\n  <approval_policy>on-request</approval_policy>\n"
             "  <sandbox_mode>workspace-write</sandbox_mode>\n  <shell>bash</shell>\n</environment_context>")
START_SYSTEM_MSGS = [  # a system line opening a session (other than codex's)
    "Session resumed.",
    "Caveat: The messages below were generated by the user while running local commands. DO NOT respond to these messages unless the user explicitly asks you to.",
    "[Request interrupted by user]",
]

SHELL_COMMANDS = [
    ("ls -la", "ls"), ("ls -la src", "ls"), ("git status", "gitstatus"),
    ("git diff", "diff"), ("git diff --stat HEAD~1", "diffstat"),
    ("git log --oneline -n 20", "gitlog"), ("pytest -q", "pytest"),
    ("pytest -x tests/test_ingest.py -k 'timestamp or seq'", "pytest"),
    ("python3 -m pytest -q --tb=short", "pytest"), ("cargo test --quiet", "cargo"),
    ("cargo build 2>&1 | tail -40", "cargo"), ("make -j8", "gcc"), ("make test", "gcc"),
    ("npm test", "npm"), ("npx vitest run", "npm"),
    ("rg -n \"lethe_ingest\" ext tests", "grep"), ("grep -rn 'TODO' src/ | head -20", "grep"),
    ("cat package.json", "json"), ("sed -n '1,120p' ext/wire.cpp", "code"),
    ("python3 -c 'import json,sys; print(json.load(sys.stdin)[\"name\"])' < package.json", "short"),
    ("sqlite3 /tmp/t.db \".load ./build/lethe\" \"select lethe_version()\"", "short"),
    ("find . -name '*.py' -not -path './.venv/*' | xargs wc -l | tail -5", "short"),
    ("sed -i 's/\\bparse_line\\b/parse_record/g' src/*.py", "empty"),
    ("wc -l /tmp/corpus.ndjson && head -c 300 /tmp/corpus.ndjson", "short"),
    ("echo \"$PATH\" | tr ':' '\\n'", "short"),
]

CMD_DESCRIPTIONS = {
    "ls": "List files", "gitstatus": "Check git status", "diff": "Show the diff",
    "diffstat": "Show changed files", "gitlog": "Show recent commits", "pytest": "Run the tests",
    "cargo": "Build and test", "gcc": "Build the extension", "npm": "Run the JS tests",
    "grep": "Search the code", "json": "Show package.json", "code": "Print the file",
    "empty": "Rename the function everywhere",
}

GIT_BRANCHES = ["main", "main", "main", "develop", "feat/dry-run", "fix/crlf",
                "perf/prepared-stmt", "alice/timestamps", "wip-日本語"]

PROJECTS = ["lethe", "api-gateway", "webshop", "ml-pipeline", "dotfiles",
            "infra", "blog", "parser-rs", "mobile-app", "data-tools",
            "café-menu", "homelab"]

HOSTS = [  # (name, os, weight)
    ("laptop-3", "linux", 5), ("laptop-7", "mac", 4), ("workstation-1", "linux", 4),
    ("devbox-eu-2", "linux", 3), ("mbp-alice", "mac", 3), ("win-desktop", "windows", 1),
]
HOST_USER = {"laptop-3": "u", "laptop-7": "dev", "workstation-1": "u",
             "devbox-eu-2": "ci", "mbp-alice": "alice", "win-desktop": "sam"}

TOOLS = [("claude-code", 5), ("codex", 3), ("gemini-cli", 2)]
MODELS = {  # model: (usd per Mtok in, usd per Mtok out)
    "claude-sonnet-4-5": (3.0, 15.0), "claude-opus-4-1": (15.0, 75.0),
    "claude-haiku-4-5": (1.0, 5.0), "gpt-5-codex": (1.25, 10.0),
    "gpt-5": (1.25, 10.0), "gpt-5-mini": (0.25, 2.0),
    "gemini-2.5-pro": (1.25, 10.0), "gemini-2.5-flash": (0.30, 2.5),
}
TOOL_MODELS = {
    "claude-code": (["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"], [7, 2, 1]),
    "codex": (["gpt-5-codex", "gpt-5", "gpt-5-mini"], [6, 3, 1]),
    "gemini-cli": (["gemini-2.5-pro", "gemini-2.5-flash"], [7, 3]),
}
TOOL_VERSIONS = {
    "claude-code": ["1.0.3", "1.0.51", "2.0.14", "2.0.22"],
    "codex": ["0.39.0", "0.44.0", "0.46.0"],
    "gemini-cli": ["0.8.2", "0.9.0", "0.10.1"],
}
# per tool: list of (call name, category)
TOOL_CALL_NAMES = {
    "claude-code": [("Bash", "shell")] * 5 + [("Read", "read")] * 4 + [("Edit", "edit")] * 3
    + [("Write", "write"), ("Grep", "grep"), ("Grep", "grep"), ("Glob", "glob"), ("TodoWrite", "plan")],
    "codex": [("shell", "shell")] * 8 + [("apply_patch", "edit")] * 3 + [("update_plan", "plan")],
    "gemini-cli": [("run_shell_command", "shell")] * 4 + [("read_file", "read")] * 3
    + [("replace", "edit")] * 2 + [("write_file", "write"), ("search_file_content", "grep"),
                                   ("glob", "glob"), ("google_web_search", "web")],
}

KEY_ORDER = {
    "claude-code": ["tool", "host", "session_id", "turn_id", "parent_turn_id", "seq", "role",
                    "timestamp", "content", "model", "tokens_in", "tokens_out", "cost_usd",
                    "tool_calls", "metadata", "session_meta"],
    "codex": ["session_id", "turn_id", "seq", "tool", "host", "timestamp", "role", "model",
              "content", "tool_calls", "tokens_in", "tokens_out", "cost_usd", "metadata",
              "session_meta"],
    "gemini-cli": ["tool", "session_id", "host", "seq", "turn_id", "timestamp", "role",
                   "content", "model", "tokens_in", "tokens_out", "cost_usd", "tool_calls",
                   "metadata", "session_meta"],
}

OFFSETS = [(0, 80), (120, 8), (60, 4), (-300, 4), (330, 2), (-420, 2)]  # minutes, weight
FRACTIONS = [("ms", 80), ("us", 10), ("ns", 5), ("none", 5)]
EPOCH = datetime.datetime(2026, 1, 1)
SPAN_US = 86 * 86400 * 10**6  # sessions start between Jan 1 and Mar 28, 2026
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

BAD_TIMESTAMPS = ["2026-13-01T00:00:00Z", "2026-03-04T25:11:12.000Z",
                  "2026-02-30T12:00:00Z", "2026-03-04T10:11:60Z",
                  "2026-03-04T10:11:12.123", "2026-03-04 10:11:12Z"]


def uuid_like(r):
    x = r.getrandbits(128)
    h = "%032x" % x
    return "%s-%s-4%s-%x%s-%s" % (h[:8], h[8:12], h[13:16], 8 | (x >> 62 & 3), h[17:20], h[20:32])


def base62(r, n):
    return "".join(r.choice(BASE62) for _ in range(n))


def weighted(r, pairs):
    return r.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


# ---------------------------------------------------------------------------

class Corpus:
    """Shared pools, built once from the seed."""

    def __init__(self, seed):
        r = random.Random(seed * 7919 + 17)
        self.code = {}
        self.code_numbered = {}
        for lang in CODE_TEMPLATES:
            text = build_code_pool(r, lang, 140000)
            self.code[lang] = Pool(text)
            self.code_numbered[lang] = Pool(numbered(text, "%6d→%s"))
        self.logs = {k: Pool(build_log_pool(r, k, 140000))
                     for k in ("pytest", "cargo", "gcc", "npm", "gitlog", "diff", "ls")}
        self.assist = [fill(r, s) for s in ASSIST_SENTENCES for _ in range(60)]
        self.user = [fill(r, s) for s in USER_PROMPTS for _ in range(40)]
        self.user_first = [fill(r, s) for s in USER_PROMPTS if s not in FOLLOWUPS for _ in range(40)]
        self.system = [fill(r, s) for s in SYSTEM_MSGS for _ in range(20)]
        self.commands = SHELL_COMMANDS
        self.langs = list(CODE_TEMPLATES)


class Session:
    def __init__(self, corpus, seed, index, n_lines):
        r = self.r = random.Random(seed * 1000003 + index * 7 + 3)
        self.c = corpus
        self.n = n_lines
        self.seq = 0
        self.tool = weighted(r, TOOLS)
        self.host, self.os = weighted(r, [((h, o), w) for h, o, w in HOSTS])
        user = HOST_USER[self.host]
        proj = r.choice(PROJECTS)
        if self.os == "windows":
            self.cwd = "C:\\Users\\%s\\src\\%s" % (user, proj)
            home = "C:\\Users\\%s" % user
        elif self.os == "mac":
            self.cwd = "/Users/%s/code/%s" % (user, proj)
            home = "/Users/%s" % user
        else:
            self.cwd = "/home/%s/src/%s" % (user, proj)
            home = "/home/%s" % user
        self.sep = "\\" if self.os == "windows" else "/"
        self.session_id = uuid_like(r)
        models, mw = TOOL_MODELS[self.tool]
        self.model = r.choices(models, mw)[0]
        self.alt_model = r.choice(models)
        self.lang = r.choice(["python", "python", "cpp", "rust", "ts", "ts", "go"])
        exts = [LANG_EXT[self.lang]] * 4 + ["md", "sql", "sh", "yml"]
        self.paths = ["%s/%s.%s" % (r.choice(["src", "src", "tests", "lib", "ext", "docs", "scripts"]),
                                    r.choice(MODULES), r.choice(exts)) for _ in range(12)]
        self.path_lang = {p: EXT_LANG[p.rsplit(".", 1)[1]] for p in self.paths}
        self.offset = weighted(r, OFFSETS)
        self.frac = weighted(r, FRACTIONS)
        self.t = r.randrange(SPAN_US)  # microseconds since EPOCH, UTC
        self.ctx = r.randint(6000, 18000)
        self.has_meta = r.random() < 0.35
        self.cwd_hash = "%016x" % r.getrandbits(64)
        self.branch = r.choice(GIT_BRANCHES)
        self.version = r.choice(TOOL_VERSIONS[self.tool])
        self.prev_role = None
        self.pending_calls = []
        self.prev_turn = None
        self.started_at = self.ts(self.t - r.randint(0, 3000000))
        if self.tool == "claude-code":
            src = "~/.claude/projects/%s/%s.jsonl" % (re.sub(r"[^A-Za-z0-9]", "-", self.cwd), self.session_id)
        elif self.tool == "codex":
            d = EPOCH + datetime.timedelta(microseconds=self.t)
            src = "~/.codex/sessions/%04d/%02d/%02d/rollout-%04d-%02d-%02dT%02d-%02d-%02d-%s.jsonl" % (
                d.year, d.month, d.day, d.year, d.month, d.day, d.hour, d.minute, d.second, self.session_id)
        else:
            d = EPOCH + datetime.timedelta(microseconds=self.t)
            src = "~/.gemini/tmp/%064x/chats/session-%04d-%02d-%02dT%02d-%02d-%s.json" % (
                r.getrandbits(256), d.year, d.month, d.day, d.hour, d.minute, self.session_id[:8])
        if self.os == "windows":
            src = src.replace("~", home).replace("/", "\\")
        meta = {"version": self.version}
        if r.random() < 0.3:
            meta["git_branch"] = self.branch
        if self.tool == "codex" and r.random() < 0.5:
            meta["originator"] = "codex_cli_rs"
        self.session_meta = {"started_at": self.started_at, "working_dir": self.cwd,
                             "source_file": src, "metadata": meta}

    # -- helpers ----------------------------------------------------------

    def ts(self, t_us):
        d = EPOCH + datetime.timedelta(microseconds=t_us + self.offset * 60000000)
        s = "%04d-%02d-%02dT%02d:%02d:%02d" % (d.year, d.month, d.day, d.hour, d.minute, d.second)
        f = self.frac
        if f == "ms":
            s += ".%03d" % (d.microsecond // 1000)
        elif f == "us":
            s += ".%06d" % d.microsecond
        elif f == "ns":
            s += ".%06d%03d" % (d.microsecond, (t_us * 7) % 1000)
        if self.offset == 0:
            return s + "Z"
        sign = "+" if self.offset > 0 else "-"
        m = abs(self.offset)
        return s + "%s%02d:%02d" % (sign, m // 60, m % 60)

    def abspath(self, rel):
        if self.os == "windows":
            return self.cwd + "\\" + rel.replace("/", "\\")
        return self.cwd + "/" + rel

    def code_lines(self, k, lang=None):
        return self.c.code[lang or self.lang].lines(self.r, k)

    def fenced(self, k, lang=None):
        lang = lang or self.lang
        return "```%s\n%s\n```" % (FENCE[lang], self.code_lines(k, lang))

    def long_size(self):
        # 5 KB .. 47 KB of text (JSON escaping adds a little), skewed towards
        # the low end: median ~ 5.3 KB, mean ~ 8.8 KB
        return int(5000 * 9.4 ** (self.r.random() ** 5))

    def crlf(self, text):
        return text.replace("\n", "\r\n") if self.os == "windows" else text

    # -- content per role -------------------------------------------------

    def user_content(self):
        r = self.r
        x = r.random()
        p = r.choice(self.c.user if self.seq > 1 else self.c.user_first)
        if x < 0.025:  # long paste
            what = r.random()
            if what < 0.5:
                body = self.c.code[r.choice([self.lang, self.lang, r.choice(self.c.langs)])].nbytes(r, self.long_size())
                return "%s\n\n```\n%s\n```" % (p, body)
            kind = r.choice(["pytest", "cargo", "gcc", "npm"])
            return "%s\n\n%s" % (p, self.c.logs[kind].nbytes(r, self.long_size()))
        if x < 0.12:
            kind = r.choice(["pytest", "cargo", "gcc", "npm"])
            return "%s\n\n```\n%s\n```" % (p, self.c.logs[kind].lines(r, r.randint(3, 10)))
        if x < 0.18:
            return "%s\n\n%s" % (p, self.fenced(r.randint(4, 14)))
        if x < 0.40:
            return "%s %s" % (p, r.choice(self.c.user))
        return p

    def prose(self, n):
        return " ".join(self.r.choice(self.c.assist) for _ in range(n))

    def assistant_content(self, with_calls):
        r = self.r
        if with_calls:
            if self.tool == "codex" and r.random() < 0.5:
                return None
            if self.tool == "claude-code" and r.random() < 0.2:
                return ""
            return self.prose(r.randint(1, 2))
        x = r.random()
        if x < 0.004:  # writes out a whole file
            return "%s\n\n```%s\n%s\n```" % (self.prose(2), FENCE[self.lang],
                                            self.c.code[self.lang].nbytes(r, self.long_size()))
        if x < 0.60:
            return self.prose(r.randint(1, 2))
        if x < 0.80:
            return "\n\n".join(self.prose(r.randint(1, 3)) for _ in range(2))
        if x < 0.90:
            return "%s\n\n%s\n\n%s" % (self.prose(1), self.fenced(r.randint(3, 12)), self.prose(1))
        items = "\n".join("- %s" % r.choice(self.c.assist) for _ in range(r.randint(3, 5)))
        return "%s\n\n%s\n\n%s" % (r.choice(["**Summary**", "## Changes", "Done. Summary of the changes:", "### Next steps"]),
                                   items, self.prose(r.randint(1, 2)))

    def shell_output(self, kind, long):
        r, c = self.r, self.c
        if long:
            pool = c.logs[kind] if kind in c.logs else c.logs[r.choice(["pytest", "cargo", "gcc", "npm", "diff"])]
            return pool.nbytes(r, self.long_size())
        if kind in c.logs:
            return c.logs[kind].lines(r, r.randint(1, 6))
        if kind == "gitstatus":
            files = "\n".join("\tmodified:   %s" % r.choice(self.paths) for _ in range(r.randint(1, 5)))
            return ("On branch %s\nChanges not staged for commit:\n  (use \"git add <file>...\" to update what will be committed)\n%s\n\nno changes added to commit (use \"git add\" and/or \"git commit -a\")"
                    % (self.branch, files))
        if kind == "diffstat":
            lines = [" %s | %d %s" % (r.choice(self.paths), r.randint(1, 80), "+" * r.randint(1, 30) + "-" * r.randint(0, 10))
                     for _ in range(r.randint(1, 6))]
            return "\n".join(lines) + "\n %d files changed, %d insertions(+), %d deletions(-)" % (
                len(lines), r.randint(1, 200), r.randint(0, 100))
        if kind == "grep":
            return "\n".join("%s:%d:%s" % (r.choice(self.paths), r.randint(1, 900), self.code_lines(1).strip())
                             for _ in range(r.randint(1, 8)))
        if kind == "json":
            return json.dumps({"name": r.choice(PROJECTS), "version": "%d.%d.%d" % (r.randint(0, 3), r.randint(0, 20), r.randint(0, 9)),
                               "scripts": {"test": "vitest run", "build": "tsc -p .", "lint": "eslint \"src/**/*.ts\""},
                               "dependencies": {w: "^%d.%d.0" % (r.randint(1, 9), r.randint(0, 20)) for w in r.sample(WORDS, 4)}},
                              indent=2, ensure_ascii=False)
        if kind == "code":
            return self.code_lines(r.randint(5, 30))
        if kind == "empty":
            return ""
        return r.choice(["lethe", "3.46.1", "0.4.2", "  1834 total", "/usr/local/bin\n/usr/bin\n/bin",
                         "200000 /tmp/corpus.ndjson\n{\"tool\":\"codex\",\"host\":\"laptop-3\"", "ok"])

    def tool_content(self, call):
        r = self.r
        name, cat, cmd_kind, inp, lang = call
        long = r.random() < 0.09
        if cat == "shell":
            out = self.shell_output(cmd_kind, long)
            exit_code = 0 if r.random() < 0.8 else r.choice([1, 2, 101, 127])
            if self.tool == "codex":
                return json.dumps({"output": self.crlf(out), "metadata": {"exit_code": exit_code,
                                   "duration_seconds": round(r.uniform(0.01, 40), 1)}}, ensure_ascii=False)
            if self.tool == "gemini-cli":
                return "Command: %s\nDirectory: (root)\nStdout: %s\nStderr: (empty)\nError: (none)\nExit Code: %d\nSignal: (none)\nBackground PIDs: (none)\nProcess Group PGID: %d" % (
                    inp.get("command", ""), self.crlf(out) or "(empty)", exit_code, r.randint(1000, 99999))
            if exit_code and r.random() < 0.5:
                return "Error: Command failed with exit code %d\n%s" % (exit_code, self.crlf(out))
            return self.crlf(out)
        if cat == "read":
            size = self.long_size() if long else r.randint(100, 1000)
            if self.tool == "claude-code":
                return self.c.code_numbered[lang].nbytes(r, size)
            return self.c.code[lang].nbytes(r, size)
        if cat == "edit":
            if self.tool == "codex":
                return json.dumps({"output": "Success. Updated the following files:\nM %s\n" % r.choice(self.paths),
                                   "metadata": {"exit_code": 0, "duration_seconds": 0.0}})
            if self.tool == "gemini-cli":
                return "Successfully modified file: %s (1 replacements)." % self.abspath(r.choice(self.paths))
            return "The file %s has been updated. Here's the result of running `cat -n` on a snippet of the edited file:\n%s" % (
                inp.get("file_path", ""), self.c.code_numbered[lang].lines(r, r.randint(3, 10)))
        if cat == "write":
            return "File created successfully at: %s" % inp.get("file_path", inp.get("absolute_path", ""))
        if cat == "grep":
            n = r.randint(0, 12)
            if n == 0:
                return "No matches found"
            return "Found %d matches\n%s" % (n, "\n".join(
                "%s:%d:%s" % (self.abspath(r.choice(self.paths)), r.randint(1, 900), self.code_lines(1).strip())
                for _ in range(n)))
        if cat == "glob":
            return "\n".join(self.abspath(p) for p in r.sample(self.paths, r.randint(1, len(self.paths))))
        if cat == "web":
            return "Web search results for \"%s\":\n\n%s\n\nSources:\n[1] https://sqlite.org/vtab.html\n[2] https://www.rfc-editor.org/rfc/rfc3339" % (
                inp.get("query", ""), self.prose(r.randint(2, 6)))
        return "Todos have been modified successfully. Ensure that you continue to use the todo list to track your progress. Please proceed with the current tasks if applicable"

    def make_call(self, i):
        r = self.r
        name, cat = r.choice(TOOL_CALL_NAMES[self.tool])
        cmd_kind = None
        rel = r.choice(self.paths)
        lang = self.path_lang[rel]
        path = self.abspath(rel)
        if self.tool == "claude-code":
            cid = "toolu_01" + base62(r, 22)
        elif self.tool == "codex":
            cid = "call_" + base62(r, 24)
        else:
            cid = "%s-%d-%012x" % (name, 1767225600000 + self.t // 1000, r.getrandbits(48))
        if cat == "shell":
            cmd, cmd_kind = r.choice(self.c.commands)
            if self.tool == "codex":
                inp = {"command": ["bash", "-lc", cmd], "workdir": self.cwd, "timeout_ms": 120000}
            else:
                inp = {"command": cmd, "description": CMD_DESCRIPTIONS.get(cmd_kind, "Run a command")}
        elif cat == "read":
            inp = {"file_path": path} if self.tool == "claude-code" else {"absolute_path": path}
            if r.random() < 0.2:
                inp["offset"] = r.randint(1, 400)
                inp["limit"] = r.choice([50, 100, 200])
        elif cat == "edit":
            old, new = self.code_lines(r.randint(1, 4), lang), self.code_lines(r.randint(1, 5), lang)
            if self.tool == "codex":
                body = "\n".join("-" + l for l in old.split("\n")) + "\n" + "\n".join("+" + l for l in new.split("\n"))
                inp = {"input": "*** Begin Patch\n*** Update File: %s\n@@\n%s\n*** End Patch\n" % (rel, body)}
            else:
                inp = {"file_path": path, "old_string": old, "new_string": new}
                if self.tool == "gemini-cli":
                    inp["instruction"] = r.choice(self.c.assist)
                elif r.random() < 0.1:
                    inp["replace_all"] = True
        elif cat == "write":
            inp = {"file_path": path, "content": self.code_lines(r.randint(5, 25), lang)}
        elif cat == "grep":
            pat = r.choice(["lethe_ingest", "TODO|FIXME", "fn\\s+parse_\\w+", "\"seq\"\\s*:", "class \\w+Error", snake(r)])
            inp = {"pattern": pat, "path": "src"} if self.tool == "claude-code" else {"pattern": pat}
            if self.tool == "claude-code" and r.random() < 0.5:
                inp["output_mode"] = "content"
                inp["-n"] = True
        elif cat == "glob":
            inp = {"pattern": r.choice(["**/*.py", "src/**/*.ts", "**/*.{cpp,hpp}", "tests/**/test_*.py", "docs/*.md"])}
        elif cat == "web":
            inp = {"query": r.choice(["sqlite eponymous virtual table hidden columns", "RFC 3339 leap second", "python json ensure_ascii surrogates"])}
        else:  # plan
            steps = [r.choice(self.c.assist)[:80] for _ in range(r.randint(2, 5))]
            if self.tool == "codex":
                inp = {"plan": [{"step": s, "status": r.choice(["completed", "in_progress", "pending"])} for s in steps]}
            else:
                inp = {"todos": [{"content": s, "status": r.choice(["completed", "in_progress", "pending"]), "activeForm": s} for s in steps]}
        return {"id": cid, "name": name, "input": inp}, (name, cat, cmd_kind, inp, lang)

    # -- one line ---------------------------------------------------------

    def next_line(self):
        r = self.r
        seq = self.seq
        prev = self.prev_role
        calls = None
        # pick the role
        if self.pending_calls:
            role = "tool"
        elif prev is None:
            role = "system" if (self.tool == "codex" and r.random() < 0.5) or r.random() < 0.05 else "user"
        elif prev == "user" or prev == "tool":
            role = "assistant"
        elif prev == "system":
            role = "user" if seq <= 1 or r.random() < 0.5 else "assistant"
        else:  # after a plain assistant reply
            x = r.random()
            role = "user" if x < 0.82 else "system" if x < 0.88 else "assistant"

        # advance the clock (>= 1 s so every fraction style stays increasing)
        if seq > 0:
            if role == "user":
                dt = int(min(r.lognormvariate(17.2, 1.2), 4 * 3600e6))
            elif role == "assistant":
                dt = r.randint(1500000, 90000000)
            elif role == "tool":
                dt = r.randint(1000000, 40000000)
            else:
                dt = r.randint(1000000, 5000000)
            self.t += max(dt, 1000000)

        line = {"tool": self.tool, "host": self.host, "session_id": self.session_id}
        if self.tool == "codex":
            turn_id = "%s-%d" % (self.session_id, seq)
        else:
            turn_id = uuid_like(r)
        line["turn_id"] = turn_id
        if self.tool == "claude-code":
            line["parent_turn_id"] = self.prev_turn
        line["seq"] = seq
        line["role"] = role
        line["timestamp"] = self.ts(self.t)

        tool_call_id = None
        if role == "user":
            content = self.user_content()
        elif role == "system":
            if seq == 0 and self.tool == "codex":
                content = CODEX_ENV % self.cwd
            elif seq == 0:
                content = r.choice(START_SYSTEM_MSGS)
            else:
                content = r.choice(self.c.system)
        elif role == "tool":
            call = self.pending_calls.pop(0)
            tool_call_id = call[0]
            content = self.tool_content(call[1])
        else:
            with_calls = r.random() < 0.40
            content = self.assistant_content(with_calls)
            if with_calls:
                k = 1 if r.random() < 0.8 else r.randint(2, 3)
                calls = []
                for i in range(k):
                    obj, info = self.make_call(i)
                    calls.append(obj)
                    self.pending_calls.append((obj["id"], info))
        line["content"] = content
        clen = len(content) if content else 0
        self.ctx += clen // 4

        if role == "assistant":
            model = self.model if r.random() < 0.95 else self.alt_model
            pin, pout = MODELS[model]
            tin = self.ctx + r.randint(0, 800)
            tout = clen // 4 + r.randint(5, 600) + (len(json.dumps(calls)) // 4 if calls else 0)
            line["model"] = model
            line["tokens_in"] = tin
            line["tokens_out"] = tout
            line["cost_usd"] = round((tin * pin * 0.3 + tout * pout) / 1e6, 6)
            if calls:
                line["tool_calls"] = calls
            if self.ctx > 170000:
                self.ctx = r.randint(15000, 30000)  # auto-compaction
        elif self.tool == "codex":
            line["model"] = None

        if self.has_meta and r.random() < 0.6 or tool_call_id and r.random() < 0.1:
            meta = {"cwd_hash": self.cwd_hash, "git_branch": self.branch}
            if tool_call_id:
                meta["tool_call_id"] = tool_call_id
            line["metadata"] = meta
        if seq == 0:
            line["session_meta"] = self.session_meta

        self.prev_role = role
        self.prev_turn = turn_id
        self.seq += 1
        order = KEY_ORDER[self.tool]
        return {k: line[k] for k in order if k in line}

    @property
    def done(self):
        return self.seq >= self.n


# ---------------------------------------------------------------------------

def session_lengths(r, n_lines, n_sessions):
    """Heavy-tailed lengths, each >= 1, summing to n_lines."""
    weights = [r.lognormvariate(0.0, 1.1) for _ in range(n_sessions)]
    total_w = sum(weights)
    extra = n_lines - n_sessions
    lengths = [1 + int(w / total_w * extra) for w in weights]
    rest = n_lines - sum(lengths)
    for i in r.choices(range(n_sessions), weights, k=rest):
        lengths[i] += 1
    return lengths


def break_line(kind, obj, r):
    """Return the serialized bad line for rotation slot `kind`."""
    if kind == 1:
        obj.pop("role", None)
    elif kind == 2:
        obj["seq"] = str(obj["seq"])
    elif kind == 3:
        obj["timestamp"] = r.choice(BAD_TIMESTAMPS)
    elif kind == 4:
        obj["role"] = "robot"
    elif kind == 5:
        obj["tokens_in"] = -r.randint(1, 50000)
    elif kind == 6:
        t = obj["tool"]
        obj["tool"] = t[:2] + "\x01" + t[2:]
    s = ENCODER.encode(obj)
    if kind == 0:
        s = s[:r.randint(1, len(s) - 2)]  # always loses the closing brace
    return s


ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def generate(args, out):
    n_lines = args.lines
    n_sessions = min(args.sessions, n_lines)
    main_r = random.Random(args.seed)
    bad_r = random.Random(args.seed * 104729 + 1)
    n_bad = int(round(args.bad_fraction * n_lines))
    bad_set = set(bad_r.sample(range(n_lines), n_bad)) if n_bad else set()

    total_bytes = 0
    written = 0
    bad_written = 0
    if n_lines > 0:
        corpus = Corpus(args.seed)
        lengths = session_lengths(main_r, n_lines, n_sessions)
        pending = [Session(corpus, args.seed, i, n) for i, n in enumerate(lengths)]
        pending.reverse()  # pop() from the end takes session 0 first
        window = min(32, n_sessions)
        active = [pending.pop() for _ in range(window)]
        cur = 0
        buf = []
        while active:
            if main_r.random() >= 0.6 or cur >= len(active):
                cur = main_r.randrange(len(active))
            s = active[cur]
            obj = s.next_line()
            if written in bad_set:
                text = break_line(bad_written % 7, obj, bad_r)
                bad_written += 1
            else:
                text = ENCODER.encode(obj)
            data = (text + "\n").encode("utf-8")
            total_bytes += len(data)
            buf.append(data)
            written += 1
            if len(buf) >= 2000:
                out.write(b"".join(buf))
                buf = []
            if s.done:
                if pending:
                    active[cur] = pending.pop()
                else:
                    active[cur] = active[-1]
                    active.pop()
        out.write(b"".join(buf))
    out.flush()
    mean = total_bytes / written if written else 0.0
    sys.stderr.write("gen_corpus: lines=%d bytes=%d mean_line_bytes=%.1f bad_lines=%d sessions=%d seed=%d\n"
                     % (written, total_bytes, mean, bad_written, n_sessions, args.seed))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate a deterministic lethe wire-v1 NDJSON corpus.")
    ap.add_argument("--lines", type=int, default=200000)
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--bad-fraction", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="-", help="output file, '-' for stdout (default)")
    args = ap.parse_args(argv)
    if args.lines < 0:
        ap.error("--lines must be >= 0")
    if args.sessions < 1:
        ap.error("--sessions must be >= 1")
    if not 0.0 <= args.bad_fraction <= 1.0:
        ap.error("--bad-fraction must be between 0 and 1")
    if args.out == "-":
        generate(args, sys.stdout.buffer)
    else:
        with open(args.out, "wb") as fh:
            generate(args, fh)


if __name__ == "__main__":
    main()
