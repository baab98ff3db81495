#!/bin/sh
# A stand-in for attnc-gpu-runner on a machine "with a GPU": the probe
# succeeds and every run passes its check.
if [ "$1" = --probe ]; then
  echo "cuda: ok: Fake GPU sm_90a driver 13000"
  exit 0
fi
echo "check: largest absolute error 0 at element 0 (f16 tolerance 1e-02): ok"
