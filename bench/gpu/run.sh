#!/usr/bin/env bash
# The GPU check, on a machine with an NVIDIA GPU, the CUDA toolkit (g++ and
# the driver), Python and PyTorch, but no MLIR. Run prepare.py on a build
# machine first; it writes the artifacts this script reads.
#
#   bench/gpu/run.sh [ART] [--skip-bench]      (ART: bench/gpu/artifacts)
#
# Builds libattn_gpu.so (the CUDA runtime of attnc, runtime/cuda, plus a C
# API for Python) with g++ and the fmt headers copied into ART, then runs
# check.py: every example pattern against the CPU path and SDPA, then the
# benchmark table. Writes ART/gpu-check.json (and $OUT/ when set).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ART=${1:-$ROOT/bench/gpu/artifacts}
shift || true
[ -f "$ART/cases.json" ] || { echo "run.sh: no $ART/cases.json: run bench/gpu/prepare.py on a build machine first" >&2; exit 2; }
start=$(date +%s)
"$ROOT/bench/gpu/build_runner.sh" "$ART"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader || true
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
out=${OUT:-$ART}
PYTHONUNBUFFERED=1 python3 "$ROOT/bench/gpu/check.py" "$ART" --json "$out/gpu-check.json" "$@" 2>&1 | tee "$out/gpu-check.txt"
rc=${PIPESTATUS[0]}
echo "run.sh: $(( $(date +%s) - start )) s, exit $rc"
exit "$rc"
