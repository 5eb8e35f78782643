#!/usr/bin/env python3
"""Record the Velocity oracle fixture.

Runs tests/oracle/gen_velocity.py, sends every case to the real Apache
Velocity 1.7 and 2.4.1 through `/tmp/oracle/oracle --jsonl` (one long-lived
process), and writes tests/fixtures/oracle/velocity.jsonl:
  {"id", "request", "expected_1_7", "expected_2"}
CI does not have Java: the Rust test reads only the recorded fixture.
Stdlib only.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ORACLE = os.environ.get("ORACLE", "/tmp/oracle/oracle")
OUT = os.path.join(ROOT, "tests", "fixtures", "oracle", "velocity.jsonl")


def main():
    gen = subprocess.run([sys.executable, os.path.join(HERE, "gen_velocity.py")], check=True,
                         capture_output=True, text=True, encoding="utf-8")
    cases = [json.loads(line) for line in gen.stdout.splitlines() if line.strip()]
    p = subprocess.Popen([ORACLE, "--jsonl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         encoding="ascii")

    def ask(req):
        p.stdin.write(json.dumps(req, ensure_ascii=True) + "\n")
        p.stdin.flush()
        line = p.stdout.readline()
        if not line:
            raise SystemExit("oracle died")
        r = json.loads(line)
        r.pop("engine", None)
        r.pop("trace", None)
        return r

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        for i, c in enumerate(cases):
            r17 = ask(dict(c["request"], engine="1.7"))
            r2 = ask(dict(c["request"], engine="2"))
            f.write(json.dumps({"id": c["id"], "request": c["request"], "expected_1_7": r17, "expected_2": r2},
                               ensure_ascii=False) + "\n")
            if i % 500 == 0:
                print(f"{i}/{len(cases)}", file=sys.stderr)
    p.stdin.close()
    p.wait()
    print(f"wrote {len(cases)} cases to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
