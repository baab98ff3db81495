#!/usr/bin/env python3
"""PyTorch CPU baselines for the attnc CPU benchmarks (bench/cpu/run_all.sh).

For each benchmark pattern this builds the SAME mask in PyTorch (docs/LANGUAGE.md
semantics, Nq == Nk so p == q) and times, on the CPU:

  torch_sdpa       torch.nn.functional.scaled_dot_product_attention with
                   is_causal=True (dense causal only)
  torch_sdpa_mask  the same with a dense boolean [N, N] attn_mask (sparse
                   patterns; the whole N x N problem is computed)
  torch_flex       torch.nn.attention.flex_attention.flex_attention compiled
                   with torch.compile, with create_block_mask(mask_mod) at the
                   default 128 x 128 block size

One JSON object per line on stdout: median_ms, min_ms, gflops (4*D FLOPs per allowed
query/key pair, the same count as `attnc run --bench`), density, ...

torch is a benchmark-only dependency (see bench/README.md); never a build or
test dependency of attnc.

Before timing, --verify checks at a small size that FlexAttention's output
equals SDPA-with-the-dense-mask for every mask (so both torch paths use the
same mask), and, with --attnc, that the dense mask equals `attnc mask` of the
.attn file at the benchmark length (so torch and attnc use the same mask).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F
from torch.nn.attention.flex_attention import create_block_mask, flex_attention

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_layout  # noqa: E402  (the block_sparse table, same as the .attn file)

PATTERN_FILES = {
    "causal": "causal.attn",
    "sliding": "sliding.attn",
    "power": "power.attn",
    "block_sparse": "block_sparse.attn",
}

SLIDING_W = 1024
POWER_BLOCK, POWER_WINDOW = 256, 5
LAYOUT = torch.tensor(gen_layout.table(), dtype=torch.bool)
LAYOUT_BLOCK = gen_layout.BLOCK


# mask_mods: (b, h, q, k) -> bool, written with tensor ops so FlexAttention
# can trace them; also evaluated on broadcast index grids for the dense mask.
def causal_mod(b, h, q, k):
    return k <= q


def sliding_mod(b, h, q, k):
    # sliding(w): p - w < k <= p
    return (k <= q) & (q - SLIDING_W < k)


def power_mod(b, h, q, k):
    # power(256, 5) = causal() & (block_sliding(256, 5) | power2(256) | sink(256))
    d = q // POWER_BLOCK - k // POWER_BLOCK
    block_sliding = (d >= 0) & (d < POWER_WINDOW)
    power2 = (d >= 0) & ((d & (d - 1)) == 0)
    sink = k < POWER_BLOCK
    return (k <= q) & (block_sliding | power2 | sink)


def block_sparse_mod(b, h, q, k):
    # block_layout(64, table): table[q / 64][k / 64]
    return LAYOUT[q // LAYOUT_BLOCK, k // LAYOUT_BLOCK]


MASK_MODS = {
    "causal": causal_mod,
    "sliding": sliding_mod,
    "power": power_mod,
    "block_sparse": block_sparse_mod,
}


def dense_mask(name, n):
    idx = torch.arange(n)
    z = torch.zeros((), dtype=torch.int64)
    return MASK_MODS[name](z, z, idx[:, None], idx[None, :])


def time_ms(fn, repeat, warmup):
    """(median, fastest) milliseconds of `repeat` runs after `warmup`."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, min(times) * 1e3


DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16}

_compiled_flex = None


def compiled_flex():
    global _compiled_flex
    if _compiled_flex is None:
        # Every (mask_mod, dtype, head dim) is a recompile; past the default
        # limit of 8 dynamo silently falls back to the unfused eager
        # flex_attention (10-100x slower). Raise the limit, and fail loudly
        # rather than time the fallback.
        import torch._dynamo.config as dc
        dc.recompile_limit = 64
        dc.accumulated_recompile_limit = 1024
        dc.fail_on_recompile_limit_hit = True
        _compiled_flex = torch.compile(flex_attention, dynamic=False)
    return _compiled_flex


def verify(names, attnc, seq):
    """FlexAttention == SDPA(dense mask) at a small size; torch mask == attnc mask.

    n = 2048 so that power(256, 5) differs from causal (block distances 5-7)."""
    n, h, d = 2048, 2, 64
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, h, n, d, generator=g) for _ in range(3))
    for name in names:
        mask = dense_mask(name, n)
        ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        bm = create_block_mask(MASK_MODS[name], None, None, n, n, device="cpu")
        # Eager (unfused) flex_attention: the same mask_mod and block mask as
        # the timed compiled kernel, without a compile per mask.
        out = flex_attention(q, k, v, block_mask=bm)
        err = (out - ref).abs().max().item()
        assert err < 1e-4, f"{name}: FlexAttention differs from SDPA+mask by {err}"
        print(f"verify {name}: flex vs sdpa+mask max abs err {err:.2e} (n={n})",
              file=sys.stderr)
        if attnc:
            import numpy as np
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "mask.npy")
                subprocess.run([attnc, "mask",
                                os.path.join(HERE, "patterns", PATTERN_FILES[name]),
                                "--seq", str(seq), "-o", path], check=True)
                am = torch.from_numpy(np.load(path)[0])
            tm = dense_mask(name, seq)
            diff = (am != tm).sum().item()
            assert diff == 0, f"{name}: torch mask differs from attnc mask at {diff} pairs"
            print(f"verify {name}: torch mask == attnc mask at n={seq} "
                  f"({int(tm.sum())} pairs)", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seq", type=int, default=4096)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--dims", default="64,128")
    ap.add_argument("--dtypes", default="f32,bf16")
    ap.add_argument("--patterns", default="causal,sliding,power,block_sparse")
    ap.add_argument("--impls", default="sdpa,sdpa_mask,flex")
    ap.add_argument("--flex-patterns", default="sliding,power,block_sparse",
                    help="patterns timed with FlexAttention (each costs a "
                    "torch.compile of ~20 s on 2 cores)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--verify", action="store_true")
    ap.add_argument("--attnc", help="attnc binary, to check masks against `attnc mask`")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    names = args.patterns.split(",")
    impls = set(args.impls.split(","))
    flex_names = set(args.flex_patterns.split(","))
    if args.verify:
        verify(names, args.attnc, args.seq)

    n, h = args.seq, args.heads
    flex = compiled_flex()
    for dt in args.dtypes.split(","):
        dtype = DTYPES[dt]
        for d in map(int, args.dims.split(",")):
            g = torch.Generator().manual_seed(1234)
            q, k, v = (torch.randn(1, h, n, d, generator=g).to(dtype) for _ in range(3))
            for name in names:
                mask = dense_mask(name, n)
                pairs = int(mask.sum()) * h
                density = pairs / (h * n * n)
                base = {"pattern": name, "shape": [1, h, n, n, d], "dtype": dt,
                        "threads": torch.get_num_threads(), "allowed_pairs": pairs,
                        "density": round(density, 6), "torch": torch.__version__,
                        "repeat": args.repeat}

                def emit(impl, timing, **extra):
                    ms, fastest = timing
                    rec = dict(impl=impl, **base, median_ms=round(ms, 4),
                               min_ms=round(fastest, 4),
                               gflops=round(4.0 * d * pairs / (ms * 1e-3) / 1e9, 3))
                    rec.update(extra)
                    print(json.dumps(rec), flush=True)

                ref = None  # an SDPA output, to check the compiled flex kernel
                with torch.inference_mode():
                    if name == "causal" and "sdpa" in impls:
                        ms = time_ms(lambda: F.scaled_dot_product_attention(
                            q, k, v, is_causal=True), args.repeat, 1)
                        emit("torch_sdpa", ms)
                        ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                    if name != "causal" and "sdpa_mask" in impls:
                        ms = time_ms(lambda: F.scaled_dot_product_attention(
                            q, k, v, attn_mask=mask), args.repeat, 1)
                        emit("torch_sdpa_mask", ms)
                        ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
                    if "flex" in impls and name in flex_names:
                        t0 = time.perf_counter()
                        bm = create_block_mask(MASK_MODS[name], None, None, n, n,
                                               device="cpu")
                        bm_ms = (time.perf_counter() - t0) * 1e3
                        t0 = time.perf_counter()
                        out = flex(q, k, v, block_mask=bm)  # compiles on first use
                        first_s = time.perf_counter() - t0
                        ms = time_ms(lambda: flex(q, k, v, block_mask=bm),
                                       args.repeat, 1)
                        extra = {}
                        if ref is not None:
                            err = (out.float() - ref.float()).abs().max().item()
                            tol = 1e-4 if dt == "f32" else 5e-2
                            assert err < tol, (f"{name} {dt} D{d}: compiled flex "
                                               f"differs from SDPA by {err}")
                            extra["max_abs_err_vs_sdpa"] = float(f"{err:.3g}")
                        emit("torch_flex", ms, block_mask_ms=round(bm_ms, 3),
                             first_call_s=round(first_s, 2), **extra)

if __name__ == "__main__":
    main()
