#!/usr/bin/env bash
# Builds the double-click app dist/landscape-colorizer/ (executable dist/landscape-colorizer/landscape-colorizer)
# with the models in weights/, then runs its self-test and prints its size. Arguments go to pyinstaller
# (e.g. --clean). Builds for the system it runs on; docs/packaging.md has Windows, macOS and CUDA builds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh app,build
start=$(date +%s)
.venv/bin/pyinstaller --noconfirm --log-level WARN "$@" build.spec
echo "built dist/landscape-colorizer/ in $(( $(date +%s) - start )) s"
app=dist/landscape-colorizer
echo "size on disk: $(du -sh "$app" | cut -f1)iB, largest parts of it:"
( cd "$app/_internal" 2>/dev/null || cd "$app"; du -s -- * 2>/dev/null | sort -rn | head -8 |
  awk '{ printf "  %7.1f MiB  %s\n", $1 / 1024, $2 }' ) || true  # (head closing the pipe is no error)
exe="$app/landscape-colorizer"
[ -x "$exe" ] || exe="$app/landscape-colorizer.exe"
QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" "$exe" --self-test
