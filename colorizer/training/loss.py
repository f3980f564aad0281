"""Class-rebalanced cross-entropy over the ab classes, with hard or soft-encoded targets."""
import numpy as np
import torch
import torch.nn.functional as F


def soft_targets(ab: torch.Tensor, centres: torch.Tensor, k: int = 5, sigma: float = 8.5) -> torch.Tensor:
    """Zhang et al.'s soft encoding: each pixel's ab (N, 2, H, W) spread over its k nearest class
    centres with a Gaussian of width sigma (Lab units; half a cell here). Returns (N, Q, H, W).
    The dense reference of SoftEncoder, which training uses."""
    d2 = ((ab.unsqueeze(1) - centres.view(1, -1, 2, 1, 1)) ** 2).sum(2)  # (N, Q, H, W)
    near_d2, near_idx = d2.topk(k, dim=1, largest=False)
    g = torch.softmax(-near_d2 / (2 * sigma ** 2), dim=1)
    return torch.zeros_like(d2).scatter_(1, near_idx, g)


class SoftEncoder:
    """soft_targets without the (N, Q, H, W) distances and top-k, a quarter of a CPU training step: the k
    nearest classes of every 1x1 Lab-unit square of the ab plane are tabulated once, so a pixel's
    candidates are one lookup, and only their k distances are computed. Returns the sparse form
    (class indices, weights), each (N, k, H, W). Where a pixel's k-th and (k+1)-th nearest classes are
    within a square's diagonal (1.4 units) of the same distance, the table may hold the other one, which
    then takes nearly the weight the exact one would have had (tested against soft_targets: the
    loss agrees to 1e-4 relative)."""

    def __init__(self, centres: np.ndarray, k: int = 5, sigma: float = 8.5):
        centres = np.asarray(centres, dtype=np.float32)
        k = min(k, len(centres))
        square = np.arange(-128, 128, dtype=np.float32) + 0.5  # centres of the 1-unit squares
        a, b = np.meshgrid(square, square, indexing="ij")
        d2 = (a[..., None] - centres[:, 0]) ** 2 + (b[..., None] - centres[:, 1]) ** 2  # (256, 256, Q)
        self.table = torch.from_numpy(np.argsort(d2, axis=-1, kind="stable")[..., :k].astype(np.int64))
        self.centres = torch.from_numpy(centres)
        self.sigma = sigma

    def to(self, device) -> "SoftEncoder":
        self.table, self.centres = self.table.to(device), self.centres.to(device)
        return self

    def __call__(self, ab: torch.Tensor):
        square = (ab + 128).floor().long().clamp_(0, 255)
        idx = self.table[square[:, 0], square[:, 1]]  # (N, H, W, k)
        d2 = ((self.centres[idx] - ab.permute(0, 2, 3, 1).unsqueeze(3)) ** 2).sum(-1)
        g = torch.softmax(-d2 / (2 * self.sigma ** 2), dim=-1)
        return idx.permute(0, 3, 1, 2), g.permute(0, 3, 1, 2)


def class_targets(ab: torch.Tensor, lookup: torch.Tensor) -> torch.Tensor:
    """ab (N, 2, H, W) -> class index (N, H, W): ABBins.encode in torch (lookup: bins.lookup as a tensor)."""
    from ..bins import AB_MIN, CELL, GRID
    idx = ((ab - AB_MIN) / CELL).floor().long().clamp_(0, GRID - 1)
    return lookup[idx[:, 0] * GRID + idx[:, 1]]


def targets_at(logits: torch.Tensor, ab: torch.Tensor, target, lookup: torch.Tensor):
    """(ab, class targets) at the logits' resolution: as given where they match (target None: the classes
    of ab, e.g. after ab was recoloured), else the true ab averaged over each logit's cell and its class
    (the pretrained-encoder U-Net's logits at 1/2)."""
    if logits.shape[-2:] == ab.shape[-2:]:
        return ab, class_targets(ab, lookup) if target is None else target
    ab = F.avg_pool2d(ab, ab.shape[-1] // logits.shape[-1])
    return ab, class_targets(ab, lookup)


def rebalanced_cross_entropy(logits, target, class_weights, soft=None):
    """Mean over pixels of w[class of pixel] * cross-entropy, computed in float32 (also when the network
    ran in bfloat16).

    target: (N, H, W) class indices; soft: optional soft targets, dense (N, Q, H, W) or SoftEncoder's
    (indices, weights) pair (the pixel's weight stays that of its hard class, as in Zhang et al.).
    """
    logits = logits.float()
    pixel_w = class_weights[target]
    if soft is None:
        ce = F.cross_entropy(logits, target, reduction="none")
    elif isinstance(soft, tuple):
        idx, g = soft
        ce = -(g * F.log_softmax(logits, dim=1).gather(1, idx)).sum(1)
    else:
        ce = -(soft * F.log_softmax(logits, dim=1)).sum(1)
    return (pixel_w * ce).mean()
