#!/usr/bin/env bash
# Takes docs/screenshot.png from the real window under a virtual X server (needs xvfb-run and the xcb
# plugin's libraries: apt-get install xvfb libxcb-cursor0 libxkbcommon-x11-0 libegl1).
# All arguments go to scripts/screenshot.py, e.g.
#   scripts/screenshot.sh --weights weights --image photo.jpg [--model NAME] [--out docs/screenshot.png]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec xvfb-run -a --server-args="-screen 0 1600x1000x24" "$PYTHON" scripts/screenshot.py "$@"
