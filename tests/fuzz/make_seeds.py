#!/usr/bin/env python3
"""Writes the fuzz seed corpora tests/fuzz/corpus/{wire,ingest}/ from
examples/demo.ndjson, the JSON lines written as raw string literals in the
unit tests, and small outputs of bench/gen_corpus.py. Deterministic; run it
again after adding seeds' sources. Usage: python3 tests/fuzz/make_seeds.py"""
import hashlib
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def write(kind, data):
    os.makedirs(os.path.join(OUT, kind), exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(OUT, kind, name), "wb") as f:
        f.write(data)


def test_lines():
    """JSON objects written as R"(...)" literals in the C++ tests."""
    lines = []
    for name in sorted(os.listdir(os.path.join(ROOT, "tests"))):
        if not name.endswith(".cpp"):
            continue
        text = open(os.path.join(ROOT, "tests", name), encoding="utf-8").read()
        for m in re.finditer(r'R"(\w*)\((.*?)\)\1"', text, re.S):
            body = m.group(2)
            if body.lstrip().startswith("{") and "\n" not in body:
                lines.append(body.encode("utf-8"))
    return sorted(set(lines))


def main():
    demo = open(os.path.join(ROOT, "examples", "demo.ndjson"), "rb").read()
    batches = [demo]
    gen = os.path.join(ROOT, "bench", "gen_corpus.py")
    for seed, bad in ((1, 0.0), (2, 0.3), (3, 0.6)):
        batches.append(subprocess.run(
            [sys.executable, gen, "--lines", "6", "--sessions", "2", "--bad-fraction", str(bad),
             "--seed", str(seed)], check=True, capture_output=True).stdout)
    lines = test_lines() + [l for l in demo.split(b"\n") if l.strip()]
    # Several lines per seed, some with CRLF, so framing has something to do.
    for i in range(0, len(lines), 3):
        batches.append(b"\n".join(lines[i:i + 3]) + b"\n")
        batches.append(b"\r\n".join(lines[i:i + 2]))
    batches.append(b"\xef\xbb\xbf" + lines[0] + b"\n\n \t\n" + lines[-1])
    for b in batches:
        write("wire", b)
    # Ingest seeds: the first byte chooses the context and options (see
    # fuzz_ingest.cpp); bit 6 takes an options line, bit 7 an owner line.
    flag_bytes = [0x00, 0x01, 0x02, 0x03, 0x04, 0x09, 0x21]
    for k, b in enumerate(batches):
        flags = flag_bytes[k % len(flag_bytes)]
        extra = b"\x05" if flags & 0x08 else b""
        write("ingest", bytes([flags]) + extra + b)
    write("ingest", b"\x40{\"max_errors\":2,\"max_line_bytes\":300}\n" + demo)
    write("ingest", b"\xc0{\"dry_run\":true}\nbob\n" + demo)
    write("ingest", b"\x90\x20" + demo)
    print("seeds:", {k: len(os.listdir(os.path.join(OUT, k))) for k in ("wire", "ingest")})


if __name__ == "__main__":
    main()
