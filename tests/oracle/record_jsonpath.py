#!/usr/bin/env python3
"""Record Jayway JsonPath oracle results for the generated cases.

Owns: running `/tmp/oracle/oracle --jsonl` (engines 2.10.0 and 2.0.0) over
the cases from gen_jsonpath.py and writing tests/fixtures/oracle/jsonpath.jsonl
(one object per line: id, request, expected, expected_2_0_0).
Must not: be needed by CI (CI only reads the fixture) or use anything but the
Python 3 standard library.

Why batches: Jayway caches compiled paths per path string and mutates them
while evaluating (deep-scan `upstreamArrayIndex`, the `length()` wildcard
hack), so the second evaluation of the same path string in one JVM can differ
from the first. Every batch therefore runs in a fresh oracle process and
contains each distinct path string at most once, which makes every recorded
result the "first evaluation" result and the fixture reproducible.

Usage:
  python3 tests/oracle/record.py [--oracle /tmp/oracle/oracle] [--out FILE]
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen_jsonpath  # noqa: E402

ENGINES = ("2.10.0", "2.0.0")
CASE_TIMEOUT = 30.0


class Oracle:
    def __init__(self, path):
        self.path = path
        self.start()

    def start(self):
        self.p = subprocess.Popen([self.path, "--jsonl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        self.q = queue.Queue()
        t = threading.Thread(target=self._reader, args=(self.p, self.q), daemon=True)
        t.start()

    @staticmethod
    def _reader(p, q):
        for line in p.stdout:
            q.put(line)
        q.put(None)

    def ask(self, request):
        self.p.stdin.write(json.dumps(request) + "\n")
        self.p.stdin.flush()
        try:
            line = self.q.get(timeout=CASE_TIMEOUT)
        except queue.Empty:
            line = None
        if line is None:
            self.close(kill=True)
            self.start()
            return {"ok": False, "error_type": "OracleTimeout", "error": "no answer within timeout"}
        return json.loads(line)

    def close(self, kill=False):
        try:
            if kill:
                self.p.kill()
            else:
                self.p.stdin.close()
            self.p.wait(timeout=30)
        except Exception:  # noqa: BLE001 - best effort shutdown
            self.p.kill()


def strip(result):
    return {k: v for k, v in result.items() if k not in ("id", "engine")}


def batches(cases):
    """Split cases so that each batch holds a path string at most once."""
    seen = {}
    out = []
    for c in cases:
        k = seen.get(c["path"], 0)
        seen[c["path"]] = k + 1
        while len(out) <= k:
            out.append([])
        out[k].append(c)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--oracle", default="/tmp/oracle/oracle")
    ap.add_argument("--corpus", default=gen_jsonpath.DEFAULT_CORPUS)
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "oracle", "jsonpath.jsonl"))
    args = ap.parse_args()
    cases = gen_jsonpath.generate(args.corpus)
    results = {}
    groups = batches(cases)
    for n, group in enumerate(groups, 1):
        oracle = Oracle(args.oracle)
        for c in group:
            got = {}
            for eng in ENGINES:
                r = dict(c)
                r["engine"] = eng
                got[eng] = strip(oracle.ask(r))
            results[c["id"]] = got
        oracle.close()
        print(f"batch {n}/{len(groups)}: {len(group)} cases", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as fh:
        for c in cases:
            got = results[c["id"]]
            line = {"id": c["id"], "request": c, "expected": got["2.10.0"], "expected_2_0_0": got["2.0.0"]}
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
