"""colorizer.devices with torch installed (this process): which backend each device name gives, and what a
name that is not a device says. tests/test_without_torch.py has the same names where torch is missing."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from colorizer.devices import ONNX, device_name, resolve_device

ROOT = Path(__file__).resolve().parent.parent


def test_auto_is_onnx_runtime_without_a_gpu_though_torch_is_installed(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == resolve_device(None) == ONNX == "onnx"
    assert device_name(ONNX) == "CPU (ONNX Runtime)"


def test_the_acceptance_command_prints_the_onnx_backend():
    """As issue 34 asks it, in a fresh process with torch installed and no GPU visible to it."""
    done = subprocess.run([sys.executable, "-c", "from colorizer.pipeline import resolve_device; "
                           "print(resolve_device('auto'))"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "onnx"


def test_auto_is_cuda_where_torch_sees_a_gpu_and_the_others_are_as_named(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda:1") == torch.device("cuda:1")
    assert resolve_device("cpu") == torch.device("cpu") and device_name(torch.device("cpu")) == "CPU (torch)"
    assert resolve_device("onnx") == ONNX


def test_cuda_without_a_gpu_says_so(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="torch sees no CUDA device"):
        resolve_device("cuda")


@pytest.mark.parametrize("name", ["gpu", "GPU", "cuda0", "cuda:", "mps", ""])
def test_a_name_that_is_not_a_device_lists_the_devices(name):
    with pytest.raises(RuntimeError) as e:
        resolve_device(name)
    message = str(e.value)
    assert message.startswith(f"{name!r} is not a device: choose auto, cpu, cuda or onnx"), message
    assert "torch" not in message


def test_numpy_the_old_name_is_still_onnx_runtime_with_a_warning():
    with pytest.warns(FutureWarning, match="now called 'onnx'"):
        assert resolve_device("numpy") == ONNX


def test_the_command_line_says_gpu_is_not_a_device(tmp_path):
    from colorizer.cli import main
    with pytest.raises(SystemExit) as e:
        main(["colorize", str(tmp_path), "--model", "natural", "--out", str(tmp_path / "out"), "--device", "gpu"])
    assert str(e.value.code).startswith("colorizer: 'gpu' is not a device: choose auto, cpu, cuda or onnx")
