"""Training's recoloured hints (colorizer.hints.recolor_family, simulate_hints(recolor=...)): a hint's hue
family turned to another hue in the truth itself, so that hints and targets agree."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from colorizer.hints import HINT_AB_SCALE, recolor_family, simulate_hints  # noqa: E402


def hue(a, b):
    return math.degrees(math.atan2(b, a)) % 360


def test_recolor_turns_the_family_only():
    ab = torch.zeros(2, 4, 4)
    ab[:, 0, :] = torch.tensor([-30.0, 30.0])[:, None]  # green-ish row: hue 135
    ab[:, 1, :] = torch.tensor([-10.0, -40.0])[:, None]  # blue row: hue about 256, 121 degrees away
    ab[:, 2, :] = torch.tensor([-29.0, 34.0])[:, None]  # a near green: hue about 130
    # row 3 stays grey
    out = recolor_family(ab, [-30.0, 30.0], math.radians(120))
    assert hue(*out[:, 0, 0].tolist()) == pytest.approx(255, abs=0.01)  # turned the whole angle
    assert torch.hypot(out[0, 0], out[1, 0]).allclose(torch.hypot(ab[0, 0], ab[1, 0]))  # chroma kept
    assert torch.equal(out[:, 1], ab[:, 1]) and torch.equal(out[:, 3], ab[:, 3])  # other hue, grey: kept
    near = hue(*out[:, 2, 0].tolist()) - hue(*ab[:, 2, 0].tolist())
    assert 90 < near < 120  # 5 degrees off the centre: turned a little less than the whole angle


def test_recoloured_hints_agree_with_the_recoloured_truth():
    ab = torch.zeros(16, 2, 40, 40)
    ab[:, 0], ab[:, 1] = -30.0, 30.0  # a green meadow everywhere
    truth = ab.clone()
    hints = simulate_hints(ab, np.random.default_rng(0), p=0.125, recolor=1.0)
    hinted = [i for i in range(16) if hints[i, 2].any()]
    assert len(hinted) >= 10
    for i in hinted:
        mask = hints[i, 2] > 0
        shown = hints[i, :2][:, mask] * HINT_AB_SCALE
        assert torch.allclose(shown, ab[i][:, mask], atol=1e-4)  # every hint is the (new) truth there
        turned = abs((hue(*ab[i, :, 0, 0].tolist()) - 135 + 180) % 360 - 180)
        assert turned >= 59.9  # the meadow is another colour now, as its hints say
    for i in set(range(16)) - set(hinted):
        assert torch.equal(ab[i], truth[i])  # no hint, no recolouring: the automatic colour sees the truth


def test_the_classes_of_recoloured_ab_are_taken_at_the_logits_resolution():
    """train passes target None after recolouring: targets_at then takes the classes of ab itself."""
    from colorizer.training.loss import class_targets, targets_at

    lookup = torch.arange(15 * 15)  # every cell its own class
    ab = torch.randn(2, 2, 8, 8) * 40
    stale = torch.zeros(2, 8, 8, dtype=torch.long)
    full, half = torch.zeros(2, 5, 8, 8), torch.zeros(2, 5, 4, 4)
    assert torch.equal(targets_at(full, ab, None, lookup)[1], class_targets(ab, lookup))
    assert torch.equal(targets_at(full, ab, stale, lookup)[1], stale)  # as given where it is current
    assert torch.equal(targets_at(half, ab, None, lookup)[1], targets_at(half, ab, stale, lookup)[1])
