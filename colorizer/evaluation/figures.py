"""Plots of a model's classes and of training runs (PNG, matplotlib's Agg renderer).

    colorizer figures --model base --out figs [--runs runs/base runs/lambda05]

From the model card's "bins" (no weights are loaded):
- palette.png: each class's centre colour at L = 50 in the 15x15 ab grid (unoccupied cells blank);
- prior.png: the empirical distribution p of the training pixels over the grid, log scale;
- rebalancing_weights.png: Zhang et al.'s w = ((1 - lambda) p + lambda / Q)^-1 for several lambda,
  normalised so that the p-weighted mean of w is 1.
From each run's metrics.csv (--runs): training_curves.png, the smoothed training loss and every val_*
column against the step, or (--x) against the crops seen (runs with different batch sizes) or the
minutes of training (runs with different costs per step).
"""
import csv
import json
import sys
from pathlib import Path

import numpy as np

from ..bins import AB_MAX, AB_MIN, GRID, N_CELLS, ABBins, rebalance_weights
from ..color import lab_to_rgb
from ..weights import read_card, resolve

LAMBDAS = (0.0, 0.5, 0.8, 1.0)
AB_EXTENT = (AB_MIN, AB_MAX, AB_MIN, AB_MAX)  # imshow extent: x = b, y = a, in Lab units
VAL_UNITS = {"val_loss": "cross-entropy", "val_psnr": "PSNR (dB)", "val_ab_err": "ab error (Lab units)",
             "val_auc": "AuC (%)", "val_auc_rebal": "rebalanced AuC (%)",
             "val_colourfulness": "colourfulness / truth"}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # the object API renders with Agg and touches no global state
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def model_bins(name_or_path) -> tuple:
    """-> (ABBins, card) of a model, read from its card alone."""
    card = read_card(resolve(name_or_path))
    return ABBins.from_dict(card["bins"]), card


def on_grid(bins: ABBins, per_class: np.ndarray) -> np.ndarray:
    """Per-class values (Q, ...) -> a (GRID, GRID, ...) array over the ab grid, NaN where unoccupied.
    Row = a cell, column = b cell (the order of bins.cell_of), so imshow(origin='lower') puts a upwards."""
    per_class = np.asarray(per_class, dtype=np.float64)
    grid = np.full((N_CELLS,) + per_class.shape[1:], np.nan)
    grid[bins.cells] = per_class
    return grid.reshape((GRID, GRID) + per_class.shape[1:])


def _ab_axes(ax, title: str) -> None:
    ax.set_xlabel("b (Lab units)")
    ax.set_ylabel("a (Lab units)")
    ax.set_title(title, fontsize=9)
    ticks = np.arange(-120, 121, 40)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.axhline(0, color="0.6", lw=0.5)
    ax.axvline(0, color="0.6", lw=0.5)


def class_palette(bins: ABBins, L: float = 50.0) -> np.ndarray:
    """(GRID, GRID, 4) RGBA in [0, 1]: each class's centre colour at lightness L, transparent where no
    class is. Centres outside the sRGB gamut at this L are shown clipped, as the decoder would."""
    lab = np.concatenate([np.full((bins.Q, 1), L, np.float32), bins.centres], axis=1)
    rgb = lab_to_rgb(lab[None])[0] / 255.0
    grid = on_grid(bins, np.concatenate([rgb, np.ones((bins.Q, 1))], axis=1))
    return np.nan_to_num(grid, nan=0.0)


def plot_palette(bins: ABBins, path, L: float = 50.0) -> Path:
    fig = _figure(5, 4.6)
    ax = fig.subplots()
    ax.imshow(class_palette(bins, L), origin="lower", extent=AB_EXTENT, interpolation="nearest")
    _ab_axes(ax, f"{bins.Q} classes: centre colours at L = {L:g}")
    fig.savefig(path)
    return Path(path)


def plot_prior(bins: ABBins, path) -> Path:
    from matplotlib.colors import LogNorm
    fig = _figure(5.6, 4.6)
    ax = fig.subplots()
    im = ax.imshow(on_grid(bins, bins.prior), origin="lower", extent=AB_EXTENT, interpolation="nearest",
                   norm=LogNorm(), cmap="viridis")
    fig.colorbar(im, ax=ax, label="p (log scale)")
    _ab_axes(ax, "empirical distribution p of the training pixels over ab")
    fig.savefig(path)
    return Path(path)


def plot_weights(bins: ABBins, path, lambdas=LAMBDAS) -> Path:
    """One panel per lambda, on a shared log colour scale so the panels compare."""
    from matplotlib.colors import LogNorm
    weights = [rebalance_weights(bins.prior, lam) for lam in lambdas]
    norm = LogNorm(vmin=min(w.min() for w in weights), vmax=max(w.max() for w in weights))
    fig = _figure(3.3 * len(lambdas) + 0.8, 3.6)
    axes = fig.subplots(1, len(lambdas), squeeze=False)[0]
    for ax, lam, w in zip(axes, lambdas, weights):
        im = ax.imshow(on_grid(bins, w), origin="lower", extent=AB_EXTENT, interpolation="nearest", norm=norm,
                       cmap="magma")
        note = " (w = 1/p)" if lam == 0 else " (no rebalancing)" if lam == 1 else ""
        _ab_axes(ax, f"lambda = {lam:g}{note}\nw from {w.min():.2g} to {w.max():.3g}")
    fig.colorbar(im, ax=list(axes), label="w (log scale; p-weighted mean 1)")
    fig.savefig(path)
    return Path(path)


def write_model_figures(name_or_path, out_dir, lambdas=LAMBDAS) -> list:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bins, _ = model_bins(name_or_path)
    return [plot_palette(bins, out / "palette.png"), plot_prior(bins, out / "prior.png"),
            plot_weights(bins, out / "rebalancing_weights.png", lambdas)]


# --- Training runs -------------------------------------------------------------------------------------

def read_metrics(run_dir) -> dict:
    """metrics.csv -> {column: (steps, values)} for every numeric column with values. A resumed run may
    log a step twice (the steps after its last checkpoint run again): the later row wins."""
    rows = {}
    with open(Path(run_dir) / "metrics.csv", newline="") as f:
        for row in csv.DictReader(f):
            try:
                rows[int(row["step"])] = row
            except (KeyError, TypeError, ValueError):
                continue  # a torn last line of a run that was killed mid-write
    series = {}
    for step in sorted(rows):
        for key, value in rows[step].items():
            if key in (None, "step") or value in (None, ""):
                continue
            try:
                series.setdefault(key, ([], []))
                series[key][0].append(step)
                series[key][1].append(float(value))
            except ValueError:
                continue
    return {k: (np.array(s), np.array(v)) for k, (s, v) in series.items() if len(v)}


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over `window` values (fewer at the start), so the curve starts at the first
    step and lags no more than the window."""
    window = max(1, min(window, len(values)))
    c = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    i = np.arange(1, len(values) + 1)
    lo = np.maximum(0, i - window)
    return (c[i] - c[lo]) / (i - lo)


def _run_labels(runs) -> list:
    names = [Path(r).resolve().name for r in runs]
    # two runs named alike (a/base, b/base) are told apart by their parent folder
    return [f"{Path(r).resolve().parent.name}/{n}" if names.count(n) > 1 else n for r, n in zip(runs, names)]


X_AXES = {"step": "step", "crops": "crops seen (thousands)", "minutes": "training time (min)"}


def x_values(run_dir, metrics: dict, x: str, crops_before: int = 0):
    """A function step -> x for one run: the step itself, crops seen (crops_before + step x batch x
    processes, from the run's config.json) or minutes (the run's logged elapsed_s, validation and
    checkpoints included)."""
    if x == "step":
        return lambda steps: steps
    if x == "crops":
        cfg = json.loads((Path(run_dir) / "config.json").read_text())
        per_step = cfg["batch"] * cfg.get("processes", 1)
        return lambda steps: (crops_before + steps * per_step) / 1000
    if x == "minutes":
        if "elapsed_s" not in metrics:
            raise ValueError("its metrics.csv has no elapsed_s column")
        logged_steps, elapsed = metrics["elapsed_s"]
        return lambda steps: np.interp(steps, logged_steps, elapsed) / 60
    raise ValueError(f"x must be one of {', '.join(X_AXES)}, not {x!r}")


def panel_of(column: str) -> tuple:
    """A metrics.csv column -> (its panel, its val folder): "val_psnr" -> ("val_psnr", None), and a
    column of a folder logged apart (train --val-each), "val-broad.psnr" -> ("val_psnr", "val-broad")."""
    if "." in column:
        folder, metric = column.split(".", 1)
        return f"val_{metric}", folder
    return column, None


def write_training_curves(runs, out_dir, smooth_frac: float = 0.02, x: str = "step",
                          name: str = "training_curves.png", crops_before: int = 0) -> Path:
    """`name` (a PNG): loss (raw, faint; smoothed over ~2% of the steps) and every val_* column, against
    the step, the crops seen (from crops_before on) or the minutes of training (`x`)."""
    if x not in X_AXES:
        raise ValueError(f"x must be one of {', '.join(X_AXES)}, not {x!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = []
    for run, label in zip(runs, _run_labels(runs)):
        try:
            metrics = read_metrics(run)
            data.append((label, metrics, x_values(run, metrics, x, crops_before)))
        except (OSError, KeyError, ValueError) as e:
            print(f"skipping run {run}: {e}", file=sys.stderr)
    val_cols = sorted({panel_of(c)[0] for _, d, _ in data for c in d if panel_of(c)[0].startswith("val_")},
                      key=lambda c: list(VAL_UNITS).index(c) if c in VAL_UNITS else len(VAL_UNITS))
    panels = ["loss"] + val_cols
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig = _figure(4.2 * ncols, 3.2 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True).ravel()  # steps line up across panels
    lines = []  # (label, metrics, x, folder): a run that logged its val folders apart draws one line per folder
    for label, d, to_x in data:
        folders = sorted({panel_of(c)[1] for c in d if panel_of(c)[1]})
        lines += [(label, d, to_x, "" if folders else None)] + [(label, d, to_x, f) for f in folders]
    colours = [f"C{i % 10}" for i in range(len(lines))]
    for ax, col in zip(axes, panels):
        for (label, d, to_x, folder), colour in zip(lines, colours):
            key = col if not folder else f"{folder}.{col[len('val_'):]}"
            if key not in d:
                continue
            steps, values = d[key]
            steps = to_x(steps)
            if col == "loss":
                ax.plot(steps, values, color=colour, alpha=0.2, lw=0.6)
                values = smooth(values, round(smooth_frac * len(values)))
            # folder "" : its val_* columns, which are the first --val folder's (val/ in our runs)
            named = folder if folder else "val" if folder == "" and col != "loss" else None
            ax.plot(steps, values, color=colour, lw=1.2, marker="o" if col != "loss" else None, ms=2.5,
                    label=label if named is None else f"{label}: {named}")
        ax.set_xlabel(X_AXES[x])
        ax.tick_params(labelbottom=True)  # sharex hides them above a blank panel
        ax.set_ylabel("training loss (smoothed)" if col == "loss" else VAL_UNITS.get(col, col))
        ax.set_title(col, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    if data:
        axes[0].legend(fontsize=7)
        if any(folder for *_, folder in lines) and len(panels) > 1:  # the folders' lines are named on a val panel
            axes[1].legend(fontsize=7)
    path = out / name
    fig.savefig(path)
    return path
