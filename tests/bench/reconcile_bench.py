#!/usr/bin/env python3
"""Reconciler benchmark (documented in README "Benchmarks"; not a timed test).

Seeds the emulator with N actions (by applying N generated manifests), then measures
  * plan with no changes, * plan with 10 changed actions, * apply of N creates
for wall time, CPU time (user + system of the gcsync process), API calls (from the
emulator's request log, token calls excluded), state writes (the state's serial moves once
per write) and peak memory (max RSS of the gcsync process), and finally an apply of 1000 creates under an
enforced 300 requests/min limit (zero 429s expected, rate as close to 300/min as possible).

Usage: python3 tests/bench/reconcile_bench.py [--sizes 10,100,1000,5000] [--rate-limited 1000] [--bin target/release/gcsync]
Stdlib only. Build first: cargo build --release
"""
import argparse, json, os, resource, shutil, subprocess, sys, tempfile, time, urllib.request

def manifest(i, timeout=10):
    return (f"kind: DataAction\nname: Bench Action {i:05d}\nintegration: Profile API\ntimeoutSeconds: {timeout}\n"
            "request:\n  method: GET\n  url: https://api.example.com/users/$esc.url(${input.userId})\n"
            "  headers:\n    Accept: application/json\n"
            "inputs:\n  userId: {type: string, required: true}\n"
            "outputs:\n  fullName: {type: string, from: $.name}\n  email: {type: string, from: $.email}\n")

class Emulator:
    def __init__(self, binary, *extra):
        self.p = subprocess.Popen([binary, "emulator", "--port", "0", "--integration", "Profile API", *extra],
                                  stdout=subprocess.PIPE, text=True)
        self.url = json.loads(self.p.stdout.readline())["url"]
    def requests(self):
        with urllib.request.urlopen(self.url + "/__emulator/requests") as r:
            return [e for e in json.load(r) if e["path"] != "/oauth/token"]
    def clear(self):
        urllib.request.urlopen(urllib.request.Request(self.url + "/__emulator/requests", method="DELETE")).read()
    def stop(self):
        self.p.terminate(); self.p.wait()

CPU = {}

def run(binary, cwd, env, *args):
    """Runs gcsync under /usr/bin/time; returns (seconds, peak RSS MB); CPU seconds in CPU["last"]."""
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", binary, *args], cwd=cwd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.monotonic() - t0
    if r.returncode not in (0, 2):
        sys.exit(f"gcsync {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    rss_kb, user, system = r.stderr.strip().splitlines()[-1].split()
    CPU["last"] = float(user) + float(system)
    return dt, int(rss_kb) / 1024

def serial(d):
    try:
        return json.load(open(f"{d}/state/gcsync.state.json"))["serial"]
    except FileNotFoundError:
        return 0

def bench_size(binary, n):
    d = tempfile.mkdtemp(prefix=f"gcsync-bench-{n}-")
    os.makedirs(f"{d}/manifests")
    for i in range(n):
        open(f"{d}/manifests/a{i:05d}.yaml", "w").write(manifest(i))
    emu = Emulator(binary)
    env = dict(os.environ, GENESYS_CLOUD_API_URL=emu.url, GENESYS_CLOUD_CLIENT_ID="local",
               GENESYS_CLOUD_CLIENT_SECRET="local", GCSYNC_RATE_LIMIT="0", NO_COLOR="1")
    rows = []
    emu.clear(); t, m = run(binary, d, env, "apply", "--auto-approve")
    rows.append((n, "apply of N creates (no rate limit)", t, CPU["last"], len(emu.requests()), serial(d), m))
    emu.clear(); t, m = run(binary, d, env, "plan", "--detailed-exitcode")
    rows.append((n, "plan, no changes", t, CPU["last"], len(emu.requests()), 0, m))
    for i in range(min(10, n)):
        open(f"{d}/manifests/a{i:05d}.yaml", "w").write(manifest(i, timeout=20))
    emu.clear(); t, m = run(binary, d, env, "plan", "--detailed-exitcode")
    rows.append((n, "plan, 10 changed", t, CPU["last"], len(emu.requests()), 0, m))
    emu.stop(); shutil.rmtree(d)
    return rows

def bench_rate_limited(binary, n):
    d = tempfile.mkdtemp(prefix="gcsync-bench-rl-")
    os.makedirs(f"{d}/manifests")
    for i in range(n):
        open(f"{d}/manifests/a{i:05d}.yaml", "w").write(manifest(i))
    emu = Emulator(binary, "--rate-limit", "300")
    env = dict(os.environ, GENESYS_CLOUD_API_URL=emu.url, GENESYS_CLOUD_CLIENT_ID="local",
               GENESYS_CLOUD_CLIENT_SECRET="local", NO_COLOR="1")
    emu.clear(); t, m = run(binary, d, env, "apply", "--auto-approve")
    reqs = emu.requests()
    emu.stop(); shutil.rmtree(d)
    limited = sum(1 for r in reqs if r["status"] == 429)
    rate = len(reqs) / (t / 60)
    return (n, t, len(reqs), limited, rate, m)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,100,1000,5000")
    ap.add_argument("--rate-limited", type=int, default=1000)
    ap.add_argument("--bin", default="target/release/gcsync")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    print("| N | operation | wall time | CPU time | API calls (beyond auth) | state writes | peak memory |")
    print("|---|---|---|---|---|---|---|")
    for n in [int(x) for x in a.sizes.split(",") if x]:
        for (n_, op, t, cpu, calls, writes, m) in bench_size(a.bin, n):
            print(f"| {n_} | {op} | {t:.2f} s | {cpu:.2f} s | {calls} | {writes} | {m:.1f} MB |", flush=True)
    if a.rate_limited:
        n, t, calls, limited, rate, m = bench_rate_limited(a.bin, a.rate_limited)
        print(f"\nApply of {n} creates under an enforced 300 requests/min limit: {t:.1f} s, {calls} API calls, "
              f"{limited} answered 429, {rate:.1f} requests/min ({rate / 300 * 100:.1f}% of the allowed rate), peak memory {m:.1f} MB")

if __name__ == "__main__":
    main()
