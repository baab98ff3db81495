#!/usr/bin/env bash
# Runs the libFuzzer targets of a fuzzing build (the `asan` preset) for a
# while each, with a fixed seed, starting from the committed corpus
# (test/fuzz/<target>/) plus, for the frontend, every .attn file of
# examples/ and test/. New inputs go to a scratch directory: the committed
# corpus is never changed. A crash, sanitizer report, timeout or OOM fails the
# run and leaves its input in BUILD/fuzz-artifacts/ (add it to
# test/fuzz/<target>/ once it is fixed: docs/TESTING.md).
#
#   fuzz/run-fuzzers.sh [BUILD_DIR] [SECONDS_PER_TARGET] [TARGET...]
#   (defaults: build-asan, 60, frontend npy manifest)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build-asan}
seconds=${2:-60}
shift $(($# < 2 ? $# : 2))
targets=("$@")
((${#targets[@]})) || targets=(frontend npy manifest)

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The frontend's extra seeds: the project's .attn files, flattened.
mkdir -p "$scratch/seeds-frontend"
while IFS= read -r f; do
  cp "$f" "$scratch/seeds-frontend/$(echo "$f" | tr '/' '_')"
done < <(find examples test -name '*.attn' -not -path 'test/fuzz/*' | sort)

for t in "${targets[@]}"; do
  fuzzer="$build/bin/attnc-fuzz-$t"
  [[ -x $fuzzer ]] || { echo "run-fuzzers: no $fuzzer (build the asan preset)" >&2; exit 1; }
  options=() seeds=()
  case $t in
    frontend) options=(-dict=fuzz/attn.dict) seeds=("$scratch/seeds-frontend") ;;
  esac
  mkdir -p "$scratch/new-$t"
  echo "run-fuzzers: $t for ${seconds}s"
  # -timeout: an input running 10 s is a hang; -rss_limit_mb: MLIR under ASan
  # needs more than libFuzzer's default 2 GB for large inputs.
  "$fuzzer" -seed=1 -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$t-" "${options[@]}" \
    "$scratch/new-$t" "test/fuzz/$t" "${seeds[@]}"
done
