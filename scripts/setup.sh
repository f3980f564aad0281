#!/usr/bin/env bash
# Creates .venv (once) and installs the project with the given extras, e.g. scripts/setup.sh app,test.
# torch is installed first, pinned, so that pip takes the CPU build and not a multi-GB CUDA one.
# Override with TORCH_SPEC (e.g. TORCH_SPEC="torch==2.13.0 --index-url <your CPU or CUDA wheel index>").
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-app}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/pip install -q $TORCH_SPEC
.venv/bin/pip install -q -e ".[$extras]"
