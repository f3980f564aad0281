"""Class-rebalanced cross-entropy over the ab classes, with hard or soft-encoded targets."""
import torch
import torch.nn.functional as F


def soft_targets(ab: torch.Tensor, centres: torch.Tensor, k: int = 5, sigma: float = 8.5) -> torch.Tensor:
    """Zhang et al.'s soft encoding: each pixel's ab (N, 2, H, W) spread over its k nearest class
    centres with a Gaussian of width sigma (Lab units; half a cell here). Returns (N, Q, H, W)."""
    d2 = ((ab.unsqueeze(1) - centres.view(1, -1, 2, 1, 1)) ** 2).sum(2)  # (N, Q, H, W)
    near_d2, near_idx = d2.topk(k, dim=1, largest=False)
    g = torch.softmax(-near_d2 / (2 * sigma ** 2), dim=1)
    return torch.zeros_like(d2).scatter_(1, near_idx, g)


def rebalanced_cross_entropy(logits, target, class_weights, soft=None):
    """Mean over pixels of w[class of pixel] * cross-entropy.

    target: (N, H, W) class indices; soft: optional (N, Q, H, W) soft targets (the pixel's weight
    stays that of its hard class, as in Zhang et al.).
    """
    pixel_w = class_weights[target]
    if soft is None:
        ce = F.cross_entropy(logits, target, reduction="none")
    else:
        ce = -(soft * F.log_softmax(logits, dim=1)).sum(1)
    return (pixel_w * ce).mean()
