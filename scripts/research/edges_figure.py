#!/usr/bin/env python
"""docs/figures/edges.png: crops of colorized photos along edges, bilinear against guided chroma
upsampling (colorizer.upsample), with the gray input and the true colours beside them.

    .venv/bin/python scripts/research/edges_figure.py --model vivid --temperature 0.38 \
        --crop ../shared/photos/val/tuxpaint-data__lighthouse.jpg 256 128 128 ... --out docs/figures/edges.png

Each --crop is PHOTO LEFT TOP SIDE (a square, in the photo's pixels, shown at full resolution and
enlarged ZOOM times without smoothing so that single pixels can be seen). The network runs once per
photo; both upsamplings decode that one prediction.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

COLUMNS = ("gray input", "bilinear", "guided", "true colour")
GAP, LABEL_H = 4, 16


def crop_row(colorizer, path, left, top, side, temperature, zoom) -> np.ndarray:
    from colorizer.images import load_rgb
    rgb = load_rgb(path)
    pred = colorizer.predict(rgb)
    box = (left, top, left + side, top + side)
    tiles = [np.repeat(pred.gray(box=box)[..., None], 3, axis=2)]
    for method in ("bilinear", "guided"):
        pred.upsampling = method
        tiles.append(pred.decode(temperature, box=box))
    tiles.append(rgb[top:top + side, left:left + side])
    return [np.asarray(Image.fromarray(t).resize((side * zoom, side * zoom), Image.Resampling.NEAREST)) for t in tiles]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="vivid")
    p.add_argument("--temperature", type=float, help="default: the model card's")
    p.add_argument("--crop", nargs=4, action="append", required=True, metavar=("PHOTO", "LEFT", "TOP", "SIDE"))
    p.add_argument("--zoom", type=int, default=2)
    p.add_argument("--out", default="docs/figures/edges.png")
    a = p.parse_args(argv)
    from colorizer.pipeline import Colorizer
    colorizer = Colorizer.load(a.model, "auto")
    t = colorizer.default_temperature if a.temperature is None else a.temperature
    rows = [crop_row(colorizer, photo, int(x), int(y), int(s), t, a.zoom) for photo, x, y, s in a.crop]
    tile_w = max(tile.shape[1] for row in rows for tile in row)
    width = len(COLUMNS) * (tile_w + GAP) - GAP
    height = LABEL_H + sum(row[0].shape[0] + GAP for row in rows) - GAP
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    for i, name in enumerate(COLUMNS):
        label = name if i not in (1, 2) else f"{name} ({colorizer.name}, T {t:g})"
        draw.text((i * (tile_w + GAP) + 2, 2), label, fill="black")
    y = LABEL_H
    for row in rows:
        for i, tile in enumerate(row):
            canvas.paste(Image.fromarray(tile), (i * (tile_w + GAP), y))
        y += row[0].shape[0] + GAP
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    canvas.save(a.out, optimize=True)
    print(f"{a.out}: {canvas.size[0]}x{canvas.size[1]}, {Path(a.out).stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
