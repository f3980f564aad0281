#!/usr/bin/env bash
# Installs the packaged app for the current user: a menu entry that opens images (drop photos on it, or
# "Open with Landscape Colorizer"), its icon, and `landscape-colorizer` on the PATH (~/.local/bin).
#   packaging/install-linux.sh [DIST_DIR]   (default: the folder this script is in if it holds the app, as
#                                            in a built dist/landscape-colorizer/, else dist/landscape-colorizer;
#                                            the folder is copied to ~/.local/opt/landscape-colorizer)
#   packaging/install-linux.sh --uninstall
# Nothing outside ~/.local is touched; no root needed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
opt="$HOME/.local/opt/landscape-colorizer"
bin="$HOME/.local/bin/landscape-colorizer"
if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$opt" "$bin" "$data/applications/landscape-colorizer.desktop" \
           "$data"/icons/hicolor/*/apps/landscape-colorizer.png "$data/icons/hicolor/scalable/apps/landscape-colorizer.svg"
    echo "uninstalled"
    exit 0
fi
default="$here/../dist/landscape-colorizer"
[ -x "$here/landscape-colorizer" ] && default="$here"
dist="${1:-$default}"
[ -x "$dist/landscape-colorizer" ] || { echo "no packaged app in $dist (build it: scripts/build.sh)" >&2; exit 1; }
dist="$(cd "$dist" && pwd)"
res="$dist/_internal/app/resources"
if [ "$dist" != "$opt" ]; then
    rm -rf "$opt.new" && mkdir -p "$(dirname "$opt")" && cp -a "$dist" "$opt.new" && rm -rf "$opt" && mv "$opt.new" "$opt"
fi
mkdir -p "$(dirname "$bin")" "$data/applications"
ln -sfn "$opt/landscape-colorizer" "$bin"
for n in 16 24 32 48 64 128 256 512; do
    src="$res/icon-$n.png"; [ "$n" = 256 ] && src="$res/icon.png"
    [ -f "$src" ] && install -D -m 644 "$src" "$data/icons/hicolor/${n}x${n}/apps/landscape-colorizer.png"
done
[ -f "$res/icon.svg" ] && install -D -m 644 "$res/icon.svg" "$data/icons/hicolor/scalable/apps/landscape-colorizer.svg"
sed -e "s|^Exec=.*|Exec=\"$opt/landscape-colorizer\" %F|" -e "s|^TryExec=.*|TryExec=$opt/landscape-colorizer|" \
    "$here/landscape-colorizer.desktop" > "$data/applications/landscape-colorizer.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "installed: $opt, menu entry 'Landscape Colorizer', command $bin"
