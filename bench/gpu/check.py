#!/usr/bin/env python3
"""The GPU check's PyTorch worker: correctness of every case, or the benchmark.

orchestrate.py (started by run.sh) runs this in separate processes on the GPU
machine (PyTorch with CUDA, no MLIR), over the artifacts prepare.py wrote and
the library build_runner.sh built:

  --correctness  every example case: small sizes (f16, head dim 64, prefill
                 and decoding) against the CPU path's output computed on the
                 build machine, then a larger size (bf16, head dim 128, 2 048
                 tokens, batch 2, or 3 for masks that read the batch index)
                 against PyTorch SDPA with an explicit boolean mask evaluated
                 from the exported FlexAttention mask_mod for every batch
                 entry and head;
  --bench N      the benchmark rows at N tokens: bf16, head dim 128, batch x
                 heads filling the GPU; dense causal against SDPA's flash
                 backend, sliding(1024), power() and a BigBird layout against
                 FlexAttention (torch.compile'd) on the exported mask.

Every result is appended to --results (one JSON object per line, flushed at
once), so a run cut short keeps what it finished. Work already recorded there
is skipped, so a new process continues where a dead one stopped. Before each
unit of work the worker writes its name to --state, so orchestrate.py can
blame the right case when a process dies or hangs. A CUDA error can poison
the context, so after a failed case the worker records it and exits with
code 10 ("restart me") instead of running more cases in that context.

  python3 bench/gpu/check.py ART --lib LIB (--correctness | --bench N)
                             --results R.jsonl --state STATE
"""
import argparse
import ctypes
import importlib.util
import json
import math
import os
import sys
import time
import traceback

RESTART = 10  # exit code: a case failed; continue in a fresh process

DT = {}  # torch dtype -> the C API's code, filled once torch is imported


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


def set_state(path, unit):
    with open(path, "w") as f:
        f.write(json.dumps({"unit": unit, "since": time.time()}))


class AttnGpu:
    """ctypes binding of bench/gpu/attn_gpu_capi.cpp."""

    def __init__(self, lib_path):
        self.lib = ctypes.CDLL(lib_path)
        L = self.lib
        L.attn_gpu_load.restype = ctypes.c_void_p
        L.attn_gpu_load.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
        L.attn_gpu_run.restype = ctypes.c_int
        i64p = ctypes.POINTER(ctypes.c_longlong)
        L.attn_gpu_run.argtypes = [ctypes.c_void_p, ctypes.c_int] + [ctypes.c_void_p] * 4 + [
            i64p, i64p, i64p, i64p, i64p, i64p, i64p, ctypes.c_int, ctypes.c_float,
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        L.attn_gpu_free.argtypes = [ctypes.c_void_p]

    def load(self, bundle_dir):
        err = ctypes.create_string_buffer(4096)
        h = self.lib.attn_gpu_load(bundle_dir.encode(), err, len(err))
        if not h:
            raise RuntimeError(err.value.decode())
        return h

    def run(self, h, q, k, v, out, params=(), scale=0.0):
        import torch

        def arr(xs):
            return (ctypes.c_longlong * 4)(*xs)
        p = (ctypes.c_longlong * max(1, len(params)))(*params)
        err = ctypes.create_string_buffer(4096)
        rc = self.lib.attn_gpu_run(
            h, DT[q.dtype], q.data_ptr(), k.data_ptr(), v.data_ptr(), out.data_ptr(),
            arr(q.shape), arr(q.stride()), arr(k.shape), arr(k.stride()), arr(v.stride()),
            arr(out.stride()), p, len(params), scale,
            ctypes.c_void_p(torch.cuda.current_stream().cuda_stream), err, len(err))
        if rc != 0:
            raise RuntimeError(err.value.decode())


def load_module(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def dense_mask(mod, batch, heads, nq, nk, params, device="cuda", chunk=1024):
    """[batch, heads, nq, nk] bool mask from the exported mask_mod (exact),
    evaluated for every batch entry and head (entries share one evaluation
    when the mask ignores the batch index)."""
    import torch
    mm = mod.make_mask_mod(nq, nk, **params)
    entries = batch if getattr(mod, "DEPENDS_ON_BATCH", True) else 1
    out = torch.empty(entries, heads, nq, nk, dtype=torch.bool, device=device)
    kk = torch.arange(nk, device=device)
    for b in range(entries):
        bb = torch.tensor(b, device=device)
        for h in range(heads):
            hh = torch.tensor(h, device=device)
            for q0 in range(0, nq, chunk):
                qq = torch.arange(q0, min(nq, q0 + chunk), device=device)
                out[b, h, q0:q0 + len(qq)] = mm(bb, hh, qq[:, None], kk[None, :])
    return out.expand(batch, heads, nq, nk)


def reference(q, k, v, mask):
    """SDPA (math) with an explicit [B, H, Nq, Nk] mask; rows without keys
    give zeros."""
    import torch
    import torch.nn.functional as F
    rep = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    o = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), attn_mask=mask)
    return torch.nan_to_num(o, nan=0.0) * mask.any(-1)[..., None]


def timed(fn, repeat=20):
    import torch
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return sorted(times)[len(times) // 2]


def bad(err, tol):
    return math.isnan(err) or err > tol


def correctness_case(gpu, art, c, emit):
    """The checks of one example case; emit(record) for each."""
    import numpy as np
    import torch
    h = gpu.load(os.path.join(art, "bundles", c["name"]))
    try:
        params = list(c["params"].values())
        # 1. small, f16, against the CPU path (same inputs, batch as stored)
        for nq, nk in c["shapes"]:
            tag = f"{nq}x{nk}"
            d = os.path.join(art, "small", c["name"])
            q, k, v, want = (torch.from_numpy(np.load(os.path.join(d, f"{n}-{tag}.npy"))).cuda()
                             for n in ("q", "k", "v", "expected"))
            out = torch.full_like(q, float("nan"))  # every element must be written
            gpu.run(h, q, k, v, out, params)
            torch.cuda.synchronize()
            err = (out.float() - want.float()).abs().max().item()
            emit({"check": f"cpu f16 D64 B{q.shape[0]} {tag}", "max_err": err,
                  "tol": 1e-2, "ok": not bad(err, 1e-2)})
        # 2. larger, bf16, D128, against SDPA with the exported mask
        mod = load_module(os.path.join(art, "flex", c["name"] + ".py"))
        heads, kvh, n = c["heads"], c["kv_heads"], c["large"]
        batch = c.get("large_batch", 2)
        mask = dense_mask(mod, batch, heads, n, n, c["params"])
        g = torch.Generator(device="cuda").manual_seed(1)
        q = torch.randn(batch, heads, n, 128, device="cuda", dtype=torch.bfloat16, generator=g)
        k = torch.randn(batch, kvh, n, 128, device="cuda", dtype=torch.bfloat16, generator=g)
        v = torch.randn(batch, kvh, n, 128, device="cuda", dtype=torch.bfloat16, generator=g)
        out = torch.full_like(q, float("nan"))
        gpu.run(h, q, k, v, out, params)
        torch.cuda.synchronize()
        err = (out.float() - reference(q, k, v, mask)).abs().max().item()
        emit({"check": f"sdpa bf16 D128 B{batch} {n}", "max_err": err, "tol": 3e-2,
              "ok": not bad(err, 3e-2)})
    finally:
        gpu.lib.attn_gpu_free(h)


def run_correctness(gpu, art, cases, results, state):
    done = {r["case"] for r in read_records(results)
            if r.get("stage") == "correctness" and r.get("done")}
    for c in cases:
        if c["kind"] != "example" or c["name"] in done:
            continue
        set_state(state, c["name"])
        failed = False

        def emit(r):
            nonlocal failed
            r.update(stage="correctness", case=c["name"])
            failed |= not r["ok"]
            record(results, r)
            print(f"{'ok  ' if r['ok'] else 'FAIL'} {c['name']:40s} {r['check']:28s} "
                  f"max|err| {r['max_err']:.2e}", flush=True)

        try:
            correctness_case(gpu, art, c, emit)
        except Exception as e:  # noqa: BLE001 - record and restart
            record(results, {"stage": "correctness", "case": c["name"], "check": "error",
                             "ok": False, "error": f"{type(e).__name__}: {e}",
                             "trace": traceback.format_exc()[-2000:]})
            record(results, {"stage": "correctness", "case": c["name"], "done": True})
            print(f"FAIL {c['name']}: {type(e).__name__}: {e}", flush=True)
            return RESTART
        record(results, {"stage": "correctness", "case": c["name"], "done": True})
        if failed:
            return RESTART  # a wrong result may come from a corrupted context
    return 0


BENCH_PATTERNS = ("causal_dense", "sliding_1024", "power_default", "bigbird_layout")


def bench_row(gpu, art, name, n, dense_ms, emit):
    """One benchmark row. attnc's own failures are correctness failures
    (ok False); a baseline that fails (torch.compile, Flex, SDPA) leaves ok
    None: attnc's time is kept, the comparison is missing."""
    import torch
    import torch.nn.functional as F
    b, hh = (4, 16) if n == 8192 else (2, 16)  # 64 / 32 (batch, head) pairs
    g = torch.Generator(device="cuda").manual_seed(2)
    q = torch.randn(b, hh, n, 128, device="cuda", dtype=torch.bfloat16, generator=g)
    k = torch.randn(b, hh, n, 128, device="cuda", dtype=torch.bfloat16, generator=g)
    v = torch.randn(b, hh, n, 128, device="cuda", dtype=torch.bfloat16, generator=g)
    out = torch.full_like(q, float("nan"))
    dense_pairs = n * (n + 1) // 2
    flops = lambda pairs: 4.0 * b * hh * pairs * 128  # noqa: E731
    h = gpu.load(os.path.join(art, "bundles", name))
    try:
        t_ours = timed(lambda: gpu.run(h, q, k, v, out))
        torch.cuda.synchronize()
    finally:
        gpu.lib.attn_gpu_free(h)
    row = {"bench": name, "tokens": n, "ms": t_ours}
    if name == "causal_dense":
        pairs, row["baseline"], row["target"], bound = dense_pairs, "SDPA flash", 0.8, None
    else:
        mod = load_module(os.path.join(art, "flex", name + ".py"))
        pairs = int(dense_mask(mod, 1, 1, n, n, {}).sum().item())
        row["baseline"], row["target"] = "Flex", 1.2
        bound = 1.25 * pairs / dense_pairs * dense_ms if dense_ms else None
    row.update(density=pairs / dense_pairs, tflops=flops(pairs) / t_ours / 1e9, bound_ms=bound)
    try:
        if name == "causal_dense":
            from torch.nn.attention import SDPBackend, sdpa_kernel
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                t_base = timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
        else:
            from torch.nn.attention.flex_attention import create_block_mask, flex_attention
            flex = torch.compile(flex_attention, dynamic=False)
            bm = create_block_mask(mod.make_mask_mod(n, n), B=None, H=None, Q_LEN=n,
                                   KV_LEN=n, device="cuda", BLOCK_SIZE=128)
            ref = flex(q, k, v, block_mask=bm)
            t_base = timed(lambda: flex(q, k, v, block_mask=bm))
    except Exception as e:  # noqa: BLE001 - the baseline's failure, not attnc's
        row.update(ok=None, speed_ok=False, error=f"baseline failed: {type(e).__name__}: {e}")
        emit(row)
        return
    err = (out.float() - ref.float()).abs().max().item()
    ratio = t_base / t_ours
    row.update(baseline_ms=t_base, baseline_tflops=flops(pairs) / t_base / 1e9, speedup=ratio,
               max_err=err, tol=3e-2, ok=not bad(err, 3e-2),
               speed_ok=ratio >= row["target"] and (bound is None or t_ours <= bound))
    emit(row)


def run_bench(gpu, art, n, results, state):
    prior = [r for r in read_records(results) if r.get("stage") == "bench" and r.get("tokens") == n]
    done = {r["bench"] for r in prior}
    dense = [r["ms"] for r in prior if r["bench"] == "causal_dense" and "ms" in r]
    dense_ms = dense[0] if dense else None
    for name in BENCH_PATTERNS:
        if name in done:
            continue
        set_state(state, f"{name} {n}")

        def emit(r):
            r.update(stage="bench")
            record(results, r)
            if r["ok"] is None:
                print(f"??   bench {name:16s} {n:6d} {r['ms']:.3f} ms; {r['error']}", flush=True)
                return
            print(f"{'ok  ' if r['ok'] else 'FAIL'} bench {name:16s} {n:6d} {r['ms']:.3f} ms, "
                  f"{r['baseline']} {r['baseline_ms']:.3f} ms, {r['speedup']:.2f}x "
                  f"(target {r['target']}x: {'met' if r['speed_ok'] else 'MISSED'}), "
                  f"max|err| {r['max_err']:.1e}", flush=True)

        try:
            bench_row(gpu, art, name, n, dense_ms, emit)
        except Exception as e:  # noqa: BLE001 - record and restart
            record(results, {"stage": "bench", "bench": name, "tokens": n, "ok": False,
                             "speed_ok": False, "error": f"{type(e).__name__}: {e}",
                             "trace": traceback.format_exc()[-2000:]})
            print(f"FAIL bench {name} {n}: {type(e).__name__}: {e}", flush=True)
            return RESTART
        if name == "causal_dense":
            dense_ms = [r["ms"] for r in read_records(results) if r.get("stage") == "bench"
                        and r.get("tokens") == n and r.get("bench") == name][0]
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("art")
    ap.add_argument("--lib", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--state", required=True)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--correctness", action="store_true")
    mode.add_argument("--bench", type=int, metavar="TOKENS")
    args = ap.parse_args()
    art = os.path.abspath(args.art)
    with open(os.path.join(art, "cases.json")) as f:
        cases = json.load(f)["cases"]
    gpu = AttnGpu(args.lib)
    import torch
    DT.update({torch.float16: 1, torch.bfloat16: 2})
    if args.correctness:
        return run_correctness(gpu, art, cases, args.results, args.state)
    return run_bench(gpu, art, args.bench, args.results, args.state)


if __name__ == "__main__":
    sys.exit(main())
