"""The design's U-Net on ONNX Runtime (colorizer.onnx_unet) against torch's (colorizer.nets.unet.UNet): the same
logits for every activation and at several sizes, with the global-context ablation, and from a trained
model's file; its shape checks give the errors torch's loader gives; its graph passes onnx's checker."""
import json
import shutil
from dataclasses import asdict

import numpy as np
import pytest
import torch

from colorizer import onnx_unet
from colorizer.nets.unet import ACTIVATIONS, UNet, UNetConfig
from colorizer.onnx_unet import OnnxUNet
from colorizer.weights import ModelError, load_model, load_onnx_model


def random_unet(activation: str, width: int = 8, n_classes: int = 13, seed: int = 0, global_context=False) -> UNet:
    """A UNet in eval mode with random weights and random batch-norm statistics (fresh ones are the
    identity, which would hide a mistake in the batch-norm step)."""
    torch.manual_seed(seed)
    model = UNet(UNetConfig(n_classes=n_classes, width=width, activation=activation,
                            global_context=global_context)).eval()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.3, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)
    return model


def onnx_twin(model: UNet) -> OnnxUNet:
    state = {k: v.numpy() for k, v in model.state_dict().items() if v.is_floating_point()}
    return OnnxUNet(state, **model.config_dict())


def assert_same_logits(model: UNet, net: OnnxUNet, L: np.ndarray) -> None:
    with torch.no_grad():
        expected = model(torch.from_numpy(L)[None, None])[0].numpy()
    got = net(L)
    assert got.shape == expected.shape and got.dtype == np.float32
    # float rounding gives under 1e-6 of the largest logit here; a wrong eps, slope or padding, 1e-3 and more
    assert np.abs(got - expected).max() < 2e-5 * max(1.0, float(np.abs(expected).max()))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("h,w", [(48, 80), (16, 16), (64, 32)])
def test_network_is_torchs_for_every_activation(activation, h, w):
    model = random_unet(activation, seed=h + w)
    L = np.random.default_rng(h * w).uniform(-1, 1, (h, w)).astype(np.float32)
    assert_same_logits(model, onnx_twin(model), L)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_global_context_is_torchs_and_survives_the_file(activation, tmp_path):
    """The ablation's bottleneck branch: the same logits on ONNX Runtime, also after save_model and
    loading the card; and it changes the output (the branch is there and used)."""
    from colorizer.bins import ABBins
    from colorizer.training.card import save_model
    model = random_unet(activation, seed=7, global_context=True)
    L = np.random.default_rng(1).uniform(-1, 1, (32, 48)).astype(np.float32)
    assert_same_logits(model, onnx_twin(model), L)
    plain = random_unet(activation, seed=7)
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("context.")})
    with torch.no_grad():
        assert not torch.allclose(plain(torch.from_numpy(L)[None, None]), model(torch.from_numpy(L)[None, None]))
    bins = ABBins.from_dict({"cells": list(range(13)), "prior": [1 / 13] * 13})
    save_model(model.half().float(), bins, {"name": "ctx"}, tmp_path, "ctx")
    net, _, card = load_onnx_model(tmp_path / "ctx.safetensors")
    assert card["architecture"]["global_context"] is True and net.config_dict()["global_context"] is True
    torch_model, _, _ = load_model(tmp_path / "ctx.safetensors")
    assert_same_logits(torch_model, net, L)


def test_large_inputs_saturate_the_sigmoid_as_torch_does():
    model = random_unet("sigmoid")
    model.down[0][0][0].weight.data *= 200  # pre-activations far beyond exp's float32 range
    L = np.random.default_rng(0).uniform(-1, 1, (32, 32)).astype(np.float32)
    assert_same_logits(model, onnx_twin(model), L)


def test_trained_model_from_its_file_is_torchs(tiny_model):
    """The exported file (fp16 weights) read by both loaders: the same card, classes and logits."""
    weights, name = tiny_model
    model, bins, card = load_model(weights / f"{name}.safetensors")
    net, bins_onnx, card_onnx = load_onnx_model(weights / f"{name}.safetensors")
    assert net.backend == "onnxruntime" and net.config_dict() == model.config_dict()
    assert card_onnx == card and np.array_equal(bins_onnx.centres, bins.centres)
    for h, w in [(48, 80), (128, 96)]:
        L = np.random.default_rng(h).uniform(-1, 1, (h, w)).astype(np.float32)
        assert_same_logits(model, net, L)


def test_shapes_and_names_match_the_torch_model():
    assert set(onnx_unet.ACTIVATIONS) == set(ACTIVATIONS)
    assert onnx_unet.DEFAULT_CONFIG == asdict(UNetConfig())
    for global_context in (False, True):
        model = UNet(UNetConfig(n_classes=7, width=4, global_context=global_context))
        shapes = {k: tuple(v.shape) for k, v in model.state_dict().items() if v.is_floating_point()}
        assert onnx_unet.parameter_shapes(7, 4, global_context) == shapes


def test_sides_not_multiple_of_16_raise_a_clear_error():
    net = onnx_twin(random_unet("relu", width=4))
    with pytest.raises(ValueError, match="multiples of 16"):
        net(np.zeros((24, 32), np.float32))
    with pytest.raises(ValueError, match="one image"):
        net(np.zeros((1, 32, 32), np.float32))


def test_weights_that_do_not_fit_the_config_are_refused_before_a_graph_is_built():
    state = {k: v.numpy() for k, v in random_unet("relu").state_dict().items() if v.is_floating_point()}
    with pytest.raises(ValueError, match="size mismatch for down.0.0.0.weight"):
        OnnxUNet(state, n_classes=13, width=16, activation="relu")
    with pytest.raises(ValueError, match="unknown activation"):
        OnnxUNet(state, n_classes=13, width=8, activation="tanh")


@pytest.mark.parametrize("change,words", [
    (lambda card: card["architecture"].__setitem__("width", 16), ["does not match"]),
    (lambda card: card["architecture"].__setitem__("n_classes", 3), ["does not match"]),
    (lambda card: card["architecture"].__setitem__("activation", "tanh"), ["inconsistent"]),
    (lambda card: card["architecture"].__setitem__("depth", 5), ["inconsistent"]),
    (lambda card: card["architecture"].__setitem__("width", 8.5), ["inconsistent"]),
])
def test_damaged_cards_give_the_same_errors_as_with_torch(tiny_model, tmp_path, change, words):
    weights, name = tiny_model
    for ext in ("safetensors", "json"):
        shutil.copy(weights / f"{name}.{ext}", tmp_path / f"m.{ext}")
    card = json.loads((tmp_path / "m.json").read_text())
    change(card)
    (tmp_path / "m.json").write_text(json.dumps(card))
    messages = []
    for load in (load_model, load_onnx_model):
        with pytest.raises(ModelError) as e:
            load(tmp_path / "m.safetensors")
        messages.append(str(e.value))
    assert messages[0] == messages[1] and all(w in messages[1] for w in words), messages


def test_graph_passes_onnx_checker():
    """The protobuf bytes written by hand are a valid ONNX model, shapes inferred through every node."""
    onnx = pytest.importorskip("onnx")
    net = onnx_twin(random_unet("silu", global_context=True))
    onnx.checker.check_model(onnx.load_from_string(net.model), full_check=True)
