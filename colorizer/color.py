"""CIE Lab: scikit-image's conversions (the reference), the float32 fast paths, and the network's scaling.

L is in [0, 100]; a and b lie roughly in [-128, 127]. The network gets L / 50 - 1 (about [-1, 1]).

rgb_to_lab and lab_to_rgb are scikit-image's conversions (float64), the reference that training and
evaluation use. The app's paths use the float32 twins below them (rgb_to_l, gray_to_l, rgb_to_lab_fast,
lab_to_rgb8, lab_to_rgb_fast, l_to_gray), which give the same pixels to within one uint8 level (and the
same Lab to within a few thousandths) at a fraction of the time and memory, and need no scikit-image:
it is imported only inside rgb_to_lab and lab_to_rgb, so that the packaged app, which never calls them,
leaves scikit-image and SciPy out (build.spec).
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def rgb_to_lab(rgb: np.ndarray, rows_per_chunk: int = 512) -> np.ndarray:
    """sRGB (uint8, or float in [0, 1]) HxWx3 -> float32 Lab HxWx3, in bands of rows: rgb2lab works in
    float64 with several intermediates, which for a 12-megapixel photo at once would take GBs.
    scikit-image's rgb2lab (imported here, not at module level: see the module's docstring)."""
    from skimage import color as skcolor

    out = np.empty(rgb.shape, dtype=np.float32)
    for top in range(0, rgb.shape[0], rows_per_chunk):
        out[top:top + rows_per_chunk] = skcolor.rgb2lab(rgb[top:top + rows_per_chunk])
    return out


def lab_to_rgb(lab: np.ndarray, rows_per_chunk: int = 512) -> np.ndarray:
    """Lab HxWx3 -> sRGB uint8 HxWx3. Converted in bands of rows so that a 12-megapixel photo does not
    need several GB of float64 intermediates at once. scikit-image's lab2rgb (imported here)."""
    from skimage import color as skcolor

    h = lab.shape[0]
    out = np.empty(lab.shape, dtype=np.uint8)
    for top in range(0, h, rows_per_chunk):
        band = skcolor.lab2rgb(lab[top:top + rows_per_chunk].astype(np.float64))
        out[top:top + rows_per_chunk] = np.round(np.clip(band, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out


def normalize_l(L):
    """The network's input scaling of L (works on numpy arrays and torch tensors)."""
    return L / 50.0 - 1.0


# ---- fast paths for full-resolution photos -----------------------------------------------------------
# Written by hand in float32 and in bands of rows, because scikit-image converts in float64 with several
# full-size intermediates (2.2 s and ~1 GB for a 12-megapixel decode). The formulas are scikit-image's
# (skimage.color.colorconv: rgb2xyz, xyz2lab, lab2xyz, xyz2rgb), and so are its constants below;
# tests/test_color.py checks each path against rgb2lab / lab2rgb, to within one uint8 level.
BAND_PIXELS = 1 << 15  # pixels per band: its float32 temporaries (128 KB each) stay in the CPU's caches and
# come from the heap (larger ones are mapped afresh by malloc each time, whose page faults doubled the time)


_BAND_THREADS = ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1), thread_name_prefix="bands")


def band_rows(width: int) -> int:
    """Rows per band for an image `width` pixels wide."""
    return max(1, BAND_PIXELS // max(1, width))


def for_each_band(fn, height: int, width: int) -> None:
    """fn(top, bottom) for every band of rows of a height x width image, two bands at a time on two
    threads (numpy and Pillow let go of the GIL in their loops); a band's error is raised here."""
    rows = band_rows(width)
    bands = [(top, min(top + rows, height)) for top in range(0, height, rows)]
    if len(bands) == 1 or threading.current_thread().name.startswith("bands"):  # nested: inline, no deadlock
        for band in bands:
            fn(*band)
    else:
        list(_BAND_THREADS.map(lambda band: fn(*band), bands))


# scikit-image's constants, written out rather than read from skimage.color.colorconv: importing
# scikit-image's colour module imports SciPy (scipy.linalg), ~36 MB of the packaged app, which needs
# neither. tests/test_color.py checks that they equal colorconv's values.
D65_WHITE = np.array([0.95047, 1.0, 1.08883])  # CIE XYZ of the D65 white point, 2-degree observer (Y = 1)
XYZ_FROM_RGB = np.array([[0.412453, 0.357580, 0.180423],  # linear sRGB -> CIE XYZ: colorconv.xyz_from_rgb
                         [0.212671, 0.715160, 0.072169],
                         [0.019334, 0.119193, 0.950227]])
RGB_FROM_XYZ = np.array([[3.2404813432005266, -1.5371515162713183, -0.4985363261688878],  # its inverse, to
                         [-0.9692549499965682, 1.8759900014898907, 0.04155592655829284],  # the last bit:
                         [0.055646639135177166, -0.20404133836651123, 1.0573110696453443]])  # rgb_from_xyz

# linear sRGB = this @ (x, y, z), the CIE f^-1 values before scaling by the white point
_RGB_FROM_XYZ_WHITE = (RGB_FROM_XYZ * D65_WHITE[None, :]).astype(np.float32)
# (x, y, z) relative to the white point = this @ linear sRGB
_XYZ_WHITE_FROM_RGB = (XYZ_FROM_RGB / D65_WHITE[:, None]).astype(np.float32)


def srgb_to_linear(v):
    """sRGB in [0, 1] -> linear light: rgb2xyz's curve, float64."""
    v = np.asarray(v, np.float64)
    return np.where(v > 0.04045, ((v + 0.055) / 1.055) ** 2.4, v / 12.92)


def _linear_to_srgb(v):
    """Linear light -> sRGB in [0, 1]: xyz2rgb's curve and clipping, float64."""
    v = np.asarray(v, np.float64)
    return np.clip(np.where(v > 0.0031308, 1.055 * np.maximum(v, 0.0031308) ** (1 / 2.4) - 0.055, v * 12.92), 0, 1)


def _lab_f(t):
    """xyz2lab's CIE f of XYZ relative to the white point, float64."""
    t = np.asarray(t, np.float64)
    return np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16.0 / 116.0)


def _lab_f_inverse(f):
    """lab2xyz's CIE f^-1, float64."""
    f = np.asarray(f, np.float64)
    return np.where(f > 0.2068966, f ** 3, (f - 16.0 / 116.0) / 7.787)


_LEVELS = np.arange(256) * (1.0 / 255.0)  # uint8 -> [0, 1] as scikit-image scales it (img_as_float)
# L of each gray sRGB level, as rgb2lab computes it (the gray's Y through the whole matrix, as rgb2xyz)
_GRAY_L = (116.0 * _lab_f((np.repeat(srgb_to_linear(_LEVELS)[:, None], 3, axis=1) @ XYZ_FROM_RGB.T)[:, 1]
                          / D65_WHITE[1]) - 16.0).astype(np.float32)
# a colour pixel's L depends only on its luminance: Y = sum over the channels of table[channel][value]
_Y_OF_LEVEL = (srgb_to_linear(_LEVELS)[None, :]
               * (XYZ_FROM_RGB[1] / D65_WHITE[1])[:, None]).astype(np.float32)  # (3, 256)
_LINEAR_OF_LEVEL = srgb_to_linear(_LEVELS).astype(np.float32)  # uint8 sRGB level -> linear light


def gray_to_l(gray: np.ndarray) -> np.ndarray:
    """uint8 gray HxW (an sRGB gray: R = G = B) -> float32 L HxW, exactly rgb2lab's, by table lookup."""
    return _GRAY_L[np.asarray(gray, dtype=np.uint8)]


def luminance_to_l(y: np.ndarray) -> np.ndarray:
    """Relative luminance (float32, overwritten) -> L: xyz2lab's formula."""
    small = y <= 0.008856
    linear = y[small] * np.float32(7.787) + np.float32(16.0 / 116.0)
    np.cbrt(y, out=y)
    y[small] = linear
    y *= np.float32(116.0)
    y -= np.float32(16.0)
    return y


def rgb_to_l(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB HxWx3 -> float32 L HxW: rgb2lab's L, without computing a and b."""
    h, w = rgb.shape[:2]
    out = np.empty((h, w), np.float32)

    def band(top, bottom):
        pixels = rgb[top:bottom]
        y = _Y_OF_LEVEL[0][pixels[..., 0]]
        y += _Y_OF_LEVEL[1][pixels[..., 1]]
        y += _Y_OF_LEVEL[2][pixels[..., 2]]
        out[top:bottom] = luminance_to_l(y)
    for_each_band(band, h, w)
    return out


def rgb_to_lab_fast(rgb: np.ndarray) -> np.ndarray:
    """sRGB HxWx3 (uint8, or float in [0, 1]) -> float32 Lab HxWx3: rgb_to_lab (rgb2lab) in float32 bands,
    to within a few thousandths, without scikit-image. Any leading shape (..., 3) is accepted."""
    rgb = np.asarray(rgb)
    shape = rgb.shape
    flat = rgb.reshape(-1, 3)
    out = np.empty(flat.shape, np.float32)
    m = _XYZ_WHITE_FROM_RGB

    def band(top, bottom):
        part = flat[top:bottom]
        if part.dtype == np.uint8:
            linear = _LINEAR_OF_LEVEL[part]
        else:
            linear = srgb_to_linear(part).astype(np.float32)
        t = linear @ m.T  # (x, y, z) relative to the white point
        small = t <= np.float32(0.008856)
        f = np.cbrt(t)
        f[small] = t[small] * np.float32(7.787) + np.float32(16.0 / 116.0)
        o = out[top:bottom]
        np.multiply(f[:, 1], np.float32(116.0), out=o[:, 0])
        o[:, 0] -= np.float32(16.0)
        np.subtract(f[:, 0], f[:, 1], out=o[:, 1])
        o[:, 1] *= np.float32(500.0)
        np.subtract(f[:, 1], f[:, 2], out=o[:, 2])
        o[:, 2] *= np.float32(200.0)
    for_each_band(band, flat.shape[0], 1)
    return out.reshape(shape)


class _StepTable:
    """An increasing 1-D map x -> uint8 level given by its steps (steps[k - 1]: the smallest x of level
    k), looked up without a search: a table over `cells` equal cells of [lo, hi] holds the level at each
    cell's start and the step inside the cell, if any (no cell holds two: checked here), so one lookup
    and one comparison give the level. Exact to the float32 input."""

    def __init__(self, steps: np.ndarray, lo: float, hi: float, cells: int = 4096):
        assert np.diff(steps).min() > (hi - lo) / cells, "two steps in one cell"
        self.lo, self.hi, self.scale = np.float32(lo), np.float32(hi), np.float32(cells / (hi - lo))
        starts = lo + np.arange(cells + 1) / float(self.scale)
        self.cell_level = np.searchsorted(steps, starts, side="right").astype(np.uint8)
        # the step that follows each cell's start, as the smallest float32 at or above it (so that a
        # float32 x reaches it exactly when x >= the float64 step); inf past the last one
        following = np.append(steps, np.inf)[self.cell_level.astype(np.intp)]
        f32 = following.astype(np.float32)
        self.cell_step = np.where(f32 < following, np.nextafter(f32, np.float32(np.inf)), f32).astype(np.float32)

    def __call__(self, x: np.ndarray, out: np.ndarray = None) -> np.ndarray:
        """float32 x (clipped in place to [lo, hi]) -> uint8 levels (into out if given)."""
        np.clip(x, self.lo, self.hi, out=x)
        cell = x - self.lo
        cell *= self.scale
        cell = cell.astype(np.intp)
        level = self.cell_level[cell]
        level += x >= self.cell_step[cell]
        if out is None:
            return level
        out[...] = level
        return out


def _steps_of(level_of, lo: float, hi: float) -> np.ndarray:
    """The 255 steps of an increasing map to rounded levels, by bisection to float64 precision."""
    k = np.arange(1, 256)
    a, b = np.full(255, lo, np.float64), np.full(255, hi, np.float64)
    for _ in range(64):
        mid = (a + b) / 2
        below = level_of(mid) < k
        a, b = np.where(below, mid, a), np.where(below, b, mid)
    return b


# linear light -> sRGB level, lab_to_rgb8's last step, in place of a power per pixel: a table of the
# level at the centre of each of 2^18 cells of [0, 1]. A cell that holds a step (255 of them) is one level
# off for part of it: 0.02 % of uniformly spread values, never more than one level. (An exact table with
# one more comparison, _StepTable above, takes six times as long.)
_LINEAR_CELLS = 1 << 18
_LINEAR_LEVEL = np.round(_linear_to_srgb((np.arange(_LINEAR_CELLS) + 0.5) / _LINEAR_CELLS) * 255.0).astype(np.uint8)
_BELOW_ONE = np.float32(1 - 2 ** -23)


def _linear_to_level(v: np.ndarray, out: np.ndarray) -> None:
    """float32 linear light (overwritten) -> uint8 sRGB levels in out, clipped to [0, 255]."""
    np.clip(v, 0.0, _BELOW_ONE, out=v)
    v *= np.float32(_LINEAR_CELLS)
    out[...] = _LINEAR_LEVEL[v.astype(np.intp)]


# L -> gray is a 1-D, increasing map (a = b = 0), so it is tabulated once from scikit-image's formulas
# (lab2xyz, then xyz2rgb's red row, curve and rounding): the L at which the rounded sRGB value steps
# from k - 1 to k. A lookup then gives exactly lab2rgb's rounded (red-channel) value.
def _gray_level(L: np.ndarray) -> np.ndarray:
    f = _lab_f_inverse((np.asarray(L, np.float64) + 16.0) / 116.0)  # x = y = z in f terms when a = b = 0
    xyz = np.stack([f, f, f], axis=-1) * D65_WHITE
    return np.round(_linear_to_srgb((xyz @ RGB_FROM_XYZ.T)[:, 0]) * 255.0)


_GRAY_STEPS = _steps_of(_gray_level, 0.0, 100.0)
_L_TO_GRAY = _StepTable(_GRAY_STEPS, 0.0, 100.0)


def l_to_gray(L: np.ndarray) -> np.ndarray:
    """Lightness HxW in [0, 100] -> the neutral sRGB gray it stands for, uint8 HxW (in bands of rows)."""
    L = np.asarray(L)
    if L.ndim < 2:
        return _L_TO_GRAY(np.array(L, dtype=np.float32))
    out = np.empty(L.shape, np.uint8)
    for_each_band(lambda top, bottom: _L_TO_GRAY(np.array(L[top:bottom], dtype=np.float32), out=out[top:bottom]),
                  L.shape[0], L.shape[-1] if L.ndim == 2 else int(np.prod(L.shape[1:])))
    return out


_DELTA = np.float32(0.2068966)  # 6/29, where lab2xyz's f^-1 turns from linear to cubic


def _f_inverse(f: np.ndarray) -> np.ndarray:
    """CIE f^-1 of float32 f: f^3 above 6/29, the linear segment below (lab2xyz's formula). The line is
    the cube's tangent at 6/29, so with t = max(f, 6/29) it is t^3 + 3 (6/29)^2 (f - t): no select."""
    t = np.maximum(f, _DELTA)
    out = t * t
    out *= t
    np.subtract(f, t, out=t)
    t *= np.float32(1 / 7.787)  # lab2xyz's slope, 3 (6/29)^2 to six digits
    out += t
    return out


def lab_to_rgb8(L: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray = None) -> np.ndarray:
    """float32 L, a, b (each HxW) -> uint8 sRGB HxWx3: lab2rgb in float32, gamut clipped as it clips.
    Meant for a band of rows at a time: it makes a few float32 temporaries of the input's size."""
    if out is None:
        out = np.empty(np.shape(L) + (3,), np.uint8)
    fy = np.asarray(L, np.float32) + np.float32(16.0)
    fy *= np.float32(1 / 116.0)
    fx = np.asarray(a, np.float32) * np.float32(1 / 500.0)
    fx += fy
    fz = np.asarray(b, np.float32) * np.float32(-1 / 200.0)
    fz += fy
    np.maximum(fz, 0.0, out=fz)  # lab2xyz sets a negative z to 0 (far out of gamut)
    x, y, z = _f_inverse(fx), _f_inverse(fy), _f_inverse(fz)
    m = _RGB_FROM_XYZ_WHITE
    v = np.empty_like(x)
    for c in range(3):
        np.multiply(x, m[c, 0], out=v)
        v += y * m[c, 1]
        v += z * m[c, 2]
        _linear_to_level(v, out[..., c])
    return out


def lab_to_rgb_fast(lab: np.ndarray) -> np.ndarray:
    """Lab HxWx3 -> sRGB uint8 HxWx3: lab_to_rgb to within one level, in float32 bands."""
    h, w = lab.shape[:2]
    out = np.empty((h, w, 3), np.uint8)

    def band(top, bottom):
        part = lab[top:bottom]
        lab_to_rgb8(part[..., 0], part[..., 1], part[..., 2], out=out[top:bottom])
    for_each_band(band, h, w)
    return out
