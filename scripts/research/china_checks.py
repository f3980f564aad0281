#!/usr/bin/env python
"""The checks of tests/test_shipped_models.py as figures, for any model: on a gray print of scikit-learn's
china.jpg, the hazy sky's mean b* (the test asks below -2), the trees' mean a* (below -2), and how far a
blue click on the trees (a hint the model would not guess) moves the colour around it toward the hint's.

    .venv/bin/python scripts/research/china_checks.py natural balanced runs/some/weights.safetensors@0.6

"of the way": the projection of the colour's move within 12 px of the click onto the line from the
automatic colour to the hint's ab (0 = ignored, 1 = all the way); "hue off": the angle between the hinted
colour's hue and the hint's (the test asks under 30 degrees, with chroma >= 10). Model: a name from
weights/ or a .safetensors path; @T a temperature (default: the card's).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing

import numpy as np  # noqa: E402

from colorizer import Colorizer, Hint  # noqa: E402
from colorizer.color import rgb_to_lab  # noqa: E402

# china.jpg's regions and the click, the same as tests/test_shipped_models.py's
SKY = (slice(0, 100), slice(380, 640))  # rows, columns of china.jpg (427 x 640)
TREES = (slice(340, 427), slice(0, 200))
CLICK = (100, 385, "#3a5fcd")  # a blue click on the trees: nothing in them is blue


def gray_print(rgb: np.ndarray) -> np.ndarray:
    """A black-and-white print of the photo: the mean of its channels, in three equal channels."""
    return np.repeat(np.round(rgb.mean(-1))[..., None], 3, -1).astype(np.uint8)


def around(lab: np.ndarray, x: int, y: int, r: int = 12) -> np.ndarray:
    """The mean ab within r px of (x, y)."""
    return lab[y - r:y + r, x - r:x + r, 1:].reshape(-1, 2).mean(axis=0)


def hue(ab) -> float:
    return float(np.degrees(np.arctan2(ab[1], ab[0])))


def checks(model: Colorizer, t: float, gray: np.ndarray) -> dict:
    x, y, colour = CLICK
    hint = Hint(x, y, colour)
    auto = rgb_to_lab(model.predict(gray).decode(t))
    hinted = rgb_to_lab(model.predict(gray, hints=[hint]).decode(t))
    before, after = around(auto, x, y), around(hinted, x, y)
    goal = np.asarray(hint.ab, np.float64) - before
    return {"sky_b": float(auto[SKY][..., 2].mean()), "trees_a": float(auto[TREES][..., 1].mean()),
            "of_the_way": float(np.dot(after - before, goal) / np.dot(goal, goal)),
            "hue_off": abs((hue(after) - hue(hint.ab) + 180) % 360 - 180), "chroma": float(np.hypot(*after))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="MODEL or MODEL@T")
    ap.add_argument("--device", default="onnx")
    a = ap.parse_args()
    from sklearn.datasets import load_sample_image  # the test extra's; the photo ships with scikit-learn
    china = load_sample_image("china.jpg")
    gray = gray_print(china)
    for spec in a.models:
        name, _, t = spec.partition("@")
        model = Colorizer.load(name, device=a.device)
        t = float(t) if t else model.default_temperature
        c = checks(model, t, gray)
        print(f"{Path(name).stem} (T {t:g}): sky b* {c['sky_b']:.2f}, trees a* {c['trees_a']:.2f}; blue click on "
              f"the trees: {c['of_the_way']:.2f} of the way, hue off {c['hue_off']:.0f} degrees, "
              f"chroma {c['chroma']:.1f}")


if __name__ == "__main__":
    main()
