"""Training crops: random multi-scale crops and flips of every photo under a folder, optionally rotated
by a few degrees and with the lightness re-toned (augmentations that keep every pixel's true colour).

Photos are decoded once and kept in memory at a bounded size. Sample number i of rank r is drawn from
a generator seeded by (seed, r, i), so a resumed run sees exactly the crops it would have seen, every
rank sees different ones, and DataLoader workers need no shared random state.
"""
import math
import sys

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, Sampler

from .bins import ABBins, count_cells
from .color import normalize_l, rgb_to_lab
from .images import ImageError, find_images, load_rgb


def load_photos(root, max_side: int) -> list:
    """Every readable image under root, downscaled so its longer side is at most max_side."""
    photos = []
    for path in find_images([root]):
        try:
            rgb = load_rgb(path)
        except ImageError as e:
            print(f"skipping {e}", file=sys.stderr)
            continue
        im = Image.fromarray(rgb)
        if max(im.size) > max_side:
            im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        photos.append(np.asarray(im))
    if not photos:
        raise SystemExit(f"no readable images under {root}")
    return photos


def ab_statistics(photos) -> ABBins:
    """Occupied ab cells and their empirical distribution over every pixel of the photos as held."""
    counts = sum(count_cells(rgb_to_lab(rgb)[..., 1:]) for rgb in photos)
    return ABBins.from_counts(counts)


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
        is not the colour photo's L; the ab targets stay those of the true L).
    Their random numbers are drawn only when they are on, so with both off the crops are those of
    earlier versions and runs started before they existed resume exactly."""

    def __init__(self, photos, bins: ABBins, crop=128, min_side=192, max_side=384, seed=0, rank=0,
                 rotate=0.0, tone=0.0):
        self.photos, self.bins, self.crop = photos, bins, crop
        self.min_side, self.max_side, self.seed, self.rank = min_side, max_side, seed, rank
        self.rotate, self.tone = rotate, tone

    def __len__(self):
        return 2 ** 62

    def __getitem__(self, i):
        rng = np.random.default_rng([self.seed, self.rank, i])
        rgb = self.photos[rng.integers(len(self.photos))]
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


def validation_set(photos, bins: ABBins, side: int = 256):
    """Whole val photos at the inference size (longer side `side`, sides multiples of 16)."""
    from .pipeline import network_size
    items = []
    for rgb in photos:
        h, w = network_size(*rgb.shape[:2], side)
        items.append(lab_tensors(np.asarray(Image.fromarray(rgb).resize((w, h), Image.Resampling.BILINEAR)), bins))
    return items
