#!/usr/bin/env python3
"""Compiles every pattern of the given .attn files with NVRTC through attnc:
PTX for sm_80 (bf16, head dim 64) and sm_90a (f16, head dim 128) must hold
the tensor-core instructions, and a cubin for sm_90a (bf16, head dims 64 and
128) must report no spills for any kernel. Prints one line per kernel.

usage: cuda-nvrtc-check.py ATTNC WORK_DIR [--allow-spill PATTERN]... FILE.attn...

--allow-spill marks a known spill (reported as "known", not a failure).
"""
import os
import re
import subprocess
import sys

NEEDED = ["mma.sync.aligned.m16n8k16", "ldmatrix.sync.aligned", "cp.async"]
ENTRY = re.compile(r"Compiling entry function '(\w+)' for '(\w+)'")
SPILL = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, "
                   r"(\d+) bytes spill loads")
REGS = re.compile(r"Used (\d+) registers")


def attnc(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("failed (%d): %s\n%s" % (r.returncode,
                                                    " ".join(cmd), r.stderr))
    return r


def main():
    tool, work = sys.argv[1:3]
    args = sys.argv[3:]
    allowed = set()
    while args and args[0] == "--allow-spill":
        allowed.add(args[1])
        args = args[2:]
    os.makedirs(work, exist_ok=True)
    failures = 0
    for path in args:
        for pattern in re.findall(r"^pattern\s+(\w+)", open(path).read(),
                                  re.M):
            base = [tool, "compile", path, "--pattern", pattern]
            out = os.path.join(work, pattern)
            ptx80 = attnc(base + ["--emit=ptx", "--target", "sm_80",
                                  "--dtype", "bf16", "--head-dim", "64"]).stdout
            attnc(base + ["--emit=ptx", "--target", "sm_90a", "--dtype", "f16",
                          "--head-dim", "128", "-o", out + "-ptx"])
            ptx90 = open(os.path.join(out + "-ptx", "kernels.ptx")).read()
            for arch, ptx, entry in [("sm_80", ptx80, "attn_fwd_bf16_d64"),
                                     ("sm_90a", ptx90, "attn_fwd_f16_d128")]:
                missing = [n for n in NEEDED + [".entry " + entry,
                                                ".target " + arch]
                           if n not in ptx]
                if missing:
                    failures += 1
                    print("FAIL %s %s: PTX lacks %s" % (pattern, arch, missing))
            report = attnc(base + ["--emit=cubin", "--target", "sm_90a",
                                   "--dtype", "bf16", "--head-dim", "64",
                                   "--head-dim", "128", "--resource-usage",
                                   "-o", out + "-cubin"]).stderr
            kernels = 0
            name = None
            for line in report.splitlines():
                if m := ENTRY.search(line):
                    name = m[1]
                elif (m := SPILL.search(line)) and name:
                    spill = (int(m[2]), int(m[3]))
                elif (m := REGS.search(line)) and name:
                    kernels += 1
                    bad = spill != (0, 0)
                    known = bad and pattern in allowed
                    failures += bad and not known
                    print("%s %s %s: %s registers, %d/%d bytes spilled" % (
                        "known" if known else "FAIL" if bad else "ok",
                        pattern, name, m[1], *spill))
                    name = None
            if kernels != 2 + 3 * 2:
                failures += 1
                print("FAIL %s: %d kernels in the ptxas report, expected 8\n%s"
                      % (pattern, kernels, report))
            manifest = open(os.path.join(out + "-cubin", "manifest.txt")).read()
            if "pattern %s\n" % pattern not in manifest:
                failures += 1
                print("FAIL %s: manifest\n%s" % (pattern, manifest))
    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
