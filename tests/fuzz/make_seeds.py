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


def edge_cases():
    """Lines at the contract's edges: numbers near the limits of a double and
    of 2^63, times at the ends of the calendar range, escapes in names."""
    base = '"tool":"t","host":"h","session_id":"s","turn_id":"u","seq":1,"role":"user"'
    ts = "2025-03-01T10:00:00Z"
    out = []
    for c in ["4e-320", "-4e-320", "2.2250738585072011e-308", "4.9e-324", "-4.9e-324",
              "1e-400", "-1e-400", "-0", "-0.0", "0e999999", "1e308", "1.8e308", "0.1",
              "123456789012345678901234567890"]:
        out.append('{%s,"timestamp":"%s","cost_usd":%s}' % (base, ts, c))
    for t in ["0000-12-31T23:00:00-02:00", "0001-01-01T00:00:00+00:01", "0000-01-01T00:00:00Z",
              "9999-12-31T23:59:59-00:01", "9999-12-31T23:59:59.999999999Z",
              "2024-02-29T00:00:00+23:59", "2025-03-01T10:00:00+24:00",
              "2025-03-01T10:00:00-00:00", "2025-03-01t10:00:00.1z", "1900-02-29T12:00:00Z",
              "2000-02-29T12:00:00Z", "2025-03-01T10:00:00+01:60",
              "2025-03-01T10:00:00.0000000000Z", "2025-03-01T10:00:00,5Z"]:
        out.append('{%s,"timestamp":"%s"}' % (base, t))
        out.append('{%s,"timestamp":"%s","session_meta":{"started_at":"%s"}}' % (base, ts, t))
    for n in ["-0", "0", "9223372036854775807", "9223372036854775808", "-1", "1.0", "1e0",
              "1E2"]:
        out.append('{"tool":"t","host":"h","session_id":"s","turn_id":"u","seq":%s,"role":'
                   '"user","timestamp":"%s","tokens_in":%s}' % (n, ts, n))
    for name in [r'"\u0000"', r'"a\u007f"', r'"\u0080"', r'"\ud83d\ude00"', r'"\ud800"',
                 r'"\udc00"', r'"x\/y"', '"\x7f"', '""']:
        out.append('{"tool":%s,"host":"h","session_id":"s","turn_id":"u","seq":1,"role":"user",'
                   '"timestamp":"%s"}' % (name, ts))
    out.append('{"\\u0074ool":"x",%s,"timestamp":"%s"}' % (base, ts))
    out.append('{%s,"timestamp":"%s","session_meta":{"started_at":null,"started_at":"x"}}'
               % (base, ts))
    out.append('{%s,"timestamp":"%s","model":"%s"}' % (base, ts, "\u00e9" * 128))
    out.append('{%s,"timestamp":"%s","model":"%s"}' % (base, ts, "\u00e9" * 128 + "x"))
    out.append('{%s,"timestamp":"%s","metadata":{"a":1e400, "b":[ -0.0 ,1E+2]}}' % (base, ts))
    return [l.encode("utf-8") for l in out]


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
    edges = edge_cases()
    for i in range(0, len(edges), 8):
        batches.append(b"\n".join(edges[i:i + 8]) + b"\n")
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
