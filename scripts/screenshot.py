"""Screenshot of the real window for the docs: load a photo, colorize it, grab the window.

    xvfb-run -a python scripts/screenshot.py --weights WEIGHTS_DIR --image PHOTO [--out docs/screenshot.png]

With --hints HINTS.json (the command line's format, photo pixels) the window is in hint mode with those
hints on the photo, loaded as its "Load hints…" does, the last one selected so that the palette shows the
colours the model finds likely there.

scripts/screenshot.sh does exactly this under Xvfb. The settings are kept in a temporary file and the
copies go to a temporary folder (or --output), so the user's own settings and Pictures are left alone.
"""
import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", required=True, help="folder with the models (NAME.safetensors + NAME.json)")
    p.add_argument("--image", required=True, action="append",
                   help="photo to colorize (repeat for more thumbnails; the first one is shown large)")
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"), help="PNG to write")
    p.add_argument("--model", help="model id to select (default: the first)")
    p.add_argument("--temperature", type=float, help="temperature to show (default: the model's)")
    p.add_argument("--output", help="folder for the colorized copies (default: a temporary folder)")
    p.add_argument("--size", default="1200x780", help="window size, WIDTHxHEIGHT")
    p.add_argument("--split", type=float, default=0.5, help="before/after divider position, 0..1")
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for the colorizing")
    p.add_argument("--zoom", choices=("fit", "100"), default="fit", help="the view at Fit or at 100 %%")
    p.add_argument("--compare-models", action="store_true", help="show Compare models instead")
    p.add_argument("--hints", metavar="HINTS.json",
                   help="show hint mode with these hints on the first photo (the last one selected)")
    return p.parse_args(argv)


def wait_until(condition, timeout: float) -> bool:
    """Run the event loop until condition() holds, checking it every 50 ms (the window stays live)."""
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(50)
    poll.timeout.connect(lambda: loop.quit() if condition() else None)
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    poll.start()
    loop.exec()
    poll.stop()
    return condition()


def main(argv=None) -> int:
    args = parse_args(argv)
    temp = Path(tempfile.mkdtemp(prefix="colorizer-screenshot-"))
    os.environ["LANDSCAPE_COLORIZER_SETTINGS"] = str(temp / "settings.ini")

    from app import APP_NAME
    from app.gcguard import GuiThreadGarbageCollector
    from app.settings import Settings
    from app.window import MainWindow

    QCoreApplication.setApplicationName(APP_NAME)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    GuiThreadGarbageCollector(app)  # as the app does
    window = MainWindow(Settings.at(temp / "settings.ini"), weights_dir=args.weights, log_path=None)
    width, height = (int(v) for v in args.size.lower().split("x"))
    window.resize(width, height)
    window.set_output_dir(args.output or temp / "Landscape Colorizer", remember=False)
    if args.model:
        index = window.choice.combo.findData(args.model)
        if index < 0:
            sys.exit(f"screenshot: no model {args.model!r} in {args.weights}")
        window.choice.combo.setCurrentIndex(index)
    if args.temperature is not None:
        window.set_temperature(args.temperature)
    window.show()
    window.add_paths(args.image)

    done = wait_until(lambda: not window.is_busy() and window.shown is not None
                      and window.shown.temperature == window.temperature()
                      and not window.device_label.text().endswith("…"), args.timeout)
    if not done:
        window.close()
        sys.exit(f"screenshot: the photo was not colorized within {args.timeout:g} s")
    if args.zoom == "100":
        window.view.actual_size_action.trigger()
        # A detail comes only where the preview has fewer pixels than the photo.
        if not wait_until(lambda: window.view.compare.detail_request() is None
                          or (window.view.compare.detail() or {}).get("after") is not None, args.timeout):
            sys.exit("screenshot: the 100 % view was not decoded in time")
    if args.hints:
        panel = window.hints_panel
        window.hints_panel.mode_action.setChecked(True)
        if not window.hints_panel.mode_action.isChecked() or not panel.load_file(args.hints):
            sys.exit(f"screenshot: the hints of {args.hints} were not loaded (a model that takes hints?)")
        hints = panel.hints()
        panel.select(len(hints) - 1)  # as if just placed: the palette shows its suggestions
        if not wait_until(lambda: window.shown is not None and window.shown.hints == hints and not window.is_busy()
                          and panel.palette_box.colors(), args.timeout):
            sys.exit("screenshot: the preview with the hints or the palette was not shown in time")
    if args.compare_models:
        window.view.compare_models_action.setChecked(True)
        ids = [c["id"] for c in window.models]
        if not wait_until(lambda: all(window.view.models_view.image(i) is not None for i in ids), args.timeout):
            sys.exit("screenshot: the models were not all shown in time")
    window.results.setFocus()  # keep the focus ring off the comparison's divider
    window.view.compare.set_split(args.split)
    window.statusBar().clearMessage()
    app.processEvents()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out)):
        sys.exit(f"screenshot: could not write {out}")
    print(f"wrote {out} ({window.width()}x{window.height()})")
    window.close()
    shutil.rmtree(temp, ignore_errors=True)  # settings and (without --output) the colorized copies
    return 0


if __name__ == "__main__":
    sys.exit(main())
