"""The numpy backend (colorizer.numpy_net) against torch: layers, the whole network, decoding and the
pipeline give the same numbers; and nothing on the inference path imports torch."""
import gc
import os
import subprocess
import sys
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from colorizer import numpy_net
from colorizer.decode import annealed_mean, annealed_mean_numpy
from colorizer.model import ACTIVATIONS, UNet, UNetConfig
from colorizer.pipeline import Colorizer, device_name, resolve_device
from colorizer.weights import ModelError, load_model, load_numpy_model
from synthetic import landscape

ROOT = Path(__file__).resolve().parent.parent


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


def numpy_twin(model: UNet) -> numpy_net.NumpyUNet:
    state = {k: v.numpy() for k, v in model.state_dict().items() if v.is_floating_point()}
    return numpy_net.NumpyUNet(state, **model.config_dict())


def assert_same_logits(model: UNet, net: numpy_net.NumpyUNet, L: np.ndarray) -> None:
    with torch.no_grad():
        expected = model(torch.from_numpy(L)[None, None])[0].numpy()
    got = net(L)
    assert got.shape == expected.shape and got.dtype == np.float32
    scale = max(1.0, float(np.abs(expected).max()))
    assert np.abs(got - expected).max() < 1e-4 * scale


# --- the layers and the network ---------------------------------------------------------------------
@pytest.mark.parametrize("c_in,c_out,h,w,k,stride", [(3, 5, 9, 11, 3, 1), (4, 6, 10, 14, 4, 2), (2, 3, 7, 5, 4, 2)])
def test_convolution_is_torchs(c_in, c_out, h, w, k, stride):
    g = torch.Generator().manual_seed(k + stride)
    x, weight = torch.randn(c_in, h, w, generator=g), torch.randn(c_out, c_in, k, k, generator=g)
    bias = torch.randn(c_out, generator=g)
    expected = F.conv2d(x[None], weight, bias, stride=stride, padding=1)[0].numpy()
    got = numpy_net.Conv2d(weight.numpy(), bias.numpy(), stride)(x.numpy())
    assert got.shape == expected.shape
    assert np.allclose(got, expected, atol=1e-4)


def test_one_layer_at_sizes_that_share_buffer_shapes():
    """A stride-2 layer kept for 7 rows then given 6 (the same half-size buffers), and back."""
    g = torch.Generator().manual_seed(9)
    weight, bias = torch.randn(5, 3, 4, 4, generator=g), torch.randn(5, generator=g)
    layer = numpy_net.Conv2d(weight.numpy(), bias.numpy(), 2)
    for h, w in [(7, 9), (6, 8), (7, 9), (6, 9)]:
        x = torch.randn(3, h, w, generator=g)
        expected = F.conv2d(x[None], weight, bias, stride=2, padding=1)[0].numpy()
        assert np.allclose(layer(x.numpy()), expected, atol=1e-4)


@pytest.mark.parametrize("h,w", [(1, 1), (5, 7), (8, 4)])
def test_transposed_convolution_is_torchs(h, w):
    """Odd and tiny sizes: every border case of the per-phase col2im."""
    g = torch.Generator().manual_seed(h * w)
    x, weight = torch.randn(6, h, w, generator=g), torch.randn(6, 4, 4, 4, generator=g)
    bias = torch.randn(4, generator=g)
    expected = F.conv_transpose2d(x[None], weight, bias, stride=2, padding=1)[0].numpy()
    got = numpy_net.ConvTranspose2d(weight.numpy(), bias.numpy())(x.numpy())
    assert got.shape == expected.shape == (4, 2 * h, 2 * w)
    assert np.allclose(got, expected, atol=1e-4)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("h,w", [(48, 80), (16, 16), (64, 32)])
def test_network_is_torchs_for_every_activation(activation, h, w):
    model = random_unet(activation, seed=h + w)
    L = np.random.default_rng(h * w).uniform(-1, 1, (h, w)).astype(np.float32)
    assert_same_logits(model, numpy_twin(model), L)


def test_kept_buffers_give_each_pass_its_own_result():
    """The layers keep their arrays between passes, in a store all networks share: a pass at another
    size, then the first size again, two threads at once, and two networks in turn each still give
    torch's logits, and a returned result is not overwritten by the next pass."""
    import threading
    model = random_unet("relu", seed=3)
    net = numpy_twin(model)
    rng = np.random.default_rng(5)
    a, b = (rng.uniform(-1, 1, shape).astype(np.float32) for shape in ((48, 32), (32, 64)))
    first = net(a)
    kept = first.copy()
    assert_same_logits(model, net, a)  # the same size again: the kept arrays, borders still zero
    assert_same_logits(model, net, b)
    assert_same_logits(model, net, a)
    assert np.array_equal(first, kept)
    results = {}

    def run(name, L):
        results[name] = [net(L) for _ in range(3)]
    threads = [threading.Thread(target=run, args=(name, L)) for name, L in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, L in (("a", a), ("b", b)):
        for got in results[name]:
            assert np.array_equal(got, net(L))
    turned = a.T.copy()  # 32x48: many buffers of 48x32's shape, with their zero borders elsewhere
    assert_same_logits(model, net, turned)
    assert_same_logits(model, net, a)
    other = random_unet("relu", seed=4)  # the same shapes: every layer's arrays are shared with net's
    other_net = numpy_twin(other)
    for _ in range(2):
        assert_same_logits(other, other_net, a)
        assert_same_logits(model, net, a)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_global_context_is_torchs_and_survives_the_file(activation, tmp_path):
    """The ablation's bottleneck branch: the same logits from numpy, also after save_model and loading
    the card; and it changes the output (the branch is there and used)."""
    from colorizer.bins import ABBins
    from colorizer.weights import save_model
    model = random_unet(activation, seed=7, global_context=True)
    L = np.random.default_rng(1).uniform(-1, 1, (32, 48)).astype(np.float32)
    assert_same_logits(model, numpy_twin(model), L)
    plain = random_unet(activation, seed=7)
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("context.")})
    with torch.no_grad():
        assert not torch.allclose(plain(torch.from_numpy(L)[None, None]), model(torch.from_numpy(L)[None, None]))
    bins = ABBins.from_dict({"cells": list(range(13)), "prior": [1 / 13] * 13})
    save_model(model.half().float(), bins, {"name": "ctx"}, tmp_path, "ctx")
    net, _, card = load_numpy_model(tmp_path / "ctx.safetensors")
    assert card["architecture"]["global_context"] is True and net.config_dict()["global_context"] is True
    torch_model, _, _ = load_model(tmp_path / "ctx.safetensors")
    assert_same_logits(torch_model, net, L)


def test_large_inputs_do_not_overflow_the_sigmoid():
    model = random_unet("sigmoid")
    model.down[0][0][0].weight.data *= 200  # pre-activations far beyond exp's float32 range
    L = np.random.default_rng(0).uniform(-1, 1, (32, 32)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        assert_same_logits(model, numpy_twin(model), L)


def test_trained_model_from_its_file_is_torchs(tiny_model):
    weights, name = tiny_model
    model, bins, card = load_model(weights / f"{name}.safetensors")
    net, bins_np, card_np = load_numpy_model(weights / f"{name}.safetensors")
    assert card_np == card and np.array_equal(bins_np.centres, bins.centres)
    for h, w in [(48, 80), (128, 96)]:
        L = np.random.default_rng(h).uniform(-1, 1, (h, w)).astype(np.float32)
        assert_same_logits(model, net, L)


def test_structure_matches_the_torch_model():
    assert set(numpy_net.ACTIVATIONS) == set(ACTIVATIONS)
    assert numpy_net.DEFAULT_CONFIG == asdict(UNetConfig())
    model = UNet(UNetConfig(n_classes=7, width=4))
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items() if v.is_floating_point()}
    assert numpy_net.parameter_shapes(7, 4) == shapes


def test_sides_not_multiple_of_16_raise_a_clear_error():
    net = numpy_twin(random_unet("relu", width=4))
    with pytest.raises(ValueError, match="multiples of 16"):
        net(np.zeros((24, 32), np.float32))


@pytest.mark.parametrize("change,words", [
    (lambda card: card["architecture"].__setitem__("width", 16), ["does not match"]),
    (lambda card: card["architecture"].__setitem__("n_classes", 3), ["does not match"]),
    (lambda card: card["architecture"].__setitem__("activation", "tanh"), ["inconsistent"]),
    (lambda card: card["architecture"].__setitem__("depth", 5), ["inconsistent"]),
    (lambda card: card["architecture"].__setitem__("width", 8.5), ["inconsistent"]),
])
def test_damaged_cards_give_the_same_errors_as_with_torch(tiny_model, tmp_path, change, words):
    import json
    import shutil
    weights, name = tiny_model
    for ext in ("safetensors", "json"):
        shutil.copy(weights / f"{name}.{ext}", tmp_path / f"m.{ext}")
    card = json.loads((tmp_path / "m.json").read_text())
    change(card)
    (tmp_path / "m.json").write_text(json.dumps(card))
    messages = []
    for load in (load_model, load_numpy_model):
        with pytest.raises(ModelError) as e:
            load(tmp_path / "m.safetensors")
        messages.append(str(e.value))
    assert messages[0] == messages[1] and all(w in messages[1] for w in words), messages


# --- decoding ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("T", [0, 0.38, 1.0, 1e-40, 1e-50])  # 1e-50 rounds to 0 in float32
def test_numpy_decode_is_torchs(T):
    g = torch.Generator().manual_seed(4)
    logits, centres = torch.randn(1, 9, 6, 7, generator=g) * 3, torch.randn(9, 2, generator=g) * 40
    expected = annealed_mean(logits, centres, T)[0].numpy()
    got = annealed_mean_numpy(logits[0].numpy(), centres.numpy(), T)
    assert got.shape == (2, 6, 7) and got.dtype == np.float32 and np.isfinite(got).all()
    if T == 0:
        assert np.array_equal(got, expected)  # the mode exactly
    else:
        assert np.allclose(got, expected, atol=1e-3)


def test_tiny_temperature_is_the_mode():
    logits = np.random.default_rng(1).normal(0, 2, (9, 4, 5)).astype(np.float32)
    centres = np.random.default_rng(2).normal(0, 40, (9, 2)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for T in (1e-30, 1e-50, 5e-324):
            assert np.array_equal(annealed_mean_numpy(logits, centres, T), annealed_mean_numpy(logits, centres, 0))


# --- the pipeline -------------------------------------------------------------------------------------
def test_numpy_backend_colours_like_the_torch_backend(tiny_model):
    weights, name = tiny_model
    path = weights / f"{name}.safetensors"
    with_torch, with_numpy = Colorizer.load(path, device="cpu"), Colorizer.load(path, device="numpy")
    assert (with_torch.backend, with_numpy.backend) == ("torch", "numpy")
    assert with_numpy.device == "numpy" and device_name(with_numpy.device) == "CPU"
    photo = landscape(150, 232, seed=5)
    a, b = with_torch.predict(photo), with_numpy.predict(photo)
    assert isinstance(a.logits, np.ndarray) and a.logits.dtype == b.logits.dtype == np.float32
    assert np.abs(a.logits - b.logits).max() < 1e-4 * max(1.0, float(np.abs(a.logits).max()))
    for T in (0.38, 1.0):
        diff = np.abs(a.decode(T).astype(int) - b.decode(T).astype(int))
        assert diff.max() <= 2 and diff.mean() < 0.01


def test_numpy_device_needs_no_torch():
    assert resolve_device("numpy") == "numpy"


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_importing_the_library_and_the_app_does_not_import_torch():
    """Nor anything else the bundle leaves out without torch (build.spec's TORCH_EXCLUDES)."""
    import ast
    spec = ast.parse((ROOT / "build.spec").read_text())
    torch_excludes = next(ast.literal_eval(node.value) for node in spec.body if isinstance(node, ast.Assign)
                          and any(getattr(t, "id", None) == "TORCH_EXCLUDES" for t in node.targets))
    assert "torch" in torch_excludes
    done = run_python(
        "import sys\n"
        "import colorizer, colorizer.pipeline, colorizer.weights, colorizer.decode, colorizer.numpy_net\n"
        "import app.main, app.window, app.worker, app.selftest\n"
        "print('\\n'.join(sys.modules))\n")
    assert done.returncode == 0, done.stderr
    imported = done.stdout.split()
    assert "colorizer.pipeline" in imported
    clashes = sorted({m for m in imported for x in torch_excludes if m == x or m.startswith(x + ".")})
    assert not clashes, f"imported without need: {clashes}"


def test_without_torch_the_numpy_backend_colorizes_and_the_self_test_passes(tiny_model, tmp_path):
    """As in the packaged app: `import torch` fails (None in sys.modules makes it raise ImportError)."""
    weights, name = tiny_model
    done = run_python(
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "from pathlib import Path\n"
        "import colorizer.weights\n"
        "from colorizer.pipeline import Colorizer, device_name, resolve_device\n"
        "assert resolve_device('auto') == resolve_device('cpu') == 'numpy'\n"
        "try:\n"
        "    resolve_device('cuda')\n"
        "    raise SystemExit('cuda without torch did not fail')\n"
        "except RuntimeError as e:\n"
        "    assert 'CUDA' in str(e), e\n"
        f"c = Colorizer.load({str(weights / (name + '.safetensors'))!r})\n"
        "assert c.backend == 'numpy' and device_name(c.device) == 'CPU'\n"
        "assert c.colorize(sys.modules['numpy'].full((30, 40), 120, 'uint8')).shape == (30, 40, 3)\n"
        # only the test model: the checkout's weights/ may hold others
        f"colorizer.weights.weights_dirs = lambda: [Path({str(weights)!r})]\n"
        "from app.selftest import main\n"
        f"sys.exit(main(['--self-test', '--output', {str(tmp_path)!r}]))\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "network on numpy" in done.stdout and "SELF-TEST PASSED" in done.stdout
    assert "[skip] CUDA: no torch" in done.stdout


def test_the_window_colorizes_with_the_numpy_backend(qtbot, tiny_model, photo_dir, tmp_path):
    from app.settings import Settings
    from app.window import MainWindow
    from PIL import Image

    weights, _ = tiny_model
    gc.disable()  # as the app does (app.gcguard): no cycle collection in the worker thread
    window = MainWindow(Settings.at(tmp_path / "settings.ini"), weights_dir=weights, device="numpy",
                        log_path=tmp_path / "app.log")
    qtbot.addWidget(window)
    try:
        window.set_output_dir(tmp_path / "out")
        qtbot.waitUntil(lambda: window.device_label.text() == "Device: CPU", timeout=30_000)
        with qtbot.waitSignal(window.batch_done, timeout=30_000) as blocker:
            window.add_paths([photo_dir / "scene03.jpg"])
        assert (blocker.args[0].done, blocker.args[0].failed) == (1, 0)
        assert [c.backend for c in window.worker.models.values()] == ["numpy"]
        with Image.open(tmp_path / "out" / "scene03_color.png") as im:
            assert im.size == Image.open(photo_dir / "scene03.jpg").size
    finally:
        window.shutdown()
        gc.enable()
        gc.collect()
