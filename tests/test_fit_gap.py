"""scripts/fit_gap.py: the prior scores no gain over itself, a model that knows the answer gains all."""
import importlib.util
from pathlib import Path

import pytest
import torch

from colorizer.data import ab_statistics, load_photos, validation_set

spec = importlib.util.spec_from_file_location("fit_gap", Path(__file__).parents[1] / "scripts" / "fit_gap.py")
fit_gap = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fit_gap)


class Constant(torch.nn.Module):
    """Logits that are the same vector at every pixel."""
    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, L):
        return self.logits[None, :, None, None].expand(L.shape[0], -1, *L.shape[-2:])


class Oracle(torch.nn.Module):
    """Logits that put (almost) all mass on each pixel's true class, looked up from L's identity."""
    def __init__(self, items, n_classes):
        super().__init__()
        self.answers = {L.numpy().tobytes(): target for L, _ab, target in items}
        self.n_classes = n_classes

    def forward(self, L):
        target = self.answers[L[0].numpy().tobytes()]
        return 50.0 * torch.nn.functional.one_hot(target, self.n_classes).permute(2, 0, 1)[None].float()


def test_prior_has_no_gain_and_an_oracle_gains_all(photo_dir):
    photos = load_photos(photo_dir, 128)
    bins = ab_statistics(photos)
    items = validation_set(photos[:4], bins, 64)
    weights = torch.from_numpy(bins.weights(0.5)).float()
    log_prior = torch.from_numpy(bins.prior).float().log()
    ours, prior = fit_gap.mean_losses(Constant(log_prior), items, weights, log_prior)
    assert ours == pytest.approx(prior) and prior > 0.1
    ours, prior = fit_gap.mean_losses(Oracle(items, bins.Q), items, weights, log_prior)
    assert ours < 1e-6 and prior > 0.1
