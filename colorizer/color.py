"""CIE Lab through scikit-image, and the scaling the network sees.

L is in [0, 100]; a and b lie roughly in [-128, 127]. The network gets L / 50 - 1 (about [-1, 1]).
"""
import numpy as np
from skimage import color as skcolor


def rgb_to_lab(rgb: np.ndarray, rows_per_chunk: int = 512) -> np.ndarray:
    """sRGB (uint8, or float in [0, 1]) HxWx3 -> float32 Lab HxWx3, in bands of rows: rgb2lab works in
    float64 with several intermediates, which for a 12-megapixel photo at once would take GBs."""
    out = np.empty(rgb.shape, dtype=np.float32)
    for top in range(0, rgb.shape[0], rows_per_chunk):
        out[top:top + rows_per_chunk] = skcolor.rgb2lab(rgb[top:top + rows_per_chunk])
    return out


def lab_to_rgb(lab: np.ndarray, rows_per_chunk: int = 512) -> np.ndarray:
    """Lab HxWx3 -> sRGB uint8 HxWx3. Converted in bands of rows so that a 12-megapixel photo does not
    need several GB of float64 intermediates at once."""
    h = lab.shape[0]
    out = np.empty(lab.shape, dtype=np.uint8)
    for top in range(0, h, rows_per_chunk):
        band = skcolor.lab2rgb(lab[top:top + rows_per_chunk].astype(np.float64))
        out[top:top + rows_per_chunk] = np.round(np.clip(band, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out


# L -> gray is a 1-D, increasing map (a = b = 0), so it is tabulated once from scikit-image's own
# conversion: the L at which the rounded sRGB value steps from k - 1 to k, found by bisection to float64
# precision. A lookup then gives exactly lab2rgb's rounded (red-channel) value, at a fraction of the time on
# large photos (interpolating a table instead was off by one level now and then).
def _gray_level(L: np.ndarray) -> np.ndarray:
    rgb = skcolor.lab2rgb(np.stack([L, np.zeros_like(L), np.zeros_like(L)], axis=-1)[None])[0]
    return np.round(np.clip(rgb[:, 0], 0.0, 1.0) * 255.0)


def _gray_steps() -> np.ndarray:
    k = np.arange(1, 256)
    lo, hi = np.zeros(255), np.full(255, 100.0)
    for _ in range(64):  # 100 / 2^64 is below float64 resolution: lo and hi end as neighbours
        mid = (lo + hi) / 2
        below = _gray_level(mid) < k
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return hi  # hi[k - 1]: the smallest L whose gray level is k


_GRAY_STEPS = _gray_steps()


def l_to_gray(L: np.ndarray) -> np.ndarray:
    """Lightness HxW in [0, 100] -> the neutral sRGB gray it stands for, uint8 HxW."""
    return np.searchsorted(_GRAY_STEPS, np.asarray(L, dtype=np.float64), side="right").astype(np.uint8)


def normalize_l(L):
    """The network's input scaling of L (works on numpy arrays and torch tensors)."""
    return L / 50.0 - 1.0
