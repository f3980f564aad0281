"""colorizer.evaluation.metrics.hue_agreement and warm_cast (scripts/hue_angle.py's measures) on made-up ab
planes: hue agreement by angle, and warm output on a neutral truth."""
import numpy as np
import pytest

from colorizer.evaluation.metrics import hue_agreement, warm_cast


def ab_at(hue_deg: float, chroma: float, shape=(8, 8)) -> np.ndarray:
    h = np.deg2rad(hue_deg)
    return np.broadcast_to([chroma * np.cos(h), chroma * np.sin(h)], shape + (2,)).astype(np.float64)


@pytest.mark.parametrize("turn, right, wrong", [(0, 100, 0), (25, 100, 0), (-25, 100, 0), (60, 0, 0),
                                                (120, 0, 100), (180, 0, 100), (-170, 0, 100)])
def test_right_within_30_degrees_wrong_beyond_90(turn, right, wrong):
    # a truth hue near the -180/180 seam too: the difference must wrap around
    for truth_hue in (100.0, 175.0):
        got = hue_agreement(ab_at(truth_hue + turn, 20), ab_at(truth_hue, 30))
        assert got == pytest.approx((right, wrong))


def test_grey_answers_and_grey_truths():
    assert hue_agreement(ab_at(100, 2), ab_at(100, 30)) == (0.0, 0.0)  # output too grey to count
    assert hue_agreement(ab_at(100, 20), ab_at(100, 10)) is None  # no clearly coloured truth
    truth = ab_at(100, 30).copy()
    truth[:4] = 0  # half the truth grey: only the coloured half counts
    assert hue_agreement(ab_at(100, 20), truth) == pytest.approx((100.0, 0.0))


def test_warm_cast_counts_warm_output_on_neutral_truth():
    truth = ab_at(0, 0).copy()
    truth[:2] = ab_at(90, 40)[:2]  # a quarter of the truth is itself yellow: not counted
    pred = ab_at(0, 0).copy()
    pred[2:5] = [0.0, 25.0]  # 3 of the 6 neutral rows painted warm
    pred[5, :, 1] = 9.0  # just below the line
    assert warm_cast(pred, truth) == pytest.approx(50.0)
    assert warm_cast(ab_at(90, 30), ab_at(90, 40)) is None  # no neutral truth
    assert warm_cast(ab_at(-90, 30), ab_at(0, 0)) == 0.0  # a blue cast is not a warm one
