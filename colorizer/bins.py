"""Quantised ab colours: the classes the network predicts.

The ab plane, scaled to [0, 1] (ab = -128 -> 0, ab = 127 -> 1), is cut into a GRID x GRID grid of cells
0.066 wide (17 Lab units). The classes are the cells that the training photos occupy; any ab value,
also one in an unoccupied cell, maps to the nearest occupied cell's class.
"""
from dataclasses import dataclass

import numpy as np

GRID = 15
AB_MIN, AB_MAX = -128.0, 127.0
CELL = (AB_MAX - AB_MIN) / GRID  # 17 Lab units
N_CELLS = GRID * GRID


def cell_centres() -> np.ndarray:
    """(N_CELLS, 2) ab centre of every grid cell, row-major over (a, b)."""
    c = AB_MIN + CELL * (np.arange(GRID) + 0.5)
    a, b = np.meshgrid(c, c, indexing="ij")
    return np.stack([a.ravel(), b.ravel()], axis=1).astype(np.float32)


def cell_of(ab: np.ndarray) -> np.ndarray:
    """ab (..., 2) -> grid cell index (...,) in [0, N_CELLS)."""
    idx = np.clip(np.floor((ab - AB_MIN) / CELL), 0, GRID - 1).astype(np.int64)
    return idx[..., 0] * GRID + idx[..., 1]


def count_cells(ab: np.ndarray) -> np.ndarray:
    """Histogram (N_CELLS,) of the ab values (..., 2) over the grid."""
    return np.bincount(cell_of(ab).ravel(), minlength=N_CELLS).astype(np.int64)


def rebalance_weights(p: np.ndarray, lam: float) -> np.ndarray:
    """Zhang et al.'s class weights w = ((1 - lam) p + lam / Q)^-1, scaled so that sum(p * w) = 1.

    lam = 1 gives w = 1 for every class (no rebalancing); lam = 0 gives w = 1 / p (full rebalancing).
    """
    p = np.asarray(p, dtype=np.float64)
    p = p / p.sum()
    w = 1.0 / ((1.0 - lam) * p + lam / len(p))
    return (w / (p * w).sum()).astype(np.float32)


@dataclass
class ABBins:
    """The occupied cells (the classes) and their empirical distribution p over the training set."""

    cells: np.ndarray  # (Q,) grid cell index of each class, ascending
    prior: np.ndarray  # (Q,) empirical class distribution p, sums to 1

    def __post_init__(self):
        self.cells = np.asarray(self.cells, dtype=np.int64)
        self.prior = np.asarray(self.prior, dtype=np.float64)
        self.prior = self.prior / self.prior.sum()
        self.centres = cell_centres()[self.cells]  # (Q, 2) float32
        # every cell -> the class whose centre is nearest (itself where occupied)
        d = ((cell_centres()[:, None, :] - self.centres[None, :, :]) ** 2).sum(-1)
        self.lookup = d.argmin(axis=1).astype(np.int64)

    @property
    def Q(self) -> int:
        return len(self.cells)

    @classmethod
    def from_counts(cls, counts: np.ndarray) -> "ABBins":
        cells = np.flatnonzero(counts)
        return cls(cells=cells, prior=counts[cells])

    def with_counts(self, counts: np.ndarray) -> "ABBins":
        """The same classes with the prior of another histogram over the grid (N_CELLS,): each cell's
        count goes to its class, as encode() maps pixels. A class that the histogram never reaches keeps
        a share of one pixel in a billion, so that no rebalancing weight is infinite."""
        prior = np.bincount(self.lookup, weights=np.asarray(counts, dtype=np.float64), minlength=self.Q)
        return ABBins(cells=self.cells, prior=np.maximum(prior, prior.sum() * 1e-9))

    def encode(self, ab: np.ndarray) -> np.ndarray:
        """ab (..., 2) -> class index (...,)."""
        return self.lookup[cell_of(ab)]

    def weights(self, lam: float) -> np.ndarray:
        return rebalance_weights(self.prior, lam)

    def to_dict(self) -> dict:
        return {"grid": GRID, "cells": self.cells.tolist(), "prior": self.prior.tolist(),
                "centres": self.centres.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "ABBins":
        if d.get("grid", GRID) != GRID:
            raise ValueError(f"model uses a {d['grid']}x{d['grid']} ab grid, this code a {GRID}x{GRID} one")
        return cls(cells=np.array(d["cells"]), prior=np.array(d["prior"]))
