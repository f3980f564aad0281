"""Chroma upsampling: the network's ab, at 256 px, brought to any region of the photo at any size.

Bilinear upsampling lets colour bleed across edges (sky blue on a roof, green on a rock): the network's
ab is 4 to 16 times coarser than the photo. The guided filter (He, Sun and Tang, "Guided Image
Filtering", ECCV 2010) fits, in every small window, ab as a linear function of the lightness,
ab ~ A L + B, so where L has an edge the colour can step with it. As in He and Sun's "Fast Guided
Filter" (2015), the coefficients are fitted at the network's resolution (guide: L shrunk to that size)
and only they are upsampled bilinearly; the full-resolution L then draws the edges: ab = A L + B. Per
full-resolution pixel that is two more bilinear samples and a multiply-add per channel.

Written by hand (box means by cumulative sums) because the packaged app carries neither OpenCV nor
scipy.ndimage (build.spec leaves them out for size); tests/test_upsample.py checks it against a
straightforward window-by-window reference.

Regions: every function here takes a box in the low-resolution image's pixel coordinates (floats), and
Pillow's resampling with a box gives exactly the pixels of that part of the whole upsampled image
(it reads the neighbours outside the box too), so a band of rows or the window's 100 % view costs in
proportion to its own size.
"""
import numpy as np
from PIL import Image

METHODS = ("guided", "bilinear")
RADIUS = 2  # window radius of the fit, in network pixels (5 x 5 windows)
EPS = 1e-2  # regularisation, in units of (L / 100)^2: windows whose L varies by less than ~10 L units keep ab smooth


def resize(plane: np.ndarray, shape: tuple, box=None) -> np.ndarray:
    """float32 (h, w) -> (H, W), bilinear on pixel centres (Pillow's float images keep the values
    unrounded). Upscaling gives what torch's F.interpolate(mode="bilinear", align_corners=False)
    gives, downscaling is antialiased. box: the (left, top, right, bottom) region of `plane` that the
    output covers (floats; default all of it)."""
    image = Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32))  # float32 gives mode "F"
    return np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR, box=box), dtype=np.float32)


def _taps(n_in: int, n_out: int, start: float, stop: float) -> tuple:
    """Bilinear taps of n_out output pixels covering [start, stop) of n_in input pixels (upscaling):
    the input index of each output pixel's left neighbour, and the right one's weight. A pixel centre
    outside the input's first or last centre takes that pixel alone, as Pillow and torch do."""
    c = start + (np.arange(n_out) + 0.5) * ((stop - start) / n_out) - 0.5  # in input pixel indices
    c = np.clip(c, 0, n_in - 1)
    left = np.minimum(np.floor(c).astype(np.intp), max(n_in - 2, 0))
    return left, (c - left).astype(np.float32)


def resize_planes(planes: np.ndarray, shape: tuple, box=None) -> np.ndarray:
    """(k, h, w) -> (k, H, W) float32, each plane as resize(). The usual case, upscaling on both axes,
    is done in numpy: across on the few input rows the region reads, then down by broadcasting, which
    saves Pillow's image <-> array copies (more than half of its time) and full-size gathers."""
    k, h, w = planes.shape
    left, top, right, bottom = box if box is not None else (0, 0, w, h)
    H, W = shape
    if H < bottom - top or W < right - left:  # shrinking: Pillow's antialiased filter
        return np.stack([resize(p, shape, box) for p in planes])
    y0, fy = _taps(h, H, top, bottom)
    first, last = y0[0], min(y0[-1] + 2, h)  # the few input rows this region reads
    y0 -= first
    x0, fx = _taps(w, W, left, right)
    x1 = np.minimum(x0 + 1, w - 1)
    few = np.asarray(planes[:, first:last], np.float32)
    across = few[:, :, x0]
    across *= 1 - fx
    right_taps = few[:, :, x1]
    right_taps *= fx
    across += right_taps  # (k, rows read, W)
    step = across[:, 1:] - across[:, :-1] if last - first > 1 else np.zeros_like(across)
    # down: output row = across[y0] + fy * (across[y0 + 1] - across[y0]), one run of rows per input row,
    # by broadcasting (no full-size gathers)
    out = np.empty((k, H, W), np.float32)
    runs = np.flatnonzero(np.diff(y0)) + 1
    for start, stop in zip(np.r_[0, runs], np.r_[runs, H]):
        r = y0[start]
        np.multiply(step[:, min(r, step.shape[1] - 1), None, :], fy[start:stop, None], out=out[:, start:stop])
        out[:, start:stop] += across[:, r, None, :]
    return out


def box_mean(x: np.ndarray, r: int) -> np.ndarray:
    """Mean of x (..., h, w) over the (2r + 1)^2 window around each pixel, the window cut at the image's
    borders (the mean of the pixels inside): along each axis, the sum of the 2r + 1 shifted copies of
    the zero-padded array over the number of pixels inside (for the small radii used here that is
    faster than cumulative sums, which numpy computes slowly along a non-last axis)."""
    x = np.asarray(x, np.float64)
    for axis in (x.ndim - 2, x.ndim - 1):
        n = x.shape[axis]
        pad = [(0, 0)] * x.ndim
        pad[axis] = (r, r)
        padded = np.pad(x, pad)
        total = np.zeros_like(x)
        for shift in range(2 * r + 1):
            total += padded[(slice(None),) * axis + (slice(shift, shift + n),)]
        count = np.minimum(np.arange(n) + r + 1, n) - np.maximum(np.arange(n) - r, 0)
        shape = [1] * x.ndim
        shape[axis] = n
        x = total / count.reshape(shape)
    return x


def guided_coefficients(guide: np.ndarray, ab: np.ndarray, radius: int = RADIUS, eps: float = EPS) -> np.ndarray:
    """The guided filter's smoothed linear coefficients at low resolution.

    guide: L (h, w) in [0, 100]; ab: (2, h, w). Returns (4, h, w) float32: A_a, A_b, B_a, B_b, such that
    the filtered a = A_a L + B_a (and b likewise) for L at any resolution, once A and B are resized to it."""
    I = np.asarray(guide, np.float64) / 100.0  # noqa: E741  (He et al.'s name for the guide image)
    p = np.asarray(ab, np.float64)
    mean_I = box_mean(I, radius)
    var_I = box_mean(I * I, radius) - mean_I ** 2
    mean_p = box_mean(p, radius)
    cov_Ip = box_mean(I[None] * p, radius) - mean_I[None] * mean_p
    A = cov_Ip / (var_I[None] + eps)
    B = mean_p - A * mean_I[None]
    return np.concatenate([box_mean(A, radius) / 100.0, box_mean(B, radius)]).astype(np.float32)


def upsample_ab(planes: np.ndarray, L: np.ndarray, box=None) -> tuple:
    """(a, b) float32 at L's shape for the region `box` of the low-resolution planes.

    planes: (2, h, w) ab for bilinear upsampling, or (4, h, w) guided_coefficients; L: the lightness of
    the region at the output's resolution (used by the guided planes only)."""
    up = resize_planes(planes, L.shape, box)
    if len(planes) == 2:
        return up[0], up[1]
    a, b, a_shift, b_shift = up
    a *= L
    a += a_shift
    b *= L
    b += b_shift
    return a, b
