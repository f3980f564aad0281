#!/usr/bin/env bash
# Creates .venv (once) and installs the project with the given extras, e.g. scripts/setup.sh app,test.
#
# torch is installed only where it is used: for the tests and training (extras test, train, torch), and
# for the window where an NVIDIA GPU answers `nvidia-smi` (CUDA). Elsewhere the window colorizes with
# ONNX Runtime and downloads no torch at all. torch comes first, pinned (TORCH_SPEC), so that the
# project's looser "torch>=2.2" is then satisfied by it. From PyPI, on Linux, that pin is the CUDA build
# (with its nvidia-* libraries, several GB); for the CPU-only build or another CUDA version give
# TORCH_SPEC="torch==2.13.0 --index-url <your CPU or CUDA wheel index>".
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-app}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
[ -x .venv/bin/python ] || python3 -m venv .venv
needs_torch=0
case ",$extras," in *,test,*|*,train,*|*,torch,*) needs_torch=1 ;; esac
if [ "$needs_torch" = 0 ] && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    needs_torch=1  # the window can then run the network on the GPU
    extras="$extras,torch"
fi
if [ "$needs_torch" = 1 ]; then
    .venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/pip install -q $TORCH_SPEC
fi
.venv/bin/pip install -q -e ".[$extras]"
