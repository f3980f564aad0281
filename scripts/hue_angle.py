"""Hue agreement by angle, a check closer to how a person judges colour than the green / blue counts of
`colorizer evaluate`: of the truth's clearly coloured pixels (chroma >= 15), the share a model shows within
30 degrees of their hue, and the share it shows more than 90 degrees off (both only where the output has
chroma >= 5: a grey answer is neither). A mean over the photos with at least 1 % such pixels, each model at
its card's T. The measure is colorizer.evaluation.metrics.hue_agreement. Beside it, the warm cast
(metrics.warm_cast): of the truth's near-neutral pixels (chroma < 8), the share painted warm (b* > 10),
the orange wash over people and streets, a mean over the photos with at least 1 % such pixels.

    python scripts/hue_angle.py ../shared/photos/val weights/natural.safetensors weights/vivid.safetensors

--gray film gives the models the film-like gray of `colorizer evaluate --gray film` (the same seeded draw
per photo) instead of the photo's L*.
"""
import argparse

import numpy as np

from colorizer import Colorizer
from colorizer.color import rgb_to_lab
from colorizer.evaluation.evaluate import GRAYS, film_gray, gray_rgb
from colorizer.images import find_images, load_rgb
from colorizer.evaluation.metrics import hue_agreement, warm_cast


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--gray", choices=GRAYS, default="lstar", help="the models' input (default: the photo's L*)")
    args = ap.parse_args()
    paths = find_images([args.folder])
    for name in args.models:
        model = Colorizer.load(name, device="onnx")
        scores, warm = [], []
        for path in paths:
            rgb = load_rgb(path)
            given = rgb if args.gray == "lstar" else gray_rgb(film_gray(rgb, path))
            ab, truth = model.predict(given).ab(model.default_temperature), rgb_to_lab(rgb)[..., 1:]
            s, w = hue_agreement(ab, truth), warm_cast(ab, truth)
            if s is not None:
                scores.append(s)
            if w is not None:
                warm.append(w)
        right, wrong = np.mean(scores, axis=0)
        print(f"{name} (T {model.default_temperature}, {args.gray}): {len(scores)} photos, right hue {right:.1f} %, "
              f"more than 90 degrees off {wrong:.1f} %; warm cast {np.mean(warm):.1f} % ({len(warm)} photos)")


if __name__ == "__main__":
    main()
