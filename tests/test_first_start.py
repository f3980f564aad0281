"""First start on a Linux desktop without the X11 libraries Qt's xcb plugin needs (app.systemlibs):
the app names what is missing and the command that installs it, and exits 1 before Qt starts."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import main as app_main
from app import systemlibs

ROOT = Path(__file__).resolve().parent.parent
FRESH_DEBIAN = {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"}  # what a fresh Debian 12 lacks


def test_the_hint_names_the_missing_libraries_and_one_install_line_per_distribution():
    missing = systemlibs.missing_libraries(loadable=lambda soname: soname not in FRESH_DEBIAN)
    assert set(missing) == FRESH_DEBIAN
    hint = systemlibs.install_hint(missing)
    assert "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1\n" in hint
    assert "sudo dnf install -y xcb-util-cursor xcb-util-keysyms xcb-util-wm\n" in hint
    for soname in FRESH_DEBIAN:
        assert soname in hint


def test_libraries_of_one_package_give_it_once():
    hint = systemlibs.install_hint(["libglib-2.0.so.0", "libgthread-2.0.so.0", "libxcb-shm.so.0", "libxcb.so.1"])
    assert "apt-get install -y libglib2.0-0 libxcb-shm0 libxcb1\n" in hint
    assert "dnf install -y glib2 libxcb\n" in hint


def test_nothing_missing_means_no_message(capsys):
    assert systemlibs.check({"QT_QPA_PLATFORM": "xcb"}, loadable=lambda soname: True)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("environ, expected", [
    ({}, True),  # X11, or no desktop at all: Qt tries xcb
    ({"QT_QPA_PLATFORM": "xcb"}, True),
    ({"QT_QPA_PLATFORM": "wayland;xcb"}, True),  # xcb is the fallback
    ({"QT_QPA_PLATFORM": "offscreen"}, False),
    ({"QT_QPA_PLATFORM": "wayland"}, False),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, False),  # Qt takes Wayland there
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "x11"}, True),
])
def test_only_the_xcb_platform_is_checked(environ, expected):
    assert systemlibs.uses_xcb(environ, platform="linux") is expected


def test_other_systems_are_not_checked():
    assert not systemlibs.uses_xcb({}, platform="win32")
    assert not systemlibs.uses_xcb({}, platform="darwin")


def test_can_load_uses_the_dynamic_loader():
    assert systemlibs.can_load("libc.so.6")
    assert not systemlibs.can_load("libno-such-library-here.so.7")


def test_the_entry_point_exits_1_with_the_hint_before_qt_starts(monkeypatch, capsys):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(systemlibs, "can_load", lambda soname, dirs=(): soname not in FRESH_DEBIAN)
    monkeypatch.setattr(app_main, "create_window", lambda *a, **k: pytest.fail("a window was made"))
    assert app_main.main(["photo.jpg"]) == 1
    err = capsys.readouterr().err
    assert "apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in err


def test_importing_the_entry_point_loads_no_qt_gui():
    """QtGui itself links to libEGL, libGL, fontconfig and xkbcommon: it must wait for the check."""
    code = ("import sys, app.main\n"
            "app.main.parse_args(['--output', 'x', 'a.jpg'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('PySide6')))\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def needed(library: Path) -> list:
    out = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, check=True).stdout
    return [line.split("[")[1].split("]")[0] for line in out.splitlines() if "(NEEDED)" in line]


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("readelf") is None,
                    reason="needs Linux and readelf (binutils)")
def test_the_table_covers_every_system_library_the_installed_xcb_plugin_needs():
    spec_dirs = systemlibs.bundled_dirs()
    qt_lib = next(d for d in spec_dirs if d.name == "lib" and d.parent.name == "Qt")
    plugin = qt_lib.parent / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        pytest.skip("this PySide6 has no xcb plugin")
    provided_by_qt = {p.name for p in qt_lib.iterdir()}  # Qt's own libraries and the ICU it carries
    everywhere = ("libc.so", "libm.so", "libdl.so", "libpthread.so", "librt.so", "ld-linux", "libgcc_s.so",
                  "libstdc++.so")  # glibc and the C++ runtime: present wherever Python and PySide6 run
    # The plugin and the Python modules the window imports, then the Qt libraries they load, and theirs.
    todo = [plugin] + [qt_lib.parent.parent / f"{m}.abi3.so" for m in ("QtCore", "QtGui", "QtWidgets")]
    provided_by_qt |= {p.name for p in qt_lib.parent.parent.glob("libpyside6*")}
    provided_by_qt |= {p.name for p in (qt_lib.parent.parent.parent / "shiboken6").glob("libshiboken6*")}
    system, seen = set(), set()
    while todo:
        library = todo.pop()
        for soname in needed(library):
            if soname in provided_by_qt:
                if soname not in seen and (qt_lib / soname).exists():
                    seen.add(soname)
                    todo.append(qt_lib / soname)
            elif not soname.startswith(everywhere):
                system.add(soname)
    assert system, "readelf found no system library at all: the test is not looking at the right files"
    assert system <= set(systemlibs.LIBRARIES), f"not in app.systemlibs.LIBRARIES: {system - set(systemlibs.LIBRARIES)}"
