"""How colourful are the crops that training draws? Pixels by chroma under several sampling settings
(--folder-weights, --chroma-bias), from the photo cache's ab histograms, against validation folders
counted the same way (every photo weighing the same). No training: it says what the draw contains,
not what a model learns from it.

    python scripts/research/sampling_chroma.py --data ../shared/photos/train --data ../shared/photos/scenes \
        --val ../shared/photos/val --val ../shared/photos/val-scenes
"""
import argparse

import numpy as np

from colorizer.bins import cell_centres
from colorizer.training.data import load_photos, mixed_cell_counts, sampling_weights

# (folder shares or None for one share per photo, chroma bias); shares are for two training folders
SETTINGS = [(None, 0.0), ([0.25, 0.75], 0.0), ([0.25, 0.75], 1.0), ([0.25, 0.75], 2.0), ([0.5, 0.5], 1.0),
            ([1.0, 0.0], 0.0)]


def chroma_shares(counts: np.ndarray, low: float = 10.0, high: float = 30.0):
    """% of pixels with chroma below low and above high (to within an ab cell)."""
    chroma = np.hypot(*cell_centres().T)
    p = counts / counts.sum()
    return 100 * p[chroma < low].sum(), 100 * p[chroma > high].sum()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", action="append", required=True, help="training folder (two for the settings)")
    p.add_argument("--val", action="append", default=[], help="validation folder to compare with")
    p.add_argument("--photo-side", type=int, default=384)
    a = p.parse_args()
    train = load_photos(a.data, a.photo_side, None)  # None: the default photo cache
    print(f"{'draw':44s} {'chroma < 10':>12s} {'chroma > 30':>12s}")
    for shares, bias in SETTINGS:
        if shares is not None and len(shares) != len(a.data):
            continue
        name = ("uniform over photos" if shares is None else "folders " + " / ".join(f"{s:g}" for s in shares)) + \
            (f", chroma bias {bias:g}" if bias else "")
        low, high = chroma_shares(mixed_cell_counts(train, sampling_weights(train, shares, bias)))
        print(f"{name:44s} {low:11.1f} % {high:11.1f} %")
    for folder in a.val:
        photos = load_photos([folder], a.photo_side, "")
        low, high = chroma_shares(mixed_cell_counts(photos, sampling_weights(photos, [1.0])))
        print(f"{folder + f' ({len(photos)} photos)':44s} {low:11.1f} % {high:11.1f} %")


if __name__ == "__main__":
    main()
