"""Small generated landscapes for tests: blue sky over green land, with a little texture."""
import numpy as np


def landscape(h=96, w=128, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    horizon = int(h * rng.uniform(0.35, 0.6))
    img = np.empty((h, w, 3), np.float64)
    t = np.linspace(0, 1, horizon)[:, None]
    img[:horizon] = (1 - t)[..., None] * [70, 120, 210] + t[..., None] * [170, 200, 235]  # sky
    g = np.linspace(0, 1, h - horizon)[:, None]
    img[horizon:] = (1 - g)[..., None] * [60, 140, 50] + g[..., None] * [40, 90, 30]  # fields
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)
