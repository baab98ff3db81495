"""Checks `attnc compile --emit=flex` against `attnc mask`, without torch.

For every pattern of the given .attn files: export the FlexAttention module,
import it, and compare mask_mod(0, h, q, k) with the exact mask that
`attnc mask` writes, at odd lengths (Nq = Nk, Nq < Nk, Nq > Nk; H*W for grid
layouts) and with run-time parameters. When torch is importable the tensor
path is checked too (broadcast index grids, int32 and int64 indices).

usage: flex_check.py ATTNC WORKDIR FILE.attn [FILE.attn ...]
"""
import ast
import importlib.util
import os
import re
import subprocess
import sys
import time

try:
    import torch
except ImportError:
    torch = None

# Pairs evaluated per shape (all heads) with plain Python ints; above this,
# query rows are sampled evenly (first and last always). Masks with loops
# (BigBird's random blocks) cost ~100x more per pair.
PAIR_BUDGET = 400000
LOOP_PAIR_BUDGET = 12000


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return r.stdout


def read_npy(path):
    """A tiny .npy reader for the bool arrays `attnc mask` writes."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"FAIL: {path} is not a .npy file")
    major = data[6]
    if major == 1:
        hlen, start = int.from_bytes(data[8:10], "little"), 10
    else:
        hlen, start = int.from_bytes(data[8:12], "little"), 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    if header["descr"] not in ("|b1", "<b1", "b1") or header["fortran_order"]:
        sys.exit(f"FAIL: {path}: unexpected header {header}")
    body = data[start + hlen:]
    shape = header["shape"]
    count = 1
    for d in shape:
        count *= d
    if len(body) != count:
        sys.exit(f"FAIL: {path}: {len(body)} bytes for shape {shape}")
    return shape, body


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def patterns_of(attn_file):
    with open(attn_file) as f:
        return re.findall(r"^\s*pattern\s+(\w+)", f.read(), re.M)


def param_sets(mod):
    """Run-time parameter values to try: a typical one and an edge case."""
    if not mod.PARAMS:
        return [{}]
    firsts, seconds = {}, {}
    for name in mod.PARAMS:
        if mod._PARAM_KINDS[name] == "bool":
            firsts[name], seconds[name] = True, False
        else:
            firsts[name], seconds[name] = 3, 0
    return [firsts, seconds]


def shapes_of(mod):
    if mod.LAYOUT is not None:
        n = mod.LAYOUT[0] * mod.LAYOUT[1]
        return [(n, n)]
    return [(300, 300), (77, 300), (200, 61), (1, 1)]


def rows_for(nq, nk, heads, budget):
    if nq * nk * heads <= budget:
        return list(range(nq))
    count = max(2, budget // (nk * heads))
    rows = sorted({(nq - 1) * i // (count - 1) for i in range(count)})
    return rows


def check_errors(mod, tag):
    """The generated module refuses bad input with clear exceptions."""
    def expect(exc, fn, *args, **kw):
        try:
            fn(*args, **kw)
        except exc as e:
            return str(e)
        sys.exit(f"FAIL {tag}: {fn.__name__}{args} {kw} did not raise "
                 f"{exc.__name__}")

    good = dict(param_sets(mod)[0])
    n = shapes_of(mod)[0][0]
    expect(TypeError, mod.make_mask_mod, n, n, no_such_param=1, **good)
    expect(ValueError, mod.make_mask_mod, 0, n, **good)
    expect(TypeError, mod.make_mask_mod, "7", n, **good)
    for name in mod.PARAMS:
        if name not in mod.DEFAULTS:
            rest = {k: v for k, v in good.items() if k != name}
            msg = expect(TypeError, mod.make_mask_mod, n, n, **rest)
            assert name in msg, msg
    if mod.LAYOUT is not None:
        expect(ValueError, mod.make_mask_mod, n + 1, n + 1)


def check_python(mod, expected, shape, rows, params, tag):
    heads, nq, nk = shape
    mask_mod = mod.make_mask_mod(nq, nk, **params)
    bad = 0
    for h in range(heads):
        plane = h * nq * nk
        for q in rows:
            base = plane + q * nk
            for k in range(nk):
                got = mask_mod(0, h, q, k)
                if got is not True and got is not False:
                    sys.exit(f"FAIL {tag}: mask_mod returned {got!r}, not a "
                             f"bool")
                if got != bool(expected[base + k]):
                    if bad < 5:
                        print(f"MISMATCH {tag}: h={h} q={q} k={k}: flex "
                              f"{got}, attnc {bool(expected[base + k])}")
                    bad += 1
    return bad


def check_torch(mod, expected, shape, params, tag):
    heads, nq, nk = shape
    mask_mod = mod.make_mask_mod(nq, nk, **params)
    want = torch.tensor(list(expected), dtype=torch.bool).reshape(heads, nq,
                                                                  nk)
    bad = 0
    for dtype in (torch.int64, torch.int32):
        q = torch.arange(nq, dtype=dtype)[:, None]
        k = torch.arange(nk, dtype=dtype)[None, :]
        for h in range(heads):
            got = mask_mod(torch.tensor(0, dtype=dtype),
                           torch.tensor(h, dtype=dtype), q, k)
            got = torch.broadcast_to(got, (nq, nk))
            if got.dtype != torch.bool:
                sys.exit(f"FAIL {tag}: tensor mask_mod returned {got.dtype}")
            diff = int((got != want[h]).sum())
            if diff:
                print(f"MISMATCH {tag} (torch {dtype}, head {h}): {diff} "
                      f"pairs differ")
            bad += diff
    return bad


def main():
    attnc, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    total_bad = checked = 0
    for attn_file in sys.argv[3:]:
        stem = os.path.splitext(os.path.basename(attn_file))[0]
        for pattern in patterns_of(attn_file):
            py = os.path.join(work, f"{stem}_{pattern}.py")
            run([attnc, "compile", attn_file, "--pattern", pattern,
                 "--emit=flex", "-o", py])
            # Deterministic text: the same bytes twice.
            again = run([attnc, "compile", attn_file, "--pattern", pattern,
                         "--emit=flex"])
            with open(py) as f:
                if f.read() != again:
                    sys.exit(f"FAIL {pattern}: output differs between runs")
            mod = load_module(py, f"flex_{stem}_{pattern}")
            with open(py) as f:
                has_loops = "\n        for " in f.read()
            budget = LOOP_PAIR_BUDGET if has_loops else PAIR_BUDGET
            assert mod.PATTERN == pattern, mod.PATTERN
            check_errors(mod, pattern)
            heads = mod.HEADS or (3 if mod.DEPENDS_ON_HEAD else 1)
            for params in param_sets(mod):
                for nq, nk in shapes_of(mod):
                    npy = os.path.join(work, f"{stem}_{pattern}.npy")
                    cmd = [attnc, "mask", attn_file, "--pattern", pattern,
                           "--seq", str(nq), "--kv-seq", str(nk),
                           "--heads", str(heads), "-o", npy]
                    for name, value in params.items():
                        cmd += ["--set", f"{name}={str(value).lower()}"]
                    run(cmd)
                    shape, expected = read_npy(npy)
                    assert shape == (heads, nq, nk), shape
                    rows = rows_for(nq, nk, heads, budget)
                    tag = (f"{stem}:{pattern} {nq}x{nk} heads={heads} "
                           f"{params or ''}")
                    start = time.time()
                    bad = check_python(mod, expected, shape, rows, params,
                                       tag)
                    if torch is not None:
                        bad += check_torch(mod, expected, shape, params, tag)
                    total_bad += bad
                    checked += 1
                    print(f"{'ok' if not bad else 'BAD'} {tag}: "
                          f"{len(rows)}/{nq} rows, {time.time() - start:.1f}s")
    print(f"checked {checked} pattern shapes, torch "
          f"{'used' if torch is not None else 'not installed: tensor path skipped'}")
    if total_bad:
        sys.exit(f"FAIL: {total_bad} pairs differ")


if __name__ == "__main__":
    main()
