"""Colorizing a photo at full resolution, and writing the results without overwriting anything.

The network runs on L resized so its longer side is `size` px (sides multiples of 16); the predicted
class logits are kept, so the image can be decoded again at any temperature without another network
pass. The decoded ab is resized to the photo's size and joined with its original, full-resolution L.

Two backends run the network: torch (on CUDA when there is a GPU, else on the CPU) where torch is
installed, and numpy (colorizer.numpy_net, on the CPU) where it is not, as in the packaged app.
Everything else (decoding, resizing, writing) is numpy and Pillow. torch is imported only when a torch
model is loaded or a device is resolved with torch installed, never by importing this module.
"""
import os
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .color import l_to_gray, lab_to_rgb, normalize_l, rgb_to_lab
from .decode import annealed_mean_numpy
from .images import ImageError, find_images, load_rgb
from .numpy_net import NumpyUNet
from .output import OutputOptions, _write_png_new, free_output_paths, save_outputs  # noqa: F401  (re-exported)
from .weights import load_model, load_numpy_model

NUMPY = "numpy"  # the device of the numpy backend (the CPU); resolve_device gives torch.device otherwise


def torch_or_none():
    """The torch module, imported now if need be; None where it is not installed (the packaged CPU app)."""
    try:
        import torch
    except (ImportError, OSError):  # OSError: an installed torch whose shared libraries do not load
        return None
    return torch


def resolve_device(device: str = "auto"):
    """Where the network runs: a torch.device, or NUMPY for the numpy backend.

    'auto' (or None): CUDA when torch sees a GPU, else torch on the CPU, else (no torch) numpy.
    'cpu': torch on the CPU, or numpy without torch. 'cuda[:n]': that GPU; RuntimeError without one.
    'numpy': numpy, whether torch is installed or not."""
    if str(device) == NUMPY:
        return NUMPY
    torch = torch_or_none()
    if torch is None:
        if device in (None, "auto") or str(device) == "cpu":
            return NUMPY
        what = "CUDA was asked for" if str(device).startswith("cuda") else f"device {device!r} was asked for"
        raise RuntimeError(f"{what}, but torch is not installed: only the CPU (numpy) can be used")
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("CUDA was asked for, but torch sees no CUDA device")
    return torch.device(device)


def device_name(device) -> str:
    """'CPU' (torch's or numpy's), or 'CUDA: <GPU name>'."""
    if getattr(device, "type", None) == "cuda":
        import torch

        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return "CPU"


def network_size(h: int, w: int, side: int = 256) -> tuple:
    """(h, w) -> the network's input size: longer side `side`, both sides multiples of 16 (>= 16)."""
    s = side / max(h, w)
    return max(16, round(h * s / 16) * 16), max(16, round(w * s / 16) * 16)


def image_to_l(image) -> np.ndarray:
    """A path, PIL image or array (HxW gray or HxWx3 RGB, uint8) -> float32 L HxW in [0, 100].
    A colour image is reduced to its lightness: the tool makes the grayscale itself."""
    if isinstance(image, np.ndarray):
        rgb = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
        if rgb.dtype != np.uint8:
            rgb = np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    else:
        rgb = load_rgb(image)
    return rgb_to_lab(rgb)[..., 0]


@dataclass
class Prediction:
    """One photo's network output: decode it at any temperature, as often as needed."""

    L: np.ndarray  # (H, W) float32, the photo's own lightness at full resolution
    logits: np.ndarray  # (Q, h, w) float32, at the network's resolution (whichever backend made it)
    centres: np.ndarray  # (Q, 2) float32, the ab colour of each class
    source: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def size(self) -> tuple:
        return self.L.shape

    def ab(self, temperature: float, shape=None) -> np.ndarray:
        """ab (H, W, 2) float32 at `shape` (default: full resolution)."""
        shape = tuple(shape or self.L.shape)
        ab = annealed_mean_numpy(self.logits, self.centres, temperature)
        return np.stack([resize_channel(channel, shape) for channel in ab], axis=-1)

    def decode(self, temperature: float, max_side: int = None) -> np.ndarray:
        """uint8 RGB at full resolution, or downscaled so its longer side is max_side (for previews)."""
        L = self.L
        if max_side and max(L.shape) > max_side:
            s = max_side / max(L.shape)
            shape = (max(1, round(L.shape[0] * s)), max(1, round(L.shape[1] * s)))
            L = np.asarray(Image.fromarray(L).resize(shape[::-1], Image.Resampling.BILINEAR))
        lab = np.concatenate([L[..., None], self.ab(temperature, L.shape)], axis=2)
        return lab_to_rgb(lab)

    def gray(self) -> np.ndarray:
        return l_to_gray(self.L)


def resize_channel(channel: np.ndarray, shape: tuple) -> np.ndarray:
    """float32 (h, w) -> (H, W), bilinear on pixel centres. Pillow's 32-bit float images keep the values
    unrounded; upscaling (the usual case: network size to photo size) gives what torch's
    F.interpolate(mode="bilinear", align_corners=False) gives, and downscaling is antialiased."""
    image = Image.fromarray(np.ascontiguousarray(channel, dtype=np.float32))  # float32 gives mode "F"
    return np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR), dtype=np.float32)


class Colorizer:
    """A loaded model: predict() runs the network once, Prediction.decode() turns it into colour."""

    def __init__(self, model, bins, card: dict, device, size: int = 256):
        """model: a torch UNet on `device` (a torch.device), or a NumpyUNet (device NUMPY)."""
        self.model, self.bins, self.card, self.device, self.size = model, bins, card, device, size
        self.centres = np.asarray(bins.centres, dtype=np.float32)
        self.network_passes = 0

    @classmethod
    def load(cls, name_or_path, device="auto", size: int = 256) -> "Colorizer":
        """device: 'auto', 'cpu', 'cuda[:n]' or 'numpy' (see resolve_device). Raises ModelError, or
        RuntimeError for a device that is not there."""
        device = resolve_device(device)
        if str(device) == NUMPY:
            model, bins, card = load_numpy_model(name_or_path)
        else:
            model, bins, card = load_model(name_or_path, device)
        return cls(model, bins, card, device, size)

    @property
    def backend(self) -> str:
        """'numpy' or 'torch'."""
        return NUMPY if isinstance(self.model, NumpyUNet) else "torch"

    @property
    def name(self) -> str:
        return self.card.get("name", self.card.get("id", "model"))

    @property
    def default_temperature(self) -> float:
        return float(self.card.get("default_temperature", 0.38))

    def predict(self, image) -> Prediction:
        """image: path, PIL image or uint8 array. Raises ImageError for unreadable input."""
        L = image_to_l(image)
        h, w = network_size(*L.shape, self.size)
        small = np.asarray(Image.fromarray(L).resize((w, h), Image.Resampling.BILINEAR))
        logits = self.run_network(normalize_l(small).astype(np.float32))
        self.network_passes += 1
        source = os.fspath(image) if isinstance(image, (str, os.PathLike)) else ""
        return Prediction(L=L, logits=logits, centres=self.centres, source=source,
                          meta={"model": self.card.get("id", self.name)})

    def run_network(self, x: np.ndarray) -> np.ndarray:
        """One network pass: normalised L (h, w) float32 -> logits (Q, h, w) float32."""
        if isinstance(self.model, NumpyUNet):
            return self.model(x)
        import torch

        with torch.inference_mode():
            out = self.model(torch.from_numpy(x)[None, None].to(self.device))
            return out[0].float().cpu().numpy()

    def colorize(self, image, temperature: float = None) -> np.ndarray:
        t = self.default_temperature if temperature is None else temperature
        return self.predict(image).decode(t)


@dataclass
class Result:
    source: str
    outputs: dict = None
    error: str = None
    prediction: Prediction = None


def colorize_paths(colorizer: Colorizer, paths, out_dir, temperature=None, keep_predictions=False,
                   should_stop=lambda: False, options: OutputOptions = OutputOptions()):
    """Colorize every image among paths (files or folders, recursively); yields a Result per file,
    written as `options` say (colorizer.output). A file that cannot be read or written gives a Result
    with its error; the others carry on."""
    t = colorizer.default_temperature if temperature is None else temperature
    for path in find_images(paths, skip=[out_dir]):
        if should_stop():
            return
        try:
            pred = colorizer.predict(path)
            outputs = save_outputs(pred, t, out_dir, options=options)
            yield Result(path, outputs, prediction=pred if keep_predictions else None)
        except ImageError as e:
            yield Result(path, error=e.reason)
        except (OSError, MemoryError, RuntimeError) as e:
            yield Result(path, error=f"{type(e).__name__}: {e}")
