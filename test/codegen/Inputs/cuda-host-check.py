#!/usr/bin/env python3
"""Checks the CUDA emitter's predicate on the host, for every pattern of the
given .attn files: the emitted translation unit is compiled as plain C++ with
cuda-host-check.cpp and compared with `attnc mask` (exact, whole grid) and
`attnc blockmap --json` (the CPU backend's classification), over several
sequence shapes (ragged tiles, Nq != Nk, one query) and, for run-time
parameters, several values.

usage: cuda-host-check.py ATTNC DEVICE_INCLUDE_DIR WORK_DIR FILE.attn...
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = [(200, 200), (77, 200), (130, 61), (1, 130), (64, 64), (193, 250)]
PARAM_VALUES = [[3], [1], [0], [8]]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s%s" % (
            r.returncode, " ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def host_compiler():
    for name in [os.environ.get("CXX"), "clang++-22", "clang++", "g++", "c++"]:
        if name and shutil.which(name):
            return name
    sys.exit("no host C++ compiler found")


def main():
    attnc, include, work = sys.argv[1:4]
    files = sys.argv[4:]
    cxx = host_compiler()
    os.makedirs(work, exist_ok=True)
    cases = failures = 0
    for path in files:
        src = open(path).read()
        patterns = re.findall(r"^pattern\s+(\w+)", src, re.M)
        for pattern in patterns:
            base = os.path.join(work, pattern)
            attn = run([attnc, "compile", path, "--pattern", pattern,
                        "--emit=attn"])
            head = [l for l in attn.splitlines()
                    if "attn.pattern @%s(" % pattern in l][0]
            heads = re.search(r"\bheads (\d+)", head)
            grid = re.search(r"layout grid\((\d+), (\d+)\)", head)
            params = re.findall(r"param %(\w+)", head)
            run([attnc, "compile", path, "--pattern", pattern,
                 "--emit=cuda", "-o", base + ".cu"])
            run([cxx, "-std=c++17", "-O1", "-Wall", "-Wno-unused-variable",
                 "-Wno-unused-but-set-variable", "-I", include,
                 "-include", base + ".cu", os.path.join(HERE,
                 "cuda-host-check.cpp"), "-o", base + ".check"])
            shapes = ([(int(grid[1]) * int(grid[2]),) * 2] if grid
                      else SHAPES)
            h = int(heads[1]) if heads else 3
            values = PARAM_VALUES if params else [[]]
            for nq, nk in shapes:
                for vals in values:
                    sets = []
                    for name, v in zip(params, vals):
                        sets += ["--set", "%s=%d" % (name, v)]
                    shape = ["--seq", str(nq), "--kv-seq", str(nk),
                             "--heads", str(h)]
                    run([attnc, "mask", path, "--pattern", pattern, "-o",
                         base + ".npy"] + shape + sets)
                    cmd = [base + ".check", base + ".npy", str(h), str(nq),
                           str(nk)]
                    if vals:
                        cmd += ["--params"] + [str(v) for v in vals]
                    else:
                        # Folded constants: the CPU block map must agree
                        # exactly (run-time parameters classify less sharply).
                        bm = run([attnc, "blockmap", path, "--pattern",
                                  pattern, "--tile", "64x64", "--json"] +
                                 shape + sets)
                        with open(base + ".json", "w") as f:
                            f.write(bm)
                        cmd += ["--blockmap", base + ".json"]
                    r = subprocess.run(cmd, capture_output=True, text=True)
                    cases += 1
                    tag = "%s %s%s" % (os.path.basename(path), pattern,
                                       " params %s" % vals if vals else "")
                    if r.returncode != 0:
                        failures += 1
                        print("FAIL %s: %s%s" % (tag, r.stdout, r.stderr))
                    else:
                        print("ok %s: %s" % (tag, r.stdout.strip()))
    print("%d cases, %d failed" % (cases, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
