"""Hue agreement by angle, a check closer to how a person judges colour than issue 13's green / blue
counts: of the truth's clearly coloured pixels (chroma >= 15), the share a model shows within 30 degrees
of their hue, and the share it shows more than 90 degrees off (both only where the output has chroma
>= 5: a grey answer is neither). A mean over the photos with at least 1 % such pixels, each model at its
card's T. Written by hand: no library measures it.

    python scripts/hue_angle.py ../shared/photos/val weights/natural.safetensors weights/vivid.safetensors
"""
import argparse

import numpy as np

from colorizer import Colorizer
from colorizer.color import rgb_to_lab
from colorizer.images import find_images, load_rgb
from colorizer.metrics import HUE_MIN_SHARE

TRUTH_CHROMA, OUTPUT_CHROMA = 15.0, 5.0
RIGHT, WRONG = np.pi / 6, np.pi / 2


def hue_agreement(ab_pred: np.ndarray, ab_true: np.ndarray):
    """-> (% right, % wrong) over the clearly coloured truth pixels, or None if under 1 % of them."""
    coloured = np.hypot(ab_true[..., 0], ab_true[..., 1]) >= TRUTH_CHROMA
    if coloured.sum() < HUE_MIN_SHARE * coloured.size:
        return None
    pred, true = ab_pred[coloured], ab_true[coloured]
    off = np.abs(np.angle(np.exp(1j * (np.arctan2(pred[:, 1], pred[:, 0]) - np.arctan2(true[:, 1], true[:, 0])))))
    shown = np.hypot(pred[:, 0], pred[:, 1]) >= OUTPUT_CHROMA
    return 100.0 * (shown & (off <= RIGHT)).mean(), 100.0 * (shown & (off > WRONG)).mean()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    paths = find_images([args.folder])
    for name in args.models:
        model = Colorizer.load(name, device="numpy")
        scores = []
        for path in paths:
            rgb = load_rgb(path)
            s = hue_agreement(model.predict(rgb).ab(model.default_temperature), rgb_to_lab(rgb)[..., 1:])
            if s is not None:
                scores.append(s)
        right, wrong = np.mean(scores, axis=0)
        print(f"{name} (T {model.default_temperature}): {len(scores)} photos, right hue {right:.1f} %, "
              f"more than 90 degrees off {wrong:.1f} %")


if __name__ == "__main__":
    main()
