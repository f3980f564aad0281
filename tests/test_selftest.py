"""app.selftest (`landscape-colorizer --self-test`) against the shipped Natural (a model that follows colour
hints, run as the app runs it: on ONNX Runtime), and with no or a broken model; and a guard for the
packaged app: build.spec must not exclude a module the app imports."""
import json
import os
import shutil
from pathlib import Path

import pytest

import colorizer.weights
from app import selftest
from colorizer.shared import SHARED_KEY

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"


@pytest.fixture(scope="module")
def natural_alone(tmp_path_factory):
    """A weights folder with the shipped Natural alone (its card, its file and the encoder file it shares):
    (weights_dir, "natural"). The self-test checks that a hint is followed, which a model trained for a
    few steps in a test does not do."""
    out = tmp_path_factory.mktemp("natural")
    card = json.loads((WEIGHTS / "natural.json").read_text())
    for name in ("natural.json", "natural.safetensors", card[SHARED_KEY]["file"]):
        shutil.copy(WEIGHTS / name, out / name)
    return out, "natural"


@pytest.fixture
def only_env_weights(monkeypatch):
    """Models come from $COLORIZER_WEIGHTS only, not from the checkout's weights/ (whatever it holds)."""
    monkeypatch.setattr(colorizer.weights, "weights_dirs", lambda: [Path(os.environ["COLORIZER_WEIGHTS"])])


def test_self_test_passes_with_a_model(natural_alone, monkeypatch, only_env_weights, capsys, tmp_path):
    weights, name = natural_alone
    monkeypatch.setenv("COLORIZER_WEIGHTS", str(weights))
    code = selftest.main(["--self-test", "--output", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "SELF-TEST PASSED" in out and f"model '{name}'" in out
    assert "[ok] colorizer library imports: network on ONNX Runtime" in out  # torch, installed here, only for CUDA
    assert f"[ok] {name}: model loads" in out and "s, onnxruntime" in out
    assert f"[ok] {name}: a colour hint is followed" in out
    assert "broken.jpg:" in out  # the broken file is reported with its reason ...
    assert len(list((tmp_path / name).glob("*_color.png"))) == 2  # ... and the file after it still ran
    assert len(list((tmp_path / name / "jpeg").glob("*_color.jpg"))) == 2  # JPEG output too
    assert "EXIF kept, Orientation 1" in out and "WebP written and read back" in out
    assert "[ok] colour management (ImageCms) converts Adobe RGB to sRGB" in out


def test_self_test_fails_without_models(tmp_path, monkeypatch, only_env_weights, capsys):
    monkeypatch.setenv("COLORIZER_WEIGHTS", str(tmp_path))
    assert selftest.main([]) == 1
    out = capsys.readouterr().out
    assert "SELF-TEST FAILED" in out and "no model" in out and str(tmp_path) in out


def test_self_test_fails_on_a_corrupt_model(tiny_lite_model, tmp_path, monkeypatch, only_env_weights, capsys):
    weights, name = tiny_lite_model
    shutil.copy(weights / f"{name}.json", tmp_path / "broken.json")
    (tmp_path / "broken.safetensors").write_bytes((weights / f"{name}.safetensors").read_bytes()[:100])
    monkeypatch.setenv("COLORIZER_WEIGHTS", str(tmp_path))
    assert selftest.main([]) == 1
    out = capsys.readouterr().out
    assert "SELF-TEST FAILED" in out and "broken.safetensors is corrupt" in out


def test_build_spec_excludes_nothing_the_app_imports():
    """build.spec leaves modules out of the packaged app (EXCLUDES); none of them may be one that the app's
    modules import, or the double-click app would fail where `python -m app` works."""
    import ast
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    spec = ast.parse((root / "build.spec").read_text())
    excludes = next(ast.literal_eval(node.value) for node in spec.body if isinstance(node, ast.Assign)
                    and any(getattr(t, "id", None) == "EXCLUDES" for t in node.targets))
    code = ("import importlib, pkgutil, sys, app\n"
            "for m in pkgutil.iter_modules(app.__path__):\n"
            "    if m.name != '__main__': importlib.import_module('app.' + m.name)\n"
            "print('\\n'.join(sys.modules))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1"}
    imported = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                              check=True, timeout=300).stdout.split()
    # hashlib imports OpenSSL's _hashlib inside a try and falls back to Python's own hashes without it;
    # the next test runs the app's self-test with it gone
    guarded = {"_hashlib"}
    clashes = sorted({m for m in imported for x in excludes if (m == x or m.startswith(x + ".")) and m not in guarded})
    assert not clashes, f"the app imports modules that build.spec excludes: {clashes}"


def test_self_test_passes_without_the_modules_build_spec_leaves_out(natural_alone):
    """The packaged app lacks every module in EXCLUDES and, by default, TORCH_EXCLUDES (scikit-image and
    SciPy among them): the self-test, which runs the app's own colorizing and checks, passes without them
    (imports of them fail here as they would in the bundle)."""
    import ast
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    spec = ast.parse((root / "build.spec").read_text())
    left_out = [m for name in ("EXCLUDES", "TORCH_EXCLUDES") for m in next(
        ast.literal_eval(node.value) for node in spec.body if isinstance(node, ast.Assign)
        and any(getattr(t, "id", None) == name for t in node.targets))]
    assert {"skimage", "scipy", "torch"} <= set(left_out)
    weights, name = natural_alone
    code = ("import sys\n"
            f"LEFT_OUT = {left_out!r}\n"
            "tried = []\n"
            "class LeftOut:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if any(name == m or name.startswith(m + '.') for m in LEFT_OUT):\n"
            "            tried.append(name)\n"
            "            raise ImportError(f'{name} is not in the packaged app')\n"
            "sys.meta_path.insert(0, LeftOut())\n"
            "from pathlib import Path\n"
            "import colorizer.weights\n"
            f"colorizer.weights.weights_dirs = lambda: [Path({str(weights)!r})]\n"
            "from app import selftest\n"
            "code = selftest.main(['--self-test'])\n"
            "print('tried to import:', sorted(set(tried)))\n"
            "sys.exit(code)\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1", "COLORIZER_WEIGHTS": str(weights)}
    run = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and "SELF-TEST PASSED" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"model '{name}'" in run.stdout and "network on ONNX Runtime" in run.stdout
    assert "(torch is not installed)" in run.stdout and "[skip] CUDA: no torch in this build" in run.stdout
    tried = run.stdout.rsplit("tried to import:", 1)[1]
    assert "skimage" not in tried and "scipy" not in tried, tried
