"""Hint mode's latency as the window sees it: from a click on the photo to the new colours painted
(the click -> the hint -> the worker's network pass with the hints on the preview -> decode -> the view
updated and repainted). A 12-megapixel landscape in the 1200 x 780 window, at Fit. Prints figures.

    QT_QPA_PLATFORM=offscreen python scripts/hint_latency.py --weights DIR [--device onnx|cpu] [--clicks 12]

DIR holds a model trained with hints (the shipped ones are: --weights weights). --device
onnx runs the network as the packaged app does (ONNX Runtime); cpu with torch where it is installed.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(ROOT / "scripts"))  # slider_latency, beside this script

from PySide6.QtCore import QPointF, Qt  # noqa: E402

from slider_latency import open_window, wait_for  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--weights", required=True, help="folder of a model trained with hints")
    p.add_argument("--device", default="cpu",
                   help="cpu (torch where installed) or onnx (ONNX Runtime, as the packaged app)")
    p.add_argument("--clicks", type=int, default=12)
    p.add_argument("--image")
    args = p.parse_args(argv)
    app, window, image = open_window(args.image, args.weights, args.device, "hint-latency-")
    from PySide6.QtTest import QTest
    window.show()
    app.processEvents()
    done = []
    window.batch_done.connect(done.append)
    window.add_paths([str(image)])
    wait_for(window.batch_done)
    wait_for(window.preview_shown, lambda s: True, timeout=60) if window.shown is None else None
    window.hints_panel.mode_action.trigger()
    app.processEvents()
    view, panel = window.view.compare, window.hints_panel
    size = view.photo_size()
    print(f"photo {size.width()} x {size.height()}, window {window.width()} x {window.height()}, "
          f"view {view.width()} x {view.height()}, preview {view.after_image().width()} x "
          f"{view.after_image().height()}, device {args.device}, "
          f"OMP_NUM_THREADS {os.environ.get('OMP_NUM_THREADS', 'unset')}")
    print("load average before:", os.getloadavg())

    colors = ["#3a5fcd", "#c05a30", "#5aa040", "#d0c040"]
    times, cpu = [], []
    for i in range(args.clicks + 1):
        x = 300 + (i * 733) % 1500  # left of the divider, a new place each time
        y = 300 + (i * 977) % 2400
        panel.palette_box.set_pen(colors[i % len(colors)])
        pos = view.from_photo(QPointF(x + 0.5, y + 0.5)).toPoint()
        before = window.photos.hints(window.results.current_key())
        started, c0 = time.perf_counter(), time.process_time()
        QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        wait_for(window.preview_shown, lambda s: s.hints != before)
        view.repaint()  # the paint, synchronously
        elapsed, used = (time.perf_counter() - started) * 1000, (time.process_time() - c0) * 1000
        if i == 0:
            print(f"first click (makes the preview-size lightness once): {elapsed:.0f} ms, CPU {used:.0f} ms")
        else:
            times.append(elapsed)
            cpu.append(used)
        # the palette's suggestions follow; let them come before the next click, as a user would
        wait_for(window.worker.suggestions_ready, timeout=3)  # may not come: then 3 s
        app.processEvents()
    print(f"{args.clicks} clicks: median {statistics.median(times):.0f} ms, min {min(times):.0f}, max {max(times):.0f}"
          f"; process CPU per click median {statistics.median(cpu):.0f} ms")
    print("load average after:", os.getloadavg())
    window.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
