"""The ONNX Runtime backend (colorizer.onnx_net) against torch's LiteUNet: the same logits, with and
without hints, at square and non-square sizes, from float32 and float16 weights; and no torch on its path."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")

from colorizer.nets.lite_unet import LiteUNet, LiteUNetConfig  # noqa: E402
from colorizer.onnx_net import OnnxLiteUNet  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# A narrow encoder with every kind of block: expansion 1 and 2, 3x3 and 5x5 (stride 2: SAME's uneven
# padding), a residual (the second block of stage 1), a stage that keeps the resolution (4).
BLOCKS = [[3, 1, 8, 0], [3, 2, 12, 1], [3, 2, 12, 1], [5, 2, 16, 2], [3, 2, 24, 3], [5, 2, 32, 4],
          [5, 2, 40, 5], [3, 2, 48, 6]]


def random_lite_unet(logit_stride: int = 2, seed: int = 0, config: LiteUNetConfig = None) -> LiteUNet:
    """A LiteUNet in eval mode with random weights and non-trivial batch norms (fresh ones are the
    identity, which would hide a mistake in folding them): statistics measured on random inputs, so that
    the signal keeps its scale through the depth and the logits depend on every layer, then shifted;
    random scales and shifts."""
    torch.manual_seed(seed)
    config = config or LiteUNetConfig(n_classes=11, blocks=BLOCKS, decoder=[24, 16, 16, 12, 8],
                                      logit_stride=logit_stride)
    model = LiteUNet(config)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in norms:
        m.momentum = None  # running statistics: the plain average over the batches below
        m.weight.data.uniform_(0.5, 1.5)
        m.bias.data.uniform_(-0.3, 0.3)
    with torch.no_grad():
        for i in range(3):
            L, hints = inputs(64, 64, seed=10 + i)
            model(torch.from_numpy(L)[None, None], torch.from_numpy(hints)[None])
    for m in norms:
        m.running_var.clamp_(min=0.05)  # a near-constant channel would magnify float rounding a hundredfold
        m.running_mean += torch.empty_like(m.running_mean).uniform_(-0.2, 0.2) * m.running_var.sqrt()
    return model.eval()


def state_of(model: LiteUNet, dtype=np.float32) -> dict:
    return {k: v.numpy().astype(dtype) for k, v in model.state_dict().items() if v.is_floating_point()}


def inputs(h: int, w: int, seed: int = 1):
    """Normalised L over the whole range, and a hint map with two hinted patches (as colorizer.hints)."""
    rng = np.random.default_rng(seed)
    L = rng.uniform(-1, 1, (h, w)).astype(np.float32)
    hints = np.zeros((3, h, w), np.float32)
    for top, left, ab in [(3, 5, (0.4, -0.2)), (h - 9, w - 20, (-0.3, 0.5))]:
        hints[:2, top:top + 6, left:left + 11] = np.array(ab, np.float32)[:, None, None]
        hints[2, top:top + 6, left:left + 11] = 1
    return L, hints


def torch_logits(model: LiteUNet, L: np.ndarray, hints=None) -> np.ndarray:
    hints = None if hints is None else torch.from_numpy(hints)[None]
    with torch.inference_mode():
        return model(torch.from_numpy(L)[None, None], hints)[0].numpy()


def assert_close(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.shape == expected.shape and got.dtype == np.float32
    # float rounding gives up to 3e-6 of the largest logit here; a wrong layer, 1e-1 and more
    assert np.abs(got - expected).max() < 3e-5 * max(1.0, float(np.abs(expected).max()))


@pytest.fixture(scope="module")
def pair():
    model = random_lite_unet()
    return model, OnnxLiteUNet(state_of(model), **model.config_dict())


@pytest.mark.parametrize("h,w", [(32, 32), (64, 96), (96, 64)])
def test_same_logits_as_torch(pair, h, w):
    model, net = pair
    L, hints = inputs(h, w)
    assert_close(net(L), torch_logits(model, L))
    expected = torch_logits(model, L, hints)
    assert np.abs(expected - torch_logits(model, L)).max() > 1e-3  # the hints do reach the logits
    assert_close(net(L, hints), expected)


def test_lite0_as_shipped():
    """The default config: EfficientNet-Lite0's 16 blocks, 104 classes."""
    model = random_lite_unet(config=LiteUNetConfig())
    net = OnnxLiteUNet(state_of(model), **model.config_dict())
    L, hints = inputs(64, 96)
    assert_close(net(L, hints), torch_logits(model, L, hints))


def test_full_resolution_logits_and_float16_weights():
    """logit_stride 1 (one more decoder unit, fed the unpooled hints), weights as stored on disk."""
    model = random_lite_unet(logit_stride=1, seed=2)
    state = state_of(model, np.float16)
    model.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in state.items()}, strict=False)
    net = OnnxLiteUNet(state, **model.config_dict())
    L, hints = inputs(64, 32)
    assert net(L).shape == (11, 64, 32)
    assert_close(net(L, hints), torch_logits(model, L, hints))


@pytest.mark.parametrize("logit_stride", [2, 1])
def test_two_units_per_decoder_level(logit_stride):
    """decoder_depth 2: a second 3x3 unit after each level's concatenation (the last one's BN folded into the
    head where it ends the decoder); the backend refuses weights that do not match the depth."""
    model = random_lite_unet(config=LiteUNetConfig(n_classes=11, blocks=BLOCKS, decoder=[24, 16, 16, 12, 8],
                                                   logit_stride=logit_stride, decoder_depth=2), seed=3)
    net = OnnxLiteUNet(state_of(model), **model.config_dict())
    L, hints = inputs(64, 96)
    assert_close(net(L, hints), torch_logits(model, L, hints))
    with pytest.raises(ValueError, match="refine"):
        OnnxLiteUNet(state_of(model), **{**model.config_dict(), "decoder_depth": 1})


def test_hints_at_the_encoder_stem():
    """hint_stem: the hint map as three more input channels of the encoder's stem (its BN folded in too);
    the backend refuses weights that do not match the setting."""
    model = random_lite_unet(config=LiteUNetConfig(n_classes=11, blocks=BLOCKS, decoder=[24, 16, 16, 12, 8],
                                                   hint_stem=True), seed=4)
    with torch.no_grad():
        model.hint_stem.weight.normal_()
    net = OnnxLiteUNet(state_of(model), **model.config_dict())
    L, hints = inputs(64, 96)
    assert_close(net(L), torch_logits(model, L))
    assert_close(net(L, hints), torch_logits(model, L, hints))
    with pytest.raises(ValueError, match="hint_stem"):
        OnnxLiteUNet(state_of(model), **{**model.config_dict(), "hint_stem": False})


def test_without_the_scene_context():
    """scene_context False: no pooled 1/32 features added back; the backend refuses weights that do not
    match the setting, either way."""
    model = random_lite_unet(config=LiteUNetConfig(n_classes=11, blocks=BLOCKS, decoder=[24, 16, 16, 12, 8],
                                                   scene_context=False), seed=5)
    assert not any(k.startswith("context.") for k in model.state_dict())
    net = OnnxLiteUNet(state_of(model), **model.config_dict())
    L, hints = inputs(64, 96)
    assert_close(net(L, hints), torch_logits(model, L, hints))
    with pytest.raises(ValueError, match="scene_context"):
        OnnxLiteUNet(state_of(model), **{**model.config_dict(), "scene_context": True})
    with_context = random_lite_unet(seed=5)
    with pytest.raises(ValueError, match="scene_context"):
        OnnxLiteUNet(state_of(with_context), **{**with_context.config_dict(), "scene_context": False})


def test_rejects_sides_that_are_not_multiples_of_32(pair):
    with pytest.raises(ValueError, match="multiples of 32"):
        pair[1](np.zeros((48, 64), np.float32))
    with pytest.raises(ValueError, match="hints"):
        pair[1](np.zeros((32, 64), np.float32), np.zeros((3, 64, 32), np.float32))


def test_graph_passes_onnx_checker(pair):
    """The protobuf bytes written by hand are a valid ONNX model, shapes inferred through every node."""
    onnx = pytest.importorskip("onnx")
    onnx.checker.check_model(onnx.load_from_string(pair[1].model), full_check=True)


def test_runs_without_torch_or_onnx(tmp_path):
    """The backend imports neither torch nor onnx (the app's bundle has neither), from fp16 weights."""
    model = random_lite_unet()
    state = state_of(model, np.float16)
    model.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in state.items()}, strict=False)
    L, hints = inputs(64, 64)
    np.savez(tmp_path / "state.npz", **state)
    np.savez(tmp_path / "inputs.npz", L=L, hints=hints)
    code = f"""
import sys
import numpy as np
sys.modules["torch"] = sys.modules["onnx"] = None  # importing either fails
from colorizer.onnx_net import OnnxLiteUNet
net = OnnxLiteUNet(dict(np.load("state.npz")), **{model.config_dict()!r})
x = np.load("inputs.npz")
np.save("logits.npy", net(x["L"], x["hints"]))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert_close(np.load(tmp_path / "logits.npy"), torch_logits(model, L, hints))


@pytest.mark.parametrize("name", ["natural", "vivid"])
def test_the_shipped_models_on_both_backends(name):
    """The shipped network (EfficientNet-Lite2, its real fp16 weights) gives the bundle's backend the same
    logits as torch, with and without hints."""
    from colorizer import Colorizer
    onnx, torch_model = Colorizer.load(name, device="onnx"), Colorizer.load(name, device="cpu")
    assert torch_model.card["architecture"]["encoder"] == "lite2"
    L, hints = inputs(64, 96)
    for h in (None, hints):
        assert_close(onnx.run_network(L, h), torch_model.run_network(L, h))
