"""CIE Lab through scikit-image, and the scaling the network sees.

L is in [0, 100]; a and b lie roughly in [-128, 127]. The network gets L / 50 - 1 (about [-1, 1]).
"""
import numpy as np
from skimage import color as skcolor


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (uint8, or float in [0, 1]) HxWx3 -> float32 Lab HxWx3."""
    return skcolor.rgb2lab(rgb).astype(np.float32)


def lab_to_rgb(lab: np.ndarray, rows_per_chunk: int = 512) -> np.ndarray:
    """Lab HxWx3 -> sRGB uint8 HxWx3. Converted in bands of rows so that a 12-megapixel photo does not
    need several GB of float64 intermediates at once."""
    h = lab.shape[0]
    out = np.empty(lab.shape, dtype=np.uint8)
    for top in range(0, h, rows_per_chunk):
        band = skcolor.lab2rgb(lab[top:top + rows_per_chunk].astype(np.float64))
        out[top:top + rows_per_chunk] = np.round(np.clip(band, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out


# L -> gray is a 1-D map (a = b = 0), so it is tabulated once from scikit-image's own conversion and
# applied by interpolation: the same values as lab2rgb, at a fraction of the time on large photos.
_L_TABLE = np.linspace(0.0, 100.0, 4097)
_GRAY_TABLE = skcolor.lab2rgb(
    np.stack([_L_TABLE, np.zeros_like(_L_TABLE), np.zeros_like(_L_TABLE)], axis=-1)[None]
)[0, :, 0]


def l_to_gray(L: np.ndarray) -> np.ndarray:
    """Lightness HxW in [0, 100] -> the neutral sRGB gray it stands for, uint8 HxW."""
    gray = np.interp(L, _L_TABLE, _GRAY_TABLE)
    return np.round(np.clip(gray, 0.0, 1.0) * 255.0).astype(np.uint8)


def normalize_l(L):
    """The network's input scaling of L (works on numpy arrays and torch tensors)."""
    return L / 50.0 - 1.0
