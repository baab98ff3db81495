#!/usr/bin/env python3
"""Markdown report of a bench/cpu/run_all.sh output directory.

  python3 bench/cpu/report.py OUT_DIR

Reads attnc.jsonl (attnc run --bench --json, the 16384-token runs),
attnc.roundN.jsonl and torch.roundN.jsonl (the 4096-token comparisons, one
pair of files per round; older output directories have one attnc.jsonl and
torch.jsonl instead), compile.jsonl (process times), tools.jsonl
(compile_blockmap_bench) and machine.txt (lscpu), and prints one table with
a pass/fail per requirement. A comparison's ratio is the median over the
rounds of (torch median ms / attnc median ms) within the round.
"""
import glob
import json
import statistics
import os
import re
import sys

# attnc pattern names (bench/cpu/patterns/*.attn) -> benchmark names
ATTNC_NAMES = {"dense_causal": "causal", "sliding_window": "sliding",
               "power_bench": "power", "block_sparse": "block_sparse"}


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def machine(path):
    info = {}
    if os.path.exists(path):
        for line in open(path):
            if ":" in line:
                k, v = line.split(":", 1)
                info.setdefault(k.strip(), v.strip())
    return info


def fma_peak(info):
    """fp32 FMA peak in GFLOP/s and the assumption behind it."""
    flags = info.get("Flags", "").split()
    cores = int(info.get("Core(s) per socket", "1")) * int(info.get("Socket(s)", "1"))
    threads = int(info.get("threads", cores) or cores)
    cores = min(cores, threads)
    mhz = None
    for key in ("CPU max MHz", "cpu_mhz", "CPU MHz"):
        try:
            mhz = float(info[key])
            break
        except (KeyError, ValueError):
            pass
    if mhz is None:
        mhz = float(info.get("BogoMIPS", "2000")) / 2
    vendor = info.get("Vendor ID", "")
    family = info.get("CPU family", "")
    if "avx512f" in flags:
        lanes, units = 16, 2
        isa = "AVX-512 (assumed 2 FMA units x 16 fp32 lanes)"
    elif "fma" in flags:
        lanes, units = 8, 2
        zen = {"23": "Zen 1/2", "25": "Zen 3/4", "26": "Zen 5"}.get(family, "")
        isa = (f"AVX2+FMA, {vendor} family {family} ({zen}): 2 FMA units x 8 fp32 "
               "lanes" if vendor == "AuthenticAMD" else
               "AVX2+FMA: assumed 2 FMA units x 8 fp32 lanes")
    else:
        lanes, units = 4, 1
        isa = "SSE: assumed 1 unit x 4 lanes, mul+add"
    per_cycle = 2 * lanes * units  # an FMA is 2 FLOPs
    peak = cores * mhz / 1e3 * per_cycle
    text = (f"{cores} cores x {mhz / 1e3:.3f} GHz (nominal clock from "
            f"/proc/cpuinfo; turbo not counted) x {per_cycle} fp32 FLOP/cycle "
            f"[{isa}] = **{peak:.1f} GFLOP/s**. bf16 is counted against the same "
            f"peak (no bf16 FMA instructions {'here' if 'avx512_bf16' not in flags else 'used'}).")
    return peak, text


def fmt(x, nd=1):
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    return f"{x:.{nd}f}"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    info = machine(os.path.join(out, "machine.txt"))
    peak, peak_text = fma_peak(info)
    attnc = load(os.path.join(out, "attnc.jsonl"))
    torch_rows = load(os.path.join(out, "torch.jsonl"))
    compile_rows = load(os.path.join(out, "compile.jsonl"))
    tools = load(os.path.join(out, "tools.jsonl"))

    def round_files(prefix):
        files = sorted(glob.glob(os.path.join(out, prefix + ".round*.jsonl")),
                       key=lambda f: int(re.search(r"round(\d+)", f).group(1)))
        return [load(f) for f in files]

    attnc_rounds = round_files("attnc") or [attnc]
    torch_rounds = round_files("torch") or [torch_rows]
    torch_rows = [r for rnd in torch_rounds for r in rnd]

    def find_attnc(pattern, n, d, dt, rows=None):
        for r in attnc if rows is None else rows:
            if (ATTNC_NAMES.get(r["pattern"], r["pattern"]) == pattern
                    and r["shape"][2] == n and r["shape"][4] == d
                    and r["dtype"] == dt):
                return r
        return None

    def find_torch(impl, pattern, d, dt, rows=None):
        for r in torch_rows if rows is None else rows:
            if (r["impl"] == impl and r["pattern"] == pattern
                    and r["shape"][4] == d and r["dtype"] == dt):
                return r
        return None

    def paired(pattern, impl, d, dt):
        """attnc and torch over the rounds: (attnc record, attnc ms, torch
        record, torch ms, ratio, per-round ratios), medians over rounds."""
        a_ms, t_ms, ratios, a_rec, t_rec = [], [], [], None, None
        for i, a_rows in enumerate(attnc_rounds):
            r = find_attnc(pattern, 4096, d, dt, a_rows)
            t = (find_torch(impl, pattern, d, dt, torch_rounds[i])
                 if i < len(torch_rounds) else None)
            if r is not None:
                a_rec = a_rec or r
                a_ms.append(r["median_ms"])
            if t is not None:
                t_rec = t_rec or t
                t_ms.append(t["median_ms"])
            if r is not None and t is not None:
                ratios.append(t["median_ms"] / r["median_ms"])
        med = lambda xs: statistics.median(xs) if xs else None
        return a_rec, med(a_ms), t_rec, med(t_ms), med(ratios), ratios

    def gflops(rec, ms):
        return None if rec is None or ms is None else \
            4.0 * rec["shape"][4] * rec["allowed_pairs"] / (ms * 1e-3) / 1e9

    def rounds_note(ratios):
        if len(ratios) < 2:
            return ""
        return " (rounds: " + ", ".join(f"{x:.2f}" for x in ratios) + ")"

    rows = []
    verdicts = []

    def pct(g):
        return None if g is None else 100.0 * g / peak

    def row(req, case, a_ms, a_gf, base, b_ms, b_gf, ratio, need, ok, note=""):
        res = "—" if ok is None else ("PASS" if ok else "**FAIL**")
        if ok is not None:
            verdicts.append(ok)
        rows.append([req, case, fmt(a_ms, 2), fmt(a_gf), fmt(pct(a_gf)), base,
                     fmt(b_ms, 2), fmt(b_gf), fmt(ratio, 2), need, res + note])

    # 1. Sparse work proportional to density (16384, D 64, fp32).
    for p in ("sliding", "power"):
        recs = [r for rnd in attnc_rounds + [attnc]
                for r in [find_attnc(p, 16384, 64, "f32", rnd)] if r is not None]
        if not recs:
            row("R1 sparse ∝ density", f"{p} 16384 D64 f32", None, None,
                "attnc causal", None, None, None, "", False, " (no result)")
            continue
        r = recs[0]
        b, h, nq, nk = r["shape"][:4]
        causal_pairs = b * h * nq * (nq + 1) // 2  # nq == nk here
        ideal = causal_pairs / r["allowed_pairs"]
        need = 0.75 * ideal
        # Each run timed the pattern and then dense causal: the speedup is
        # the median over the rounds of each run's own ratio.
        speedups = [x["speedup_vs_causal"] for x in recs]
        sp = statistics.median(speedups)
        ms = statistics.median(x["median_ms"] for x in recs)
        cms = statistics.median(x["causal_median_ms"] for x in recs)
        row("R1 sparse ∝ density", f"{p} 16384 H{h} D64 f32 (density {r['density']:.3f})",
            ms, gflops(r, ms), "attnc dense causal", cms,
            4.0 * 64 * causal_pairs / (cms * 1e-3) / 1e9, sp,
            f"≥ {need:.2f} (0.75 × {ideal:.2f})", sp >= need,
            rounds_note(speedups))

    # 2. Dense causal vs PyTorch SDPA (4096).
    for dt in ("f32", "bf16"):
        for d in (64, 128):
            r, r_ms, t, t_ms, ratio, ratios = paired("causal", "torch_sdpa", d, dt)
            case = f"causal 4096 D{d} {dt}"
            if ratio is None:
                row("R2 causal vs SDPA", case, r_ms, gflops(r, r_ms),
                    "torch SDPA", t_ms, gflops(t, t_ms), None,
                    "≥ 1.00", None if r else False,
                    " (no torch result)" if r else " (no attnc result)")
                continue
            note = "" if r["allowed_pairs"] == t["allowed_pairs"] else " (pair counts differ!)"
            row("R2 causal vs SDPA", case + f" H{r['shape'][1]}", r_ms,
                gflops(r, r_ms), "torch SDPA is_causal", t_ms, gflops(t, t_ms),
                ratio, "≥ 1.00", ratio >= 1.0, note + rounds_note(ratios))

    # 3. Sparse vs FlexAttention (4096), plus SDPA with a dense mask (info).
    for p in ("sliding", "power", "block_sparse"):
        for dt in ("f32", "bf16"):
            for d in (64, 128):
                r, r_ms, t, t_ms, ratio, ratios = paired(p, "torch_flex", d, dt)
                _, _, m, m_ms, m_ratio, _ = paired(p, "torch_sdpa_mask", d, dt)
                case = f"{p} 4096 D{d} {dt}"
                if ratio is None:
                    row("R3 sparse vs Flex", case, r_ms, gflops(r, r_ms),
                        "torch FlexAttention", t_ms, gflops(t, t_ms), None,
                        "≥ 1.50", None if r else False,
                        " (no torch result)" if r else " (no attnc result)")
                    continue
                note = "" if r["allowed_pairs"] == t["allowed_pairs"] else " (pair counts differ!)"
                row("R3 sparse vs Flex", case + f" H{r['shape'][1]}", r_ms,
                    gflops(r, r_ms), "torch FlexAttention (compiled)", t_ms,
                    gflops(t, t_ms), ratio, "≥ 1.50", ratio >= 1.5,
                    note + rounds_note(ratios))
                if m is not None:
                    row("(info)", case, None, None, "torch SDPA + dense mask",
                        m_ms, gflops(m, m_ms), m_ratio, "", None)

    # 4. Block map of power() at 131072 tokens, 64x64 tiles (one record per
    # process of compile_blockmap_bench: two processes per pattern).
    bm = [t for t in tools if t.get("what") == "blockmap"
          and "power" in os.path.basename(t["file"])]
    for i, t in enumerate(bm):
        row("R4 block map", f"power() {t['seq']} tokens, {t['tile'][0]}x{t['tile'][1]} "
            f"tiles, process {i + 1}: median of {t['repeat']} fresh builds "
            f"(min {t['min_ms']:.2f}, max {t['max_ms']:.2f})",
            t["median_ms"], None, "", None, None, None, "< 10 ms", t["median_ms"] < 10)
    if not bm:
        row("R4 block map", "power() 131072", None, None, "", None, None, None,
            "< 10 ms", False, " (no result)")
    seen = set()
    for t in tools:
        name = os.path.basename(t["file"])
        if t.get("what") == "blockmap" and "power" not in name and name not in seen:
            seen.add(name)
            row("(info) block map", f"{name} {t['seq']} tokens, 64x64 tiles "
                f"(median of {t['repeat']})", t["median_ms"], None, "", None, None,
                None, "", None)

    # 5. Compile time from source to a runnable program, in process: the first
    # compile of a process with an empty cache (cold) and with the cache an
    # earlier process filled (cached). Whole-process times are info only.
    comp = [t for t in tools if t.get("what") == "compile"]
    for t in comp:
        name = os.path.basename(t["file"])
        if t["first_from_cache"]:
            row("R5 compile cached", f"{name} (on-disk cache, first compile of a process)",
                t["first_ms"], None, "", None, None, None, "< 20 ms", t["first_ms"] < 20)
        else:
            row("R5 compile cold", f"{name} (empty cache)", t["first_ms"], None, "",
                None, None, None, "< 500 ms", t["first_ms"] < 500)
    for t in comp:
        if t["first_from_cache"]:
            row("(info) compile again", f"{os.path.basename(t['file'])} (same process: "
                f"in-memory object cache, median of {t['repeat']})",
                t["again_median_ms"], None, "", None, None, None, "", None)
    if not comp:
        row("R5 compile", "(compile_blockmap_bench not built)", None, None, "", None,
            None, None, "", False)
    for c in compile_rows:
        row("(info) process", f"`attnc run {c['pattern']}.attn --random 1,1,64,64` "
            f"{c['phase']} (process start + compile + run)", c["ms"], None, "", None,
            None, None, "", None)

    print(f"# attnc CPU benchmark report\n")
    print(f"- machine: {info.get('Model name', '?')}, {info.get('Core(s) per socket', '?')} "
          f"cores/socket x {info.get('Socket(s)', '?')} socket(s), "
          f"{info.get('Thread(s) per core', '?')} thread(s)/core, L2 {info.get('L2 cache', '?')}, "
          f"L3 {info.get('L3 cache', '?')}; threads used: {info.get('threads', '?')}")
    print(f"- date: {info.get('date_utc', '?')} UTC; git {info.get('git', '?')}")
    print(f"- load average (1, 5, 15 min) before: {info.get('load_before', '?')}, "
          f"at the first timing: {info.get('load_start', '?')}, "
          f"after: {info.get('load_after', '?')} (anything else running skews the numbers)")
    torch_v = torch_rows[0]["torch"] if torch_rows else "not run"
    print(f"- torch: {torch_v}; attnc: {info.get('attnc', '?')}")
    print(f"- FMA peak: {peak_text}")
    print("- GFLOP/s count 4·D FLOPs per allowed query/key pair (both matmuls, "
          "an FMA = 2 FLOPs), for attnc and torch alike; ratio = baseline ms / "
          "attnc ms (R1: attnc's own speedup over dense causal).")
    print(f"- {len(attnc_rounds)} round(s); each round times every attnc case, "
          "then every torch case; the ms columns are medians over the rounds "
          "of each round's median, the ratio is the median of the per-round "
          "ratios (listed when there are several; R1's ratio is each attnc "
          "run's pattern-vs-dense-causal speedup).\n")
    head = ["requirement", "case", "attnc ms", "attnc GFLOP/s", "% peak", "baseline",
            "baseline ms", "baseline GFLOP/s", "ratio", "needed", "result"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    n_ok = sum(verdicts)
    print(f"\n{n_ok} of {len(verdicts)} requirement checks pass.")


if __name__ == "__main__":
    main()
