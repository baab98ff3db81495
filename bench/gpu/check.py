#!/usr/bin/env python3
"""The GPU check: correctness of every example pattern, then the benchmark.

Runs on the GPU machine (PyTorch with CUDA, no MLIR) over the artifacts that
prepare.py wrote and the library run.sh built:

 1. every example pattern at small sizes (f16, head dim 64, prefill and
    decoding) against the CPU path's output computed on the build machine;
 2. every example pattern at a larger size (bf16, head dim 128, 2 048 tokens)
    against PyTorch SDPA with an explicit boolean mask from the exported
    FlexAttention mask_mod;
 3. the benchmark: bf16, head dim 128, 8 192 and 16 384 tokens, batch x heads
    filling the GPU; dense causal against SDPA's flash backend, sliding(1024),
    power() and a BigBird layout against FlexAttention (torch.compile'd) on the
    exported mask. One table of TFLOP/s (allowed pairs only) and ratios.

  python3 bench/gpu/check.py ART [--skip-bench] [--json OUT.json]
"""
import argparse
import ctypes
import importlib.util
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DT = {torch.float16: 1, torch.bfloat16: 2}


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


def dense_mask(mod, heads, nq, nk, params, device="cuda", chunk=1024):
    """[heads, nq, nk] bool mask from the exported mask_mod (exact)."""
    mm = mod.make_mask_mod(nq, nk, **params)
    out = torch.empty(heads, nq, nk, dtype=torch.bool, device=device)
    kk = torch.arange(nk, device=device)
    for h in range(heads):
        hh = torch.tensor(h, device=device)
        for q0 in range(0, nq, chunk):
            qq = torch.arange(q0, min(nq, q0 + chunk), device=device)
            out[h, q0:q0 + len(qq)] = mm(torch.tensor(0, device=device), hh,
                                         qq[:, None], kk[None, :])
    return out


def reference(q, k, v, mask):
    """SDPA (math) with an explicit mask; rows without keys give zeros."""
    rep = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    o = F.scaled_dot_product_attention(q.float(), k.float(), v.float(),
                                       attn_mask=mask[None])
    return torch.nan_to_num(o, nan=0.0) * mask.any(-1)[None, :, :, None]


def timed(fn, repeat=20):
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


def check_examples(gpu, art, cases, report):
    failures = 0
    for c in cases:
        if c["kind"] != "example":
            continue
        h = gpu.load(os.path.join(art, "bundles", c["name"]))
        params = list(c["params"].values())
        # 1. small, f16, against the CPU path
        for nq, nk in c["shapes"]:
            tag = f"{nq}x{nk}"
            d = os.path.join(art, "small", c["name"])
            q, k, v, want = (torch.from_numpy(np.load(os.path.join(d, f"{n}-{tag}.npy"))).cuda()
                             for n in ("q", "k", "v", "expected"))
            out = torch.empty_like(q)
            gpu.run(h, q, k, v, out, params)
            err = (out.float() - want.float()).abs().max().item()
            ok = err <= 1e-2 and not math.isnan(err)
            failures += not ok
            report.append({"case": c["name"], "check": f"cpu f16 {tag}", "max_err": err, "ok": ok})
            print(f"{'ok  ' if ok else 'FAIL'} {c['name']:40s} f16 D64 {tag:>12s} vs CPU   "
                  f"max|err| {err:.2e}", flush=True)
        # 2. larger, bf16, D128, against SDPA with the exported mask
        mod = load_module(os.path.join(art, "flex", c["name"] + ".py"))
        heads, kvh = c["heads"], c["kv_heads"]
        n = c["large"]
        try:
            mask = dense_mask(mod, heads, n, n, c["params"])
        except Exception as e:  # noqa: BLE001 - report and go on
            failures += 1
            report.append({"case": c["name"], "check": "sdpa", "ok": False, "error": str(e)})
            print(f"FAIL {c['name']}: mask_mod: {e}")
            continue
        g = torch.Generator(device="cuda").manual_seed(1)
        q = torch.randn(2, heads, n, 128, device="cuda", dtype=torch.bfloat16, generator=g)
        k = torch.randn(2, kvh, n, 128, device="cuda", dtype=torch.bfloat16, generator=g)
        v = torch.randn(2, kvh, n, 128, device="cuda", dtype=torch.bfloat16, generator=g)
        out = torch.empty_like(q)
        gpu.run(h, q, k, v, out, params)
        err = (out.float() - reference(q, k, v, mask)).abs().max().item()
        ok = err <= 3e-2 and not math.isnan(err)
        failures += not ok
        report.append({"case": c["name"], "check": f"sdpa bf16 {n}", "max_err": err, "ok": ok})
        print(f"{'ok  ' if ok else 'FAIL'} {c['name']:40s} bf16 D128 {n:>10d} vs SDPA  "
              f"max|err| {err:.2e}", flush=True)
        gpu.lib.attn_gpu_free(h)
    return failures


def bench(gpu, art, report):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    flex = torch.compile(flex_attention, dynamic=False)
    props = torch.cuda.get_device_properties(0)
    rows, failures = [], 0
    for n in (8192, 16384):
        b, hh = (4, 16) if n == 8192 else (2, 16)  # 64 / 32 (batch, head) pairs, 128 query tiles each
        g = torch.Generator(device="cuda").manual_seed(2)
        q = torch.randn(b, hh, n, 128, device="cuda", dtype=torch.bfloat16, generator=g)
        k = torch.randn_like(q)
        v = torch.randn_like(q)
        out = torch.empty_like(q)
        dense_pairs = n * (n + 1) // 2
        flops = lambda pairs: 4.0 * b * hh * pairs * 128  # noqa: E731
        hc = gpu.load(os.path.join(art, "bundles", "causal_dense"))
        t_ours = timed(lambda: gpu.run(hc, q, k, v, out))
        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            t_sdpa = timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
        err = (out.float() - ref.float()).abs().max().item()
        ratio = t_sdpa / t_ours
        ok = ratio >= 0.8 and err <= 3e-2
        failures += not ok
        rows.append(("causal_dense", n, 1.0, flops(dense_pairs) / t_ours / 1e9,
                     flops(dense_pairs) / t_sdpa / 1e9, "SDPA flash", ratio, "≥0.8", err, ok, ""))
        dense_time = t_ours
        for name in ("sliding_1024", "power_default", "bigbird_layout"):
            mod = load_module(os.path.join(art, "flex", name + ".py"))
            mask = dense_mask(mod, 1, n, n, {})
            pairs = int(mask.sum().item())
            h = gpu.load(os.path.join(art, "bundles", name))
            t_ours = timed(lambda: gpu.run(h, q, k, v, out))
            bm = create_block_mask(mod.make_mask_mod(n, n), B=None, H=None, Q_LEN=n, KV_LEN=n,
                                   device="cuda", BLOCK_SIZE=128)
            ref = flex(q, k, v, block_mask=bm)
            t_flex = timed(lambda: flex(q, k, v, block_mask=bm))
            err = (out.float() - ref.float()).abs().max().item()
            ratio = t_flex / t_ours
            bound = 1.25 * pairs / dense_pairs * dense_time
            ok = ratio >= 1.2 and t_ours <= bound and err <= 3e-2
            failures += not ok
            rows.append((name, n, pairs / dense_pairs, flops(pairs) / t_ours / 1e9,
                         flops(pairs) / t_flex / 1e9, "Flex", ratio, "≥1.2", err, ok,
                         f"{t_ours:.3f} ms vs bound {bound:.3f} ms"))
            gpu.lib.attn_gpu_free(h)
        gpu.lib.attn_gpu_free(hc)
    print(f"\nGPU: {props.name}, torch {torch.__version__}, bf16, head dim 128")
    print("| pattern | tokens | density vs causal | attnc TFLOP/s | baseline TFLOP/s | baseline | "
          "speedup | target | max err | pass | sparse-time bound |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.3f} | {r[3]:.1f} | {r[4]:.1f} | {r[5]} | {r[6]:.2f}x | "
              f"{r[7]} | {r[8]:.1e} | {'yes' if r[9] else 'NO'} | {r[10]} |")
        report.append({"bench": r[0], "tokens": r[1], "density": r[2], "tflops": r[3],
                       "baseline_tflops": r[4], "baseline": r[5], "speedup": r[6],
                       "max_err": r[8], "ok": r[9]})
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("art")
    ap.add_argument("--lib", default=None)
    ap.add_argument("--skip-bench", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    art = os.path.abspath(args.art)
    with open(os.path.join(art, "cases.json")) as f:
        cases = json.load(f)["cases"]
    gpu = AttnGpu(args.lib or os.path.join(art, "libattn_gpu.so"))
    report = []
    start = time.time()
    failures = check_examples(gpu, art, cases, report)
    if not args.skip_bench:
        failures += bench(gpu, art, report)
    print(f"\n{failures} failure(s), {time.time() - start:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
