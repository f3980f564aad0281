"""The figures of `colorizer evaluate --figures`: small images kept while the photos are scored (no
second network pass), then grid.png (gray | each model | truth, for the first photos) and
sweep_<model>.png (the first photo at several temperatures)."""
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from .evaluate import Truth, gray_rgb

SWEEP_TEMPERATURES = (0.0, 0.1, 0.2, 0.38, 0.5, 0.75, 1.0)
GRID_IMAGES = 8  # photos in the gray | colorized | truth figure (issue 13: the 8 sample photos, all shown)
THUMB_SIDE = 176  # px, longer side of the images in the figures
MAX_PNG_BYTES = 1_000_000


def thumbnail(rgb: np.ndarray, side: int = THUMB_SIDE) -> np.ndarray:
    im = Image.fromarray(rgb)
    im.thumbnail((side, side), Image.Resampling.LANCZOS)
    return np.asarray(im)


@dataclass
class Previews:
    """Small images kept during evaluation for the figures: no second network pass is needed. They are
    keyed by the index the photo will have among the evaluated ones; if a photo is skipped half-way, the
    next photo takes its index and overwrites what was kept, and add_truth() marks a row complete."""

    n_images: int = GRID_IMAGES
    sweep_temperatures: tuple = SWEEP_TEMPERATURES
    side: int = THUMB_SIDE
    rows: dict = field(default_factory=dict)  # photo index -> {"name", "gray", "truth", label: image}
    sweeps: dict = field(default_factory=dict)  # label -> {"name", T: image} of the first photo
    column_t: dict = field(default_factory=dict)  # label -> T of its grid column

    def add(self, index: int, label: str, temperature: float, prediction) -> None:
        if index < self.n_images:
            self.rows.setdefault(index, {})[label] = prediction.decode(temperature, max_side=self.side)
            self.column_t[label] = temperature
        if index == 0:
            temps = sorted(set(self.sweep_temperatures) | {temperature})
            self.sweeps[label] = {t: prediction.decode(t, max_side=self.side) for t in temps}

    def add_truth(self, index: int, name: str, truth: Truth) -> None:
        if index < self.n_images:
            small = thumbnail(truth.rgb, self.side)
            # the gray column from the photo's own L, downscaled like the model outputs
            L = np.asarray(Image.fromarray(truth.L).resize(small.shape[1::-1], Image.Resampling.BILINEAR))
            self.rows.setdefault(index, {}).update(name=name, truth=small, gray=gray_rgb(L))
        if index == 0:
            for sweep in self.sweeps.values():
                sweep.update(name=name, truth=thumbnail(truth.rgb, self.side))


def _safe_name(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label)


def save_png(fig, path, limit: int = MAX_PNG_BYTES) -> Path:
    """Save a matplotlib figure as PNG; if photos make it larger than `limit`, store it with a 256-colour
    palette instead (dithered: a third of the size, and hardly visible at thumbnail scale)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = buf.getvalue()
    if len(data) > limit:
        im = Image.open(io.BytesIO(data)).convert("RGB")
        out = io.BytesIO()
        im.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(
            out, format="PNG", optimize=True)
        data = out.getvalue()
    Path(path).write_bytes(data)
    return Path(path)


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[:max(1, n // 2 - 1)] + "..." + text[-(n - n // 2 - 2):]


def draw_grid(cells, titles, path, row_labels=None, suptitle=None, side: int = THUMB_SIDE) -> Path:
    """A grid of small images (None = blank), each under its title, drawn at about 1:1; saved as PNG."""
    from matplotlib.figure import Figure  # the object API renders with Agg and touches no global state
    nrows, ncols = len(cells), len(cells[0])
    dpi = 100
    # each row as tall as its tallest image at `side` px wide (thumbnails are at most side x side)
    row_px = [max((min(side, side * im.shape[0] / im.shape[1]) for im in row if im is not None), default=side)
              for row in cells]
    height = (sum(row_px) + 22 * nrows) / dpi + (0.3 if suptitle else 0)
    fig = Figure(figsize=(ncols * (side + 8) / dpi + (0.2 if row_labels else 0), height), dpi=dpi,
                 layout="constrained")
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    axes = fig.subplots(nrows, ncols, squeeze=False, height_ratios=row_px)
    for i in range(nrows):
        for j in range(ncols):
            ax = axes[i][j]
            # no ticks or frame, but not set_axis_off(): that would hide the row label (a y label)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[:].set_visible(False)
            if cells[i][j] is not None:
                ax.imshow(cells[i][j], interpolation="nearest")
            if titles[i][j]:
                ax.set_title(titles[i][j], fontsize=8)
        if row_labels and row_labels[i]:
            # a label longer than its row would make the layout shrink every image: shorten it
            axes[i][0].set_ylabel(_shorten(row_labels[i], int(row_px[i] / 4)), fontsize=6)
    return save_png(fig, path)


def _chunks(items, n, fill):
    return [items[i:i + n] + [fill] * (n - len(items[i:i + n])) for i in range(0, len(items), n)]


def write_figures(previews: Previews, out_dir) -> list:
    """grid.png (gray | each model | truth, for the first photos) and sweep_<model>.png (the first photo
    at several temperatures, from T = 0, the mode, to T = 1, the mean)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    rows = [previews.rows[i] for i in sorted(previews.rows) if "truth" in previews.rows[i]]
    labels = list(previews.column_t)
    if rows:
        header = ["gray (input)"] + [f"{lb}, T = {previews.column_t[lb]:g}" for lb in labels] + ["truth"]
        cells = [[r["gray"]] + [r.get(lb) for lb in labels] + [r["truth"]] for r in rows]
        titles = [header] + [[""] * len(header)] * (len(rows) - 1)
        written.append(draw_grid(cells, titles, out_dir / "grid.png", row_labels=[r["name"] for r in rows],
                                 side=previews.side))
    names = {0.0: "T = 0 (mode)", 1.0: "T = 1 (mean)"}
    for label, sweep in previews.sweeps.items():
        if "truth" not in sweep:
            continue
        temps = sorted(t for t in sweep if not isinstance(t, str))
        images = [sweep[t] for t in temps] + [sweep["truth"]]
        titles = [names.get(t, f"T = {t:g}") for t in temps] + ["truth"]
        written.append(draw_grid(_chunks(images, 4, None), _chunks(titles, 4, ""),
                                 out_dir / f"sweep_{_safe_name(label)}.png",
                                 suptitle=f"{label}: annealed mean at several T ({sweep['name']})",
                                 side=previews.side))
    return written
