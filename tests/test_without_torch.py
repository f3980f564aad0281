"""The path users run without torch (the packaged app, the light install): ONNX Runtime colours as torch
does, for a tiny model of the shipped kind and one of the design's; decoding gives torch's numbers;
importing the inference core, the command line and the app imports nothing build.spec leaves out (torch
above all), nor does `colorizer colorize --device onnx`; and where torch cannot be imported, the pipeline
still colorizes with hints and the window runs on ONNX Runtime.
(app.selftest without torch: tests/test_selftest.py.)"""
import gc
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from colorizer.decode import annealed_mean, annealed_mean_numpy
from colorizer.hints import Hint
from colorizer.pipeline import ONNX, Colorizer, device_name
from synthetic import landscape

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


# --- the same colours as torch -----------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["tiny_lite_model", "tiny_model"])
def test_onnx_runtime_colours_like_torch(request, fixture):
    weights, name = request.getfixturevalue(fixture)
    path = weights / f"{name}.safetensors"
    with_torch, with_onnx = Colorizer.load(path, device="cpu"), Colorizer.load(path, device="onnx")
    assert (with_torch.backend, with_onnx.backend) == ("torch", "onnxruntime")
    assert with_onnx.device == ONNX and device_name(with_onnx.device) == "CPU (ONNX Runtime)"
    assert with_onnx.takes_hints == (fixture == "tiny_lite_model")
    photo = landscape(150, 232, seed=5)
    hints = [Hint(60, 100, "#c83c3c"), Hint(200, 30, "#e0d040")] if with_onnx.takes_hints else None
    a, b = with_torch.predict(photo, hints), with_onnx.predict(photo, hints)
    assert isinstance(a.logits, np.ndarray) and a.logits.dtype == b.logits.dtype == np.float32
    assert a.logits.shape == b.logits.shape
    assert np.abs(a.logits - b.logits).max() < 3e-5 * max(1.0, float(np.abs(a.logits).max()))
    for T in (0.38, 1.0):
        diff = np.abs(a.decode(T).astype(int) - b.decode(T).astype(int))
        assert diff.max() <= 2 and diff.mean() < 0.01


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


# --- no torch ----------------------------------------------------------------------------------------
def torch_excludes() -> list:
    """What the bundle leaves out without torch: build.spec's TORCH_EXCLUDES."""
    import ast
    spec = ast.parse((ROOT / "build.spec").read_text())
    excludes = next(ast.literal_eval(node.value) for node in spec.body if isinstance(node, ast.Assign)
                    and any(getattr(t, "id", None) == "TORCH_EXCLUDES" for t in node.targets))
    assert "torch" in excludes
    return excludes


def not_needed(imported: list) -> list:
    excludes = torch_excludes()
    return sorted({m for m in imported for x in excludes if m == x or m.startswith(x + ".")})


def test_importing_the_inference_core_and_the_app_does_not_import_torch():
    """Every module of the inference core (colorizer/'s own, not its sub-packages nets/, training/ and
    evaluation/, which are torch's side), the command line and every module of the app: none imports torch,
    nor anything else the bundle leaves out."""
    core = sorted(f"colorizer.{p.stem}" for p in (ROOT / "colorizer").glob("*.py") if p.stem != "__main__")
    window = sorted(f"app.{p.stem}" for p in (ROOT / "app").glob("*.py") if p.stem != "__main__")
    assert "colorizer.cli" in core and "colorizer.weights" in core and "app.window" in window
    done = run_python(
        "import importlib, sys\n"
        f"for name in {core + window!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sys.modules))\n")
    assert done.returncode == 0, done.stderr
    imported = done.stdout.split()
    assert "colorizer.pipeline" in imported and "colorizer.onnx_unet" in imported
    assert not any(m.startswith(("colorizer.nets", "colorizer.training", "colorizer.evaluation")) for m in imported)
    assert not not_needed(imported), f"imported without need: {not_needed(imported)}"


def test_colorize_on_the_command_line_with_onnx_runtime_does_not_import_torch(tiny_lite_model, photo_dir,
                                                                             tmp_path):
    """`colorizer colorize --device onnx` runs to the end (a model loaded, a photo colorized and saved)
    without importing torch, as in an install without it."""
    weights, name = tiny_lite_model
    model = weights / f"{name}.safetensors"
    done = run_python(
        "import sys\n"
        "from colorizer.cli import main\n"
        "try:\n"
        f"    main(['colorize', {str(photo_dir / 'scene03.jpg')!r}, '--model', {str(model)!r}, "
        f"'--device', 'onnx', '--out', {str(tmp_path / 'out')!r}])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print('\\n'.join(sys.modules))\n")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "scene03_color.png").exists()
    imported = done.stdout.split()
    assert "colorizer.onnx_net" in imported and not not_needed(imported), not_needed(imported)


def test_soup_and_share_run_without_torch(tiny_lite_model, tmp_path):
    """Averaging and sharing models is numpy's work: `colorizer soup` and `colorizer share` run where torch
    cannot be imported, and their models load."""
    import shutil
    weights, name = tiny_lite_model
    for suffix in (".safetensors", ".json"):
        shutil.copy(weights / f"{name}{suffix}", tmp_path / f"a{suffix}")
    done = run_python(
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "from colorizer.cli import main\n"
        "from colorizer.weights import load_onnx_model\n"
        f"folder = {str(tmp_path)!r}\n"
        "for argv in (['soup', f'{folder}/a.safetensors', f'{folder}/a.safetensors', '--alpha', '0.5', '--name', 'b',\n"
        "              '--weights-dir', folder], ['share', f'{folder}/a.safetensors', f'{folder}/b.safetensors',\n"
        "              '--name', 'common']):\n"
        "    main(argv)\n"
        "for m in ('a', 'b'):\n"
        "    load_onnx_model(f'{folder}/{m}.safetensors')\n"
        "print('averaged and shared')\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "averaged and shared" in done.stdout and (tmp_path / "common.safetensors").exists()


def test_without_torch_both_kinds_of_model_colorize_on_onnx_runtime(tiny_lite_model, tiny_model):
    """As in the packaged app: `import torch` fails (None in sys.modules makes it raise ImportError)."""
    lite, design = (str(w / f"{name}.safetensors") for w, name in (tiny_lite_model, tiny_model))
    done = run_python(
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "import numpy as np\n"
        "from colorizer import Hint\n"
        "from colorizer.pipeline import Colorizer, device_name, resolve_device\n"
        "assert resolve_device('auto') == resolve_device('cpu') == resolve_device('onnx') == 'onnx'\n"
        "for name, words in (('cuda', 'torch is not installed'), ('gpu', \"'gpu' is not a device\")):\n"
        "    try:\n"
        "        resolve_device(name)\n"
        "        raise SystemExit(f'{name} without torch did not fail')\n"
        "    except RuntimeError as e:\n"
        "        assert words in str(e), e\n"
        "gray = np.full((150, 232), 120, 'uint8')\n"
        f"lite, design = Colorizer.load({lite!r}), Colorizer.load({design!r})\n"
        "for c in (lite, design):\n"
        "    assert c.backend == 'onnxruntime' and device_name(c.device) == 'CPU (ONNX Runtime)'\n"
        "    assert c.colorize(gray).shape == (150, 232, 3)\n"
        "hinted = lite.predict(gray, hints=[Hint(100, 120, '#c83c3c')])\n"
        "assert hinted.meta['hints'] and hinted.decode(0.38).shape == (150, 232, 3)\n"
        "print('colorized')\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "colorized" in done.stdout


def test_the_window_runs_onnx_runtime_by_default_without_a_gpu(qtbot, tiny_lite_model, photo_dir, tmp_path,
                                                              monkeypatch):
    """torch is installed here, as after ./run-tests.sh shares .venv with the app: 'auto' still takes ONNX
    Runtime where there is no CUDA GPU."""
    from PIL import Image
    from app.settings import Settings
    from app.window import MainWindow
    from app.worker_thread import wait_for_ended

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a machine without a GPU
    weights, _ = tiny_lite_model
    gc.disable()  # as the app does (app.gcguard): no cycle collection in the worker thread
    window = MainWindow(Settings.at(tmp_path / "settings.ini"), weights_dir=weights, device="auto",
                        log_path=tmp_path / "app.log")
    qtbot.addWidget(window)
    try:
        window.set_output_dir(tmp_path / "out")
        qtbot.waitUntil(lambda: window.device_label.text() == "Device: CPU (ONNX Runtime)", timeout=30_000)
        with qtbot.waitSignal(window.batch_done, timeout=30_000) as blocker:
            window.add_paths([photo_dir / "scene03.jpg"])
        assert (blocker.args[0].done, blocker.args[0].failed) == (1, 0)
        assert [c.backend for c in window.worker.models.values()] == ["onnxruntime"]
        with Image.open(tmp_path / "out" / "scene03_color.png") as im:
            assert im.size == Image.open(photo_dir / "scene03.jpg").size
    finally:
        window.shutdown()
        assert wait_for_ended(30_000)
        gc.enable()
        gc.collect()
