#!/usr/bin/env bash
# Sets up .venv if needed and starts the window; arguments go to the app (e.g. images to open).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh app
exec .venv/bin/landscape-colorizer "$@"
