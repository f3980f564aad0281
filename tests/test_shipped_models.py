"""The three models in weights/ put plausible colour on a real landscape that a package ships:
scikit-learn's sample photo china.jpg (a pagoda over a lake: blue sky top right, green trees at the
bottom). The model sees only its lightness. Note: that photo is one of the 433 training photos (the
training set includes the sample photos of PyPI packages); the check is plausibility, not generalisation.
"""
from pathlib import Path

import numpy as np
import pytest

from colorizer import Colorizer, list_models
from colorizer.color import rgb_to_lab

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
SHIPPED = ["natural", "balanced", "vivid"]
SKY = (slice(0, 100), slice(380, 640))  # rows, columns of china.jpg (427 x 640)
TREES = (slice(340, 427), slice(0, 200))


@pytest.fixture(scope="module")
def china():
    from sklearn.datasets import load_sample_image
    return load_sample_image("china.jpg")


def test_three_models_ship_with_cards():
    cards = {c["id"]: c for c in list_models(WEIGHTS)}
    assert sorted(cards) == sorted(SHIPPED)
    for c in cards.values():
        assert c["name"] and c["description"] and 0 < c["default_temperature"] <= 1
        assert Path(c["path"]).stat().st_size < 8_000_000  # fp16, a few MB


def colorize_print(name, china):
    """A black-and-white print of the photo, colorized at the card's default T -> Lab (H, W, 3)."""
    model = Colorizer.load(WEIGHTS / f"{name}.safetensors", device="cpu")
    gray = np.repeat(np.round(china.mean(-1))[..., None], 3, -1).astype(np.uint8)
    lab = rgb_to_lab(model.colorize(gray))
    assert lab.shape == china.shape
    assert np.abs(lab[..., 0] - rgb_to_lab(gray)[..., 0]).mean() < 1.5, "lightness changed"
    return lab


@pytest.mark.parametrize("name", SHIPPED)
def test_model_puts_colour_on_a_photo_and_comes_closer_to_it_than_gray(name, china):
    lab = colorize_print(name, china)
    assert np.hypot(lab[..., 1], lab[..., 2]).mean() > 3, "output is nearly gray"
    truth = rgb_to_lab(china)[..., 1:]
    model_error = np.linalg.norm(lab[..., 1:] - truth, axis=-1).mean()
    assert model_error < np.linalg.norm(truth, axis=-1).mean()  # the gray print's error


# The models of the scene set (session 9, and session 14's soups) get the trees green (a* -7 to -10 at
# their default T) but all three leave this pale, hazy sky gray (b* -0.4 to -1.1; the test asks for
# below -2). Session 5's Vivid, trained on train/ alone, had it blue (-2.8); at their default T it was
# worse in PSNR, rebalanced AuC and hue agreement on both val folders (docs/models.md). strict: once a
# model passes, its marker must go.
HAZY_SKY_GRAY = pytest.mark.xfail(strict=True, reason="hazy sky left gray (see docs/models.md)")


@pytest.mark.parametrize("name", [pytest.param(name, marks=HAZY_SKY_GRAY) for name in SHIPPED])
def test_model_colours_sky_blue_and_trees_green(name, china):
    lab = colorize_print(name, china)
    a, b = lab[..., 1], lab[..., 2]
    assert b[SKY].mean() < -2, "sky not blue"
    assert a[TREES].mean() < -2, "trees not green"
    # where the scene has colour, closer to the true colours than the gray baseline
    truth = rgb_to_lab(china)[..., 1:]
    for region in (SKY, TREES):
        model_error = np.linalg.norm(lab[..., 1:][region] - truth[region], axis=-1).mean()
        gray_error = np.linalg.norm(truth[region], axis=-1).mean()
        assert model_error < gray_error
