#!/usr/bin/env bash
# The GPU check, on a machine with an NVIDIA GPU, its driver, Python and
# PyTorch, but no MLIR. Run prepare.py on a build machine first; it writes
# the artifacts this script reads (prebuilt runners included).
#
#   bench/gpu/run.sh [ART] [--skip-bench] [--budget SECONDS]
#
# ART defaults to bench/gpu/artifacts. Results go to $OUT when it is set (the
# device tool copies it back), else ART/results:
#   gpu-results.jsonl  every result, appended as soon as it exists
#   gpu-check.txt      the log
#   gpu-check.json     the summary (exit code, failures, the records)
#
# The whole run is under `timeout BUDGET` (default $GPU_CHECK_BUDGET, else
# 480 s: a 10-minute device call minus 2 minutes to copy the results back);
# the summary is written after it, however the run ended. Exit code, from
# correctness alone (orchestrate.py explains the steps): 0 passed, 1 a
# correctness failure, 2 could not start, 3 no usable GPU, 4 ran out of time
# before every correctness check ran. Missed speed targets are reported in
# the summary and never change the exit code.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ART=$ROOT/bench/gpu/artifacts
BUDGET=${GPU_CHECK_BUDGET:-480}
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-bench) EXTRA+=(--skip-bench) ;;
    --budget) BUDGET=${2:?--budget needs seconds}; shift ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) ART=$1 ;;
  esac
  shift
done
ART=$(cd "$ART" 2>/dev/null && pwd) || { echo "run.sh: no artifacts directory: run bench/gpu/prepare.py first" >&2; exit 2; }
RESULTS=${OUT:-$ART/results}
mkdir -p "$RESULTS"
PY=${PYTHON:-python3}
start=$(date +%s)
{
  echo "run.sh: budget ${BUDGET} s, artifacts $ART, results $RESULTS"
  # SIGTERM at the budget, SIGKILL 10 s later; orchestrate.py's own limits
  # end its steps before that.
  PYTHONUNBUFFERED=1 timeout -k 10 "$BUDGET" "$PY" "$ROOT/bench/gpu/orchestrate.py" run "$ART" \
    --out "$RESULTS" --budget "$((BUDGET - 15))" "${EXTRA[@]}"
  rc=$?
  [ "$rc" = 124 ] || [ "$rc" = 137 ] && echo "run.sh: stopped by the ${BUDGET} s budget"
  echo "run.sh: $(( $(date +%s) - start )) s"
} 2>&1 | tee "$RESULTS/gpu-check.txt"
"$PY" "$ROOT/bench/gpu/orchestrate.py" summarize "$ART" --out "$RESULTS" 2>&1 | tee -a "$RESULTS/gpu-check.txt"
exit "${PIPESTATUS[0]}"
