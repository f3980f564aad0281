"""scripts/hue_angle.py and scripts/hue_by_scene.py: hue agreement by angle on made-up ab planes, and the
per-scene table on photos named like the Intel scene set's, colorized by a shipped model."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synthetic import landscape

SCRIPTS = Path(__file__).parents[1] / "scripts"
spec = importlib.util.spec_from_file_location("hue_angle", SCRIPTS / "hue_angle.py")
hue_angle = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hue_angle)


def ab_at(hue_deg: float, chroma: float, shape=(8, 8)) -> np.ndarray:
    h = np.deg2rad(hue_deg)
    return np.broadcast_to([chroma * np.cos(h), chroma * np.sin(h)], shape + (2,)).astype(np.float64)


@pytest.mark.parametrize("turn, right, wrong", [(0, 100, 0), (25, 100, 0), (-25, 100, 0), (60, 0, 0),
                                                (120, 0, 100), (180, 0, 100), (-170, 0, 100)])
def test_right_within_30_degrees_wrong_beyond_90(turn, right, wrong):
    # a truth hue near the -180/180 seam too: the difference must wrap around
    for truth_hue in (100.0, 175.0):
        got = hue_angle.hue_agreement(ab_at(truth_hue + turn, 20), ab_at(truth_hue, 30))
        assert got == pytest.approx((right, wrong))


def test_grey_answers_and_grey_truths():
    assert hue_angle.hue_agreement(ab_at(100, 2), ab_at(100, 30)) == (0.0, 0.0)  # output too grey to count
    assert hue_angle.hue_agreement(ab_at(100, 20), ab_at(100, 10)) is None  # no clearly coloured truth
    truth = ab_at(100, 30).copy()
    truth[:4] = 0  # half the truth grey: only the coloured half counts
    assert hue_angle.hue_agreement(ab_at(100, 20), truth) == pytest.approx((100.0, 0.0))


def test_scene_table_names_each_class(tmp_path):
    for i, cls in enumerate(["forest", "forest", "sea"]):
        Image.fromarray(landscape(48, 64, seed=i)).save(tmp_path / f"intel__dataset__seg_test__{cls}__{i}.jpg")
    out = subprocess.run([sys.executable, str(SCRIPTS / "hue_by_scene.py"), "natural", str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    assert "| forest (2) |" in out and "| sea (1) |" in out
