"""A film-like gray: what a scanned black-and-white print of a colour scene looks like.

A scan is not the L* of a colour photo. Film weighs red, green and blue otherwise than the eye
(orthochromatic emulsions were nearly blind to red, panchromatic ones close to the eye), and a print
adds its own tone curve, low contrast, grain, blur and, once scanned and shared, JPEG artefacts. A
network that only ever saw L* takes these for content. Training draws the network's input from here
(`colorizer train --film P`), the targets staying the photo's true ab; `colorizer evaluate --gray
film` scores with a fixed, seeded draw of the same kind.

Written by hand: no library simulates film; each step uses scikit-image or Pillow where one exists.
"""
import io

import numpy as np
from PIL import Image

from .color import gray_to_l, l_to_gray, luminance_to_l, srgb_to_linear

# relative sensitivity to linear R, G, B; the draw mixes the two ends
ORTHOCHROMATIC = np.array([0.04, 0.46, 0.50])
PANCHROMATIC = np.array([0.30, 0.56, 0.14])  # a little redder and bluer than the eye's luminance


def film_lightness(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 sRGB HxWx3 -> float32 L HxW in [0, 100] of a film-like black-and-white copy, every step
    drawn from rng: spectral weights, tone (gamma, contrast, faded blacks and whites), blur, grain, and
    8-bit gray with JPEG half of the time."""
    from skimage.filters import gaussian

    t = rng.uniform()
    weights = (1 - t) * ORTHOCHROMATIC + t * PANCHROMATIC
    weights = weights * np.exp(rng.normal(0.0, 0.15, 3))  # no two films (or filters) alike
    y = (srgb_to_linear(rgb / 255.0) @ (weights / weights.sum())).astype(np.float32)
    x = luminance_to_l(y) / 100.0
    # tone: a print's curve and contrast, blacks lifted and whites dulled by fading
    x = x ** np.exp(rng.uniform(-0.35, 0.35))
    mid = float(x.mean())
    x = mid + rng.uniform(0.65, 1.15) * (x - mid)
    black, white = rng.uniform(0.0, 0.12), 1.0 - rng.uniform(0.0, 0.1)
    x = black + (white - black) * np.clip(x, 0.0, 1.0)
    if rng.uniform() < 0.5:
        x = gaussian(x, sigma=rng.uniform(0.3, 1.2), preserve_range=True)
    grain = rng.normal(0.0, 1.0, x.shape).astype(np.float32)
    grain = gaussian(grain, sigma=rng.uniform(0.0, 0.8), preserve_range=True) if rng.uniform() < 0.5 else grain
    x = x + rng.uniform(0.0, 0.04) * grain
    L = np.clip(x * 100.0, 0.0, 100.0).astype(np.float32)
    if rng.uniform() < 0.5:  # shared as a JPEG: 8-bit gray with its block artefacts
        buf = io.BytesIO()
        Image.fromarray(l_to_gray(L)).save(buf, "JPEG", quality=int(rng.integers(25, 91)))
        L = gray_to_l(np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L")))
    return L
