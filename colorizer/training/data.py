"""Training crops: random multi-scale crops and flips of the photos under one or more folders,
optionally rotated by a few degrees and with the lightness re-toned (augmentations that keep every
pixel's true colour), drawn uniformly over photos or with per-photo weights (per-folder shares,
colourful photos more often).

Photos are decoded once, at a bounded size (colorizer.training.photo_cache). Sample number i of rank r is drawn
from a generator seeded by (seed, r, i), so a resumed run sees exactly the crops it would have seen,
every rank sees different ones, and DataLoader workers need no shared random state.
"""
import math

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, Sampler

from ..bins import ABBins, CELL, N_CELLS, cell_centres, count_cells
from ..color import normalize_l, rgb_to_lab
from ..film import film_lightness
from .photo_cache import PhotoSet, load_photo_set


def load_photos(roots, max_side: int, cache="") -> PhotoSet:
    """Every readable image under root (or each of several roots), downscaled so its longer side is at
    most max_side. cache: see photo_cache.load_photo_set ("" = decode into memory, no cache file)."""
    return load_photo_set(roots, max_side, cache)


def photo_cell_counts(photos) -> np.ndarray:
    """(N, N_CELLS) ab-cell histogram of each photo (kept by a PhotoSet, computed for a plain list)."""
    if isinstance(photos, PhotoSet):
        return photos.cell_counts
    return np.array([count_cells(rgb_to_lab(rgb)[..., 1:]) for rgb in photos]).reshape(-1, N_CELLS)


def mixed_cell_counts(photos, photo_weights=None) -> np.ndarray:
    """The ab-cell histogram behind the class prior. Photos drawn uniformly: every pixel once (as earlier
    runs counted). With sampling weights: the crops as drawn, photo i with probability w_i and each crop
    the same number of pixels whatever the photo's size (scaled to the total pixel count)."""
    counts = photo_cell_counts(photos).astype(np.float64)
    if photo_weights is None:
        return counts.sum(0)
    share = counts / np.maximum(1, counts.sum(1, keepdims=True))
    return np.asarray(photo_weights, dtype=np.float64) @ share * counts.sum()


def ab_statistics(photos, photo_weights=None) -> ABBins:
    """Occupied ab cells and their empirical distribution over every pixel of the photos as held (as
    training draws them, with photo_weights)."""
    return ABBins.from_counts(mixed_cell_counts(photos, photo_weights))


def photo_chroma(photos) -> np.ndarray:
    """Mean chroma (Lab units) of each photo, from its ab-cell histogram (to within a cell)."""
    counts = photo_cell_counts(photos).astype(np.float64)
    chroma = np.hypot(*cell_centres().T)
    return counts @ chroma / np.maximum(1, counts.sum(1))


def sampling_weights(photos, folder_shares=None, chroma_bias: float = 0.0):
    """Per-photo probabilities of being drawn, or None for uniform over photos (earlier runs' draw).

    folder_shares: each folder's share of the crops (normalised; the folders' photos share it
    equally); chroma_bias b: within a folder, a photo's weight grows as (mean chroma + one cell)^b, so
    b > 0 draws colourful photos more often than grey ones."""
    folder = getattr(photos, "folder", np.zeros(len(photos), dtype=np.int64))
    if not folder_shares and not chroma_bias:
        return None
    n_folders = int(folder.max()) + 1
    if folder_shares:
        shares = np.asarray(folder_shares, dtype=np.float64)
        if len(shares) != n_folders:
            raise SystemExit(f"{len(shares)} folder weights for {n_folders} training folders")
    else:  # chroma bias alone: the folders keep their share of photos
        shares = np.bincount(folder, minlength=n_folders).astype(np.float64)
    w = (photo_chroma(photos) + CELL) ** chroma_bias if chroma_bias else np.ones(len(folder))
    out = np.zeros(len(folder))
    for k in range(n_folders):
        mine = folder == k
        if mine.any():
            out[mine] = shares[k] * w[mine] / w[mine].sum()
    return out / out.sum()


def lab_tensors(rgb: np.ndarray, bins: ABBins):
    """uint8 RGB -> (normalised L (1,H,W), ab (2,H,W), class index (H,W)) tensors."""
    lab = rgb_to_lab(rgb)
    L = torch.from_numpy(normalize_l(lab[..., 0]))[None]
    ab = torch.from_numpy(np.ascontiguousarray(lab[..., 1:].transpose(2, 0, 1)))
    target = torch.from_numpy(bins.encode(lab[..., 1:]))
    return L, ab, target


class RandomCrops(Dataset):
    """Sample i: a random photo, rescaled so its longer side lies in [min_side, max_side] (and its shorter
    side covers the crop), a random crop x crop window of it, flipped left-right half of the time.

    Augmentations, off by default (0), that leave the targets the photo's true colours:
    rotate: the window turned by an angle in [-rotate, rotate] degrees (a larger square is cut, turned
        about its centre and its middle kept, so no corner is empty);
    tone: the network's input L bent by a gamma exp(u), u in [-tone, tone] (a B&W print's tone curve
        is not the colour photo's L; the ab targets stay those of the true L);
    film: the share of crops whose input L is a film-like gray of the crop's RGB (colorizer.film:
        spectral weights from orthochromatic to panchromatic, tone, blur, grain, JPEG).
    Their random numbers are drawn only when they are on, so with both off the crops are those of
    earlier versions and runs started before they existed resume exactly."""

    def __init__(self, photos, bins: ABBins, crop=128, min_side=192, max_side=384, seed=0, rank=0,
                 rotate=0.0, tone=0.0, weights=None, film=0.0):
        self.photos, self.bins, self.crop = photos, bins, crop
        self.min_side, self.max_side, self.seed, self.rank = min_side, max_side, seed, rank
        self.rotate, self.tone, self.film = rotate, tone, film
        self.cdf = None if weights is None else np.cumsum(weights) / np.sum(weights)

    def __len__(self):
        return 2 ** 62

    def __getitem__(self, i):
        rng = np.random.default_rng([self.seed, self.rank, i])
        if self.cdf is None:  # uniform, the draw of runs made before weights existed
            rgb = self.photos[rng.integers(len(self.photos))]
        else:
            rgb = self.photos[min(len(self.photos) - 1, int(np.searchsorted(self.cdf, rng.random(), "right")))]
        h, w = rgb.shape[:2]
        longer = rng.uniform(self.min_side, self.max_side)
        if self.rotate:
            # drawn ahead of the window so the window can be cut large enough for the turn
            angle = rng.uniform(-self.rotate, self.rotate)
            t = math.radians(abs(angle))
            window = math.ceil(self.crop * (math.cos(t) + math.sin(t)))
        else:
            window = self.crop
        scale = max(longer / max(h, w), window / min(h, w))
        nh, nw = max(window, round(h * scale)), max(window, round(w * scale))
        im = Image.fromarray(rgb).resize((nw, nh), Image.Resampling.BILINEAR)
        top, left = rng.integers(nh - window + 1), rng.integers(nw - window + 1)
        square = im.crop((left, top, left + window, top + window))
        if self.rotate:
            square = square.rotate(angle, Image.Resampling.BILINEAR)
        m = (window - self.crop) // 2
        patch = np.asarray(square)[m:m + self.crop, m:m + self.crop]
        if rng.random() < 0.5:
            patch = patch[:, ::-1]
        L, ab, target = lab_tensors(np.ascontiguousarray(patch), self.bins)
        if self.tone:
            gamma = math.exp(rng.uniform(-self.tone, self.tone))
            L = ((L + 1) / 2).clamp(0, 1) ** gamma * 2 - 1  # normalised L is L/50 - 1, so (L+1)/2 = L/100
        if self.film and rng.random() < self.film:
            L = torch.from_numpy(normalize_l(film_lightness(patch, rng)))[None]
        return L, ab, target


class StepBatches(Sampler):
    """Batches of sample numbers for steps start..total-1: batch s is [s*B, (s+1)*B)."""

    def __init__(self, start: int, total: int, batch: int):
        self.start, self.total, self.batch = start, total, batch

    def __len__(self):
        return max(0, self.total - self.start)

    def __iter__(self):
        for s in range(self.start, self.total):
            yield list(range(s * self.batch, (s + 1) * self.batch))


def validation_set(photos, bins: ABBins, side: int = 256, multiple: int = 16):
    """Whole val photos at the inference size (longer side `side`, sides multiples of `multiple`)."""
    from ..pipeline import network_side, network_size
    items = []
    for rgb in photos:
        h, w = network_size(*rgb.shape[:2], network_side(*rgb.shape[:2], side, multiple), multiple)
        items.append(lab_tensors(np.asarray(Image.fromarray(rgb).resize((w, h), Image.Resampling.BILINEAR)), bins))
    return items
