"""Evaluating models on colour photos: the model sees only each photo's lightness, the photo is the truth.

    colorizer evaluate photos/val --model base --model lambda05 --temperature 0.2 0.38 --json eval.json

Every figure is computed at the photo's full resolution, for every model at every temperature, and for
the gray baseline (ab = 0: the L-only image) on the same photos:

- PSNR (dB) of the sRGB output against the photo (capped at 100 dB for a pixel-identical image);
- ab error: the mean Euclidean ab distance in Lab units (the design report's "colour distance");
- AuC: the area under the CDF of the per-pixel ab error over thresholds 0..150, in % (Zhang et al.
  2016), plain and class-rebalanced (a pixel weighs 1 / p of its true ab cell, p over the whole set);
- colourfulness (Hasler & Suesstrunk 2003), reported as mean(output) / mean(truth);
- hue agreement: of the pixels that are clearly green (a* <= -8) in the photo, the % shown green
  (a* <= -3) and the % shown red (a* >= +3); likewise blue (b* <= -8) against blue and yellow. A mean
  over the photos where that hue covers at least 1 % (the sky, water and foliage of a landscape).

Every photo counts equally whatever its resolution: PSNR, ab error and colourfulness are means over
photos; for the AuCs each photo's pixels carry a total weight of 1 (so the plain AuC is the mean of the
per-photo AuCs) and the cell frequencies p are the mean over photos of each photo's cell fractions.

With hints (colorizer evaluate --hints 0 5 20), each model also runs with N colour hints drawn from the
truth as training draws them (colorizer.hints.hints_from_truth, seeded by the photo's file name, so a
rerun draws the same hints), and every N is a separate output with the same figures. For N > 0 there is
one more: the median over the hints of the ab distance (Lab units) between the colour shown at a hint's
point (the model's ab there, before sRGB clipping, as for the ab error) and the hint's own colour: how
well the model follows what it was told. Every photo has N hints, so every photo weighs the same.

The network runs once per photo, model and N; every temperature is decoded from that one prediction.
Photos are handled one at a time (their errors reduced to small histograms), so memory stays that of
a single photo. A photo that cannot be read or processed is reported and skipped.
"""
import json
import math
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..bins import N_CELLS
from ..color import l_to_gray, lab_to_rgb, rgb_to_lab
from ..film import film_lightness
from ..hints import HintError, hints_from_truth
from ..images import ImageError, find_images, load_rgb
from ..pipeline import Colorizer
from .metrics import (N_ERROR_BINS, auc_from_histogram, cell_rebalancing_weights, colourfulness,
                      colourfulness_ratio, error_histogram, hue_counts, hue_rates, psnr_capped)

BASELINE = "gray"  # the label of the ab = 0 baseline
GRAYS = ("lstar", "film")  # what the models are given: the photo's L*, or a film-like gray of it


# --- One photo -----------------------------------------------------------------------------------------

@dataclass
class Truth:
    """A colour photo as the truth: its sRGB pixels, lightness and ab."""

    rgb: np.ndarray  # (H, W, 3) uint8
    L: np.ndarray  # (H, W) float32
    ab: np.ndarray  # (H, W, 2) float32
    colourfulness: float

    @classmethod
    def from_rgb(cls, rgb: np.ndarray) -> "Truth":
        lab = rgb_to_lab(rgb)  # banded, so a 12 MP photo stays affordable
        return cls(rgb, lab[..., 0], lab[..., 1:], colourfulness(rgb))


@dataclass
class Score:
    """One output for one photo: its figures, and its ab errors as a histogram by (true cell, error)."""

    psnr: float
    ab_error: float
    colourfulness: float
    cells: np.ndarray  # (k,) the true ab cells present in the photo
    hist: np.ndarray  # (k, N_ERROR_BINS) pixel counts of those cells by ceil(error)
    hues: np.ndarray  # metrics.hue_counts of the photo
    hint_errors: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per hint: ab distance at its point

    @property
    def dense_hist(self) -> np.ndarray:
        full = np.zeros((N_CELLS, N_ERROR_BINS))
        full[self.cells] = self.hist
        return full

    def cell_fractions(self) -> np.ndarray:
        """(N_CELLS,) the share of the photo's pixels in each true ab cell."""
        counts = np.zeros(N_CELLS)
        counts[self.cells] = self.hist.sum(axis=1)
        return counts / counts.sum()


def score(rgb_out: np.ndarray, ab_out: np.ndarray, truth: Truth) -> Score:
    hist, total = error_histogram(ab_out, truth.ab)
    cells = np.flatnonzero(hist.sum(axis=1))  # a photo covers a few dozen of the 225 cells: keep those
    return Score(psnr=psnr_capped(rgb_out, truth.rgb), ab_error=total / truth.L.size,
                 colourfulness=colourfulness(rgb_out), cells=cells, hist=hist[cells].astype(np.int32),
                 hues=hue_counts(ab_out, truth.ab))


def gray_rgb(L: np.ndarray) -> np.ndarray:
    """The L-only image as (H, W, 3) uint8: the same pixels as lab_to_rgb with a = b = 0, much faster."""
    return np.repeat(l_to_gray(L)[..., None], 3, axis=2)


def score_baseline(truth: Truth, L: np.ndarray = None) -> Score:
    """The gray input itself as the output: truth.L, or the lightness L the model was given."""
    gray = gray_rgb(truth.L if L is None else L)
    zeros = np.broadcast_to(np.zeros(2, np.float32), truth.ab.shape)  # no memory for a full-size zero ab
    return score(gray, zeros, truth)


def score_decode(prediction, temperature: float, truth: Truth, hints=(), L: np.ndarray = None) -> Score:
    """L: the lightness the model was given, if not truth.L (the output keeps it, as colorize does)."""
    ab = prediction.ab(temperature)  # full resolution, before sRGB gamut clipping
    rgb = lab_to_rgb(np.concatenate([(truth.L if L is None else L)[..., None], ab], axis=2))
    s = score(rgb, ab, truth)
    s.hint_errors = np.array([np.hypot(*(ab[int(h.y), int(h.x)] - h.ab)) for h in hints], np.float64)
    return s


def photo_seed(path) -> int:
    """The seed of a photo's hints: from its file name, so that reruns (and other folders) agree."""
    return zlib.crc32(Path(path).name.encode("utf-8"))


def film_gray(rgb: np.ndarray, path) -> np.ndarray:
    """The film-like lightness evaluation gives a photo (colorizer.film), one draw seeded by its file name."""
    return film_lightness(rgb, np.random.default_rng(photo_seed(path)))


# --- The set -------------------------------------------------------------------------------------------

@dataclass
class Series:
    """One output (the baseline, or a model at one temperature) over every evaluated photo."""

    scores: list = field(default_factory=list)

    def pooled_hist(self) -> np.ndarray:
        # each photo's histogram normalised to total weight 1: every photo counts the same
        return sum(s.dense_hist / s.hist.sum() for s in self.scores)

    def per_image(self, cell_weights, truth_colourfulness) -> list:
        return [{"psnr": s.psnr, "ab_error": s.ab_error, "auc": auc_from_histogram(s.dense_hist),
                 "auc_rebalanced": auc_from_histogram(s.dense_hist, cell_weights),
                 "colourfulness": s.colourfulness, "colourfulness_ratio": colourfulness_ratio(s.colourfulness, c),
                 **hue_rates(s.hues), **self._hint_figures([s])}
                for s, c in zip(self.scores, truth_colourfulness)]

    @staticmethod
    def _hint_figures(scores) -> dict:
        """{"hint_ab_error_median": median over every hint of these scores}, or {} without hints."""
        errors = np.concatenate([s.hint_errors for s in scores])
        return {"hint_ab_error_median": float(np.median(errors))} if errors.size else {}

    def summary(self, cell_weights, truth_colourfulness) -> dict:
        hist = self.pooled_hist()
        outputs = [s.colourfulness for s in self.scores]
        return {"psnr": float(np.mean([s.psnr for s in self.scores])),
                "ab_error": float(np.mean([s.ab_error for s in self.scores])),
                "auc": auc_from_histogram(hist), "auc_rebalanced": auc_from_histogram(hist, cell_weights),
                "colourfulness": float(np.mean(outputs)),
                "colourfulness_ratio": colourfulness_ratio(outputs, truth_colourfulness),
                **hue_rates([s.hues for s in self.scores]), **self._hint_figures(self.scores)}


@dataclass
class ModelRun:
    label: str
    colorizer: Colorizer
    temperatures: list
    series: dict = field(default_factory=dict)  # temperature -> Series
    hints: int = None  # colour hints drawn from the truth per photo (None: no --hints given, i.e. none)

    def info(self) -> dict:
        card = self.colorizer.card
        return {"label": self.label, "id": card.get("id"), "name": card.get("name"), "path": card.get("path"),
                "default_temperature": self.colorizer.default_temperature, "temperatures": self.temperatures,
                "network_size": self.colorizer.size, "hints": self.hints, "lambda": card.get("lambda"),
                "training_steps": card.get("training", {}).get("steps")}


@dataclass
class Evaluation:
    """Everything evaluate() measured; summaries are computed from the kept per-photo histograms."""

    runs: list  # of ModelRun
    baseline: Series = field(default_factory=Series)
    images: list = field(default_factory=list)  # {"path", "height", "width", "truth_colourfulness"}
    skipped: list = field(default_factory=list)  # {"path", "error"}

    def cell_weights(self) -> np.ndarray:
        """1 / p of each true ab cell, p the mean over photos of their cell fractions."""
        return cell_rebalancing_weights(np.mean([s.cell_fractions() for s in self.baseline.scores], axis=0))

    def _truth_colourfulness(self) -> list:
        return [im["truth_colourfulness"] for im in self.images]

    def summaries(self) -> dict:
        """{label: {temperature or None: summary dict}} with the baseline under BASELINE."""
        if not self.images:
            return {}
        w, tc = self.cell_weights(), self._truth_colourfulness()
        out = {BASELINE: {None: self.baseline.summary(w, tc)}}
        for run in self.runs:
            out[run.label] = {t: run.series[t].summary(w, tc) for t in run.temperatures}
        return out

    def to_dict(self) -> dict:
        summaries = self.summaries()
        w, tc = (self.cell_weights(), self._truth_colourfulness()) if self.images else (None, [])
        per_image = [dict(im, baseline={}, models={r.label: {} for r in self.runs}) for im in self.images]
        if self.images:
            for row, figs in zip(per_image, self.baseline.per_image(w, tc)):
                row["baseline"] = figs
            for run in self.runs:
                for t in run.temperatures:
                    for row, figs in zip(per_image, run.series[t].per_image(w, tc)):
                        row["models"][run.label][f"{t:g}"] = figs
        return {
            "image_count": len(self.images),
            "skipped": self.skipped,
            "settings": {"resolution": "full", "auc_thresholds": [0, 150], "auc_rebalancing": "15x15 ab cells",
                         "weighting": "every photo counts equally", "psnr_cap_db": 100.0,
                         "hints": sorted({r.hints for r in self.runs if r.hints is not None}) or None,
                         "hint_seed": "zlib.crc32 of the photo's file name"},
            "truth": {"colourfulness": float(np.mean(tc)) if tc else None},
            "baseline": summaries.get(BASELINE, {}).get(None),
            "models": [dict(r.info(), results=[{"temperature": t, **summaries[r.label][t]} for t in r.temperatures]
                            if summaries else []) for r in self.runs],
            "per_image": per_image,
        }

    def table(self) -> str:
        """The summaries as a fixed-width text table."""
        hints = any(r.hints for r in self.runs)  # a column for the hints' ab error
        rows = [("output", "T", "PSNR dB", "ab err", "AuC %", "AuC rebal %", "colourful. ratio", "green->green %",
                 "blue->blue %") + (("hint ab err (median)",) if hints else ())]
        for label, by_t in self.summaries().items():
            for t, s in by_t.items():
                rows.append((label + (" (ab = 0)" if label == BASELINE else ""), "-" if t is None else f"{t:g}",
                             f"{s['psnr']:.2f}", f"{s['ab_error']:.2f}", f"{s['auc']:.2f}",
                             f"{s['auc_rebalanced']:.2f}",
                             f"{s['colourfulness_ratio']:.2f}", f"{s['green_as_green']:.1f}",
                             f"{s['blue_as_blue']:.1f}")
                            + ((f"{s['hint_ab_error_median']:.2f}" if "hint_ab_error_median" in s else "-",)
                               if hints else ()))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                 for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        return "\n".join(lines)


def unique_labels(colorizers) -> list:
    """Model ids, made unique (the same model given twice, or two files with the same name)."""
    labels = []
    for c in colorizers:
        base = str(c.card.get("id") or c.name)
        label, n = base, 1
        while label in labels:
            n += 1
            label = f"{base}#{n}"
        labels.append(label)
    return labels


def _report_skip(path, reason):
    print(f"skipped {path}: {reason}", file=sys.stderr)


def evaluate(paths, models, temperatures=None, size: int = 256, device="auto", previews=None,
             on_skip=_report_skip, progress=None, skip_dirs=(), upsampling: str = None, hints=None,
             gray: str = "lstar") -> Evaluation:
    """Evaluate models (Colorizer objects, names or .safetensors paths) on the photos under paths.

    temperatures: the T values to decode at (default: each model's card default). previews: a
    Previews object to fill for the figures. on_skip(path, reason) hears about every skipped file;
    progress wraps the list of files (e.g. tqdm). skip_dirs are not searched (the figures folder, if
    it lies inside the photo folder: its PNGs are no photos to evaluate). upsampling: 'guided' or
    'bilinear' for every model (default: each Colorizer's own, see colorizer.upsample). hints: numbers
    of colour hints N, each evaluated apart as the output "<model>, N hints" (HintError if N > 0 is
    asked of a model trained without hints). gray: the models' input, "lstar" (the photo's L*) or "film"
    (colorizer.film's film-like gray, seeded by the photo's name; the output keeps that lightness, so
    judge it by hue and colourfulness, not PSNR)."""
    if gray not in GRAYS:
        raise ValueError(f"gray {gray!r}: choose {' or '.join(GRAYS)}")
    colorizers = [m if isinstance(m, Colorizer) else Colorizer.load(m, device, size) for m in models]
    for c in colorizers if upsampling else ():
        c.upsampling = upsampling
    counts = list(dict.fromkeys(hints)) if hints else [None]  # None: no hint input, labels as before
    for c in colorizers:
        if any(counts) and not c.takes_hints:
            raise HintError(f"model {c.name!r} was trained without colour hints: evaluate --hints N > 0 needs "
                            "one that takes them")
    runs = [ModelRun(label if n is None else f"{label}, {n} hint{'s' * (n != 1)}", c,
                     list(temperatures) if temperatures else [c.default_temperature], hints=n)
            for label, c in zip(unique_labels(colorizers), colorizers) for n in counts]
    for run in runs:
        run.temperatures = list(dict.fromkeys(run.temperatures))  # a T given twice is decoded once
        run.series = {t: Series() for t in run.temperatures}
    ev = Evaluation(runs)
    files = find_images(paths, skip=skip_dirs)
    for path in progress(files) if progress else files:
        try:
            truth = Truth.from_rgb(load_rgb(path))
            L_in = film_gray(truth.rgb, path) if gray == "film" else None
            image = truth.rgb if L_in is None else gray_rgb(L_in)
            baseline, scores = score_baseline(truth, L_in), {}
            for run in runs:
                given = (hints_from_truth(truth.rgb, run.hints, photo_seed(path), run.colorizer.size)
                         if run.hints else [])
                prediction = run.colorizer.predict(image, given)  # once per photo, model and N
                for t in run.temperatures:
                    scores[run.label, t] = score_decode(prediction, t, truth, given, L_in)
                if previews is not None:
                    previews.add(len(ev.images), run.label, run.temperatures[0], prediction)
                del prediction  # only one full-size prediction alive at a time
        except (ImageError, OSError, RuntimeError, MemoryError) as e:  # unreadable, or too big for memory
            reason = e.reason if isinstance(e, ImageError) else f"{type(e).__name__}: {e}"
            ev.skipped.append({"path": str(path), "error": reason})
            on_skip(path, reason)
            continue
        # committed only once every output of the photo succeeded, so all series cover the same photos
        if previews is not None:
            previews.add_truth(len(ev.images), Path(path).name, truth)
        ev.baseline.scores.append(baseline)
        for (label, t), s in scores.items():
            next(r for r in runs if r.label == label).series[t].scores.append(s)
        h, w = truth.L.shape
        ev.images.append({"path": str(path), "height": h, "width": w,
                          "truth_colourfulness": truth.colourfulness})
        del truth
    return ev


# --- Output --------------------------------------------------------------------------------------------

def _finite(x):
    """JSON has no inf or nan: they become null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


def write_json(ev: Evaluation, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_finite(ev.to_dict()), indent=1, allow_nan=False))
    return path
