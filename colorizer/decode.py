"""The annealed mean: from class logits to an ab colour per pixel.

q = softmax(logits / T), the same as p^(1/T) renormalised; the colour is the q-weighted mean of the
class centres. T = 1 gives the mean of the predicted distribution (coherent but greyish), T -> 0 its
mode (vivid but noisy); Zhang et al. (2016) used T = 0.38. The design report called 1/T the
"temperature" (its value 2 is T = 0.5 here).
"""
import torch


def annealed_mean(logits: torch.Tensor, centres: torch.Tensor, T: float) -> torch.Tensor:
    """logits (N, Q, H, W), centres (Q, 2) -> ab (N, 2, H, W). T = 0 takes the mode exactly."""
    centres = centres.to(device=logits.device, dtype=torch.float32)
    logits = logits.float()
    if T <= 0:
        return centres[logits.argmax(dim=1)].permute(0, 3, 1, 2)
    # the largest logit is taken off before dividing: with a tiny T, logits / T alone overflows to inf and
    # softmax then gives NaN (inf - inf); this way the terms are <= 0 and the mode keeps weight 1
    q = torch.softmax((logits - logits.amax(dim=1, keepdim=True)) / T, dim=1)
    return torch.einsum("nqhw,qc->nchw", q, centres)
