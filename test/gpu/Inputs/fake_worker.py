#!/usr/bin/env python3
"""A stand-in for bench/gpu/check.py with its command line and protocol
(results appended per check, done markers, the state file, exit 10 after a
failed case), whose cases misbehave on purpose by name: 'crash' kills its
process with SIGSEGV, 'hang*' sleeps, 'wrong' reports a wrong result, the
rest pass. Benchmark rows: 'fast' meets its speed target, 'slow_row' misses
it, 'nobase' has no comparison (its baseline failed)."""
import argparse
import json
import os
import signal
import sys
import time


def record(path, obj):
    with open(path, "a") as f:
        f.write(json.dumps(obj) + "\n")


def records(path):
    out = []
    if os.path.exists(path):
        for line in open(path):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


ap = argparse.ArgumentParser()
ap.add_argument("art")
ap.add_argument("--lib", required=True)
ap.add_argument("--results", required=True)
ap.add_argument("--state", required=True)
ap.add_argument("--correctness", action="store_true")
ap.add_argument("--bench", type=int)
a = ap.parse_args()
assert os.path.exists(a.lib), a.lib
cases = json.load(open(os.path.join(a.art, "cases.json")))["cases"]


def state(unit):
    with open(a.state, "w") as f:
        json.dump({"unit": unit, "since": time.time()}, f)


if a.correctness:
    done = {r["case"] for r in records(a.results)
            if r.get("stage") == "correctness" and r.get("done")}
    for c in cases:
        name = c["name"]
        if c["kind"] != "example" or name in done:
            continue
        state(name)
        print("case", name, flush=True)
        if name == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        if name.startswith("hang"):
            time.sleep(3600)
        ok = name != "wrong"
        record(a.results, {"stage": "correctness", "case": name, "check": "small",
                           "max_err": 0.0 if ok else 0.5, "tol": 1e-2, "ok": ok})
        record(a.results, {"stage": "correctness", "case": name, "done": True})
        if not ok:
            sys.exit(10)
    sys.exit(0)

done = {r["bench"] for r in records(a.results)
        if r.get("stage") == "bench" and r.get("tokens") == a.bench}
for name in ("fast", "slow_row", "nobase"):
    if name in done:
        continue
    state(f"{name} {a.bench}")
    if name == "nobase":
        record(a.results, {"stage": "bench", "bench": name, "tokens": a.bench,
                           "ms": 1.0, "baseline": "Flex", "target": 1.2,
                           "density": 0.5, "tflops": 100.0, "bound_ms": None,
                           "ok": None, "speed_ok": False,
                           "error": "baseline failed: RuntimeError: no Flex"})
        continue
    speed_ok = name == "fast"
    record(a.results, {"stage": "bench", "bench": name, "tokens": a.bench,
                       "density": 0.5, "ms": 1.0, "baseline_ms": 1.5 if speed_ok else 0.9,
                       "tflops": 100.0, "baseline_tflops": 90.0, "baseline": "Flex",
                       "speedup": 1.5 if speed_ok else 0.9, "target": 1.2,
                       "bound_ms": None, "max_err": 1e-3, "tol": 3e-2, "ok": True,
                       "speed_ok": speed_ok})
