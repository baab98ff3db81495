#!/usr/bin/env bash
# Configures (default preset) and builds attnc into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset default >/dev/null
cmake --build --preset default
