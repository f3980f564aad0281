#!/usr/bin/env python
"""Which colours decide a folder's rebalanced AuC: each true ab cell's own AuC, per model.

    .venv/bin/python scripts/research/rebalanced_cells.py ../shared/photos/val MODEL[@T] MODEL[@T] [--rows 15]

`colorizer evaluate`'s rebalanced AuC pools every photo's error histogram (each photo counting the same)
and weights each true ab cell by 1 / its share of the pixels, so that every occupied cell counts as much
as any other: the figure is the mean of the cells' own AuCs. On a folder of 30 photos a few dozen cells
are occupied, and the rarest come from one or two photos. This prints, for the cells where the first
two models differ most, the cell's ab centre, its share of the pixels, the photos most of its pixels
come from, and each model's AuC there. Model: a name from weights/ or a .safetensors path; @T a
temperature (default: the card's).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing

import numpy as np  # noqa: E402

from colorizer.bins import cell_centres  # noqa: E402
from colorizer.evaluation.evaluate import Series, Truth, score_baseline, score_decode  # noqa: E402
from colorizer.images import ImageError, find_images, load_rgb  # noqa: E402
from colorizer.evaluation.metrics import auc_from_histogram  # noqa: E402
from colorizer.pipeline import Colorizer  # noqa: E402


def cell_aucs(paths, models):
    """-> (fractions (photos, N_CELLS): each photo's share of pixels per true ab cell, the photos' names,
    per_cell (models, cells): each model's AuC on each occupied cell, the occupied cells)."""
    fractions, owners = [], []
    series = [Series() for _ in models]
    for path in paths:
        try:
            truth = Truth.from_rgb(load_rgb(path))
        except ImageError as e:
            print(f"skipped: {e}", file=sys.stderr)
            continue
        fractions.append(score_baseline(truth).cell_fractions())
        owners.append(Path(path).name)
        for one, (c, t) in zip(series, models):
            one.scores.append(score_decode(c.predict(truth.rgb), t, truth))
    fractions = np.array(fractions)
    cells = np.flatnonzero(fractions.mean(axis=0))
    hists = [one.pooled_hist() for one in series]  # every photo counting the same, as colorizer evaluate pools
    per_cell = np.array([[auc_from_histogram(h[c:c + 1]) for c in cells] for h in hists])
    return fractions, owners, per_cell, cells


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("models", nargs="+", help="MODEL or MODEL@T")
    ap.add_argument("--rows", type=int, default=15, help="cells shown where the first two models differ most")
    ap.add_argument("--device", default="onnx")
    a = ap.parse_args()
    models = []
    for spec in a.models:
        name, _, t = spec.partition("@")
        c = Colorizer.load(name, device=a.device)
        models.append((Path(name).stem, c, float(t) if t else c.default_temperature))
    fractions, owners, per_cell, cells = cell_aucs(find_images([a.folder]), [(c, t) for _, c, t in models])
    share = fractions.mean(axis=0)
    print(f"{len(owners)} photos, {len(cells)} occupied ab cells; rebalanced AuC = the mean of the cells' AuCs:")
    print("  " + "  ".join(f"{n}@{t:g} {v:.2f}" for (n, _, t), v in zip(models, per_cell.mean(axis=1))))
    # cells that one photo owns (over half of the cell's pixels, photos counting the same): how much of
    # the figure that photo decides
    owner = fractions[:, cells].argmax(axis=0)
    owned = fractions[owner, cells] / fractions[:, cells].sum(axis=0) > 0.5
    for i in np.unique(owner[owned]):
        mine = owned & (owner == i)
        if mine.sum() >= 3:
            rest = ~mine
            print(f"  {mine.sum()} cells owned by {owners[i]}: " + "  ".join(
                f"{n} {v[mine].mean():.1f} (the other {rest.sum()}: {v[rest].mean():.1f})"
                for (n, _, _), v in zip(models, per_cell)))
    order = np.argsort(per_cell[1] - per_cell[0]) if len(models) > 1 else np.argsort(per_cell[0])
    centres = cell_centres()
    print(f"{'a':>5} {'b':>5} {'share %':>8}  " + " ".join(f"{n[:12]:>12}" for n, _, _ in models) + "  mostly from")
    for j in order[:a.rows]:
        c = cells[j]
        top = np.argsort(fractions[:, c])[::-1][:2]
        total = fractions[:, c].sum()
        whose = ", ".join(f"{owners[i]} ({fractions[i, c] / total:.0%})" for i in top if fractions[i, c] > 0)
        print(f"{centres[c][0]:5.0f} {centres[c][1]:5.0f} {100 * share[c]:8.4f}  "
              + " ".join(f"{v:12.1f}" for v in per_cell[:, j]) + f"  {whose}")


if __name__ == "__main__":
    main()
