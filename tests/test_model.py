"""The U-Net: shapes, input checks, configuration."""
import pytest
import torch

from colorizer.nets.unet import ACTIVATIONS, UNet, UNetConfig


@pytest.mark.parametrize("h,w", [(16, 16), (32, 48), (64, 16), (48, 80)])
def test_logits_at_the_input_resolution(h, w):
    model = UNet(UNetConfig(n_classes=11, width=8, activation="relu")).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 1, h, w))
    assert out.shape == (2, 11, h, w)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("h,w", [(37, 53), (16, 24), (8, 16), (1, 1)])
def test_sides_not_multiple_of_16_raise_a_clear_error(h, w):
    model = UNet(UNetConfig(n_classes=5, width=8))
    with pytest.raises(ValueError, match="multiples of 16"):
        model(torch.randn(1, 1, h, w))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_builds_and_runs(activation):
    model = UNet(UNetConfig(n_classes=3, width=4, activation=activation)).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 1, 16, 16)).shape == (1, 3, 16, 16)


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="unknown activation"):
        UNet(UNetConfig(activation="tanh"))


def test_width_scales_channels_and_config_round_trips():
    small, big = UNet(UNetConfig(n_classes=10, width=8)), UNet(UNetConfig(n_classes=10, width=16))
    assert 3 * small.n_params() < big.n_params()
    assert small.config_dict() == {"n_classes": 10, "width": 8, "activation": "sigmoid"}
    assert UNet(UNetConfig(**small.config_dict())).state_dict().keys() == small.state_dict().keys()


def test_skip_connections_carry_fine_detail():
    """With skips, a change in one input pixel changes the logits at that pixel (full-resolution path)."""
    torch.manual_seed(0)
    model = UNet(UNetConfig(n_classes=4, width=8, activation="relu")).eval()
    x = torch.zeros(1, 1, 32, 32)
    y = x.clone()
    y[0, 0, 5, 7] = 1.0
    with torch.no_grad():
        diff = (model(y) - model(x)).abs().sum(1)[0]
    assert diff[5, 7] > 0 and diff[20:, 20:].max() < diff[5, 7]
