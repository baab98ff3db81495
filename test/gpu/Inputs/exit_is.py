#!/usr/bin/env python3
"""exit_is.py CODE CMD...: runs CMD and succeeds only if it exits with CODE
(lit's `not` accepts any failure; the GPU check's exit codes mean things)."""
import subprocess
import sys

want = int(sys.argv[1])
got = subprocess.call(sys.argv[2:])
if got != want:
    sys.exit(f"exit_is.py: expected exit {want}, got {got}: {' '.join(sys.argv[2:])}")
