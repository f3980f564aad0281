"""The annealed mean, and the class-rebalanced loss."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from colorizer.decode import annealed_mean
from colorizer.training.loss import rebalanced_cross_entropy, soft_targets


@pytest.fixture
def logits_and_centres():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 7, 5, 6, generator=g) * 2
    centres = torch.randn(7, 2, generator=g) * 40
    return logits, centres


def test_temperature_one_is_the_plain_mean(logits_and_centres):
    logits, centres = logits_and_centres
    p = torch.softmax(logits, dim=1)
    expected = (p[:, :, None] * centres[None, :, :, None, None]).sum(1)
    ab = annealed_mean(logits, centres, 1.0)
    assert ab.shape == (2, 2, 5, 6)
    assert torch.allclose(ab, expected, atol=1e-4)


def test_temperature_zero_is_exactly_the_mode(logits_and_centres):
    logits, centres = logits_and_centres
    mode = centres[logits.argmax(1)].permute(0, 3, 1, 2)
    assert torch.equal(annealed_mean(logits, centres, 0), mode)
    assert torch.equal(annealed_mean(logits, centres, -1), mode)


def test_small_temperature_approaches_the_mode(logits_and_centres):
    logits, centres = logits_and_centres
    # a margin of 1 between the best class and the rest: at T = 0.01 the others weigh e^-100
    logits = logits + F.one_hot(logits.argmax(1), logits.shape[1]).permute(0, 3, 1, 2)
    mode = annealed_mean(logits, centres, 0)
    errors = [(annealed_mean(logits, centres, t) - mode).abs().max().item() for t in (1.0, 0.3, 0.1, 0.01)]
    assert errors[0] > 1.0 and errors[-1] < 1e-3
    assert errors == sorted(errors, reverse=True)


def test_tiny_temperature_gives_the_mode_not_nan(logits_and_centres):
    logits, centres = logits_and_centres
    ab = annealed_mean(logits, centres, 1e-40)
    assert torch.isfinite(ab).all()
    assert torch.allclose(ab, annealed_mean(logits, centres, 0))


def test_lower_temperature_is_more_colourful(logits_and_centres):
    logits, centres = logits_and_centres
    chroma = [annealed_mean(logits, centres - centres.mean(0), t).norm(dim=1).mean().item() for t in (2, 1, 0.38)]
    assert chroma[0] < chroma[1] < chroma[2]


def test_half_precision_logits_are_decoded_in_float(logits_and_centres):
    logits, centres = logits_and_centres
    ab = annealed_mean(logits.half(), centres, 0.38)
    assert ab.dtype == torch.float32
    assert torch.allclose(ab, annealed_mean(logits.half().float(), centres, 0.38))


def test_loss_with_unit_weights_is_cross_entropy():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 5, 4, 4, generator=g)
    target = torch.randint(0, 5, (2, 4, 4), generator=g)
    loss = rebalanced_cross_entropy(logits, target, torch.ones(5))
    assert torch.allclose(loss, F.cross_entropy(logits, target))


def test_loss_weighs_each_pixel_by_its_class():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(1, 3, 2, 2, generator=g)
    target = torch.tensor([[[0, 1], [2, 2]]])
    w = torch.tensor([1.0, 4.0, 0.5])
    ce = F.cross_entropy(logits, target, reduction="none")
    assert torch.allclose(rebalanced_cross_entropy(logits, target, w), (w[target] * ce).mean())


def test_soft_targets_are_distributions_peaked_at_the_nearest_centre():
    centres = torch.tensor([[0.0, 0.0], [17.0, 0.0], [0.0, 17.0], [-17.0, 0.0], [0.0, -17.0], [60.0, 60.0]])
    ab = torch.tensor([[[[1.0, 16.0]], [[2.0, 0.0]]]]).permute(0, 3, 1, 2).reshape(1, 2, 1, 2)
    soft = soft_targets(ab, centres, k=5)
    assert soft.shape == (1, 6, 1, 2)
    assert torch.allclose(soft.sum(1), torch.ones(1, 1, 2))
    assert soft[0, 5].abs().max() == 0  # not among the 5 nearest
    nearest = ((ab.permute(0, 2, 3, 1)[..., None, :] - centres) ** 2).sum(-1).argmin(-1)
    assert torch.equal(soft.argmax(1), nearest)


def test_soft_loss_with_one_hot_targets_equals_hard_loss():
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(1, 4, 3, 3, generator=g)
    target = torch.randint(0, 4, (1, 3, 3), generator=g)
    one_hot = F.one_hot(target, 4).permute(0, 3, 1, 2).float()
    w = torch.tensor([0.5, 1.0, 2.0, 3.0])
    assert torch.allclose(rebalanced_cross_entropy(logits, target, w, soft=one_hot),
                          rebalanced_cross_entropy(logits, target, w), atol=1e-6)
    assert np.isfinite(rebalanced_cross_entropy(logits, target, w).item())


def test_numpy_twin_on_centred_logits_is_the_same(logits_and_centres):
    """Prediction keeps the logits less their maximum (centre_logits) for the slider: same colours."""
    from colorizer.decode import annealed_mean_numpy, centre_logits
    logits, centres = (t.numpy() for t in logits_and_centres)
    for T in (0, 0.01, 0.38, 1.0, 3.0):
        plain = annealed_mean_numpy(logits[0], centres, T)
        assert np.allclose(annealed_mean_numpy(centre_logits(logits[0]), centres, T, centred=True), plain, atol=1e-5)
        torch_mean = annealed_mean(torch.from_numpy(logits[:1]), torch.from_numpy(centres), T)[0].numpy()
        assert np.allclose(plain, torch_mean, atol=1e-3)
