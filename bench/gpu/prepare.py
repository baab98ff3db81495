#!/usr/bin/env python3
"""Prepare the GPU check on a build machine (one with MLIR and attnc built).

Writes everything bench/gpu/run.sh needs into ART (default
bench/gpu/artifacts, gitignored), so the GPU machine needs no MLIR:

  ART/cases.json            one entry per example pattern and shape
  ART/bundles/<case>/       CUDA bundles (attnc compile --emit=cubin): f16 and
                            bf16, head dims 64 and 128, for --target
  ART/flex/<case>.py        FlexAttention mask_mod modules (--emit=flex)
  ART/small/<case>/         q, k, v (.npy, float16) and expected.npy, the CPU
                            path's output (attnc run) on the same inputs
  ART/fmt/                  a copy of the fmt headers (the runner is built
                            header-only on the GPU machine)
  ART/prebuilt/             attnc-gpu-runner and libattn_gpu.so built here by
                            build_runner.sh --portable (static libstdc++, no
                            MLIR: the runtime sources alone), used when the
                            GPU machine cannot compile them

The benchmark patterns (patterns.attn, bigbird_layout.attn) get bundles with
bf16 head dim 128 and flex modules too. The patterns of batch.attn (masks
that read the batch index) are correctness cases with three batch entries.

  python3 bench/gpu/prepare.py [--attnc build/bin/attnc] [--target sm_90a]
                               [--no-prebuilt] [ART]

Needs only the Python standard library (and g++ for the prebuilt runner).
"""
import argparse
import concurrent.futures
import glob
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))

# Lengths tried in order for the small checks: odd ones first (not multiples
# of the tile); grid layouts accept only their H*W.
LENGTHS = [333, 256, 196, 784, 1024, 3136, 4096]
BENCH = [("patterns.attn", "causal_dense"), ("patterns.attn", "sliding_1024"),
         ("patterns.attn", "power_default"), ("bigbird_layout.attn", "bigbird_layout")]


def run(cmd, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit(f"prepare: failed: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return r


def write_npy_f16(path, shape, values):
    header = "{'descr': '<f2', 'fortran_order': False, 'shape': (%s), }" % (
        "".join(f"{d}, " for d in shape) if len(shape) != 1 else f"{shape[0]},")
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack(f"<{len(values)}e", *values))


def random_tensor(path, shape, rng):
    n = 1
    for d in shape:
        n *= d
    write_npy_f16(path, shape, [rng.uniform(-1.0, 1.0) for _ in range(n)])


def patterns_of(path):
    with open(path) as f:
        return re.findall(r"^pattern\s+([A-Za-z_][A-Za-z0-9_]*)", f.read(), re.M)


def manifest(bundle):
    out = {"params": [], "heads": 0}
    with open(os.path.join(bundle, "manifest.txt")) as f:
        for line in f:
            w = line.split()
            if w and w[0] == "param":
                out["params"].append(w[1])
            elif w and w[0] == "heads":
                out["heads"] = int(w[1])
    return out


def compile_bundle(attnc, src, pattern, target, variants, out):
    cmd = [attnc, "compile", src, "--pattern", pattern, "--emit=cubin",
           "--target", target, "-o", out]
    for dt, d in variants:
        cmd += ["--dtype", dt, "--head-dim", str(d)]
    run(cmd)
    return manifest(out)


def prepare_example(attnc, art, target, src, pattern, batch=1):
    """Bundle, flex module, small inputs and CPU outputs of one example
    pattern, with `batch` batch entries in the small inputs."""
    if os.path.dirname(os.path.abspath(src)) == HERE:
        name = f"{os.path.basename(src)[:-5]}-{pattern}"
    else:
        name = f"{os.path.basename(os.path.dirname(src))[:2]}-{pattern}"
    rng = random.Random(name)  # the same inputs whatever the thread order
    bundle = os.path.join(art, "bundles", name)
    info = compile_bundle(attnc, src, pattern, target,
                          [("f16", 64), ("bf16", 64), ("f16", 128), ("bf16", 128)], bundle)
    run([attnc, "compile", src, "--pattern", pattern, "--emit=flex",
         "-o", os.path.join(art, "flex", name + ".py")])
    params = {p: 3 for p in info["params"]}
    sets = [a for p, v in params.items() for a in ("--set", f"{p}={v}")]
    heads = info["heads"] or 2
    kv_heads = heads // 2 if heads % 2 == 0 else heads
    small = os.path.join(art, "small", name)
    os.makedirs(small, exist_ok=True)
    shapes = []
    for n in LENGTHS:
        for nq, nk in ((n, n), (1, n)):  # prefill and decoding
            tag = f"{nq}x{nk}"
            files = [os.path.join(small, f"{t}-{tag}.npy") for t in ("q", "k", "v")]
            random_tensor(files[0], [batch, heads, nq, 64], rng)
            random_tensor(files[1], [batch, kv_heads, nk, 64], rng)
            random_tensor(files[2], [batch, kv_heads, nk, 64], rng)
            r = run([attnc, "run", src, "--pattern", pattern, *sets, "--device", "cpu",
                     "--quiet", "--q", files[0], "--k", files[1], "--v", files[2],
                     "-o", os.path.join(small, f"expected-{tag}.npy")], check=False)
            if r.returncode == 0:
                shapes.append((nq, nk))
            else:
                for f in files:
                    os.remove(f)
        if shapes:
            break
    if not shapes:
        sys.exit(f"prepare: no length in {LENGTHS} works for {src}:{pattern}")
    print(f"prepared {name}: shapes {shapes}", flush=True)
    return {"name": name, "file": os.path.relpath(src, ROOT), "pattern": pattern,
            "params": params, "heads": heads, "kv_heads": kv_heads,
            "shapes": shapes, "kind": "example", "batch": batch,
            # the SDPA check's batch: three entries for batch-dependent masks
            "large_batch": 3 if batch > 1 else 2,
            # the SDPA check's length: grid layouts keep theirs
            "large": 2048 if shapes[0][0] == LENGTHS[0] else shapes[0][0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("art", nargs="?", default=os.path.join(HERE, "artifacts"))
    ap.add_argument("--attnc", default=os.path.join(ROOT, "build", "bin", "attnc"))
    ap.add_argument("--target", default="sm_90a")
    ap.add_argument("--no-prebuilt", action="store_true",
                    help="do not build ART/prebuilt (the GPU machine must compile the runner)")
    args = ap.parse_args()
    art, attnc = os.path.abspath(args.art), os.path.abspath(args.attnc)
    if not os.access(attnc, os.X_OK):
        sys.exit(f"prepare: no attnc at {attnc} (build it, or pass --attnc)")
    shutil.rmtree(art, ignore_errors=True)
    for d in ("bundles", "flex", "small"):
        os.makedirs(os.path.join(art, d))
    jobs = [(src, pattern, 1) for src in sorted(glob.glob(os.path.join(ROOT, "examples", "*", "*.attn")))
            for pattern in patterns_of(src)]
    batch_src = os.path.join(HERE, "batch.attn")
    jobs += [(batch_src, pattern, 3) for pattern in patterns_of(batch_src)]
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        cases = list(pool.map(lambda job: prepare_example(attnc, art, args.target, *job), jobs))

    # Benchmark patterns: bf16, head dim 128.
    for file, pattern in BENCH:
        src = os.path.join(HERE, file)
        compile_bundle(attnc, src, pattern, args.target, [("bf16", 128), ("bf16", 64)],
                       os.path.join(art, "bundles", pattern))
        run([attnc, "compile", src, "--pattern", pattern, "--emit=flex",
             "-o", os.path.join(art, "flex", pattern + ".py")])
        cases.append({"name": pattern, "file": os.path.relpath(src, ROOT), "pattern": pattern,
                      "params": {}, "kind": "bench"})
        print(f"prepared benchmark {pattern}", flush=True)

    fmt_dir = "/usr/include/fmt"
    if not os.path.isdir(fmt_dir):
        sys.exit("prepare: the fmt headers are not at /usr/include/fmt (apt-get install libfmt-dev)")
    shutil.copytree(fmt_dir, os.path.join(art, "fmt", "fmt"))
    if not args.no_prebuilt:
        # The fallback runner, in case the GPU machine has no host compiler.
        prebuilt = os.path.join(art, "prebuilt")
        env = dict(os.environ, FMT_INCLUDE=os.path.join(art, "fmt"))
        r = subprocess.run([os.path.join(HERE, "build_runner.sh"), prebuilt, "--portable"],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            sys.exit(f"prepare: building the prebuilt runner failed\n{r.stdout}{r.stderr}")
        shutil.rmtree(os.path.join(prebuilt, "obj"), ignore_errors=True)
        print(f"prepare: prebuilt runner in {prebuilt}")
    with open(os.path.join(art, "cases.json"), "w") as f:
        json.dump({"target": args.target, "cases": cases}, f, indent=1)
    print(f"prepare: {len(cases)} cases in {art}")


if __name__ == "__main__":
    main()
