"""The temperature slider's latency as the window sees it: from moving the slider to the new colours
being in the view (the worker's decode, the hand-over to the GUI thread, the view updated), at Fit and
at 100 %. Prints figures; nothing is asserted.

    QT_QPA_PLATFORM=offscreen python scripts/slider_latency.py [--image PHOTO] [--weights weights] [--model natural]

Without --image a 4000 x 3000 (12-megapixel) landscape is generated. The window is 1200 x 780, as the
app opens; the settings and copies go to a temporary folder.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from benchmark import synthetic_photo  # noqa: E402  (after the path above, as every import here; scripts/)
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def wait_for(signal, condition=lambda *a: True, timeout=120.0) -> float:
    """Run the event loop until `signal` fires with arguments that satisfy condition; -> seconds."""
    loop, started = QEventLoop(), time.perf_counter()

    def check(*args):
        if condition(*args):
            loop.quit()
    signal.connect(check)
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    loop.exec()
    signal.disconnect(check)
    return time.perf_counter() - started


def measure(window, signal, what: str, moves: int) -> None:
    times = []
    for i in range(moves):
        value = 30 + (i * 7) % 60  # 0.30 .. 0.89, a new value each time
        if value == window.choice.slider.value():
            value += 1
        t = value / 100
        started = time.perf_counter()
        window.choice.slider.setValue(value)
        wait_for(signal, lambda shown: abs(shown.temperature - t) < 1e-9)
        QApplication.processEvents()  # the repaint
        times.append((time.perf_counter() - started) * 1000)
    print(f"{what:<34} median {statistics.median(times):6.1f} ms   min {min(times):6.1f}   max {max(times):6.1f}"
          f"   ({moves} moves)")


def open_window(image, weights, device, prefix: str):
    """The 1200 x 780 window, shown, its settings and copies in a new temporary folder, and the photo to
    colorize (image, or a generated 4000 x 3000 landscape). -> (QApplication, window, photo path)."""
    temp = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["LANDSCAPE_COLORIZER_SETTINGS"] = str(temp / "settings.ini")
    app = QApplication.instance() or QApplication([])
    from app.settings import Settings
    from app.window import MainWindow

    if image is None:
        from PIL import Image
        image = temp / "landscape-12mp.png"
        Image.fromarray(synthetic_photo(4000, 3000, seed=1)).save(image)
    window = MainWindow(Settings.at(temp / "settings.ini"), weights_dir=weights, device=device)
    window.set_output_dir(temp / "out")
    window.resize(1200, 780)
    return app, window, image


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--image", help="photo (default: a generated 12-megapixel landscape)")
    p.add_argument("--weights", default=str(ROOT / "weights"))
    p.add_argument("--model", default="natural")
    p.add_argument("--device", default="auto")
    p.add_argument("--moves", type=int, default=15)
    args = p.parse_args(argv)

    _app, window, image = open_window(args.image, args.weights, args.device, "colorizer-latency-")
    window.choice.combo.setCurrentIndex(max(0, window.choice.combo.findData(args.model)))
    window.show()
    window.add_paths([str(image)])
    wait_for(window.batch_done)
    while window.shown is None:
        QApplication.processEvents()
    QApplication.processEvents()
    size, view = window.view.compare.photo_size(), window.view.compare
    print(f"photo {size.width()} x {size.height()}, view {view.width()} x {view.height()}, "
          f"model {window.current_model()['id']}, device {window.device_label.text()}")
    window.choice.slider.setValue(25 if window.choice.slider.value() != 25 else 26)
    wait_for(window.preview_shown)  # the first preview at the size shown (the one from colorizing is 1024 px)
    after = window.view.compare.after_image()
    measure(window, window.preview_shown, f"Fit ({after.width()} x {after.height()} px decoded)", args.moves)
    window.view.actual_size_action.trigger()
    wait_for(window.detail_shown, lambda d: d.region[1] is None)
    box = window.view.compare.visible_box()
    measure(window, window.detail_shown, f"100 % ({box[2] - box[0]} x {box[3] - box[1]} px decoded)", args.moves)
    window.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
