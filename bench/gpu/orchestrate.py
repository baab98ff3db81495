#!/usr/bin/env python3
"""Runs the GPU check in steps that each survive the failure of the others.

A GPU is lent rarely and for minutes, so the first run must bring back every
result it can. run.sh calls this under a `timeout`; every step runs in its
own process with its own time limit, and every result is appended to
OUT/gpu-results.jsonl the moment it exists:

 1. env       nvidia-smi and the Python/PyTorch versions;
 2. build     build_runner.sh with the host compiler (the runner and
              libattn_gpu.so); without a compiler, or when the build fails,
              the prebuilt copies in ART/prebuilt/ (prepare.py made them);
 3. smoke     attnc-gpu-runner --probe, then one case (the first example's
              first small shape against the CPU path's output), in its own
              process; "no GPU" ends the run here, cleanly;
 4. correctness  check.py --correctness, restarted after a failed case (a
              kernel fault poisons its CUDA context), a crash or a hang (the
              case it was on is recorded as failed), until every case ran;
 5. bench     check.py --bench N per length, in other processes than the
              correctness runs, with the time that is left.

`summarize` turns the results into OUT/gpu-check.json and a report, and
gives the exit code, which comes from correctness alone (missed speed targets
are reported, separately, and never fail the run):

  0  every correctness check ran and passed
  1  a correctness check failed (wrong output, or a case crashed or hung)
  2  the check could not start (no artifacts, no runner or library)
  3  no usable GPU (no driver, no device, ...): nothing was measured
  4  nothing failed, but not every correctness check ran (out of time)

  orchestrate.py run ART --out DIR [--budget S] [--skip-bench]
  orchestrate.py summarize ART --out DIR

Needs only the Python standard library (check.py needs PyTorch).

For tests without a GPU (test/gpu/gpu-check-dry.test): CXX=none skips the
build as if there were no compiler; GPU_CHECK_WORKER replaces check.py;
GPU_CHECK_CASE_LIMIT and GPU_CHECK_BENCH_LIMIT set the per-case and
per-benchmark-row limits (seconds).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = "gpu-results.jsonl"
SUMMARY = "gpu-check.json"

# Seconds. A case that runs longer than this is taken as hung.
SMOKE_LIMIT = 120
CASE_LIMIT = float(os.environ.get("GPU_CHECK_CASE_LIMIT", 150))
BENCH_ROW_LIMIT = float(os.environ.get("GPU_CHECK_BENCH_LIMIT", 240))
BUILD_LIMIT = 300
BENCH_LENGTHS = (8192, 16384)
RESTART = 10  # check.py: a case failed, continue in a fresh process
NO_GPU = 3    # attnc-gpu-runner: no usable GPU

EXIT_OK, EXIT_FAILED, EXIT_SETUP, EXIT_NO_GPU, EXIT_INCOMPLETE = 0, 1, 2, 3, 4


def log(msg):
    print(f"[gpu-check {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def record(path, obj):
    obj.setdefault("time", round(time.time(), 1))
    with open(path, "a") as f:
        f.write(json.dumps(obj) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_records(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # a line cut off by a kill
    return out


def tail(text, n=1500):
    return text if len(text) <= n else "..." + text[-n:]


class Deadline:
    def __init__(self, seconds):
        self.end = time.time() + seconds

    def left(self):
        return self.end - time.time()


def run_step(cmd, limit, env=None, state=None, unit_limit=None):
    """Runs cmd, printing its output, for at most `limit` seconds; with
    `state`, also kills it when one unit of work (named in the state file)
    runs longer than `unit_limit`. Returns (exit code or None when killed,
    output, why killed, "limit" or "hang" or None)."""
    log("$ " + " ".join(cmd))
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, start_new_session=True)
    os.set_blocking(proc.stdout.fileno(), False)
    chunks, why, kind = [], None, None

    def drain():
        try:
            data = proc.stdout.read()
        except (TypeError, OSError):
            data = None
        if data:
            chunks.append(data)
            sys.stdout.write(data)
            sys.stdout.flush()

    while proc.poll() is None:
        drain()
        now = time.time()
        if now - start > limit:
            why, kind = f"ran past its {limit:.0f} s limit", "limit"
        elif state and unit_limit and os.path.exists(state):
            try:
                with open(state) as f:
                    st = json.load(f)
                if now - st["since"] > unit_limit:
                    why = f"'{st['unit']}' ran past its {unit_limit:.0f} s limit"
                    kind = "hang"
            except (ValueError, KeyError, OSError):
                pass
        if why:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            break
        time.sleep(0.2)
    os.set_blocking(proc.stdout.fileno(), True)
    drain()
    return (None if why else proc.returncode), "".join(chunks), why, kind


def current_unit(state):
    try:
        with open(state) as f:
            return json.load(f)["unit"]
    except (OSError, ValueError, KeyError):
        return None


def step_env(results):
    info = {"stage": "env"}
    if shutil.which("nvidia-smi"):
        rc, out, _, _ = run_step(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,"
                               "clocks.max.sm", "--format=csv,noheader"], 30)
        info["nvidia_smi"] = out.strip()
    else:
        info["nvidia_smi"] = "not found"
    rc, out, _, _ = run_step([sys.executable, "-c", "import torch; print(torch.__version__, "
                           "torch.version.cuda, torch.cuda.is_available())"], 90)
    last = out.strip().splitlines()[-1] if out.strip() else f"exit {rc}"
    info["torch"] = last if rc == 0 else f"unavailable: {last}"
    info["python"] = sys.version.split()[0]
    record(results, info)


def step_build(art, results):
    """The runner and library to use: built here when a compiler works, else
    the prebuilt ones. Returns a list of candidate directories, best first."""
    candidates = []
    cxx = os.environ.get("CXX") or ("g++" if shutil.which("g++") else
                                     "c++" if shutil.which("c++") else None)
    if cxx == "none":
        cxx = None
    build_dir = os.path.join(art, "gpu-build")
    if cxx:
        env = dict(os.environ, CXX=cxx)
        if os.path.exists(os.path.join(art, "fmt", "fmt", "core.h")):
            env["FMT_INCLUDE"] = os.path.join(art, "fmt")
        rc, text, why, _ = run_step([os.path.join(HERE, "build_runner.sh"), build_dir], BUILD_LIMIT,
                                 env=env)
        ok = rc == 0 and os.path.exists(os.path.join(build_dir, "attnc-gpu-runner"))
        record(results, {"stage": "build", "compiler": cxx, "ok": ok,
                         **({} if ok else {"error": why or f"exit {rc}", "log": tail(text)})})
        if ok:
            candidates.append(build_dir)
    else:
        record(results, {"stage": "build", "compiler": None, "ok": False,
                         "error": "no host C++ compiler: using the prebuilt runner"})
    prebuilt = os.path.join(art, "prebuilt")
    if os.path.exists(os.path.join(prebuilt, "attnc-gpu-runner")):
        candidates.append(prebuilt)
    return candidates


def first_small_case(cases):
    for c in cases:
        if c.get("kind") == "example" and c.get("shapes"):
            return c
    return None


def step_smoke(art, cases, candidates, results):
    """Probe and one case per candidate until one runs. Returns (directory of
    the runner that works or None, no_gpu)."""
    c = first_small_case(cases)
    for d in candidates:
        runner = os.path.join(d, "attnc-gpu-runner")
        rc, text, why, _ = run_step([runner, "--probe"], 60)
        probe = text.strip()
        if rc == NO_GPU:
            record(results, {"stage": "smoke", "runner": d, "status": "no-gpu",
                             "ok": False, "reason": text.strip()})
            return None, True
        if rc != 0:
            # 126/127: not runnable here (missing libraries, wrong machine)
            record(results, {"stage": "smoke", "runner": d, "status": "runner-broken",
                             "ok": False, "error": why or f"exit {rc}", "log": tail(text)})
            continue
        if not c:
            record(results, {"stage": "smoke", "runner": d, "status": "ok", "ok": True,
                             "probe": probe, "note": "no example case to run"})
            return d, False
        nq, nk = c["shapes"][0]
        tag = f"{nq}x{nk}"
        small = os.path.join(art, "small", c["name"])
        cmd = [runner, os.path.join(art, "bundles", c["name"]),
               "--q", os.path.join(small, f"q-{tag}.npy"), "--k", os.path.join(small, f"k-{tag}.npy"),
               "--v", os.path.join(small, f"v-{tag}.npy"),
               "--expect", os.path.join(small, f"expected-{tag}.npy"), "--tol", "1e-2"]
        for name, value in c["params"].items():
            cmd += ["--param", f"{name}={value}"]
        rc, text, why, _ = run_step(cmd, SMOKE_LIMIT)
        if rc == NO_GPU:
            record(results, {"stage": "smoke", "runner": d, "status": "no-gpu", "ok": False,
                             "reason": text.strip()})
            return None, True
        record(results, {"stage": "smoke", "runner": d, "case": c["name"], "check": tag,
                         "probe": probe, "status": "ok" if rc == 0 else "failed", "ok": rc == 0,
                         **({} if rc == 0 else {"error": why or f"exit {rc}"}),
                         "log": tail(text)})
        # A wrong result is the kernels' fault, not the runner's: go on with
        # this runner; the correctness runs say more.
        return d, False
    return None, False


def worker_loop(stage, cmd_for, results, state, deadline, unit_limit):
    """Runs check.py until it finishes its work, restarting it after a
    failed case, a crash or a hang. Returns "done", "out of time", or
    "cannot start" (the worker died before its first case)."""
    for _ in range(64):
        limit = deadline.left()
        if limit < 5:
            log(f"{stage}: out of time")
            return "out of time"
        if os.path.exists(state):
            os.remove(state)
        rc, text, why, kind = run_step(cmd_for(), limit, state=state, unit_limit=unit_limit)
        if rc == 0:
            return "done"
        if rc == RESTART:
            continue  # check.py recorded the failure itself
        if kind == "limit":
            log(f"{stage}: out of time")
            return "out of time"  # what did not finish is reported as not run
        # Died (kernel fault, crash) or hung in `unit`: blame it, go on.
        unit = current_unit(state)
        err = why or f"the worker died (exit {rc})"
        if unit is None:
            record(results, {"stage": stage, "check": "worker", "ok": False, "error": err,
                             "log": tail(text)})
            return "cannot start"  # restarting will not help
        if stage == "correctness":
            record(results, {"stage": stage, "case": unit, "check": "error", "ok": False,
                             "error": err, "log": tail(text)})
            record(results, {"stage": stage, "case": unit, "done": True})
        else:
            name, n = unit.rsplit(" ", 1)
            record(results, {"stage": stage, "bench": name, "tokens": int(n), "ok": False,
                             "speed_ok": False, "error": err, "log": tail(text)})
    return "out of time"


def cmd_run(args):
    art, out = os.path.abspath(args.art), os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    results = os.path.join(out, RESULTS)
    if os.path.exists(results):
        os.remove(results)  # one run per results file
    deadline = Deadline(args.budget)
    cases_path = os.path.join(art, "cases.json")
    if not os.path.exists(cases_path):
        record(results, {"stage": "setup", "ok": False,
                         "error": f"no {cases_path}: run bench/gpu/prepare.py first"})
        return
    with open(cases_path) as f:
        cases = json.load(f)["cases"]
    examples = [c["name"] for c in cases if c.get("kind") == "example"]
    record(results, {"stage": "plan", "correctness": examples, "budget_s": args.budget,
                     "bench": not args.skip_bench})
    step_env(results)
    candidates = step_build(art, results)
    if not candidates:
        record(results, {"stage": "setup", "ok": False,
                         "error": "no runner: the build failed and there is no ART/prebuilt"})
        return
    runner_dir, no_gpu = step_smoke(art, cases, candidates, results)
    if no_gpu:
        log("no usable GPU: stopping after the smoke test")
        return
    if not runner_dir:
        record(results, {"stage": "setup", "ok": False,
                         "error": "no runner candidate works on this machine"})
        return
    state = os.path.join(out, ".gpu-check-state")
    # The library next to the runner that passed the smoke test first; if
    # Python cannot use it, the other candidates.
    libs = [runner_dir] + [d for d in candidates if d != runner_dir]
    base = None
    for d in libs:
        worker = os.environ.get("GPU_CHECK_WORKER") or os.path.join(HERE, "check.py")
        base = [sys.executable, worker, art, "--lib",
                os.path.join(d, "libattn_gpu.so"), "--results", results, "--state", state]
        if worker_loop("correctness", lambda: base + ["--correctness"], results, state,
                       deadline, CASE_LIMIT) != "cannot start":
            break
    if args.skip_bench:
        return
    for n in BENCH_LENGTHS:
        if deadline.left() < 60:
            log("bench: out of time")
            break
        worker_loop("bench", lambda n=n: base + ["--bench", str(n)], results, state, deadline,
                    BENCH_ROW_LIMIT)
    if os.path.exists(state):
        os.remove(state)


def summarize(art, out):
    """Writes OUT/gpu-check.json, prints the report, returns the exit code."""
    records = read_records(os.path.join(out, RESULTS))
    by = lambda stage: [r for r in records if r.get("stage") == stage]  # noqa: E731
    lines = []
    setup = [r for r in by("setup") if not r.get("ok")]
    smoke = by("smoke")
    no_gpu = any(r.get("status") == "no-gpu" for r in smoke)
    plan = by("plan")
    planned = plan[0]["correctness"] if plan else []
    checks = [r for r in by("correctness") if "check" in r]
    done = {r["case"] for r in by("correctness") if r.get("done")}
    failures = [r for r in checks if not r.get("ok")]
    failures += [r for r in smoke if r.get("status") == "failed"]
    bench = by("bench")
    # ok None: attnc ran but the baseline failed (no comparison, no verdict)
    bench_wrong = [r for r in bench if r.get("ok") is False]
    speed_missed = [r for r in bench if r.get("ok") and not r.get("speed_ok")]
    no_baseline = [r for r in bench if r.get("ok") is None]
    not_run = [c for c in planned if c not in done]

    for r in by("env"):
        lines.append(f"GPU: {r.get('nvidia_smi')}; torch {r.get('torch')}; python {r.get('python')}")
    for r in by("build"):
        lines.append("build: " + ("ok with " + str(r.get("compiler")) if r.get("ok") else
                                  "failed: " + str(r.get("error"))))
    for r in smoke:
        lines.append(f"smoke ({r.get('runner')}): {r.get('status')} "
                     f"{r.get('reason') or r.get('error') or ''}".rstrip())
    for r in setup:
        lines.append(f"setup: {r.get('error')}")
    if checks:
        lines.append(f"correctness: {len(checks) - sum(not r.get('ok') for r in checks)} of "
                     f"{len(checks)} checks passed over {len(done)} of {len(planned)} cases")
    for r in failures:
        lines.append(f"  FAIL {r.get('case')} {r.get('check')}: "
                     f"{r.get('error') or 'max|err| %.2e > %g' % (r.get('max_err', float('nan')), r.get('tol', 0))}")
    if not_run and not no_gpu and not setup:
        lines.append(f"not run (out of time): {', '.join(not_run)}")
    if bench:
        lines.append("| pattern | tokens | density | attnc TFLOP/s | baseline TFLOP/s | baseline | "
                     "speedup | target | max err | correct | speed |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in bench:
            if "ms" not in r:
                lines.append(f"| {r['bench']} | {r['tokens']} | | | | | | | | NO: {r.get('error')} | |")
                continue
            if "speedup" not in r:
                lines.append(f"| {r['bench']} | {r['tokens']} | {r['density']:.3f} | {r['tflops']:.1f} "
                             f"| | {r['baseline']} | | ≥{r['target']} | | ? | {r.get('error')} |")
                continue
            lines.append(f"| {r['bench']} | {r['tokens']} | {r['density']:.3f} | {r['tflops']:.1f} | "
                         f"{r['baseline_tflops']:.1f} | {r['baseline']} | {r['speedup']:.2f}x | "
                         f"≥{r['target']} | {r['max_err']:.1e} | {'yes' if r['ok'] else 'NO'} | "
                         f"{'met' if r['speed_ok'] else 'MISSED'} |")
    if speed_missed:
        lines.append(f"speed targets missed (reported only): "
                     f"{', '.join(r['bench'] + ' ' + str(r['tokens']) for r in speed_missed)}")
    if no_baseline:
        lines.append(f"no comparison (the baseline failed): "
                     f"{', '.join(r['bench'] + ' ' + str(r['tokens']) for r in no_baseline)}")

    if setup or not records:
        code, verdict = EXIT_SETUP, "could not start"
    elif no_gpu:
        code, verdict = EXIT_NO_GPU, "no usable GPU"
    elif failures or bench_wrong:
        code, verdict = EXIT_FAILED, "correctness FAILED"
    elif not_run or not planned:
        code, verdict = EXIT_INCOMPLETE, "incomplete: not every correctness check ran"
    else:
        code, verdict = EXIT_OK, "correctness passed"
    lines.append(f"result: {verdict} (exit {code}); "
                 f"{len(speed_missed)} speed target(s) missed")
    summary = {"exit_code": code, "verdict": verdict,
               "correctness_failures": len(failures) + len(bench_wrong),
               "correctness_not_run": not_run, "speed_targets_missed": len(speed_missed),
               "baseline_failures": len(no_baseline),
               "no_gpu": no_gpu, "records": records}
    with open(os.path.join(out, SUMMARY), "w") as f:
        json.dump(summary, f, indent=1)
    print("\n".join(lines), flush=True)
    return code


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["run", "summarize"])
    ap.add_argument("art")
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget", type=float, default=480)
    ap.add_argument("--skip-bench", action="store_true")
    args = ap.parse_args()
    if args.command == "run":
        cmd_run(args)
        return 0
    return summarize(os.path.abspath(args.art), os.path.abspath(args.out))


if __name__ == "__main__":
    sys.exit(main())
