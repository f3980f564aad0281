"""First start on Linux: the system libraries Qt's X11 plugin (xcb) needs, checked before Qt starts.

PySide6's wheels carry Qt but not the X11 client libraries Qt's xcb platform plugin links to. When one
is missing (a fresh Debian 12 lacks libxcb-icccm4 and libxcb-keysyms1; Qt 6.5+ also needs
libxcb-cursor0), Qt aborts with "could not load the Qt platform plugin xcb", which names neither the
library nor the fix. So before anything imports QtGui (which needs some of them too: libEGL, libGL,
fontconfig, xkbcommon), `missing_libraries` tries to load each one with ctypes, and `install_hint`
prints the one apt-get line (and the dnf line) that installs what is missing.

The table below is what the plugin and the Qt libraries it loads list as NEEDED, less Qt's own, ICU
(bundled with PySide6) and glibc's; tests/test_first_start.py checks it against the installed PySide6
with readelf, so a PySide6 update that links to something new fails the tests, not a user's first start.
"""
import ctypes
import importlib.util
import os
import sys
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package)
LIBRARIES = {
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),  # Qt 6.5+
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libz.so.1": ("zlib1g", "zlib"),
    "libzstd.so.1": ("libzstd1", "libzstd"),
}


def uses_xcb(environ=os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt will (or may) start its xcb plugin: on Linux, unless QT_QPA_PLATFORM names other
    platforms only (offscreen, wayland), or it is unset under Wayland (Qt then takes Wayland)."""
    if not platform.startswith("linux"):
        return False
    requested = environ.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        names = [part.split(":")[0].strip() for part in requested.split(";")]
        return "xcb" in names
    wayland = environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland"
    return not wayland


def bundled_dirs() -> list:
    """Folders the app ships libraries in: the PyInstaller bundle's and PySide6's own (found without
    importing PySide6, which would load Qt)."""
    dirs = []
    if getattr(sys, "_MEIPASS", None):
        dirs.append(Path(sys._MEIPASS))
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            dirs.append(Path(location) / "Qt" / "lib")
    return dirs


def can_load(soname: str, dirs=()) -> bool:
    """True if the dynamic loader finds `soname` (as Qt will), or the app ships it in one of `dirs`."""
    candidates = [soname] + [os.fspath(Path(d) / soname) for d in dirs if (Path(d) / soname).exists()]
    for name in candidates:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def missing_libraries(loadable=None) -> list:
    """The sonames of LIBRARIES that cannot be loaded. `loadable(soname) -> bool` (default: can_load
    with the bundled folders) is there so that tests can simulate a machine that lacks some."""
    if loadable is None:
        dirs = bundled_dirs()
        loadable = lambda soname: can_load(soname, dirs)  # noqa: E731
    return [soname for soname in LIBRARIES if not loadable(soname)]


def install_commands(missing) -> str:
    """The two lines that install the packages holding `missing`: Debian/Ubuntu's, then Fedora's."""
    debian = sorted({LIBRARIES[s][0] for s in missing})
    fedora = sorted({LIBRARIES[s][1] for s in missing})
    return (f"  Debian, Ubuntu:  sudo apt-get install -y {' '.join(debian)}\n"
            f"  Fedora:          sudo dnf install -y {' '.join(fedora)}")


def install_hint(missing) -> str:
    """The message for the user: what is missing and the one command that installs it."""
    return ("landscape-colorizer: the window cannot start: Qt's X11 plugin (xcb) needs system libraries "
            f"that are not installed: {', '.join(missing)}.\n"
            f"Install them, then start the app again:\n{install_commands(missing)}\n"
            "(On a machine without a screen, QT_QPA_PLATFORM=offscreen needs none of them.)")


def check(environ=os.environ, loadable=None, stream=None) -> bool:
    """True when the window can start as far as system libraries go; else print install_hint."""
    if not uses_xcb(environ):
        return True
    missing = missing_libraries(loadable)
    if missing:
        print(install_hint(missing), file=stream or sys.stderr)
        return False
    return True
