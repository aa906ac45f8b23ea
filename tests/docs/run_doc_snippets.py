"""Runs every fenced code block of README.md, ARCHITECTURE.md and docs/**/*.md
as written.

Usage:
  /usr/bin/python3 run_doc_snippets.py --root <repository> --module <lethe.so>
      [--sqlite3 sqlite3] [--python3 /usr/bin/python3] [--node node]
      [--node-modules <dir with better-sqlite3>] [--list] [FILE ...]

Each block runs in a scratch folder of its own that looks like a checkout
after README's first command: `sql/` and `examples/`, `build/lethe.so` (the
module under test), the files of tests/docs/fixtures/ (transcripts.ndjson,
batch.ndjson, the folder inbox/, ...) and agents.db, a database with the
schema, both SQL packs and examples/demo.ndjson ingested as owner 'ana'.
Nothing puts the module on the loader's path: a snippet loads it as a user
does after the quick start, `./build/lethe` (`.load lethe` without a path
works only once lethe is installed, and a snippet that says so fails here).

  sh, bash, shell  bash -e -o pipefail, in the scratch folder
  console          the lines starting with "$ ", the same way
  sql              the real sqlite3 shell on agents.db, with -bail, lethe
                   loaded first (-cmd '.load lethe'); any output on stderr
                   fails the block too
  python, py       /usr/bin/python3 (its sqlite3 can load extensions)
  js, javascript   node, with better-sqlite3 found through NODE_PATH

A block with any other language (text, json, ...) is not run; a block with
no language fails (write `text` for output). A block that must not run gets
`<!-- no-run: <reason> -->` on the line directly above its opening fence.
Every failure names the block as FILE:LINE (of the opening fence).
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

RUNNERS = {
    "sh": "shell", "bash": "shell", "shell": "shell", "console": "console",
    "sql": "sql", "python": "python", "py": "python",
    "js": "js", "javascript": "js",
}
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
NO_RUN = re.compile(r"^\s*<!-- no-run: (?P<reason>\S.*?) -->\s*$")
TIMEOUT_S = 120


class Block:
    def __init__(self, path, line, lang, text, no_run):
        self.path, self.line, self.lang, self.text, self.no_run = path, line, lang, text, no_run

    @property
    def where(self):
        return f"{self.path}:{self.line}"


def parse(path, display):
    """The fenced blocks of one Markdown file, and the problems of its markup."""
    blocks, problems = [], []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            if "no-run" in lines[i] and lines[i].lstrip().startswith("<!--"):
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                if not NO_RUN.match(lines[i]):
                    problems.append(f"{display}:{i + 1}: malformed marker (write "
                                    f"`<!-- no-run: <reason> -->`): {lines[i].strip()}")
                elif not FENCE.match(nxt):
                    problems.append(f"{display}:{i + 1}: a no-run marker must be on the "
                                    "line directly above a block's opening fence")
            i += 1
            continue
        indent, fence, info = m.group("indent"), m.group("fence"), m.group("info").strip()
        start = i
        body = []
        i += 1
        while i < len(lines):
            close = FENCE.match(lines[i])
            if (close and close.group("fence")[0] == fence[0]
                    and len(close.group("fence")) >= len(fence) and not close.group("info").strip()):
                break
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        else:
            problems.append(f"{display}:{start + 1}: code block is never closed")
            break
        i += 1
        above = NO_RUN.match(lines[start - 1]) if start > 0 else None
        lang = info.split()[0].lower() if info else ""
        block = Block(display, start + 1, lang, "\n".join(body) + "\n",
                      above.group("reason") if above else None)
        if not lang and not block.no_run:
            problems.append(f"{block.where}: code block without a language: tag it (`text` "
                            "for output, `sh`, `sql`, `python`, `js` to run it) or mark it "
                            "`<!-- no-run: <reason> -->`")
        blocks.append(block)
    return blocks, problems


class Scratch:
    """The folders every block starts from, made once per run."""

    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.template = os.path.join(tmp, "template")
        root = args.root
        shutil.copytree(os.path.join(root, "tests", "docs", "fixtures"), self.template,
                        symlinks=True)
        shutil.copytree(os.path.join(root, "sql"), os.path.join(self.template, "sql"))
        shutil.copytree(os.path.join(root, "examples"), os.path.join(self.template, "examples"))
        os.makedirs(os.path.join(self.template, "build"))
        os.symlink(args.module, os.path.join(self.template, "build", "lethe.so"))
        setup = (".bail on\n.load ./build/lethe\n.read sql/schema.sql\n.read sql/search.sql\n"
                 ".read sql/usage.sql\n"
                 "SELECT count(*) FROM lethe_ingest('ana', readfile('examples/demo.ndjson'));\n")
        out = subprocess.run([args.sqlite3, "agents.db"], input=setup, text=True,
                             capture_output=True, cwd=self.template, env=self.env())
        if out.returncode != 0 or out.stderr:
            sys.exit(f"FAIL: could not prepare agents.db for the snippets: {out.stderr}")
        self.count = 0

    def env(self):
        env = dict(os.environ)
        if self.args.node_modules:
            env["NODE_PATH"] = self.args.node_modules
        return env

    def new_folder(self):
        self.count += 1
        folder = os.path.join(self.tmp, f"block{self.count}")
        shutil.copytree(self.template, folder, symlinks=True)
        return folder


def console_commands(text):
    """The commands of a console transcript: lines after a "$ " prompt, with
    their backslash continuations; the other lines are output."""
    commands, continuing = [], False
    for line in text.split("\n"):
        if continuing:
            commands.append(line)
        elif line.startswith("$ "):
            commands.append(line[2:])
        else:
            continue
        continuing = line.endswith("\\")
    return "\n".join(commands) + "\n"


def command_for(block, folder, args):
    """(argv, stdin, stderr must be empty) for one block."""
    kind = RUNNERS[block.lang]
    if kind in ("shell", "console"):
        script = block.text if kind == "shell" else console_commands(block.text)
        path = os.path.join(folder, "snippet.sh")
        with open(path, "w", encoding="utf-8") as f:
            f.write(script)
        return ["bash", "-e", "-o", "pipefail", path], None, False
    if kind == "sql":
        return [args.sqlite3, "-bail", "-cmd", ".load ./build/lethe", "agents.db"], block.text, True
    if kind == "python":
        path = os.path.join(folder, "snippet.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(block.text)
        return [args.python3, path], None, False
    path = os.path.join(folder, "snippet.js")
    with open(path, "w", encoding="utf-8") as f:
        f.write(block.text)
    return [args.node, path], None, False


def indented(text):
    return "".join(f"    | {line}\n" for line in text.rstrip("\n").split("\n"))


def run_block(block, scratch, args):
    """None when the block ran cleanly, else why it failed."""
    folder = scratch.new_folder()
    argv, stdin, strict_stderr = command_for(block, folder, args)
    try:
        out = subprocess.run(argv, input=stdin, text=True, capture_output=True, cwd=folder,
                             env=scratch.env(), timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"did not finish in {TIMEOUT_S} s", "", ""
    except OSError as e:
        return f"could not start {argv[0]}: {e}", "", ""
    if out.returncode != 0:
        return f"exit status {out.returncode}", out.stdout, out.stderr
    if strict_stderr and out.stderr.strip():
        return "it wrote to stderr", out.stdout, out.stderr
    shutil.rmtree(folder, ignore_errors=True)
    return None


def default_files(root):
    """README.md and ARCHITECTURE.md (when present), then every Markdown file
    under docs/, subfolders included, in path order."""
    tops = [name for name in ("README.md", "ARCHITECTURE.md")
            if os.path.isfile(os.path.join(root, name))]
    return tops + sorted(os.path.relpath(p, root) for p in
                         glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--module", required=True)
    parser.add_argument("--sqlite3", default="sqlite3")
    parser.add_argument("--python3", default="/usr/bin/python3")
    parser.add_argument("--node", default="node")
    parser.add_argument("--node-modules", default="")
    parser.add_argument("--list", action="store_true", help="list the blocks, run nothing")
    parser.add_argument("files", nargs="*",
                        help="default: README.md, ARCHITECTURE.md and docs/**/*.md")
    args = parser.parse_args()
    args.root = os.path.abspath(args.root)
    args.module = os.path.abspath(args.module)
    files = args.files or default_files(args.root)

    blocks, problems = [], []
    for name in files:
        found, bad = parse(os.path.join(args.root, name), name)
        blocks += found
        problems += bad
    for p in problems:
        print(f"FAIL {p}")

    runnable = [b for b in blocks if b.lang in RUNNERS and not b.no_run]
    if args.list:
        for b in blocks:
            state = (f"no-run ({b.no_run})" if b.no_run
                     else "run" if b.lang in RUNNERS else "not run")
            print(f"{b.where}: {b.lang or '(none)'}: {state}")
        return 1 if problems else 0
    if not os.path.isfile(args.module):
        sys.exit(f"FAIL: the module {args.module} does not exist")

    failed = len(problems)
    with tempfile.TemporaryDirectory(prefix="lethe-snippets-") as tmp:
        scratch = Scratch(args, tmp)
        for block in runnable:
            why = run_block(block, scratch, args)
            if why is None:
                print(f"ok   {block.where} ({block.lang})")
                continue
            failed += 1
            reason, stdout, stderr = why
            print(f"FAIL {block.where} ({block.lang} block): {reason}")
            print("  the block:")
            print(indented(block.text), end="")
            if stdout.strip():
                print("  its stdout:")
                print(indented(stdout[-4000:]), end="")
            if stderr.strip():
                print("  its stderr:")
                print(indented(stderr[-4000:]), end="")
    skipped = [b for b in blocks if b.no_run]
    print(f"{len(runnable)} blocks run, {failed} failed; {len(skipped)} marked no-run, "
          f"{len(blocks) - len(runnable) - len(skipped)} not code to run (text, json, ...)")
    if failed:
        print("A block that must not run gets `<!-- no-run: <reason> -->` on the line directly "
              "above its opening fence; a file a snippet names goes into tests/docs/fixtures/.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
