"""Hue agreement by angle, a check closer to how a person judges colour than the green / blue counts of
`colorizer evaluate`: of the truth's clearly coloured pixels (chroma >= 15), the share a model shows within
30 degrees of their hue, and the share it shows more than 90 degrees off (both only where the output has
chroma >= 5: a grey answer is neither). A mean over the photos with at least 1 % such pixels, each model at
its card's T. The measure is colorizer.evaluation.metrics.hue_agreement. Beside it, the warm cast
(metrics.warm_cast): of the truth's near-neutral pixels (chroma < 8), the share painted warm (b* > 10),
the orange wash over people and streets, a mean over the photos with at least 1 % such pixels.

    python scripts/hue_angle.py ../shared/photos/val weights/natural.safetensors weights/vivid.safetensors

--temperature T [T ...] scores each model at those T instead of its card's (one network pass a photo), to
compare models at equal colourfulness; the line gives colourfulness as `colorizer evaluate` does (the
outputs' mean over the truths').

--gray film gives the models the film-like gray of `colorizer evaluate --gray film` (the same seeded draw
per photo) instead of the photo's L*.
"""
import argparse

import numpy as np

from colorizer import Colorizer
from colorizer.pipeline import lab_to_rgb8
from colorizer.color import rgb_to_lab
from colorizer.evaluation.evaluate import GRAYS, film_gray, gray_rgb
from colorizer.images import find_images, load_rgb
from colorizer.evaluation.metrics import colourfulness, colourfulness_ratio, hue_agreement, warm_cast


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--gray", choices=GRAYS, default="lstar", help="the models' input (default: the photo's L*)")
    ap.add_argument("--temperature", type=float, nargs="+", metavar="T",
                    help="score at these T instead of each model's card default")
    args = ap.parse_args()
    paths = find_images([args.folder])
    for name in args.models:
        model = Colorizer.load(name, device="onnx")
        temps = args.temperature or [model.default_temperature]
        scores, warm, colour = ({t: [] for t in temps} for _ in range(3))
        truth_colour = []
        for path in paths:
            rgb = load_rgb(path)
            given = rgb if args.gray == "lstar" else gray_rgb(film_gray(rgb, path))
            prediction, truth = model.predict(given), rgb_to_lab(rgb)[..., 1:]
            truth_colour.append(colourfulness(rgb))
            for t in temps:
                ab = prediction.ab(t)
                s, w = hue_agreement(ab, truth), warm_cast(ab, truth)
                if s is not None:
                    scores[t].append(s)
                if w is not None:
                    warm[t].append(w)
                colour[t].append(colourfulness(lab_to_rgb8(prediction.L, ab[..., 0], ab[..., 1])))
        for t in temps:
            right, wrong = np.mean(scores[t], axis=0)
            print(f"{name} (T {t:g}, {args.gray}): {len(scores[t])} photos, right hue {right:.1f} %, "
                  f"more than 90 degrees off {wrong:.1f} %; warm cast {np.mean(warm[t]):.1f} % ({len(warm[t])} "
                  f"photos); colourfulness {colourfulness_ratio(colour[t], truth_colour):.2f}")


if __name__ == "__main__":
    main()
