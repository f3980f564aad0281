"""The annealed mean: from class logits to an ab colour per pixel.

q = softmax(logits / T), the same as p^(1/T) renormalised; the colour is the q-weighted mean of the
class centres. T = 1 gives the mean of the predicted distribution (coherent but greyish), T -> 0 its
mode (vivid but noisy); Zhang et al. (2016) used T = 0.38. The design report called 1/T the
"temperature" (its value 2 is T = 0.5 here).

Two twins of the same computation: annealed_mean on torch tensors (training's validation) and
annealed_mean_numpy on numpy arrays (the pipeline, which must run without torch). torch is imported
only by the first, when it is called.
"""
import numpy as np


def annealed_mean(logits, centres, T: float):
    """logits (N, Q, H, W), centres (Q, 2), torch tensors -> ab (N, 2, H, W). T = 0 takes the mode exactly."""
    import torch

    centres = centres.to(device=logits.device, dtype=torch.float32)
    logits = logits.float()
    if T <= 0:
        return centres[logits.argmax(dim=1)].permute(0, 3, 1, 2)
    # the largest logit is taken off before dividing: with a tiny T, logits / T alone overflows to inf and
    # softmax then gives NaN (inf - inf); this way the terms are <= 0 and the mode keeps weight 1. T is
    # kept at or above the smallest normal float32, or it rounds to 0 and the mode's 0 / 0 gives NaN
    T = max(T, torch.finfo(torch.float32).tiny)
    q = torch.softmax((logits - logits.amax(dim=1, keepdim=True)) / T, dim=1)
    return torch.einsum("nqhw,qc->nchw", q, centres)


def centre_logits(logits: np.ndarray) -> np.ndarray:
    """logits (Q, H, W) less each pixel's largest: the part of annealed_mean_numpy that does not depend
    on T (a Prediction keeps it for the slider)."""
    logits = np.asarray(logits, dtype=np.float32)
    return logits - logits.max(axis=0, keepdims=True)


def annealed_mean_numpy(logits: np.ndarray, centres: np.ndarray, T: float, centred: bool = False) -> np.ndarray:
    """logits (Q, H, W), centres (Q, 2) -> ab (2, H, W) float32: annealed_mean for one image, in numpy.
    centred: the logits come from centre_logits already."""
    logits = np.asarray(logits, dtype=np.float32)
    centres = np.asarray(centres, dtype=np.float32)
    q, h, w = logits.shape
    if T <= 0:
        return np.ascontiguousarray(centres[logits.argmax(axis=0)].transpose(2, 0, 1))
    # as above: the largest logit off first and T no smaller than the smallest normal float32; the other
    # classes' terms may then overflow to -inf, whose exp is the 0 they should be
    T = np.float32(max(T, np.finfo(np.float32).tiny))
    with np.errstate(over="ignore"):
        if centred:
            e = logits / T
        else:
            e = centre_logits(logits)
            e /= T
    np.exp(e, out=e)
    # one product gives both weighted sums of the centres and the softmax's denominator (a row of ones)
    sums = np.concatenate([centres.T, np.ones((1, q), np.float32)]) @ e.reshape(q, h * w)
    return (sums[:2] / sums[2]).reshape(2, h, w)
