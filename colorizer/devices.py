"""Where the network runs: ONNX Runtime on the CPU (the device ONNX), or torch on a CUDA GPU or the CPU.

ONNX Runtime runs every model, needs no torch (the packaged app and the light install have none) and
is the faster of the two on the CPU (scripts/benchmark.py --compare), so 'auto' takes it wherever torch
sees no CUDA GPU, whether torch is installed or not. torch is imported only to resolve another device,
never by importing this module.
"""
import re
import warnings

ONNX = "onnx"  # ONNX Runtime's device; resolve_device gives a torch.device for the others
DEVICES = ("auto", "cpu", "cuda", ONNX)  # the names resolve_device takes, with cuda:N for one GPU of several
OLD_ONNX_NAME = "numpy"  # ONNX's name until it was renamed: still taken, for one release


def torch_or_none():
    """The torch module, imported now if need be; None where it is not installed (the packaged CPU app)."""
    try:
        import torch
    except (ImportError, OSError):  # OSError: an installed torch whose shared libraries do not load
        return None
    return torch


def resolve_device(device: str = "auto"):
    """A device name -> a torch.device, or ONNX. RuntimeError for a name that is not a device, or a
    device that is not there.

    'auto' (or None): CUDA when torch is installed and sees a GPU, else ONNX Runtime. 'cpu': torch on the
    CPU, or ONNX Runtime without torch. 'cuda[:n]': that GPU. 'onnx' (or 'numpy', its old name): ONNX
    Runtime, whether torch is installed or not."""
    name = "auto" if device is None else str(device)
    if name == OLD_ONNX_NAME:
        warnings.warn(f"device {OLD_ONNX_NAME!r} is now called {ONNX!r} (ONNX Runtime); the old name goes in "
                      "the next release", FutureWarning, stacklevel=2)
        name = ONNX
    if name == ONNX:
        return ONNX
    if name not in DEVICES and not re.fullmatch(r"cuda:\d+", name):
        raise RuntimeError(f"{name!r} is not a device: choose {', '.join(DEVICES[:-1])} or {ONNX} "
                           "(cuda:N for one GPU of several)")
    torch = torch_or_none()
    if name == "auto":
        return torch.device("cuda") if torch is not None and torch.cuda.is_available() else ONNX
    if torch is None:
        if name == "cpu":
            return ONNX
        raise RuntimeError("CUDA was asked for, but torch is not installed: the network runs on the CPU. "
                           "For the GPU install torch with CUDA (`scripts/setup.sh app,torch`, or "
                           "`pip install torch` on Linux, whose PyPI build is the CUDA one)")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("CUDA was asked for, but torch sees no CUDA device")
    return torch.device(name)


def device_name(device) -> str:
    """What a person reads: 'CPU (ONNX Runtime)', 'CPU (torch)' or 'CUDA: <GPU name>'."""
    if str(device) == ONNX:
        return "CPU (ONNX Runtime)"
    if getattr(device, "type", None) == "cuda":
        import torch

        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return "CPU (torch)"
