#!/usr/bin/env python
"""The output writer on a 12-megapixel decoded photo: PNG size against time per zlib level, JPEG and
WebP, and save_outputs end to end (gray and colour encoded concurrently) against one after the other.

    .venv/bin/python scripts/output_benchmark.py --photos /path/to/photos [--model natural] [--levels 0-9]

The photo is a 4000x3000 mosaic of 16 real photos (each cropped to 1000x750 at its own resolution, so
the detail is a camera's, not an upscaler's), colorized with the model as the app does it; without
--photos, scripts/benchmark.py's synthetic landscape is used. Timings are wall-clock medians of
--repeats runs; other work on the machine slows them down (the load average is printed).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

W, H, TILE_W, TILE_H, N = 4000, 3000, 1000, 750, 16


def mosaic(folder) -> np.ndarray:
    """16 photos of at least 1000x750 px, centre-cropped to 1000x750, in a 4x4 grid."""
    from colorizer.images import ImageError, find_images, load_rgb
    tiles = []
    for path in find_images([folder]):
        try:
            with Image.open(path) as im:
                if im.size[0] < TILE_W or im.size[1] < TILE_H:
                    continue
            rgb = load_rgb(path)
        except (ImageError, OSError):
            continue
        y, x = (rgb.shape[0] - TILE_H) // 2, (rgb.shape[1] - TILE_W) // 2
        tiles.append(rgb[y:y + TILE_H, x:x + TILE_W])
        if len(tiles) == N:
            break
    if len(tiles) < N:
        sys.exit(f"need {N} photos of at least {TILE_W}x{TILE_H} px under {folder}, found {len(tiles)}")
    rows = [np.concatenate(tiles[r * 4:(r + 1) * 4], axis=1) for r in range(4)]
    return np.concatenate(rows, axis=0)


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--photos", help="folder of photos for the mosaic (default: a synthetic landscape)")
    p.add_argument("--model", default="natural")
    p.add_argument("--levels", default="0-9", help="zlib levels to measure, e.g. 0-9 or 1,6,9")
    p.add_argument("--repeats", type=int, default=1)
    a = p.parse_args()
    from colorizer.output import OutputOptions, save_outputs
    from colorizer.pipeline import Colorizer

    if a.photos:
        rgb = mosaic(a.photos)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from benchmark import synthetic_photo
        rgb = synthetic_photo()
    colorizer = Colorizer.load(a.model, "onnx")
    pred = colorizer.predict(rgb)
    T = colorizer.default_temperature
    color, gray = pred.decode(T), pred.gray()
    print(f"{W}x{H} photo ({'mosaic of ' + a.photos if a.photos else 'synthetic'}), model {a.model} at T {T:g}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if "-" in a.levels:
        lo, hi = map(int, a.levels.split("-"))
        levels = list(range(lo, hi + 1))
    else:
        levels = [int(v) for v in a.levels.split(",")]

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)

        def write(pixels, name, **params):
            path = d / name
            path.unlink(missing_ok=True)
            Image.fromarray(pixels).save(path, **params)
            return path.stat().st_size

        print("\n| PNG zlib level | colour: s | colour: MB | gray: s | gray: MB |\n| --- | --- | --- | --- | --- |")
        for level in levels:
            row = []
            for pixels, name in ((color, "c.png"), (gray, "g.png")):
                t = median_time(lambda: write(pixels, name, compress_level=level), a.repeats)
                row += [f"{t:.2f}", f"{(d / name).stat().st_size / 2**20:.1f}"]
            print(f"| {level} | " + " | ".join(row) + " |")

        print("\n| other formats, colour copy | s | MB |\n| --- | --- | --- |")
        for label, name, params in [("JPEG q92 4:4:4", "c.jpg", dict(quality=92, subsampling=0)),
                                    ("JPEG q92 4:2:0", "c.jpg", dict(quality=92, subsampling=2)),
                                    ("WebP q92 (method 4, libwebp's default)", "c.webp", dict(quality=92)),
                                    ("WebP q92 method 2", "c.webp", dict(quality=92, method=2)),
                                    ("WebP q92 method 0", "c.webp", dict(quality=92, method=0)),
                                    ("WebP lossless (effort 80, method 4)", "c.webp", dict(lossless=True)),
                                    ("WebP lossless effort 0 method 0", "c.webp",
                                     dict(lossless=True, quality=0, method=0)),
                                    ("WebP lossless effort 25 method 1", "c.webp",
                                     dict(lossless=True, quality=25, method=1))]:
            t = median_time(lambda: write(color, name, **params), a.repeats)
            print(f"| {label} | {t:.2f} | {(d / name).stat().st_size / 2**20:.1f} |")

        print("\n| save_outputs end to end (decode + both files) | s |\n| --- | --- |")
        for fmt in ("png", "jpeg", "webp"):
            t = median_time(lambda: save_outputs(pred, T, d / fmt, stem="photo", options=OutputOptions(fmt)),
                            a.repeats)
            print(f"| {fmt}, concurrent (as shipped) | {t:.2f} |")

        from colorizer import output

        def one_after_the_other():
            output._write_png_new(d / "seq" / f"g{time.perf_counter_ns()}.png", pred.gray(), {})
            output._write_png_new(d / "seq" / f"c{time.perf_counter_ns()}.png", pred.decode(T), {})
        (d / "seq").mkdir()
        print(f"| png, one after the other | {median_time(one_after_the_other, a.repeats):.2f} |")


if __name__ == "__main__":
    main()
