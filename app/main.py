"""Entry point: `landscape-colorizer [--output DIR] [PATH ...]` and `python -m app`.

Paths given on the command line are colorized at once; that is also how photos dropped onto the
executable's icon arrive (Windows, Linux). macOS delivers them as QFileOpenEvents instead, which
are handled the same way (app.fileopen).

Qt is imported only once the arguments are read and, on Linux with X11, the system libraries of Qt's
xcb plugin are found (app.systemlibs): a missing one is named with the command that installs it,
instead of Qt's "could not load the Qt platform plugin xcb".
"""
import argparse
import logging
import sys

from colorizer.version import __version__

from . import APP_NAME, DISPLAY_NAME, systemlibs

log = logging.getLogger("app")


def parse_args(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="landscape-colorizer",
                                description="Colorize black-and-white landscape photos in a window.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("paths", nargs="*", metavar="PATH", help="photos or folders to colorize right away")
    p.add_argument("--output", metavar="DIR",
                   help="save the copies to DIR for this run only (default: the folder chosen last, at first "
                        "Pictures/Landscape Colorizer)")
    p.add_argument("--weights", metavar="DIR",
                   help="take the models from DIR (default: $COLORIZER_WEIGHTS, then the bundled weights/)")
    p.add_argument("--device", default="auto", help="auto (a CUDA GPU where torch sees one, else onnx), onnx "
                   "(ONNX Runtime on the CPU: what the packaged app uses), cpu (torch on the CPU) or cuda[:N]")
    p.add_argument("--self-test", action="store_true", help="check the installation without opening a window")
    return p.parse_args(argv)


def run_self_test(argv) -> int:
    try:
        from app.selftest import main as self_test
    except ImportError as e:  # a build without the self-test should say so, not crash
        print(f"landscape-colorizer: the self-test is not available in this build ({e})", file=sys.stderr)
        return 2
    return self_test(argv)


def create_window(args: argparse.Namespace, log_path=None):
    """The main window for parsed arguments, shown, with the command line's photos queued. A
    QApplication must exist."""
    from .settings import Settings
    from .window import MainWindow
    window = MainWindow(Settings.open(), weights_dir=args.weights, device=args.device, log_path=log_path)
    if args.output:
        window.set_output_dir(args.output, remember=False)
    window.show()
    if args.paths:
        window.add_paths(args.paths)
    return window


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--self-test" in argv:  # before any window (or even QApplication) exists
        return run_self_test(argv)
    args = parse_args(argv)
    if not systemlibs.check():
        return 1
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from .fileopen import FileOpenForwarder
    from .gcguard import GuiThreadGarbageCollector
    from .logs import setup_logging
    from .worker_thread import wait_for_ended

    QCoreApplication.setApplicationName(APP_NAME)  # names the settings and data folders
    QCoreApplication.setOrganizationName("")
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    app.setApplicationDisplayName(DISPLAY_NAME)
    from .theme import follow_scheme
    follow_scheme(app)  # the system's light or dark scheme, where the platform left the palette as it was
    log_path = setup_logging()
    log.info("starting %s, arguments %s", APP_NAME, argv)

    collector = GuiThreadGarbageCollector(app)  # before the worker thread exists
    window = create_window(args, log_path)
    app.installEventFilter(FileOpenForwarder(window))
    app.aboutToQuit.connect(window.shutdown)
    code = app.exec()
    wait_for_ended()  # the closed window's worker ends its step, before collector.stop() lets gc run in any thread
    collector.stop()
    log.info("exit %s", code)
    return code


if __name__ == "__main__":
    sys.exit(main())
