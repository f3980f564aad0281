"""Colorizing a photo at full resolution, and writing the results without overwriting anything.

The network runs on L resized so its longer side is `size` px (sides multiples of 16, or 32 for the
pretrained-encoder U-Net, whose logits come out at half that size), with any colour hints; the predicted
class logits are kept, so the image can be decoded again at any temperature without another network
pass. The decoded ab is brought to the photo's size (guided by the photo's own L, or bilinear: see
colorizer.upsample) and joined with its original, full-resolution L, in bands of rows (any region,
at any size: Prediction.decode's box and max_side).

Two backends run the network (colorizer.devices): ONNX Runtime on the CPU (colorizer.onnx_net for the
pretrained-encoder U-Net, colorizer.onnx_unet for the design's), the bundle's and the default without a
CUDA GPU; and torch, on CUDA or, when asked for, on the CPU. Everything else (decoding, resizing,
writing) is numpy and Pillow. torch is imported only when a torch model is loaded or a device other
than ONNX Runtime is resolved, never by importing this module.
"""
import math
import os
from dataclasses import dataclass, field

import numpy as np

from .bins import CELL
from .color import for_each_band, gray_to_l, l_to_gray, lab_to_rgb8, normalize_l, rgb_to_l
from .decode import annealed_mean_numpy, centre_logits
from .images import ImageError, find_images, load_rgb
from .upsample import METHODS as UPSAMPLING, guided_coefficients, resize, upsample_ab
from .output import OutputOptions, check_output_dir, free_output_paths, save_outputs  # noqa: F401  (re-exported)
from .hints import HintError, check_hints, hint_map
from .temperature import check_temperature
from .weights import card_temperature, load_model, load_onnx_model
from .devices import ONNX, device_name, resolve_device, torch_or_none  # noqa: F401  (re-exported)


def network_side(h: int, w: int, size: int = 256, multiple: int = 16) -> int:
    """The longer side the network sees: `size`, but never more than the photo's own longer side
    (rounded up to a multiple of 16). Upscaling a small photo only blurs what the network sees: on the
    150-px val-scenes photos, Natural scored 24.31 dB PSNR at 160 px, 23.63 at 256 and 22.98 at 320
    (docs/history/models-history.md, "Inference size")."""
    return min(size, multiple * math.ceil(max(h, w) / multiple))


def network_size(h: int, w: int, side: int = 256, multiple: int = 16) -> tuple:
    """(h, w) -> the network's input size: longer side about `side`, both sides multiples of `multiple`
    (16 for the design's U-Net, 32 for the pretrained encoder's)."""
    s = side / max(h, w)
    m = multiple
    return max(m, round(h * s / m) * m), max(m, round(w * s / m) * m)


def image_to_l(image) -> np.ndarray:
    """A path, PIL image or array (HxW gray or HxWx3 RGB, uint8) -> float32 L HxW in [0, 100].
    A colour image is reduced to its lightness: the tool makes the grayscale itself. A gray source
    takes a 256-entry table, a colour one only its luminance (colorizer.color's fast paths)."""
    if isinstance(image, np.ndarray):
        pixels = image
        if pixels.dtype != np.uint8:
            pixels = np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8)
    else:
        pixels = load_rgb(image, keep_gray=True)
    return gray_to_l(pixels) if pixels.ndim == 2 else rgb_to_l(pixels)


def _region(box, size: tuple) -> tuple:
    """A (left, top, right, bottom) box in full-resolution pixels, cut to the image -> ints; ValueError
    if nothing of it is inside."""
    h, w = size
    if box is None:
        return 0, 0, w, h
    left, top, right, bottom = (int(round(v)) for v in box)
    left, top, right, bottom = max(left, 0), max(top, 0), min(right, w), min(bottom, h)
    if left >= right or top >= bottom:
        raise ValueError(f"box {tuple(box)} holds no pixel of the {w}x{h} image")
    return left, top, right, bottom


def _shrunk(h: int, w: int, max_side: int) -> tuple:
    """(h, w) scaled so that the longer side is max_side (never enlarged)."""
    if not max_side or max(h, w) <= max_side:
        return h, w
    s = max_side / max(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


@dataclass
class Prediction:
    """One photo's network output: decode it at any temperature, as often as needed, whole or any
    region of it, at full resolution or shrunk.

    Decoding works in bands of rows (two at a time, on two threads: numpy lets go of the GIL), each
    band's ab upsampled from the network's resolution (colorizer.upsample: guided by the photo's own L,
    or bilinear) and converted in float32, so time and memory grow with the pixels asked for. The ab
    at the network's resolution (or the guided filter's coefficients) is kept for the last temperature."""

    L: np.ndarray  # (H, W) float32, the photo's own lightness at full resolution
    logits: np.ndarray  # (Q, h, w) float32, at the network's resolution (whichever backend made it)
    centres: np.ndarray  # (Q, 2) float32, the ab colour of each class
    source: str = ""
    meta: dict = field(default_factory=dict)
    upsampling: str = "guided"  # or "bilinear": see colorizer.upsample
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def size(self) -> tuple:
        return self.L.shape

    @property
    def nbytes(self) -> int:
        """Memory held: L, the logits and what decoding keeps (centred logits, the planes of the last T,
        the shrunk L of the last preview). It grows with the first decode."""
        kept = [v[1] if isinstance(v, tuple) else v for v in self._cache.values()]
        return sum(a.nbytes for a in [self.L, self.logits, *kept] if isinstance(a, np.ndarray))

    def _guide(self) -> np.ndarray:
        """L at the network's resolution (as predict() gave it to the network), kept."""
        if "guide" not in self._cache:
            self._cache["guide"] = resize(self.L, self.logits.shape[1:])
        return self._cache["guide"]

    def _planes(self, temperature: float) -> np.ndarray:
        """The low-resolution planes that upsample_ab takes for this temperature: ab (2, h, w), or the
        guided filter's coefficients (4, h, w). TemperatureError for a T outside colorizer.temperature's
        range."""
        temperature = check_temperature(temperature)
        if self.upsampling not in UPSAMPLING:
            raise ValueError(f"unknown upsampling {self.upsampling!r}: use one of {', '.join(UPSAMPLING)}")
        key = (float(temperature), self.upsampling)
        cached = self._cache.get("planes")  # (key, planes) in one item: another thread may replace it
        if cached is not None and cached[0] == key:
            return cached[1]
        if "centred" not in self._cache:
            self._cache["centred"] = centre_logits(self.logits)
        ab = annealed_mean_numpy(self._cache["centred"], self.centres, temperature, centred=True)
        planes = guided_coefficients(self._guide(), ab) if self.upsampling == "guided" else ab
        self._cache["planes"] = (key, planes)
        return planes

    def _bands(self, box, max_side, channels: int, band_fn) -> np.ndarray:
        """Run band_fn(L_band, low_res_box, out_band) over bands of the output rows (two threads)."""
        left, top, right, bottom = _region(box, self.L.shape)
        oh, ow = _shrunk(bottom - top, right - left, max_side)
        out = np.empty((oh, ow, channels) if channels > 1 else (oh, ow), np.uint8)
        sy, sx = self.logits.shape[1] / self.L.shape[0], self.logits.shape[2] / self.L.shape[1]
        ky = (bottom - top) / oh  # full-resolution rows per output row

        if (oh, ow) == (bottom - top, right - left):
            L = self.L[top:bottom, left:right]
        else:  # shrunk once for all temperatures: the slider's re-decodes then cost only the colour
            key = (left, top, right, bottom, oh, ow)
            cached = self._cache.get("shrunk")
            if cached is not None and cached[0] == key:
                L = cached[1]
            else:
                L = resize(self.L, (oh, ow), box=(left, top, right, bottom))
                self._cache["shrunk"] = (key, L)

        def band(y0, y1):
            t, b = top + y0 * ky, top + y1 * ky  # the band's rows in full-resolution coordinates
            band_fn(L[y0:y1], (left * sx, t * sy, right * sx, b * sy), out[y0:y1])
        for_each_band(band, oh, ow)
        return out

    def ab(self, temperature: float, shape=None) -> np.ndarray:
        """ab (H, W, 2) float32 of the whole photo at `shape` (default: full resolution)."""
        shape = tuple(shape or self.L.shape)
        L = self.L if shape == self.L.shape else resize(self.L, shape)
        a, b = upsample_ab(self._planes(temperature), L)
        return np.stack([a, b], axis=-1)

    def decode(self, temperature: float, max_side: int = None, box=None) -> np.ndarray:
        """uint8 RGB (H, W, 3). box = (left, top, right, bottom) in full-resolution pixels: just that
        region (cut to the image); max_side: shrunk so that its longer side is at most max_side (for
        previews). Without either, the whole photo at full resolution."""
        planes = self._planes(temperature)

        def band(L, low_box, out):
            a, b = upsample_ab(planes, L, low_box)
            lab_to_rgb8(L, a, b, out=out)
        return self._bands(box, max_side, 3, band)

    def gray(self, max_side: int = None, box=None) -> np.ndarray:
        """uint8 (H, W): the photo's lightness as sRGB gray, with decode()'s box and max_side."""
        def band(L, low_box, out):
            out[...] = l_to_gray(L)
        return self._bands(box, max_side, 1, band)

    def suggestions(self, x, y, k: int = 5) -> list:
        """Up to k colours for the point (x, y) of the photo (its pixels as shown, from the top left), as
        "#rrggbb", most likely first: the modes of the predicted class distribution there (the classes at
        least as likely as each neighbouring class of the ab grid), then the next most likely classes,
        each at the photo's own lightness at that point. Distinct: classes that give the same sRGB colour
        (near black or white, or out of gamut) count once, so fewer than k may come back. The modes do
        not depend on the temperature. ValueError for a point outside the photo."""
        H, W = self.L.shape
        if not (0 <= x < W and 0 <= y < H):
            raise ValueError(f"point ({x:g}, {y:g}) lies outside the {W}x{H} photo")
        _, h, w = self.logits.shape  # the network's resolution: the point's pixel there, as hint_map finds it
        logits = self.logits[:, min(h - 1, int((y + 0.5) * h / H)), min(w - 1, int((x + 0.5) * w / W))]
        p = np.exp(logits.astype(np.float64) - logits.max())
        steps = np.abs(self.centres[:, None, :] - self.centres[None, :, :]).max(axis=-1)  # in Lab units
        neighbour = (steps > 0) & (steps < 1.5 * CELL)  # the (up to) 8 cells around each class's
        modes = p >= np.where(neighbour, p[None, :], 0.0).max(axis=1)
        order = sorted(range(len(p)), key=lambda i: (not modes[i], -p[i]))
        L = np.full(len(p), self.L[int(y), int(x)], np.float32)
        rgb = lab_to_rgb8(L, self.centres[:, 0], self.centres[:, 1])
        out = []
        for i in order:
            colour = "#%02x%02x%02x" % tuple(rgb[i])
            if colour not in out:
                out.append(colour)
            if len(out) == k:
                break
        return out

    def color_at(self, x, y, temperature: float) -> str:
        """The colour shown at the point (x, y) of the photo at this temperature, "#rrggbb": the pixel
        of decode(temperature). ValueError for a point outside the photo."""
        H, W = self.L.shape
        if not (0 <= x < W and 0 <= y < H):
            raise ValueError(f"point ({x:g}, {y:g}) lies outside the {W}x{H} photo")
        left, top = int(x), int(y)
        return "#%02x%02x%02x" % tuple(self.decode(temperature, box=(left, top, left + 1, top + 1))[0, 0])


class Colorizer:
    """A loaded model: predict() runs the network once, Prediction.decode() turns it into colour."""

    def __init__(self, model, bins, card: dict, device, size: int = 256):
        """model: a torch network on `device` (a torch.device), or an ONNX Runtime one (device ONNX)."""
        self.model, self.bins, self.card, self.device, self.size = model, bins, card, device, size
        self.centres = np.asarray(bins.centres, dtype=np.float32)
        self.network_passes = 0
        self.upsampling = "guided"  # how its Predictions bring ab to full resolution (colorizer.upsample)

    @classmethod
    def load(cls, name_or_path, device="auto", size: int = 256) -> "Colorizer":
        """device: 'auto', 'cpu', 'cuda[:n]' or 'onnx' (see resolve_device). Raises ModelError, or
        RuntimeError for a device that is not there."""
        device = resolve_device(device)
        if str(device) == ONNX:
            model, bins, card = load_onnx_model(name_or_path)
        else:
            model, bins, card = load_model(name_or_path, device)
        return cls(model, bins, card, device, size)

    @property
    def backend(self) -> str:
        """'torch' or 'onnxruntime' (the device ONNX: either network without torch)."""
        return "torch" if hasattr(self.model, "state_dict") else self.model.backend

    @property
    def name(self) -> str:
        return self.card.get("name", self.card.get("id", "model"))

    @property
    def default_temperature(self) -> float:
        return card_temperature(self.card)

    @property
    def takes_hints(self) -> bool:
        """Whether the network was trained with colour hints (the pretrained-encoder models)."""
        return getattr(self.model, "takes_hints", False)

    @property
    def multiple(self) -> int:
        """What the network's input sides must be multiples of."""
        return getattr(self.model, "input_multiple", 16)

    def predict(self, image, hints=None) -> Prediction:
        """image: path, PIL image or uint8 array, or an earlier Prediction of the same photo (its
        lightness is reused: new hints then cost only the network pass); hints: colorizer.hints.Hint
        list, in the photo's pixels (none: the automatic colour). Raises ImageError for unreadable input,
        HintError for hints outside the photo or for a model trained without hints."""
        L = image.L if isinstance(image, Prediction) else image_to_l(image)
        hints = check_hints(hints, L.shape)
        if hints and not self.takes_hints:
            raise HintError(f"model {self.name!r} was trained without colour hints")
        h, w = network_size(*L.shape, network_side(*L.shape, self.size, self.multiple), self.multiple)
        small = resize(L, (h, w))
        hint_input = hint_map(hints, L.shape, (h, w)) if hints else None
        logits = self.run_network(normalize_l(small).astype(np.float32), hint_input)
        self.network_passes += 1
        source = image.source if isinstance(image, Prediction) else \
            os.fspath(image) if isinstance(image, (str, os.PathLike)) else ""
        meta = {"model": self.card.get("id", self.name)}
        if hints:
            meta["hints"] = [hint.to_dict() for hint in hints]
        pred = Prediction(L=L, logits=logits, centres=self.centres, source=source, meta=meta,
                          upsampling=self.upsampling)
        if logits.shape[1:] == small.shape:  # the guided filter's guide is the network's own input
            pred._cache["guide"] = small
        return pred

    def run_network(self, x: np.ndarray, hints: np.ndarray = None) -> np.ndarray:
        """One network pass: normalised L (h, w) float32 (and a hint map (3, h, w) for the networks that
        take one) -> logits (Q, h, w) float32, or at half size for the pretrained-encoder networks."""
        if not hasattr(self.model, "state_dict"):  # the ONNX Runtime backend
            return self.model(x, hints) if hints is not None else self.model(x)
        import torch

        with torch.inference_mode():
            inputs = [torch.from_numpy(x)[None, None].to(self.device)]
            if hints is not None:
                inputs.append(torch.from_numpy(hints)[None].to(self.device))
            out = self.model(*inputs)
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
                   should_stop=lambda: False, options: OutputOptions = OutputOptions(), hints=None):
    """Colorize every image among paths (files or folders, recursively); yields a Result per file,
    written as `options` say (colorizer.output). A file that cannot be read or written gives a Result
    with its error; the others carry on. hints: colour hints (colorizer.hints.Hint) for every file,
    which the command line allows with one photo only; hints that do not fit a photo are its error.
    Before the first photo: TemperatureError for a T outside colorizer.temperature's range,
    OutputFolderError for an output folder that cannot be written."""
    t = colorizer.default_temperature if temperature is None else check_temperature(temperature)
    files = find_images(paths, skip=[out_dir])
    if files:
        check_output_dir(out_dir)
    for path in files:
        if should_stop():
            return
        try:
            pred = colorizer.predict(path, hints)
            outputs = save_outputs(pred, t, out_dir, options=options)
            yield Result(path, outputs, prediction=pred if keep_predictions else None)
        except ImageError as e:
            yield Result(path, error=e.reason)
        except HintError as e:
            yield Result(path, error=str(e))
        except (OSError, MemoryError, RuntimeError) as e:
            yield Result(path, error=f"{type(e).__name__}: {e}")
