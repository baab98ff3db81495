#!/usr/bin/env bash
# The CPU benchmarks of the attnc performance requirements, attnc against
# PyTorch on the same machine in the same run, then one markdown report.
#
#   bench/cpu/run_all.sh [OUT_DIR]        (default bench/out/<date>)
#
# Environment:
#   ATTNC      attnc binary            (default: build-me/bin/attnc)
#   ATTNC_BUILD build tree for the compile/block-map tool (default: build-me)
#   TORCH_PY   python with torch        (default: /tmp/torchvenv/bin/python,
#              else bench/.venv/bin/python; see bench/README.md). Without it
#              the torch rows of the report are missing and marked so.
#   HEADS      heads of the 4096-token runs (default 4)
#   REPEAT     timed runs per measurement (default 7, after one warm-up)
#   ROUNDS     rounds of the timed comparisons (default 3): each round times
#              every attnc case, then every torch case, so that the pairs
#              compared are minutes apart, not the whole run; the report
#              takes the median of the per-round ratios
#   THREADS    threads for attnc and torch (default: all CPUs)
#   SKIP_TORCH=1  attnc side only
#
# About 4 minutes on a 2-core machine once torch.compile's on-disk cache
# (/tmp/torchinductor_$USER) is warm; the first run adds ~4 minutes of
# torch.compile for the 12 FlexAttention kernels (~20 s each).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
OUT=${1:-$ROOT/bench/out/$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
ATTNC=${ATTNC:-$ROOT/build-me/bin/attnc}
HEADS=${HEADS:-4}
REPEAT=${REPEAT:-7}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-$(nproc)}
P=$HERE/patterns
if [ -z "${TORCH_PY:-}" ]; then
  for c in /tmp/torchvenv/bin/python "$ROOT/bench/.venv/bin/python"; do
    [ -x "$c" ] && TORCH_PY=$c && break
  done
fi
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# attnc may be relinked by a concurrent build ("Text file busy", or briefly
# missing): retry a few times.
attnc() {
  local try err
  for try in 1 2 3 4 5 6 7 8 9 10; do
    err=$(mktemp)
    if "$ATTNC" "$@" 2>"$err"; then rm -f "$err"; return 0; fi
    if [ -x "$ATTNC" ] && ! grep -q 'Text file busy' "$err"; then
      cat "$err" >&2; rm -f "$err"; return 1
    fi
    rm -f "$err"; log "attnc busy or missing, retrying"; sleep 5
  done
  return 1
}

# --- machine ---------------------------------------------------------------
{
  echo "date_utc: $(date -u '+%Y-%m-%d %H:%M:%S')"
  echo "git: $(git rev-parse --short HEAD) $(git diff --quiet HEAD -- . ':!bench' || echo '(+ uncommitted changes outside bench/)')"
  echo "attnc: $ATTNC (built $(date -u -r "$ATTNC" '+%Y-%m-%d %H:%M:%S') UTC)"
  echo "threads: $THREADS"
  echo "load_before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "cpu_mhz: $(awk -F: '/^cpu MHz/ {print $2+0; exit}' /proc/cpuinfo)"
  lscpu
} >"$OUT/machine.txt"

# --- attnc -----------------------------------------------------------------
rm -f "$OUT"/attnc*.jsonl "$OUT"/torch*.jsonl
bench() { # FILE SHAPE DTYPE OUT_JSONL
  log "attnc run $(basename "$1") --random $2 --dtype $3"
  attnc run "$1" --random "$2" --dtype "$3" --bench --repeat "$REPEAT" --json \
    --quiet --threads "$THREADS" >>"$4" || log "FAILED: attnc run $1 $2 $3"
}
# Let a load left by an earlier job settle first (at most 2 minutes).
for _ in $(seq 24); do
  awk -v n="$(nproc)" '{exit !($1 < 0.5 * n)}' /proc/loadavg && break
  sleep 5
done
echo "load_start: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

# --- compile time and block map ---------------------------------------------
C=$OUT/compile.jsonl
: >"$C"
ms_now() { date +%s%N; }
for p in causal sliding power block_sparse; do
  dir=$(mktemp -d)
  for phase in cold cached; do
    t0=$(ms_now)
    ATTNC_CACHE_DIR=$dir attnc run "$P/$p.attn" --random 1,1,64,64 --quiet \
      --threads 1 >/dev/null || log "FAILED: compile $p"
    t1=$(ms_now)
    echo "{\"what\": \"process\", \"pattern\": \"$p\", \"phase\": \"$phase\", \"ms\": $(( (t1 - t0) / 1000 ))e-3}" >>"$C"
  done
  rm -rf "$dir"
done
T=$OUT/tools.jsonl
: >"$T"
if bash "$HERE/build_tools.sh" "${ATTNC_BUILD:-$ROOT/build-me}" 2>"$OUT/build_tools.log"; then
  for p in causal sliding power block_sparse; do
    dir=$(mktemp -d)
    seq=131072; [ $p = block_sparse ] && seq=4096  # its table covers 4096 tokens
    # Twice on one fresh cache directory: the first process compiles cold,
    # the second loads from the on-disk cache.
    for phase in cold cached; do
      log "compile/blockmap $p ($phase)"
      "$ROOT/bench/out/compile_blockmap_bench" "$P/$p.attn" --seq $seq \
        --tile 64 --repeat 15 --cache-dir "$dir" >>"$T" || log "FAILED: tool $p"
    done
    rm -rf "$dir"
  done
else
  log "could not build compile_blockmap_bench (see $OUT/build_tools.log)"
fi

# --- in rounds: 1. sparse vs dense at 16384 tokens, 2. dense causal and
# 3. sparse patterns at 4096 tokens, against torch ---------------------------
WITH_TORCH=
if [ -z "${SKIP_TORCH:-}" ] && [ -n "${TORCH_PY:-}" ]; then
  WITH_TORCH=1
  log "torch: $TORCH_PY"
else
  log "torch side skipped (SKIP_TORCH or no TORCH_PY)"
fi
: >"$OUT/torch.log"
for round in $(seq "$ROUNDS"); do
  log "round $round of $ROUNDS"
  # 1. sparse work proportional to density: 16384 tokens, D 64, fp32 (each
  # run also times dense causal right after, for speedup_vs_causal).
  for p in sliding power; do
    bench "$P/$p.attn" 1,1,16384,64 f32 "$OUT/attnc.round$round.jsonl"
  done
  # 2. dense causal, and 3. sparse patterns at 4096 tokens.
  for dt in f32 bf16; do
    for d in 64 128; do
      for p in causal sliding power block_sparse; do
        bench "$P/$p.attn" "1,$HEADS,4096,$d" "$dt" "$OUT/attnc.round$round.jsonl"
      done
    done
  done
  if [ -n "$WITH_TORCH" ]; then
    verify=(); [ "$round" = 1 ] && verify=(--verify --attnc "$ATTNC")
    "$TORCH_PY" "$HERE/torch_bench.py" "${verify[@]}" --seq 4096 \
      --heads "$HEADS" --repeat "$REPEAT" --threads "$THREADS" \
      >"$OUT/torch.round$round.jsonl" 2>>"$OUT/torch.log" ||
      log "torch_bench FAILED (see $OUT/torch.log)"
  fi
done
grep '^verify' "$OUT/torch.log" >&2

echo "load_after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
python3 "$HERE/report.py" "$OUT" | tee "$OUT/report.md"
log "results in $OUT"
