#!/usr/bin/env bash
# Sets up .venv if needed and runs the whole test suite (headless Qt).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh app,test
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
exec .venv/bin/python -m pytest "$@"
